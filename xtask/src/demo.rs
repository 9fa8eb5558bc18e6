//! `cargo xtask demo`: build host and plugins, start the host on the shipped example with the
//! shipped plugins — a leaf-spine fabric's event stream, and half an hour of synthetic labelled
//! NetFlow with attacks for the flow detectors and the GNN — show what they find, then keep
//! serving (or stop with `--once`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use crate::{build, cargo, ensure_wasm_target, root, run, target_dir};

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

/// What the flow detectors and the GNN found in the synthetic flows.
fn show_flows(agent: &ureq::Agent, base: &str) -> anyhow::Result<()> {
    println!("\nFlow detectors on the synthetic NetFlow (anomalies by kind):");
    for kind in [
        "port-scan",
        "super-spreader",
        "volumetric-ddos",
        "heavy-hitter",
        "top-talker",
        "flow-gae",
    ] {
        let found = get(agent, &format!("{base}/anomalies?kind={kind}&limit=1000"))?;
        let found = found.as_array().cloned().unwrap_or_default();
        let hosts: std::collections::BTreeSet<&str> = found
            .iter()
            .filter_map(|a| a["contributing_node_ids"][0].as_str())
            .collect();
        let shown: Vec<&str> = hosts.iter().take(4).copied().collect();
        println!("  {kind:<16} {:>4}  {}", found.len(), shown.join(", "));
    }
    let models = get(agent, &format!("{base}/models"))?;
    println!(
        "GNN model flow-gae on {} (threshold {:.3}); its strongest findings:",
        models["inference"]["device"].as_str().unwrap_or("?"),
        models["models"][0]["card"]["threshold"]
            .as_f64()
            .unwrap_or(0.0)
    );
    let mut gae = get(agent, &format!("{base}/anomalies?kind=flow-gae&limit=1000"))?
        .as_array()
        .cloned()
        .unwrap_or_default();
    gae.sort_by(|a, b| {
        b["score"]
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&a["score"].as_f64().unwrap_or(0.0))
    });
    for anomaly in gae.iter().take(5) {
        println!(
            "  {:.2}  {}",
            anomaly["score"].as_f64().unwrap_or(0.0),
            anomaly["description"].as_str().unwrap_or("")
        );
    }
    Ok(())
}

/// Half an hour of office traffic with a port scan, a flood, a brute force and an exfiltration.
fn generate_flows() -> anyhow::Result<std::path::PathBuf> {
    let path = target_dir().join("demo/flows.csv");
    run(Command::new(target_dir().join("release/netassure"))
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
        .arg(&path))?;
    Ok(path)
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
    run(cargo().args(["build", "--release", "-p", "netassure-host", "--bins"]))?;
    let plugins = prepare_plugins()?;
    let flows = generate_flows()?;
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
        .arg(root().join("models"))
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
        .and_then(|()| show_flows(&agent, &base));
    if once || outcome.is_err() {
        stop(&mut host)?;
        return outcome;
    }
    println!("\nThe host keeps running at {base} (admin token `{TOKEN}`). Try:");
    println!("  curl {base}/plugins/link-utilisation");
    println!(
        "  cargo run -q -p netassure-host --bin netassure -- --api {base} --token {TOKEN} plugins list"
    );
    println!("Ctrl-C stops it.");
    host.wait()?;
    Ok(())
}
