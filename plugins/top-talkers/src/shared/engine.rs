//! The detector's core, whatever counts the hour: windows move the hour of flow time along
//! (folding a closed hour into the baselines), each window's amounts are added to the hour's
//! [`Tally`] of each kind, the hour's top keys are published and judged, and the hour in
//! progress is saved every five minutes of flow time.

use netassure_plugin_sdk::collections::HashMap;

use netassure_plugin_sdk::host::flows::Conversations;
use netassure_plugin_sdk::prelude::*;

use super::baseline::{Baseline, HOUR_MS, Key, Verdict};
use super::hour::{Hour, Roll, Span, largest};
use super::report::{Gauges, Report};
use super::store::{Checkpoint, Store};
use super::{By, Settings};

/// Flow time between two saves of the hour in progress.
const CHECKPOINT_MS: u64 = 300_000;

/// What counts one kind of key over an hour.
pub trait Tally: std::fmt::Debug {
    /// Count `amount` for `key`.
    fn add(&mut self, key: Key, amount: u64);
    /// The `n` largest keys so far, largest first.
    fn largest(&self, n: usize) -> Vec<(Key, u64)>;
    /// Everything counted this hour.
    fn total(&self) -> u64;
    /// True when [`largest`](Self::largest) can return every key counted (none was dropped).
    fn complete(&self, n: usize) -> bool;
    /// Forget the hour.
    fn clear(&mut self);
    /// Keep memory bounded after a window (drop or prune what the tally allows).
    fn trim(&mut self);
    /// Start from a saved hour: these keys' volumes, out of `total`.
    fn seed(&mut self, keys: &[(Key, u64)], total: u64);
}

/// One kind of key: its baseline, its store and the hour's tally.
#[derive(Debug)]
pub struct Kind<T> {
    /// The kind.
    pub by: By,
    store: Store,
    /// Its baseline.
    pub baseline: Baseline,
    tally: T,
}

impl<T: Tally> Kind<T> {
    /// The `n` largest keys of the hour so far.
    #[cfg(test)]
    pub fn top(&self, n: usize) -> Vec<(Key, u64)> {
        self.tally.largest(n)
    }

    fn load(by: By, metric: &str, tally: T) -> Kind<T> {
        let store = Store::new(metric, by.name());
        Kind {
            by,
            baseline: store.load_baseline(),
            store,
            tally,
        }
    }

    /// Fold hour `slot` into the baseline when the windows covered at least half of it.
    fn close(&mut self, slot: u64, covered_ms: u64, settings: &Settings) {
        if covered_ms >= HOUR_MS / 2 {
            let kept = 2 * settings.keys_per_hour;
            let totals = self.tally.largest(kept);
            let truncated = !self.tally.complete(kept);
            let hour = (slot % 24) as usize;
            let profile = &mut self.baseline.hours[hour];
            profile.fold(
                slot,
                &totals,
                truncated,
                settings.keys_per_hour,
                settings.decay,
            );
            self.store.save_hour(hour, profile);
        }
        self.tally.clear();
    }

    fn restore(&mut self, saved: &Checkpoint) {
        self.tally.clear();
        self.tally.seed(&saved.keys, saved.total);
    }
}

/// The engine of one detector.
#[derive(Debug)]
pub struct Engine<T> {
    /// The anomaly kind (`top-talker`, `heavy-hitter`).
    anomaly: &'static str,
    settings: Settings,
    prototype: T,
    /// The kinds of key, as configured.
    pub kinds: Vec<Kind<T>>,
    hour: Option<Hour>,
    /// The published gauges.
    pub gauges: Gauges,
    saved_ms: u64,
}

impl<T: Tally + Clone> Engine<T> {
    /// An engine reporting `anomaly`, counting with copies of `prototype`.
    pub fn new(anomaly: &'static str, settings: Settings, prototype: T) -> Engine<T> {
        Engine {
            anomaly,
            settings,
            prototype,
            kinds: Vec::new(),
            hour: None,
            gauges: Gauges::default(),
            saved_ms: 0,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// New settings; what was counted is kept when keys are counted alike (same metric and
    /// kinds), else the baselines of the new ones are loaded on the next window.
    pub fn reconfigure(&mut self, settings: Settings, prototype: T) {
        let alike = self.settings.metric == settings.metric && self.settings.by == settings.by;
        if !alike {
            self.kinds.clear();
            self.hour = None;
        }
        self.settings = settings;
        self.prototype = prototype;
    }

    /// Load the kinds on the first window; resume (or close) the hour saved before a restart.
    fn resume(&mut self, span: Span) {
        let settings = &self.settings;
        self.kinds = settings
            .by
            .iter()
            .map(|&by| Kind::load(by, settings.metric, self.prototype.clone()))
            .collect();
        let mut hour = Hour::new(span.slot);
        for kind in &mut self.kinds {
            let Some(saved) = kind.store.load_checkpoint() else {
                continue;
            };
            if saved.slot == span.slot {
                kind.restore(&saved);
                hour.covered_ms = hour.covered_ms.max(saved.covered_ms);
            } else if saved.slot < span.slot {
                kind.restore(&saved);
                kind.close(saved.slot, saved.covered_ms, settings);
            }
        }
        hour.covered_ms += span.covered_ms;
        self.hour = Some(hour);
    }

    /// Move to the window's hour, folding the hour that closed.
    fn roll(&mut self, span: Span) {
        let Some(hour) = self.hour.as_mut() else {
            self.resume(span);
            return;
        };
        match hour.roll(span) {
            Roll::Same => {}
            Roll::Closed { slot, covered_ms } => {
                for kind in &mut self.kinds {
                    kind.close(slot, covered_ms, &self.settings);
                }
            }
            Roll::Restarted => self.kinds.iter_mut().for_each(|kind| kind.tally.clear()),
        }
    }

    /// Handle one window: `amounts(by)` gives each kind's keys in the window with their amount.
    /// The findings.
    pub fn window(
        &mut self,
        window: &FlowWindow,
        amounts: impl Fn(By) -> HashMap<Key, u64>,
    ) -> Vec<Finding> {
        let span = Span::of(window);
        self.roll(span);
        let mut reports = Vec::new();
        for k in 0..self.kinds.len() {
            let in_window = amounts(self.kinds[k].by);
            reports.extend(self.count(k, &in_window));
        }
        self.checkpoint(window.end_ms);
        if reports.is_empty() {
            return Vec::new();
        }
        let conversations: Option<Conversations> = host::flows::conversations();
        reports
            .iter()
            .map(|report| {
                report.finding(
                    self.anomaly,
                    &self.settings,
                    &window.flows,
                    conversations.as_ref(),
                )
            })
            .collect()
    }

    /// Count one kind's window; its reports.
    fn count(&mut self, k: usize, in_window: &HashMap<Key, u64>) -> Vec<Report> {
        let settings = &self.settings;
        let hour = self.hour.as_mut().expect("rolled");
        let hour_of_day = (hour.slot % 24) as usize;
        let kind = &mut self.kinds[k];
        let by = kind.by;
        let mut reports = Vec::new();
        let window_total: u64 = in_window.values().sum();
        if let Some(min_share) = settings.min_share
            && window_total >= settings.min_total.max(1)
        {
            let share = |amount: u64| amount as f64 / window_total as f64;
            let above: Vec<(Key, u64)> = in_window
                .iter()
                .filter(|&(_, &amount)| share(amount) >= min_share)
                .map(|(&key, &amount)| (key, amount))
                .collect();
            for (key, amount) in largest(above, usize::MAX) {
                let verdict = Verdict::Share(share(amount));
                reports.push(Report {
                    by,
                    key,
                    verdict,
                    volume: amount,
                    total: window_total,
                    hour: hour_of_day,
                });
            }
        }
        for (&key, &amount) in in_window {
            kind.tally.add(key, amount);
        }
        kind.tally.trim();
        let top = kind.tally.largest(settings.top);
        let total = kind.tally.total();
        self.gauges.publish(by, &top, total);
        for (key, volume) in top {
            if !in_window.contains_key(&key) {
                continue;
            }
            let learnable = settings.judged(&key);
            let Some(verdict) =
                kind.baseline
                    .judge(&key, hour_of_day, volume, learnable, &settings.rules)
            else {
                continue;
            };
            if hour.should_report(k, key, volume) {
                reports.push(Report {
                    by,
                    key,
                    verdict,
                    volume,
                    total,
                    hour: hour_of_day,
                });
            }
        }
        reports
    }

    fn checkpoint(&mut self, now_ms: u64) {
        if (self.saved_ms..self.saved_ms + CHECKPOINT_MS).contains(&now_ms) {
            return;
        }
        let keep = 2 * self.settings.keys_per_hour;
        if let Some(hour) = &self.hour {
            for kind in &self.kinds {
                kind.store.save_checkpoint(&Checkpoint {
                    slot: hour.slot,
                    covered_ms: hour.covered_ms,
                    total: kind.tally.total(),
                    keys: kind.tally.largest(keep),
                });
            }
        }
        self.saved_ms = now_ms;
    }
}
