//! Topology benchmark (`cargo xtask bench`): delta apply rate, snapshot cost and store memory
//! on `examples/v2.1-test-topology.json`, and the latency from a delta arriving on the
//! WebSocket to a detector plugin being invoked (p50/p99). Results go to BENCHMARKS.md.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use netassure_host::config::TopologyStreamConfig;
use netassure_host::ingest::TopologyStreamClient;
use netassure_host::metrics::Metrics;
use netassure_host::model::{
    InputEvent, Link, Node, TelemetrySample, TopologyChange, TopologyDelta,
};
use netassure_host::pipeline::{Pipeline, Sinks};
use netassure_host::registry::Registry;
use netassure_host::runtime::host_impl::clock::monotonic_ns;
use netassure_host::runtime::{HostServices, Limits, Runtime};
use netassure_host::state_store::StateStore;
use netassure_host::topology::{TopologyGraph, TopologyStore};
use tokio_tungstenite::tungstenite::Message;

/// Counts live heap bytes, to measure the store's memory exactly.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn snapshot_delta(nodes: &[Node], links: &[Link]) -> TopologyDelta {
    let changes = nodes
        .iter()
        .map(|node| TopologyChange::NodeUpsert { node: node.clone() })
        .chain(
            links
                .iter()
                .map(|link| TopologyChange::LinkUpsert { link: link.clone() }),
        )
        .collect();
    TopologyDelta {
        sequence: 0,
        snapshot: true,
        changes,
    }
}

fn memory_and_snapshots(path: &std::path::Path) -> (Vec<Node>, Vec<Link>) {
    // Parse inside the measurement and drop the parsed copies afterwards, so the store is
    // charged for every byte it keeps (ids included).
    let before = live();
    let (nodes, links) = netassure_host::model::files::read_topology(path).unwrap();
    let mut graph = TopologyGraph::default();
    let mut changes = Vec::new();
    graph.replace_all(&nodes, &links, &mut changes, &mut Vec::new());
    let id_bytes: usize = links.iter().map(|link| link.id.len()).sum();
    drop((nodes, links, changes));
    let bytes = (live() - before) as f64;
    let kept: (Vec<Node>, Vec<Link>) = (
        graph.nodes().cloned().collect(),
        graph.links().cloned().collect(),
    );
    let per_link = bytes / graph.link_count() as f64;
    println!(
        "store memory, graph of {} nodes / {} links: {:.1} MB = {:.0} MB per 1M links ({:.0} B per link incl. its share of nodes; link ids alone average {:.0} B)",
        graph.node_count(),
        graph.link_count(),
        bytes / 1e6,
        per_link,
        per_link,
        id_bytes as f64 / graph.link_count() as f64
    );
    let clones: Vec<Duration> = (0..5)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(graph.clone());
            started.elapsed()
        })
        .collect();
    println!(
        "snapshot after a change (one clone of the graph): {:.2} ms",
        median(clones).as_secs_f64() * 1e3
    );
    let store = TopologyStore::new();
    store.apply(&snapshot_delta(&kept.0, &kept.1), 1);
    let unchanged: Vec<Duration> = (0..1000)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(store.snapshot());
            started.elapsed()
        })
        .collect();
    println!(
        "snapshot when nothing changed (shared Arc): {:.0} ns",
        median(unchanged).as_nanos()
    );
    kept
}

fn apply_rate(nodes: &[Node], links: &[Link]) {
    let store = TopologyStore::new();
    store.apply(&snapshot_delta(nodes, links), 1);
    const DELTAS: usize = 1_000_000;
    let mut rng = fastrand::Rng::with_seed(5);
    let deltas: Vec<TopologyDelta> = (0..DELTAS)
        .map(|i| {
            let id = links[rng.usize(..links.len())].id.to_string();
            let change = if i % 10 == 0 {
                TopologyChange::LinkState {
                    id,
                    state: if i % 20 == 0 {
                        netassure_host::model::OperState::Down
                    } else {
                        netassure_host::model::OperState::Up
                    },
                }
            } else {
                TopologyChange::LinkUtilisation {
                    id,
                    utilisation: rng.f64(),
                }
            };
            TopologyDelta {
                sequence: i as u64,
                snapshot: false,
                changes: vec![change],
            }
        })
        .collect();
    let started = Instant::now();
    for (i, delta) in deltas.iter().enumerate() {
        store.apply(delta, 1_000 + i as u64);
    }
    let elapsed = started.elapsed();
    println!(
        "delta apply, 1M one-change deltas (90% utilisation, 10% state), history on: {:.2} M deltas/s ({:.0} ns each)",
        DELTAS as f64 / elapsed.as_secs_f64() / 1e6,
        elapsed.as_nanos() as f64 / DELTAS as f64
    );
    let samples: Vec<TelemetrySample> = (0..DELTAS)
        .map(|i| TelemetrySample {
            subject: links[i % links.len()].id.to_string(),
            metric: "utilisation".into(),
            value: 0.5,
            timestamp_ms: 2_000_000 + i as u64,
        })
        .collect();
    let started = Instant::now();
    for sample in &samples {
        store.apply_telemetry(sample);
    }
    let elapsed = started.elapsed();
    println!(
        "utilisation telemetry applied in place: {:.2} M samples/s",
        DELTAS as f64 / elapsed.as_secs_f64() / 1e6
    );
    let dir = tempfile::tempdir().unwrap();
    let persistent = TopologyStore::open(dir.path(), Default::default()).unwrap();
    persistent.apply(&snapshot_delta(nodes, links), 1);
    let started = Instant::now();
    for (i, delta) in deltas.iter().take(200_000).enumerate() {
        persistent.apply(delta, 1_000 + i as u64);
    }
    let elapsed = started.elapsed();
    println!(
        "delta apply with the persistent log (JSON lines): {:.2} M deltas/s",
        200_000.0 / elapsed.as_secs_f64() / 1e6
    );
}

fn latency(nodes: Vec<Node>, links: Vec<Link>) {
    const DELTAS: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let probe = std::env::var_os("NETASSURE_TEST_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/test-plugins"))
        .join("probe.wasm");
    std::fs::copy(&probe, plugins.join("probe.wasm"))
        .expect("run `cargo xtask bench` (it builds the fixtures)");
    std::fs::write(plugins.join("probe.toml"), "[config]\nmode = \"stamp\"\n").unwrap();
    let output = dir.path().join("out.jsonl");
    let topology = Arc::new(TopologyStore::new());
    let metrics = Arc::new(Metrics::new());
    let services = Arc::new(HostServices {
        topology: topology.clone(),
        state: Arc::new(StateStore::open(&dir.path().join("state.redb")).unwrap()),
        metrics: metrics.clone(),
        inference: None,
        health: Default::default(),
    });
    let runtime = Arc::new(Runtime::new(&dir.path().join("cache"), services).unwrap());
    let pipeline = Arc::new(Pipeline::new(
        topology,
        metrics,
        Sinks::new(Some(&output), false).unwrap(),
    ));
    let registry = Registry::new(
        runtime,
        pipeline.clone(),
        &plugins,
        Limits::default(),
        netassure_host::registry::QueueLimits {
            jobs: 4096,
            ..Default::default()
        },
    )
    .unwrap();
    registry.scan_directory();

    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = tokio
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let ids: Vec<String> = links.iter().map(|link| link.id.to_string()).collect();
    let server = tokio.spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut socket = tokio_tungstenite::accept_async(stream).await.unwrap();
        let snapshot = InputEvent::Snapshot { seq: Some(0), timestamp_ms: 1, nodes, links };
        socket.send(Message::text(serde_json::to_string(&snapshot).unwrap())).await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut sent = Vec::with_capacity(DELTAS);
        for i in 0..DELTAS {
            let delta = serde_json::json!({"type": "delta", "seq": i + 1, "changes": [{"op": "link-utilisation", "id": ids[i * 7 % ids.len()], "utilisation": 0.5}]});
            let text = delta.to_string();
            sent.push(monotonic_ns());
            socket.send(Message::text(text)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        sent
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let client = TopologyStreamClient::new(TopologyStreamConfig::for_url(&url), pipeline);
    let thread = client.spawn(stop_rx);
    let sent = tokio.block_on(server).unwrap();
    registry.flush();
    let _ = stop_tx.send(true);
    let _ = thread.join();
    let mut stamps = std::collections::HashMap::new();
    for line in std::fs::read_to_string(&output).unwrap().lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        if record["kind"] == "stamp" {
            stamps.insert(
                record["event_id"].as_u64().unwrap(),
                record["description"]
                    .as_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap(),
            );
        }
    }
    let mut latencies: Vec<u64> = sent
        .iter()
        .enumerate()
        .filter_map(|(i, sent)| stamps.get(&(i as u64 + 2)).map(|stamp| stamp - sent))
        .collect();
    latencies.sort_unstable();
    let pick = |q: f64| {
        latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)] as f64 / 1e3
    };
    println!(
        "delta on the WebSocket -> detector plugin invoked ({} deltas sent 1 per ms, {} measured): p50 {:.0} us, p99 {:.0} us, max {:.0} us",
        latencies.len(),
        stamps.len(),
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
    registry.shutdown();
}

fn main() {
    let path = root().join("examples/v2.1-test-topology.json");
    println!("netassure topology benchmark: {}\n", path.display());
    let (nodes, links) = memory_and_snapshots(&path);
    apply_rate(&nodes, &links);
    latency(nodes, links);
}
