//! Uploads in progress: per (internal host, external address), the bytes out and back of each
//! window within the sliding span, for at most `max_tracked` pairs (beyond, those that sent
//! least go); and the pairs whose uploads crossed the threshold before, with when they first
//! did — a host that uploads to the same address every night (an offsite backup) is routine
//! once a day has passed since the first time. The latter live in `host::state`.

use std::collections::VecDeque;

use netassure_plugin_sdk::collections::HashMap;

use netassure_plugin_sdk::host;

/// (internal host, external address).
pub type Pair = (u128, u128);

/// One window's bytes of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Step {
    /// Window start, ms.
    pub start_ms: u64,
    /// Window end, ms.
    pub end_ms: u64,
    /// Bytes the internal host sent.
    pub out: u64,
    /// Bytes it got back.
    pub back: u64,
}

/// A pair's windows within the span, and what was reported.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// Windows, oldest first.
    pub steps: VecDeque<Step>,
    /// Bytes sent since the pair was first tracked (it is forgotten once quiet for an hour, or
    /// the span if longer: an upload in chunks with pauses is one upload).
    pub sent: u64,
    /// `sent` when it was last reported.
    pub reported_at: Option<u64>,
    /// Start of its first window, ms.
    pub first_ms: u64,
    /// End of its last window, ms.
    pub last_ms: u64,
}

impl Upload {
    /// Bytes out and back within the span.
    pub fn totals(&self) -> (u64, u64) {
        self.steps
            .iter()
            .fold((0, 0), |(o, b), s| (o + s.out, b + s.back))
    }

    /// First window start and last window end within the span.
    pub fn seen(&self) -> (u64, u64) {
        let first = self.steps.front().map_or(0, |s| s.start_ms);
        (first, self.steps.back().map_or(0, |s| s.end_ms))
    }
}

/// Uploads in progress and pairs that crossed the threshold before.
#[derive(Debug, Default)]
pub struct Uploads {
    /// Pairs in progress.
    pub in_progress: HashMap<Pair, Upload>,
    /// Pair → when its upload first crossed the threshold, ms.
    pub crossed: HashMap<Pair, u64>,
    crossed_dirty: bool,
}

const CROSSED_KEY: &str = "v1/crossed";

impl Uploads {
    /// The pairs that crossed before, from `host::state`.
    pub fn load() -> Uploads {
        let crossed: Vec<(Pair, u64)> = host::state::get(CROSSED_KEY)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Uploads {
            crossed: crossed.into_iter().collect(),
            ..Uploads::default()
        }
    }

    /// Add a window (`start_ms` to `end_ms`) of `pair`.
    pub fn add(&mut self, pair: Pair, (start_ms, end_ms): (u64, u64), out: u64, back: u64) {
        let upload = self.in_progress.entry(pair).or_insert_with(|| Upload {
            first_ms: start_ms,
            ..Upload::default()
        });
        upload.sent += out;
        upload.last_ms = end_ms;
        match upload.steps.back_mut() {
            Some(last) if last.end_ms == end_ms => {
                last.out += out;
                last.back += back;
            }
            _ => upload.steps.push_back(Step {
                start_ms,
                end_ms,
                out,
                back,
            }),
        }
    }

    /// Drop the windows that ended `span_ms` or more before `now_ms`, and pairs quiet for an
    /// hour (or the span); keep at most `max` pairs (those that sent most within the span).
    pub fn expire(&mut self, now_ms: u64, span_ms: u64, max: usize) {
        let oldest = now_ms.saturating_sub(span_ms);
        let forget = now_ms.saturating_sub(span_ms.max(3_600_000));
        self.in_progress.retain(|_, upload| {
            while upload.steps.front().is_some_and(|s| s.end_ms <= oldest) {
                upload.steps.pop_front();
            }
            upload.last_ms > forget
        });
        if self.in_progress.len() > max {
            let mut sent: Vec<(u64, u64, Pair)> = self
                .in_progress
                .iter()
                .map(|(p, u)| (u.totals().0, u.last_ms, *p))
                .collect();
            sent.sort_unstable_by(|a, b| b.cmp(a));
            for (_, _, pair) in sent.into_iter().skip(max) {
                self.in_progress.remove(&pair);
            }
        }
    }

    /// Note that `pair` crossed the threshold at `now_ms` (the first time is kept; at most
    /// `max` pairs, the oldest crossings go first).
    pub fn cross(&mut self, pair: Pair, now_ms: u64, max: usize) {
        if self.crossed.contains_key(&pair) {
            return;
        }
        self.crossed.insert(pair, now_ms);
        self.crossed_dirty = true;
        if self.crossed.len() > max {
            let mut times: Vec<u64> = self.crossed.values().copied().collect();
            let cut = times.len() - max;
            times.select_nth_unstable(cut);
            let cutoff = times[cut];
            self.crossed.retain(|_, &mut at| at >= cutoff);
        }
    }

    /// Save the crossed pairs when they changed.
    pub fn save(&mut self) {
        if !self.crossed_dirty {
            return;
        }
        let entries: Vec<(&Pair, &u64)> = self.crossed.iter().collect();
        let bytes = serde_json::to_vec(&entries).expect("pairs serialise");
        if let Err(err) = host::state::set(CROSSED_KEY, &bytes) {
            host::log::warn(&format!("saving `{CROSSED_KEY}` failed: {err:?}"));
        }
        self.crossed_dirty = false;
    }
}
