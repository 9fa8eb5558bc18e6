//! Analyses, orchestrated by the host and computed by graph-algorithm plugins:
//!
//! - `POST /analysis/run/{plugin}` runs any graph-algorithm plugin on the current or a past
//!   topology version with parameters;
//! - `POST /analysis/what-if` ([`whatif`]), `POST /analysis/cascade` ([`cascade`]) and
//!   `GET /analysis/capacity` ([`capacity`]) run the `what-if`, `cascade` and
//!   `capacity-planning` plugins and shape their results for people and scripts.

pub mod capacity;
pub mod cascade;
pub mod whatif;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::registry::RegistryError;
use crate::runtime::bindings::algorithms::{AlgorithmResult, Param, Scored};

/// Request body of `POST /analysis/run/{plugin}`: `{"params": {"top": 5}, "version": 12}`
/// (the body may be empty; without `version`, the current topology).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunRequest {
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
    version: Option<u64>,
}

/// A score in a result.
#[derive(Debug, Serialize)]
pub(crate) struct ScoredReply {
    id: String,
    score: f64,
}

/// Answer of a run.
#[derive(Debug, Serialize)]
pub(crate) struct RunReply {
    plugin: String,
    topology_version: u64,
    node_scores: Vec<ScoredReply>,
    link_scores: Vec<ScoredReply>,
    groups: Vec<Vec<String>>,
    items: Vec<String>,
    paths: Vec<Vec<String>>,
    summary: serde_json::Map<String, serde_json::Value>,
}

fn scores(list: Vec<Scored>) -> Vec<ScoredReply> {
    list.into_iter()
        .map(|scored| ScoredReply {
            id: scored.id,
            score: scored.score,
        })
        .collect()
}

/// A JSON body, or the default when the body is empty.
fn body_or_default<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|err| ApiError::bad_request(format!("invalid request body: {err}")))
}

/// Run graph-algorithm `plugin` with `params` on topology `version` (the current one when
/// `None`); returns the version analysed and the result.
pub async fn run_plugin(
    state: &AppState,
    plugin: &str,
    params: serde_json::Map<String, serde_json::Value>,
    version: Option<u64>,
) -> Result<(u64, AlgorithmResult), ApiError> {
    let slot = state.registry.reserve_run()?;
    let snapshot = match version {
        None => state.topology.snapshot(),
        Some(version) => state.topology.snapshot_at(version).map_err(|err| {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_version", err.to_string())
        })?,
    };
    let topology_version = snapshot.version();
    let params: Vec<Param> = params
        .into_iter()
        .map(|(name, value)| Param {
            name,
            value: value.to_string(),
        })
        .collect();
    let result = state
        .registry
        .run_algorithm(slot, plugin, params, snapshot)
        .await?;
    Ok((topology_version, result))
}

/// Like [`run_plugin`] for an analysis endpoint: a missing plugin is explained.
async fn run_analysis(
    state: &AppState,
    analysis: &str,
    plugin: &str,
    params: serde_json::Map<String, serde_json::Value>,
    version: Option<u64>,
) -> Result<(u64, AlgorithmResult), ApiError> {
    match run_plugin(state, plugin, params, version).await {
        Err(err) if err.code == "not_found" && state.registry.get(plugin).is_err() => {
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "analysis_unavailable",
                format!(
                    "the {analysis} analysis runs the graph-algorithm plugin `{plugin}`, which is not installed: {}",
                    RegistryError::NotFound(plugin.to_owned())
                ),
            ))
        }
        other => other,
    }
}

/// A named scalar of a result.
fn summary(result: &AlgorithmResult, key: &str) -> Option<f64> {
    result
        .summary
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| *value)
}

/// `POST /analysis/run/{plugin}`
pub async fn run(
    State(state): State<AppState>,
    Path(plugin): Path<String>,
    body: Bytes,
) -> Result<Json<RunReply>, ApiError> {
    let request: RunRequest = body_or_default(&body)?;
    let (topology_version, result) =
        run_plugin(&state, &plugin, request.params, request.version).await?;
    let AlgorithmResult {
        node_scores,
        link_scores,
        groups,
        items,
        paths,
        summary,
    } = result;
    Ok(Json(RunReply {
        plugin,
        topology_version,
        node_scores: scores(node_scores),
        link_scores: scores(link_scores),
        groups,
        items,
        paths,
        summary: summary
            .into_iter()
            .map(|(name, value)| (name, serde_json::json!(value)))
            .collect(),
    }))
}
