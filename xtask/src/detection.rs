//! `cargo xtask bench-detection`: detection as a user meets it, on networks the shipped model
//! never saw — for each network, one benign day trains a model of it (`netassure model train`,
//! timed), then `netassure eval --labels` measures an attack day per flow (ROC-AUC, TPR at
//! FPR <= 1%, per class) and per incident with every shipped plugin on its defaults (recall,
//! precision, false alerts per benign hour), after the benign day went through the same stack
//! (`--warm-up`: the plugins' baselines learned as a host running since then would have them). Networks: the project's generator with another
//! seed, size and day (`generate-flows`), and an independently written campus generator
//! (`tools/campusgen`, two sites). Release build; results in `target/bench-detection/`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Context;

use crate::{root, run, target_dir};

/// One network: how to make its benign day and its attack day (with labels).
struct Network {
    name: &'static str,
    benign: Vec<String>,
    attack: Vec<String>,
    campus: bool,
}

fn networks() -> Vec<Network> {
    let flowsynth = |seed: &str, day: &str, clients: &str, attacks: &str| -> Vec<String> {
        [
            "--seed",
            seed,
            "--day",
            day,
            "--clients",
            clients,
            "--attacks",
            attacks,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let campus = |site: &str, seed: &str, start: &str, attacks: &str| -> Vec<String> {
        [
            "--site-seed",
            site,
            "--seed",
            seed,
            "--start",
            start,
            "--attacks",
            attacks,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    vec![
        Network {
            name: "flowsynth-200",
            benign: flowsynth("31", "8", "200", "none"),
            attack: flowsynth("32", "9", "200", "all"),
            campus: false,
        },
        Network {
            name: "flowsynth-120",
            benign: flowsynth("21", "4", "120", "none"),
            attack: flowsynth("22", "5", "120", "all"),
            campus: false,
        },
        Network {
            name: "campusgen-site0",
            benign: campus("0", "1", "2026-10-05T00:00:00Z", "none"),
            attack: campus("0", "2", "2026-10-07T00:00:00Z", "all"),
            campus: true,
        },
        Network {
            name: "campusgen-site1",
            benign: campus("1", "11", "2026-10-05T00:00:00Z", "none"),
            attack: campus("1", "12", "2026-10-07T00:00:00Z", "all"),
            campus: true,
        },
    ]
}

fn generate(cli: &Path, network: &Network, args: &[String], out: &Path) -> anyhow::Result<()> {
    let labels = out.with_extension("labels.toml");
    if network.campus {
        run(Command::new("python3")
            .arg(root().join("tools/campusgen/campusgen.py"))
            .args(args)
            .args(["--quiet", "--out"])
            .arg(out)
            .arg("--labels")
            .arg(&labels))
    } else {
        run(Command::new(cli)
            .arg("generate-flows")
            .args(args)
            .arg("--out")
            .arg(out)
            .arg("--labels")
            .arg(&labels))
    }
}

/// Run the benchmark; prints a summary and writes each report as JSON.
pub fn bench_detection() -> anyhow::Result<()> {
    crate::models::ensure_onnxruntime("release")?;
    crate::build::build_plugins(false)?;
    crate::build_binaries("release")?;
    let cli = target_dir().join("release/netassure");
    let out = target_dir().join("bench-detection");
    std::fs::create_dir_all(&out)?;
    let mut summary = Vec::new();
    for network in networks() {
        let dir = out.join(network.name);
        std::fs::create_dir_all(&dir)?;
        let (benign, attack) = (dir.join("benign.csv"), dir.join("attack.csv"));
        generate(&cli, &network, &network.benign, &benign)?;
        generate(&cli, &network, &network.attack, &attack)?;
        let models = dir.join("models");
        let started = Instant::now();
        run(Command::new(&cli)
            .args(["model", "train", "flow-gae", "--flows"])
            .arg(&benign)
            .arg("--models-dir")
            .arg(&models))?;
        let train_s = started.elapsed().as_secs_f64();
        let report = Command::new(&cli)
            .args(["--json", "eval", "--flows"])
            .arg(&attack)
            .arg("--labels")
            .arg(attack.with_extension("labels.toml"))
            // The benign day first, as a host running since then would have seen it.
            .arg("--warm-up")
            .arg(&benign)
            .arg("--models-dir")
            .arg(&models)
            .arg("--plugins")
            .arg(target_dir().join("plugins"))
            .arg("--plots")
            .arg(&dir)
            .output()
            .context("running netassure eval")?;
        anyhow::ensure!(
            report.status.success(),
            "{}",
            String::from_utf8_lossy(&report.stderr)
        );
        std::fs::write(dir.join("eval.json"), &report.stdout)?;
        let json: serde_json::Value = serde_json::from_slice(&report.stdout)?;
        summary.push(line(network.name, train_s, &json));
    }
    println!(
        "\n| network | training | ROC-AUC | TPR at FPR<=1% | attacks alerted | in incidents | alerts real | false alerts / benign h |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for row in &summary {
        println!("{row}");
    }
    std::fs::write(out.join("summary.md"), summary.join("\n"))?;
    Ok(())
}

fn line(name: &str, train_s: f64, json: &serde_json::Value) -> String {
    let (flows, at, incidents) = (
        &json["flows"],
        &json["flows_at_1pct_fpr"],
        &json["incidents"],
    );
    format!(
        "| {name} | {train_s:.0} s | {:.4} | {:.1}% (FPR {:.2}%) | {}/{} | {}/{} | {}/{} | {:.2} |",
        flows["roc_auc"].as_f64().unwrap_or(0.0),
        at["tpr"].as_f64().unwrap_or(0.0) * 100.0,
        at["fpr"].as_f64().unwrap_or(0.0) * 100.0,
        incidents["detected"],
        incidents["attacks"],
        incidents["in_incidents"],
        incidents["attacks"],
        incidents["true_alerts"],
        incidents["alerting_incidents"],
        incidents["false_alerts_per_benign_hour"]
            .as_f64()
            .unwrap_or(0.0)
    )
}
