//! Every `POST` must say its body is JSON: `Content-Type: application/json` (parameters such
//! as `; charset=utf-8` allowed), even when the body is empty. A browser can send a
//! cross-site "simple" request (a form post, `text/plain`, no body) without asking the host
//! first; one that claims JSON needs a CORS preflight, which the host never grants. So a page
//! on another site cannot make an operator's browser act on the API.

use axum::extract::Request;
use axum::http::header::{CONNECTION, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// True when `value` names `application/json`, whatever its parameters.
fn is_json(value: &HeaderValue) -> bool {
    value
        .to_str()
        .ok()
        .and_then(|text| text.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// Refuse with 415 a `POST` whose `Content-Type` is not `application/json`, before its body
/// is read; the connection is closed after the answer.
pub async fn require_json_posts(request: Request, next: Next) -> Response {
    let declared = request.headers().get(CONTENT_TYPE);
    if request.method() != Method::POST || declared.is_some_and(is_json) {
        return next.run(request).await;
    }
    let detail = match declared.and_then(|value| value.to_str().ok()) {
        Some(other) => {
            format!("POST bodies are JSON: send `Content-Type: application/json`, not `{other}`")
        }
        None => {
            "POST calls need `Content-Type: application/json` (also with an empty body)".to_owned()
        }
    };
    let mut response = ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        detail,
    )
    .into_response();
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_with_or_without_parameters_is_json() {
        for text in [
            "application/json",
            "Application/JSON; charset=utf-8",
            " application/json ;x=y",
        ] {
            assert!(is_json(&HeaderValue::from_str(text).unwrap()), "{text}");
        }
        for text in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
            "",
        ] {
            assert!(!is_json(&HeaderValue::from_str(text).unwrap()), "{text}");
        }
    }
}
