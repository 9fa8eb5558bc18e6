//! What the detector remembers across windows, for the keys (source, host, service) that were
//! busy in a window: their counts per window over the short span, and their slow connections
//! (by source port, with the last time each was seen) — at most `max_keys` keys.
//!
//! When full, keys with nothing in the span go first, then the least busy until half the
//! bound is left; a key keeps at most four times `min_slow_connections` slow connections
//! (enough to judge it and score it).

use netassure_plugin_sdk::collections::HashMap;

use crate::window::{Agg, Key};

/// Windows kept per key (a 60-s span of 10-s windows needs 6).
const SLOTS: usize = 16;

/// Counts of one window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Established connections.
    pub established: u64,
    /// Unanswered SYNs.
    pub syn: u64,
    /// Datagrams.
    pub packets: u64,
}

/// One key's history.
#[derive(Debug, Default)]
pub struct History {
    slots: Vec<(u64, Counts)>,
    /// Slow connections: source port → last seen, seconds.
    pub slow: HashMap<u16, u64>,
    /// True when a slow connection was not kept for lack of room.
    pub slow_full: bool,
}

impl History {
    /// Add the window ending at `at_s`; windows before `since_s` are dropped.
    pub fn add(&mut self, at_s: u64, since_s: u64, agg: &Agg) {
        self.slots.retain(|(at, _)| *at >= since_s && *at != at_s);
        self.slots.push((
            at_s,
            Counts {
                established: u64::from(agg.established),
                syn: u64::from(agg.syn),
                packets: agg.packets,
            },
        ));
        if self.slots.len() > SLOTS {
            let (_, first) = self.slots.remove(0);
            let next = &mut self.slots[0].1;
            next.established += first.established;
            next.syn += first.syn;
            next.packets += first.packets;
        }
    }

    /// The counts of windows ending at or after `since_s`.
    pub fn since(&self, since_s: u64) -> Counts {
        let mut sum = Counts::default();
        for (_, c) in self.slots.iter().filter(|(at, _)| *at >= since_s) {
            sum.established += c.established;
            sum.syn += c.syn;
            sum.packets += c.packets;
        }
        sum
    }

    /// Remember slow connection `port` at `at_s`, keeping at most `most`; older than
    /// `since_s` are forgotten.
    pub fn slow_connection(&mut self, port: u16, (at_s, since_s): (u64, u64), most: usize) {
        if self.slow.len() >= most && !self.slow.contains_key(&port) {
            self.slow.retain(|_, last| *last >= since_s);
            if self.slow.len() >= most {
                self.slow_full = true;
                return;
            }
            self.slow_full = false;
        }
        self.slow.insert(port, at_s);
    }

    /// Slow connections seen at or after `since_s`.
    pub fn slow_since(&self, since_s: u64) -> u32 {
        self.slow.values().filter(|&&last| last >= since_s).count() as u32
    }

    fn weight(&self, since_s: u64) -> u64 {
        let c = self.since(since_s);
        c.established + c.syn + c.packets / 10 + u64::from(self.slow_since(since_s)) * 10
    }
}

/// Every remembered key.
#[derive(Debug, Default)]
pub struct State {
    /// Histories by key.
    pub keys: HashMap<Key, History>,
    /// Keys forgotten to stay within the bound (not by age).
    pub evicted: u64,
}

impl State {
    /// The history of `key`, made room for and created when new.
    pub fn history(&mut self, key: Key, since_s: u64, max_keys: usize) -> &mut History {
        if !self.keys.contains_key(&key) && self.keys.len() >= max_keys {
            self.make_room(since_s, max_keys);
        }
        self.keys.entry(key).or_default()
    }

    /// Forget keys with nothing since `since_s`; then, if still above three quarters of the
    /// bound, the least busy until half of it is left.
    pub fn make_room(&mut self, since_s: u64, max_keys: usize) {
        self.keys.retain(|_, h| h.weight(since_s) > 0);
        if self.keys.len() * 4 <= max_keys * 3 {
            return;
        }
        let mut weights: Vec<(u64, Key)> = self
            .keys
            .iter()
            .map(|(key, h)| (h.weight(since_s), *key))
            .collect();
        weights.sort_unstable();
        let excess = self.keys.len().saturating_sub(max_keys / 2);
        for (_, key) in weights.into_iter().take(excess) {
            self.keys.remove(&key);
            self.evicted += 1;
        }
    }
}
