//! What is kept across windows: for each (source, destination, protocol, port) the starts of
//! its last check-ins, and for each destination the internal hosts that contact it (a few:
//! beyond `max_sources` it is a shared service, whatever else). Both are bounded: a pair seen
//! once takes one slot of a fixed table of first sightings, a pair seen again is kept; pairs
//! silent for `horizon_s` are forgotten, and beyond `max_pairs` the longest-silent quarter goes.

use std::collections::VecDeque;

use netassure_plugin_sdk::collections::{HashMap, HashSet};

/// (source, destination, protocol, destination port).
pub type Key = (u128, u128, u8, u16);

/// One (source, destination, protocol, port). Most pairs are seen once (a random contact):
/// they cost no allocation; the earlier starts are kept from the second check-in on.
#[derive(Debug, Default)]
pub struct Pair {
    /// Start of the last check-in.
    last: u64,
    /// Starts of the check-ins before it, in arrival order.
    earlier: VecDeque<u64>,
    /// Latest start seen.
    pub latest: u64,
    /// Check-ins seen in all.
    pub count: u64,
    /// Flows larger than a check-in.
    pub big: u64,
    /// When it was last reported, and with which score.
    pub reported: Option<(u64, f64)>,
}

impl Pair {
    /// True when more than a quarter of its flows were too large for check-ins (a C2 channel
    /// carries an occasional task; a service carries data).
    pub fn oversized(&self) -> bool {
        self.big * 4 > self.count
    }

    /// Check-ins kept.
    pub fn kept(&self) -> usize {
        if self.count == 0 {
            0
        } else {
            self.earlier.len() + 1
        }
    }

    /// The kept starts, sorted.
    pub fn starts(&self) -> Vec<u64> {
        let mut starts: Vec<u64> = self.earlier.iter().copied().collect();
        if self.count > 0 {
            starts.push(self.last);
        }
        starts.sort_unstable();
        starts
    }
}

/// The first few internal hosts that contact a destination, as 32-bit hashes, inline.
#[derive(Debug, Default, Clone, Copy)]
struct Sources {
    hashes: [u32; MAX_SOURCES + 1],
    count: u8,
}

/// Sources counted per destination at most (one more marks it shared).
pub const MAX_SOURCES: usize = 7;

fn host_hash(host: u128) -> u32 {
    let mixed = (host as u64 ^ (host >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 32) as u32
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

/// Slots of the table of first sightings (each 24 bytes: 3 MiB).
const SIGHTINGS: usize = 1 << 17;

/// A pair's fingerprint: 64 bits of its key, mixed.
fn fingerprint(key: &Key) -> u64 {
    let mix = |x: u64| (x ^ (x >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let parts = [
        key.0 as u64,
        (key.0 >> 64) as u64,
        key.1 as u64,
        (key.1 >> 64) as u64,
    ];
    let tail = u64::from(key.2) << 16 | u64::from(key.3);
    parts.iter().fold(mix(tail), |h, &p| mix(h ^ mix(p))) | 1
}

/// Pairs and the sources of each destination.
#[derive(Debug, Default)]
pub struct Memory {
    /// The pairs seen at least twice.
    pub pairs: HashMap<Key, Pair>,
    /// First sightings, direct-mapped by fingerprint: (fingerprint, start, large): a pair
    /// seen once — most contacts — costs one slot, and becomes a [`Pair`] when seen again
    /// (a colliding sighting overwrites: that pair is admitted one check-in later).
    sightings: Vec<(u64, u64, bool)>,
    sources: HashMap<u128, Sources>,
    /// Host pairs (lower address first) that exchanged a flow of ten check-ins' size or more,
    /// with when they last did: a peer a host moves data with is a service it uses.
    heavy: HashMap<(u128, u128), u64>,
    last_sweep_ms: u64,
}

/// Limits of what is kept.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Starts kept per pair.
    pub occurrences: usize,
    /// Sources kept per destination (one more marks it shared).
    pub max_sources: usize,
    /// Starts closer than this to the previous one are the same check-in, ms.
    pub merge_ms: u64,
    /// Largest check-in, bytes.
    pub max_bytes: u64,
    /// Pairs silent this long are forgotten, ms.
    pub horizon_ms: u64,
    /// Pairs kept at most.
    pub max_pairs: usize,
}

impl Memory {
    /// Note a flow of `bytes` starting at `start_ms` for `key`; true when the pair is kept.
    pub fn observe(&mut self, key: Key, start_ms: u64, bytes: u64, limits: &Limits) -> bool {
        let sources = self.sources.entry(key.1).or_default();
        let (hash, count) = (host_hash(key.0), usize::from(sources.count));
        if count <= limits.max_sources.min(MAX_SOURCES) && !sources.hashes[..count].contains(&hash)
        {
            sources.hashes[count] = hash;
            sources.count += 1;
        }
        let big = bytes > limits.max_bytes;
        let Some(pair) = self.pairs.get_mut(&key) else {
            return self.first_or_second(key, start_ms, big, limits);
        };
        pair.big += u64::from(big);
        if start_ms.abs_diff(pair.last) < limits.merge_ms {
            return true;
        }
        pair.earlier.push_back(pair.last);
        while pair.earlier.len() + 1 > limits.occurrences {
            pair.earlier.pop_front();
        }
        pair.last = start_ms;
        pair.latest = pair.latest.max(start_ms);
        pair.count += 1;
        true
    }

    /// A flow of a pair not kept: note its first sighting, or keep the pair from its second;
    /// true when it is kept now.
    fn first_or_second(&mut self, key: Key, start_ms: u64, big: bool, limits: &Limits) -> bool {
        if self.sightings.is_empty() {
            self.sightings = vec![(0, 0, false); SIGHTINGS];
        }
        let fp = fingerprint(&key);
        let slot = &mut self.sightings[(fp as usize) % SIGHTINGS];
        if slot.0 != fp {
            *slot = (fp, start_ms, big);
            return false;
        }
        let (first, first_big) = (slot.1, slot.2);
        if start_ms.abs_diff(first) < limits.merge_ms {
            slot.2 |= big;
            return false;
        }
        *slot = (0, 0, false);
        let (earlier, last) = (first.min(start_ms), first.max(start_ms));
        self.pairs.insert(
            key,
            Pair {
                last,
                earlier: VecDeque::from([earlier]),
                latest: last,
                count: 2,
                big: u64::from(big) + u64::from(first_big),
                reported: None,
            },
        );
        true
    }

    /// Note a flow of `bytes` between `a` and `b` at `now_ms`.
    pub fn note_size(&mut self, a: u128, b: u128, bytes: u64, now_ms: u64, limits: &Limits) {
        if bytes >= 10 * limits.max_bytes {
            self.heavy.insert((a.min(b), a.max(b)), now_ms);
        }
    }

    /// True when `a` and `b` moved data within the horizon.
    pub fn heavy(&self, a: u128, b: u128) -> bool {
        self.heavy.contains_key(&(a.min(b), a.max(b)))
    }

    /// How many sources `destination` has (at most `max_sources` + 1).
    pub fn sources_of(&self, destination: u128) -> usize {
        self.sources
            .get(&destination)
            .map_or(0, |s| usize::from(s.count))
    }

    /// Forget pairs silent for the horizon (once a minute of flow time), and the longest-silent
    /// quarter when more than `max_pairs` are kept.
    pub fn sweep(&mut self, now_ms: u64, limits: &Limits) {
        let over = self.pairs.len() > limits.max_pairs;
        if !over && now_ms < self.last_sweep_ms + 60_000 {
            return;
        }
        let last = |pair: &Pair| pair.latest;
        let mut cutoff = now_ms.saturating_sub(limits.horizon_ms);
        if over {
            let mut lasts: Vec<u64> = self.pairs.values().map(last).collect();
            let quarter = lasts.len() / 4;
            lasts.select_nth_unstable(quarter);
            cutoff = cutoff.max(lasts[quarter]);
        }
        self.pairs
            .retain(|_, pair| last(pair) > cutoff || (!over && last(pair) == cutoff));
        let oldest = now_ms.saturating_sub(limits.horizon_ms);
        self.heavy.retain(|_, &mut at| at >= oldest);
        if self.heavy.len() > limits.max_pairs {
            self.heavy.clear();
        }
        let live: HashSet<u128> = self.pairs.keys().map(|key| key.1).collect();
        self.sources
            .retain(|destination, _| live.contains(destination));
        self.last_sweep_ms = now_ms;
    }
}
