//! `POST /analysis/run/{plugin}`: run a graph-algorithm plugin on the current topology.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::runtime::bindings::algorithms::{AlgorithmResult, Param};

/// Request body: `{"params": {"top": 5}}` (the body may be empty).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
}

/// A score in a result.
#[derive(Debug, Serialize)]
pub struct ScoredReply {
    id: String,
    score: f64,
}

/// Answer of a run.
#[derive(Debug, Serialize)]
pub struct RunReply {
    plugin: String,
    topology_version: u64,
    node_scores: Vec<ScoredReply>,
    link_scores: Vec<ScoredReply>,
    groups: Vec<Vec<String>>,
    items: Vec<String>,
    paths: Vec<Vec<String>>,
    summary: serde_json::Map<String, serde_json::Value>,
}

fn scores(list: Vec<crate::runtime::bindings::algorithms::Scored>) -> Vec<ScoredReply> {
    list.into_iter()
        .map(|scored| ScoredReply {
            id: scored.id,
            score: scored.score,
        })
        .collect()
}

/// `POST /analysis/run/{plugin}`
pub async fn run(
    State(state): State<AppState>,
    Path(plugin): Path<String>,
    body: Bytes,
) -> Result<Json<RunReply>, ApiError> {
    let request: RunRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RunRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|err| ApiError::bad_request(format!("invalid request body: {err}")))?
    };
    let params: Vec<Param> = request
        .params
        .into_iter()
        .map(|(name, value)| Param {
            name,
            value: value.to_string(),
        })
        .collect();
    let topology_version = state.topology.snapshot().version();
    let AlgorithmResult {
        node_scores,
        link_scores,
        groups,
        items,
        paths,
        summary,
    } = state.registry.run_algorithm(&plugin, params).await?;
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
