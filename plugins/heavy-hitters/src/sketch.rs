//! [`HeavyHitters`]: a Count-Min sketch with the candidate set that turns it into a heavy-hitter
//! finder, in fixed memory: an hour's tally of one kind of key.

use netassure_plugin_sdk::collections::HashSet;

use datasketches::countmin::CountMinSketch;

use crate::shared::baseline::Key;
use crate::shared::engine::Tally;
use crate::shared::hour::largest_of;

/// One hour's sketch and candidates.
#[derive(Debug, Clone)]
pub struct HeavyHitters {
    sketch: CountMinSketch<u64>,
    width: u32,
    depth: u8,
    min_share: f64,
    floor: u64,
    max_candidates: usize,
    candidates: HashSet<Key>,
    total: u64,
    refused: bool,
    /// The secret the keys' fingerprints are keyed with (see [`fingerprint`]).
    seed: u64,
}

impl HeavyHitters {
    /// An empty sketch of `width` counters × `depth` rows whose candidates are the keys with
    /// `min_share` of the traffic. `width` ≥ 1 and `depth` ≥ 1 (checked by the detector's
    /// configuration).
    pub fn new(width: u32, depth: u8, min_share: f64) -> Self {
        HeavyHitters {
            sketch: CountMinSketch::new(depth, width).expect("width and depth were checked"),
            width,
            depth,
            min_share,
            floor: u64::MAX,
            max_candidates: usize::MAX,
            candidates: HashSet::default(),
            total: 0,
            refused: false,
            seed: random_seed(),
        }
    }

    /// Also make a candidate of every key whose estimate reaches `floor`, and keep at most
    /// `max_candidates` (pruned to the keys still above the threshold, then to the largest).
    pub fn bounded(mut self, floor: u64, max_candidates: usize) -> Self {
        self.floor = floor;
        self.max_candidates = max_candidates;
        self
    }

    /// The estimate a key needs to become a candidate now.
    fn threshold(&self) -> f64 {
        (self.min_share * self.total as f64).min(self.floor as f64)
    }

    /// Count `weight` for `key`; keep it as a candidate while its estimate reaches the
    /// threshold (a true heavy hitter always does: the estimate never undercounts).
    pub fn add(&mut self, key: Key, weight: u64) {
        if weight == 0 {
            return;
        }
        let item = fingerprint(key, self.seed);
        self.sketch.update_with_weight(item, weight);
        self.total += weight;
        if self.candidates.contains(&key) {
            return;
        }
        if self.sketch.estimate(item) as f64 >= self.threshold() {
            self.candidates.insert(key);
        } else {
            self.refused = true;
        }
    }

    /// The estimate for `key` (never less than the truth).
    pub fn estimate(&self, key: Key) -> u64 {
        self.sketch.estimate(fingerprint(key, self.seed))
    }

    /// Everything counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// How far an estimate may exceed the truth (with probability 1 − e^−depth).
    pub fn error_bound(&self) -> u64 {
        (self.sketch.relative_error() * self.total as f64).ceil() as u64
    }

    /// Keys whose estimate reaches `min_share` of the total, largest first.
    pub fn heavy_hitters(&self) -> Vec<(Key, u64)> {
        let threshold = self.min_share * self.total as f64;
        let mut found: Vec<(Key, u64)> = self
            .candidates
            .iter()
            .map(|&key| (key, self.estimate(key)))
            .filter(|&(_, estimate)| estimate as f64 >= threshold)
            .collect();
        found.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        found
    }

    /// Candidates now.
    pub fn candidates(&self) -> usize {
        self.candidates.len()
    }

    /// Bytes of counter memory.
    pub fn memory_bytes(&self) -> usize {
        self.sketch.num_buckets() as usize * usize::from(self.sketch.num_hashes()) * 8
    }
}

impl Tally for HeavyHitters {
    fn add(&mut self, key: Key, amount: u64) {
        HeavyHitters::add(self, key, amount);
    }

    fn largest(&self, n: usize) -> Vec<(Key, u64)> {
        let estimates = self.candidates.iter().map(|&key| (key, self.estimate(key)));
        largest_of(estimates, n)
    }

    fn total(&self) -> u64 {
        self.total
    }

    fn complete(&self, n: usize) -> bool {
        !self.refused && self.candidates.len() <= n
    }

    fn clear(&mut self) {
        self.sketch =
            CountMinSketch::new(self.depth, self.width).expect("width and depth were checked");
        self.candidates.clear();
        self.total = 0;
        self.refused = false;
    }

    fn trim(&mut self) {
        if self.candidates.len() <= self.max_candidates {
            return;
        }
        let threshold = self.threshold();
        let (sketch, seed) = (&self.sketch, self.seed);
        self.candidates
            .retain(|&key| sketch.estimate(fingerprint(key, seed)) as f64 >= threshold);
        self.refused = true;
        if self.candidates.len() > self.max_candidates {
            let kept = self.largest(self.max_candidates / 2);
            self.candidates = kept.into_iter().map(|(key, _)| key).collect();
        }
    }

    fn seed(&mut self, keys: &[(Key, u64)], total: u64) {
        for &(key, volume) in keys {
            self.sketch
                .update_with_weight(fingerprint(key, self.seed), volume);
            self.candidates.insert(key);
        }
        let kept: u64 = keys.iter().map(|&(_, volume)| volume).sum();
        self.total = total.max(kept);
        self.refused = self.total > kept;
    }
}

/// The 64 bits the sketch hashes for `key`: each row hashes its item anew (MurmurHash3 with the
/// row's seed), so hashing 8 bytes instead of the key's 24 (an enum tag and one or two
/// addresses) is what keeps counting cheap. The mix is keyed with `seed`, a secret drawn when
/// the sketch is made (sketches are never stored), so that traffic crafted to share a
/// fingerprint with a chosen key — and inflate that key's estimate — cannot be computed in
/// advance; two keys share a fingerprint with probability 2^-64 otherwise, far below the
/// sketch's own error.
fn fingerprint(key: Key, seed: u64) -> u64 {
    /// A 128-to-64-bit mix (the multiply-xorshift finaliser of SplitMix64 over both halves).
    fn mix(value: u128, seed: u64) -> u64 {
        let mut x = (value as u64) ^ seed;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= (value >> 64) as u64;
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }
    match key {
        Key::Host(host) => mix(host, seed ^ 0x9e37_79b9_7f4a_7c15),
        Key::Pair(src, dst) => mix(dst, mix(src, seed ^ 0x6a09_e667_f3bc_c909)),
    }
}

/// A random 64-bit secret: the standard library's randomly keyed hasher (seeded from WASI
/// `random` in a plugin) hashing nothing.
fn random_seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0u64)
}
