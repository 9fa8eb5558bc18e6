//! `/incidents`: anomalies with evidence assembled per attacker (see `crate::incidents`).
//! `since` is the incident's last evidence (flow time), RFC 3339 or ms since the epoch.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::findings::{limit, not_found, query};
use super::topology::parse_since;
use super::{ApiError, AppState};
use crate::findings::IncidentFilter;
use crate::incidents::{IncidentRecord, IncidentStatus};

/// Query of `GET /incidents`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IncidentsQuery {
    status: Option<String>,
    alerting: Option<bool>,
    since: Option<String>,
    limit: Option<usize>,
}

/// `GET /incidents?status=&alerting=&since=&limit=` (most recently seen first).
pub async fn incidents(
    State(state): State<AppState>,
    params: Result<Query<IncidentsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<IncidentRecord>>, ApiError> {
    let params = query(params)?;
    let status = params
        .status
        .as_deref()
        .map(|text| {
            IncidentStatus::parse(text).ok_or_else(|| {
                ApiError::bad_request(format!("unknown status `{text}`: use open or closed"))
            })
        })
        .transpose()?;
    let filter = IncidentFilter {
        status,
        alerting: params.alerting,
        since_ms: params.since.as_deref().map(parse_since).transpose()?,
        limit: limit(params.limit)?,
    };
    let findings = state.findings.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || findings.incidents(&filter)).await??,
    ))
}

/// `GET /incidents/{id}`
pub async fn incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<IncidentRecord>, ApiError> {
    let findings = state.findings.clone();
    let lookup = id.clone();
    let incident = tokio::task::spawn_blocking(move || findings.incident(&lookup)).await??;
    incident.map(Json).ok_or_else(|| not_found("incident", &id))
}
