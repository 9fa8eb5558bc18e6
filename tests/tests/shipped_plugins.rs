//! Each shipped plugin, built for real, runs through the real host on fixture events.

use crate::common::{self, Host, HostDirs, Options, events, output, plugin};
use serde_json::Value;

fn start_with_shipped_plugins(dirs: &HostDirs, options: Options<'_>) -> Host {
    for name in ["link-utilisation", "degree-centrality", "severity-mapping"] {
        dirs.add(&plugin(name), name);
    }
    Host::start(dirs, options)
}

#[test]
fn detector_and_alert_rule_turn_the_fixture_into_the_expected_findings() {
    let dirs = HostDirs::new();
    let replay = events("fabric.jsonl");
    let mut host = start_with_shipped_plugins(
        &dirs,
        Options {
            replay: Some(&replay),
            once: true,
            ..Options::default()
        },
    );
    assert!(
        host.wait_exit().success(),
        "the host exits cleanly after --once"
    );

    let records = output(&dirs);
    let anomalies: Vec<&Value> = records.iter().filter(|r| r["type"] == "anomaly").collect();
    let alerts: Vec<&Value> = records.iter().filter(|r| r["type"] == "alert").collect();
    let links: Vec<&str> = anomalies
        .iter()
        .map(|a| a["contributing_link_ids"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        links,
        ["r1-r2", "r2-r3", "r1-r2", "r3-r4", "zz"],
        "anomalies: {anomalies:#?}"
    );
    let scores: Vec<f64> = anomalies
        .iter()
        .map(|a| a["score"].as_f64().unwrap())
        .collect();
    for (score, expected) in scores.iter().zip([0.8, 0.525, 0.975, 1.0, 0.65]) {
        assert!((score - expected).abs() < 1e-9, "scores {scores:?}");
    }
    assert_eq!(
        anomalies[0]["contributing_node_ids"],
        serde_json::json!(["r1", "r2"])
    );
    assert_eq!(anomalies[0]["kind"], "link-over-utilised");
    assert_eq!(anomalies[0]["detector"], "link-utilisation");
    assert_eq!(anomalies[0]["symptom"]["action"], "exceeded");
    assert_eq!(
        anomalies[4]["contributing_node_ids"],
        serde_json::json!([]),
        "an unknown link has no nodes"
    );

    let severities: Vec<&str> = alerts
        .iter()
        .map(|a| a["severity"].as_str().unwrap())
        .collect();
    assert_eq!(
        severities,
        ["major", "warning", "critical", "critical", "minor"],
        "alerts: {alerts:#?}"
    );
    assert_eq!(alerts[0]["node_id"], "r1");
    assert_eq!(alerts[0]["dedup_key"], "link-over-utilised:r1-r2");
    assert_eq!(alerts[0]["rule"], "severity-mapping");
    assert_eq!(alerts[0]["anomaly_id"], anomalies[0]["anomaly_id"]);
}

#[test]
fn graph_algorithm_runs_on_the_current_topology_through_rest() {
    let dirs = HostDirs::new();
    let replay = events("fabric.jsonl");
    let host = start_with_shipped_plugins(
        &dirs,
        Options {
            replay: Some(&replay),
            ..Options::default()
        },
    );
    common::wait_until(std::time::Duration::from_secs(60), "the replay", || {
        host.get("/status").1["ingest"]["replay"][0]["running"] == false
    });
    let (status, result) = host.post(
        "/analysis/run/degree-centrality",
        br#"{"params": {"top": 3}}"#,
        None,
    );
    assert_eq!(status, 200, "{result}");
    let ids: Vec<&str> = result["node_scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["r3", "r1", "r2"]);
    let scores: Vec<f64> = result["node_scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["score"].as_f64().unwrap())
        .collect();
    assert!(
        (scores[0] - 1.0).abs() < 1e-12 && (scores[1] - 2.0 / 3.0).abs() < 1e-12,
        "{scores:?}"
    );
    assert_eq!(
        result["topology_version"], 2,
        "the snapshot and the one delta each make a version; telemetry updates links in place"
    );

    let (status, error) = host.post(
        "/analysis/run/degree-centrality",
        br#"{"params": {"top": "many"}}"#,
        None,
    );
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"], "plugin_error");
    let (status, error) = host.post("/analysis/run/link-utilisation", b"", None);
    assert_eq!((status, error["error"].as_str()), (422, Some("wrong_kind")));
    let (status, error) = host.post("/analysis/run/degree-centrality", b"{not json", None);
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("bad_request"))
    );
}

#[test]
fn topology_health_reports_links_down_and_isolated_nodes() {
    let dirs = HostDirs::new();
    dirs.add(&plugin("topology-health"), "topology-health");
    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    );
    host.send(&serde_json::json!({"type": "snapshot", "nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "links": [{"id": "a-b", "source": "a", "target": "b"}, {"id": "b-c", "source": "b", "target": "c"}]}));
    host.send(&serde_json::json!({"type": "delta", "changes": [{"op": "link-state", "id": "a-b", "state": "down"}]}));
    host.send(&serde_json::json!({"type": "delta", "changes": [{"op": "link-state", "id": "a-b", "state": "down"}]}));
    host.send(&serde_json::json!({"type": "delta", "changes": [{"op": "node-upsert", "node": {"id": "c", "state": "down"}}]}));
    host.finish_stdin();
    let found: Vec<(String, Vec<Value>)> = output(&dirs)
        .into_iter()
        .filter(|r| r["type"] == "anomaly")
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["contributing_node_ids"].as_array().unwrap().clone(),
            )
        })
        .collect();
    // The graph a detector reads may already be newer than the event it handles, so the order
    // of the reports may vary; each is made exactly once.
    let mut found = found;
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let kinds: Vec<&str> = found.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["link-down", "node-down", "node-isolated"],
        "{found:?}"
    );
    assert_eq!(found[0].1, [Value::from("a"), Value::from("b")]);
    assert_eq!(found[2].1, [Value::from("a")]);
}

#[test]
fn maintenance_window_and_throttle_rules_decide_through_the_host() {
    let dirs = HostDirs::new();
    dirs.add(&plugin("link-utilisation"), "link-utilisation");
    dirs.add(&plugin("maintenance-window"), "maintenance-window");
    dirs.manifest(
        "maintenance-window",
        "[config]\n[[config.windows]]\nsubjects = [\"r1-r2\"]\nstart_ms = 0\nend_ms = 99999999999999\n",
    );
    dirs.add(&plugin("alert-throttle"), "alert-throttle");
    dirs.manifest("alert-throttle", "[config]\nwindow_s = 3600\n");
    let replay = events("fabric.jsonl");
    let mut host = Host::start(
        &dirs,
        Options {
            replay: Some(&replay),
            once: true,
            ..Options::default()
        },
    );
    assert!(host.wait_exit().success());
    let alerts = |rule: &str| -> Vec<String> {
        let mut keys: Vec<String> = output(&dirs)
            .into_iter()
            .filter(|r| r["type"] == "alert" && r["rule"] == rule)
            .map(|r| r["dedup_key"].as_str().unwrap().to_owned())
            .collect();
        keys.sort();
        keys
    };
    let silenced = alerts("maintenance-window");
    assert_eq!(
        silenced,
        [
            "link-over-utilised:r2-r3",
            "link-over-utilised:r3-r4",
            "link-over-utilised:zz"
        ],
        "r1-r2 is in maintenance"
    );
    let throttled = alerts("alert-throttle");
    assert_eq!(
        throttled,
        [
            "link-over-utilised:r1-r2",
            "link-over-utilised:r2-r3",
            "link-over-utilised:r3-r4",
            "link-over-utilised:zz"
        ],
        "the second r1-r2 anomaly is throttled"
    );
}
