//! `POST /analysis/what-if`: fail nodes and links on the current (or a past) topology and see
//! lost reachability, rerouted load and overloaded links — computed by the `what-if` plugin.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::{body_or_default, run_analysis, summary};
use crate::api::{ApiError, AppState};

/// Request body: `{"fail": ["spine-1", "leaf-3--spine-2"], "overload_threshold": 0.9}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhatIfRequest {
    /// Node or link ids to fail (required, at least one).
    #[serde(default)]
    fail: Vec<String>,
    /// Utilisation above which a link counts as overloaded (default 1.0).
    overload_threshold: Option<f64>,
    /// Analyse links and nodes that are down too (default false).
    include_down: Option<bool>,
    /// Topology version (default: the current one).
    version: Option<u64>,
    /// The plugin computing it (default `what-if`).
    plugin: Option<String>,
}

/// A failed link's traffic and the path now carrying it.
#[derive(Debug, Serialize)]
pub(crate) struct Rerouted {
    link_id: String,
    path: Vec<String>,
}

/// A link's utilisation after the failure.
#[derive(Debug, Serialize)]
pub struct LinkUtilisation {
    link_id: String,
    utilisation: f64,
}

/// Answer.
#[derive(Debug, Serialize)]
pub(crate) struct WhatIfReply {
    plugin: String,
    topology_version: u64,
    fail: Vec<String>,
    lost_pairs: u64,
    cut_off: Vec<Vec<String>>,
    cut_off_nodes: u64,
    rerouted: Vec<Rerouted>,
    rerouted_bps: f64,
    lost_bps: f64,
    overloaded_links: Vec<String>,
    utilisation_after: Vec<LinkUtilisation>,
}

/// `POST /analysis/what-if`
pub async fn what_if(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<WhatIfReply>, ApiError> {
    let request: WhatIfRequest = body_or_default(&body)?;
    if request.fail.is_empty() {
        return Err(ApiError::bad_request(
            "`fail` must list at least one node or link id",
        ));
    }
    let plugin = request.plugin.unwrap_or_else(|| "what-if".to_owned());
    let mut params = serde_json::Map::new();
    params.insert("fail".into(), serde_json::json!(request.fail));
    if let Some(threshold) = request.overload_threshold {
        params.insert("overload_threshold".into(), serde_json::json!(threshold));
    }
    if let Some(include_down) = request.include_down {
        params.insert("include_down".into(), serde_json::json!(include_down));
    }
    let (topology_version, result) =
        run_analysis(&state, "what-if", &plugin, params, request.version).await?;
    let count = |key: &str| summary(&result, key).unwrap_or(0.0);
    Ok(Json(WhatIfReply {
        topology_version,
        fail: request.fail,
        lost_pairs: count("lost_pairs") as u64,
        cut_off_nodes: count("cut_off_nodes") as u64,
        rerouted_bps: count("rerouted_bps"),
        lost_bps: count("lost_bps"),
        rerouted: result
            .paths
            .iter()
            .filter_map(|path| {
                let (link_id, nodes) = path.split_first()?;
                Some(Rerouted {
                    link_id: link_id.clone(),
                    path: nodes.to_vec(),
                })
            })
            .collect(),
        overloaded_links: result.items,
        utilisation_after: result
            .link_scores
            .into_iter()
            .map(|scored| LinkUtilisation {
                link_id: scored.id,
                utilisation: scored.score,
            })
            .collect(),
        cut_off: result.groups,
        plugin,
    }))
}
