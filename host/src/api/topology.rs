//! `/topology`: the current graph, its versions, diffs between versions, one node, and a
//! link's utilisation history.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::model::{Link, Node};
use crate::topology::utilisation::Point;
use crate::topology::{Diff, HistoryError, VersionSummary};

/// `GET /topology`
#[derive(Debug, Serialize)]
pub(crate) struct TopologyReply {
    version: u64,
    timestamp: String,
    node_count: usize,
    link_count: usize,
    nodes: Vec<Node>,
    links: Vec<Link>,
}

/// `GET /topology`
pub async fn current(State(state): State<AppState>) -> Json<TopologyReply> {
    let snapshot = state.topology.snapshot();
    let mut nodes: Vec<Node> = snapshot.nodes().cloned().collect();
    let mut links: Vec<Link> = snapshot.links().cloned().collect();
    nodes.sort_by(|a, b| a.id.cmp(&b.id));
    links.sort_by(|a, b| a.id.cmp(&b.id));
    Json(TopologyReply {
        version: snapshot.version(),
        timestamp: crate::timefmt::ms_to_rfc3339(snapshot.timestamp_ms()),
        node_count: nodes.len(),
        link_count: links.len(),
        nodes,
        links,
    })
}

/// Query of `GET /topology/versions`.
#[derive(Debug, Deserialize)]
pub(crate) struct VersionsQuery {
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    100
}

/// `GET /topology/versions`
#[derive(Debug, Serialize)]
pub(crate) struct VersionsReply {
    current: u64,
    oldest_diffable: u64,
    versions: Vec<VersionSummary>,
}

/// `GET /topology/versions?limit=N` (newest first).
pub async fn versions(
    State(state): State<AppState>,
    query: Result<Query<VersionsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<VersionsReply>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    Ok(Json(VersionsReply {
        current: state.topology.version(),
        oldest_diffable: state.topology.oldest_diffable(),
        versions: state.topology.versions(query.limit),
    }))
}

/// Query of `GET /topology/diff`.
#[derive(Debug, Deserialize)]
pub(crate) struct DiffQuery {
    from: u64,
    to: Option<u64>,
}

/// `GET /topology/diff?from=A&to=B` (`to` defaults to the current version).
pub async fn diff(
    State(state): State<AppState>,
    query: Result<Query<DiffQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Diff>, ApiError> {
    let Query(query) = query.map_err(|err| {
        ApiError::bad_request(format!(
            "{} (`from` is required; `from` and `to` are version numbers)",
            err.body_text()
        ))
    })?;
    let to = query.to.unwrap_or_else(|| state.topology.version());
    state
        .topology
        .diff(query.from, to)
        .map(Json)
        .map_err(|err| {
            let (status, code) = match err {
                HistoryError::Order { .. } => (StatusCode::BAD_REQUEST, "bad_request"),
                HistoryError::Future(..) => (StatusCode::NOT_FOUND, "not_found"),
                HistoryError::Expired(..) => (StatusCode::GONE, "expired"),
            };
            ApiError::new(status, code, err.to_string())
        })
}

/// `GET /topology/nodes/{id}`
#[derive(Debug, Serialize)]
pub(crate) struct NodeReply {
    version: u64,
    node: Node,
    links: Vec<Link>,
    neighbours: Vec<String>,
}

/// `GET /topology/nodes/{id}`
pub async fn node(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<NodeReply>, ApiError> {
    let snapshot = state.topology.snapshot();
    let node = snapshot.node(&id).cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no node `{id}`"),
        )
    })?;
    Ok(Json(NodeReply {
        version: snapshot.version(),
        links: snapshot.links_of(&id).into_iter().cloned().collect(),
        neighbours: snapshot.neighbours(&id),
        node,
    }))
}

/// Query of `GET /topology/links/{id}/history`.
#[derive(Debug, Deserialize)]
pub(crate) struct HistoryQuery {
    since: Option<String>,
}

/// One point of a link's history.
#[derive(Debug, Serialize)]
pub(crate) struct PointReply {
    timestamp: String,
    timestamp_ms: u64,
    utilisation: f64,
}

/// `GET /topology/links/{id}/history`
#[derive(Debug, Serialize)]
pub(crate) struct HistoryReply {
    link: String,
    points: Vec<PointReply>,
}

/// Parse `since`: RFC 3339 (`2026-11-22T10:00:00Z`, or with an offset) or milliseconds since the epoch.
pub(crate) fn parse_since(text: &str) -> Result<u64, ApiError> {
    if let Ok(ms) = text.parse::<u64>() {
        // The stores compare times as i64: a larger value would wrap to before the epoch.
        if ms > i64::MAX as u64 {
            return Err(ApiError::bad_request(format!(
                "`since` must be at most {} milliseconds since the epoch, got {ms}",
                i64::MAX
            )));
        }
        return Ok(ms);
    }
    text.parse::<jiff::Timestamp>()
        .map(|timestamp| timestamp.as_millisecond().max(0) as u64)
        .map_err(|err| ApiError::bad_request(format!("`since` must be RFC 3339 (2026-11-22T10:00:00Z) or milliseconds since the epoch: {err}")))
}

/// `GET /topology/links/{id}/history?since=T`
pub async fn link_history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<HistoryReply>, ApiError> {
    let since = query
        .since
        .as_deref()
        .map(parse_since)
        .transpose()?
        .unwrap_or(0);
    let points = match state.topology.link_history(&id, since) {
        Some(points) => points,
        None if state.topology.snapshot().link(&id).is_some() => Vec::new(),
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no link `{id}`"),
            ));
        }
    };
    let points = points
        .into_iter()
        .map(
            |Point {
                 timestamp_ms,
                 utilisation,
             }| PointReply {
                timestamp: crate::timefmt::ms_to_rfc3339(timestamp_ms),
                timestamp_ms,
                utilisation,
            },
        )
        .collect();
    Ok(Json(HistoryReply { link: id, points }))
}
