//! The REST API (axum): `fn app(state) -> Router`, one error type ([`ApiError`]) that becomes
//! a JSON response `{"error": ..., "detail": ...}`, Bearer-token auth on every mutating call
//! (admin or operator), and JSON-only `POST`s.

mod analysis;
mod auth;
mod content_type;
mod error;
mod findings;
mod flows;
mod incidents;
mod models;
mod plugins;
mod serve;
mod status;
#[cfg(test)]
mod tests;
mod topology;
mod ws;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::{Router, middleware};

pub use auth::Tokens;
pub use error::ApiError;
pub use serve::{ServeLimits, serve};

use crate::metrics::Metrics;
use crate::pipeline::{Pipeline, ReplaySummary};
use crate::registry::Registry;
use crate::topology::TopologyStore;

/// Largest plugin upload.
pub const MAX_PLUGIN_BYTES: usize = 64 << 20;
/// Largest request body of every other call (analysis parameters, configurations, feedback).
pub(crate) const MAX_BODY_BYTES: usize = 2 << 20;

/// Progress of an ingest source, for `/status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestStatus {
    /// Source name.
    pub source: String,
    /// True while it is still reading.
    pub running: bool,
    /// What it did so far (set when it finishes).
    pub summary: Option<ReplaySummary>,
    /// Why it stopped early, if it did.
    pub error: Option<String>,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Plugins.
    pub registry: Arc<Registry>,
    /// The event pipeline.
    pub pipeline: Arc<Pipeline>,
    /// The topology.
    pub topology: Arc<TopologyStore>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// The admin and operator tokens.
    pub tokens: Tokens,
    /// The API's connection limits.
    pub limits: ServeLimits,
    /// Start time.
    pub started: Instant,
    /// Ingest sources.
    pub ingest: Arc<Mutex<Vec<IngestStatus>>>,
    /// Anomalies and alerts.
    pub findings: Arc<crate::findings::FindingsStore>,
    /// The NetFlow collector's counters, when one is configured.
    pub netflow: Option<Arc<Mutex<crate::ingest::NetflowStatus>>>,
    /// ONNX models.
    pub inference: Arc<crate::inference::InferenceService>,
    /// Flow files being read or read (`--flows`).
    pub flow_files: Arc<Mutex<Vec<Arc<Mutex<crate::ingest::FlowFileStatus>>>>>,
    /// The topology stream client's counters, when one is configured.
    pub topology_stream: Option<Arc<Mutex<crate::ingest::StreamStats>>>,
    /// Plugin health (degraded or waiting for a model).
    pub health: Arc<crate::runtime::health::HealthBoard>,
    /// True until the plugin directory is loaded (`/status` answers 503 `starting`).
    pub starting: Arc<std::sync::atomic::AtomicBool>,
}

/// The whole API.
pub fn app(state: AppState) -> Router {
    let admin = Router::new()
        .route(
            "/plugins/{name}",
            put(plugins::install)
                .layer(DefaultBodyLimit::max(MAX_PLUGIN_BYTES))
                .delete(plugins::remove),
        )
        .route("/plugins/{name}/enable", post(plugins::enable))
        .route("/plugins/{name}/disable", post(plugins::disable))
        .route("/plugins/{name}/reload", post(plugins::reload))
        .route("/plugins/{name}/config", put(plugins::configure))
        .route("/models/reload", post(models::reload))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_admin,
        ));
    let operator = Router::new()
        .route("/alerts/{id}/ack", post(findings::ack))
        .route("/alerts/{id}/resolve", post(findings::resolve))
        .route("/alerts/{id}/feedback", post(findings::feedback))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_operator,
        ));
    Router::new()
        .route("/status", get(status::status))
        .route("/metrics", get(status::metrics))
        .route("/openapi.json", get(status::openapi))
        .route("/plugins", get(plugins::list))
        .route("/models", get(models::list))
        .route("/plugins/{name}", get(plugins::show))
        .route("/analysis/run/{plugin}", post(analysis::run))
        .route("/analysis/what-if", post(analysis::whatif::what_if))
        .route("/analysis/cascade", post(analysis::cascade::cascade))
        .route("/analysis/capacity", get(analysis::capacity::capacity))
        .route("/alerts", get(findings::alerts))
        .route("/alerts/{id}", get(findings::alert))
        .route("/flows", get(flows::flows))
        .route("/incidents", get(incidents::incidents))
        .route("/incidents/{id}", get(incidents::incident))
        .route("/anomalies", get(findings::anomalies))
        .route("/anomalies/{id}", get(findings::anomaly))
        .route("/anomalies/{id}/ietf", get(findings::anomaly_ietf))
        .route("/ws/events", get(ws::events))
        .route("/topology", get(topology::current))
        .route("/topology/versions", get(topology::versions))
        .route("/topology/diff", get(topology::diff))
        .route("/topology/nodes/{id}", get(topology::node))
        .route("/topology/links/{id}/history", get(topology::link_history))
        .merge(admin)
        .merge(operator)
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_response(error::json_rejections))
        .layer(middleware::from_fn(error::refuse_declared_oversize))
        .layer(middleware::from_fn(content_type::require_json_posts))
        .with_state(state)
}
