//! The flow graph autoencoder end to end: `netassure generate-flows` writes labelled traffic
//! with attacks, the host reads it with `--flows`, the `flow-gae` plugin sends every window to
//! the committed ONNX model through the `inference` import (ONNX Runtime loaded from the PyPI
//! wheel's library, on CPU), and the anomalies name the attackers and victims. `netassure eval`
//! measures the same file and draws its curves; `GET /models` and `/status` show the model and
//! the device.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Host, HostDirs, Options, cli_bin, plugin, wait_until};
use serde_json::Value;

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// Two office hours of 60 clients with a port scan, a brute force and a flood.
fn generate(path: &Path) {
    let output = Command::new(cli_bin())
        .args([
            "generate-flows",
            "--seed",
            "21",
            "--day",
            "5",
            "--start-hour",
            "9",
            "--minutes",
            "120",
        ])
        .args([
            "--clients",
            "60",
            "--episodes",
            "1",
            "--attacks",
            "PortScan,BruteForce,DDoS",
            "--out",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Source and destination addresses of the rows of attack `class`.
fn attack_hosts(path: &Path, class: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut hosts = BTreeSet::new();
    for line in text
        .lines()
        .skip(1)
        .filter(|line| line.ends_with(&format!(",{class}")))
    {
        let fields: Vec<&str> = line.split(',').collect();
        hosts.insert(fields[0].to_owned());
        hosts.insert(fields[2].to_owned());
    }
    hosts
}

#[test]
fn the_gae_plugin_finds_the_attacks_through_the_inference_service() {
    let dirs = HostDirs::new();
    dirs.add(&plugin("flow-gae"), "flow-gae");
    let flows = dirs.root.path().join("labelled.csv");
    generate(&flows);
    let extra = vec![
        "--models".into(),
        models_dir().display().to_string(),
        "--flows".into(),
        flows.display().to_string(),
    ];
    let host = Host::start(
        &dirs,
        Options {
            extra,
            ..Options::default()
        },
    );
    let (_, status) = host.get("/status");
    assert_eq!(
        status["inference"]["available"], true,
        "{}",
        status["inference"]
    );
    assert_eq!(status["inference"]["device"], "cpu");
    let (code, models) = host.get("/models");
    assert_eq!(code, 200);
    assert_eq!(models["models"][0]["name"], "flow-gae");
    assert!(models["models"][0]["card"]["threshold"].as_f64().unwrap() > 0.0);
    assert_eq!(models["models"][0]["card"]["inputs"][0]["name"], "flows");

    wait_until(Duration::from_secs(120), "the flow file to be read", || {
        host.get("/status").1["ingest"]["files"][0]["running"] == false
    });
    let windows = host.get("/status").1["ingest"]["files"][0]["windows"]
        .as_u64()
        .unwrap();
    wait_until(
        Duration::from_secs(120),
        "the plugin to score every window",
        || host.plugin("flow-gae")["calls"].as_u64() == Some(windows),
    );
    let detail = host.plugin("flow-gae");
    assert_eq!(
        (detail["failures"].as_u64(), detail["errors"].as_u64()),
        (Some(0), Some(0)),
        "{detail}"
    );

    let found = host.get("/anomalies?kind=flow-gae&limit=10000").1;
    let found = found.as_array().unwrap();
    let named: BTreeSet<String> = found
        .iter()
        .flat_map(|a| a["contributing_node_ids"].as_array().unwrap().iter())
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    for class in ["PortScan", "BruteForce", "DDoS"] {
        let hosts = attack_hosts(&flows, class);
        assert!(
            hosts.iter().any(|h| named.contains(h)),
            "no anomaly names a host of {class}"
        );
    }
    // The flood of thousands of sources is grouped at its victim, not one anomaly per source.
    assert!(found.len() < 300, "{} anomalies", found.len());
    host.stop();
}

#[test]
fn eval_reports_the_numbers_and_draws_the_curves() {
    let dir = tempfile::tempdir().unwrap();
    let flows = dir.path().join("labelled.csv");
    generate(&flows);
    let output = Command::new(cli_bin())
        .args(["--json", "eval", "--model", "flow-gae", "--flows"])
        .arg(&flows)
        .arg("--models-dir")
        .arg(models_dir())
        .arg("--plots")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["roc_auc"].as_f64().unwrap() > 0.95, "{report}");
    assert!(report["fpr"].as_f64().unwrap() < 0.05, "{report}");
    let classes: Vec<&str> = report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["BruteForce", "DDoS", "PortScan"]);
    let total: u64 = report["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, report["flows"].as_u64().unwrap());
    for name in ["flow-gae-roc.png", "flow-gae-pr.png"] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}");
        assert!(bytes.len() > 10_000, "{name} is {} bytes", bytes.len());
    }

    let missing = Command::new(cli_bin())
        .args(["eval", "--model", "nope", "--flows"])
        .arg(&flows)
        .arg("--models-dir")
        .arg(models_dir())
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("nope"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}
