//! [`HeavyHitters`]: a Count-Min sketch with the candidate set that turns it into a heavy-hitter
//! finder for one window.

use std::collections::HashSet;

use datasketches::countmin::CountMinSketch;

/// What is counted: one host, or a (source, destination) pair; addresses as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// A host.
    Host(u128),
    /// A pair of hosts.
    Pair(u128, u128),
}

/// One window's sketch and candidates.
pub struct HeavyHitters {
    sketch: CountMinSketch<u64>,
    min_share: f64,
    candidates: HashSet<Key>,
}

impl HeavyHitters {
    /// An empty sketch of `width` counters × `depth` rows reporting keys with `min_share` of
    /// the traffic. `width` ≥ 1 and `depth` ≥ 1 (checked by the detector's configuration).
    pub fn new(width: u32, depth: u8, min_share: f64) -> Self {
        HeavyHitters {
            sketch: CountMinSketch::new(depth, width).expect("width and depth were checked"),
            min_share,
            candidates: HashSet::new(),
        }
    }

    /// Count `weight` for `key`; keep it as a candidate while its estimate reaches `min_share`
    /// of the traffic so far.
    pub fn add(&mut self, key: Key, weight: u64) {
        if weight == 0 {
            return;
        }
        self.sketch.update_with_weight(key, weight);
        if self.candidates.contains(&key) {
            return;
        }
        let threshold = self.min_share * self.sketch.total_weight() as f64;
        if self.sketch.estimate(key) as f64 >= threshold {
            self.candidates.insert(key);
        }
    }

    /// The estimate for `key` (never less than the truth).
    pub fn estimate(&self, key: Key) -> u64 {
        self.sketch.estimate(key)
    }

    /// Everything counted.
    pub fn total(&self) -> u64 {
        self.sketch.total_weight()
    }

    /// How far an estimate may exceed the truth (with probability 1 − e^−depth).
    pub fn error_bound(&self) -> u64 {
        (self.sketch.relative_error() * self.total() as f64).ceil() as u64
    }

    /// Keys whose estimate reaches `min_share` of the total, largest first.
    pub fn heavy_hitters(&self) -> Vec<(Key, u64)> {
        let threshold = self.min_share * self.total() as f64;
        let mut found: Vec<(Key, u64)> = self
            .candidates
            .iter()
            .map(|&key| (key, self.estimate(key)))
            .filter(|&(_, estimate)| estimate as f64 >= threshold)
            .collect();
        found.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        found
    }

    /// Bytes of counter memory.
    pub fn memory_bytes(&self) -> usize {
        self.sketch.num_buckets() as usize * usize::from(self.sketch.num_hashes()) * 8
    }
}
