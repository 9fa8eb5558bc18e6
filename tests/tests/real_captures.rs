//! The whole detection stack on its default configuration — every shipped plugin, the incident
//! assembler, the alert rules — against the real captures of `tests/fixtures/captures/`
//! (attacks made by real tools, benign traffic by real software: see its README), through the
//! real `netassure eval` CLI, as a fresh install meets them (no model: `flow-gae` is learning).
//!
//! - On every capture, no incident names a labelled victim as an attacker.
//! - On the attack captures, every attack of the classes a user must be told about (scans,
//!   sweeps, brute force, floods, DDoS, slow DoS, tunnels) is found by an alert whose incident
//!   names its attacker first — except the [`KNOWN_MISSES`], which must still be missed by
//!   alerts and still raise an incident naming their attacker.
//! - Over all benign captures together, at most one false alert per 100 MB of traffic.
//! - Exfiltration is reported, not required.
//!
//! Each capture's figures (flows, windows, alerts, false alerts, per attack: found, attacker
//! named first, time to detect) are printed to stderr for the CI log. Compiled plugins are
//! shared through eval's cache in the temporary directory (`netassure-eval-cache`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{cli_bin, plugins_dir};
use netassure_cli::evaluation::labels::Labels;
use serde_json::Value;

/// Attack classes the default configuration must detect.
const REQUIRED: [&str; 7] = [
    "port-scan",
    "host-sweep",
    "brute-force",
    "flood",
    "ddos",
    "slow-dos",
    "tunnel",
];

/// Attacks of the required classes the default configuration misses today, as (capture,
/// attack name). Each must still be missed, so that the list stays honest: when one starts
/// being found, the test fails and asks for its entry to be removed.
const KNOWN_MISSES: [(&str, &str); 3] = [
    // ab's 1,800 requests take 0.2 s (1,500 of them on 50 keep-alive connections): one window,
    // one `request-flood` (375 new connections over the 5-s minimum burst, 75/s), scoring
    // 0.886 — just under `strong_score` 0.9, which request-flood gives at 80/s (four times
    // `min_conn_rate`). One window never makes `min_windows` (3), and no second detector
    // reports it: an incident, no alert.
    ("ab-http-flood", "HTTP flood (ApacheBench)"),
    // hping3 --udp for 2 s: one window, one `udp-flood` (881 datagrams/s, threshold 500/s)
    // scoring 0.72. `volumetric-ddos` wants 100 sources, and before a day of learning the flood
    // signature UDP lacks: an incident, no alert.
    ("hping3-udp-flood", "hping3 UDP flood"),
    // nmap -sU of 12 ports on two hosts in 5 s: `super-spreader` reports a port-scan (23 closed
    // or filtered probes, threshold 20) scoring 0.63, in the capture's only window: an
    // incident, no alert.
    ("nmap-udp-scan", "nmap UDP scan"),
];

fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures")
}

/// The captures, by name, sorted: every `NAME.pcap` must have its `NAME.labels.toml`.
fn captures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(captures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "pcap"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        assert!(
            captures_dir().join(format!("{name}.labels.toml")).is_file(),
            "{name}.pcap has no {name}.labels.toml"
        );
    }
    names
}

/// `netassure --json ARGS`: its JSON answer, or why it failed.
fn cli_json(args: &[&std::ffi::OsStr]) -> Result<Value, String> {
    let output = Command::new(cli_bin())
        .arg("--json")
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "{args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("{args:?}: {e}"))
}

/// What one capture gave.
struct Measured {
    name: String,
    labels: Labels,
    /// `netassure ingest --dry-run`: flows and windows.
    ingest: Value,
    /// `netassure eval`'s `incidents`.
    incidents: Value,
}

fn measure(name: &str, models: &Path) -> Result<Measured, String> {
    let pcap = captures_dir().join(format!("{name}.pcap"));
    let labels_path = captures_dir().join(format!("{name}.labels.toml"));
    let labels = Labels::read(&labels_path).map_err(|e| format!("{name}: labels: {e:#}"))?;
    let ingest = cli_json(&[
        "ingest".as_ref(),
        "--dry-run".as_ref(),
        "--flows".as_ref(),
        pcap.as_os_str(),
    ])?;
    let report = cli_json(&[
        "eval".as_ref(),
        "--flows".as_ref(),
        pcap.as_os_str(),
        "--labels".as_ref(),
        labels_path.as_os_str(),
        "--plugins".as_ref(),
        plugins_dir().as_os_str(),
        "--models-dir".as_ref(),
        models.as_os_str(),
    ])?;
    Ok(Measured {
        name: name.to_owned(),
        labels,
        ingest,
        incidents: report["incidents"].clone(),
    })
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn summaries(value: &Value) -> Vec<String> {
    list(value)
        .iter()
        .map(|item| item["summary"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A number of the report, 0 when absent.
fn number(value: &Value) -> u64 {
    value.as_u64().unwrap_or(0)
}

/// Print one capture's row (and its attacks) to stderr.
fn print(m: &Measured) {
    let i = &m.incidents;
    eprintln!(
        "{:<30} {:>6} {:>4} {:>10} {:>6} {:>6} {:>6}",
        m.name,
        number(&m.ingest["flows"]),
        number(&m.ingest["windows"]),
        number(&i["bytes"]),
        number(&i["alerting_incidents"]),
        list(&i["false_alerts"]).len(),
        list(&i["victims_named_as_attackers"]).len(),
    );
    for attack in list(&i["per_attack"]) {
        let ttd = attack["time_to_detect_s"]
            .as_f64()
            .map_or("-".to_owned(), |s| format!("{s:.2} s"));
        let yes = |key: &str| if attack[key] == true { "yes" } else { "no" };
        eprintln!(
            "    {:<40} {:<12} alert {:<3}  attacker first {:<3}  incident {:<3}  TTD {ttd}",
            attack["name"].as_str().unwrap_or_default(),
            attack["class"].as_str().unwrap_or_default(),
            yes("detected"),
            yes("attacker_named_first"),
            yes("incident"),
        );
    }
    for summary in summaries(&i["false_alerts"]) {
        eprintln!("    false alert: {summary}");
    }
    for summary in summaries(&i["victims_named_as_attackers"]) {
        eprintln!("    victim named as attacker: {summary}");
    }
}

#[test]
fn the_default_configuration_on_real_captures() {
    let started = std::time::Instant::now();
    // No model: as on a fresh install, flow-gae is learning.
    let models = tempfile::tempdir().unwrap();
    let names = captures();
    for (capture, attack) in KNOWN_MISSES {
        assert!(
            names.iter().any(|n| n == capture),
            "KNOWN_MISSES names {capture}, which is not a capture"
        );
        let labels = Labels::read(&captures_dir().join(format!("{capture}.labels.toml"))).unwrap();
        assert!(
            labels
                .attacks
                .iter()
                .any(|a| a.name == attack && REQUIRED.contains(&a.class.as_str())),
            "KNOWN_MISSES: {capture} has no attack `{attack}` of a required class"
        );
    }

    let mut failures: Vec<String> = Vec::new();
    let mut measured = Vec::new();
    eprintln!(
        "{:<30} {:>6} {:>4} {:>10} {:>6} {:>6} {:>6}",
        "capture", "flows", "win", "bytes", "alerts", "false", "v-as-a"
    );
    for name in &names {
        match measure(name, models.path()) {
            Ok(m) => {
                print(&m);
                measured.push(m);
            }
            Err(error) => failures.push(error),
        }
    }

    let (mut benign_bytes, mut benign_false) = (0u64, 0usize);
    for m in &measured {
        let i = &m.incidents;
        let name = &m.name;
        if m.ingest["flows"].as_u64().unwrap_or(0) == 0 {
            failures.push(format!("{name}: no flows read"));
        }
        // (a) Never a victim named as attacker, on any capture.
        let named = summaries(&i["victims_named_as_attackers"]);
        if !named.is_empty() {
            failures.push(format!("{name}: victims named as attackers: {named:?}"));
        }
        let per_attack = list(&i["per_attack"]);
        let labelled: Vec<&str> = m.labels.attacks.iter().map(|a| a.name.as_str()).collect();
        let reported: Vec<&str> = per_attack
            .iter()
            .map(|a| a["name"].as_str().unwrap_or_default())
            .collect();
        if labelled != reported {
            failures.push(format!(
                "{name}: eval reports attacks {reported:?}, the labels hold {labelled:?}"
            ));
        }
        if m.labels.capture.benign != m.labels.attacks.is_empty() {
            failures.push(format!(
                "{name}: benign = {} but {} attacks",
                m.labels.capture.benign,
                labelled.len()
            ));
        }
        // (c) Benign captures: false alerts counted together below.
        if m.labels.capture.benign {
            benign_bytes += i["bytes"].as_u64().unwrap_or(0);
            benign_false += list(&i["false_alerts"]).len();
            continue;
        }
        // (b) Attacks of the required classes: an alert whose incident names the attacker
        // first — or, for a known miss, still none. (d) Exfiltration: reported only.
        for attack in per_attack {
            let (attack_name, class) = (
                attack["name"].as_str().unwrap_or_default(),
                attack["class"].as_str().unwrap_or_default(),
            );
            if !REQUIRED.contains(&class) {
                continue;
            }
            let found = attack["detected"] == true && attack["attacker_named_first"] == true;
            let known = KNOWN_MISSES.contains(&(name.as_str(), attack_name));
            match (found, known) {
                (false, false) => failures.push(format!(
                    "{name}: {class} `{attack_name}` not detected by an alert naming its attacker first: {attack}"
                )),
                (true, true) => failures.push(format!(
                    "{name}: {class} `{attack_name}` is detected now: remove it from KNOWN_MISSES"
                )),
                // A known miss still raises an incident that names its attacker.
                (false, true) if attack["incident"] != true => failures.push(format!(
                    "{name}: {class} `{attack_name}` raises no incident naming its attacker: {attack}"
                )),
                _ => {}
            }
        }
    }
    let allowed = benign_bytes as f64 / 1e8;
    eprintln!(
        "benign: {benign_false} false alerts over {benign_bytes} bytes (at most {allowed:.2}); \
         {} captures in {:.1} s",
        measured.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        measured.iter().any(|m| m.labels.capture.benign)
            && measured.iter().any(|m| !m.labels.capture.benign),
        "captures of both kinds are needed"
    );
    if benign_false as f64 > allowed {
        failures.push(format!(
            "benign captures: {benign_false} false alerts over {benign_bytes} bytes, more than one per 100 MB"
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
