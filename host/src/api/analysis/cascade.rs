//! `POST /analysis/cascade`: a Motter–Lai load–capacity cascade on the current (or a past)
//! topology, as the sequence of failures until stable — computed by the `cascade` plugin.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::{body_or_default, run_analysis, summary};
use crate::api::{ApiError, AppState};

/// Request body (all optional): `{"tolerance": 0.2, "fail": ["spine-1"]}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CascadeRequest {
    /// Capacity headroom over the initial load (default 0.2).
    tolerance: Option<f64>,
    /// Nodes failing first (default: the most loaded node).
    fail: Option<Vec<String>>,
    /// Estimate loads from this many sources (default: exact up to 2,000 nodes).
    samples: Option<usize>,
    /// Seed of the sampled sources.
    seed: Option<u64>,
    /// Analyse links and nodes that are down too (default false).
    include_down: Option<bool>,
    /// Topology version (default: the current one).
    version: Option<u64>,
    /// The plugin computing it (default `cascade`).
    plugin: Option<String>,
}

/// One round of failures.
#[derive(Debug, Serialize)]
pub struct Step {
    step: usize,
    failed: Vec<String>,
}

/// Answer.
#[derive(Debug, Serialize)]
pub(crate) struct CascadeReply {
    plugin: String,
    topology_version: u64,
    tolerance: f64,
    steps: Vec<Step>,
    failed_total: u64,
    largest_component_fraction: f64,
    exact: bool,
}

/// `POST /analysis/cascade`
pub async fn cascade(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<CascadeReply>, ApiError> {
    let request: CascadeRequest = body_or_default(&body)?;
    let plugin = request.plugin.unwrap_or_else(|| "cascade".to_owned());
    let mut params = serde_json::Map::new();
    let fields = [
        ("tolerance", request.tolerance.map(|v| serde_json::json!(v))),
        ("fail", request.fail.map(|v| serde_json::json!(v))),
        ("samples", request.samples.map(|v| serde_json::json!(v))),
        ("seed", request.seed.map(|v| serde_json::json!(v))),
        (
            "include_down",
            request.include_down.map(|v| serde_json::json!(v)),
        ),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            params.insert(name.into(), value);
        }
    }
    let (topology_version, result) =
        run_analysis(&state, "cascade", &plugin, params, request.version).await?;
    Ok(Json(CascadeReply {
        plugin,
        topology_version,
        tolerance: summary(&result, "tolerance").unwrap_or_default(),
        failed_total: summary(&result, "failed").unwrap_or_default() as u64,
        largest_component_fraction: summary(&result, "largest_component_fraction")
            .unwrap_or_default(),
        exact: summary(&result, "exact").is_some_and(|exact| exact == 1.0),
        steps: result
            .groups
            .into_iter()
            .enumerate()
            .map(|(step, failed)| Step { step, failed })
            .collect(),
    }))
}
