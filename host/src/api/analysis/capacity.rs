//! `GET /analysis/capacity?threshold=0.8&since=...&horizon_days=365`: per-link utilisation
//! trend and days until the threshold, from the stored utilisation history — the host
//! gathers the series, the `capacity-planning` plugin fits them.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use super::{run_analysis, summary};
use crate::api::topology::parse_since;
use crate::api::{ApiError, AppState};

/// Query parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapacityQuery {
    /// Utilisation that counts as full (default 0.8).
    threshold: Option<f64>,
    /// Only samples at or after this time (RFC 3339 or ms; default: the whole history).
    since: Option<String>,
    /// Only links reaching the threshold within this many days get a date (default 365).
    horizon_days: Option<f64>,
    /// The plugin computing it (default `capacity-planning`).
    plugin: Option<String>,
}

/// One link's outlook.
#[derive(Debug, Serialize)]
pub(crate) struct LinkOutlook {
    link_id: String,
    /// Utilisation on the trend line at the newest sample.
    utilisation: f64,
    /// Utilisation change per day.
    trend_per_day: f64,
    /// Days until the threshold at this trend (0: already there; null: not within the horizon).
    days_to_threshold: Option<f64>,
    /// Samples fitted.
    samples: usize,
}

/// Answer.
#[derive(Debug, Serialize)]
pub(crate) struct CapacityReply {
    plugin: String,
    threshold: f64,
    horizon_days: f64,
    links: Vec<LinkOutlook>,
}

/// `GET /analysis/capacity`
pub async fn capacity(
    State(state): State<AppState>,
    query: Result<Query<CapacityQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CapacityReply>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let since_ms = query
        .since
        .as_deref()
        .map(parse_since)
        .transpose()?
        .unwrap_or(0);
    let plugin = query
        .plugin
        .unwrap_or_else(|| "capacity-planning".to_owned());
    let snapshot = state.topology.snapshot();
    let mut series: BTreeMap<String, Vec<[f64; 2]>> = BTreeMap::new();
    for link in snapshot.links() {
        let Some(points) = state.topology.link_history(&link.id, since_ms) else {
            continue;
        };
        if points.len() >= 2 {
            series.insert(
                link.id.to_string(),
                points
                    .iter()
                    .map(|p| [p.timestamp_ms as f64, p.utilisation])
                    .collect(),
            );
        }
    }
    let samples: BTreeMap<&String, usize> = series.iter().map(|(id, s)| (id, s.len())).collect();
    let mut params = serde_json::Map::new();
    params.insert("series".into(), serde_json::json!(series));
    if let Some(threshold) = query.threshold {
        params.insert("threshold".into(), serde_json::json!(threshold));
    }
    if let Some(horizon) = query.horizon_days {
        params.insert("horizon_days".into(), serde_json::json!(horizon));
    }
    let (_, result) = run_analysis(&state, "capacity", &plugin, params, None).await?;
    let days: BTreeMap<&str, f64> = result
        .link_scores
        .iter()
        .map(|scored| (scored.id.as_str(), scored.score))
        .collect();
    let mut links: Vec<LinkOutlook> = samples
        .iter()
        .filter_map(|(id, &count)| {
            Some(LinkOutlook {
                utilisation: summary(&result, &format!("level:{id}"))?,
                trend_per_day: summary(&result, &format!("slope_per_day:{id}"))?,
                days_to_threshold: days.get(id.as_str()).copied(),
                samples: count,
                link_id: (*id).clone(),
            })
        })
        .collect();
    links.sort_by(|a, b| {
        let key = |l: &LinkOutlook| l.days_to_threshold.unwrap_or(f64::INFINITY);
        key(a)
            .total_cmp(&key(b))
            .then_with(|| a.link_id.cmp(&b.link_id))
    });
    Ok(Json(CapacityReply {
        plugin,
        threshold: summary(&result, "threshold").unwrap_or(0.8),
        horizon_days: summary(&result, "horizon_days").unwrap_or(365.0),
        links,
    }))
}
