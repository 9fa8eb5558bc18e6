//! The plugin directory is watched: a dropped file is loaded, a changed one hot-swapped, a
//! removed one unloaded, a manifest edit applied; one component runs as several named
//! instances; and everything comes back after a restart.

use std::time::Duration;

use crate::common::{
    self, Host, HostDirs, Options, fixture, output, plugin, telemetry, wait_until,
};
use serde_json::Value;

fn wait_for(host: &Host, what: &str, condition: impl Fn(&serde_json::Value) -> bool) {
    wait_until(Duration::from_secs(30), what, || {
        condition(&host.get("/plugins").1)
    });
}

fn names(plugins: &serde_json::Value) -> Vec<String> {
    plugins
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn directory_changes_apply_at_runtime_and_survive_a_restart() {
    let dirs = HostDirs::new();
    let host = Host::start(&dirs, Options::default());

    dirs.add(&plugin("link-utilisation"), "util-high");
    dirs.manifest("util-high", "[config]\nthreshold = 0.9\n");
    dirs.add(&plugin("link-utilisation"), "util-low");
    dirs.manifest("util-low", "[config]\nthreshold = 0.5\n");
    wait_for(&host, "two instances of one component", |plugins| {
        names(plugins) == ["util-high", "util-low"]
    });
    assert_eq!(host.plugin("util-high")["config"]["threshold"], 0.9);
    assert_eq!(host.plugin("util-low")["config"]["threshold"], 0.5);
    assert_eq!(
        host.plugin("util-high")["hash"],
        host.plugin("util-low")["hash"]
    );

    // Manifest edit: configuration applied in place.
    dirs.manifest("util-high", "[config]\nthreshold = 0.75\n");
    wait_until(Duration::from_secs(30), "the manifest change", || {
        host.plugin("util-high")["config"]["threshold"] == 0.75
    });
    // A broken manifest is reported and the running version kept.
    dirs.manifest("util-low", "[config\nthreshold = ");
    wait_until(Duration::from_secs(30), "the manifest error", || {
        host.get("/status").1["plugin_load_errors"]["util-low.wasm"].is_string()
    });
    assert_eq!(host.plugin("util-low")["config"]["threshold"], 0.5);
    dirs.manifest("util-low", "");
    wait_until(Duration::from_secs(30), "the manifest fix", || {
        host.plugin("util-low")["config"] == serde_json::json!({})
    });

    // Changed file: hot-swapped. Removed file: unloaded.
    dirs.add(&fixture("tagger-v1"), "util-low");
    wait_until(Duration::from_secs(30), "the swap", || {
        host.plugin("util-low")["swaps"] == 1
    });
    assert_eq!(host.plugin("util-low")["info"]["name"], "tagger");
    std::fs::remove_file(dirs.plugins().join("util-low.wasm")).unwrap();
    wait_for(&host, "the unload", |plugins| {
        names(plugins) == ["util-high"]
    });
    host.stop();

    // Restart: the directory is the source of truth.
    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    );
    assert_eq!(names(&host.get("/plugins").1), ["util-high"]);
    assert_eq!(host.plugin("util-high")["config"]["threshold"], 0.75);
    host.send(
        &serde_json::json!({"type": "snapshot", "nodes": [{"id": "a"}, {"id": "b"}],
            "links": [{"id": "a-b", "source": "a", "target": "b"}]}),
    );
    host.send(&telemetry("a-b", 0.8));
    host.finish_stdin();
    let found: Vec<_> = output(&dirs)
        .into_iter()
        .filter(|r| r["type"] == "anomaly")
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["detector"], "util-high");
}

/// Eight copies of a large shipped plugin as `PREFIX0.wasm`..`PREFIX7.wasm`, each made a
/// distinct component (compiled on its own) by a custom section of its own.
fn write_distinct_copies(dirs: &HostDirs, prefix: &str) {
    let component = std::fs::read(plugin("request-flood")).unwrap();
    let name = b"netassure-test-copy";
    for copy in 0..8u8 {
        let mut bytes = component.clone();
        bytes.extend_from_slice(&[0, (1 + name.len() + 1) as u8, name.len() as u8]);
        bytes.extend_from_slice(name);
        bytes.push(copy);
        std::fs::write(dirs.plugins().join(format!("{prefix}{copy}.wasm")), bytes).unwrap();
    }
}

/// The API answers while the plugin directory loads: `/status` is 503 `starting` (so a
/// readiness probe waits) until every plugin is in, then 200 — a slow directory (here: eight
/// distinct large components, none compiled yet) no longer keeps the host off the network.
#[test]
fn the_api_answers_while_the_plugins_load() {
    let dirs = HostDirs::new();
    write_distinct_copies(&dirs, "copy");
    let port = common::free_port();
    let mut child = std::process::Command::new(common::host_bin())
        .current_dir(dirs.root.path())
        .arg("--plugins")
        .arg(dirs.plugins())
        .arg("--data-dir")
        .arg(dirs.root.path().join("data"))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--admin-token",
            "a",
        ])
        .args(["--operator-token", "o"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let agent = common::agent();
    let mut answers = Vec::new();
    common::wait_until(Duration::from_secs(120), "/status 200", || {
        let Ok(mut response) = agent.get(format!("http://127.0.0.1:{port}/status")).call() else {
            return false;
        };
        let status = response.status().as_u16();
        let body: Value = response.body_mut().read_json().unwrap_or(Value::Null);
        answers.push((status, body["status"].as_str().unwrap_or("").to_owned()));
        status == 200
    });
    let loaded: Value = agent
        .get(format!("http://127.0.0.1:{port}/status"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(loaded["plugins"]["total"], 8, "{loaded}");
    assert_eq!(
        answers
            .first()
            .map(|(status, state)| (*status, state.as_str())),
        Some((503, "starting")),
        "{answers:?}"
    );
    assert_eq!(answers.last().map(|(status, _)| *status), Some(200));
}

/// A rescan validates changed files without the directory lock: while the watcher compiles
/// eight new large components, an install through the API is answered at once instead of
/// waiting for the whole rescan.
#[test]
fn an_install_does_not_wait_for_a_rescan_that_is_compiling() {
    let dirs = HostDirs::new();
    let host = Host::start(&dirs, Options::default());
    write_distinct_copies(&dirs, "late");
    // The rescan is under way: it has deployed its first copy, the others are still to compile.
    wait_until(Duration::from_secs(120), "the rescan's first copy", || {
        host.get("/status").1["plugins"]["total"].as_u64() >= Some(1)
    });
    let (status, answer) = host.install("quick", &fixture("tagger-v1"));
    assert_eq!(status, 201, "{answer}");
    let total = host.get("/status").1["plugins"]["total"].as_u64().unwrap();
    assert!(
        total < 9,
        "the install waited for the rescan: {total} plugins when it was answered"
    );
    wait_until(Duration::from_secs(120), "the rescan done", || {
        host.get("/status").1["plugins"]["total"] == 9
    });
}
