//! Every algorithm against networkx: the fixtures in `tests/fixtures/graphs/` hold networkx's
//! results on every example topology and on seeded random graphs (made by
//! `make_fixtures.py` there). Float scores agree within 1e-9; components, articulation points
//! and bridges are the same sets; k-shortest path lengths are the same; Louvain and label
//! propagation find partitions with modularity no worse than networkx's by more than 0.01.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use netassure_analytics::{Network, centrality, community, connectivity, paths};
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fixture's graph: node ids, link ids (of links between known nodes) and the network.
struct Loaded {
    ids: Vec<String>,
    link_ids: Vec<String>,
    network: Network,
}

fn load(fixture: &Value) -> Loaded {
    let (nodes, links): (Vec<String>, Vec<(String, String, String)>) = match &fixture["graph"] {
        Value::String(path) => {
            let snapshot: Value =
                serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap();
            let nodes = snapshot["nodes"].as_array().unwrap();
            let links = snapshot["links"].as_array().unwrap();
            (
                nodes
                    .iter()
                    .map(|n| n["id"].as_str().unwrap().to_owned())
                    .collect(),
                links
                    .iter()
                    .map(|l| {
                        let text = |key: &str| l[key].as_str().unwrap().to_owned();
                        (text("id"), text("source"), text("target"))
                    })
                    .collect(),
            )
        }
        embedded => (
            serde_json::from_value(embedded["nodes"].clone()).unwrap(),
            serde_json::from_value(embedded["links"].clone()).unwrap(),
        ),
    };
    let index: HashMap<&str, u32> = nodes
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i as u32))
        .collect();
    let mut link_ids = Vec::new();
    let mut pairs = Vec::new();
    for (id, source, target) in &links {
        if let (Some(&a), Some(&b)) = (index.get(source.as_str()), index.get(target.as_str())) {
            link_ids.push(id.clone());
            pairs.push((a, b));
        }
    }
    Loaded {
        network: Network::from_links(nodes.len(), pairs),
        ids: nodes,
        link_ids,
    }
}

fn assert_scores(name: &str, measure: &str, loaded: &Loaded, ours: &[f64], expected: &Value) {
    let expected = expected
        .as_object()
        .unwrap_or_else(|| panic!("{name}: {measure} in the fixture"));
    assert_eq!(expected.len(), ours.len(), "{name}: {measure} node count");
    let mut worst = 0.0f64;
    for (id, score) in loaded.ids.iter().zip(ours) {
        let theirs = expected[id].as_f64().unwrap();
        worst = worst.max((theirs - score).abs());
        assert!(
            (theirs - score).abs() <= TOLERANCE,
            "{name}: {measure} of {id}: ours {score}, networkx {theirs}"
        );
    }
    eprintln!("{name}: {measure} max |difference| {worst:e}");
}

fn names(loaded: &Loaded, nodes: &[u32]) -> Vec<String> {
    let mut ids: Vec<String> = nodes
        .iter()
        .map(|&n| loaded.ids[n as usize].clone())
        .collect();
    ids.sort();
    ids
}

fn check(name: &str, fixture: &Value) {
    let loaded = load(fixture);
    let network = &loaded.network;
    assert_scores(
        name,
        "degree",
        &loaded,
        &centrality::degree(network),
        &fixture["degree"],
    );
    assert_scores(
        name,
        "betweenness",
        &loaded,
        &centrality::betweenness(network),
        &fixture["betweenness"],
    );
    assert_scores(
        name,
        "closeness",
        &loaded,
        &centrality::closeness(network),
        &fixture["closeness"],
    );
    let iterative = &fixture["parameters"]["iterative"];
    let (max_iterations, tolerance) = (
        iterative["max_iter"].as_u64().unwrap() as usize,
        iterative["tol"].as_f64().unwrap(),
    );
    if !fixture["eigenvector"].is_null() {
        let ours = centrality::eigenvector(network, max_iterations, tolerance).unwrap();
        assert_scores(name, "eigenvector", &loaded, &ours, &fixture["eigenvector"]);
    }
    let ours = centrality::pagerank(network, 0.85, max_iterations, tolerance).unwrap();
    assert_scores(name, "pagerank", &loaded, &ours, &fixture["pagerank"]);

    let mut components: Vec<Vec<String>> = connectivity::components(network)
        .iter()
        .map(|component| names(&loaded, component))
        .collect();
    components.sort();
    let expected: Vec<Vec<String>> = serde_json::from_value(fixture["components"].clone()).unwrap();
    assert_eq!(components, expected, "{name}: components");
    let points = names(&loaded, &connectivity::articulation_points(network));
    let expected: Vec<String> =
        serde_json::from_value(fixture["articulation_points"].clone()).unwrap();
    assert_eq!(points, expected, "{name}: articulation points");
    let mut bridges: Vec<String> = connectivity::bridges(network)
        .into_iter()
        .map(|link| loaded.link_ids[link as usize].clone())
        .collect();
    bridges.sort();
    let expected: Vec<String> = serde_json::from_value(fixture["bridges"].clone()).unwrap();
    assert_eq!(bridges, expected, "{name}: bridges");

    let seed = fixture["parameters"]["louvain_seed"].as_u64().unwrap();
    let louvain = community::louvain(network, 1.0, seed, 1e-7);
    let ours = community::modularity(network, &louvain, 1.0);
    let theirs = fixture["louvain_modularity"].as_f64().unwrap();
    eprintln!(
        "{name}: Louvain modularity ours {ours:.4} ({} communities), networkx {theirs:.4}",
        louvain.len()
    );
    assert!(
        ours >= theirs - 0.01,
        "{name}: Louvain modularity {ours} vs networkx {theirs}"
    );
    let lpa = community::label_propagation(network, 1000);
    let ours = community::modularity(network, &lpa, 1.0);
    let theirs = fixture["label_propagation_modularity"].as_f64().unwrap();
    eprintln!(
        "{name}: label propagation modularity ours {ours:.4} ({} communities), networkx {theirs:.4}",
        lpa.len()
    );
    assert!(
        ours >= theirs - 0.01,
        "{name}: label propagation modularity {ours} vs networkx {theirs}"
    );

    let adjacency = network.adjacency();
    let position: BTreeMap<&str, u32> = loaded
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i as u32))
        .collect();
    for case in fixture["k_shortest_paths"].as_array().unwrap() {
        let (source, target) = (
            case["source"].as_str().unwrap(),
            case["target"].as_str().unwrap(),
        );
        let k = case["k"].as_u64().unwrap() as usize;
        let found = paths::k_shortest_paths(&adjacency, position[source], position[target], k);
        let lengths: Vec<u64> = found.iter().map(|path| path.len() as u64 - 1).collect();
        let expected: Vec<u64> = serde_json::from_value(case["lengths"].clone()).unwrap();
        assert_eq!(
            lengths, expected,
            "{name}: {k} shortest paths {source} → {target}"
        );
        for path in &found {
            assert!(
                path.windows(2)
                    .all(|hop| adjacency[hop[0] as usize].contains(&hop[1]))
            );
            let mut nodes = path.clone();
            nodes.sort_unstable();
            nodes.dedup();
            assert_eq!(nodes.len(), path.len(), "{name}: simple path");
        }
    }
}

#[test]
fn every_algorithm_matches_networkx_on_every_fixture() {
    let dir = root().join("tests/fixtures/graphs");
    let mut checked = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        check(&name, &fixture);
        checked.push(name);
    }
    for example in [
        "topology-snapshot",
        "clos-fabric",
        "bgp-leak-topology",
        "v2.1-test-topology",
    ] {
        assert!(
            checked.iter().any(|name| name == example),
            "no fixture for {example}: {checked:?}"
        );
    }
    assert!(
        checked
            .iter()
            .filter(|name| name.starts_with("random-"))
            .count()
            >= 4
    );
}
