//! Replaying flow files (the real captures, campusgen CSV) through a detector in 10-s windows,
//! as the host would, and reading the captures' labels.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use netassure_netflow::FlowColumns;
use netassure_netflow::files::FlowFile;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::flows_event;

/// The window length the host uses by default.
pub const WINDOW_MS: u64 = 10_000;

/// A window's columns as the plugin sees them.
pub fn batch_of(flows: &FlowColumns) -> FlowBatch {
    let n = flows.len();
    FlowBatch {
        len: n as u32,
        src_addr: flows.src_addr.iter().flatten().copied().collect(),
        dst_addr: flows.dst_addr.iter().flatten().copied().collect(),
        src_port: flows.src_port.clone(),
        dst_port: flows.dst_port.clone(),
        protocol: flows.protocol.clone(),
        tcp_flags: flows.tcp_flags.clone(),
        bytes: flows.bytes.clone(),
        packets: flows.packets.clone(),
        start_ms: flows.start_ms.clone(),
        end_ms: flows.end_ms.clone(),
        input_if: flows.input_if.clone(),
        output_if: flows.output_if.clone(),
        exporter: flows.exporter.clone(),
        exporters: flows.exporters.clone(),
    }
}

/// Every finding of `detector` on the flows of `path`, read in windows of [`WINDOW_MS`].
pub fn replay<D: Detector>(detector: &mut D, path: &Path) -> Vec<Finding> {
    let mut file = FlowFile::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut found = Vec::new();
    let mut slowest = (std::time::Duration::ZERO, 0, 0);
    file.for_each_window(WINDOW_MS, 1_000_000, |window, _| {
        let flows = window.flows.len();
        let event = flows_event(window.start_ms, window.end_ms, batch_of(&window.flows));
        let start = std::time::Instant::now();
        found.extend(detector.on_event(event).expect("on_event"));
        slowest = slowest.max((start.elapsed(), flows, window.start_ms));
        Ok::<(), netassure_netflow::files::FlowFileError>(())
    })
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (time, flows, at) = slowest;
    eprintln!("slowest window: {time:?} for {flows} flows (at {at} ms)");
    found
}

/// An address or a network (`198.51.100.160/27`) of a label.
#[derive(Debug, Clone)]
pub struct Net {
    base: u128,
    mask: u128,
}

impl Net {
    /// Parse `a.b.c.d` or `a.b.c.d/len` (IPv4 or IPv6).
    pub fn parse(text: &str) -> Net {
        let (addr, len) = text.split_once('/').unwrap_or((text, ""));
        let addr: IpAddr = addr.parse().expect("an address");
        let (bits, width) = match addr {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        };
        let len: u32 = if len.is_empty() {
            width
        } else {
            len.parse().expect("a prefix length")
        };
        let mask = if len == 0 {
            0
        } else {
            (u128::MAX << (width - len)) & (u128::MAX >> (128 - width))
        };
        Net {
            base: bits & mask,
            mask,
        }
    }

    /// True when `addr` (as a finding writes it) is in the network.
    pub fn contains(&self, addr: &str) -> bool {
        let bits = match addr.parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => u128::from(u32::from(v4)),
            Ok(IpAddr::V6(v6)) => u128::from(v6),
            Err(_) => return false,
        };
        bits & self.mask == self.base
    }
}

/// One labelled attack.
#[derive(Debug, Clone)]
pub struct Attack {
    /// Its name.
    pub name: String,
    /// Its class (`port-scan`, `host-sweep`, `brute-force`, ...).
    pub class: String,
    /// Its attackers.
    pub attackers: Vec<Net>,
}

/// A capture and its labels.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The pcap.
    pub path: PathBuf,
    /// True for benign traffic only.
    pub benign: bool,
    /// The attacks.
    pub attacks: Vec<Attack>,
}

/// The labelled captures of `tests/fixtures/captures/`, by name; empty when there are none.
pub fn captures() -> Vec<Capture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/captures");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<Capture> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .filter_map(|path| {
            let labels = path.with_extension("labels.toml");
            let text = std::fs::read_to_string(labels).ok()?;
            Some(parse_labels(path, &text))
        })
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// The flow file `path` with the labels in `labels` (a `NAME.labels.toml`).
pub fn labelled(path: &Path, labels: &Path) -> Capture {
    let text =
        std::fs::read_to_string(labels).unwrap_or_else(|e| panic!("{}: {e}", labels.display()));
    parse_labels(path.to_owned(), &text)
}

fn parse_labels(path: PathBuf, text: &str) -> Capture {
    let value: toml::Table = toml::from_str(text).expect("labels are TOML");
    let benign = value["capture"]["benign"].as_bool().expect("benign");
    let attacks = value
        .get("attack")
        .and_then(|a| a.as_array())
        .map(|attacks| {
            attacks
                .iter()
                .map(|a| Attack {
                    name: a["name"].as_str().unwrap_or_default().to_owned(),
                    class: a["class"].as_str().unwrap_or_default().to_owned(),
                    attackers: a["attackers"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|x| x.as_str())
                        .map(Net::parse)
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    Capture {
        path,
        benign,
        attacks,
    }
}

/// The attackers of `finding` (its evidence's), or its first node.
pub fn attackers(finding: &Finding) -> Vec<String> {
    finding
        .evidence
        .as_ref()
        .map(|e| e.attackers.clone())
        .unwrap_or_else(|| finding.anomaly.nodes.iter().take(1).cloned().collect())
}

/// One line per finding: kind, score, attackers, victims, description.
pub fn summary(found: &[Finding]) -> String {
    found
        .iter()
        .map(|f| {
            let victims = f
                .evidence
                .as_ref()
                .map(|e| e.victims.join(","))
                .unwrap_or_default();
            format!(
                "  {} {:.2} {:?} -> {} : {}\n",
                f.kind,
                f.score,
                attackers(f),
                victims,
                f.description
            )
        })
        .collect()
}

/// Per labelled attack of `classes`: was one of its attackers reported? And the findings whose
/// attackers are in no attack (false attackers), by (kind, attacker).
pub fn score_against(capture: &Capture, found: &[Finding], classes: &[&str]) -> String {
    let mut out = String::new();
    for attack in capture
        .attacks
        .iter()
        .filter(|a| classes.contains(&a.class.as_str()))
    {
        let windows = found
            .iter()
            .filter(|f| {
                attackers(f)
                    .iter()
                    .any(|a| attack.attackers.iter().any(|net| net.contains(a)))
            })
            .count();
        out += &format!(
            "  {:<50} {}\n",
            attack.name,
            if windows > 0 {
                format!("found in {windows} windows")
            } else {
                "MISSED".to_owned()
            }
        );
    }
    let mut strangers = std::collections::BTreeMap::<String, usize>::new();
    for finding in found {
        for a in attackers(finding) {
            let known = capture
                .attacks
                .iter()
                .any(|attack| attack.attackers.iter().any(|net| net.contains(&a)));
            if !known {
                *strangers
                    .entry(format!("{} {a}", finding.kind))
                    .or_default() += 1;
            }
        }
    }
    for (who, n) in strangers {
        out += &format!("  not an attacker: {who} ({n} windows)\n");
    }
    out
}

/// The defaults of a detector's configuration, or the JSON object in `DETECTOR_CONFIG` (for
/// exploring thresholds).
pub fn config_from_env<C: serde::de::DeserializeOwned + Default>() -> C {
    std::env::var("DETECTOR_CONFIG")
        .map(|json| netassure_plugin_sdk::parse_config(&json).expect("DETECTOR_CONFIG"))
        .unwrap_or_default()
}

/// The real captures through `run`: on the attack captures every attack of `classes` has its
/// attacker reported and every finding names only labelled attackers; the benign captures
/// raise nothing. Skipped (with a line on stderr) when the captures are not there.
pub fn check_real_captures(classes: &[&str], run: impl Fn(&Capture) -> Vec<Finding>) {
    let captures = captures();
    if captures.is_empty() {
        eprintln!("no captures in tests/fixtures/captures: skipped");
        return;
    }
    let mut failures = Vec::new();
    for capture in &captures {
        let found = run(capture);
        let name = capture.path.file_name().unwrap().to_string_lossy();
        println!("{name}: {} findings\n{}", found.len(), summary(&found));
        if capture.benign {
            if !found.is_empty() {
                failures.push(format!("{name}: benign, yet {} findings", found.len()));
            }
            continue;
        }
        let labelled = |address: &String| {
            capture
                .attacks
                .iter()
                .any(|attack| attack.attackers.iter().any(|net| net.contains(address)))
        };
        for finding in &found {
            let named = attackers(finding);
            if !named.iter().all(labelled) {
                failures.push(format!("{name}: {named:?} is no labelled attacker"));
            }
        }
        for attack in capture
            .attacks
            .iter()
            .filter(|a| classes.contains(&a.class.as_str()))
        {
            let reported = found.iter().any(|f| {
                attackers(f)
                    .iter()
                    .any(|a| attack.attackers.iter().any(|net| net.contains(a)))
            });
            if !reported {
                failures.push(format!("{name}: {} not reported", attack.name));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A campusgen CSV named by `CAMPUSGEN_CSV` (labels in `CAMPUSGEN_LABELS`, optional) through
/// `run`: the score against the labels of `classes`, and each (kind, attacker) with its
/// windows and best finding.
pub fn campusgen_day(classes: &[&str], run: impl Fn(&Capture) -> Vec<Finding>) {
    let Ok(path) = std::env::var("CAMPUSGEN_CSV") else {
        eprintln!("CAMPUSGEN_CSV is not set");
        return;
    };
    let path = PathBuf::from(path);
    let capture = match std::env::var("CAMPUSGEN_LABELS") {
        Ok(labels) => labelled(&path, labels.as_ref()),
        Err(_) => Capture {
            path,
            benign: false,
            attacks: Vec::new(),
        },
    };
    let found = run(&capture);
    print!("{}", score_against(&capture, &found, classes));
    let mut per: std::collections::BTreeMap<(String, String), (usize, f64, String)> =
        std::collections::BTreeMap::new();
    for finding in &found {
        let key = (finding.kind.clone(), attackers(finding).join(","));
        let entry = per.entry(key).or_default();
        entry.0 += 1;
        if finding.score > entry.1 {
            entry.1 = finding.score;
            entry.2 = finding.description.clone();
        }
    }
    println!("{} findings, {} (kind, attacker)", found.len(), per.len());
    for ((kind, attacker), (n, score, text)) in &per {
        println!("  {kind} {attacker}: {n} windows, best score {score:.2}: {text}");
    }
}

/// `batch` as one 10-s window through fresh detectors from `make`, the best of three, printed
/// against what the host spends pairing the same window's conversations (a yardstick that
/// slows down with the machine; the figure is for reading, never asserted). The findings.
pub fn timed_window<D: Detector>(make: impl Fn() -> D, batch: &FlowBatch) -> Vec<Finding> {
    use std::time::{Duration, Instant};
    let (mut elapsed, mut yardstick) = (Duration::MAX, Duration::MAX);
    let mut found = Vec::new();
    for _ in 0..3 {
        let mut detector = make();
        let event = flows_event(0, 10_000, batch.clone());
        let start = Instant::now();
        found = detector.on_event(event).expect("on_event");
        elapsed = elapsed.min(start.elapsed());
        let start = Instant::now();
        let slices = netassure_flowgraph::flow_slices!(batch);
        std::hint::black_box(netassure_flowgraph::Conversations::build(&slices));
        yardstick = yardstick.min(start.elapsed());
    }
    println!(
        "{} flows: {elapsed:?} ({yardstick:?} to pair them, {:.1}x), {} findings",
        batch.len(),
        elapsed.as_secs_f64() / yardstick.as_secs_f64().max(1e-9),
        found.len()
    );
    found
}
