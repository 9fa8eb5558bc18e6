//! The flow graph autoencoder as a user meets it, end to end against the real host binary, the
//! real `flow-gae` plugin and ONNX Runtime (the PyPI wheel's library, on CPU):
//!
//! - a fresh host has no model of its network: the detector says `learning`, learns the
//!   network from the flows it sees, trains, checks and installs a model, and after a restart
//!   scores with it — its anomalies name the attackers of generated attacks;
//! - `netassure model train` does the same from files, and `netassure eval` measures the model
//!   per flow and the whole detection stack per incident against the attacks' labels;
//! - the generic model shipped in `models/` is used only when the user asks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::{self, Host, HostDirs, Options, cli_bin, plugin, wait_until};
use serde_json::Value;

fn shipped_models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")
}

fn run(args: &[&str], paths: &[&Path]) -> Value {
    run_command(Command::new(cli_bin()).args(args).args(paths))
}

/// Run `command` (a `netassure --json` call) to success; its JSON answer.
fn run_command(command: &mut Command) -> Value {
    let output = command.output().unwrap();
    let args: Vec<_> = command.get_args().collect();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
}

/// `minutes` of 60 clients from 09:00 of `day`: benign, or with a port scan, a brute force
/// and a flood (and their labels).
fn generate(path: &Path, day: &str, minutes: &str, attacks: bool) -> PathBuf {
    let labels = path.with_extension("labels.toml");
    let attacks = if attacks {
        "PortScan,BruteForce,DDoS"
    } else {
        "none"
    };
    run(
        &[
            "generate-flows",
            "--seed",
            "21",
            "--day",
            day,
            "--start-hour",
            "9",
            "--minutes",
            minutes,
            "--clients",
            "60",
            "--episodes",
            "1",
            "--attacks",
            attacks,
            "--out",
        ],
        &[path, Path::new("--labels"), &labels],
    );
    labels
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
    }
    hosts
}

fn flows_read(host: &Host) -> u64 {
    wait_until(Duration::from_secs(120), "the flow file to be read", || {
        host.get("/status").1["ingest"]["files"][0]["running"] == false
    });
    host.get("/status").1["ingest"]["files"][0]["windows"]
        .as_u64()
        .unwrap()
}

#[test]
fn the_host_learns_its_network_then_scores_with_the_model() {
    let dirs = HostDirs::new();
    dirs.add(&plugin("flow-gae"), "flow-gae");
    let benign = dirs.root.path().join("benign.csv");
    generate(&benign, "4", "45", false);
    let mut extra = dirs.config("[models.flow-gae]\nlearn = \"30m\"\n");
    extra.extend(["--flows".into(), benign.display().to_string()]);
    let host = Host::start(
        &dirs,
        Options {
            extra,
            ..Options::default()
        },
    );
    let windows = flows_read(&host);
    wait_until(
        Duration::from_secs(60),
        "the plugin to see every window",
        || host.plugin("flow-gae")["calls"].as_u64() == Some(windows),
    );
    let detail = host.plugin("flow-gae");
    assert_eq!(detail["health"]["state"], "learning", "{detail}");
    assert!(
        detail["health"]["reason"]
            .as_str()
            .unwrap()
            .contains("learning"),
        "{detail}"
    );
    wait_until(Duration::from_secs(300), "learning to finish", || {
        host.get("/status").1["inference"]["learning"]["flow-gae"]["stage"] == "done"
    });
    let (_, status) = host.get("/status");
    let learning = &status["inference"]["learning"]["flow-gae"];
    assert!(learning["windows"].as_u64().unwrap() > 100, "{learning}");
    assert!(
        learning["message"]
            .as_str()
            .unwrap()
            .contains("ONNX Runtime within"),
        "{learning}"
    );
    let (_, models) = host.get("/models");
    assert_eq!(models["models"][0]["card"]["scope"], "network", "{models}");
    assert!(
        host.get("/anomalies?kind=flow-gae")
            .1
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing is scored while learning"
    );
    host.stop();

    // After a restart the learned model is there: the attack day is scored with it.
    let attacks = dirs.root.path().join("attacks.csv");
    generate(&attacks, "5", "60", true);
    let extra = vec!["--flows".into(), attacks.display().to_string()];
    let host = Host::start(
        &dirs,
        Options {
            extra,
            ..Options::default()
        },
    );
    let windows = flows_read(&host);
    wait_until(
        Duration::from_secs(120),
        "the plugin to score every window",
        || host.plugin("flow-gae")["calls"].as_u64() == Some(windows),
    );
    let detail = host.plugin("flow-gae");
    assert_eq!(detail["health"]["state"], "ok", "{detail}");
    assert_eq!(detail["failures"], 0, "{detail}");
    let found = host.get("/anomalies?kind=flow-gae&limit=10000").1;
    let attackers: BTreeSet<String> = found
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["evidence"]["attackers"].as_array().unwrap().iter())
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    for class in ["PortScan", "BruteForce"] {
        let sources = attack_hosts(&attacks, class);
        assert!(
            sources.iter().any(|h| attackers.contains(h)),
            "no anomaly names the attacker of {class}"
        );
    }
    let evidence = &found[0]["evidence"];
    assert!(
        !evidence["flows"][0]["features"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{evidence}"
    );
    // The anomalies are evidence of incidents, one per attacker; REST and the CLI show them.
    let (code, incidents) = host.get("/incidents?limit=1000");
    assert_eq!(code, 200);
    let incidents = incidents.as_array().unwrap();
    let scanner = attack_hosts(&attacks, "PortScan");
    let scan = incidents
        .iter()
        .find(|i| scanner.contains(i["attackers"][0].as_str().unwrap()))
        .expect("an incident names the scanner first");
    let id = scan["incident_id"].as_str().unwrap();
    let (code, one) = host.get(&format!("/incidents/{id}"));
    assert_eq!((code, one["incident_id"].as_str()), (200, Some(id)));
    assert!(one["anomaly_count"].as_u64().unwrap() >= 1, "{one}");
    let output = Command::new(cli_bin())
        .args([
            "--api",
            &host.base,
            "--json",
            "incidents",
            "--limit",
            "1000",
        ])
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), incidents.len());
    assert_eq!(host.get("/incidents/nope").0, 404);
    host.stop();
}

#[test]
fn model_train_and_eval_per_flow_and_per_incident() {
    let dir = tempfile::tempdir().unwrap();
    let (benign, attacks) = (
        dir.path().join("benign.csv"),
        dir.path().join("attacks.csv"),
    );
    generate(&benign, "4", "120", false);
    let labels = generate(&attacks, "5", "60", true);
    let models = dir.path().join("models");
    let output = Command::new(cli_bin())
        .args(["model", "train", "flow-gae", "--flows"])
        .arg(&benign)
        .arg("--models-dir")
        .arg(&models)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("ONNX Runtime within"), "{text}");
    let card = std::fs::read_to_string(models.join("flow-gae.toml")).unwrap();
    assert!(card.contains("scope = \"network\""), "{card}");

    let plugins = common::plugins_dir();
    // `netassure eval` compiles the plugins into a cache in the temporary directory, shared by
    // every evaluation, the `real_captures` module's included (each artifact is written
    // whole under a name of its own, then renamed: `fsutil::write_atomic`).
    let eval = |more: &[&Path]| {
        let mut paths: Vec<&Path> = vec![
            &plugins,
            Path::new("--models-dir"),
            &models,
            Path::new("--plots"),
            dir.path(),
            Path::new("--flows"),
            &attacks,
            Path::new("--labels"),
            &labels,
        ];
        paths.extend_from_slice(more);
        run_command(
            Command::new(cli_bin())
                .args(["--json", "eval", "--model", "flow-gae", "--plugins"])
                .args(&paths),
        )
    };
    let report = eval(&[]);
    let flows = &report["flows"];
    assert!(flows["roc_auc"].as_f64().unwrap() > 0.95, "{flows}");
    let classes: Vec<&str> = flows["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["brute-force", "ddos", "port-scan"]);
    let incidents = &report["incidents"];
    assert_eq!(incidents["attacks"], 3, "{incidents}");
    assert_eq!(incidents["detected"], 3, "{incidents}");
    for attack in incidents["per_attack"].as_array().unwrap() {
        assert_eq!(attack["attacker_named_first"], true, "{attack}");
    }
    assert!(
        incidents["victims_named_as_attackers"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{incidents}"
    );
    for name in ["flow-gae-roc.png", "flow-gae-pr.png"] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}");
    }

    // The benign day read first (`--warm-up`): the same attacks found, and neither the
    // warm-up's traffic nor its incidents are counted.
    let warmed = eval(&[Path::new("--warm-up"), &benign]);
    let warmed = &warmed["incidents"];
    assert_eq!(
        (&warmed["attacks"], &warmed["detected"], &warmed["bytes"]),
        (
            &incidents["attacks"],
            &incidents["detected"],
            &incidents["bytes"]
        ),
        "{warmed}"
    );
    assert!(
        warmed["benign_hours"].as_f64() <= incidents["benign_hours"].as_f64(),
        "{warmed}"
    );
}

#[test]
fn a_generic_model_is_used_only_when_the_user_asks() {
    let dirs = HostDirs::new();
    dirs.add(&plugin("flow-gae"), "flow-gae");
    let attacks = dirs.root.path().join("attacks.csv");
    generate(&attacks, "5", "20", true);
    let start = |config: &str| {
        let mut extra = dirs.config(config);
        extra.extend([
            "--models".into(),
            shipped_models().display().to_string(),
            "--flows".into(),
            attacks.display().to_string(),
        ]);
        let host = Host::start(
            &dirs,
            Options {
                extra,
                ..Options::default()
            },
        );
        let windows = flows_read(&host);
        wait_until(Duration::from_secs(120), "every window", || {
            host.plugin("flow-gae")["calls"].as_u64() == Some(windows)
        });
        host
    };
    let host = start("[models.flow-gae]\nlearn = \"0\"\n");
    let (_, status) = host.get("/status");
    assert_eq!(status["plugins"]["degraded"], 1, "{status}");
    let reason = status["plugin_health"]["flow-gae"]["reason"]
        .as_str()
        .unwrap();
    assert!(reason.contains("not trained on this network"), "{reason}");
    assert!(
        host.get("/anomalies?kind=flow-gae")
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );
    host.stop();

    let host = start("[models.flow-gae]\nlearn = \"0\"\nuse_generic = true\n");
    assert_eq!(host.plugin("flow-gae")["health"]["state"], "ok");
    assert!(
        !host
            .get("/anomalies?kind=flow-gae")
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );
    host.stop();
}
