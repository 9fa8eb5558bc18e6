//! `/plugins`: list, show, install or hot-swap, remove, enable, disable, reload, configure.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use std::sync::Arc;

use super::{ApiError, AppState};
use crate::registry::{InstallOutcome, PluginDetail, PluginEntry, Registry, RegistryError, Status};
use crate::runtime::health::{Health, HealthState};

/// One line of `GET /plugins`.
#[derive(Debug, Serialize)]
pub(crate) struct PluginSummary {
    name: String,
    kind: crate::runtime::PluginKind,
    version: String,
    status: Status,
    /// `ok`, `learning` (its model is learning this network) or `degraded` (it runs without
    /// something it needs).
    health: HealthState,
    calls: u64,
    failures: u64,
}

/// `GET /plugins/{name}`: the plugin, and its health with the reason.
#[derive(Debug, Serialize)]
pub(crate) struct PluginReply {
    #[serde(flatten)]
    detail: PluginDetail,
    health: Health,
}

/// `GET /plugins`
pub async fn list(State(state): State<AppState>) -> Json<Vec<PluginSummary>> {
    let plugins = state
        .registry
        .list()
        .iter()
        .map(|entry| {
            let detail = entry.detail();
            let health = state.health.get(&detail.name).state;
            PluginSummary {
                name: detail.name,
                kind: detail.kind,
                version: detail.version,
                status: detail.status,
                health,
                calls: detail.calls,
                failures: detail.failures,
            }
        })
        .collect();
    Json(plugins)
}

/// `GET /plugins/{name}`
pub async fn show(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Json<PluginReply>, ApiError> {
    let mut detail = state.registry.get(&name)?.detail();
    // A plugin's configuration may hold what only the admin should read (addresses,
    // credentials of an alert rule's target): shown with the admin token only.
    if !super::auth::presents_admin(&state, &headers) {
        detail.config = serde_json::Value::Null;
    }
    Ok(Json(PluginReply {
        health: state.health.get(&detail.name),
        detail,
    }))
}

/// Answer of `PUT /plugins/{name}`.
#[derive(Debug, Serialize)]
pub(crate) struct InstallReply {
    outcome: InstallOutcome,
    plugin: PluginDetail,
}

/// `PUT /plugins/{name}` with the component as the body: 201 created, 200 swapped or unchanged.
pub async fn install(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<InstallReply>), ApiError> {
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_plugin",
            "the body is empty: send the component bytes",
        ));
    }
    let registry = state.registry.clone();
    let (outcome, entry) =
        tokio::task::spawn_blocking(move || registry.install_bytes(&name, &body)).await??;
    let status = if outcome == InstallOutcome::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(InstallReply {
            outcome,
            plugin: entry.detail(),
        }),
    ))
}

/// `DELETE /plugins/{name}`
pub async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let registry = state.registry.clone();
    tokio::task::spawn_blocking(move || registry.remove(&name)).await??;
    Ok(StatusCode::NO_CONTENT)
}

/// Run a blocking registry operation off the async runtime and answer with the plugin's detail.
async fn detail_after<F>(state: &AppState, operation: F) -> Result<Json<PluginDetail>, ApiError>
where
    F: FnOnce(&Registry) -> Result<Arc<PluginEntry>, RegistryError> + Send + 'static,
{
    let registry = state.registry.clone();
    let entry = tokio::task::spawn_blocking(move || operation(&registry)).await??;
    Ok(Json(entry.detail()))
}

/// `POST /plugins/{name}/enable`
pub async fn enable(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<PluginDetail>, ApiError> {
    detail_after(&state, move |registry| registry.set_enabled(&name, true)).await
}

/// `POST /plugins/{name}/disable`
pub async fn disable(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<PluginDetail>, ApiError> {
    detail_after(&state, move |registry| registry.set_enabled(&name, false)).await
}

/// `POST /plugins/{name}/reload`
pub async fn reload(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<PluginDetail>, ApiError> {
    detail_after(&state, move |registry| registry.reload(&name)).await
}

/// `PUT /plugins/{name}/config` with a JSON object: checked on a fresh instance, then applied.
pub async fn configure(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<PluginDetail>, ApiError> {
    let config: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|err| ApiError::bad_request(format!("the body is not valid JSON: {err}")))?;
    if !config.is_object() {
        return Err(ApiError::bad_request(
            "the configuration must be a JSON object",
        ));
    }
    detail_after(&state, move |registry| registry.configure(&name, &config)).await
}
