//! The plugin directory is watched: a dropped file is loaded, a changed one hot-swapped, a
//! removed one unloaded, a manifest edit applied; one component runs as several named
//! instances; and everything comes back after a restart.

mod common;

use std::time::Duration;

use common::{Host, HostDirs, Options, fixture, output, plugin, telemetry, wait_until};

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
