//! Graph-analytics benchmark (`cargo xtask bench`): on `examples/v2.1-test-topology.json`,
//! each graph algorithm inside its plugin (wasm32-wasip2, the host's `run` call end to end)
//! against the same `netassure-analytics` function called natively by the host, and against
//! networkx on the same graph (`networkx_peer.py`, when Python has networkx; set
//! `NETASSURE_BENCH_NETWORKX=0` to skip it). The CSR export (host) and its copy into a plugin
//! are reported separately. Results go to BENCHMARKS.md.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use netassure_analytics::{Network, centrality, community, connectivity, paths, whatif};
use netassure_host::metrics::Metrics;
use netassure_host::model::InputEvent;
use netassure_host::runtime::bindings::algorithms::Param;
use netassure_host::runtime::{HostServices, Limits, PluginInstance, Runtime};
use netassure_host::state_store::StateStore;
use netassure_host::topology::{TopologySnapshot, TopologyStore};
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
    native: Box<dyn Fn(&Network) + 'a>,
}

fn case<'a>(
    name: &'a str,
    params: Vec<(&'a str, &'a str)>,
    runs: usize,
    native: impl Fn(&Network) + 'a,
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
    let (nodes, links) = netassure_host::simulator::read_topology(&path).unwrap();
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
    let links = whatif::link_loads(&csr.offsets, &csr.targets, &[], &[]);
    let cases: Vec<Case> = vec![
        case("betweenness-centrality", vec![], 1, |n| {
            drop(centrality::betweenness(n))
        }),
        case("closeness-centrality", vec![], 1, |n| {
            drop(centrality::closeness(n))
        }),
        case("eigenvector-centrality", vec![], 3, |n| {
            drop(centrality::eigenvector(n, 1_000, 1e-6))
        }),
        case("pagerank", vec![], 3, |n| {
            drop(centrality::pagerank(n, 0.85, 100, 1e-6))
        }),
        case("louvain", vec![], 3, |n| {
            let found = community::louvain(n, 1.0, 42, 1e-7);
            std::hint::black_box(community::modularity(n, &found, 1.0));
        }),
        case("label-propagation", vec![], 3, |n| {
            let found = community::label_propagation(n, 1000);
            std::hint::black_box(community::modularity(n, &found, 1.0));
        }),
        case("connected-components", vec![], 5, |n| {
            drop(connectivity::components(n))
        }),
        case("articulation-points", vec![], 3, |n| {
            // As the plugin does: the points, and how many nodes each would cut off.
            for point in connectivity::articulation_points(n) {
                let outcome = whatif::what_if(n.node_count(), &links, &[point], &[], f64::INFINITY);
                std::hint::black_box(outcome);
            }
        }),
        case("bridges", vec![], 5, |n| drop(connectivity::bridges(n))),
        case(
            "k-shortest-paths",
            vec![
                ("source", k_params[0].as_str()),
                ("target", k_params[1].as_str()),
                ("k", "5"),
            ],
            3,
            |n| drop(paths::k_shortest_paths(&n.adjacency(), source, target, 5)),
        ),
    ];
    let names: Vec<&str> = cases.iter().map(|case| case.name).collect();
    println!("networkx on the same graph (one run each; betweenness and closeness take minutes):");
    let peer = networkx(&path, &names);
    println!(
        "\n{:<24} {:>12} {:>12} {:>8} {:>12} {:>14}",
        "algorithm", "native ms", "plugin ms", "ratio", "networkx s", "plugin faster"
    );
    for Case {
        name,
        params,
        runs,
        native,
    } in &cases
    {
        let native_time = time(*runs, || {
            native(&Network::from_csr(&csr.offsets, &csr.targets))
        });
        let mut all: Vec<(&str, &str)> = vec![("include_down", "true")];
        all.extend(params.iter().copied());
        let plugin_time = bench.plugin_run(
            &wasm("target/plugins", "NETASSURE_PLUGINS_DIR", name),
            name,
            &all,
            *runs,
        );
        let peer_time = peer.as_ref().and_then(|p| p[*name].as_f64());
        println!(
            "{:<24} {:>12.2} {:>12.2} {:>7.2}x {:>12} {:>14}",
            name,
            native_time.as_secs_f64() * 1e3,
            plugin_time.as_secs_f64() * 1e3,
            plugin_time.as_secs_f64() / native_time.as_secs_f64(),
            peer_time.map_or("-".to_owned(), |s| format!("{s:.2}")),
            peer_time.map_or("-".to_owned(), |s| format!(
                "{:.0}x",
                s / plugin_time.as_secs_f64()
            )),
        );
    }
}
