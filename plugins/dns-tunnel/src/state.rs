//! What the detector remembers across windows: per (client, server) whose queries were large,
//! its query packets and bytes per minute over the span; and the hosts that answer other
//! hosts' queries (resolvers), with up to two of their clients — both bounded.
//!
//! When a table is full, entries with nothing in the span go first, then the smallest (by
//! query bytes; resolvers by last seen) until it is half full.

use netassure_plugin_sdk::collections::HashMap;

/// A client and the server it queried.
pub type PairKey = ([u8; 16], [u8; 16]);

/// Minutes kept per pair; the oldest are merged beyond this.
const MINUTES: usize = 24;

/// One pair's queries.
#[derive(Debug, Default)]
pub struct Pair {
    /// Per minute: the minute, query packets, their bytes, packets answered.
    minutes: Vec<(u64, u64, u64, u64)>,
    /// First query start, ms.
    pub first_ms: u64,
    /// Last query end, ms.
    pub last_ms: u64,
    /// True when its flows are bidirectional records (queries and answers summed).
    pub bidirectional: bool,
}

impl Pair {
    /// Add `packets` (with `bytes`, and `answered` packets back) of the minute `minute`;
    /// minutes before `since` are dropped, and a pair with nothing left starts afresh at
    /// `first_ms`.
    pub fn add(
        &mut self,
        (minute, since): (u64, u64),
        packets: u64,
        bytes: u64,
        answered: u64,
        first_ms: u64,
    ) {
        match self.minutes.last_mut() {
            Some((m, p, b, a)) if *m == minute => {
                *p += packets;
                *b += bytes;
                *a += answered;
            }
            _ => {
                self.minutes.retain(|(m, ..)| *m >= since);
                if self.minutes.is_empty() {
                    self.first_ms = first_ms;
                }
                self.minutes.push((minute, packets, bytes, answered));
            }
        }
        if self.minutes.len() > MINUTES {
            let (_, p, b, a) = self.minutes.remove(0);
            self.minutes[0].1 += p;
            self.minutes[0].2 += b;
            self.minutes[0].3 += a;
        }
        self.first_ms = self.first_ms.min(first_ms);
    }

    /// Packets, bytes and answered packets of the minutes at or after `since`.
    pub fn since(&self, since: u64) -> (u64, u64, u64) {
        self.minutes
            .iter()
            .filter(|(m, ..)| *m >= since)
            .fold((0, 0, 0), |(p, b, a), (_, dp, db, da)| {
                (p + dp, b + db, a + da)
            })
    }
}

/// A host that answers other hosts' queries.
#[derive(Debug, Default, Clone, Copy)]
pub struct Resolver {
    clients: [[u8; 16]; 2],
    known: usize,
    /// Last query it received, seconds.
    pub last_s: u64,
}

impl Resolver {
    /// True when at least two hosts queried it.
    pub fn is_shared(&self) -> bool {
        self.known >= 2
    }
}

/// Every remembered pair and resolver.
#[derive(Debug, Default)]
pub struct State {
    /// Pairs with large queries.
    pub pairs: HashMap<PairKey, Pair>,
    /// Hosts that received queries.
    pub resolvers: HashMap<[u8; 16], Resolver>,
    /// Entries forgotten to stay within the bounds (not by age).
    pub evicted: u64,
}

impl State {
    /// The pair `key`, made room for and created when new.
    pub fn pair(&mut self, key: PairKey, since: u64, max_pairs: usize) -> &mut Pair {
        if !self.pairs.contains_key(&key) && self.pairs.len() >= max_pairs {
            self.pairs.retain(|_, p| p.since(since).0 > 0);
            if self.pairs.len() * 4 > max_pairs * 3 {
                let mut sizes: Vec<(u64, PairKey)> = self
                    .pairs
                    .iter()
                    .map(|(k, p)| (p.since(since).1, *k))
                    .collect();
                sizes.sort_unstable();
                let excess = self.pairs.len() - max_pairs / 2;
                for (_, k) in sizes.into_iter().take(excess) {
                    self.pairs.remove(&k);
                    self.evicted += 1;
                }
            }
        }
        self.pairs.entry(key).or_default()
    }

    /// `client` queried `server` at `now_s`.
    pub fn queried(
        &mut self,
        server: [u8; 16],
        client: [u8; 16],
        now_s: u64,
        since_s: u64,
        max: usize,
    ) {
        if !self.resolvers.contains_key(&server) && self.resolvers.len() >= max {
            self.resolvers.retain(|_, r| r.last_s >= since_s);
            if self.resolvers.len() * 4 > max * 3 {
                let mut ages: Vec<(u64, [u8; 16])> =
                    self.resolvers.iter().map(|(k, r)| (r.last_s, *k)).collect();
                ages.sort_unstable();
                let excess = self.resolvers.len() - max / 2;
                for (_, k) in ages.into_iter().take(excess) {
                    self.resolvers.remove(&k);
                    self.evicted += 1;
                }
            }
        }
        let resolver = self.resolvers.entry(server).or_default();
        if resolver.last_s < since_s {
            resolver.known = 0;
        }
        resolver.last_s = now_s;
        if resolver.known < 2 && !resolver.clients[..resolver.known].contains(&client) {
            resolver.clients[resolver.known] = client;
            resolver.known += 1;
        }
    }

    /// True when `host` answered queries of at least two hosts since `since_s`.
    pub fn is_resolver(&self, host: &[u8; 16], since_s: u64) -> bool {
        self.resolvers
            .get(host)
            .is_some_and(|r| r.last_s >= since_s && r.is_shared())
    }
}
