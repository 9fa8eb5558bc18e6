//! `GET /status` and `GET /metrics`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::Serialize;

use super::{AppState, IngestStatus};
use crate::metrics::KindLabels;
use crate::pipeline::PipelineCounters;
use crate::registry::Status;

/// Plugin counts by status.
#[derive(Debug, Default, Serialize)]
pub(crate) struct PluginCounts {
    total: usize,
    enabled: usize,
    disabled: usize,
    quarantined: usize,
    /// Waiting for a model that is learning this network.
    learning: usize,
    /// Running without something they need (a model, the inference library).
    degraded: usize,
    /// Flow windows detectors never handled, all detectors together.
    windows_skipped: u64,
    /// Flows in those windows.
    flows_skipped: u64,
}

/// What one detector never handled (`GET /plugins/{name}` has the same fields).
#[derive(Debug, Serialize)]
pub(crate) struct SkippedWindows {
    windows_skipped: u64,
    flows_skipped: u64,
}

/// Topology summary.
#[derive(Debug, Serialize)]
pub(crate) struct TopologySummary {
    version: u64,
    nodes: usize,
    links: usize,
}

/// `GET /status`
#[derive(Debug, Serialize)]
pub(crate) struct StatusReply {
    /// `starting` while the plugins load (HTTP 503), then `ok`, or `degraded` while findings
    /// cannot be stored.
    status: &'static str,
    version: &'static str,
    wit: String,
    /// Every plugin interface version whose plugins load.
    wit_compatible: Vec<String>,
    uptime_s: u64,
    plugins: PluginCounts,
    plugin_load_errors: BTreeMap<String, String>,
    /// Detectors that skipped flow windows (busy, quarantined, failed calls).
    plugin_skipped: BTreeMap<String, SkippedWindows>,
    /// Plugins that are learning or degraded, with the reason.
    plugin_health: BTreeMap<String, crate::runtime::health::Health>,
    pipeline: PipelineCounters,
    /// Whether anomalies and alerts are being stored.
    findings_store: crate::pipeline::StorageStatus,
    /// Incidents open now.
    incidents_open: usize,
    topology: TopologySummary,
    ingest: IngestReply,
    topology_stream: Option<crate::ingest::StreamStats>,
    inference: crate::inference::InferenceStatus,
    /// The flow history (`null` when `[store] enabled = false`).
    flow_history: Option<crate::flow_history::FlowHistoryStatus>,
}

/// `ingest` of `/status`: replay sources, and the NetFlow collector when configured.
#[derive(Debug, Serialize)]
pub(crate) struct IngestReply {
    replay: Vec<IngestStatus>,
    netflow: Option<crate::ingest::NetflowStatus>,
    files: Vec<crate::ingest::FlowFileStatus>,
}

/// `GET /status`
pub async fn status(State(state): State<AppState>) -> (StatusCode, Json<StatusReply>) {
    let mut plugins = PluginCounts::default();
    let mut plugin_skipped = BTreeMap::new();
    for entry in state.registry.list() {
        plugins.total += 1;
        let skipped = SkippedWindows {
            windows_skipped: entry.backlog.windows_skipped(),
            flows_skipped: entry.backlog.flows_skipped(),
        };
        plugins.windows_skipped += skipped.windows_skipped;
        plugins.flows_skipped += skipped.flows_skipped;
        if skipped.windows_skipped > 0 {
            plugin_skipped.insert(entry.name.to_string(), skipped);
        }
        match entry.status() {
            Status::Enabled => plugins.enabled += 1,
            Status::Disabled => plugins.disabled += 1,
            Status::Quarantined => plugins.quarantined += 1,
        }
    }
    let plugin_health: BTreeMap<String, crate::runtime::health::Health> =
        state.health.not_ok().into_iter().collect();
    for health in plugin_health.values() {
        match health.state {
            crate::runtime::health::HealthState::Learning => plugins.learning += 1,
            crate::runtime::health::HealthState::Degraded => plugins.degraded += 1,
            crate::runtime::health::HealthState::Ok => {}
        }
    }
    let snapshot = state.topology.snapshot();
    let findings_store = state.pipeline.storage();
    let starting = state.starting.load(std::sync::atomic::Ordering::Acquire);
    let reply = Json(StatusReply {
        status: match (starting, findings_store.ok) {
            (true, _) => "starting",
            (false, true) => "ok",
            (false, false) => "degraded",
        },
        version: env!("CARGO_PKG_VERSION"),
        wit: format!("netassure:plugin@{}", crate::runtime::WIT_VERSION),
        wit_compatible: crate::runtime::WIT_COMPATIBLE
            .iter()
            .map(|version| format!("netassure:plugin@{version}"))
            .collect(),
        uptime_s: state.started.elapsed().as_secs(),
        plugins,
        plugin_load_errors: state.registry.load_errors(),
        plugin_skipped,
        plugin_health,
        pipeline: state.pipeline.counters(),
        findings_store,
        incidents_open: state
            .pipeline
            .incidents()
            .map_or(0, |incidents| incidents.open_count()),
        topology: TopologySummary {
            version: snapshot.version(),
            nodes: snapshot.node_count(),
            links: snapshot.link_count(),
        },
        ingest: IngestReply {
            replay: state
                .ingest
                .lock()
                .map(|ingest| ingest.clone())
                .unwrap_or_default(),
            netflow: state
                .netflow
                .as_ref()
                .and_then(|status| status.lock().ok().map(|status| status.clone())),
            files: state
                .flow_files
                .lock()
                .map(|files| {
                    files
                        .iter()
                        .filter_map(|file| file.lock().ok().map(|status| status.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        },
        topology_stream: state
            .topology_stream
            .as_ref()
            .and_then(|stats| stats.lock().ok().map(|stats| stats.clone())),
        inference: state.inference.status(),
        flow_history: state.pipeline.history().map(|history| history.status()),
    });
    // Not ready while the plugins load: a readiness probe (or a script) waits for 200.
    let code = if starting {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (code, reply)
}

/// Copy the NetFlow collector's per-exporter counters into their gauges.
fn set_netflow(state: &AppState) {
    let Some(status) = state
        .netflow
        .as_ref()
        .and_then(|s| s.lock().ok().map(|s| s.clone()))
    else {
        return;
    };
    for (exporter, counters) in status.exporters {
        for (kind, value) in [
            ("flows", counters.flows),
            ("packets", counters.packets),
            ("sequence_lost", counters.sequence_lost),
            ("malformed", counters.malformed),
            ("no_template", counters.no_template),
            ("templates", counters.templates),
        ] {
            let labels = crate::metrics::ExporterLabels {
                exporter: exporter.clone(),
                kind: kind.into(),
            };
            state
                .metrics
                .netflow_exporter
                .get_or_create(&labels)
                .set(value as i64);
        }
    }
}

/// `GET /metrics` (Prometheus text format).
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let findings = state.findings.clone();
    if let Ok(Ok((by_status, anomalies))) =
        tokio::task::spawn_blocking(move || findings.counts()).await
    {
        let set = |family: &prometheus_client::metrics::family::Family<
            KindLabels,
            prometheus_client::metrics::gauge::Gauge,
        >,
                   kind: &str,
                   value: u64| {
            family
                .get_or_create(&KindLabels {
                    kind: kind.to_owned(),
                })
                .set(value as i64);
        };
        for status in ["active", "acknowledged", "resolved", "suppressed"] {
            let count = by_status
                .iter()
                .find(|(name, _)| name == status)
                .map_or(0, |(_, count)| *count);
            set(&state.metrics.alerts_stored, status, count);
        }
        set(&state.metrics.store_size, "anomalies", anomalies);
        let snapshot = state.topology.snapshot();
        set_netflow(&state);
        set(
            &state.metrics.store_size,
            "topology_nodes",
            snapshot.node_count() as u64,
        );
        set(
            &state.metrics.store_size,
            "topology_links",
            snapshot.link_count() as u64,
        );
    }
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

/// The OpenAPI document of this API, kept beside the routes in `api/openapi.json`.
pub(crate) const OPENAPI: &str = include_str!("openapi.json");

/// `GET /openapi.json`
pub async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI)
}
