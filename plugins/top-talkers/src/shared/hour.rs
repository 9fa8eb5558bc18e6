//! The hour of flow time being counted: which hour it is, how much of it the windows covered,
//! and which keys were reported in it.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use netassure_plugin_sdk::collections::HashMap;

use netassure_plugin_sdk::FlowWindow;

use super::baseline::{HOUR_MS, Key};

/// A window's place in time: its hour (hours since the epoch) and the flow time it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Hours since the epoch of the window's end.
    pub slot: u64,
    /// Milliseconds of flow time the window covers (at most 10 minutes).
    pub covered_ms: u64,
}

impl Span {
    /// The span of `window`: by its bounds, or by its flows when the bounds are empty.
    pub fn of(window: &FlowWindow) -> Span {
        let flows = &window.flows;
        let (start, end) = if window.end_ms > window.start_ms {
            (window.start_ms, window.end_ms)
        } else {
            let first = flows
                .start_ms
                .iter()
                .min()
                .copied()
                .unwrap_or(window.start_ms);
            let last = flows.end_ms.iter().max().copied().unwrap_or(window.end_ms);
            (first.min(last), last)
        };
        Span {
            slot: end.saturating_sub(1) / HOUR_MS,
            covered_ms: (end - start).min(600_000),
        }
    }
}

/// The hour being counted.
#[derive(Debug, Clone, Default)]
pub struct Hour {
    /// Hours since the epoch.
    pub slot: u64,
    /// Flow time covered by its windows.
    pub covered_ms: u64,
    /// Volume of each key (by kind) when it was last reported.
    reported: HashMap<(usize, Key), u64>,
}

/// What moving to a window's hour did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roll {
    /// Same hour.
    Same,
    /// A later hour: the previous one (`slot`, covered `covered_ms`) is over.
    Closed {
        /// The hour that closed.
        slot: u64,
        /// How much of it the windows covered.
        covered_ms: u64,
    },
    /// An earlier hour (flow time went back: another file): start afresh, fold nothing.
    Restarted,
}

impl Hour {
    /// An hour `slot` with nothing counted yet.
    pub fn new(slot: u64) -> Hour {
        Hour {
            slot,
            ..Hour::default()
        }
    }

    /// Move to the hour of `span` and count its coverage.
    pub fn roll(&mut self, span: Span) -> Roll {
        let roll = match span.slot.cmp(&self.slot) {
            std::cmp::Ordering::Equal => Roll::Same,
            std::cmp::Ordering::Greater => Roll::Closed {
                slot: self.slot,
                covered_ms: self.covered_ms,
            },
            std::cmp::Ordering::Less => Roll::Restarted,
        };
        if roll != Roll::Same {
            *self = Hour::new(span.slot);
        }
        self.covered_ms += span.covered_ms;
        roll
    }

    /// True when key `key` of kind `kind` should be reported at `volume`: the first time this
    /// hour, or once its volume has doubled since the last report.
    pub fn should_report(&mut self, kind: usize, key: Key, volume: u64) -> bool {
        match self.reported.get(&(kind, key)) {
            Some(&at) if volume < at.saturating_mul(2) => false,
            _ => {
                self.reported.insert((kind, key), volume);
                true
            }
        }
    }
}

/// Below this many, [`largest_of`] keeps the largest in a heap rather than collecting every
/// entry.
const HEAP_UP_TO: usize = 1_024;

/// The `n` largest `(key, volume)` entries of `entries`, largest first (ties by key). For a
/// few of many (a window's top ten of an hour's 50,000 keys) it keeps only the `n` best seen
/// so far, in a heap whose top is the worst of them: one comparison for most entries, nothing
/// collected.
pub fn largest_of(entries: impl Iterator<Item = (Key, u64)>, n: usize) -> Vec<(Key, u64)> {
    if n > HEAP_UP_TO {
        return largest(entries.collect(), n);
    }
    let mut kept: BinaryHeap<Ranked> = BinaryHeap::with_capacity(n + 1);
    for (key, volume) in entries {
        let candidate = Ranked(key, volume);
        if kept.len() < n {
            kept.push(candidate);
        } else if let Some(mut worst) = kept.peek_mut()
            && candidate < *worst
        {
            *worst = candidate;
        }
    }
    largest(
        kept.into_iter()
            .map(|Ranked(key, volume)| (key, volume))
            .collect(),
        n,
    )
}

/// An entry ranked for [`largest_of`]'s heap: greater is worse (less volume; on a tie, the
/// greater key), so the heap's top is the worst entry kept.
#[derive(PartialEq, Eq)]
struct Ranked(Key, u64);

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        other.1.cmp(&self.1).then(self.0.cmp(&other.0))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The `n` largest `(key, volume)` entries of `entries`, largest first (ties by key).
pub fn largest(mut entries: Vec<(Key, u64)>, n: usize) -> Vec<(Key, u64)> {
    let by_volume = |a: &(Key, u64), b: &(Key, u64)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
    if entries.len() > n && n > 0 {
        entries.select_nth_unstable_by(n - 1, by_volume);
        entries.truncate(n);
    }
    if n == 0 {
        entries.clear();
    }
    entries.sort_unstable_by(by_volume);
    entries
}
