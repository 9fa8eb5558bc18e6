//! Configuration of the flood detector: rates, the peer comparison, what a slow connection is,
//! the short span and the memory bound, with the checks `configure()` applies.

use netassure_plugin_sdk::collections::HashSet;
use netassure_plugin_sdk::{ConfigField, PluginError};

/// Web services, where slowloris and its kin hold connections open.
pub const WEB: [&str; 7] = [
    "tcp/80", "tcp/443", "tcp/8000", "tcp/8008", "tcp/8080", "tcp/8443", "tcp/8888",
];

/// Back-end services (databases, caches, brokers, search): applications without a connection
/// pool open many connections a second to them in normal work.
pub const BACKEND: [&str; 11] = [
    "tcp/1433",
    "tcp/1521",
    "tcp/3306",
    "tcp/5432",
    "tcp/6379",
    "tcp/11211",
    "tcp/27017",
    "tcp/9042",
    "tcp/9200",
    "tcp/5672",
    "tcp/9092",
];

/// The services a configuration names: watched for slow connections, and back ends.
#[derive(Debug, Clone, Default)]
pub struct Services {
    /// Watched for slow connections.
    pub slow: HashSet<(u8, u16)>,
    /// Back ends, held to `min_backend_conn_rate`.
    pub backend: HashSet<(u8, u16)>,
}

/// Configuration.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seconds of flow time the sustained rates and slow connections cover (sliding span).
    pub span_s: u64,
    /// New connections per second from one source to one service that make a `request-flood`.
    pub min_conn_rate: f64,
    /// The same for a back-end service (`backend_services`).
    pub min_backend_conn_rate: f64,
    /// Back-end services (`tcp/5432`).
    pub backend_services: Vec<String>,
    /// Unanswered SYNs per second from one source to one service that make a `syn-flood`.
    pub min_syn_rate: f64,
    /// Datagrams per second from one source to one UDP service (over their active time, at
    /// least 2 s) that make a `udp-flood`.
    pub min_udp_pps: f64,
    /// Datagrams in a window below which a source is never a UDP flood.
    pub min_udp_packets: u64,
    /// A source must also reach this many times the median of the service's other clients
    /// (when it has `min_peers` of them in the window).
    pub peer_factor: f64,
    /// Other clients a service needs before its clients are compared with each other.
    pub min_peers: usize,
    /// Unanswered SYNs per second to one service from `min_flood_sources` sources or more that
    /// make a `syn-flood` of many (spoofed) sources.
    pub min_victim_syn_rate: f64,
    /// Distinct sources of a many-source SYN flood.
    pub min_flood_sources: usize,
    /// Sources that, at once, each open `min_conn_rate` new connections per second to one
    /// service within a burst shorter than 5 s (measured from 1 s) make a request-flood of
    /// many sources.
    pub min_group_sources: usize,
    /// Slow connections from one source to one web service within the span that make a
    /// `slow-dos`.
    pub min_slow_connections: u32,
    /// Shortest connection that can be slow, seconds.
    pub slow_min_s: u64,
    /// Highest client send rate of a slow connection, bytes per second.
    pub slow_max_client_bps: f64,
    /// Most bytes the server may have sent on a slow connection (it never answered).
    pub slow_max_server_bytes: u64,
    /// Services watched for slow connections (`tcp/80`).
    pub slow_services: Vec<String>,
    /// (source, host, service) keys remembered across windows.
    pub max_keys: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            span_s: 60,
            min_conn_rate: 20.0,
            min_backend_conn_rate: 200.0,
            backend_services: BACKEND.iter().map(|s| (*s).to_owned()).collect(),
            min_syn_rate: 50.0,
            min_udp_pps: 500.0,
            min_udp_packets: 1_000,
            peer_factor: 10.0,
            min_peers: 10,
            min_victim_syn_rate: 100.0,
            min_flood_sources: 50,
            min_group_sources: 10,
            min_slow_connections: 40,
            slow_min_s: 20,
            slow_max_client_bps: 200.0,
            slow_max_server_bytes: 2_000,
            slow_services: WEB.iter().map(|s| (*s).to_owned()).collect(),
            max_keys: 4_096,
        }
    }
}

/// `tcp/80` → (6, 80).
fn parse_service(text: &str) -> Option<(u8, u16)> {
    let (proto, port) = text.split_once('/')?;
    let proto = match proto {
        "tcp" => 6,
        "udp" => 17,
        _ => return None,
    };
    Some((proto, port.parse().ok().filter(|&p| p > 0)?))
}

impl Config {
    /// The fields as `describe()` documents them.
    pub fn fields() -> Vec<ConfigField> {
        let mut fields = Self::rate_fields();
        fields.extend(Self::slow_fields());
        fields
    }

    fn rate_fields() -> Vec<ConfigField> {
        let d = Config::default();
        let int = |name, text, value: u64| ConfigField::integer(name, text, value as i64);
        let float = ConfigField::float;
        vec![
            int(
                "span_s",
                "Seconds of flow time the sustained rates and slow connections cover",
                d.span_s,
            ),
            float(
                "min_conn_rate",
                "New connections per second from one source to one service that make a request-flood",
                d.min_conn_rate,
            ),
            float(
                "min_backend_conn_rate",
                "New connections per second from one source to one back-end service that make a request-flood",
                d.min_backend_conn_rate,
            ),
            ConfigField::strings(
                "backend_services",
                "Back-end services (databases, caches, brokers; PROTO/PORT), where applications open many connections",
                &BACKEND,
            ),
            float(
                "min_syn_rate",
                "Unanswered SYNs per second from one source to one service that make a syn-flood",
                d.min_syn_rate,
            ),
            float(
                "min_udp_pps",
                "Datagrams per second (over their active time, at least 2 s) from one source to one UDP service that make a udp-flood",
                d.min_udp_pps,
            ),
            int(
                "min_udp_packets",
                "Datagrams in a window below which a source is never a UDP flood",
                d.min_udp_packets,
            ),
            float(
                "peer_factor",
                "A source must also reach this many times the median of the service's other clients",
                d.peer_factor,
            ),
            int(
                "min_peers",
                "Other clients a service needs before its clients are compared",
                d.min_peers as u64,
            ),
            float(
                "min_victim_syn_rate",
                "Unanswered SYNs per second to one service from many sources that make a syn-flood of many sources",
                d.min_victim_syn_rate,
            ),
            int(
                "min_flood_sources",
                "Distinct sources of a many-source SYN flood",
                d.min_flood_sources as u64,
            ),
            int(
                "min_group_sources",
                "Sources that, at once, each open min_conn_rate new connections per second to one service within a burst shorter than 5 s (measured from 1 s) and make a request-flood of many sources",
                d.min_group_sources as u64,
            ),
        ]
    }

    fn slow_fields() -> Vec<ConfigField> {
        let d = Config::default();
        let int = |name, text, value: u64| ConfigField::integer(name, text, value as i64);
        vec![
            int(
                "min_slow_connections",
                "Slow connections from one source to one web service within the span that make a slow-dos",
                u64::from(d.min_slow_connections),
            ),
            int(
                "slow_min_s",
                "Shortest connection that can be slow, seconds",
                d.slow_min_s,
            ),
            ConfigField::float(
                "slow_max_client_bps",
                "Highest client send rate of a slow connection, bytes per second",
                d.slow_max_client_bps,
            ),
            int(
                "slow_max_server_bytes",
                "Most bytes the server may have sent on a slow connection",
                d.slow_max_server_bytes,
            ),
            ConfigField::strings(
                "slow_services",
                "Services watched for slow connections (PROTO/PORT)",
                &WEB,
            ),
            int(
                "max_keys",
                "(source, host, service) keys remembered across windows (about 300 bytes each)",
                d.max_keys as u64,
            ),
        ]
    }

    /// The services named, or why the configuration is refused.
    pub fn check(&self) -> Result<Services, PluginError> {
        let invalid = |reason: String| Err(PluginError::InvalidConfig(reason));
        if !(10..=3_600).contains(&self.span_s) {
            return invalid(format!("span_s must be 10 ..= 3600, got {}", self.span_s));
        }
        let rates = [
            ("min_conn_rate", self.min_conn_rate),
            ("min_backend_conn_rate", self.min_backend_conn_rate),
            ("min_syn_rate", self.min_syn_rate),
            ("min_udp_pps", self.min_udp_pps),
            ("min_victim_syn_rate", self.min_victim_syn_rate),
            ("slow_max_client_bps", self.slow_max_client_bps),
        ];
        if let Some((name, value)) = rates.iter().find(|(_, v)| !v.is_finite() || *v < 0.1) {
            return invalid(format!(
                "{name} must be a rate of at least 0.1, got {value}"
            ));
        }
        if !self.peer_factor.is_finite() || self.peer_factor < 1.0 {
            return invalid(format!(
                "peer_factor must be at least 1, got {}",
                self.peer_factor
            ));
        }
        if self.min_peers == 0
            || self.min_flood_sources < 2
            || self.min_group_sources < 2
            || !(2..=512).contains(&self.min_slow_connections)
        {
            return invalid(format!(
                "min_peers must be at least 1, min_flood_sources and min_group_sources at least 2 and min_slow_connections 2 ..= 512, got {}, {}, {} and {}",
                self.min_peers,
                self.min_flood_sources,
                self.min_group_sources,
                self.min_slow_connections
            ));
        }
        if self.slow_min_s == 0 || self.min_udp_packets == 0 {
            return invalid("slow_min_s and min_udp_packets must be at least 1".into());
        }
        if !(64..=1_000_000).contains(&self.max_keys) {
            return invalid(format!(
                "max_keys must be 64 ..= 1000000, got {}",
                self.max_keys
            ));
        }
        let parse = |list: &[String]| -> Result<HashSet<(u8, u16)>, PluginError> {
            list.iter()
                .map(|text| {
                    parse_service(text).ok_or_else(|| {
                        PluginError::InvalidConfig(format!(
                            "{text:?} is no service: write tcp/PORT"
                        ))
                    })
                })
                .collect()
        };
        Ok(Services {
            slow: parse(&self.slow_services)?,
            backend: parse(&self.backend_services)?,
        })
    }
}
