//! Graph analytics end to end, through the real host and the shipped plugins built for
//! wasm32-wasip2: every graph-algorithm plugin's answer over `POST /analysis/run/{plugin}`
//! equals networkx's (the committed fixtures of `tests/fixtures/graphs/`), past topology
//! versions, what-if, cascade and capacity on hand-checked cases, bad requests, and the
//! topology detectors (BGP route leaks in the example and injected by the simulator, none on
//! the clean fabric; a new single point of failure after a link goes down).

use std::collections::HashMap;
use std::time::Duration;

use crate::common::{self, Host, HostDirs, Options, SimulatorProcess, example, plugin, wait_until};
use serde_json::{Value, json};

const ALGORITHMS: [&str; 11] = [
    "degree-centrality",
    "betweenness-centrality",
    "closeness-centrality",
    "eigenvector-centrality",
    "pagerank",
    "louvain",
    "label-propagation",
    "connected-components",
    "articulation-points",
    "bridges",
    "k-shortest-paths",
];

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("fixtures/graphs/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn start(dirs: &HostDirs, plugins: &[&str]) -> Host {
    for name in plugins {
        dirs.add(&plugin(name), name);
    }
    Host::start(
        dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    )
}

/// The fixture's graph as one snapshot message.
fn snapshot_of(fixture: &Value) -> String {
    match &fixture["graph"] {
        Value::String(path) => {
            let text =
                std::fs::read_to_string(example(path.trim_start_matches("examples/"))).unwrap();
            serde_json::from_str::<Value>(&text).unwrap().to_string()
        }
        graph => {
            let nodes: Vec<Value> = graph["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| json!({"id": id}))
                .collect();
            let links: Vec<Value> = graph["links"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| json!({"id": l[0], "source": l[1], "target": l[2]}))
                .collect();
            json!({"type": "snapshot", "seq": 0, "timestamp_ms": 1_790_000_000_000u64, "nodes": nodes, "links": links}).to_string()
        }
    }
}

/// Send an example topology file (pretty-printed JSON) as one message.
fn send_example(host: &mut Host, name: &str) {
    let text = std::fs::read_to_string(example(name)).unwrap();
    host.send_raw(&serde_json::from_str::<Value>(&text).unwrap().to_string());
}

fn run(host: &Host, plugin: &str, body: Value) -> Value {
    let (status, answer) = host.post(
        &format!("/analysis/run/{plugin}"),
        body.to_string().as_bytes(),
        None,
    );
    assert_eq!(status, 200, "{plugin}: {answer}");
    answer
}

fn assert_scores(graph: &str, plugin: &str, answer: &Value, expected: &Value) {
    let expected = expected.as_object().unwrap();
    let scores = answer["node_scores"].as_array().unwrap();
    assert_eq!(
        scores.len(),
        expected.len(),
        "{graph}: {plugin} scores every node"
    );
    for scored in scores {
        let id = scored["id"].as_str().unwrap();
        let (ours, theirs) = (
            scored["score"].as_f64().unwrap(),
            expected[id].as_f64().unwrap(),
        );
        assert!(
            (ours - theirs).abs() <= 1e-9,
            "{graph}: {plugin} of {id}: {ours} vs networkx {theirs}"
        );
    }
}

fn sorted_strings(value: &Value) -> Vec<String> {
    let mut list: Vec<String> = serde_json::from_value(value.clone()).unwrap();
    list.sort();
    list
}

fn components(host: &Host, body: Value) -> f64 {
    run(host, "connected-components", body)["summary"]["components"]
        .as_f64()
        .unwrap()
}

fn check_against_networkx(host: &mut Host, name: &str) {
    let fixture = fixture(name);
    host.send_raw(&snapshot_of(&fixture));
    let nodes = fixture["degree"].as_object().unwrap().len();
    wait_until(Duration::from_secs(30), "the snapshot", || {
        host.get("/topology").1["nodes"]
            .as_array()
            .is_some_and(|n| n.len() == nodes)
    });
    let iterative = &fixture["parameters"]["iterative"];
    let tight =
        json!({"params": {"max_iterations": iterative["max_iter"], "tolerance": iterative["tol"]}});
    assert_scores(
        name,
        "degree",
        &run(host, "degree-centrality", json!({})),
        &fixture["degree"],
    );
    assert_scores(
        name,
        "betweenness",
        &run(host, "betweenness-centrality", json!({})),
        &fixture["betweenness"],
    );
    assert_scores(
        name,
        "closeness",
        &run(host, "closeness-centrality", json!({})),
        &fixture["closeness"],
    );
    assert_scores(
        name,
        "eigenvector",
        &run(host, "eigenvector-centrality", tight.clone()),
        &fixture["eigenvector"],
    );
    assert_scores(
        name,
        "pagerank",
        &run(host, "pagerank", tight),
        &fixture["pagerank"],
    );

    let mut components: Vec<Vec<String>> = run(host, "connected-components", json!({}))["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(sorted_strings)
        .collect();
    components.sort();
    let expected: Vec<Vec<String>> = serde_json::from_value(fixture["components"].clone()).unwrap();
    assert_eq!(components, expected, "{name}: components");
    let points = run(host, "articulation-points", json!({}));
    assert_eq!(
        sorted_strings(&points["items"]),
        sorted_strings(&fixture["articulation_points"]),
        "{name}"
    );
    let bridges = run(host, "bridges", json!({}));
    assert_eq!(
        sorted_strings(&bridges["items"]),
        sorted_strings(&fixture["bridges"]),
        "{name}"
    );

    let seed = &fixture["parameters"]["louvain_seed"];
    let louvain = run(host, "louvain", json!({"params": {"seed": seed}}));
    let (ours, theirs) = (
        louvain["summary"]["modularity"].as_f64().unwrap(),
        fixture["louvain_modularity"].as_f64().unwrap(),
    );
    assert!(
        ours >= theirs - 0.01,
        "{name}: Louvain modularity {ours} vs networkx {theirs}"
    );
    let lpa = run(host, "label-propagation", json!({}));
    let (ours, theirs) = (
        lpa["summary"]["modularity"].as_f64().unwrap(),
        fixture["label_propagation_modularity"].as_f64().unwrap(),
    );
    assert!(
        ours >= theirs - 0.01,
        "{name}: label propagation modularity {ours} vs networkx {theirs}"
    );

    for case in fixture["k_shortest_paths"].as_array().unwrap() {
        let answer = run(
            host,
            "k-shortest-paths",
            json!({"params": {"source": case["source"], "target": case["target"], "k": case["k"]}}),
        );
        let lengths: Vec<u64> = answer["paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_array().unwrap().len() as u64 - 1)
            .collect();
        let expected: Vec<u64> = serde_json::from_value(case["lengths"].clone()).unwrap();
        assert_eq!(lengths, expected, "{name}: k shortest paths {case}");
    }
}

#[test]
fn every_graph_algorithm_plugin_matches_networkx_and_reads_past_versions() {
    let dirs = HostDirs::new();
    let mut host = start(&dirs, &ALGORITHMS);
    for name in [
        "bgp-leak-topology",
        "random-barabasi-500",
        "random-sparse-200",
    ] {
        check_against_networkx(&mut host, name);
    }
    // A past version: the sparse graph's components before a link of it goes away.
    let now = host.get("/topology").1["version"].as_u64().unwrap();
    let before = components(&host, json!({}));
    let bridge = fixture("random-sparse-200")["bridges"][0].clone();
    host.send_raw(&json!({"type": "delta", "seq": 1, "timestamp_ms": 1_790_000_001_000u64, "changes": [{"op": "link-remove", "id": bridge}]}).to_string());
    wait_until(Duration::from_secs(30), "the delta", || {
        host.get("/topology").1["version"].as_u64() == Some(now + 1)
    });
    assert_eq!(
        components(&host, json!({})),
        before + 1.0,
        "a bridge removed splits a component"
    );
    assert_eq!(
        components(&host, json!({"version": now})),
        before,
        "version {now} is as it was"
    );
    let (status, answer) = host.post("/analysis/run/bridges", br#"{"version": 99999}"#, None);
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown_version")),
        "{answer}"
    );
    let (status, answer) = host.post(
        "/analysis/run/pagerank",
        br#"{"params": {"alpha": 2}}"#,
        None,
    );
    assert_eq!(
        (status, answer["error"].as_str()),
        (422, Some("plugin_error")),
        "{answer}"
    );
    assert!(
        answer["detail"].as_str().unwrap().contains("alpha"),
        "{answer}"
    );
    let (status, answer) = host.post("/analysis/run/bridges", br#"{"params": {"nope": 1}}"#, None);
    assert_eq!(status, 422, "unknown parameters are refused: {answer}");
}

/// A square r1-r2-r3-r4-r1 of 10 Gb/s links with measured utilisation, and a tail r4-r5.
fn square() -> String {
    let link = |id: &str, s: &str, t: &str, u: f64| json!({"id": id, "source": s, "target": t, "capacity_bps": 10_000_000_000u64, "utilisation": u});
    let nodes: Vec<Value> = ["r1", "r2", "r3", "r4", "r5"]
        .iter()
        .map(|id| json!({"id": id}))
        .collect();
    json!({"type": "snapshot", "seq": 0, "timestamp_ms": 1_790_000_000_000u64, "nodes": nodes, "links": [
        link("r1-r2", "r1", "r2", 0.6), link("r2-r3", "r2", "r3", 0.3), link("r3-r4", "r3", "r4", 0.2),
        link("r4-r1", "r4", "r1", 0.5), link("r4-r5", "r4", "r5", 0.1)]})
    .to_string()
}

#[test]
fn what_if_cascade_and_capacity_on_hand_checked_cases() {
    let dirs = HostDirs::new();
    let mut host = start(&dirs, &["what-if", "cascade", "capacity-planning"]);
    host.send_raw(&square());
    wait_until(Duration::from_secs(30), "the square", || {
        host.get("/topology").1["version"].as_u64() == Some(1)
    });

    let (status, outcome) = host.post("/analysis/what-if", br#"{"fail": ["r1-r2"]}"#, None);
    assert_eq!(status, 200, "{outcome}");
    // 6 Gb/s of r1-r2 goes r1-r4-r3-r2: r4-r1 carries 5 + 6 on 10.
    assert_eq!(
        outcome["rerouted"],
        json!([{"link_id": "r1-r2", "path": ["r1", "r4", "r3", "r2"]}])
    );
    assert_eq!(outcome["overloaded_links"], json!(["r4-r1"]));
    assert_eq!(
        (
            outcome["lost_pairs"].as_u64(),
            outcome["rerouted_bps"].as_f64()
        ),
        (Some(0), Some(6e9))
    );
    let after: HashMap<String, f64> = outcome["utilisation_after"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["link_id"].as_str().unwrap().to_owned(),
                l["utilisation"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(
        (after["r4-r1"] - 1.1).abs() < 1e-9 && (after["r2-r3"] - 0.9).abs() < 1e-9,
        "{after:?}"
    );

    // The CLI asks the same question.
    let output = std::process::Command::new(common::cli_bin())
        .args([
            "--api", &host.base, "--json", "analysis", "what-if", "--fail", "r1-r2",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let from_cli: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(from_cli["overloaded_links"], json!(["r4-r1"]));
    let output = std::process::Command::new(common::cli_bin())
        .args([
            "--api",
            &host.base,
            "analysis",
            "cascade",
            "--tolerance",
            "0.1",
            "--fail",
            "r1",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("step 1: r3"), "{text}");

    let (_, outcome) = host.post("/analysis/what-if", br#"{"fail": ["r4"]}"#, None);
    // r1, r2, r3, r5 were 6 pairs; after: r1-r2-r3 (3 pairs) and r5 alone.
    assert_eq!(
        (outcome["lost_pairs"].as_u64(), &outcome["cut_off"]),
        (Some(3), &json!([["r5"]])),
        "{outcome}"
    );

    let (status, cascade) = host.post(
        "/analysis/cascade",
        br#"{"tolerance": 0.1, "fail": ["r1"]}"#,
        None,
    );
    assert_eq!(status, 200, "{cascade}");
    // Loads (ordered pairs): r1 2, r2 1, r3 2, r4 7, r5 0. Without r1 the square is the path
    // r2-r3-r4-r5: r3 carries 4 > 2.2 and fails, r4 carries 4 < 7.7 and holds; then nothing
    // is over capacity, and the largest piece is r4-r5: 2 of 5 nodes.
    assert_eq!(
        cascade["steps"][0],
        json!({"step": 0, "failed": ["r1"]}),
        "{cascade}"
    );
    assert_eq!(cascade["steps"][1]["failed"], json!(["r3"]), "{cascade}");
    assert_eq!(cascade["steps"].as_array().unwrap().len(), 2, "{cascade}");
    assert_eq!(cascade["largest_component_fraction"], 0.4, "{cascade}");
    let (_, loose) = host.post(
        "/analysis/cascade",
        br#"{"tolerance": 10, "fail": ["r1"]}"#,
        None,
    );
    assert_eq!(loose["steps"].as_array().unwrap().len(), 1, "{loose}");

    // Utilisation of r2-r3 rising 1 point a day for 10 days: 0.30 .. 0.39, 0.8 in 41 days.
    for day in 0..10u64 {
        let sample = json!({"type": "telemetry", "timestamp_ms": 1_790_000_000_000u64 + day * 86_400_000, "subject": "r2-r3", "metric": "utilisation", "value": 0.30 + 0.01 * day as f64});
        host.send_raw(&sample.to_string());
    }
    wait_until(Duration::from_secs(30), "the capacity outlook", || {
        host.get("/analysis/capacity").1["links"]
            .as_array()
            .is_some_and(|links| {
                links
                    .iter()
                    .any(|l| l["link_id"] == "r2-r3" && l["samples"].as_u64() >= Some(10))
            })
    });
    let (status, outlook) = host.get("/analysis/capacity?threshold=0.8");
    assert_eq!(status, 200, "{outlook}");
    let link = outlook["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["link_id"] == "r2-r3")
        .unwrap();
    assert!(
        (link["trend_per_day"].as_f64().unwrap() - 0.01).abs() < 1e-6,
        "{link}"
    );
    assert!(
        (link["days_to_threshold"].as_f64().unwrap() - 41.0).abs() < 0.5,
        "{link}"
    );

    for (path, body, status, code) in [
        ("/analysis/what-if", &b"{}"[..], 400, "bad_request"),
        (
            "/analysis/what-if",
            br#"{"fail": ["nowhere"]}"#,
            422,
            "plugin_error",
        ),
        (
            "/analysis/what-if",
            br#"{"fail": "r1"}"#,
            400,
            "bad_request",
        ),
        (
            "/analysis/cascade",
            br#"{"tolerance": -1}"#,
            422,
            "plugin_error",
        ),
        (
            "/analysis/cascade",
            br#"{"tolerence": 1}"#,
            400,
            "bad_request",
        ),
    ] {
        let (got, answer) = host.post(path, body, None);
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{path} {}: {answer}",
            String::from_utf8_lossy(body)
        );
        assert!(!answer["detail"].as_str().unwrap().is_empty());
    }
    let (status, answer) = host.get("/analysis/capacity?since=yesterday");
    assert_eq!(status, 400, "{answer}");
}

#[test]
fn analyses_without_their_plugin_say_which_plugin_is_missing() {
    let dirs = HostDirs::new();
    let host = start(&dirs, &[]);
    let (status, answer) = host.post("/analysis/what-if", br#"{"fail": ["x"]}"#, None);
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("analysis_unavailable")),
        "{answer}"
    );
    assert!(
        answer["detail"].as_str().unwrap().contains("`what-if`"),
        "{answer}"
    );
}

fn anomalies_of(host: &Host, kind: &str) -> Vec<Value> {
    host.get(&format!("/anomalies?kind={kind}"))
        .1
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn route_leaks_are_found_in_the_example_and_when_injected_and_never_on_the_clean_fabric() {
    let dirs = HostDirs::new();
    let mut host = start(&dirs, &["bgp-route-leak"]);
    send_example(&mut host, "clos-fabric.json");
    send_example(&mut host, "bgp-leak-topology.json");
    wait_until(Duration::from_secs(30), "the leak", || {
        !anomalies_of(&host, "bgp-route-leak").is_empty()
    });
    host.finish_stdin();
    let leaks = anomalies_of(&host, "bgp-route-leak");
    assert_eq!(
        leaks.len(),
        1,
        "only the documented leak, nothing on the fabric: {leaks:?}"
    );
    assert_eq!(
        leaks[0]["contributing_node_ids"],
        json!(["stub-1", "transit-2"]),
        "{}",
        leaks[0]
    );

    // Injected by the simulator: every injection is a stub re-announcing one provider's route
    // to its other provider.
    let simulator = SimulatorProcess::start(&[
        "--topology",
        example("bgp-leak-topology.json").to_str().unwrap(),
        "--fault",
        "route-leak",
        "--fault-every",
        "0.2",
        "--seed",
        "7",
    ]);
    let dirs = HostDirs::new();
    dirs.add(&plugin("bgp-route-leak"), "bgp-route-leak");
    let host = Host::start(
        &dirs,
        Options {
            extra: vec!["--topology-ws".into(), simulator.url.clone()],
            ..Options::default()
        },
    );
    wait_until(Duration::from_secs(60), "injected leaks", || {
        anomalies_of(&host, "bgp-route-leak").len() >= 3
    });
    for leak in anomalies_of(&host, "bgp-route-leak") {
        let description = leak["description"].as_str().unwrap();
        assert!(description.contains("not valley-free"), "{description}");
        let leaker = leak["contributing_node_ids"][0].as_str().unwrap();
        assert!(
            leaker.starts_with("stub-") || leaker.starts_with("transit-"),
            "{leak}"
        );
    }
}

#[test]
fn a_link_going_down_makes_new_single_points_of_failure_and_shifts_centrality() {
    let dirs = HostDirs::new();
    let mut host = start(&dirs, &["spof-watch", "centrality-shift"]);
    send_example(&mut host, "topology-snapshot.json");
    host.send_raw(r#"{"type":"delta","seq":1,"timestamp_ms":1790000001000,"changes":[{"op":"link-state","id":"r1-r2","state":"down"}]}"#);
    wait_until(
        Duration::from_secs(30),
        "the new single points of failure",
        || anomalies_of(&host, "new-bridge").len() == 3,
    );
    let mut points: Vec<String> = anomalies_of(&host, "new-articulation-point")
        .iter()
        .map(|a| a["contributing_node_ids"][0].as_str().unwrap().to_owned())
        .collect();
    points.sort();
    assert_eq!(points, ["r3", "r4"], "the ring became the path r2-r3-r4-r1");
    // Betweenness in the ring: 1/6 each; on the path r3 and r4 carry 4 of 6 ordered pairs.
    wait_until(Duration::from_secs(30), "the centrality shift", || {
        anomalies_of(&host, "centrality-shift").len() == 2
    });
    let mut shifted: Vec<String> = anomalies_of(&host, "centrality-shift")
        .iter()
        .map(|a| a["contributing_node_ids"][0].as_str().unwrap().to_owned())
        .collect();
    shifted.sort();
    assert_eq!(shifted, ["r3", "r4"]);
}
