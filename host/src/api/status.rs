//! `GET /status` and `GET /metrics`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::Serialize;

use super::{AppState, IngestStatus};
use crate::pipeline::PipelineCounters;
use crate::registry::Status;

/// Plugin counts by status.
#[derive(Debug, Default, Serialize)]
pub struct PluginCounts {
    total: usize,
    enabled: usize,
    disabled: usize,
    quarantined: usize,
}

/// Topology summary.
#[derive(Debug, Serialize)]
pub struct TopologySummary {
    version: u64,
    nodes: usize,
    links: usize,
}

/// `GET /status`
#[derive(Debug, Serialize)]
pub struct StatusReply {
    status: &'static str,
    version: &'static str,
    wit: &'static str,
    uptime_s: u64,
    plugins: PluginCounts,
    plugin_load_errors: BTreeMap<String, String>,
    pipeline: PipelineCounters,
    topology: TopologySummary,
    ingest: Vec<IngestStatus>,
    topology_stream: Option<crate::ingest::StreamStats>,
}

/// `GET /status`
pub async fn status(State(state): State<AppState>) -> Json<StatusReply> {
    let mut plugins = PluginCounts::default();
    for entry in state.registry.list() {
        plugins.total += 1;
        match entry.status() {
            Status::Enabled => plugins.enabled += 1,
            Status::Disabled => plugins.disabled += 1,
            Status::Quarantined => plugins.quarantined += 1,
        }
    }
    let snapshot = state.topology.snapshot();
    Json(StatusReply {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        wit: "netassure:plugin@0.1.0",
        uptime_s: state.started.elapsed().as_secs(),
        plugins,
        plugin_load_errors: state.registry.load_errors(),
        pipeline: state.pipeline.counters(),
        topology: TopologySummary {
            version: snapshot.version(),
            nodes: snapshot.node_count(),
            links: snapshot.link_count(),
        },
        ingest: state
            .ingest
            .lock()
            .map(|ingest| ingest.clone())
            .unwrap_or_default(),
        topology_stream: state
            .topology_stream
            .as_ref()
            .and_then(|stats| stats.lock().ok().map(|stats| stats.clone())),
    })
}

/// `GET /metrics` (Prometheus text format).
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

/// The OpenAPI document of this API, kept beside the routes in `api/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// `GET /openapi.json`
pub async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI)
}
