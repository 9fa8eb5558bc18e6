//! Beacons: an internal host that contacts the same external peer and port again and again at
//! a steady interval, with small flows, where few other hosts talk to that peer —
//! command-and-control check-ins.
//!
//! **Method.** A window-by-window model cannot see them (each check-in looks like one small
//! request), so this detector keeps, across windows, the start times of each (source,
//! destination, protocol, port) and the sources of each destination (`pairs.rs`). A flow is a
//! possible check-in only when its source started the conversation and the peer answered (per
//! `host::flows::conversations()`: a server's answers are not check-ins, and a connection
//! nobody takes — a blocked device phoning home — is no channel), when it is not a
//! server-to-server protocol (both ends on the same service port: NTP, SIP, IKE peers), and by
//! default only from an `internal` host to an external one (`external_only`). Flows starting
//! within a second of a check-in's first flow are part of it. A pair is reported when its last
//! `min_occurrences` check-ins are spaced evenly (coefficient of variation of the intervals at
//! most `max_jitter`) at between `min_interval_s` and `max_interval_s` on average, at most a
//! quarter of its flows carried more than `max_bytes`, the two hosts moved no data (a flow of ten
//! times `max_bytes`: the keep-alives of a video call next to its media) within `horizon_s`, and
//! the destination has at most `max_sources` sources.
//!
//! **Evidence.** Attacker: the internal host that beacons; victim: the peer it beacons to;
//! service; the check-in flows of the window; measures (interval, jitter, check-ins, the peer's
//! sources). **Score**: 0.6; +0.15 when the jitter is at most half of `max_jitter`; +0.15 when
//! the pair has kept it up for twice `min_occurrences` check-ins. 0.9 — an alert on its own —
//! only for a long, clockwork beacon. A pair is reported again after `report_every_s`, or at
//! once when its score reaches 0.9.
//!
//! **Memory.** A pair seen once (most contacts) takes a slot of a fixed table of first
//! sightings (3 MiB); a pair seen again is kept with its last `min_occurrences` starts (about
//! 200 bytes), at most `max_pairs` of them, forgotten after `horizon_s` of silence; at most
//! `max_sources` + 1 sources per destination (32-bit hashes, inline).
//!
//! Defaults: 8 check-ins, jitter 15%, every 10 s to 1 h, check-ins up to 100 kB, at most 2
//! sources, reported again after an hour, a 6-hour horizon, RFC 1918 / CGNAT / link-local /
//! ULA internal, internal-to-external only, 200,000 pairs.

mod pairs;

use netassure_plugin_sdk::flows::addr_from_u128;
use netassure_plugin_sdk::host::flows::{Attempt, Conversations};
use netassure_plugin_sdk::prelude::*;

use netassure_plugin_sdk::networks::{DEFAULT_INTERNAL, Networks, is_external};
pub use pairs::regularity;
use pairs::{Key, Limits, Memory};

/// Flows of a pair starting within this of a check-in's first flow are part of it (a request
/// that opens two connections), ms. Short: a longer merge makes random traffic look regular
/// (the gaps after a merge are all at least that long).
const MERGE_MS: u64 = 1_000;

/// Ports both ends of a server-to-server protocol use (NTP, SIP, IKE and NAT traversal, BGP,
/// syslog...): the well-known range and SIP over TLS.
fn is_service_port(port: u16) -> bool {
    port < 1024 || matches!(port, 4500 | 5060 | 5061)
}

/// Configuration.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Check-ins needed before a pair is judged.
    pub min_occurrences: usize,
    /// Largest coefficient of variation (deviation ÷ mean) of the intervals.
    pub max_jitter: f64,
    /// Shortest mean interval, seconds.
    pub min_interval_s: f64,
    /// Longest mean interval, seconds.
    pub max_interval_s: f64,
    /// Largest flow (bytes) that can be a check-in.
    pub max_bytes: u64,
    /// Destinations with more sources than this are shared services, not C2.
    pub max_sources: usize,
    /// A reported pair is reported again at most this often, seconds.
    pub report_every_s: u64,
    /// Pairs silent for this long are forgotten, seconds.
    pub horizon_s: u64,
    /// Networks whose hosts are internal (CIDR).
    pub internal: Vec<String>,
    /// Only beacons from an internal host to an external one.
    pub external_only: bool,
    /// Pairs kept at most.
    pub max_pairs: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_occurrences: 8,
            max_jitter: 0.15,
            min_interval_s: 10.0,
            max_interval_s: 3_600.0,
            max_bytes: 100_000,
            max_sources: 2,
            report_every_s: 3_600,
            horizon_s: 6 * 3_600,
            internal: DEFAULT_INTERNAL.iter().map(|s| (*s).to_owned()).collect(),
            external_only: true,
            max_pairs: 200_000,
        }
    }
}

/// The detector.
#[derive(Debug, Default)]
pub struct BeaconWatch {
    config: Config,
    internal: Networks,
    memory: Memory,
}

impl BeaconWatch {
    fn limits(&self) -> Limits {
        let config = &self.config;
        Limits {
            occurrences: config.min_occurrences,
            max_sources: config.max_sources,
            merge_ms: MERGE_MS,
            max_bytes: config.max_bytes,
            horizon_ms: config.horizon_s * 1000,
            max_pairs: config.max_pairs,
        }
    }

    /// True when flow `i` can be a check-in: started by its source and answered (a connection
    /// the peer never took is no channel), not a server-to-server protocol (both ends on the
    /// same service port: NTP, SIP, IKE peers), internal to external.
    fn counts(&self, batch: &FlowBatch, i: usize, conversations: Option<&Conversations>) -> bool {
        if let Some(c) = conversations.filter(|c| c.len() == batch.len()) {
            let slices = netassure_flowgraph::flow_slices!(batch);
            let attempt = c.attempt(&slices, i);
            if attempt == Attempt::Answer || attempt.is_failed() {
                return false;
            }
        }
        let (sport, dport) = (batch.src_port[i], batch.dst_port[i]);
        if sport == dport && is_service_port(sport) {
            return false;
        }
        if !self.config.external_only {
            return true;
        }
        self.internal.contains(batch.src_u128(i)) && is_external(&self.internal, batch.dst_u128(i))
    }

    fn score(&self, jitter: f64, count: u64) -> f64 {
        let config = &self.config;
        // In hundredths, so that three agreeing signs make exactly 0.9 (the host's strong
        // score), not 0.8999….
        let mut score: u32 = 60;
        if jitter <= config.max_jitter / 2.0 {
            score += 15;
        }
        if count >= 2 * config.min_occurrences as u64 {
            score += 15;
        }
        f64::from(score) / 100.0
    }

    /// The beacon of `key`, if its check-ins are one now.
    fn judge(&mut self, key: Key, now_ms: u64, batch: &FlowBatch) -> Option<Finding> {
        let sources = self.memory.sources_of(key.1);
        let config = &self.config;
        let pair = self.memory.pairs.get(&key)?;
        if sources > config.max_sources
            || pair.oversized()
            || self.memory.heavy(key.0, key.1)
            || pair.kept() < config.min_occurrences
        {
            return None;
        }
        let starts = pair.starts();
        let (mean_ms, jitter) = regularity(&starts)?;
        let mean_s = mean_ms / 1000.0;
        if jitter > config.max_jitter
            || mean_s < config.min_interval_s
            || mean_s > config.max_interval_s
        {
            return None;
        }
        let score = self.score(jitter, pair.count);
        let due = match pair.reported {
            None => true,
            Some((at, reported)) => {
                now_ms >= at + config.report_every_s * 1000 || (score >= 0.9 && reported < 0.9)
            }
        };
        if !due {
            return None;
        }
        let count = pair.count;
        self.memory.pairs.get_mut(&key)?.reported = Some((now_ms, score));
        let (src, dst) = (
            addr_from_u128(key.0).to_string(),
            addr_from_u128(key.1).to_string(),
        );
        let mut builder = AnomalyBuilder::new("beacon", score)
            .attacker(&src)
            .victim(&dst)
            .service(key.2, key.3)
            .pattern(Pattern::SeasonalityShift)
            .symptom("repeats", "periodic-contact", "steady small check-ins to a rarely contacted host")
            .description(format!(
                "{src} checks in with {dst}:{} every {mean_s:.1} s ± {:.0}% ({count} check-ins), small flows; {dst} has {sources} internal source(s)",
                key.3,
                jitter * 100.0,
            ));
        let check_ins = (0..batch.len()).filter(|&i| {
            (
                batch.src_u128(i),
                batch.dst_u128(i),
                batch.protocol[i],
                batch.dst_port[i],
            ) == key
        });
        for i in check_ins.take(10) {
            builder = builder.evidence_flow(FlowEvidence::of(batch, i, score));
        }
        Some(
            builder
                .seen(starts[0], now_ms)
                .measure("interval-s", mean_s)
                .measure("jitter", jitter)
                .measure("check-ins", count as f64)
                .measure("destination-sources", sources as f64)
                .finding(),
        )
    }
}

impl Detector for BeaconWatch {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("beacon-watch", env!("CARGO_PKG_VERSION"))
            .description("Periodic small check-ins from an internal host to a rarely contacted external host (C2 beacons), across flow windows")
            .subscribe(EventKind::Flows)
            .field(ConfigField::integer("min_occurrences", "Check-ins needed before a pair is judged (at least 3)", 8))
            .field(ConfigField::float("max_jitter", "Largest deviation ÷ mean of the intervals", 0.15))
            .field(ConfigField::float("min_interval_s", "Shortest mean interval, seconds", 10.0))
            .field(ConfigField::float("max_interval_s", "Longest mean interval, seconds", 3_600.0))
            .field(ConfigField::integer("max_bytes", "Largest flow that can be a check-in, bytes", 100_000))
            .field(ConfigField::integer("max_sources", "Destinations with more internal sources (1..=7) are shared services", 2))
            .field(ConfigField::integer("report_every_s", "Report a pair again at most this often (sooner when its score reaches 0.9), seconds", 3_600))
            .field(ConfigField::integer("horizon_s", "Forget pairs silent this long, seconds", 21_600))
            .field(ConfigField::strings("internal", "Networks whose hosts are internal (CIDR)", &DEFAULT_INTERNAL))
            .field(ConfigField::boolean("external_only", "Only check-ins from an internal host to an external one", true))
            .field(ConfigField::integer("max_pairs", "(source, destination, port) pairs kept at most", 200_000))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        let invalid = |text: String| Err(PluginError::InvalidConfig(text));
        if config.min_occurrences < 3 || config.min_occurrences > 1_000 {
            return invalid(format!(
                "min_occurrences must be 3 ..= 1000, got {}",
                config.min_occurrences
            ));
        }
        if !(config.max_jitter >= 0.0 && config.max_jitter.is_finite()) {
            return invalid(format!("max_jitter must be ≥ 0, got {}", config.max_jitter));
        }
        if !(config.min_interval_s > 0.0 && config.min_interval_s < config.max_interval_s) {
            return invalid(format!(
                "need 0 < min_interval_s < max_interval_s, got {} and {}",
                config.min_interval_s, config.max_interval_s
            ));
        }
        if config.horizon_s < config.max_interval_s as u64 * 2 {
            return invalid(format!(
                "horizon_s must be at least twice max_interval_s, got {}",
                config.horizon_s
            ));
        }
        if !(1_000..=5_000_000).contains(&config.max_pairs) {
            return invalid(format!(
                "max_pairs must be 1000 ..= 5000000, got {}",
                config.max_pairs
            ));
        }
        if !(1..=pairs::MAX_SOURCES).contains(&config.max_sources) {
            return invalid(format!(
                "max_sources must be 1 ..= {}, got {}",
                pairs::MAX_SOURCES,
                config.max_sources
            ));
        }
        self.internal = Networks::parse(&config.internal)?;
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(window) = event.payload else {
            return Ok(vec![]);
        };
        let batch = &window.flows;
        let conversations = host::flows::conversations();
        let limits = self.limits();
        let now_ms = window
            .end_ms
            .max(batch.end_ms.iter().copied().max().unwrap_or(0));
        let mut touched: Vec<Key> = Vec::new();
        for i in 0..batch.len() {
            let (src, dst) = (batch.src_u128(i), batch.dst_u128(i));
            self.memory
                .note_size(src, dst, batch.bytes[i], now_ms, &limits);
            if !self.counts(batch, i, conversations.as_ref()) {
                continue;
            }
            let key = (src, dst, batch.protocol[i], batch.dst_port[i]);
            if self
                .memory
                .observe(key, batch.start_ms[i], batch.bytes[i], &limits)
            {
                touched.push(key);
            }
        }
        touched.sort_unstable();
        touched.dedup();
        let found = touched
            .into_iter()
            .filter_map(|key| self.judge(key, now_ms, batch))
            .collect();
        self.memory.sweep(now_ms, &limits);
        Ok(found)
    }
}

export_detector!(BeaconWatch);

#[cfg(test)]
mod tests;
