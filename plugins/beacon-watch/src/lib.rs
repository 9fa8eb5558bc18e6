//! Beacons: a host that contacts the same peer and port again and again at a steady interval,
//! with small flows, where few other hosts talk to that peer — command-and-control check-ins.
//! A window-by-window model cannot see them (each check-in looks like one small request), so
//! this detector keeps, across windows, the start times of each (source, destination, port)
//! and the sources of each destination. A pair is reported once per `report_every_s` when its
//! last `min_occurrences` starts are spaced evenly (coefficient of variation of the intervals
//! at most `max_jitter`) at between `min_interval_s` and `max_interval_s`, every flow carried at
//! most `max_bytes` and its destination has at most `max_sources` sources.

use std::collections::{HashMap, HashSet, VecDeque};

use netassure_plugin_sdk::flows::addr_from_u128;
use netassure_plugin_sdk::prelude::*;

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
        }
    }
}

/// What is kept about one (source, destination, port).
#[derive(Debug, Default)]
struct Pair {
    starts: VecDeque<u64>,
    oversized: bool,
    reported_ms: Option<u64>,
}

/// Mean and coefficient of variation of the intervals between sorted `starts`.
pub fn regularity(starts: &[u64]) -> Option<(f64, f64)> {
    if starts.len() < 3 {
        return None;
    }
    let intervals: Vec<f64> = starts.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    let mean = intervals.iter().sum::<f64>() / intervals.len() as f64;
    if mean <= 0.0 {
        return None;
    }
    let variance =
        intervals.iter().map(|i| (i - mean).powi(2)).sum::<f64>() / intervals.len() as f64;
    Some((mean, variance.sqrt() / mean))
}

type Key = (u128, u128, u16);

/// The detector.
#[derive(Default)]
pub struct BeaconWatch {
    config: Config,
    pairs: HashMap<Key, Pair>,
    sources: HashMap<u128, HashSet<u128>>,
    last_sweep_ms: u64,
}

impl BeaconWatch {
    fn observe(&mut self, batch: &FlowBatch, i: usize) -> Key {
        let key = (batch.src_u128(i), batch.dst_u128(i), batch.dst_port[i]);
        let sources = self.sources.entry(key.1).or_default();
        if sources.len() <= self.config.max_sources {
            sources.insert(key.0);
        }
        let pair = self.pairs.entry(key).or_default();
        pair.oversized |= batch.bytes[i] > self.config.max_bytes;
        pair.starts.push_back(batch.start_ms[i]);
        while pair.starts.len() > self.config.min_occurrences {
            pair.starts.pop_front();
        }
        key
    }

    fn judge(&mut self, key: Key, now_ms: u64) -> Option<Anomaly> {
        let config = &self.config;
        let popular = self
            .sources
            .get(&key.1)
            .is_some_and(|s| s.len() > config.max_sources);
        let pair = self.pairs.get_mut(&key)?;
        if popular || pair.oversized || pair.starts.len() < config.min_occurrences {
            return None;
        }
        if pair
            .reported_ms
            .is_some_and(|at| now_ms < at + config.report_every_s * 1000)
        {
            return None;
        }
        let mut starts: Vec<u64> = pair.starts.iter().copied().collect();
        starts.sort_unstable();
        let (mean_ms, jitter) = regularity(&starts)?;
        let mean_s = mean_ms / 1000.0;
        if jitter > config.max_jitter
            || mean_s < config.min_interval_s
            || mean_s > config.max_interval_s
        {
            return None;
        }
        pair.reported_ms = Some(now_ms);
        let (src, dst) = (
            addr_from_u128(key.0).to_string(),
            addr_from_u128(key.1).to_string(),
        );
        Some(
            AnomalyBuilder::new("beacon", (1.0 - jitter).clamp(0.5, 1.0))
                .node(&src)
                .node(&dst)
                .pattern(Pattern::SeasonalityShift)
                .symptom("repeats", "periodic-contact", "steady small check-ins to a rarely contacted host")
                .description(format!(
                    "{src} → {dst}:{} every {mean_s:.1} s ± {:.0}% ({} times), small flows, {dst} has no other regular sources",
                    key.2,
                    jitter * 100.0,
                    starts.len()
                ))
                .build(),
        )
    }

    /// Forget pairs and destinations silent for `horizon_s`.
    fn sweep(&mut self, now_ms: u64) {
        let horizon = self.config.horizon_s * 1000;
        self.pairs.retain(|_, pair| {
            pair.starts
                .back()
                .is_some_and(|&last| last + horizon >= now_ms)
        });
        let live: HashSet<u128> = self.pairs.keys().map(|key| key.1).collect();
        self.sources.retain(|dst, _| live.contains(dst));
        self.last_sweep_ms = now_ms;
    }
}

impl Detector for BeaconWatch {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("beacon-watch", env!("CARGO_PKG_VERSION"))
            .description("Periodic small check-ins to rarely contacted hosts (C2 beacons), across flow windows")
            .subscribe(EventKind::Flows)
            .field(ConfigField::integer("min_occurrences", "Check-ins needed before a pair is judged", 8))
            .field(ConfigField::float("max_jitter", "Largest deviation/mean of the intervals", 0.15))
            .field(ConfigField::float("min_interval_s", "Shortest mean interval, seconds", 10.0))
            .field(ConfigField::float("max_interval_s", "Longest mean interval, seconds", 3_600.0))
            .field(ConfigField::integer("max_bytes", "Largest flow that can be a check-in, bytes", 100_000))
            .field(ConfigField::integer("max_sources", "Destinations with more sources are shared services", 2))
            .field(ConfigField::integer("report_every_s", "Report a pair again at most this often", 3_600))
            .field(ConfigField::integer("horizon_s", "Forget pairs silent this long", 21_600))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        if config.min_occurrences < 3 {
            return Err(PluginError::InvalidConfig(
                "min_occurrences must be at least 3".into(),
            ));
        }
        let sensible = config.max_jitter >= 0.0 && config.min_interval_s < config.max_interval_s;
        if !sensible {
            return Err(PluginError::InvalidConfig(
                "max_jitter must be ≥ 0 and min_interval_s < max_interval_s".into(),
            ));
        }
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(window) = event.payload else {
            return Ok(vec![]);
        };
        let batch = &window.flows;
        let touched: HashSet<Key> = (0..batch.len()).map(|i| self.observe(batch, i)).collect();
        let now_ms = window
            .end_ms
            .max(batch.end_ms.iter().copied().max().unwrap_or(0));
        let mut touched: Vec<Key> = touched.into_iter().collect();
        touched.sort_unstable();
        let found = touched
            .into_iter()
            .filter_map(|key| self.judge(key, now_ms))
            .map(Finding::from)
            .collect();
        if now_ms >= self.last_sweep_ms + 60_000 {
            self.sweep(now_ms);
        }
        Ok(found)
    }
}

export_detector!(BeaconWatch);

#[cfg(test)]
mod tests;
