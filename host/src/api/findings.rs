//! `/alerts` and `/anomalies`: query, acknowledge, resolve, give feedback.
//!
//! These operator calls need no admin token (decision in docs/decisions.md); `since` takes
//! RFC 3339 (`Z` or an offset) or milliseconds since the epoch.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::topology::parse_since;
use super::{ApiError, AppState};
use crate::findings::{Alert, AlertFilter, AlertStatus, Anomaly, AnomalyFilter, FindingsError};
use crate::model::{Severity, now_ms};

/// Most rows one query returns.
pub(crate) const MAX_LIMIT: usize = 10_000;

impl From<FindingsError> for ApiError {
    fn from(err: FindingsError) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            err.to_string(),
        )
    }
}

pub(super) fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no {what} `{id}`"),
    )
}

pub(super) fn limit(requested: Option<usize>) -> Result<usize, ApiError> {
    match requested {
        None => Ok(100),
        Some(0) => Err(ApiError::bad_request("`limit` must be at least 1")),
        Some(limit) => Ok(limit.min(MAX_LIMIT)),
    }
}

pub(super) fn query<T>(
    query: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, ApiError> {
    query
        .map(|Query(query)| query)
        .map_err(|err| ApiError::bad_request(err.body_text()))
}

/// Query of `GET /alerts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertsQuery {
    status: Option<String>,
    since: Option<String>,
    node: Option<String>,
    severity: Option<String>,
    limit: Option<usize>,
}

/// `GET /alerts?status=&since=&node=&severity=&limit=` (newest first).
pub async fn alerts(
    State(state): State<AppState>,
    params: Result<Query<AlertsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Alert>>, ApiError> {
    let params = query(params)?;
    let status = params
        .status
        .as_deref()
        .map(|text| {
            AlertStatus::parse(text).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unknown status `{text}`: use active, acknowledged, resolved or suppressed"
                ))
            })
        })
        .transpose()?;
    let severity = params
        .severity
        .as_deref()
        .map(|text| {
            serde_json::from_value::<Severity>(serde_json::Value::String(text.to_owned())).map_err(
                |_| {
                    ApiError::bad_request(format!(
                        "unknown severity `{text}`: use info, warning, minor, major or critical"
                    ))
                },
            )
        })
        .transpose()?;
    let filter = AlertFilter {
        status,
        since_ms: params.since.as_deref().map(parse_since).transpose()?,
        node: params.node,
        severity,
        limit: limit(params.limit)?,
    };
    let findings = state.findings.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || findings.alerts(&filter)).await??,
    ))
}

/// `GET /alerts/{id}`
pub async fn alert(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Alert>, ApiError> {
    let findings = state.findings.clone();
    let lookup = id.clone();
    let alert = tokio::task::spawn_blocking(move || findings.alert(&lookup)).await??;
    alert.map(Json).ok_or_else(|| not_found("alert", &id))
}

async fn set_status(
    state: AppState,
    id: String,
    status: AlertStatus,
) -> Result<Json<Alert>, ApiError> {
    let findings = state.findings.clone();
    let lookup = id.clone();
    let alert = tokio::task::spawn_blocking(move || findings.set_status(&lookup, status, now_ms()))
        .await??;
    let alert = alert.ok_or_else(|| not_found("alert", &id))?;
    changed(&state, &alert);
    Ok(Json(alert))
}

fn changed(state: &AppState, alert: &Alert) {
    let event = crate::pipeline::FeedEvent::AlertChanged {
        alert_id: alert.alert_id.clone(),
        status: alert.status.as_str().to_owned(),
    };
    state.pipeline.feed().publish(event);
}

/// `POST /alerts/{id}/ack`
pub async fn ack(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Alert>, ApiError> {
    set_status(state, id, AlertStatus::Acknowledged).await
}

/// `POST /alerts/{id}/resolve`
pub async fn resolve(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Alert>, ApiError> {
    set_status(state, id, AlertStatus::Resolved).await
}

/// Body of `POST /alerts/{id}/feedback`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedbackBody {
    is_false_positive: bool,
    #[serde(default)]
    notes: Option<String>,
}

/// `POST /alerts/{id}/feedback` with `{"is_false_positive": bool, "notes": string|null}`.
pub async fn feedback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Alert>, ApiError> {
    let body: FeedbackBody = serde_json::from_slice(&body).map_err(|err| {
        ApiError::bad_request(format!(
            "expected {{\"is_false_positive\": bool, \"notes\": string|null}}: {err}"
        ))
    })?;
    let findings = state.findings.clone();
    let lookup = id.clone();
    let alert = tokio::task::spawn_blocking(move || {
        findings.feedback(
            &lookup,
            body.is_false_positive,
            body.notes.as_deref(),
            now_ms(),
        )
    })
    .await??;
    let alert = alert.ok_or_else(|| not_found("alert", &id))?;
    changed(&state, &alert);
    Ok(Json(alert))
}

/// Query of `GET /anomalies`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnomaliesQuery {
    since: Option<String>,
    kind: Option<String>,
    min_score: Option<f64>,
    limit: Option<usize>,
}

/// `GET /anomalies?since=&kind=&min_score=&limit=` (newest first).
pub async fn anomalies(
    State(state): State<AppState>,
    params: Result<Query<AnomaliesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Anomaly>>, ApiError> {
    let params = query(params)?;
    let filter = AnomalyFilter {
        since_ms: params.since.as_deref().map(parse_since).transpose()?,
        kind: params.kind,
        min_score: params.min_score,
        limit: limit(params.limit)?,
    };
    let findings = state.findings.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || findings.anomalies(&filter)).await??,
    ))
}

/// `GET /anomalies/{id}`
pub async fn anomaly(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Anomaly>, ApiError> {
    let findings = state.findings.clone();
    let lookup = id.clone();
    let anomaly = tokio::task::spawn_blocking(move || findings.anomaly(&lookup)).await??;
    anomaly.map(Json).ok_or_else(|| not_found("anomaly", &id))
}

/// `GET /anomalies/{id}/ietf`: the anomaly as an `ietf-relevant-state` instance (RFC 7951 JSON).
pub async fn anomaly_ietf(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(anomaly) = anomaly(State(state), Path(id)).await?;
    Ok(Json(crate::findings::ietf::relevant_state(&anomaly)))
}
