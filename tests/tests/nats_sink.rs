//! The NATS sink against a real `nats-server` (Debian package): anomalies arrive on
//! `netassure.anomalies.<kind>` and alerts on `netassure.alerts.<severity>`, plain and through
//! JetStream.

use std::time::Duration;

use crate::common::nats::NatsServer;
use crate::common::{Host, HostDirs, Options, events, plugin, wait_until};
use futures_util::StreamExt;

fn host_with_nats(dirs: &HostDirs, nats: &NatsServer, jetstream: bool) -> Host {
    dirs.add(&plugin("link-utilisation"), "link-utilisation");
    dirs.add(&plugin("severity-mapping"), "severity-mapping");
    let extra = dirs.config(&format!(
        "[sinks.nats]\nurl = \"{}\"\njetstream = {jetstream}\n",
        nats.url
    ));
    let mut host = Host::start(
        dirs,
        Options {
            stdin: true,
            extra,
            ..Options::default()
        },
    );
    // The sink subscribes to the feed before it connects, so nothing published meanwhile is lost.
    host.send_file(&events("fabric.jsonl"));
    host
}

#[test]
fn anomalies_and_alerts_are_published_to_nats() {
    let nats = NatsServer::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime
        .block_on(async_nats::connect(nats.url.as_str()))
        .unwrap();
    let mut subscription = runtime.block_on(client.subscribe("netassure.>")).unwrap();
    runtime.block_on(client.flush()).unwrap();
    let dirs = HostDirs::new();
    let _host = host_with_nats(&dirs, &nats, false);
    let mut subjects = Vec::new();
    runtime.block_on(async {
        while subjects.len() < 10 {
            let message = tokio::time::timeout(Duration::from_secs(30), subscription.next())
                .await
                .expect("10 messages")
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
            assert!(
                body["type"] == "anomaly" || body["type"] == "alert-opened",
                "{body}"
            );
            subjects.push(message.subject.to_string());
        }
    });
    let anomalies = subjects
        .iter()
        .filter(|s| *s == "netassure.anomalies.link-over-utilised")
        .count();
    let mut alerts: Vec<&str> = subjects
        .iter()
        .filter_map(|s| s.strip_prefix("netassure.alerts."))
        .collect();
    alerts.sort();
    assert_eq!(anomalies, 5, "{subjects:?}");
    assert_eq!(
        alerts,
        ["critical", "critical", "major", "minor", "warning"],
        "{subjects:?}"
    );
}

#[test]
fn jetstream_keeps_the_messages() {
    let nats = NatsServer::start();
    let dirs = HostDirs::new();
    let _host = host_with_nats(&dirs, &nats, true);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime
        .block_on(async_nats::connect(nats.url.as_str()))
        .unwrap();
    let jetstream = runtime.block_on(async { async_nats::jetstream::new(client) });
    wait_until(
        Duration::from_secs(30),
        "10 messages in the NETASSURE stream",
        || {
            runtime.block_on(async {
                match jetstream.get_stream("NETASSURE").await {
                    Ok(mut stream) => stream
                        .info()
                        .await
                        .map(|info| info.state.messages == 10)
                        .unwrap_or(false),
                    Err(_) => false,
                }
            })
        },
    );
}
