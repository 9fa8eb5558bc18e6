//! The API's one error type.

use axum::Json;
use axum::extract::Request;
use axum::http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::registry::{RegistryError, RunError};

/// An error answered as `{"error": CODE, "detail": TEXT}` with a status code.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Short machine-readable code.
    pub code: &'static str,
    /// What went wrong, for people.
    pub detail: String,
}

impl ApiError {
    /// An error with `status`, `code` and `detail`.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
        }
    }

    /// 400 for a request body that is not what the endpoint takes.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // A 503 is the host declining more work on purpose, not a failure to log.
        if self.status.is_server_error() && self.status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(code = self.code, "{}", self.detail);
        }
        (
            self.status,
            Json(json!({ "error": self.code, "detail": self.detail })),
        )
            .into_response()
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "the request body is over the limit: {} bytes for a plugin upload, {} for any other call",
            super::MAX_PLUGIN_BYTES,
            super::MAX_BODY_BYTES
        ),
    )
}

/// Refuse from its headers a request whose declared body is over its route's limit (a plugin
/// upload's or any other call's), before anything of it is read; the connection is closed
/// after the answer. Bodies without a declared length are cut at the limit while they are
/// read (`DefaultBodyLimit`).
pub async fn refuse_declared_oversize(request: Request, next: Next) -> Response {
    let upload = request.method() == Method::PUT
        && request
            .uri()
            .path()
            .strip_prefix("/plugins/")
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
    let limit = if upload {
        super::MAX_PLUGIN_BYTES
    } else {
        super::MAX_BODY_BYTES
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        let mut response = too_large().into_response();
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    next.run(request).await
}

/// Answers axum produces itself before a handler runs (a body cut at its limit: 413) in the
/// API's JSON error format, as every other error.
pub async fn json_rejections(response: Response) -> Response {
    let json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE || json {
        return response;
    }
    too_large().into_response()
}

impl From<RegistryError> for ApiError {
    fn from(err: RegistryError) -> Self {
        let detail = err.to_string();
        let (status, code) = match &err {
            RegistryError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            RegistryError::InvalidName(_) => (StatusCode::BAD_REQUEST, "invalid_name"),
            RegistryError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_plugin"),
            RegistryError::InvalidConfig(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_config"),
            RegistryError::WrongKind { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "wrong_kind"),
            RegistryError::Run(RunError::NotAccepting(_)) => {
                (StatusCode::CONFLICT, "plugin_unavailable")
            }
            RegistryError::Run(RunError::Plugin(_)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "plugin_error")
            }
            RegistryError::Run(RunError::Failed(_)) => (StatusCode::BAD_GATEWAY, "plugin_failed"),
            RegistryError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            RegistryError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        ApiError::new(status, code, detail)
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(err: tokio::task::JoinError) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            err.to_string(),
        )
    }
}

/// The fallback for unknown paths.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no endpoint at {}", uri.path()),
    )
}
