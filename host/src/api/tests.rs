//! In-process tests of the router: `app()` over a host built by `server::prepare` (no socket,
//! no plugins), one request at a time through `tower::ServiceExt::oneshot`. The end-to-end
//! tests (`tests/`) drive the real binary over HTTP; these check the router's own rules.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

use super::Tokens;

const ADMIN: &str = "admin-token";

/// A host without plugins and its router, in a temporary directory.
struct Api {
    router: Router,
    host: crate::server::Host,
    _dir: tempfile::TempDir,
}

fn api() -> Api {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::config::Config::default();
    config.data.dir = dir.path().join("data");
    config.plugins.dir = dir.path().join("plugins");
    config.plugins.watch = false;
    config.inference.models_dir = dir.path().join("models");
    let tokens = Tokens {
        admin: ADMIN.into(),
        operator: "operator-token".into(),
    };
    let host = crate::server::prepare(&config, tokens).unwrap();
    Api {
        router: super::app(host.state.clone()),
        host,
        _dir: dir,
    }
}

/// One request: `body` as JSON when given; the admin token when `admin`.
async fn call(
    router: &Router,
    method: Method,
    path: &str,
    body: Option<&str>,
    admin: bool,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if admin {
        request = request.header(header::AUTHORIZATION, format!("Bearer {ADMIN}"));
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(Body::from(body.unwrap_or_default().to_owned()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn status_says_starting_until_the_plugins_load() {
    let mut api = api();
    let (status, body) = call(&api.router, Method::GET, "/status", None, false).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("starting"))
    );
    tokio::task::block_in_place(|| api.host.load()).unwrap();
    let (status, body) = call(&api.router, Method::GET, "/status", None, false).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok")),
        "{body}"
    );
    assert_eq!(body["plugins"]["windows_skipped"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_route_is_routed() {
    let api = api();
    let openapi: Value = serde_json::from_str(include_str!("openapi.json")).unwrap();
    for (path, item) in openapi["paths"].as_object().unwrap() {
        let concrete = path
            .split('/')
            .map(|part| if part.starts_with('{') { "x" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = (method != Method::GET && method != Method::DELETE).then_some("{}");
            let (status, answer) = call(&api.router, method.clone(), &concrete, body, true).await;
            let unrouted = status == StatusCode::METHOD_NOT_ALLOWED
                || (status == StatusCode::NOT_FOUND
                    && answer["detail"]
                        .as_str()
                        .is_some_and(|detail| detail.starts_with("no endpoint at")));
            assert!(!unrouted, "{method} {path}: {status} {answer}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_paths_wrong_methods_missing_tokens_and_non_json_posts_are_refused() {
    let api = api();
    let (status, body) = call(&api.router, Method::GET, "/no/such/thing", None, false).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = call(&api.router, Method::DELETE, "/status", None, true).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _) = call(
        &api.router,
        Method::POST,
        "/models/reload",
        Some("{}"),
        false,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "admin calls need the admin token"
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri("/models/reload")
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    let response = api.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}
