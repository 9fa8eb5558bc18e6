//! What `top-talkers` and `heavy-hitters` share: the configuration, a window's amounts per
//! key, the hour-of-day baselines and their persistence, the hour in progress, the parties of
//! a report and the metrics that show the current top keys. `heavy-hitters` compiles this
//! directory in with `#[path]`; both plugins differ only in how they count a key's volume over
//! the hour (exact sums, or a Count-Min sketch in fixed memory).

pub mod amounts;
pub mod baseline;
pub mod engine;
pub mod hour;
pub mod parties;
pub mod report;
#[cfg(test)]
pub mod scenario;
pub mod store;

use netassure_plugin_sdk::prelude::*;

use baseline::{Key, Rules};
use netassure_plugin_sdk::networks::{DEFAULT_INTERNAL, Networks};

/// The kinds of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum By {
    /// Hosts by what they sent.
    Src,
    /// Hosts by what they received.
    Dst,
    /// (source, destination) pairs.
    Pair,
}

impl By {
    /// `src`, `dst` or `pair`.
    pub fn parse(name: &str) -> Result<By, PluginError> {
        match name {
            "src" => Ok(By::Src),
            "dst" => Ok(By::Dst),
            "pair" => Ok(By::Pair),
            other => Err(PluginError::InvalidConfig(format!(
                "`by` takes src, dst and pair, not `{other}`"
            ))),
        }
    }

    /// The name of the kind.
    pub fn name(self) -> &'static str {
        match self {
            By::Src => "src",
            By::Dst => "dst",
            By::Pair => "pair",
        }
    }
}

/// The configuration both plugins take (`max_keys` is top-talkers', `width` and `depth` are
/// heavy-hitters').
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Count `bytes` or `packets`.
    pub metric: String,
    /// Keys: any of `src`, `dst`, `pair`.
    pub by: Vec<String>,
    /// Keys of each kind ranked per hour: judged, and shown as metrics.
    pub top: usize,
    /// Hourly volume ÷ the key's usual volume at that hour of the day that is reported.
    pub rise: f64,
    /// Hourly volume (metric units) below which a key is never reported by its baseline.
    pub min_volume: u64,
    /// Hourly volume at which a key with no baseline of its own at that hour is reported.
    pub new_volume: u64,
    /// Days of history an hour of the day needs before its keys are judged.
    pub learning_days: u32,
    /// Hours either side of the hour whose usual volumes also count.
    pub hour_tolerance: u8,
    /// Keys kept per hour of the day and kind in the baseline.
    pub keys_per_hour: usize,
    /// Weight of the newest day in the baseline (0..1].
    pub decay: f64,
    /// Raise alerting evidence (true) or reports that only join incidents (false).
    pub alert: bool,
    /// Explicit threshold: a key with this share of one window's traffic is reported.
    pub min_share: Option<f64>,
    /// Windows with less traffic are not judged against `min_share`.
    pub min_total: u64,
    /// Explicit threshold: a key with this volume in one hour is reported.
    pub max_hourly: Option<u64>,
    /// Networks whose hosts are internal (CIDR): only their keys are judged by the baseline.
    pub internal: Vec<String>,
    /// top-talkers: keys counted per hour and kind (the smallest are dropped beyond).
    pub max_keys: Option<usize>,
    /// heavy-hitters: Count-Min counters per row.
    pub width: Option<u32>,
    /// heavy-hitters: Count-Min rows.
    pub depth: Option<u8>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            metric: "bytes".into(),
            by: vec!["src".into()],
            top: 10,
            rise: 10.0,
            min_volume: 100_000_000,
            new_volume: 1_000_000_000,
            learning_days: 1,
            hour_tolerance: 1,
            keys_per_hour: 256,
            decay: 0.3,
            alert: false,
            min_share: None,
            min_total: 1_000_000,
            max_hourly: None,
            internal: DEFAULT_INTERNAL.iter().map(|s| (*s).to_owned()).collect(),
            max_keys: None,
            width: None,
            depth: None,
        }
    }
}

/// A checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `bytes` or `packets`.
    pub metric: &'static str,
    /// Kinds of key, in order.
    pub by: Vec<By>,
    /// Keys ranked per hour.
    pub top: usize,
    /// The baseline's verdict rules.
    pub rules: Rules,
    /// Keys kept per hour of the day.
    pub keys_per_hour: usize,
    /// Weight of the newest day.
    pub decay: f64,
    /// Alerting evidence or reports.
    pub alert: bool,
    /// Explicit window share.
    pub min_share: Option<f64>,
    /// Smallest window judged against `min_share`.
    pub min_total: u64,
    /// Internal networks.
    pub internal: Networks,
}

fn invalid<T>(text: String) -> Result<T, PluginError> {
    Err(PluginError::InvalidConfig(text))
}

impl Settings {
    /// Check `config`; the reason when it cannot work.
    pub fn check(config: &Config) -> Result<Settings, PluginError> {
        let metric = match config.metric.as_str() {
            "bytes" => "bytes",
            "packets" => "packets",
            other => return invalid(format!("metric is bytes or packets, not `{other}`")),
        };
        let mut by = Vec::new();
        for name in &config.by {
            let kind = By::parse(name)?;
            if by.contains(&kind) {
                return invalid(format!("`by` names {name} twice"));
            }
            by.push(kind);
        }
        if by.is_empty() {
            return invalid("`by` needs at least one of src, dst, pair".into());
        }
        if !(1..=1000).contains(&config.top) {
            return invalid(format!("top must be 1 ..= 1000, got {}", config.top));
        }
        if !(config.rise.is_finite() && config.rise > 1.0) {
            return invalid(format!(
                "rise must be a factor above 1, got {}",
                config.rise
            ));
        }
        if config.learning_days > 365 || config.hour_tolerance > 6 {
            return invalid("learning_days must be ≤ 365 and hour_tolerance ≤ 6".into());
        }
        if !(config.top..=4096).contains(&config.keys_per_hour) {
            return invalid(format!(
                "keys_per_hour must be top ({}) ..= 4096, got {}",
                config.top, config.keys_per_hour
            ));
        }
        if !(config.decay > 0.0 && config.decay <= 1.0) {
            return invalid(format!("decay must be in (0, 1], got {}", config.decay));
        }
        if let Some(share) = config.min_share
            && !(share > 0.0 && share <= 1.0)
        {
            return invalid(format!("min_share must be in (0, 1], got {share}"));
        }
        if config.new_volume < config.min_volume {
            return invalid(format!(
                "new_volume ({}) must be at least min_volume ({})",
                config.new_volume, config.min_volume
            ));
        }
        if config.max_hourly == Some(0) {
            return invalid("max_hourly must be positive (leave it out to switch it off)".into());
        }
        Ok(Settings {
            metric,
            by,
            top: config.top,
            rules: Rules {
                rise: config.rise,
                min_volume: config.min_volume,
                learning_days: config.learning_days,
                tolerance: config.hour_tolerance,
                max_hourly: config.max_hourly,
                new_volume: config.new_volume,
            },
            keys_per_hour: config.keys_per_hour,
            decay: config.decay,
            alert: config.alert,
            min_share: config.min_share,
            min_total: config.min_total,
            internal: Networks::parse(&config.internal)?,
        })
    }

    /// True when `key`'s hosts are all internal: only those have a stable identity to learn
    /// (an external address — a CDN node, a cloud front end — carries other traffic every day).
    pub fn judged(&self, key: &Key) -> bool {
        let internal = |host: u128| self.internal.contains(host);
        match *key {
            Key::Host(host) => internal(host),
            Key::Pair(src, dst) => internal(src) && internal(dst),
        }
    }

    /// True when counting packets.
    pub fn packets(&self) -> bool {
        self.metric == "packets"
    }
}

/// `describe` with the configuration fields both plugins take, each with its default.
pub fn common_fields(describe: Describe) -> Describe {
    describe
        .field(ConfigField::string("metric", "Count bytes or packets", "bytes"))
        .field(ConfigField::strings("by", "Keys: src (senders), dst (receivers), pair; what a host sends departs from its habits far less often than what it downloads", &["src"]))
        .field(ConfigField::integer("top", "Keys of each kind ranked per hour: judged, and published as metrics", 10))
        .field(ConfigField::float("rise", "A key's volume so far this hour ÷ its usual volume at this hour of the day (±hour_tolerance) that is reported", 10.0))
        .field(ConfigField::integer("min_volume", "Volume this hour (metric units) below which the baseline reports nothing", 100_000_000))
        .field(ConfigField::integer("learning_days", "Days of history an hour of the day needs before its keys are judged", 1))
        .field(ConfigField::integer(
            "new_volume",
            "Volume this hour at which a key with no baseline of its own at that hour (not among the kept keys) is reported",
            1_000_000_000,
        ))
        .field(ConfigField::integer("hour_tolerance", "Hours either side whose usual volume also counts (0..=6)", 1))
        .field(ConfigField::integer("keys_per_hour", "Keys of each kind kept per hour of the day in the persistent baseline", 256))
        .field(ConfigField::float("decay", "Weight (0..1] of the newest day in the baseline; the usual peak fades by it each day", 0.3))
        .field(ConfigField::boolean("alert", "false: reports that only join incidents others opened; true: alerting evidence", false))
        .field(ConfigField::optional("min_share", "float", "Explicit threshold, off unless set: a key with this share (0..1] of one window's traffic is reported"))
        .field(ConfigField::integer("min_total", "Windows with less traffic are not judged against min_share", 1_000_000))
        .field(ConfigField::optional("max_hourly", "integer", "Explicit threshold, off unless set: a key with this volume in one hour is reported"))
        .field(ConfigField::strings("internal", "Networks whose hosts are internal (CIDR); only keys of internal hosts (pairs: both) are judged by their baseline", &DEFAULT_INTERNAL))
}
