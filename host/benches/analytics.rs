//! Graph-analytics benchmark (`cargo xtask bench`): on `examples/v2.1-test-topology.json`,
//! each graph algorithm inside its plugin (wasm32-wasip2, the host's `run` call end to end)
//! against the same `netassure-analytics` code called natively by the host (the plugin's work
//! once it holds the CSR: build the network, run the algorithm, shape the result), and against
//! networkx on the same graph (`networkx_peer.py`, when Python has networkx; set
//! `NETASSURE_BENCH_NETWORKX=0` to skip it). The CSR export (host) and its copy into a plugin
//! are reported separately. Results go to BENCHMARKS.md.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use netassure_analytics::plugin::{Input, centrality_result, communities_result, groups};
use netassure_analytics::{centrality, community, connectivity, paths, whatif};
use netassure_host::metrics::Metrics;
use netassure_host::model::InputEvent;
use netassure_host::runtime::bindings::algorithms::Param;
use netassure_host::runtime::{HostServices, Limits, PluginInstance, Runtime};
use netassure_host::state_store::StateStore;
use netassure_host::topology::{TopologySnapshot, TopologyStore};
use netassure_plugin_sdk::GraphSnapshot;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn wasm(dir: &str, var: &str, name: &str) -> Vec<u8> {
    let dir = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(dir));
    std::fs::read(dir.join(format!("{name}.wasm")))
        .expect("run `cargo xtask bench` (it builds the plugins)")
}

fn limits() -> Limits {
    Limits {
        deadline_ms: 600_000,
        deadline_us_per_flow: 0,
        run_deadline_ms: 600_000,
        memory_mb: 2048,
        max_consecutive_failures: 5,
    }
}

/// Median of `runs` timings of `f`.
fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

struct Bench {
    runtime: Runtime,
    snapshot: Arc<TopologySnapshot>,
}

impl Bench {
    fn plugin_run(
        &self,
        bytes: &[u8],
        name: &str,
        params: &[(&str, &str)],
        runs: usize,
    ) -> Duration {
        let loaded = self.runtime.load(name, bytes, "{}", limits()).unwrap();
        let mut instance =
            PluginInstance::new(&self.runtime, &loaded, name.into(), limits()).unwrap();
        let params: Vec<Param> = params
            .iter()
            .map(|(n, v)| Param {
                name: (*n).into(),
                value: (*v).into(),
            })
            .collect();
        time(runs, || {
            instance
                .run(self.snapshot.clone(), &params)
                .unwrap()
                .unwrap();
        })
    }
}

fn networkx(path: &std::path::Path, algorithms: &[&str]) -> Option<Value> {
    if std::env::var("NETASSURE_BENCH_NETWORKX").as_deref() == Ok("0") {
        return None;
    }
    let venv = root().join("target/graphs-venv/bin/python");
    let python = if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    };
    let output = std::process::Command::new(python)
        .arg(root().join("host/benches/networkx_peer.py"))
        .arg(path)
        .args(algorithms)
        .stderr(std::process::Stdio::inherit())
        .output()
        .ok()?;
    if !output.status.success() {
        println!(
            "networkx not available (pip install -r tests/fixtures/graphs/requirements.txt): skipped"
        );
        return None;
    }
    serde_json::from_slice(&output.stdout).ok()
}

/// One algorithm: plugin name, extra parameters, timed runs, and the native equivalent.
struct Case<'a> {
    name: &'a str,
    params: Vec<(&'a str, &'a str)>,
    runs: usize,
    native: Box<dyn Fn(&Input) + 'a>,
}

fn case<'a>(
    name: &'a str,
    params: Vec<(&'a str, &'a str)>,
    runs: usize,
    native: impl Fn(&Input) + 'a,
) -> Case<'a> {
    Case {
        name,
        params,
        runs,
        native: Box::new(native),
    }
}

fn main() {
    let path = root().join("examples/v2.1-test-topology.json");
    let (nodes, links) = netassure_host::model::files::read_topology(&path).unwrap();
    let store = Arc::new(TopologyStore::new());
    let delta = InputEvent::Snapshot {
        seq: Some(0),
        timestamp_ms: 1,
        nodes,
        links,
    }
    .topology_delta()
    .unwrap();
    store.apply(&delta, 1);
    let snapshot = store.snapshot();
    println!(
        "netassure graph-analytics benchmark: {} ({} nodes, {} links)\n",
        path.display(),
        snapshot.node_count(),
        snapshot.link_count()
    );
    let export = time(5, || {
        std::hint::black_box(snapshot.to_csr());
    });
    println!(
        "CSR export in the host (graph.to-csr):     {:>9.2} ms",
        export.as_secs_f64() * 1e3
    );
    let dir = tempfile::tempdir().unwrap();
    let services = Arc::new(HostServices {
        topology: store.clone(),
        state: Arc::new(StateStore::open(&dir.path().join("state.redb")).unwrap()),
        metrics: Arc::new(Metrics::new()),
        inference: None,
        health: Default::default(),
    });
    let bench = Bench {
        runtime: Runtime::new(&dir.path().join("cache"), services).unwrap(),
        snapshot: snapshot.clone(),
    };
    let copy = bench.plugin_run(
        &wasm(
            "target/test-plugins",
            "NETASSURE_TEST_PLUGINS_DIR",
            "csr-copy",
        ),
        "csr-copy",
        &[],
        5,
    );
    println!(
        "CSR export + copy into a plugin (csr-copy): {:>9.2} ms (the copy alone ≈ {:.2} ms)\n",
        copy.as_secs_f64() * 1e3,
        (copy.saturating_sub(export)).as_secs_f64() * 1e3
    );

    let csr = snapshot.to_csr();
    let mut ids: Vec<&String> = csr.node_ids.iter().collect();
    ids.sort();
    let (source_id, target_id) = (ids[0].clone(), ids[ids.len() / 2].clone());
    let position = |id: &str| csr.node_ids.iter().position(|n| n == id).unwrap() as u32;
    let (source, target) = (position(&source_id), position(&target_id));
    let k_params = [format!("{source_id:?}"), format!("{target_id:?}")];
    let graph = GraphSnapshot::local(snapshot.version(), vec![], vec![]);
    let cases: Vec<Case> = vec![
        case("betweenness-centrality", vec![], 1, |input| {
            let scores = centrality::betweenness(&input.network);
            drop(centrality_result(input, &graph, &scores, None));
        }),
        case("closeness-centrality", vec![], 1, |input| {
            let scores = centrality::closeness(&input.network);
            drop(centrality_result(input, &graph, &scores, None));
        }),
        case("eigenvector-centrality", vec![], 3, |input| {
            let scores = centrality::eigenvector(&input.network, 1_000, 1e-6).unwrap();
            drop(centrality_result(input, &graph, &scores, None));
        }),
        case("pagerank", vec![], 3, |input| {
            let scores = centrality::pagerank(&input.network, 0.85, 100, 1e-6).unwrap();
            drop(centrality_result(input, &graph, &scores, None));
        }),
        case("louvain", vec![], 3, |input| {
            let found = community::louvain(&input.network, 1.0, 42, 1e-7);
            drop(communities_result(input, &graph, &found, 1.0));
        }),
        case("label-propagation", vec![], 3, |input| {
            let found = community::label_propagation(&input.network, 1000);
            drop(communities_result(input, &graph, &found, 1.0));
        }),
        case("connected-components", vec![], 5, |input| {
            drop(groups(input, &connectivity::components(&input.network)))
        }),
        case("articulation-points", vec![], 3, |input| {
            // As the plugin does: the points, and how many nodes each would cut off.
            let links = whatif::link_loads(&input.csr.offsets, &input.csr.targets, &[], &[]);
            let n = input.network.node_count();
            for point in connectivity::articulation_points(&input.network) {
                let outcome = whatif::what_if(n, &links, &[point], &[], f64::INFINITY);
                std::hint::black_box((input.node_id(point), outcome));
            }
        }),
        case("bridges", vec![], 5, |input| {
            let bridges = connectivity::bridges(&input.network);
            drop(
                bridges
                    .iter()
                    .map(|&l| input.link_id(l).to_owned())
                    .collect::<Vec<_>>(),
            )
        }),
        case(
            "k-shortest-paths",
            vec![
                ("source", k_params[0].as_str()),
                ("target", k_params[1].as_str()),
                ("k", "5"),
            ],
            3,
            |input| {
                let found = paths::k_shortest_paths(&input.network.adjacency(), source, target, 5);
                drop(found.iter().map(|p| input.node_ids(p)).collect::<Vec<_>>())
            },
        ),
    ];
    let network = netassure_analytics::Network::from_csr(&csr.offsets, &csr.targets);
    for (name, ours, theirs) in [
        (
            "betweenness",
            time(1, || drop(centrality::betweenness(&network))),
            time(1, || drop(centrality::betweenness_rustworkx(&network))),
        ),
        (
            "closeness",
            time(1, || drop(centrality::closeness(&network))),
            time(1, || drop(centrality::closeness_rustworkx(&network))),
        ),
    ] {
        println!(
            "native {name}: flat arrays {:.2} s, rustworkx-core {:.2} s ({:.1}x)",
            ours.as_secs_f64(),
            theirs.as_secs_f64(),
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
    let names: Vec<&str> = cases.iter().map(|case| case.name).collect();
    println!("networkx on the same graph (one run each; betweenness and closeness take minutes):");
    let peer = networkx(&path, &names);
    let sdk_csr = netassure_plugin_sdk::Csr {
        node_ids: csr.node_ids.clone(),
        offsets: csr.offsets.clone(),
        targets: csr.targets.clone(),
        link_ids: csr.link_ids.clone(),
        capacity_bps: csr.capacity_bps.clone(),
        utilisation: csr.utilisation.clone(),
    };
    let clone = time(5, || drop(sdk_csr.clone()));
    println!(
        "\nnative ms: the plugin's work once it holds the CSR, natively (the CSR clone it starts from, {:.2} ms, included);\nplugin ms: the whole run call (export + copy {:.2} ms included); compute ratio = (plugin − export − copy) / (native − clone)\n",
        clone.as_secs_f64() * 1e3,
        copy.as_secs_f64() * 1e3
    );
    println!(
        "{:<24} {:>11} {:>11} {:>8} {:>9} {:>11} {:>14}",
        "algorithm", "native ms", "plugin ms", "ratio", "compute", "networkx s", "plugin faster"
    );
    for Case {
        name,
        params,
        runs,
        native,
    } in &cases
    {
        let native_time = time(*runs, || native(&Input::from_csr(sdk_csr.clone())));
        let mut all: Vec<(&str, &str)> = vec![("include_down", "true")];
        all.extend(params.iter().copied());
        let plugin_time = bench.plugin_run(
            &wasm("target/plugins", "NETASSURE_PLUGINS_DIR", name),
            name,
            &all,
            *runs,
        );
        let peer_time = peer.as_ref().and_then(|p| p[*name].as_f64());
        let compute = plugin_time.saturating_sub(copy).as_secs_f64()
            / native_time.saturating_sub(clone).as_secs_f64();
        println!(
            "{:<24} {:>11.2} {:>11.2} {:>7.2}x {:>8.2}x {:>11} {:>14}",
            name,
            native_time.as_secs_f64() * 1e3,
            plugin_time.as_secs_f64() * 1e3,
            plugin_time.as_secs_f64() / native_time.as_secs_f64(),
            compute,
            peer_time.map_or("-".to_owned(), |s| format!("{s:.2}")),
            peer_time.map_or("-".to_owned(), |s| format!(
                "{:.0}x",
                s / plugin_time.as_secs_f64()
            )),
        );
    }
}
