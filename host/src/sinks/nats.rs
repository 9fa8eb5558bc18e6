//! The NATS sink (`[sinks.nats]`, `--nats URL`): every anomaly is published to
//! `netassure.anomalies.<kind>` and every alert decision to `netassure.alerts.<severity>`, as
//! JSON. With `jetstream = true` the messages go to the JetStream stream `NETASSURE`
//! (subjects `netassure.>`, created when missing) and each publish waits for the server's
//! acknowledgement, so they are durable and replayable.
//!
//! The sink reads the live feed; if NATS is slower than the host for longer than the feed's
//! buffer, the oldest messages are skipped and counted (`netassure_sink_nats_total{kind="lagged"}`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use crate::metrics::{KindLabels, Metrics};
use crate::pipeline::{Feed, FeedEvent, Published};

/// `[sinks.nats]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    /// Server URL. Example: `url = "nats://127.0.0.1:4222"`.
    pub url: String,
    /// Publish through JetStream (durable, acknowledged). Example: `jetstream = true`.
    #[serde(default)]
    pub jetstream: bool,
}

/// Subject and payload of a feed event, or `None` for events NATS does not carry.
pub fn message(published: &Published) -> Option<(String, Vec<u8>)> {
    let subject = match published.event() {
        FeedEvent::Anomaly { anomaly, .. } => {
            format!("netassure.anomalies.{}", token(&anomaly.kind))
        }
        FeedEvent::AlertOpened { alert } => {
            let severity = serde_json::to_value(alert.severity).ok()?;
            format!("netassure.alerts.{}", severity.as_str()?)
        }
        _ => return None,
    };
    Some((subject, published.json().as_bytes().to_vec()))
}

/// A subject token: NATS separators and wildcards replaced.
fn token(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '.' || c == '*' || c == '>' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

fn count(metrics: &Metrics, kind: &str) {
    metrics
        .sink_nats
        .get_or_create(&KindLabels {
            kind: kind.to_owned(),
        })
        .inc();
}

/// Run the sink until the feed closes.
pub async fn run(config: NatsConfig, feed: Feed, metrics: Arc<Metrics>) {
    let mut events = feed.subscribe();
    let client = match async_nats::connect(config.url.as_str()).await {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(url = %config.url, "NATS sink disabled: cannot connect: {err}");
            return;
        }
    };
    tracing::info!(url = %config.url, jetstream = config.jetstream, "NATS sink connected");
    let jetstream = if config.jetstream {
        let context = async_nats::jetstream::new(client.clone());
        let stream = async_nats::jetstream::stream::Config {
            name: "NETASSURE".into(),
            subjects: vec!["netassure.>".into()],
            ..Default::default()
        };
        if let Err(err) = context.get_or_create_stream(stream).await {
            tracing::error!("NATS sink: cannot create the JetStream stream: {err}");
        }
        Some(context)
    } else {
        None
    };
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!("NATS sink fell behind and skipped {missed} events");
                metrics
                    .sink_nats
                    .get_or_create(&KindLabels {
                        kind: "lagged".into(),
                    })
                    .inc_by(missed);
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let Some((subject, payload)) = message(&event) else {
            continue;
        };
        let published = match &jetstream {
            Some(context) => match context.publish(subject, payload.into()).await {
                Ok(ack) => ack.await.map(|_| ()).map_err(|err| err.to_string()),
                Err(err) => Err(err.to_string()),
            },
            None => client
                .publish(subject, payload.into())
                .await
                .map_err(|err| err.to_string()),
        };
        match published {
            Ok(()) => count(&metrics, "published"),
            Err(err) => {
                count(&metrics, "failed");
                tracing::warn!("NATS publish failed: {err}");
            }
        }
    }
}
