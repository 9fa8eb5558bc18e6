//! The webhook notifier (`[sinks.webhook]`, `--webhook URL`): every alert decision
//! (`alert-opened`) and every operator change (`alert-changed`) is POSTed as JSON — the feed
//! event itself — to the URL. Failures (connection errors, 5xx, 429) are retried with
//! exponential backoff (`backoff_ms`, doubling, `max_retries` times); other 4xx answers are
//! not retried. Deliveries run on a thread of their own, in order.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use crate::metrics::{KindLabels, Metrics};
use crate::pipeline::{Feed, FeedEvent};

/// `[sinks.webhook]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST. Example: `url = "http://alerts.example.net/netassure"`.
    pub url: String,
    /// Retries after the first attempt. Example: `max_retries = 5`.
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    /// First retry delay, ms (doubles each retry). Example: `backoff_ms = 200`.
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
}

fn default_retries() -> u32 {
    5
}

fn default_backoff_ms() -> u64 {
    200
}

impl WebhookConfig {
    /// Defaults for `url`.
    pub fn for_url(url: &str) -> Self {
        WebhookConfig {
            url: url.to_owned(),
            max_retries: default_retries(),
            backoff_ms: default_backoff_ms(),
        }
    }
}

fn count(metrics: &Metrics, outcome: &str) {
    metrics
        .sink_webhook
        .get_or_create(&KindLabels {
            kind: outcome.to_owned(),
        })
        .inc();
}

/// POST `body`, retrying; true when delivered.
fn deliver(agent: &ureq::Agent, config: &WebhookConfig, body: &[u8], metrics: &Metrics) -> bool {
    let mut delay = Duration::from_millis(config.backoff_ms.max(1));
    for attempt in 0..=config.max_retries {
        if attempt > 0 {
            count(metrics, "retried");
            std::thread::sleep(delay);
            delay *= 2;
        }
        let outcome = agent
            .post(&config.url)
            .header("Content-Type", "application/json")
            .send(body);
        match outcome {
            Ok(response) if response.status().is_success() => return true,
            Ok(response)
                if response.status().is_client_error() && response.status().as_u16() != 429 =>
            {
                tracing::warn!(url = %config.url, status = %response.status(), "webhook refused an alert; not retrying");
                return false;
            }
            Ok(response) => {
                tracing::debug!(url = %config.url, status = %response.status(), attempt, "webhook failed")
            }
            Err(err) => tracing::debug!(url = %config.url, attempt, "webhook failed: {err}"),
        }
    }
    tracing::warn!(url = %config.url, "webhook gave up after {} retries", config.max_retries);
    false
}

/// Start the notifier on its own thread.
pub fn spawn(config: WebhookConfig, feed: &Feed, metrics: Arc<Metrics>) {
    let mut events = feed.subscribe();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let spawned = std::thread::Builder::new()
        .name("webhook".into())
        .spawn(move || {
            loop {
                let event = match events.blocking_recv() {
                    Ok(event) => event,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!("webhook notifier fell behind and skipped {missed} events");
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                if !matches!(
                    event.event(),
                    FeedEvent::AlertOpened { .. } | FeedEvent::AlertChanged { .. }
                ) {
                    continue;
                }
                let body = event.json().as_bytes();
                let delivered = deliver(&agent, &config, body, &metrics);
                count(&metrics, if delivered { "delivered" } else { "failed" });
            }
        });
    if let Err(err) = spawned {
        tracing::error!("cannot start the webhook notifier: {err}");
    }
}
