//! `GET /ws/events`: the live feed over a WebSocket, one JSON message per event.
//!
//! Filters (query parameters, all optional): `types` (comma-separated: `anomaly`,
//! `alert-opened`, `alert-changed`, `topology-changed`, `plugin-changed`), `kind` (anomaly
//! kind), `severity` (alert severity). A client that falls behind is sent
//! `{"type": "lagged", "missed": N}` and goes on from the newest events; it never slows the
//! host or other clients.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::{ApiError, AppState};
use crate::pipeline::{FeedEvent, Published};

/// Filters of `GET /ws/events`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedFilter {
    types: Option<String>,
    kind: Option<String>,
    severity: Option<String>,
}

impl FeedFilter {
    fn accepts(&self, event: &FeedEvent) -> bool {
        if let Some(types) = &self.types
            && !types.split(',').any(|wanted| wanted.trim() == event.kind())
        {
            return false;
        }
        match event {
            FeedEvent::Anomaly { anomaly, .. } => {
                self.kind.as_deref().is_none_or(|kind| anomaly.kind == kind)
            }
            FeedEvent::AlertOpened { alert, .. } => {
                self.severity.as_deref().is_none_or(|severity| {
                    serde_json::to_value(alert.severity).is_ok_and(|value| value == severity)
                })
            }
            _ => true,
        }
    }
}

/// `GET /ws/events`
pub async fn events(
    State(state): State<AppState>,
    filter: Result<Query<FeedFilter>, axum::extract::rejection::QueryRejection>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let Query(filter) = filter.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let feed = state.pipeline.feed().subscribe();
    // A third of the idle timeout: an idle feed keeps its connection, a gone peer is found.
    let ping_every = state.limits.idle_timeout / 3;
    Ok(upgrade.on_upgrade(move |socket| stream(socket, feed, filter, ping_every)))
}

async fn stream(
    mut socket: WebSocket,
    mut feed: tokio::sync::broadcast::Receiver<std::sync::Arc<Published>>,
    filter: FeedFilter,
    ping_every: std::time::Duration,
) {
    // Pings keep an idle feed's connection alive and find peers that are gone.
    let mut ping = tokio::time::interval(ping_every);
    ping.tick().await;
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
            event = feed.recv() => {
                let text = match event {
                    Ok(event) if filter.accepts(event.event()) => event.json().to_owned(),
                    Ok(_) => continue,
                    Err(RecvError::Lagged(missed)) => serde_json::json!({"type": "lagged", "missed": missed}).to_string(),
                    Err(RecvError::Closed) => return,
                };
                if socket.send(Message::text(text)).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
