//! What the detector remembers across windows: per (source, host, service), its attempts per
//! window over the span, the sizes of its last attempts and the flows of the current window —
//! at most `max_pairs` of them.
//!
//! When the table is full, pairs without an attempt in the span go first; if that is not
//! enough, the pairs with the fewest attempts until it is half full, so a flood of one-shot
//! sources cannot push out a guesser with hundreds of attempts.

use netassure_plugin_sdk::collections::HashMap;

/// A source trying a service of a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PairKey {
    /// The source (16 bytes, IPv4 mapped).
    pub src: [u8; 16],
    /// The service's protocol.
    pub proto: u8,
    /// The service's port.
    pub port: u16,
    /// The host.
    pub dst: [u8; 16],
}

/// Windows kept per pair (a 300-s span of 10-s windows needs 30); when a longer span needs more,
/// the oldest two are merged under the newer time.
const SLOTS: usize = 32;
/// Attempt sizes kept per pair.
pub const SIZES: usize = 32;
/// Evidence flows kept per pair for the current window.
const EVIDENCE: usize = 4;

/// One pair's attempts.
#[derive(Debug, Default)]
pub struct Pair {
    /// Per window: its end (seconds), tries, connections.
    slots: Vec<(u32, u32, u32)>,
    sizes: [u32; SIZES],
    sized: usize,
    /// First attempt start, ms.
    pub first_ms: u64,
    /// Last attempt end, ms.
    pub last_ms: u64,
    evidence: Vec<u32>,
    evidence_at_s: u64,
}

impl Pair {
    /// Count a connection of `tries` attempts and `bytes`, flow `flow` of the window ending
    /// at `at_s`; windows that ended before `since_s` are dropped.
    pub fn attempt(
        &mut self,
        (at_s, since_s): (u64, u64),
        flow: usize,
        tries: u32,
        bytes: u64,
        (start_ms, end_ms): (u64, u64),
    ) {
        let at = at_s as u32;
        match self.slots.last_mut() {
            Some((last, n, c)) if *last == at => {
                *n += tries;
                *c += 1;
            }
            _ => {
                self.slots.retain(|(t, _, _)| u64::from(*t) >= since_s);
                self.slots.push((at, tries, 1));
            }
        }
        if self.slots.len() > SLOTS {
            let (_, n, c) = self.slots.remove(0);
            self.slots[0].1 += n;
            self.slots[0].2 += c;
        }
        self.sizes[self.sized % SIZES] = bytes.min(u64::from(u32::MAX)) as u32;
        self.sized += 1;
        self.first_ms = if self.first_ms == 0 {
            start_ms
        } else {
            self.first_ms.min(start_ms)
        };
        self.last_ms = self.last_ms.max(end_ms);
        if self.evidence_at_s != at_s {
            self.evidence.clear();
            self.evidence_at_s = at_s;
        }
        if self.evidence.len() < EVIDENCE {
            self.evidence.push(flow as u32);
        }
    }

    /// Tries in windows ending at or after `since_s`.
    pub fn attempts_since(&self, since_s: u64) -> u32 {
        self.since(since_s).0
    }

    /// Tries and connections in windows ending at or after `since_s`.
    pub fn since(&self, since_s: u64) -> (u32, u32) {
        self.slots
            .iter()
            .filter(|(at, _, _)| u64::from(*at) >= since_s)
            .fold((0, 0), |(n, c), (_, dn, dc)| (n + dn, c + dc))
    }

    /// The evidence flows of the window ending at `at_s`.
    pub fn evidence_of(&self, at_s: u64) -> &[u32] {
        if self.evidence_at_s == at_s {
            &self.evidence
        } else {
            &[]
        }
    }

    /// Share of the last attempts (at most [`SIZES`]) within 2% + 8 bytes of their median size,
    /// and the median.
    pub fn uniformity(&self) -> (f64, u32) {
        let n = self.sized.min(SIZES);
        if n == 0 {
            return (0.0, 0);
        }
        let mut sizes = self.sizes;
        let sizes = &mut sizes[..n];
        sizes.sort_unstable();
        let median = sizes[n / 2];
        let tolerance = median / 50 + 8;
        let near = sizes
            .iter()
            .filter(|&&s| s.abs_diff(median) <= tolerance)
            .count();
        (near as f64 / n as f64, median)
    }
}

/// Every tracked pair.
#[derive(Debug, Default)]
pub struct Table {
    /// Pairs by key.
    pub pairs: HashMap<PairKey, Pair>,
    /// Pairs forgotten to stay within the bound (not by age).
    pub evicted: u64,
}

impl Table {
    /// The pair `key`, made room for and created when new.
    pub fn pair(&mut self, key: PairKey, now_s: u64, span_s: u64, max_pairs: usize) -> &mut Pair {
        if !self.pairs.contains_key(&key) && self.pairs.len() >= max_pairs {
            self.make_room(now_s, span_s, max_pairs);
        }
        self.pairs.entry(key).or_default()
    }

    /// Forget pairs without attempts in the span; then, if still above three quarters of the
    /// bound, the pairs with the fewest attempts until half of it is left.
    pub fn make_room(&mut self, now_s: u64, span_s: u64, max_pairs: usize) {
        let since_s = now_s.saturating_sub(span_s);
        self.pairs
            .retain(|_, pair| pair.attempts_since(since_s) > 0);
        if self.pairs.len() * 4 <= max_pairs * 3 {
            return;
        }
        let mut counts: Vec<(u32, PairKey)> = self
            .pairs
            .iter()
            .map(|(key, pair)| (pair.attempts_since(since_s), *key))
            .collect();
        counts.sort_unstable();
        let excess = self.pairs.len().saturating_sub(max_pairs / 2);
        for (_, key) in counts.into_iter().take(excess) {
            self.pairs.remove(&key);
            self.evicted += 1;
        }
    }
}
