//! `netassure.toml`: the host's configuration. Strict: an unknown key is an error. Every
//! field has a default, so an empty file (or none) is a working configuration; command-line
//! flags override the file. `netassure.example.toml` at the repository root shows every field.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::runtime::Limits;

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The HTTP server.
    pub server: ServerConfig,
    /// Plugins.
    pub plugins: PluginsConfig,
    /// Where the host keeps its data.
    pub data: DataConfig,
    /// The topology store's history.
    pub topology: crate::topology::StoreConfig,
    /// Live ingest sources.
    pub ingest: IngestConfig,
    /// Anomaly and alert lifecycle.
    pub findings: crate::findings::FindingsConfig,
    /// How anomalies with evidence become incidents, and when an incident opens an alert.
    /// Example: `[incidents] min_windows = 3`.
    pub incidents: crate::incidents::IncidentsConfig,
    /// Outbound sinks.
    pub sinks: SinksConfig,
    /// Where findings go besides the log.
    pub output: OutputConfig,
    /// Logging.
    pub log: LogConfig,
    /// ONNX models for plugins. Example: `[inference] device = "auto"`.
    pub inference: crate::inference::InferenceConfig,
    /// Per model: learning this network, the threshold's false-positive rate, whether a
    /// generic model may be used. Example: `[models.flow-gae] learn = "24h"`.
    pub models: crate::inference::ModelsConfig,
    /// The flow history: every flow kept under `data/flows/`. Example: `[store] enabled = true`.
    pub store: StoreSection,
}

/// `[store]`: the flow history (docs/flow-queries.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// Keep every flow the host sees. Off by default until the store writes fast enough that
    /// detection at 1 M flows/s is measured unaffected with it on (issue 14, BENCHMARKS.md).
    /// Example: `enabled = true`.
    pub enabled: bool,
    /// How long raw flows are kept: a number and `h` or `d`. Example: `raw = "7d"`.
    pub raw: String,
    /// Write the flows in memory to a file once there are this many. Example:
    /// `flush_flows = 1000000`.
    pub flush_flows: usize,
    /// ... or once the oldest has waited this many seconds. Example: `flush_after_s = 60`.
    pub flush_after_s: u64,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            enabled: false,
            raw: "7d".into(),
            flush_flows: 1_000_000,
            flush_after_s: 60,
        }
    }
}

impl StoreSection {
    /// `raw` as a duration.
    pub fn raw_retention(&self) -> anyhow::Result<std::time::Duration> {
        let text = self.raw.trim();
        let hours = match (text.strip_suffix('h'), text.strip_suffix('d')) {
            (Some(hours), _) => hours.parse::<u64>().ok(),
            (_, Some(days)) => days.parse::<u64>().ok().map(|d| d.saturating_mul(24)),
            _ => None,
        };
        match hours {
            Some(hours) if hours > 0 => Ok(std::time::Duration::from_secs(hours * 3_600)),
            _ => {
                anyhow::bail!("[store] raw: `{text}` is not a retention such as \"7d\" or \"48h\"")
            }
        }
    }
}

/// `[server]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address of the REST API. Example: `listen = "127.0.0.1:8080"`.
    pub listen: SocketAddr,
    /// Bearer token required by every call that changes plugins or models;
    /// `NETASSURE_ADMIN_TOKEN` overrides it. When neither is set the host generates one into
    /// `DATA_DIR/admin-token` (readable by its owner only). Example: `admin_token = "s3cret"`.
    pub admin_token: Option<String>,
    /// Bearer token required by operator calls on alerts (ack, resolve, feedback); the admin
    /// token is accepted too. `NETASSURE_OPERATOR_TOKEN` overrides it. When neither is set
    /// the host generates one into `DATA_DIR/operator-token`. Example: `operator_token = "on-call"`.
    pub operator_token: Option<String>,
    /// API connections open at once (WebSockets included); more clients wait to be accepted.
    /// Example: `max_connections = 512`.
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers (also how long an idle keep-alive
    /// connection is kept: above common clients' pool ages). Example: `header_timeout_s = 30`.
    pub header_timeout_s: u64,
    /// Seconds without progress (nothing read, nothing written) before a connection is closed.
    /// Example: `idle_timeout_s = 60`.
    pub idle_timeout_s: u64,
    /// Seconds open requests, plugins and storage get to finish at shutdown before the host
    /// exits anyway. Example: `shutdown_timeout_s = 30`.
    pub shutdown_timeout_s: u64,
}

impl ServerConfig {
    /// The API's connection limits.
    pub fn limits(&self) -> crate::api::ServeLimits {
        crate::api::ServeLimits {
            max_connections: self.max_connections.max(1),
            header_timeout: std::time::Duration::from_secs(self.header_timeout_s.max(1)),
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout_s.max(1)),
            shutdown_timeout: std::time::Duration::from_secs(self.shutdown_timeout_s),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_token: None,
            operator_token: None,
            max_connections: 512,
            header_timeout_s: 30,
            idle_timeout_s: 60,
            shutdown_timeout_s: 30,
        }
    }
}

/// `[plugins]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginsConfig {
    /// Plugin directory: every `NAME.wasm` in it is a plugin. Example: `dir = "plugins"`.
    pub dir: PathBuf,
    /// Watch the directory and apply changes at once. Example: `watch = true`.
    pub watch: bool,
    /// Jobs a plugin may have waiting before publishers wait for it. Example: `queue_capacity = 1024`.
    pub queue_capacity: usize,
    /// Flows a flow detector may have waiting. When a live source (the NetFlow collector)
    /// publishes a window and a detector's backlog is full, that detector skips the window:
    /// it is counted (`windows_skipped`, `flows_skipped`) and one host-health anomaly says
    /// so; flow files wait instead. Windows are shared between detectors, so the windows
    /// waiting take at most (flow detectors × this) flows of memory, about 80 bytes each plus
    /// each window's host graph. Example: `max_queued_flows = 1000000`.
    pub max_queued_flows: u64,
    /// Threads the detectors share (0: one per core). Detectors take turns on them a job at
    /// a time; alert rules and graph algorithms have a thread each. Example: `workers = 0`.
    pub workers: usize,
    /// Default sandbox limits of every plugin. Example: `[plugins.limits] deadline_ms = 100`.
    pub limits: Limits,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        PluginsConfig {
            dir: PathBuf::from("plugins"),
            watch: true,
            queue_capacity: 1024,
            max_queued_flows: 1_000_000,
            workers: 0,
            limits: Limits::default(),
        }
    }
}

/// `[data]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Data directory: compiled-plugin cache (`cache/`) and plugin state (`plugin-state.redb`).
    /// Example: `dir = "data"`.
    pub dir: PathBuf,
    /// Compiled plugins (keyed by content and engine, safe to share between hosts); default
    /// `cache/` in the data directory. Example: `cache_dir = "/var/cache/netassure"`.
    pub cache_dir: Option<PathBuf>,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            dir: PathBuf::from("data"),
            cache_dir: None,
        }
    }
}

impl DataConfig {
    /// Where compiled plugins are kept.
    pub fn cache(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .unwrap_or_else(|| self.dir.join("cache"))
    }
}

/// The topology stream's settings live with its client (`ingest`); named here too.
pub use crate::ingest::TopologyStreamConfig;

/// `[ingest]`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// The topology engine's WebSocket stream. Example: `[ingest.topology] url = "ws://nte:9000/stream"`.
    pub topology: Option<crate::ingest::TopologyStreamConfig>,
    /// The NetFlow v5/v9/IPFIX collector. Example: `[ingest.netflow] listen = "0.0.0.0:2055"`.
    pub netflow: Option<crate::ingest::NetflowConfig>,
    /// How flow files (`--flows FILE`) become windows. Example: `[ingest.files] window_ms = 10000`.
    pub files: crate::ingest::FlowFilesConfig,
}

/// `[sinks]`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SinksConfig {
    /// Publish anomalies and alerts to NATS. Example: `[sinks.nats] url = "nats://127.0.0.1:4222"`.
    pub nats: Option<crate::sinks::nats::NatsConfig>,
    /// POST alerts to a webhook. Example: `[sinks.webhook] url = "http://hooks.example.net/alerts"`.
    pub webhook: Option<crate::sinks::webhook::WebhookConfig>,
}

/// `[output]`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    /// Append every anomaly and alert as a JSON line to this file. Example: `jsonl = "findings.jsonl"`.
    pub jsonl: Option<PathBuf>,
    /// Print a readable line per anomaly and alert on stdout. Example: `print = true`.
    pub print: bool,
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `human` or `json`. Example: `format = "json"`.
    pub format: LogFormat,
    /// A tracing filter (`RUST_LOG` overrides it). Example: `level = "info,netassure_host=debug"`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Human,
            level: "info".into(),
        }
    }
}

/// Log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// Parse a configuration file.
    pub fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_toml(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parse configuration text, and refuse settings that cannot work.
    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text)?;
        config.incidents.validate().map_err(anyhow::Error::msg)?;
        for (name, settings) in &config.models {
            settings.validate(name).map_err(anyhow::Error::msg)?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses_and_unknown_keys_are_refused() {
        let example = include_str!("../../netassure.example.toml");
        let config = Config::from_toml(example).unwrap();
        assert_eq!(config.plugins.limits.deadline_ms, 100);
        let err = Config::from_toml("[server]\nlisten = \"127.0.0.1:1\"\nport = 3\n").unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `port`"),
            "{err:#}"
        );
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
    }
}
