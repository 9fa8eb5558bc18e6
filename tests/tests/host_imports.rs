//! The host imports as a plugin sees them: `state` persists per plugin across restarts,
//! `metrics` shows up in `/metrics`, `graph` shows the current topology version.

use crate::common::{Host, HostDirs, Options, fixture, output, telemetry};

fn counted(dirs: &HostDirs) -> Vec<String> {
    output(dirs)
        .into_iter()
        .filter(|record| record["kind"] == "counted")
        .map(|record| record["description"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn state_persists_across_restarts_and_metrics_are_exported() {
    let dirs = HostDirs::new();
    dirs.add(&fixture("hostile"), "counter");
    dirs.manifest("counter", "[config]\nmode = \"count\"\n");
    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    );
    host.send(&serde_json::json!({"type": "snapshot", "nodes": [{"id": "a"}]}));
    for _ in 0..3 {
        host.send(&telemetry("x", 0.1));
    }
    host.finish_stdin();
    assert_eq!(
        counted(&dirs),
        [
            "count=1 topology=1",
            "count=2 topology=1",
            "count=3 topology=1"
        ]
    );
    let (_, metrics) = host.get("/metrics");
    let metrics = metrics.as_str().unwrap();
    assert!(
        metrics.contains(
            r#"netassure_plugin_counter_total{plugin="counter",name="events_counted"} 3"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"netassure_plugin_gauge{plugin="counter",name="last_count"} 3.0"#),
        "{metrics}"
    );
    host.stop();

    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    );
    host.send(&telemetry("x", 0.1));
    host.finish_stdin();
    assert_eq!(
        counted(&dirs).last().unwrap(),
        "count=4 topology=1",
        "plugin state and the topology survived the restart"
    );
}
