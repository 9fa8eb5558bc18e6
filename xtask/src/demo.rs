//! `cargo xtask demo`: build host and plugins, start the host on the shipped example with the
//! shipped plugins, show what they find, then keep serving (or stop with `--once`).

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

fn wait_for_replay(agent: &ureq::Agent, base: &str, host: &mut Child) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if let Some(status) = host.try_wait()? {
            bail!("the host exited early with {status}");
        }
        if let Ok(status) = get(agent, &format!("{base}/status")) {
            let done = status["ingest"]["replay"]
                .as_array()
                .is_some_and(|ingest| ingest.iter().all(|source| source["running"] == false));
            if done
                && !status["ingest"]["replay"]
                    .as_array()
                    .is_some_and(Vec::is_empty)
            {
                return Ok(());
            }
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the replay did not finish within two minutes");
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
    build::build_plugins(false)?;
    run(cargo().args(["build", "--release", "-p", "netassure-host", "--bins"]))?;
    let plugins = prepare_plugins()?;
    let events = root().join("examples/demo-events.jsonl");
    println!(
        "\nNetAssure demo: replaying {} through the shipped plugins\n",
        events.display()
    );
    let mut host = Command::new(target_dir().join("release/netassure-host"))
        .arg("--plugins")
        .arg(&plugins)
        .arg("--data-dir")
        .arg(target_dir().join("demo/data"))
        .arg("--replay")
        .arg(&events)
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
    let outcome =
        wait_for_replay(&agent, &base, &mut host).and_then(|()| show_analytics(&agent, &base));
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
