//! The real captures of `tests/fixtures/captures/` (nmap, hydra, ab, hping3, slowhttptest,
//! iodine and benign software): every scan and sweep's attacker is reported, nobody else is,
//! and the benign captures raise nothing. Skipped when the captures are not there.
//!
//! `campusgen_day` (ignored) replays a campusgen CSV named by `CAMPUSGEN_CSV`.

use std::collections::BTreeMap;

use netassure_plugin_sdk::Detector;

use super::replay::{self, Capture};
use super::{Config, SuperSpreader as Plugin};

/// The attack classes this detector finds.
const CLASSES: [&str; 2] = ["port-scan", "host-sweep"];

fn run(capture: &Capture) -> Vec<netassure_plugin_sdk::Finding> {
    let mut detector = Plugin::default();
    detector.configure(config()).unwrap();
    replay::replay(&mut detector, &capture.path)
}

/// The defaults, or the JSON object in `DETECTOR_CONFIG` (for exploring thresholds).
fn config() -> Config {
    std::env::var("DETECTOR_CONFIG")
        .map(|json| netassure_plugin_sdk::parse_config(&json).expect("DETECTOR_CONFIG"))
        .unwrap_or_default()
}

#[test]
fn real_captures() {
    let captures = replay::captures();
    if captures.is_empty() {
        eprintln!("no captures in tests/fixtures/captures: skipped");
        return;
    }
    let mut failures = Vec::new();
    for capture in &captures {
        let found = run(capture);
        let name = capture.path.file_name().unwrap().to_string_lossy();
        println!(
            "{name}: {} findings\n{}",
            found.len(),
            replay::summary(&found)
        );
        if capture.benign {
            if !found.is_empty() {
                failures.push(format!("{name}: benign, yet {} findings", found.len()));
            }
            continue;
        }
        for finding in &found {
            let named = replay::attackers(finding);
            let labelled = named.iter().all(|a| {
                capture
                    .attacks
                    .iter()
                    .any(|attack| attack.attackers.iter().any(|net| net.contains(a)))
            });
            if !labelled {
                failures.push(format!("{name}: {named:?} is no labelled attacker"));
            }
        }
        for attack in capture
            .attacks
            .iter()
            .filter(|a| CLASSES.contains(&a.class.as_str()))
        {
            let reported = found.iter().any(|f| {
                replay::attackers(f)
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

/// `CAMPUSGEN_CSV=/tmp/day.csv cargo test -p super-spreader campusgen -- --ignored --nocapture`
#[test]
#[ignore = "needs a campusgen CSV in CAMPUSGEN_CSV"]
fn campusgen_day() {
    let Ok(path) = std::env::var("CAMPUSGEN_CSV") else {
        eprintln!("CAMPUSGEN_CSV is not set");
        return;
    };
    let path = std::path::PathBuf::from(path);
    let capture = match std::env::var("CAMPUSGEN_LABELS") {
        Ok(labels) => replay::labelled(&path, labels.as_ref()),
        Err(_) => Capture {
            path,
            benign: false,
            attacks: Vec::new(),
        },
    };
    let found = run(&capture);
    print!("{}", replay::score_against(&capture, &found, &CLASSES));
    let mut per: BTreeMap<(String, String), (usize, f64, String)> = BTreeMap::new();
    for finding in &found {
        let key = (finding.kind.clone(), replay::attackers(finding).join(","));
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

/// `DUMP_FLOWS=FILE cargo test -p super-spreader dump -- --ignored --nocapture`: every flow
/// of FILE with what its attempt came to.
#[test]
#[ignore = "a tool: needs DUMP_FLOWS"]
fn dump() {
    let Ok(path) = std::env::var("DUMP_FLOWS") else {
        return;
    };
    let mut file = netassure_netflow::files::FlowFile::open(path.as_ref()).unwrap();
    file.for_each_window(replay::WINDOW_MS, 1_000_000, |window, _| {
        let batch = replay::batch_of(&window.flows);
        let slices = netassure_flowgraph::flow_slices!(batch);
        let conversations = netassure_flowgraph::Conversations::build(&slices);
        println!("window {}", window.start_ms);
        for (i, r) in batch.records().enumerate() {
            let attempt = conversations.attempt(&slices, i);
            println!(
                "  {}:{} -> {}:{} p{} f{:#04x} {}B {}pk {}ms {:?}",
                r.src,
                r.src_port,
                r.dst,
                r.dst_port,
                r.protocol,
                r.tcp_flags,
                r.bytes,
                r.packets,
                r.end_ms - r.start_ms,
                attempt
            );
        }
        Ok::<(), netassure_netflow::files::FlowFileError>(())
    })
    .unwrap();
}
