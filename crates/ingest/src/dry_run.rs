//! `netassure ingest --ws URL --dry-run`: connect, decode and validate a topology stream into
//! a private in-memory store and print a running summary of what would be applied. Nothing
//! of a running host is touched.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use netassure_metrics::Metrics;
use netassure_model::InputEvent;
use netassure_netflow::FlowColumns;
use netassure_topology::TopologyStore;
use serde::Serialize;

use super::TopologyStreamConfig;
use super::{StreamStats, TopologyStreamClient};
use crate::{Publish, WhenBusy};

/// What the dry run publishes into: a private topology store, no plugins, nothing stored.
struct TopologyOnly {
    store: Arc<TopologyStore>,
    metrics: Metrics,
    next_id: AtomicU64,
}

impl Publish for TopologyOnly {
    fn publish(&self, _source: &str, event: &InputEvent) -> Option<u64> {
        event.kind()?;
        if let Some(delta) = event.topology_delta() {
            self.store.apply(&delta, event.timestamp_ms());
        } else if let Some(sample) = event.telemetry_sample() {
            self.store.apply_telemetry(&sample);
        }
        Some(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    fn publish_flows(&self, _: &str, _: u64, _: u64, _: FlowColumns, _: WhenBusy) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// When to stop.
#[derive(Debug, Clone, Copy, Default)]
pub struct DryRunLimits {
    /// Stop after this long (`None`: until Ctrl-C).
    pub duration: Option<Duration>,
    /// Stop after this many messages.
    pub max_messages: Option<u64>,
}

/// The final summary.
#[derive(Debug, Clone, Serialize)]
pub struct DryRunSummary {
    /// Stream counters.
    pub stream: StreamStats,
    /// Topology version the stream would have produced.
    pub version: u64,
    /// Nodes it would hold.
    pub nodes: usize,
    /// Links it would hold.
    pub links: usize,
}

fn summary(stats: &StreamStats, store: &TopologyStore) -> DryRunSummary {
    let snapshot = store.snapshot();
    DryRunSummary {
        stream: stats.clone(),
        version: snapshot.version(),
        nodes: snapshot.node_count(),
        links: snapshot.link_count(),
    }
}

fn line(summary: &DryRunSummary) -> String {
    let s = &summary.stream;
    format!(
        "{:<10} msgs {:>7}  snapshots {:>3}  deltas {:>6}  telemetry {:>7}  gaps {:>3}  resyncs {:>3}  unknown types {:>3} fields {:>3}  malformed {:>3}  -> v{} {} nodes {} links",
        s.state,
        s.messages,
        s.snapshots,
        s.deltas,
        s.telemetry,
        s.gaps,
        s.resyncs,
        s.unknown_types,
        s.unknown_fields,
        s.malformed,
        summary.version,
        summary.nodes,
        summary.links
    )
}

/// Run the dry run, printing a line per second; returns the final summary.
pub async fn dry_run(url: &str, limits: DryRunLimits) -> DryRunSummary {
    let store = Arc::new(TopologyStore::new());
    let publisher = Arc::new(TopologyOnly {
        store: store.clone(),
        metrics: Metrics::new(),
        next_id: AtomicU64::new(1),
    });
    let client = TopologyStreamClient::new(TopologyStreamConfig::for_url(url), publisher);
    let stats = client.stats();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let thread = client.spawn(stop_rx);
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut last_print = Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        let current = summary(&stats.lock().expect("stats lock"), &store);
        if last_print.elapsed() >= Duration::from_secs(1) {
            println!("{}", line(&current));
            last_print = Instant::now();
        }
        let out_of_time = limits
            .duration
            .is_some_and(|limit| started.elapsed() >= limit);
        let enough = limits
            .max_messages
            .is_some_and(|limit| current.stream.messages >= limit);
        if out_of_time || enough {
            break;
        }
    }
    let _ = stop_tx.send(true);
    let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    let last = summary(&stats.lock().expect("stats lock"), &store);
    println!("{}", line(&last));
    last
}
