//! Reading the real captures of `tests/fixtures/captures` (real tools against real servers,
//! labelled) as the host reads them: pcap → unidirectional flows → 10-s windows by end time.

use std::path::{Path, PathBuf};

use netassure_netflow::files::{FlowFile, FlowFileError};
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::flows_event;

use crate::windows::batch_of;

/// The window length the host uses by default.
pub const WINDOW_MS: u64 = 10_000;

/// One labelled capture.
#[derive(Debug, Clone)]
pub struct Capture {
    /// File name without `.pcap`.
    pub name: String,
    /// True when it holds no attack.
    pub benign: bool,
    /// (class, attackers, victims) of each attack.
    pub attacks: Vec<(String, Vec<String>, Vec<String>)>,
}

fn directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/captures")
}

fn strings(value: &toml::Value, key: &str) -> Vec<String> {
    value[key].as_array().map_or(Vec::new(), |list| {
        list.iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    })
}

/// Every capture with its labels, by name (none when the corpus is not there).
pub fn captures() -> Vec<Capture> {
    let Ok(entries) = std::fs::read_dir(directory()) else {
        return Vec::new();
    };
    let mut found: Vec<Capture> = entries
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(".labels.toml")?
                .to_owned();
            let labels: toml::Table = toml::from_str(&std::fs::read_to_string(&path).ok()?).ok()?;
            let attacks = labels
                .get("attack")
                .and_then(|a| a.as_array())
                .cloned()
                .unwrap_or_default();
            Some(Capture {
                benign: labels["capture"]["benign"].as_bool().unwrap_or(false),
                attacks: attacks
                    .iter()
                    .map(|a| {
                        (
                            a["class"].as_str().unwrap_or("").to_owned(),
                            strings(a, "attackers"),
                            strings(a, "victims"),
                        )
                    })
                    .collect(),
                name,
            })
        })
        .filter(|capture| directory().join(format!("{}.pcap", capture.name)).exists())
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Empty the (per-thread, native) persistent state: each capture is a network of its own.
pub fn forget_everything() {
    for key in netassure_plugin_sdk::host::state::keys("") {
        netassure_plugin_sdk::host::state::delete(&key).expect("native state");
    }
}

/// Every finding of `detector` on capture `name`.
pub fn replay<D: Detector>(detector: &mut D, name: &str) -> Vec<Finding> {
    let path = directory().join(format!("{name}.pcap"));
    let mut file = FlowFile::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut found = Vec::new();
    file.for_each_window(WINDOW_MS, 100_000, |window, _| {
        let event = flows_event(window.start_ms, window.end_ms, batch_of(&window.flows));
        found.extend(detector.on_event(event).expect("a window is handled"));
        Ok::<(), FlowFileError>(())
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    found
}
