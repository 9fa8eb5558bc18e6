//! Configuration of the DNS tunnel detector: what a tunnel's queries look like, the span and
//! the memory bounds, with the checks `configure()` applies.

use netassure_plugin_sdk::{ConfigField, PluginError};

/// Configuration.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seconds of flow time the counts cover (a sliding span across windows, kept in minutes).
    pub span_s: u64,
    /// Queries from one client to one server within the span that make a tunnel (with the
    /// size and volume below).
    pub min_queries: u64,
    /// Mean IP bytes of a query packet that make queries unusually large (ordinary queries
    /// are 60–110 bytes; a tunnel packs data into long names, 150–300).
    pub min_query_bytes: f64,
    /// Bytes of queries from one client to one server within the span that make a tunnel.
    pub min_upstream_bytes: u64,
    /// Seconds from the pair's first to its last query in the span below which it is no
    /// tunnel (a burst of datagrams to port 53 is a flood).
    pub min_duration_s: u64,
    /// (client, server) pairs with large queries remembered at once.
    pub max_pairs: usize,
    /// Hosts remembered as resolvers (they answer other hosts' queries) at once.
    pub max_resolvers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            span_s: 600,
            min_queries: 100,
            min_query_bytes: 130.0,
            min_upstream_bytes: 20_000,
            min_duration_s: 10,
            max_pairs: 4_096,
            max_resolvers: 1_024,
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
                "Seconds of flow time the counts cover, a sliding span across windows (kept in minutes)",
                d.span_s as i64,
            ),
            ConfigField::integer(
                "min_queries",
                "Queries from one client to one server within the span that make a tunnel",
                d.min_queries as i64,
            ),
            ConfigField::float(
                "min_query_bytes",
                "Mean IP bytes of a query packet that make queries unusually large (ordinary: 60-110)",
                d.min_query_bytes,
            ),
            ConfigField::integer(
                "min_upstream_bytes",
                "Bytes of queries from one client to one server within the span that make a tunnel",
                d.min_upstream_bytes as i64,
            ),
            ConfigField::integer(
                "min_duration_s",
                "Seconds from a pair's first to its last query below which it is no tunnel",
                d.min_duration_s as i64,
            ),
            ConfigField::integer(
                "max_pairs",
                "(client, server) pairs with large queries remembered at once (about 300 bytes each)",
                d.max_pairs as i64,
            ),
            ConfigField::integer(
                "max_resolvers",
                "Hosts remembered as resolvers at once (about 100 bytes each)",
                d.max_resolvers as i64,
            ),
        ]
    }

    /// Refuse nonsense, with the reason.
    pub fn check(&self) -> Result<(), PluginError> {
        let invalid = |reason: String| Err(PluginError::InvalidConfig(reason));
        if !(60..=86_400).contains(&self.span_s) {
            return invalid(format!("span_s must be 60 ..= 86400, got {}", self.span_s));
        }
        if self.min_queries < 10 {
            return invalid(format!(
                "min_queries must be at least 10, got {}",
                self.min_queries
            ));
        }
        if !self.min_query_bytes.is_finite() || !(40.0..=1_500.0).contains(&self.min_query_bytes) {
            return invalid(format!(
                "min_query_bytes must be 40 ..= 1500 (IP bytes of a packet), got {}",
                self.min_query_bytes
            ));
        }
        if self.min_upstream_bytes < 1_000 {
            return invalid(format!(
                "min_upstream_bytes must be at least 1000, got {}",
                self.min_upstream_bytes
            ));
        }
        if self.min_duration_s > self.span_s {
            return invalid(format!(
                "min_duration_s must be at most span_s ({}), got {}",
                self.span_s, self.min_duration_s
            ));
        }
        if !(16..=1_000_000).contains(&self.max_pairs)
            || !(16..=1_000_000).contains(&self.max_resolvers)
        {
            return invalid(format!(
                "max_pairs and max_resolvers must be 16 ..= 1000000, got {} and {}",
                self.max_pairs, self.max_resolvers
            ));
        }
        Ok(())
    }
}
