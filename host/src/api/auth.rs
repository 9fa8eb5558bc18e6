//! Bearer-token authentication of mutating calls, checked before the body is read: a refused
//! request's body is never buffered.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONNECTION, CONTENT_LENGTH};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::{ApiError, AppState};

/// Refuse the request with 401 unless it carries `Authorization: Bearer <admin token>`.
pub async fn require_admin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let refusal = match presented {
        Some(token) if constant_time_eq(token.as_bytes(), state.admin_token.as_bytes()) => {
            return Ok(next.run(request).await);
        }
        Some(_) => "the bearer token is not valid",
        None => "this call needs `Authorization: Bearer <admin token>`",
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
pub const REFUSED_BODY_BYTES: usize = 4 << 20;

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
