//! The topology stream client against real WebSocket servers: the simulator, and a raw server
//! that sends malformed frames, unknown message types and fields, a sequence gap, and drops
//! the connection.

use std::time::Duration;

use crate::common::{
    self, Host, HostDirs, Options, SimulatorProcess, example, topology_of, wait_until,
};
use futures_util::{SinkExt, StreamExt};
use netassure_host::topology::TopologyStore;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

fn with_stream(url: &str) -> Options<'static> {
    Options {
        extra: vec!["--topology-ws".into(), url.into()],
        ..Options::default()
    }
}

fn stream_status(host: &Host) -> Value {
    host.get("/status").1["topology_stream"].clone()
}

/// The topology the example files lead to, computed by the store itself, in `GET /topology` form.
fn expected_from_files(topology: &str, events: &str) -> Value {
    let store = TopologyStore::new();
    let mut messages = netassure_host::model::files::read_messages(&example(topology)).unwrap();
    messages.extend(netassure_host::model::files::read_messages(&example(events)).unwrap());
    for message in &messages {
        if let Some(delta) = message.topology_delta() {
            store.apply(&delta, 1);
        } else if let Some(sample) = message.telemetry_sample() {
            store.apply_telemetry(&sample);
        }
    }
    let snapshot = store.snapshot();
    json!({"nodes": snapshot.nodes().collect::<Vec<_>>(), "links": snapshot.links().collect::<Vec<_>>()})
}

#[test]
fn host_follows_the_simulator_to_the_same_topology() {
    let events = netassure_host::model::files::read_messages(&example("temporal-events.json"))
        .unwrap()
        .len();
    let simulator = SimulatorProcess::start(&[
        "--topology",
        example("clos-fabric.json").to_str().unwrap(),
        "--events",
        example("temporal-events.json").to_str().unwrap(),
        "--rate",
        "2000",
    ]);
    let dirs = HostDirs::new();
    let host = Host::start(&dirs, with_stream(&simulator.url));
    wait_until(Duration::from_secs(120), "every simulated message", || {
        stream_status(&host)["last_seq"].as_u64() == Some(events as u64)
    });
    let (_, topology) = host.get("/topology");
    assert_eq!(
        topology_of(&topology),
        topology_of(&expected_from_files(
            "clos-fabric.json",
            "temporal-events.json"
        ))
    );
    assert_eq!(
        topology["node_count"], 21,
        "16 leaves + 4 spines + the leaf that joins"
    );
    let status = stream_status(&host);
    assert_eq!(
        (status["gaps"].as_u64(), status["malformed"].as_u64()),
        (Some(0), Some(0)),
        "{status}"
    );
    assert_eq!(status["state"], "connected");
}

#[test]
fn dry_run_reports_what_it_would_apply_and_changes_nothing() {
    let simulator = SimulatorProcess::start(&[
        "--topology",
        example("clos-fabric.json").to_str().unwrap(),
        "--events",
        example("temporal-events.json").to_str().unwrap(),
        "--rate",
        "0",
    ]);
    let output = std::process::Command::new(common::cli_bin())
        .args([
            "ingest",
            "--ws",
            &simulator.url,
            "--dry-run",
            "--duration",
            "3",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let json_start = stdout.find("\n{").map(|i| i + 1).unwrap_or(0);
    let summary: Value =
        serde_json::from_str(&stdout[json_start..]).unwrap_or_else(|err| panic!("{err}: {stdout}"));
    assert_eq!(summary["stream"]["snapshots"], 1, "{summary}");
    assert_eq!(summary["nodes"], 21, "{summary}");
    assert_eq!(summary["links"], 68, "{summary}");
    assert!(
        stdout.contains("msgs"),
        "a running summary is printed: {stdout}"
    );
}

fn snapshot(seq: u64, nodes: &[&str], links: &[(&str, &str, &str)]) -> String {
    json!({"type": "snapshot", "seq": seq,
        "nodes": nodes.iter().map(|id| json!({"id": id, "kind": "router"})).collect::<Vec<_>>(),
        "links": links.iter().map(|(id, s, t)| json!({"id": id, "source": s, "target": t})).collect::<Vec<_>>()})
    .to_string()
}

fn delta(seq: u64, changes: Value) -> String {
    json!({"type": "delta", "seq": seq, "changes": changes}).to_string()
}

async fn accept(
    listener: &tokio::net::TcpListener,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    let (stream, _) = listener.accept().await.unwrap();
    tokio_tungstenite::accept_async(stream).await.unwrap()
}

/// First connection: snapshot, good and bad messages, a gap answered by a resync, then the
/// connection drops (once the test says the host applied what followed the resync: `hang_up`).
/// The server then goes away and comes back on the same port (once the test says the host
/// found it gone: `come_back`).
async fn raw_server(port: u16, hang_up: oneshot::Receiver<()>, come_back: oneshot::Receiver<()>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let mut socket = accept(&listener).await;
    let first = [
        snapshot(
            10,
            &["a", "b", "c"],
            &[("a-b", "a", "b"), ("b-c", "b", "c")],
        ),
        delta(
            11,
            json!([{"op": "link-state", "id": "a-b", "state": "down"}]),
        ),
        "{this is not json".to_owned(),
        json!({"type": "weather", "seq": 99, "sunny": true}).to_string(),
        json!({"type": "delta", "seq": 12, "colour": "red", "changes": [
            {"op": "node-upsert", "node": {"id": "d", "vendor": "acme"}}]})
        .to_string(),
        json!({"type": "delta", "seq": "twelve", "changes": []}).to_string(),
        delta(14, json!([{"op": "node-remove", "id": "a"}])),
    ];
    for text in first {
        socket.send(Message::text(text)).await.unwrap();
    }
    socket.send(Message::binary(vec![0u8, 1, 2])).await.unwrap();
    // The gap (12 → 14) must make the client ask for a resync (its pings aside).
    let request = next_request(&mut socket).await;
    assert_eq!(
        request.into_text().unwrap().as_str(),
        r#"{"type":"resync"}"#
    );
    let after_resync = [
        snapshot(
            20,
            &["a", "b", "c", "d"],
            &[("a-b", "a", "b"), ("b-c", "b", "c"), ("c-d", "c", "d")],
        ),
        delta(21, json!([{"op": "link-remove", "id": "b-c"}])),
        delta(19, json!([{"op": "node-remove", "id": "d"}])),
    ];
    for text in after_resync {
        socket.send(Message::text(text)).await.unwrap();
    }
    let _ = hang_up.await;
    drop(socket);
    drop(listener);
    let _ = come_back.await;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let mut socket = accept(&listener).await;
    let second = [
        snapshot(30, &["a", "b", "c", "d", "e"], &[("a-b", "a", "b"), ("c-d", "c", "d"), ("d-e", "d", "e")]),
        delta(31, json!([{"op": "link-utilisation", "id": "c-d", "utilisation": 0.5}])),
        json!({"type": "heartbeat"}).to_string(),
        json!({"type": "telemetry", "seq": 32, "subject": "d-e", "metric": "utilisation", "value": 0.25}).to_string(),
    ];
    for text in second {
        socket.send(Message::text(text)).await.unwrap();
    }
    // The connection stays open until the test drops the engine.
    std::future::pending::<()>().await;
}

/// A host following a fake topology engine; the engine stops when it is dropped.
struct Followed {
    host: Host,
    _dirs: HostDirs,
    server: tokio::task::JoinHandle<()>,
    _runtime: tokio::runtime::Runtime,
}

impl Drop for Followed {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Start `engine` on a free port and a host following it.
fn follow<F>(engine: impl FnOnce(u16) -> F) -> Followed
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    follow_with(engine, "")
}

/// [`follow`] with more `[ingest.topology]` settings (`settings`: TOML lines).
fn follow_with<F>(engine: impl FnOnce(u16) -> F, settings: &str) -> Followed
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let port = common::free_port();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.spawn(engine(port));
    let dirs = HostDirs::new();
    let url = format!("ws://127.0.0.1:{port}");
    let options = if settings.is_empty() {
        with_stream(&url)
    } else {
        Options {
            extra: dirs.config(&format!("[ingest.topology]\nurl = \"{url}\"\n{settings}")),
            ..Options::default()
        }
    };
    let host = Host::start(&dirs, options);
    Followed {
        host,
        _dirs: dirs,
        server,
        _runtime: runtime,
    }
}

/// Sequence numbers reach `u64::MAX`; the next message cannot follow in sequence.
async fn last_number_server(port: u16) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let mut socket = accept(&listener).await;
    let first = [
        snapshot(u64::MAX - 1, &["a", "b"], &[("a-b", "a", "b")]),
        delta(
            u64::MAX,
            json!([{"op": "node-upsert", "node": {"id": "c"}}]),
        ),
        delta(0, json!([{"op": "node-remove", "id": "a"}])),
    ];
    for text in first {
        socket.send(Message::text(text)).await.unwrap();
    }
    let request = next_request(&mut socket).await;
    assert_eq!(
        request.into_text().unwrap().as_str(),
        r#"{"type":"resync"}"#
    );
    for text in [
        snapshot(5, &["a", "b", "c"], &[("a-b", "a", "b")]),
        delta(6, json!([{"op": "node-upsert", "node": {"id": "d"}}])),
    ] {
        socket.send(Message::text(text)).await.unwrap();
    }
    // The connection stays open until the test drops the engine.
    std::future::pending::<()>().await;
}

#[test]
fn the_last_sequence_number_is_followed_by_a_resync_not_a_wrap() {
    let followed = follow(last_number_server);
    let host = &followed.host;
    wait_until(Duration::from_secs(60), "seq 6 after the resync", || {
        stream_status(host)["last_seq"].as_u64() == Some(6)
    });
    let status = stream_status(host);
    assert_eq!(status["resyncs"], 1, "{status}");
    let (_, topology) = host.get("/topology");
    let (nodes, _) = topology_of(&topology);
    let ids: Vec<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["a", "b", "c", "d"],
        "the wrapped delta 0 was not applied"
    );
}

#[test]
fn gaps_resync_bad_input_is_counted_and_the_client_reconnects() {
    let (hang_up, hung_up) = oneshot::channel();
    let (come_back, back) = oneshot::channel();
    let followed = follow(move |port| raw_server(port, hung_up, back));
    let host = &followed.host;
    wait_until(
        Duration::from_secs(60),
        "the messages after the resync applied (seq 19 after 21: stale)",
        || {
            let status = stream_status(host);
            status["last_seq"].as_u64() == Some(21) && status["stale"] == 1
        },
    );
    let failures = stream_status(host)["connect_failures"].as_u64().unwrap();
    hang_up.send(()).unwrap();
    wait_until(
        Duration::from_secs(60),
        "the client to find the engine gone",
        || stream_status(host)["connect_failures"].as_u64() > Some(failures),
    );
    come_back.send(()).unwrap();
    wait_until(
        Duration::from_secs(60),
        "the second connection's messages",
        || stream_status(host)["last_seq"].as_u64() == Some(32),
    );
    let status = stream_status(host);
    assert!(status["connects"].as_u64().unwrap() >= 2, "{status}");
    assert!(status["disconnects"].as_u64().unwrap() >= 1, "{status}");
    assert_eq!(status["gaps"], 1, "{status}");
    assert_eq!(status["resyncs"], 1, "{status}");
    assert_eq!(
        status["malformed"], 3,
        "bad JSON, a wrong field type and a binary frame: {status}"
    );
    assert_eq!(status["unknown_types"], 1, "{status}");
    assert_eq!(status["unknown_fields"], 2, "{status}");
    assert_eq!(status["stale"], 1, "seq 19 after 21: {status}");
    assert_eq!(status["heartbeats"], 1, "{status}");
    assert_eq!(host.get("/status").1["status"], "ok");
    let (_, metrics) = host.get("/metrics");
    let metrics = metrics.as_str().unwrap();
    for line in [
        r#"netassure_topology_stream_total{kind="malformed"} 3"#,
        r#"netassure_topology_stream_total{kind="gap"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }

    let (_, topology) = host.get("/topology");
    let (nodes, links) = topology_of(&topology);
    let ids = |items: &[Value]| {
        items
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&nodes), ["a", "b", "c", "d", "e"]);
    assert_eq!(ids(&links), ["a-b", "c-d", "d-e"]);
    assert_eq!(links[1]["utilisation"], 0.5);
    assert_eq!(links[2]["utilisation"], 0.25);
    assert_eq!(
        links[0]["state"], "up",
        "the second snapshot replaced the first's state"
    );
    let (status, history) = host.get("/topology/links/d-e/history");
    assert_eq!(status, 200);
    assert_eq!(history["points"][0]["utilisation"], 0.25);
}

#[test]
fn simulator_injects_link_flaps_node_failures_and_route_leaks() {
    let simulator = SimulatorProcess::start(&[
        "--topology",
        example("bgp-leak-topology.json").to_str().unwrap(),
        "--fault",
        "link-flap",
        "--fault",
        "node-failure",
        "--fault",
        "route-leak",
        "--fault-every",
        "0.05",
        "--seed",
        "7",
    ]);
    let dirs = HostDirs::new();
    let host = Host::start(&dirs, with_stream(&simulator.url));
    wait_until(Duration::from_secs(60), "faults of every kind", || {
        let (_, versions) = host.get("/topology/versions?limit=1000");
        // Version 1 is the first snapshot: changes made after it show up as changed nodes.
        let from = versions["oldest_diffable"].as_u64().unwrap().max(1);
        let to = versions["current"].as_u64().unwrap();
        let (_, diff) = host.get(&format!("/topology/diff?from={from}&to={to}"));
        let (_, topology) = host.get("/topology");
        let links_down = topology["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["state"] == "down");
        let nodes_down = topology["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["state"] == "down");
        // `from` can be pruned between the two requests while faults stream in every 50 ms:
        // that diff is an error, and the next round asks again.
        let leaked = diff["nodes_changed"].as_array().is_some_and(|changes| {
            changes.iter().any(|change| {
                let before = change["before"]["attributes"]["as_paths"]
                    .as_str()
                    .unwrap_or_default();
                let after = change["after"]["attributes"]["as_paths"]
                    .as_str()
                    .unwrap_or_default();
                after.len() > before.len()
            })
        });
        (links_down || nodes_down)
            && leaked
            && stream_status(&host)["deltas"].as_u64().unwrap_or(0) >= 6
    });
    assert_eq!(stream_status(&host)["gaps"], 0);
}

/// The next message the client sends, its pings aside (within 20 s).
async fn next_request(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
) -> Message {
    let request = async {
        loop {
            match socket.next().await.unwrap().unwrap() {
                Message::Ping(_) | Message::Pong(_) => continue,
                other => return other,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), request)
        .await
        .expect("a request from the client")
}

/// The next client, sent a snapshot of two nodes and a link (sequence 1).
async fn accept_with_snapshot(
    listener: &tokio::net::TcpListener,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    let mut socket = accept(listener).await;
    let first = snapshot(1, &["a", "b"], &[("a-b", "a", "b")]);
    let _ = socket.send(Message::text(first)).await;
    socket
}

/// An engine that follows each snapshot with a message over the client's limit.
async fn oversize_server(port: u16) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    loop {
        let mut socket = accept_with_snapshot(&listener).await;
        let padding = "x".repeat(2 << 20);
        let oversize =
            format!(r#"{{"type": "delta", "seq": 2, "changes": [], "pad": "{padding}"}}"#);
        let _ = socket.send(Message::text(oversize)).await;
    }
}

/// A message over `max_message_mb` ends each connection, but the reconnects back off instead
/// of storming, and the engine's snapshot, the same each time, makes one version, not one per
/// reconnect.
#[test]
fn an_oversize_message_backs_the_reconnects_off_and_adds_no_versions() {
    let followed = follow_with(
        oversize_server,
        "max_message_mb = 1\nreconnect_min_ms = 100\n",
    );
    let host = &followed.host;
    wait_until(Duration::from_secs(30), "a few reconnects", || {
        stream_status(host)["disconnects"].as_u64() >= Some(3)
    });
    // Three seconds more of reconnects to count: this wait shows that something does not
    // happen (a storm of connections), so there is no state to wait for instead.
    std::thread::sleep(Duration::from_secs(3));
    let status = stream_status(host);
    let connects = status["connects"].as_u64().unwrap();
    assert!(
        connects <= 8,
        "{connects} connections in about 4 s: the backoff starts over on every connect"
    );
    let (_, versions) = host.get("/topology/versions");
    assert_eq!(versions["current"], 1, "{versions}");
    assert_eq!(status["snapshots"].as_u64(), Some(connects), "{status}");
}

/// An engine that sends its snapshot and then freezes: it never reads again, so it answers
/// no ping.
async fn frozen_server(port: u16) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let mut held = Vec::new();
    loop {
        let socket = accept_with_snapshot(&listener).await;
        held.push(socket);
    }
}

/// A frozen engine is noticed (no message, no pong for `idle_timeout_ms`) and the client
/// reconnects, instead of showing "connected" forever.
#[test]
fn a_frozen_engine_is_noticed_and_the_client_reconnects() {
    let followed = follow_with(frozen_server, "idle_timeout_ms = 1000\n");
    let host = &followed.host;
    wait_until(Duration::from_secs(30), "the frozen engine noticed", || {
        let status = stream_status(host);
        status["disconnects"].as_u64() >= Some(1)
            && status["last_error"]
                .as_str()
                .is_some_and(|error| error.contains("nothing from the engine"))
    });
}
