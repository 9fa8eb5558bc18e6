//! The NATS sink (`[sinks.nats]`, `--nats URL`): every anomaly is published to
//! `netassure.anomalies.<kind>` and every alert decision to `netassure.alerts.<severity>`, as
//! JSON. With `jetstream = true` the messages go to the JetStream stream `NETASSURE`
//! (subjects `netassure.>`, created when missing) and each publish waits for the server's
//! acknowledgement, so they are durable and replayable.
//!
//! The sink has its own queue of the events it carries (`queue`, 65,536 by default): while
//! NATS is slow or away they wait there, in order; only when the queue is full is an event
//! refused, counted as `netassure_sink_nats_total{kind="refused"}`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::metrics::{KindLabels, Metrics};
use crate::pipeline::{Feed, FeedEvent, Published, SinkQueue};

/// `[sinks.nats]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    /// Server URL. Example: `url = "nats://127.0.0.1:4222"`.
    pub url: String,
    /// Publish through JetStream (durable, acknowledged). Example: `jetstream = true`.
    #[serde(default)]
    pub jetstream: bool,
    /// Events waiting for NATS before new ones are refused (and counted).
    /// Example: `queue = 65536`.
    #[serde(default = "default_queue")]
    pub queue: usize,
}

fn default_queue() -> usize {
    65_536
}

impl NatsConfig {
    /// Defaults for `url`.
    pub fn for_url(url: &str, jetstream: bool) -> Self {
        NatsConfig {
            url: url.to_owned(),
            jetstream,
            queue: default_queue(),
        }
    }
}

/// The events NATS carries.
fn carries(event: &FeedEvent) -> bool {
    matches!(
        event,
        FeedEvent::Anomaly { .. } | FeedEvent::AlertOpened { .. }
    )
}

/// Register the sink's queue on `feed` now (so no event published from here on is missed)
/// and run the sink on the tokio runtime.
pub fn start(config: NatsConfig, feed: &Feed, metrics: Arc<Metrics>) {
    let refused = metrics
        .sink_nats
        .get_or_create(&KindLabels {
            kind: "refused".to_owned(),
        })
        .clone();
    let queue = feed.sink_queue(carries, config.queue, refused);
    tokio::spawn(run(config, queue, metrics));
}

/// Subject and payload of a feed event, or `None` for events NATS does not carry.
pub fn message(published: &Published) -> Option<(String, Vec<u8>)> {
    let subject = match published.event() {
        FeedEvent::Anomaly { anomaly, .. } => {
            format!("netassure.anomalies.{}", token(&anomaly.kind))
        }
        FeedEvent::AlertOpened { alert, .. } => {
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
async fn run(config: NatsConfig, mut queue: SinkQueue, metrics: Arc<Metrics>) {
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
    while let Some(event) = queue.recv().await {
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
