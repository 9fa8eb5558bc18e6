//! A verdict as a finding (with its parties as evidence), and the current top keys as metrics.

use std::collections::BTreeSet;

use netassure_plugin_sdk::host::flows::Conversations;
use netassure_plugin_sdk::prelude::*;

use super::baseline::{Key, Verdict};
use super::parties::{matches, parties};
use super::{By, Settings};

/// What is reported about one key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// The kind of key.
    pub by: By,
    /// The key.
    pub key: Key,
    /// Why.
    pub verdict: Verdict,
    /// Its volume: this hour so far (or this window for a share).
    pub volume: u64,
    /// The hour's (or the window's) traffic.
    pub total: u64,
    /// Hour of the day (UTC).
    pub hour: usize,
}

/// Bytes as `812.3 MB`, packets as `1234 packets`.
pub fn amount(value: f64, metric: &str) -> String {
    if metric != "bytes" {
        return format!("{value:.0} {metric}");
    }
    let units = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")];
    units
        .iter()
        .find(|(scale, _)| value >= *scale)
        .map_or(format!("{value:.0} B"), |(scale, unit)| {
            format!("{:.1} {unit}", value / scale)
        })
}

impl Report {
    /// The score: a departure from 0.5 (at `rise`) towards 0.85, an explicit threshold 0.6 or
    /// the share. Never 0.9: a volume is not, on its own, unambiguous evidence of an attack.
    pub fn score(&self, rise: f64) -> f64 {
        match self.verdict {
            Verdict::Departure { ratio, .. } => 0.5 + 0.35 * (1.0 - rise / ratio).clamp(0.0, 1.0),
            Verdict::New { floor } => {
                0.5 + 0.35 * (1.0 - rise * floor / self.volume.max(1) as f64).clamp(0.0, 1.0)
            }
            Verdict::Limit(_) => 0.6,
            Verdict::Share(share) => (0.5 + 0.35 * share).min(0.85),
        }
    }

    fn description(&self, metric: &str) -> String {
        let verb = match self.by {
            By::Src => "sent",
            By::Dst => "received",
            By::Pair => "carried",
        };
        let who = format!("{} {}", self.by.name(), self.key.label());
        let volume = amount(self.volume as f64, metric);
        let hour = format!("{:02}:00 UTC hour", self.hour);
        match self.verdict {
            Verdict::Departure { usual, .. } if usual < 1.0 => {
                format!("{who} {verb} {volume} so far in the {hour}, where it usually has nothing")
            }
            Verdict::Departure { usual, ratio } => format!(
                "{who} {verb} {volume} so far in the {hour}, {ratio:.1}× its usual {} at that hour",
                amount(usual, metric)
            ),
            Verdict::New { floor } => format!(
                "{who} {verb} {volume} so far in the {hour}, where it has no baseline of its own (the smallest kept is {})",
                amount(floor, metric)
            ),
            Verdict::Limit(limit) => format!(
                "{who} {verb} {volume} so far in the {hour}, above max_hourly {}",
                amount(limit as f64, metric)
            ),
            Verdict::Share(share) => format!(
                "{who} {verb} {volume}, {:.1}% of the window's {}",
                share * 100.0,
                amount(self.total as f64, metric)
            ),
        }
    }

    /// The finding of kind `kind`: the parties of the key's flows in `batch` as evidence.
    pub fn finding(
        &self,
        kind: &str,
        settings: &Settings,
        batch: &FlowBatch,
        conversations: Option<&Conversations>,
    ) -> Finding {
        let score = self.score(settings.rules.rise);
        let weights = if settings.packets() {
            &batch.packets
        } else {
            &batch.bytes
        };
        let flows: Vec<usize> = (0..batch.len())
            .filter(|&i| matches(batch, i, self.by, &self.key))
            .collect();
        let found = parties(batch, &flows, |i| weights[i], conversations);
        let reason = match self.verdict {
            Verdict::Departure { .. } => {
                "volume far above the key's usual volume at this hour of the day"
            }
            Verdict::New { .. } => "large volume from a key with no baseline at this hour",
            Verdict::Limit(_) => "hourly volume above max_hourly",
            Verdict::Share(_) => "share of the window above min_share",
        };
        let mut builder = AnomalyBuilder::new(kind, score)
            .pattern(Pattern::Spike)
            .symptom("exceeded", self.by.name(), reason)
            .description(self.description(settings.metric));
        builder = found.evidence(builder, batch, score);
        builder = builder
            .measure("volume", self.volume as f64)
            .measure("share", self.volume as f64 / self.total.max(1) as f64);
        match self.verdict {
            Verdict::Departure { usual, ratio } => {
                builder = builder.measure("usual", usual).measure("ratio", ratio);
            }
            Verdict::New { floor } => builder = builder.measure("kept-floor", floor),
            _ => {}
        }
        if !settings.alert {
            builder = builder.report_only();
        }
        builder.finding()
    }
}

/// The gauges that show the current hour's top keys: `{kind}/{key}` = volume so far this hour,
/// `{kind}/hour_total`; a key that leaves the top is set to 0 once.
#[derive(Debug, Default)]
pub struct Gauges {
    shown: BTreeSet<String>,
}

impl Gauges {
    /// Publish the top keys of `by`.
    pub fn publish(&mut self, by: By, top: &[(Key, u64)], total: u64) {
        let prefix = format!("{}/", by.name());
        let now: BTreeSet<String> = top
            .iter()
            .map(|(key, _)| format!("{prefix}{}", key.label()))
            .collect();
        let gone: Vec<String> = self
            .shown
            .iter()
            .filter(|name| name.starts_with(&prefix) && !now.contains(*name))
            .cloned()
            .collect();
        for name in gone {
            host::metrics::gauge_set(&name, 0.0);
            self.shown.remove(&name);
        }
        for (key, volume) in top {
            host::metrics::gauge_set(&format!("{prefix}{}", key.label()), *volume as f64);
        }
        host::metrics::gauge_set(&format!("{prefix}hour_total"), total as f64);
        self.shown.extend(now);
    }

    /// Names shown now (for tests).
    #[cfg(test)]
    pub fn shown(&self) -> impl Iterator<Item = &str> {
        self.shown.iter().map(String::as_str)
    }
}
