//! WebSocket fan-out benchmark (`cargo xtask bench`): 100 clients on `GET /ws/events` of a
//! real host (axum on loopback), anomaly events published into the feed. Reports the
//! publish → client receive latency (p50/p99) at a steady rate, and the most messages per
//! second delivered to all clients together without any client lagging. Results go to
//! BENCHMARKS.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use netassure_host::config::Config;
use netassure_host::model::AnomalyRecord;
use netassure_host::model::anomaly::SymptomRecord;
use netassure_host::pipeline::{Feed, FeedEvent};

const CLIENTS: usize = 100;

/// What each client saw in one phase.
#[derive(Default)]
struct Received {
    messages: u64,
    lagged: u64,
    latencies_us: Vec<u64>,
}

fn anomaly(sequence: u64) -> FeedEvent {
    FeedEvent::Anomaly {
        anomaly: Box::new(AnomalyRecord {
            anomaly_id: uuid::Uuid::new_v4().to_string(),
            kind: "link-over-utilised".into(),
            score: 0.93,
            confidence: 1.0,
            contributing_node_ids: vec!["spine-1".into(), "leaf-7".into()],
            contributing_link_ids: vec!["spine-1:leaf-7".into()],
            flow_keys: vec![],
            description: "link spine-1:leaf-7 at 93% of capacity for 3 samples".into(),
            pattern: "spike".into(),
            symptom: SymptomRecord {
                id: "link-over-utilised".into(),
                action: "exceeded".into(),
                reason: "utilisation above 0.9".into(),
                trigger: "link".into(),
                network_plane: "forwarding".into(),
                concern_score: 93,
            },
            detector: "link-utilisation".into(),
            detector_version: "0.1.0".into(),
            event_id: sequence,
            detected_at: "2026-11-22T00:00:00.000Z".into(),
            evidence: None,
            incident_id: None,
        }),
        suppressed: false,
        stored: true,
    }
}

/// The `event_id` field of an anomaly event's JSON text.
fn event_id(text: &str) -> usize {
    let at = text.find(r#""event_id":"#).expect("an anomaly event") + r#""event_id":"#.len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("event id")
}

/// A client: count messages until `expected` (or a gap is reported) and record latencies.
async fn client(
    url: String,
    expected: u64,
    epoch: Instant,
    sent_at: Arc<Vec<AtomicU64>>,
) -> Received {
    let (mut socket, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connect");
    let mut received = Received::default();
    while received.messages + received.lagged < expected {
        let Some(Ok(message)) = socket.next().await else {
            break;
        };
        let Ok(text) = message.to_text() else {
            continue;
        };
        // As little client work as possible: the clients share the 2 cores with the host.
        if text.contains(r#""type":"lagged""#) {
            let value: serde_json::Value = serde_json::from_str(text).expect("json");
            received.lagged += value["missed"].as_u64().unwrap_or(0);
            continue;
        }
        let sequence = event_id(text);
        let now = epoch.elapsed().as_nanos() as u64;
        received
            .latencies_us
            .push(now.saturating_sub(sent_at[sequence].load(Ordering::Relaxed)) / 1000);
        received.messages += 1;
    }
    received
}

/// Publish `events` at `rate` per second (0: as fast as possible) to `CLIENTS` clients.
async fn phase(url: &str, feed: &Feed, events: u64, rate: u64) -> (Vec<Received>, Duration) {
    let epoch = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..events).map(|_| AtomicU64::new(0)).collect());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| tokio::spawn(client(url.to_owned(), events, epoch, sent_at.clone())))
        .collect();
    // Every client subscribes before the first event.
    while feed.subscribers() < CLIENTS {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    for sequence in 0..events {
        if rate > 0 {
            let due = started + Duration::from_secs_f64(sequence as f64 / rate as f64);
            tokio::time::sleep_until(due.into()).await;
        } else if sequence % 64 == 0 {
            tokio::task::yield_now().await;
        }
        let event = anomaly(sequence);
        sent_at[sequence as usize].store(epoch.elapsed().as_nanos() as u64, Ordering::Relaxed);
        feed.publish(event);
    }
    let mut results = Vec::new();
    for handle in clients {
        results.push(handle.await.expect("client"));
    }
    (results, started.elapsed())
}

fn report(name: &str, results: &[Received], elapsed: Duration) {
    let mut latencies: Vec<u64> = results
        .iter()
        .flat_map(|r| r.latencies_us.iter().copied())
        .collect();
    latencies.sort_unstable();
    let percentile = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    let delivered: u64 = results.iter().map(|r| r.messages).sum();
    let lagged: u64 = results.iter().map(|r| r.lagged).sum();
    let lagging_clients = results.iter().filter(|r| r.lagged > 0).count();
    println!(
        "{name}: {delivered} messages to {CLIENTS} clients in {:.2} s = {:.0} messages/s; latency p50 {} µs, p99 {} µs; missed {lagged} ({lagging_clients} clients lagged)",
        elapsed.as_secs_f64(),
        delivered as f64 / elapsed.as_secs_f64(),
        percentile(0.5),
        percentile(0.99),
    );
}

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("plugins"))?;
    let config = Config::from_toml(&format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[plugins]\ndir = {:?}\nwatch = false\n[data]\ndir = {:?}\n",
        dir.path().join("plugins"),
        dir.path().join("data"),
    ))?;
    let host = netassure_host::server::build(
        &config,
        netassure_host::api::Tokens {
            admin: Arc::from("bench"),
            operator: Arc::from("bench"),
        },
    )?;
    let feed = host.state.pipeline.feed().clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("ws://{}/ws/events", listener.local_addr()?);
        let app = netassure_host::api::app(host.state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        for rate in [1_000, 5_000, 10_000] {
            let (results, elapsed) = phase(&url, &feed, rate * 5, rate).await;
            report(&format!("{rate} events/s for 5 s"), &results, elapsed);
        }
        let (results, elapsed) = phase(&url, &feed, 20_000, 0).await;
        report("20,000 events as fast as published", &results, elapsed);
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(())
}
