//! Configuration of the scan detector: thresholds, the sliding span and the memory bounds, with
//! the checks `configure()` applies.

use netassure_plugin_sdk::{ConfigField, PluginError};

/// Configuration.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seconds of flow time the counts cover (a sliding span across windows).
    pub span_s: u64,
    /// Distinct failed (host, port) probes on the source's most probed hosts (at most
    /// [`SCAN_HOSTS`](crate::judge::SCAN_HOSTS)) that make a `port-scan`.
    pub min_ports: u32,
    /// Distinct hosts that failed one service (TCP or UDP port, or ICMP echo) that make a
    /// `host-sweep`.
    pub min_hosts: u32,
    /// Share of the source's attempts in the span that failed, below which a host sweep is
    /// not reported (a gateway or proxy whose users hit a few dead hosts among thousands).
    pub min_failed_share: f64,
    /// Sources tracked at once.
    pub max_sources: usize,
    /// Failed targets kept per source.
    pub max_targets: usize,
    /// Failed targets kept over all sources.
    pub max_entries: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            span_s: 300,
            min_ports: 20,
            min_hosts: 40,
            min_failed_share: 0.1,
            max_sources: 4_096,
            max_targets: 1_024,
            max_entries: 131_072,
        }
    }
}

impl Config {
    /// The fields as `describe()` documents them.
    pub fn fields() -> Vec<ConfigField> {
        let d = Config::default();
        vec![
            ConfigField::integer(
                "span_s",
                "Seconds of flow time the counts cover, a sliding span across windows",
                d.span_s as i64,
            ),
            ConfigField::integer(
                "min_ports",
                "Distinct failed (host, port) probes on the source's 8 most probed hosts that make a port-scan",
                i64::from(d.min_ports),
            ),
            ConfigField::integer(
                "min_hosts",
                "Distinct hosts failing one service (port or ICMP echo) that make a host-sweep",
                i64::from(d.min_hosts),
            ),
            ConfigField::float(
                "min_failed_share",
                "Share of the source's attempts that failed, below which a host sweep is not reported",
                d.min_failed_share,
            ),
            ConfigField::integer(
                "max_sources",
                "Sources tracked at once (the least active are forgotten first)",
                d.max_sources as i64,
            ),
            ConfigField::integer(
                "max_targets",
                "Failed targets kept per source",
                d.max_targets as i64,
            ),
            ConfigField::integer(
                "max_entries",
                "Failed targets kept over all sources (28 to 64 bytes each)",
                d.max_entries as i64,
            ),
        ]
    }

    /// Refuse nonsense, with the reason.
    pub fn check(&self) -> Result<(), PluginError> {
        let invalid = |reason: String| Err(PluginError::InvalidConfig(reason));
        if !(10..=86_400).contains(&self.span_s) {
            return invalid(format!("span_s must be 10 ..= 86400, got {}", self.span_s));
        }
        if self.min_ports < 2 || self.min_hosts < 2 {
            return invalid(format!(
                "min_ports and min_hosts must be at least 2, got {} and {}",
                self.min_ports, self.min_hosts
            ));
        }
        if !(0.0..=1.0).contains(&self.min_failed_share) {
            return invalid(format!(
                "min_failed_share must be 0 ..= 1, got {}",
                self.min_failed_share
            ));
        }
        let needed = 2 * self.min_ports.max(self.min_hosts) as usize;
        if self.max_targets < needed {
            return invalid(format!(
                "max_targets must be at least twice the larger threshold ({needed}), got {}",
                self.max_targets
            ));
        }
        if !(16..=1_000_000).contains(&self.max_sources) {
            return invalid(format!(
                "max_sources must be 16 ..= 1000000, got {}",
                self.max_sources
            ));
        }
        if self.max_entries < 2 * self.max_targets || self.max_entries > 4_000_000 {
            return invalid(format!(
                "max_entries must be 2 × max_targets ..= 4000000, got {}",
                self.max_entries
            ));
        }
        Ok(())
    }
}
