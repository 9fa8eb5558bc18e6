//! Bearer-token authentication, checked before the body is read (a refused request's body is
//! never buffered): the admin token for calls that change plugins or models, the operator
//! token (or the admin token) for operator calls on alerts.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONNECTION, CONTENT_LENGTH};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::{ApiError, AppState};

/// The tokens the API accepts.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Changes plugins and models; accepted for operator calls too.
    pub admin: Arc<str>,
    /// Acknowledges, resolves and gives feedback on alerts.
    pub operator: Arc<str>,
}

/// Refuse the request with 401 unless it carries `Authorization: Bearer <admin token>`.
pub async fn require_admin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let accepted = [state.tokens.admin.as_ref()];
    require(&accepted, "admin", request, next).await
}

/// Refuse the request with 401 unless it carries the operator or the admin token.
pub async fn require_operator(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let accepted = [state.tokens.operator.as_ref(), state.tokens.admin.as_ref()];
    require(&accepted, "operator", request, next).await
}

/// True when `headers` carry the admin token (for reads that show more to the admin).
pub(crate) fn presents_admin(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| constant_time_eq(token.as_bytes(), state.tokens.admin.as_bytes()))
}

async fn require(
    accepted: &[&str],
    role: &str,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let refusal = match presented {
        Some(token)
            if accepted
                .iter()
                .any(|wanted| constant_time_eq(token.as_bytes(), wanted.as_bytes())) =>
        {
            return Ok(next.run(request).await);
        }
        Some(_) => "the bearer token is not valid".to_owned(),
        None => format!("this call needs `Authorization: Bearer <{role} token>`"),
    };
    // Nothing of a refused request is kept: a body declared larger than `REFUSED_BODY_BYTES`
    // is not read at all; a smaller one is read and dropped chunk by chunk (so a client still
    // sending a small upload reads the 401 instead of a broken pipe); the connection is
    // closed after the answer.
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_none_or(|length| length <= REFUSED_BODY_BYTES as u64) {
        discard(request.into_body(), REFUSED_BODY_BYTES).await;
    }
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", refusal).into_response();
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    Ok(response)
}

/// Most bytes of a refused request's body read (and dropped) before the answer.
pub(crate) const REFUSED_BODY_BYTES: usize = 4 << 20;

/// Read and drop up to `limit` bytes of `body`, a chunk at a time.
async fn discard(body: Body, limit: usize) {
    let mut stream = body.into_data_stream();
    let mut read = 0usize;
    while read < limit {
        match stream.next().await {
            Some(Ok(chunk)) => read += chunk.len(),
            _ => break,
        }
    }
}

/// Compare without an early exit, so timing does not reveal how much of the token matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
