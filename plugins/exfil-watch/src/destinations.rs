//! How much the network uses each external address: the internal hosts that started
//! conversations with it (a few are kept, as 32-bit hashes: beyond `max_hosts` it is routine for
//! the network), when it was first and last contacted. At most `max_destinations` are kept
//! (beyond, the quarter contacted longest ago goes), in `host::state` as 16 binary shards (25
//! bytes a destination and 4 per host) — one changed shard saved a minute of flow time, so no
//! call pays for all of them — and a restart keeps what the network uses (but the last few
//! minutes).

use netassure_plugin_sdk::collections::HashMap;

use netassure_plugin_sdk::host;

/// Shards of the stored table.
const SHARDS: usize = 16;
/// Host hashes kept per destination.
pub const MAX_HOSTS: usize = 8;
/// Bytes of one stored destination before its host hashes: address, first and last minute,
/// host count.
const RECORD: usize = 16 + 4 + 4 + 1;

/// One external address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Destination {
    hosts: [u32; MAX_HOSTS],
    count: u8,
    /// First contact, minutes since the epoch.
    pub first_min: u32,
    /// Last contact, minutes since the epoch.
    pub last_min: u32,
}

impl Destination {
    /// Internal hosts that contacted it (at most `max_hosts` + 1 are counted).
    pub fn hosts(&self) -> usize {
        usize::from(self.count)
    }
}

/// The destinations.
#[derive(Debug, Default)]
pub struct Destinations {
    by_address: HashMap<u128, Destination>,
    dirty: [bool; SHARDS],
    loaded: [bool; SHARDS],
    next_shard: usize,
}

fn shard(address: u128) -> usize {
    ((address ^ (address >> 64)) as u64 % SHARDS as u64) as usize
}

fn minutes(ms: u64) -> u32 {
    u32::try_from(ms / 60_000).unwrap_or(u32::MAX)
}

/// A host as a 32-bit hash (two internal hosts sharing one only undercount by one).
fn host_hash(host: u128) -> u32 {
    let mixed = (host as u64 ^ (host >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 32) as u32
}

fn key(shard: usize) -> String {
    format!("v2/destinations/{shard:02}")
}

fn encode(entries: &[(&u128, &Destination)]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(entries.len() * (RECORD + 8));
    for (address, d) in entries {
        bytes.extend_from_slice(&address.to_le_bytes());
        bytes.extend_from_slice(&d.first_min.to_le_bytes());
        bytes.extend_from_slice(&d.last_min.to_le_bytes());
        bytes.push(d.count);
        for hash in &d.hosts[..usize::from(d.count)] {
            bytes.extend_from_slice(&hash.to_le_bytes());
        }
    }
    bytes
}

/// Decode a shard; a truncated or garbled tail is dropped.
fn decode(mut bytes: &[u8], into: &mut HashMap<u128, Destination>) {
    let u32_at = |chunk: &[u8], at: usize| {
        u32::from_le_bytes(chunk[at..at + 4].try_into().expect("4 bytes"))
    };
    while bytes.len() >= RECORD {
        let count = usize::from(bytes[24]);
        let size = RECORD + 4 * count;
        if count > MAX_HOSTS || bytes.len() < size {
            host::log::warn("a destinations shard ends early; the rest is forgotten");
            return;
        }
        let mut d = Destination {
            first_min: u32_at(bytes, 16),
            last_min: u32_at(bytes, 20),
            count: count as u8,
            ..Destination::default()
        };
        for slot in 0..count {
            d.hosts[slot] = u32_at(bytes, RECORD + 4 * slot);
        }
        into.insert(
            u128::from_le_bytes(bytes[..16].try_into().expect("16 bytes")),
            d,
        );
        bytes = &bytes[size..];
    }
}

impl Destinations {
    /// The destinations, none of the stored shards read yet (see [`load_next`](Self::load_next));
    /// a shard that was never stored counts as read.
    pub fn new() -> Destinations {
        let stored = host::state::keys("v2/destinations/");
        let mut destinations = Destinations::default();
        for (n, loaded) in destinations.loaded.iter_mut().enumerate() {
            *loaded = !stored.contains(&key(n));
        }
        destinations
    }

    /// Read the next stored shard not read yet, merging what this instance saw meanwhile (one
    /// shard per call, so a fresh instance does not read 50,000 destinations in one call).
    pub fn load_next(&mut self) {
        let Some(n) = (0..SHARDS).find(|&n| !self.loaded[n]) else {
            return;
        };
        self.loaded[n] = true;
        let Some(bytes) = host::state::get(&key(n)) else {
            return;
        };
        let mut stored = HashMap::default();
        decode(&bytes, &mut stored);
        for (address, old) in stored {
            match self.by_address.get_mut(&address) {
                None => {
                    self.by_address.insert(address, old);
                }
                Some(new) => {
                    for &hash in &old.hosts[..usize::from(old.count)] {
                        let count = usize::from(new.count);
                        if count < MAX_HOSTS && !new.hosts[..count].contains(&hash) {
                            new.hosts[count] = hash;
                            new.count += 1;
                        }
                    }
                    new.first_min = new.first_min.min(old.first_min);
                    new.last_min = new.last_min.max(old.last_min);
                    self.dirty[n] = true;
                }
            }
        }
    }

    /// Read every stored shard.
    pub fn load_all(&mut self) {
        while self.loaded.iter().any(|&l| !l) {
            self.load_next();
        }
    }

    /// True when what is stored about `address` has been read.
    pub fn ready(&self, address: u128) -> bool {
        self.loaded[shard(address)]
    }

    /// Internal host `host` started a conversation with `address` at `now_ms`; `max_hosts` is
    /// at most [`MAX_HOSTS`] − 1.
    pub fn contact(&mut self, address: u128, host: u128, now_ms: u64, max_hosts: usize) {
        let now = minutes(now_ms);
        let entry = self.by_address.entry(address).or_insert(Destination {
            first_min: now,
            last_min: now,
            ..Destination::default()
        });
        let hash = host_hash(host);
        let count = usize::from(entry.count);
        let known = entry.hosts[..count.min(MAX_HOSTS)].contains(&hash);
        let mut changed = entry.last_min / 60 != now / 60;
        if !known && count <= max_hosts.min(MAX_HOSTS - 1) {
            entry.hosts[count] = hash;
            entry.count += 1;
            changed = true;
        }
        entry.last_min = entry.last_min.max(now);
        if changed {
            self.dirty[shard(address)] = true;
        }
    }

    /// What is known of `address`.
    pub fn get(&self, address: u128) -> Option<&Destination> {
        self.by_address.get(&address)
    }

    /// Number kept.
    pub fn len(&self) -> usize {
        self.by_address.len()
    }

    /// True when none is kept.
    pub fn is_empty(&self) -> bool {
        self.by_address.is_empty()
    }

    /// Keep at most `max` (when above 5/4 of it): the ones contacted last.
    pub fn prune(&mut self, max: usize) {
        if self.by_address.len() <= max + max / 4 {
            return;
        }
        let mut lasts: Vec<u32> = self.by_address.values().map(|d| d.last_min).collect();
        let cut = lasts.len() - max;
        lasts.select_nth_unstable(cut);
        let cutoff = lasts[cut];
        self.by_address.retain(|_, d| d.last_min > cutoff);
        self.dirty = [true; SHARDS];
    }

    /// Save the next changed shard (one per call, round robin).
    pub fn save_one(&mut self) {
        let Some(n) = (0..SHARDS)
            .map(|k| (self.next_shard + k) % SHARDS)
            .find(|&n| self.dirty[n] && self.loaded[n])
        else {
            return;
        };
        let entries: Vec<(&u128, &Destination)> = self
            .by_address
            .iter()
            .filter(|(address, _)| shard(**address) == n)
            .collect();
        if let Err(err) = host::state::set(&key(n), &encode(&entries)) {
            host::log::warn(&format!("saving `{}` failed: {err:?}", key(n)));
        }
        self.dirty[n] = false;
        self.next_shard = (n + 1) % SHARDS;
    }

    /// Save every changed shard.
    pub fn save_all(&mut self) {
        while (0..SHARDS).any(|n| self.dirty[n] && self.loaded[n]) {
            self.save_one();
        }
    }
}
