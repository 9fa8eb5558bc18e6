//! Bearer-token authentication of mutating calls.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;

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
    // Read the body before answering: a client still sending an upload would otherwise see a
    // broken pipe instead of the 401.
    let _ = axum::body::to_bytes(request.into_body(), super::MAX_PLUGIN_BYTES).await;
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        refusal,
    ))
}

/// Compare without an early exit, so timing does not reveal how much of the token matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
