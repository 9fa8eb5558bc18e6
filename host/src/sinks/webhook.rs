//! The webhook notifier (`[sinks.webhook]`, `--webhook URL`): every alert decision
//! (`alert-opened`) and every operator change (`alert-changed`) is POSTed as JSON — the feed
//! event itself — to the URL. Failures (connection errors, 5xx, 429) are retried with
//! exponential backoff (`backoff_ms`, doubling, `max_retries` times); other 4xx answers are
//! not retried. Deliveries run on a thread of their own, in order.
//!
//! The notifier has its own queue of alert events (`queue`, 65,536 by default): a burst of
//! alerts waits there, none is skipped; only when the queue is full is an alert refused,
//! counted as `netassure_sink_webhook_total{kind="refused"}`. `https://` URLs are verified
//! against the system's trusted CAs, or against `ca_file` when set. A URL that cannot work
//! is refused when the host starts.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

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
    /// Alerts waiting for delivery before new ones are refused (and counted).
    /// Example: `queue = 65536`.
    #[serde(default = "default_queue")]
    pub queue: usize,
    /// PEM file of the CAs to trust for an `https://` URL instead of the system's.
    /// Example: `ca_file = "/etc/netassure/hooks-ca.pem"`.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_queue() -> usize {
    65_536
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
            queue: default_queue(),
            ca_file: None,
        }
    }

    /// The HTTP client for this URL, or why the URL cannot work.
    fn agent(&self) -> anyhow::Result<ureq::Agent> {
        let uri: ureq::http::Uri = self
            .url
            .parse()
            .with_context(|| format!("webhook URL `{}` is not a URL", self.url))?;
        if uri.host().is_none() {
            bail!("webhook URL `{}` has no host", self.url);
        }
        let builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)));
        let builder = match uri.scheme_str() {
            Some("http") => builder,
            Some("https") => builder.tls_config(
                TlsConfig::builder()
                    .root_certs(self.trusted_roots()?)
                    .build(),
            ),
            _ => bail!(
                "webhook URL `{}`: only http:// and https:// are supported",
                self.url
            ),
        };
        Ok(builder.build().into())
    }

    /// The CAs of `ca_file`, else the system's, else Mozilla's.
    fn trusted_roots(&self) -> anyhow::Result<RootCerts> {
        let Some(path) = &self.ca_file else {
            let system = rustls_native_certs::load_native_certs().certs;
            if system.is_empty() {
                return Ok(RootCerts::WebPki);
            }
            let certs: Vec<Certificate<'static>> = system
                .iter()
                .map(|der| Certificate::from_der(der.as_ref()).to_owned())
                .collect();
            return Ok(RootCerts::new_with_certs(&certs));
        };
        let pem = std::fs::read(path)
            .with_context(|| format!("reading the webhook's ca_file {}", path.display()))?;
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            if let PemItem::Certificate(cert) = item
                .with_context(|| format!("the webhook's ca_file {} is not PEM", path.display()))?
            {
                certs.push(cert);
            }
        }
        if certs.is_empty() {
            bail!(
                "the webhook's ca_file {} holds no certificate",
                path.display()
            );
        }
        Ok(RootCerts::new_with_certs(&certs))
    }
}

/// The events the notifier delivers.
fn is_alert_event(event: &FeedEvent) -> bool {
    matches!(
        event,
        FeedEvent::AlertOpened { .. } | FeedEvent::AlertChanged { .. }
    )
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

/// Start the notifier on its own thread; an error when the URL or `ca_file` cannot work.
pub fn spawn(config: WebhookConfig, feed: &Feed, metrics: Arc<Metrics>) -> anyhow::Result<()> {
    let agent = config.agent()?;
    let refused = metrics
        .sink_webhook
        .get_or_create(&KindLabels {
            kind: "refused".to_owned(),
        })
        .clone();
    let mut queue = feed.sink_queue(is_alert_event, config.queue, refused);
    std::thread::Builder::new()
        .name("webhook".into())
        .spawn(move || {
            while let Some(event) = queue.blocking_recv() {
                let delivered = deliver(&agent, &config, event.json().as_bytes(), &metrics);
                count(&metrics, if delivered { "delivered" } else { "failed" });
            }
        })
        .context("starting the webhook notifier")?;
    Ok(())
}
