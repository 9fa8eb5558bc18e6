//! `[ingest.topology]`: the topology engine's WebSocket stream, as the client
//! (`topology_stream`) and the dry run read it.

use serde::{Deserialize, Serialize};

/// `[ingest.topology]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologyStreamConfig {
    /// WebSocket URL of the stream. Example: `url = "ws://127.0.0.1:9000"`.
    pub url: String,
    /// First reconnect delay, ms (doubles per failure, with ±20% jitter). Example: `reconnect_min_ms = 100`.
    #[serde(default = "default_reconnect_min_ms")]
    pub reconnect_min_ms: u64,
    /// Longest reconnect delay, ms. Example: `reconnect_max_ms = 30000`.
    #[serde(default = "default_reconnect_max_ms")]
    pub reconnect_max_ms: u64,
    /// How long to wait for the snapshot after a resync request before reconnecting, ms.
    /// Example: `resync_timeout_ms = 5000`.
    #[serde(default = "default_resync_timeout_ms")]
    pub resync_timeout_ms: u64,
    /// Largest message (and frame) taken from the engine, MiB; a larger one ends the
    /// connection (it cannot be skipped) and the reconnect backs off. Example:
    /// `max_message_mb = 64`.
    #[serde(default = "default_max_message_mb")]
    pub max_message_mb: usize,
    /// Reconnect when nothing (not even a pong to our pings, sent at a third of this) has
    /// come from the engine for this long, ms: a frozen engine. Example: `idle_timeout_ms = 60000`.
    #[serde(default = "default_idle_timeout_ms")]
    pub idle_timeout_ms: u64,
}

fn default_max_message_mb() -> usize {
    64
}

fn default_idle_timeout_ms() -> u64 {
    60_000
}

fn default_reconnect_min_ms() -> u64 {
    100
}

fn default_reconnect_max_ms() -> u64 {
    30_000
}

fn default_resync_timeout_ms() -> u64 {
    5_000
}

impl TopologyStreamConfig {
    /// Defaults for `url`.
    pub fn for_url(url: &str) -> Self {
        TopologyStreamConfig {
            url: url.to_owned(),
            reconnect_min_ms: default_reconnect_min_ms(),
            reconnect_max_ms: default_reconnect_max_ms(),
            resync_timeout_ms: default_resync_timeout_ms(),
            max_message_mb: default_max_message_mb(),
            idle_timeout_ms: default_idle_timeout_ms(),
        }
    }
}
