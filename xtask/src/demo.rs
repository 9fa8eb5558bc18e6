//! `cargo xtask demo`: build host and plugins, start the host on the shipped example with the
//! shipped plugins — a leaf-spine fabric's event stream, and half an hour of synthetic labelled
//! NetFlow with attacks for the flow detectors and the GNN — show what they find, then keep
//! serving (or stop with `--once`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use crate::{build, ensure_wasm_target, root, run, target_dir};

const TOKEN: &str = "demo-token";

fn prepare_plugins() -> anyhow::Result<std::path::PathBuf> {
    // Every demo starts from scratch: no topology, findings or plugin state from an earlier run.
    let data = target_dir().join("demo/data");
    if data.exists() {
        std::fs::remove_dir_all(&data)?;
    }
    let dir = target_dir().join("demo/plugins");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    for entry in std::fs::read_dir(target_dir().join("plugins"))? {
        let path = entry?.path();
        std::fs::copy(&path, dir.join(path.file_name().context("file name")?))?;
    }
    for entry in std::fs::read_dir(root().join("examples/demo-plugins"))? {
        let path = entry?.path();
        std::fs::copy(&path, dir.join(path.file_name().context("file name")?))?;
    }
    Ok(dir)
}

fn get(agent: &ureq::Agent, url: &str) -> anyhow::Result<Value> {
    Ok(agent.get(url).call()?.body_mut().read_json()?)
}

/// True when every source in `sources` (an `ingest` array of `/status`) has finished.
fn finished(sources: &Value) -> bool {
    sources
        .as_array()
        .is_some_and(|all| !all.is_empty() && all.iter().all(|source| source["running"] == false))
}

fn wait_for_replay(agent: &ureq::Agent, base: &str, host: &mut Child) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if let Some(status) = host.try_wait()? {
            bail!("the host exited early with {status}");
        }
        if let Ok(status) = get(agent, &format!("{base}/status")) {
            let windows = status["ingest"]["files"][0]["windows"].as_u64();
            let scored = get(agent, &format!("{base}/plugins/flow-gae"))
                .is_ok_and(|gae| gae["calls"].as_u64() == windows);
            if finished(&status["ingest"]["replay"])
                && finished(&status["ingest"]["files"])
                && scored
            {
                return Ok(());
            }
        }
        if started.elapsed() > Duration::from_secs(180) {
            bail!("the replay and the flow file were not done within three minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn post(agent: &ureq::Agent, url: &str, body: &Value) -> anyhow::Result<Value> {
    Ok(agent.post(url).send_json(body)?.body_mut().read_json()?)
}

/// What the graph plugins say about the demo fabric: the most central nodes and a what-if.
fn show_analytics(agent: &ureq::Agent, base: &str) -> anyhow::Result<()> {
    let top = serde_json::json!({ "params": { "top": 5 } });
    let result = post(
        agent,
        &format!("{base}/analysis/run/betweenness-centrality"),
        &top,
    )?;
    println!(
        "\nMost central nodes (betweenness-centrality plugin, topology version {}):",
        result["topology_version"]
    );
    for scored in result["node_scores"].as_array().into_iter().flatten() {
        println!(
            "  {:<12} {:.3}",
            scored["id"].as_str().unwrap_or("?"),
            scored["score"].as_f64().unwrap_or(0.0)
        );
    }
    let fail = serde_json::json!({ "fail": ["spine-2"] });
    let outcome = post(agent, &format!("{base}/analysis/what-if"), &fail)?;
    println!(
        "\nWhat if spine-2 fails too (what-if plugin)? {} node pair(s) lose reachability, cut off: {}; {:.1} Gb/s lost",
        outcome["lost_pairs"],
        outcome["cut_off"],
        outcome["lost_bps"].as_f64().unwrap_or(0.0) / 1e9
    );
    let plugins = get(agent, &format!("{base}/plugins"))?;
    println!("\nPlugins:");
    for plugin in plugins.as_array().into_iter().flatten() {
        println!(
            "  {:<24} {:<16} {:<9} calls {}",
            plugin["name"].as_str().unwrap_or("?"),
            plugin["kind"].as_str().unwrap_or("?"),
            plugin["status"].as_str().unwrap_or("?"),
            plugin["calls"]
        );
    }
    Ok(())
}

/// The alerts the demo raised about hosts, each with the incident behind it and the labelled
/// attack it is; then every labelled attack with how many alerts it got.
fn show_flows(agent: &ureq::Agent, base: &str, labels: &[DemoAttack]) -> anyhow::Result<()> {
    let incidents = get(agent, &format!("{base}/incidents?alerting=true&limit=1000"))?;
    let incidents = incidents.as_array().cloned().unwrap_or_default();
    println!("\nIncidents with an alert (attacker first, then victims and services):");
    let mut alerts_per_attack = vec![0usize; labels.len()];
    let mut unexplained = 0;
    for incident in &incidents {
        let matched: Vec<usize> = (0..labels.len())
            .filter(|&i| labels[i].matches(incident))
            .collect();
        for &i in &matched {
            alerts_per_attack[i] += 1;
        }
        let verdict = match matched.first() {
            Some(&i) => format!("= {}", labels[i].name),
            None => {
                unexplained += 1;
                "= NOT an attack".to_owned()
            }
        };
        println!(
            "  {:.2}  {}  [{}]  {verdict}",
            incident["score"].as_f64().unwrap_or(0.0),
            incident["summary"].as_str().unwrap_or(""),
            join(&incident["detectors"])
        );
        if let Some(flow) = incident["flows"][0].as_object() {
            let features: Vec<String> = flow["features"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    format!(
                        "{} {:.0} (expected {:.0})",
                        f["name"].as_str().unwrap_or("?"),
                        f["observed"].as_f64().unwrap_or(0.0),
                        f["expected"].as_f64().unwrap_or(0.0)
                    )
                })
                .collect();
            if !features.is_empty() {
                println!("        strongest flow: {}", features.join(", "));
            }
        }
    }
    println!("\nLabelled attacks of the demo traffic:");
    for (attack, alerts) in labels.iter().zip(&alerts_per_attack) {
        println!("  {:<18} {} alert(s)", attack.name, alerts);
    }
    let exact = alerts_per_attack.iter().all(|&n| n == 1);
    println!(
        "{} of {} alerts are real attacks; {}",
        incidents.len() - unexplained,
        incidents.len(),
        if exact {
            "every attack got exactly one alert"
        } else {
            "NOT every attack got exactly one alert"
        }
    );
    let models = get(agent, &format!("{base}/models"))?;
    println!(
        "GNN model flow-gae (of this network, scope {}) on {}, threshold {:.3}",
        models["models"][0]["card"]["scope"].as_str().unwrap_or("?"),
        models["inference"]["device"].as_str().unwrap_or("?"),
        models["models"][0]["card"]["threshold"]
            .as_f64()
            .unwrap_or(0.0)
    );
    Ok(())
}

fn join(list: &Value) -> String {
    let items: Vec<&str> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    items.join(", ")
}

/// An attack of the demo's labels file.
struct DemoAttack {
    name: String,
    attackers: Vec<String>,
    victims: Vec<String>,
}

impl DemoAttack {
    /// The attacks `netassure generate-flows --labels` wrote.
    fn read(path: &std::path::Path) -> anyhow::Result<Vec<DemoAttack>> {
        let labels: toml::Value = toml::from_str(&std::fs::read_to_string(path)?)?;
        let strings = |value: &toml::Value| -> Vec<String> {
            value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        Ok(labels["attack"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|attack| DemoAttack {
                name: attack["name"].as_str().unwrap_or("?").to_owned(),
                attackers: strings(&attack["attackers"]),
                victims: strings(&attack["victims"]),
            })
            .collect())
    }

    /// The incident names one of its attackers (or, for a distributed one, one of its victims).
    fn matches(&self, incident: &Value) -> bool {
        let named = |list: &Value, among: &[String]| {
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .any(|address| among.iter().any(|a| a == address))
        };
        named(&incident["attackers"], &self.attackers)
            || (incident["distributed"] == true && named(&incident["victims"], &self.victims))
    }
}

/// The demo network's own benign traffic (six office hours) and a model of it trained by
/// `netassure model train`; then half an hour of traffic with a port scan, a flood, a brute
/// force and an exfiltration, with its labels.
fn prepare_flows(
    models: &std::path::Path,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let cli = target_dir().join("release/netassure");
    let dir = target_dir().join("demo");
    let (train, flows, labels) = (
        dir.join("train.csv"),
        dir.join("flows.csv"),
        dir.join("flows.labels.toml"),
    );
    run(Command::new(&cli)
        .args([
            "generate-flows",
            "--seed",
            "3",
            "--start-hour",
            "6",
            "--minutes",
            "360",
        ])
        .args(["--clients", "100", "--attacks", "none", "--out"])
        .arg(&train))?;
    println!(
        "\nLearning the demo network (netassure model train, as a user would with its own traffic):"
    );
    run(Command::new(&cli)
        .args(["model", "train", "flow-gae", "--flows"])
        .arg(&train)
        .arg("--models-dir")
        .arg(models))?;
    run(Command::new(&cli)
        .args([
            "generate-flows",
            "--seed",
            "7",
            "--start-hour",
            "10",
            "--minutes",
            "30",
        ])
        .args(["--clients", "100", "--episodes", "1"])
        .args([
            "--attacks",
            "PortScan,DDoS,BruteForce,Exfiltration",
            "--out",
        ])
        .arg(&flows)
        .arg("--labels")
        .arg(&labels))?;
    Ok((flows, labels))
}

fn stop(host: &mut Child) -> anyhow::Result<()> {
    let _ = Command::new("kill")
        .args(["-TERM", &host.id().to_string()])
        .status();
    let started = Instant::now();
    while host.try_wait()?.is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            host.kill()?;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Run the demo.
pub fn demo(once: bool, listen: &str) -> anyhow::Result<()> {
    ensure_wasm_target()?;
    crate::models::ensure_onnxruntime("release")?;
    build::build_plugins(false)?;
    crate::build_binaries("release")?;
    let plugins = prepare_plugins()?;
    let models = target_dir().join("demo/data/models");
    let (flows, labels) = prepare_flows(&models)?;
    let attacks = DemoAttack::read(&labels)?;
    let events = root().join("examples/demo-events.jsonl");
    println!(
        "\nNetAssure demo: replaying {} and reading {} through the shipped plugins\n",
        events.display(),
        flows.display()
    );
    let mut host = Command::new(target_dir().join("release/netassure-host"))
        .arg("--plugins")
        .arg(&plugins)
        .arg("--data-dir")
        .arg(target_dir().join("demo/data"))
        .arg("--replay")
        .arg(&events)
        .arg("--flows")
        .arg(&flows)
        .arg("--models")
        .arg(&models)
        .args(["--print", "--listen", listen, "--admin-token", TOKEN])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .context("starting netassure-host")?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let base = format!("http://{listen}");
    let outcome = wait_for_replay(&agent, &base, &mut host)
        .and_then(|()| show_analytics(&agent, &base))
        .and_then(|()| show_flows(&agent, &base, &attacks));
    if once || outcome.is_err() {
        stop(&mut host)?;
        return outcome;
    }
    println!("\nThe host keeps running at {base} (admin token `{TOKEN}`). Try:");
    println!("  curl {base}/plugins/link-utilisation");
    println!(
        "  cargo run -q -p netassure-cli --bin netassure -- --api {base} --token {TOKEN} plugins list"
    );
    println!("Ctrl-C stops it.");
    host.wait()?;
    Ok(())
}
