//! Configuration of the brute-force detector: the services it watches (ordinary and chatty),
//! thresholds, what counts as one short attempt, the sliding span and the memory bound.

use netassure_plugin_sdk::collections::{HashMap, HashSet};
use netassure_plugin_sdk::{ConfigField, PluginError};

/// Authentication services where a few connections are the rule (`PROTO/PORT`).
pub const STANDARD: [&str; 13] = [
    "tcp/21", "tcp/22", "tcp/23", "tcp/3389", "tcp/5900", "tcp/5985", "tcp/5986", "tcp/465",
    "tcp/587", "tcp/143", "tcp/993", "tcp/110", "tcp/995",
];

/// Services that clients use with many short connections in normal work: directory, file and
/// mail transfer between servers, databases.
pub const CHATTY: [&str; 14] = [
    "tcp/25",
    "tcp/88",
    "udp/88",
    "tcp/139",
    "tcp/445",
    "tcp/389",
    "udp/389",
    "tcp/636",
    "tcp/1433",
    "tcp/3306",
    "tcp/5432",
    "tcp/1521",
    "tcp/27017",
    "tcp/6379",
];

/// Services whose servers allow several login tries per connection and delay each failure
/// (sshd, vsftpd, telnetd): one connection can stand for several tries.
pub const MULTI_TRY: [&str; 3] = ["tcp/21", "tcp/22", "tcp/23"];

/// The watched services: their class, and those where a connection can be several tries.
#[derive(Debug, Clone, Default)]
pub struct Services {
    /// Every watched service with its class.
    pub classes: HashMap<(u8, u16), Class>,
    /// Ordinary services where one connection can be several tries.
    pub multi_try: HashSet<(u8, u16)>,
}

/// Configuration.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seconds of flow time the counts cover (a sliding span across windows).
    pub span_s: u64,
    /// Ordinary authentication services, as `tcp/22`.
    pub services: Vec<String>,
    /// Chatty authentication services, as `tcp/445`.
    pub chatty_services: Vec<String>,
    /// Attempts from one source on one ordinary service of one host that make a brute force.
    pub min_attempts: u32,
    /// Attempts from one source on one chatty service of one host that make a brute force.
    pub min_attempts_chatty: u32,
    /// Attempts on a chatty service that make a brute force when they are near-identical
    /// (see `min_uniformity`).
    pub min_uniform_attempts_chatty: u32,
    /// Share of the last attempts whose size is within 2% + 8 bytes of their median size that
    /// makes them near-identical (the same rejection, again and again).
    pub min_uniformity: f64,
    /// Hosts one source tried on one ordinary service that make password spraying.
    pub spray_min_victims: u32,
    /// Longest connection that counts as one attempt, seconds.
    pub max_attempt_s: u64,
    /// Largest connection (both directions) that counts as one attempt, bytes.
    pub max_attempt_bytes: u64,
    /// Ordinary services where one connection can be several tries (`tcp/22`).
    pub multi_try_services: Vec<String>,
    /// Seconds one login try takes, with the server's delay after a failure: a small
    /// connection to a `multi_try_services` service that lasts longer is counted as that many
    /// tries (one more per `seconds_per_try`); 0 counts every connection as one try.
    pub seconds_per_try: f64,
    /// Most tries one connection counts for (sshd's MaxAuthTries is 6).
    pub max_tries_per_connection: u32,
    /// (source, host, service) triples tracked at once.
    pub max_pairs: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            span_s: 300,
            services: STANDARD.iter().map(|s| (*s).to_owned()).collect(),
            chatty_services: CHATTY.iter().map(|s| (*s).to_owned()).collect(),
            min_attempts: 12,
            min_attempts_chatty: 3_000,
            min_uniform_attempts_chatty: 120,
            min_uniformity: 0.9,
            spray_min_victims: 20,
            max_attempt_s: 30,
            max_attempt_bytes: 65_536,
            multi_try_services: MULTI_TRY.iter().map(|s| (*s).to_owned()).collect(),
            seconds_per_try: 2.5,
            max_tries_per_connection: 6,
            max_pairs: 8_192,
        }
    }
}

/// How a service is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Few connections are the rule.
    Standard,
    /// Many short connections are the rule.
    Chatty,
}

/// `tcp/22` → (6, 22).
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
        let d = Config::default();
        vec![
            ConfigField::integer(
                "span_s",
                "Seconds of flow time the counts cover, a sliding span across windows",
                d.span_s as i64,
            ),
            ConfigField::strings(
                "services",
                "Ordinary authentication services (PROTO/PORT)",
                &STANDARD,
            ),
            ConfigField::strings(
                "chatty_services",
                "Chatty authentication services (PROTO/PORT): directory, SMB, SMTP, databases",
                &CHATTY,
            ),
            ConfigField::integer(
                "min_attempts",
                "Attempts by one source on one ordinary service of one host that make a brute force",
                i64::from(d.min_attempts),
            ),
            ConfigField::integer(
                "min_attempts_chatty",
                "Attempts on one chatty service of one host that make a brute force",
                i64::from(d.min_attempts_chatty),
            ),
            ConfigField::integer(
                "min_uniform_attempts_chatty",
                "Near-identical attempts on one chatty service of one host that make a brute force",
                i64::from(d.min_uniform_attempts_chatty),
            ),
            ConfigField::float(
                "min_uniformity",
                "Share of the last attempts within 2% + 8 bytes of their median size that makes them near-identical",
                d.min_uniformity,
            ),
            ConfigField::integer(
                "spray_min_victims",
                "Hosts one source tried on one ordinary service that make password spraying",
                i64::from(d.spray_min_victims),
            ),
            ConfigField::integer(
                "max_attempt_s",
                "Longest connection that counts as one attempt, seconds",
                d.max_attempt_s as i64,
            ),
            ConfigField::integer(
                "max_attempt_bytes",
                "Largest connection (both directions) that counts as one attempt, bytes",
                d.max_attempt_bytes as i64,
            ),
            ConfigField::strings(
                "multi_try_services",
                "Ordinary services where one connection can be several login tries (PROTO/PORT)",
                &MULTI_TRY,
            ),
            ConfigField::float(
                "seconds_per_try",
                "Seconds one login try takes: a small connection (8 KiB or less) to a multi-try service counts one more try per this many seconds (0: one try per connection)",
                d.seconds_per_try,
            ),
            ConfigField::integer(
                "max_tries_per_connection",
                "Most tries one connection counts for",
                i64::from(d.max_tries_per_connection),
            ),
            ConfigField::integer(
                "max_pairs",
                "(source, host, service) triples tracked at once (about 500 bytes each)",
                d.max_pairs as i64,
            ),
        ]
    }

    /// The watched services, or why the configuration is refused.
    pub fn check(&self) -> Result<Services, PluginError> {
        let invalid = |reason: String| Err(PluginError::InvalidConfig(reason));
        if !(10..=86_400).contains(&self.span_s) {
            return invalid(format!("span_s must be 10 ..= 86400, got {}", self.span_s));
        }
        if self.min_attempts < 3 || self.min_attempts_chatty < self.min_attempts {
            return invalid(format!(
                "min_attempts must be at least 3 and min_attempts_chatty at least min_attempts, got {} and {}",
                self.min_attempts, self.min_attempts_chatty
            ));
        }
        if self.min_uniform_attempts_chatty < self.min_attempts
            || !(0.5..=1.0).contains(&self.min_uniformity)
        {
            return invalid(format!(
                "min_uniform_attempts_chatty must be at least min_attempts and min_uniformity 0.5 ..= 1, got {} and {}",
                self.min_uniform_attempts_chatty, self.min_uniformity
            ));
        }
        if self.spray_min_victims < 3 {
            return invalid(format!(
                "spray_min_victims must be at least 3, got {}",
                self.spray_min_victims
            ));
        }
        if self.max_attempt_s == 0 || self.max_attempt_bytes < 200 {
            return invalid(format!(
                "max_attempt_s must be at least 1 and max_attempt_bytes at least 200, got {} and {}",
                self.max_attempt_s, self.max_attempt_bytes
            ));
        }
        if !self.seconds_per_try.is_finite()
            || !(self.seconds_per_try == 0.0 || self.seconds_per_try >= 0.1)
            || !(1..=100).contains(&self.max_tries_per_connection)
        {
            return invalid(format!(
                "seconds_per_try must be 0 or at least 0.1 and max_tries_per_connection 1 ..= 100, got {} and {}",
                self.seconds_per_try, self.max_tries_per_connection
            ));
        }
        if !(64..=1_000_000).contains(&self.max_pairs) {
            return invalid(format!(
                "max_pairs must be 64 ..= 1000000, got {}",
                self.max_pairs
            ));
        }
        self.services()
    }

    /// The watched services with their classes, and the multi-try ones.
    fn services(&self) -> Result<Services, PluginError> {
        let invalid = |reason: String| Err(PluginError::InvalidConfig(reason));
        let mut classes = HashMap::default();
        for (list, class) in [
            (&self.services, Class::Standard),
            (&self.chatty_services, Class::Chatty),
        ] {
            for text in list {
                let Some(service) = parse_service(text) else {
                    return invalid(format!(
                        "{text:?} is no service: write tcp/PORT or udp/PORT"
                    ));
                };
                if classes.insert(service, class).is_some() {
                    return invalid(format!("{text} is listed twice"));
                }
            }
        }
        if classes.is_empty() {
            return invalid("no service to watch".into());
        }
        // A multi-try service that is not watched does nothing; a chatty one makes no sense.
        let mut multi_try = HashSet::default();
        for text in &self.multi_try_services {
            match parse_service(text).map(|service| (service, classes.get(&service))) {
                Some((service, Some(Class::Standard))) => {
                    multi_try.insert(service);
                }
                Some((_, None)) => {}
                _ => {
                    return invalid(format!(
                        "{text:?} in multi_try_services is no ordinary service (tcp/PORT of `services`)"
                    ));
                }
            }
        }
        Ok(Services { classes, multi_try })
    }
}
