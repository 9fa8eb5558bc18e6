//! The whole chain at once, with real parts: a topology scenario from `examples/` (the Clos
//! fabric, then its hour of events with two link failures) replayed into the host →
//! `topology-health` detector → `severity-mapping` alert rule → the same alerts over REST,
//! on a `GET /ws/events` client and on a real `nats-server`.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::nats::NatsServer;
use crate::common::{Host, HostDirs, Options, plugin, wait_until};
use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

/// The scenario as stream messages: the fabric's snapshot, then the timed events.
fn scenario() -> Vec<String> {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(examples.join(name)).unwrap()).unwrap()
    };
    let snapshot = read("clos-fabric.json");
    let Value::Array(events) = read("temporal-events.json") else {
        panic!("temporal-events.json is an array of messages");
    };
    std::iter::once(snapshot)
        .chain(events)
        .map(|message| message.to_string())
        .collect()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `(alert_id, severity)` of alert-opened events on a feed client, read until `count` arrived.
async fn alerts_from_feed(mut socket: Socket, count: usize) -> BTreeSet<(String, String)> {
    let mut seen = BTreeSet::new();
    while seen.len() < count {
        let message = tokio::time::timeout(Duration::from_secs(60), socket.next())
            .await
            .expect("alerts on the feed")
            .unwrap()
            .unwrap();
        let Message::Text(text) = message else {
            continue;
        };
        let event: Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(event["type"], "alert-opened", "filtered feed: {event}");
        let alert = &event["alert"];
        seen.insert((
            alert["alert_id"].as_str().unwrap().to_owned(),
            alert["severity"].as_str().unwrap().to_owned(),
        ));
    }
    seen
}

#[test]
fn a_replayed_link_failure_becomes_an_alert_on_rest_websocket_and_nats() {
    let nats = NatsServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = runtime
        .block_on(async_nats::connect(nats.url.as_str()))
        .unwrap();
    let mut subscription = runtime
        .block_on(client.subscribe("netassure.alerts.>"))
        .unwrap();
    runtime.block_on(client.flush()).unwrap();

    let dirs = HostDirs::new();
    dirs.add(&plugin("topology-health"), "topology-health");
    dirs.add(&plugin("severity-mapping"), "severity-mapping");
    let extra = dirs.config(&format!("[sinks.nats]\nurl = \"{}\"\n", nats.url));
    let mut host = Host::start(&dirs, Options::piped(extra));
    let feed_url = format!(
        "{}/ws/events?types=alert-opened",
        host.base.replace("http://", "ws://")
    );
    // The feed client subscribes before the scenario starts: the host subscribes a client to
    // the feed before it answers the WebSocket handshake, so a connected client is subscribed.
    let (socket, _) = runtime
        .block_on(tokio_tungstenite::connect_async(feed_url))
        .unwrap();
    let feed = runtime.spawn(alerts_from_feed(socket, 2));
    let scenario = scenario();
    let telemetry = scenario
        .iter()
        .filter(|message| message.contains(r#""type":"telemetry""#))
        .count();
    for message in &scenario {
        host.send_raw(message);
    }

    wait_until(Duration::from_secs(60), "two alerts over REST", || {
        host.get("/alerts")
            .1
            .as_array()
            .is_some_and(|a| a.len() == 2)
    });
    let (_, alerts) = host.get("/alerts");
    let from_rest: BTreeSet<(String, String)> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|alert| {
            assert_eq!(alert["status"], "active", "{alert}");
            (
                alert["alert_id"].as_str().unwrap().to_owned(),
                alert["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut failed_links: Vec<String> = host
        .get("/anomalies?kind=link-down")
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|anomaly| {
            anomaly["contributing_link_ids"][0]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    failed_links.sort();
    assert_eq!(
        failed_links,
        ["leaf-13--spine-3", "leaf-5--spine-4"],
        "the two failures of the scenario, and nothing else"
    );

    let from_feed = runtime.block_on(feed).unwrap();
    assert_eq!(from_feed, from_rest, "the WebSocket saw the stored alerts");

    let from_nats: BTreeSet<(String, String)> = runtime.block_on(async {
        let mut seen = BTreeSet::new();
        while seen.len() < 2 {
            let message = tokio::time::timeout(Duration::from_secs(30), subscription.next())
                .await
                .expect("alerts on NATS")
                .unwrap();
            let event: Value = serde_json::from_slice(&message.payload).unwrap();
            let severity = event["alert"]["severity"].as_str().unwrap().to_owned();
            assert_eq!(
                message.subject.as_str(),
                format!("netassure.alerts.{severity}")
            );
            seen.insert((
                event["alert"]["alert_id"].as_str().unwrap().to_owned(),
                severity,
            ));
        }
        seen
    });
    assert_eq!(from_nats, from_rest, "NATS carried the stored alerts");

    host.finish_stdin();
    let (_, metrics) = host.get("/metrics");
    let metrics = metrics.as_str().unwrap();
    for line in [
        format!(
            r#"netassure_events_received_total{{source="stdin",kind="telemetry"}} {telemetry}"#
        ),
        r#"netassure_anomalies_total{kind="link-down"} 2"#.to_owned(),
        r#"netassure_sink_nats_total{kind="published"} 4"#.to_owned(),
    ] {
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
}
