//! `GET /ws/events`: analytics events stream to WebSocket clients with filters; a client that
//! does not read never holds up the others.

use std::time::Duration;

use crate::common::{Host, HostDirs, OPERATOR, Options, events, plugin};
use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(host: &Host, query: &str) -> Socket {
    let url = format!("{}/ws/events{query}", host.base.replace("http://", "ws://"));
    tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket connects")
        .0
}

/// Read messages until `count` arrived (or 30 s passed).
async fn read(socket: &mut Socket, count: usize) -> Vec<Value> {
    let mut messages = Vec::new();
    while messages.len() < count {
        match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                messages.push(serde_json::from_str(text.as_str()).unwrap())
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("feed ended early after {messages:?}: {other:?}"),
        }
    }
    messages
}

#[test]
fn feed_streams_filtered_events_and_slow_clients_do_not_block() {
    let dirs = HostDirs::new();
    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut findings, mut plugins, _idle, mut topology) = runtime.block_on(async {
        (
            connect(&host, "?types=anomaly,alert-opened").await,
            connect(&host, "?types=plugin-changed").await,
            connect(&host, "").await,
            connect(&host, "?types=topology-changed").await,
        )
    });
    assert_eq!(
        host.install("link-utilisation", &plugin("link-utilisation"))
            .0,
        201
    );
    assert_eq!(
        host.install("severity-mapping", &plugin("severity-mapping"))
            .0,
        201
    );
    let changes = runtime.block_on(read(&mut plugins, 2));
    let names: Vec<&str> = changes
        .iter()
        .map(|c| c["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["link-utilisation", "severity-mapping"]);
    assert!(
        changes
            .iter()
            .all(|c| c["type"] == "plugin-changed" && c["change"] == "installed")
    );

    host.send_file(&events("fabric.jsonl"));
    let messages = runtime.block_on(read(&mut findings, 10));
    let anomalies = messages.iter().filter(|m| m["type"] == "anomaly").count();
    let alerts: Vec<&Value> = messages
        .iter()
        .filter(|m| m["type"] == "alert-opened")
        .collect();
    assert_eq!((anomalies, alerts.len()), (5, 5), "{messages:#?}");
    assert!(
        alerts
            .iter()
            .all(|a| a["alert"]["alert_id"].is_string() && a["alert"]["severity"].is_string())
    );
    let versions = runtime.block_on(read(&mut topology, 2));
    assert_eq!(
        versions
            .iter()
            .map(|v| v["version"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2]
    );

    let id = alerts[0]["alert"]["alert_id"].as_str().unwrap().to_owned();
    let mut changed = runtime.block_on(connect(&host, "?types=alert-changed"));
    assert_eq!(
        host.post(&format!("/alerts/{id}/ack"), b"", Some(OPERATOR))
            .0,
        200
    );
    let change = runtime.block_on(read(&mut changed, 1));
    assert_eq!(
        (change[0]["alert_id"].as_str(), change[0]["status"].as_str()),
        (Some(id.as_str()), Some("acknowledged"))
    );

    let (status, body) = host.get("/ws/events?colour=red");
    assert_eq!(status, 400, "{body}");
}
