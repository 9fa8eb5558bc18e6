//! Topology versions, diffs, node lookups and utilisation history over REST — and all of it
//! again after a clean restart and after `kill -9`.

use std::time::Duration;

use crate::common::{Host, HostDirs, Options, events, wait_until};
use serde_json::{Value, json};

fn ids(items: &Value) -> Vec<String> {
    let mut ids: Vec<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            item.get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids
}

fn check_history(host: &Host) {
    let (status, versions) = host.get("/topology/versions");
    assert_eq!(status, 200);
    assert_eq!(versions["current"], 4, "{versions}");
    let listed: Vec<u64> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, [4, 3, 2, 1]);
    assert_eq!(
        versions["versions"][0]["timestamp"],
        "2026-09-21T14:13:50.000Z"
    );

    let (status, diff) = host.get("/topology/diff?from=1&to=4");
    assert_eq!(status, 200, "{diff}");
    assert_eq!(ids(&diff["nodes_added"]), ["d"]);
    assert_eq!(ids(&diff["nodes_removed"]), ["b"]);
    assert_eq!(ids(&diff["nodes_changed"]), ["c"]);
    assert_eq!(diff["nodes_changed"][0]["before"]["kind"], "");
    assert_eq!(
        diff["nodes_changed"][0]["after"]["attributes"],
        json!({"site": "dc2"})
    );
    assert_eq!(ids(&diff["links_added"]), ["c-d"]);
    assert_eq!(ids(&diff["links_removed"]), ["a-b", "b-c"]);
    assert_eq!(
        diff["links_removed"][0]["state"], "up",
        "removed links show their state at `from`"
    );
    let (_, diff) = host.get("/topology/diff?from=1&to=2");
    assert_eq!(ids(&diff["links_changed"]), ["a-b"]);
    assert_eq!(
        (
            diff["links_changed"][0]["before"]["state"].as_str(),
            diff["links_changed"][0]["after"]["state"].as_str()
        ),
        (Some("up"), Some("down"))
    );
    let (_, diff) = host.get("/topology/diff?from=3");
    assert_eq!(
        (diff["to"].as_u64(), ids(&diff["nodes_removed"])),
        (Some(4), vec!["b".to_owned()])
    );
    assert_eq!(
        host.get("/topology/diff?from=4&to=4").1["nodes_added"],
        json!([])
    );

    let (status, error) = host.get("/topology/diff?from=4&to=1");
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("bad_request"))
    );
    let (status, error) = host.get("/topology/diff?from=1&to=99");
    assert_eq!((status, error["error"].as_str()), (404, Some("not_found")));
    assert_eq!(host.get("/topology/diff").0, 400);
    assert_eq!(host.get("/topology/diff?from=abc").0, 400);

    let (status, node) = host.get("/topology/nodes/c");
    assert_eq!(status, 200);
    assert_eq!(node["neighbours"], json!(["d"]));
    assert_eq!(ids(&node["links"]), ["c-d"]);
    assert_eq!(host.get("/topology/nodes/b").0, 404);

    let (status, history) = host.get("/topology/links/c-d/history?since=2026-09-21T14:14:00.001Z");
    assert_eq!(status, 200, "{history}");
    let points: Vec<f64> = history["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["utilisation"].as_f64().unwrap())
        .collect();
    assert_eq!(points, [0.6], "{history}");
    let (_, history) = host.get("/topology/links/c-d/history?since=2026-09-21T16:13:00%2B02:00");
    assert_eq!(
        history["points"].as_array().unwrap().len(),
        2,
        "an offset is honoured: {history}"
    );
    let (_, history) = host.get("/topology/links/c-d/history");
    assert_eq!(history["points"].as_array().unwrap().len(), 2);
    let (status, error) = host.get("/topology/links/c-d/history?since=yesterday");
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("bad_request"))
    );
    assert_eq!(host.get("/topology/links/zz/history").0, 404);

    let (_, topology) = host.get("/topology");
    assert_eq!(
        (topology["version"].as_u64(), ids(&topology["nodes"])),
        (Some(4), vec!["a".into(), "c".into(), "d".into()])
    );
    assert_eq!(topology["links"][0]["utilisation"], 0.6);
}

/// The versions in the topology store's log on disk (`data/topology/log.jsonl`).
fn logged_versions(dirs: &HostDirs) -> Vec<u64> {
    let log = dirs.root.path().join("data/topology/log.jsonl");
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| entry["kind"] == "version")
        .filter_map(|entry| entry["version"].as_u64())
        .collect()
}

#[test]
fn history_and_diffs_survive_a_restart_and_a_kill() {
    let dirs = HostDirs::new();
    let replay = events("topology-history.jsonl");
    let mut host = Host::start(
        &dirs,
        Options {
            replay: Some(&replay),
            once: true,
            ..Options::default()
        },
    );
    assert!(host.wait_exit().success());

    let host = Host::start(&dirs, Options::default());
    check_history(&host);
    host.stop();

    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    );
    check_history(&host);
    host.send(&json!({"type": "delta", "timestamp_ms": 1790000200000u64, "changes": [{"op": "node-upsert", "node": {"id": "e"}}]}));
    host.send_raw("");
    wait_until(Duration::from_secs(30), "version 5", || {
        host.get("/topology/versions").1["current"] == 5
    });
    // Its log line reaches the OS (the store writes its log out every 100 ms) before kill -9.
    wait_until(
        Duration::from_secs(10),
        "version 5 in the topology log",
        || logged_versions(&dirs).contains(&5),
    );
    host.child.kill().unwrap();
    host.child.wait().unwrap();

    let host = Host::start(&dirs, Options::default());
    let (_, diff) = host.get("/topology/diff?from=4&to=5");
    assert_eq!(
        ids(&diff["nodes_added"]),
        ["e"],
        "the delta applied before kill -9 is back: {diff}"
    );
    let (_, diff) = host.get("/topology/diff?from=1&to=4");
    assert_eq!(ids(&diff["links_removed"]), ["a-b", "b-c"]);
}
