//! `GET /models`: the inference service's models with their cards, and the ones that failed to
//! load with the reason; `POST /models/reload` re-reads the model directory at once.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use crate::inference::{InferenceStatus, ModelInfo};

/// `GET /models`
#[derive(Debug, Serialize)]
pub(crate) struct ModelsReply {
    /// The service: device, library.
    inference: InferenceStatus,
    /// Loaded models.
    models: Vec<ModelInfo>,
    /// Models that failed to load, by name.
    errors: std::collections::BTreeMap<String, String>,
}

/// `GET /models`
pub async fn list(State(state): State<AppState>) -> Json<ModelsReply> {
    Json(ModelsReply {
        inference: state.inference.status(),
        models: state.inference.models(),
        errors: state.inference.model_errors().into_iter().collect(),
    })
}

/// `POST /models/reload`
pub async fn reload(State(state): State<AppState>) -> Json<ModelsReply> {
    let inference = state.inference.clone();
    let _ = tokio::task::spawn_blocking(move || inference.reload()).await;
    list(State(state)).await
}
