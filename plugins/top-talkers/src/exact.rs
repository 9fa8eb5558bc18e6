//! The exact tally of `top-talkers`: every key's volume this hour, in a map.

use netassure_plugin_sdk::collections::HashMap;

use crate::shared::baseline::Key;
use crate::shared::engine::Tally;
use crate::shared::hour::{largest, largest_of};

/// An exact tally: every key's volume this hour, at most `max_keys` keys (beyond, the
/// smallest half is dropped, and a dropped key that comes back starts again from 0).
#[derive(Debug, Clone, Default)]
pub struct Exact {
    volumes: HashMap<Key, u64>,
    total: u64,
    max_keys: usize,
    dropped: bool,
}

impl Exact {
    /// A tally of at most `max_keys` keys.
    pub fn new(max_keys: usize) -> Exact {
        Exact {
            max_keys,
            ..Exact::default()
        }
    }
}

impl Tally for Exact {
    fn add(&mut self, key: Key, amount: u64) {
        *self.volumes.entry(key).or_default() += amount;
        self.total += amount;
    }

    fn largest(&self, n: usize) -> Vec<(Key, u64)> {
        largest_of(self.volumes.iter().map(|(k, v)| (*k, *v)), n)
    }

    fn total(&self) -> u64 {
        self.total
    }

    fn complete(&self, n: usize) -> bool {
        !self.dropped && self.volumes.len() <= n
    }

    fn clear(&mut self) {
        self.volumes.clear();
        self.total = 0;
        self.dropped = false;
    }

    fn seed(&mut self, keys: &[(Key, u64)], total: u64) {
        self.volumes.extend(keys.iter().copied());
        let kept: u64 = keys.iter().map(|&(_, volume)| volume).sum();
        self.total = total.max(kept);
        self.dropped = self.total > kept;
    }

    fn trim(&mut self) {
        if self.volumes.len() > self.max_keys {
            let entries: Vec<(Key, u64)> = self.volumes.drain().collect();
            self.volumes.extend(largest(entries, self.max_keys / 2));
            self.dropped = true;
        }
    }
}
