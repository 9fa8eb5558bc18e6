//! Hour-of-day baselines: what each key usually sends (or receives) in one hour of the day.
//!
//! For each of the 24 hours of the day a [`HourProfile`] keeps the `keys_per_hour` keys with
//! the largest usual hourly volume. When an hour of flow time closes, its totals are folded in:
//! the usual level of a key is an exponentially weighted mean over the days (`decay` is the
//! weight of the newest day) and a peak that decays by the same factor a day, so a volume the
//! key reached recently stays "usual" for a while. A key outside the kept list was at most as
//! big as the smallest kept one: that level (`floor`) stands in for it.

use netassure_plugin_sdk::collections::HashMap;

use netassure_plugin_sdk::flows::addr_from_u128;
use serde::{Deserialize, Serialize};

/// An hour in milliseconds.
pub const HOUR_MS: u64 = 3_600_000;

/// What is counted: one host, or a (source, destination) pair; addresses as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Key {
    /// A host.
    Host(u128),
    /// A pair of hosts.
    Pair(u128, u128),
}

impl Key {
    /// `10.0.0.1`, or `10.0.0.1>10.0.0.2` for a pair.
    pub fn label(&self) -> String {
        match *self {
            Key::Host(host) => addr_from_u128(host).to_string(),
            Key::Pair(src, dst) => format!("{}>{}", addr_from_u128(src), addr_from_u128(dst)),
        }
    }
}

/// The usual hourly volume of one key at one hour of the day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Usual {
    /// Weighted mean over the days.
    pub mean: f64,
    /// Highest day, decaying by `decay` a day.
    pub peak: f64,
}

impl Usual {
    /// The level a new volume is compared with: the larger of mean and peak.
    pub fn level(&self) -> f64 {
        self.mean.max(self.peak)
    }
}

/// One hour of the day: the keys with the largest usual volume.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HourProfile {
    /// Days folded into this hour.
    pub days: u32,
    /// The hour (hours since the epoch) folded last; an hour is folded once.
    pub last_slot: u64,
    /// Level that stands in for a key not kept (0 while every key seen is kept).
    pub floor: f64,
    /// Kept keys, sorted by key.
    pub keys: Vec<(Key, Usual)>,
}

impl HourProfile {
    /// True when `key` is kept at this hour.
    pub fn knows(&self, key: &Key) -> bool {
        self.keys.binary_search_by(|(k, _)| k.cmp(key)).is_ok()
    }

    /// The usual level of `key` at this hour (the floor for a key not kept).
    pub fn level(&self, key: &Key) -> f64 {
        match self.keys.binary_search_by(|(k, _)| k.cmp(key)) {
            Ok(at) => self.keys[at].1.level(),
            Err(_) => self.floor,
        }
    }

    /// Fold the totals of hour `slot` (hours since the epoch) in: `totals` are the largest keys
    /// of that hour, `truncated` says whether smaller ones were left out. Keeps `keep` keys.
    pub fn fold(
        &mut self,
        slot: u64,
        totals: &[(Key, u64)],
        truncated: bool,
        keep: usize,
        decay: f64,
    ) {
        if self.days > 0 && slot <= self.last_slot {
            return;
        }
        let first = self.days == 0;
        let mut merged: HashMap<Key, Usual> = self
            .keys
            .iter()
            .map(|&(key, usual)| {
                let faded = Usual {
                    mean: usual.mean * (1.0 - decay),
                    peak: usual.peak * (1.0 - decay),
                };
                (key, faded)
            })
            .collect();
        for &(key, volume) in totals {
            let volume = volume as f64;
            let prior = self.keys.binary_search_by(|(k, _)| k.cmp(&key)).ok();
            let usual = match prior {
                _ if first => Usual {
                    mean: volume,
                    peak: volume,
                },
                Some(at) => {
                    let old = self.keys[at].1;
                    Usual {
                        mean: (1.0 - decay) * old.mean + decay * volume,
                        peak: (old.peak * (1.0 - decay)).max(volume),
                    }
                }
                None => Usual {
                    mean: (1.0 - decay) * self.floor + decay * volume,
                    peak: volume,
                },
            };
            merged.insert(key, usual);
        }
        let mut keys: Vec<(Key, Usual)> = merged.into_iter().collect();
        keys.sort_unstable_by(|a, b| b.1.level().total_cmp(&a.1.level()).then(a.0.cmp(&b.0)));
        let full = keys.len() > keep;
        keys.truncate(keep);
        let smallest_total = totals
            .iter()
            .map(|&(_, v)| v as f64)
            .fold(f64::INFINITY, f64::min);
        let floor = if full {
            keys.last().map_or(0.0, |(_, u)| u.level())
        } else if truncated && smallest_total.is_finite() {
            smallest_total
        } else {
            0.0
        };
        self.floor = floor.max(self.floor * (1.0 - decay));
        keys.sort_unstable_by_key(|&(key, _)| key);
        self.keys = keys;
        self.days += 1;
        self.last_slot = slot;
    }
}

/// The 24 hours of the day of one kind of key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baseline {
    /// Hour 0 (00:00–01:00 UTC) to 23.
    pub hours: [HourProfile; 24],
}

/// How far a volume may go before it is reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Volume ÷ usual level that is a departure.
    pub rise: f64,
    /// Hourly volume below which nothing is a departure.
    pub min_volume: u64,
    /// Days an hour must have been learned before its keys are judged.
    pub learning_days: u32,
    /// Hours either side whose levels also count as usual (a backup that starts a little
    /// earlier or later is still the backup).
    pub tolerance: u8,
    /// A volume at or above this is reported whatever the baseline (set by the user).
    pub max_hourly: Option<u64>,
    /// Hourly volume at which a key with no baseline of its own at this hour is reported.
    pub new_volume: u64,
}

/// Why a key is reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Its volume is `ratio` times its `usual` level at this hour of the day.
    Departure {
        /// The usual level.
        usual: f64,
        /// Volume ÷ usual level.
        ratio: f64,
    },
    /// It has no baseline of its own at this hour (none of the kept keys), and its volume
    /// reached `new_volume`; the smallest kept level was `floor`.
    New {
        /// The smallest kept level around this hour.
        floor: f64,
    },
    /// Its volume reached the user's `max_hourly`.
    Limit(u64),
    /// Its share of one window reached the user's `min_share`.
    Share(f64),
}

impl Baseline {
    /// The hours of the day within `tolerance` of `hour`.
    fn around(&self, hour: usize, tolerance: u8) -> impl Iterator<Item = &HourProfile> {
        let tolerance = usize::from(tolerance.min(11));
        (0..=2 * tolerance).map(move |offset| &self.hours[(hour + 24 + offset - tolerance) % 24])
    }

    /// The usual level of `key` around `hour` (the largest within the tolerance).
    pub fn usual(&self, key: &Key, hour: usize, tolerance: u8) -> f64 {
        self.around(hour, tolerance)
            .map(|h| h.level(key))
            .fold(0.0, f64::max)
    }

    /// Whether `volume` of `key` so far in an hour of the day `hour` is reported, and why: by
    /// `max_hourly` always, by the baseline only when the key is `learnable`.
    pub fn judge(
        &self,
        key: &Key,
        hour: usize,
        volume: u64,
        learnable: bool,
        rules: &Rules,
    ) -> Option<Verdict> {
        if let Some(limit) = rules.max_hourly
            && volume >= limit
        {
            return Some(Verdict::Limit(limit));
        }
        if !learnable || volume < rules.min_volume || self.hours[hour].days < rules.learning_days {
            return None;
        }
        if !self.around(hour, rules.tolerance).any(|h| h.knows(key)) {
            let floor = self.usual(key, hour, rules.tolerance);
            return (volume >= rules.new_volume).then_some(Verdict::New { floor });
        }
        let usual = self.usual(key, hour, rules.tolerance);
        let ratio = volume as f64 / usual.max(1.0);
        (ratio >= rules.rise).then_some(Verdict::Departure { usual, ratio })
    }
}
