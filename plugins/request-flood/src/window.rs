//! One window's flows summed per (source, host, service): connections that completed their
//! handshake, SYNs that were never answered, datagrams (and their answers), and the slow
//! connections to web services. Only flows a source started count; a server's answers never
//! do.
//!
//! Two passes keep this cheap whatever the window holds. The first counts every flow into
//! fixed tables of hashed counters: connections or datagrams per key, and per service the
//! unanswered SYNs, the sources that sent them and the sources at all. The second sums exactly,
//! per key, only the flows of busy keys (at least [`BUSY`] connections or SYNs, or
//! [`BUSY_DATAGRAMS`] datagrams), of services that many sources sent unanswered SYNs to, and the
//! slow connections. A collision of counters can only let a quiet key in, never keep a busy one
//! out. Memory: 1.5 MiB of counters, 24 bytes per counted flow of the window, and about 100
//! bytes per summed key: the busy ones (at most a fifth of the flows), at most 4,096 quiet keys
//! of SYN-flooded services, and the slow connections.

use hashbrown::HashTable;
use netassure_flowgraph::{Attempt, Conversations, FlowSlices};
use netassure_plugin_sdk::FlowBatch;
use netassure_plugin_sdk::collections::{HashSet, RandomlySeeded};
use std::hash::BuildHasher;

use crate::config::Config;

/// A source using a service of a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The service's host.
    pub dst: [u8; 16],
    /// Its protocol.
    pub proto: u8,
    /// Its port.
    pub port: u16,
    /// The source.
    pub src: [u8; 16],
}

impl Key {
    /// The service: (host, protocol, port).
    pub fn service(&self) -> Service {
        (self.dst, self.proto, self.port)
    }
}

/// A service: (host, protocol, port).
pub type Service = ([u8; 16], u8, u16);

/// What one source did to one service in the window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Agg {
    /// TCP connections that completed their handshake.
    pub established: u32,
    /// SYN packets of connections that never completed (no answer, reset, unreachable).
    pub syn: u32,
    /// Slow connections (to a watched web service).
    pub slow: u32,
    /// Datagrams sent.
    pub packets: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Datagrams that came back.
    pub answered: u64,
    /// First start of its flows, ms.
    pub first_ms: u64,
    /// Last end of its flows, ms.
    pub last_ms: u64,
}

/// A slow connection: its key and the source port that tells it apart.
#[derive(Debug, Clone, Copy)]
pub struct Slow {
    /// Its key.
    pub key: Key,
    /// Its source port.
    pub port: u16,
}

/// Connections or SYNs in a window below which a key is not summed (nor judged).
pub const BUSY: u32 = 5;
/// Datagrams in a window below which a key is not summed.
pub const BUSY_DATAGRAMS: u32 = 50;
/// Quiet keys of services flooded with unanswered SYNs summed per window (enough to name the
/// busiest sources; the hashed counters count them all).
const FLOODED_KEYS: usize = 4_096;
const SLOTS: usize = 1 << 16;

/// What the hashed counters say of one service in the window.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServiceCounts {
    /// Unanswered SYNs.
    pub syn: u64,
    /// Sources that sent unanswered SYNs.
    pub syn_sources: usize,
    /// Connections that completed their handshake.
    pub established: u64,
}

/// How one flow counts.
#[derive(Debug, Clone, Copy)]
enum Count {
    Established,
    Syn(u32),
    Datagrams,
    Nothing,
}

/// A flow that counted in the first pass, with its key's hash and its service's slot.
#[derive(Debug, Clone, Copy)]
struct Counted {
    flow: u32,
    service_slot: u32,
    key_hash: u64,
    count: Count,
    slow: bool,
}

/// The folded 128-bit product of `a` and `b`: the mixing step of foldhash and wyhash.
fn mix(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// Two halves of a 16-byte address.
fn halves(address: &[u8; 16]) -> (u64, u64) {
    let (lo, hi) = address.split_at(8);
    (
        u64::from_le_bytes(lo.try_into().expect("8 bytes")),
        u64::from_le_bytes(hi.try_into().expect("8 bytes")),
    )
}

/// Hashes of a key's service and of the key, from the instance's random `seed`.
fn hashes(key: &Key, seed: u64) -> (u64, u64) {
    const K: [u64; 4] = [
        0x243f_6a88_85a3_08d3,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    ];
    let (d0, d1) = halves(&key.dst);
    let (s0, s1) = halves(&key.src);
    let tail = (u64::from(key.proto) << 16) | u64::from(key.port);
    let service = mix(mix(d0 ^ seed, d1 ^ K[0]) ^ tail, K[1]);
    let whole = mix(mix(s0 ^ service, s1 ^ K[2]), K[3] ^ seed);
    (service, whole)
}

/// The window, summed.
#[derive(Debug)]
pub struct Window {
    /// Busy keys, summed exactly, with their hashes.
    keys: HashTable<(u64, Key, Agg)>,
    /// Slow connections to the watched web services.
    pub slow: Vec<Slow>,
    seed: u64,
    per_key: Vec<u32>,
    service_syn: Vec<u32>,
    service_syn_sources: Vec<u32>,
    service_sources: Vec<u32>,
    service_established: Vec<u32>,
    syn_seen: Vec<bool>,
    counted: Vec<Counted>,
}

impl Default for Window {
    fn default() -> Self {
        let hasher = RandomlySeeded::default();
        Window {
            keys: HashTable::new(),
            slow: Vec::new(),
            seed: hasher.hash_one(0x5eed_u64),
            per_key: vec![0; SLOTS],
            service_syn: vec![0; SLOTS],
            service_syn_sources: vec![0; SLOTS],
            service_sources: vec![0; SLOTS],
            service_established: vec![0; SLOTS],
            syn_seen: vec![false; SLOTS],
            counted: Vec::new(),
        }
    }
}

const TCP: u8 = 6;
const UDP: u8 = 17;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;

fn address(column: &[u8], i: usize) -> [u8; 16] {
    column[i * 16..i * 16 + 16]
        .try_into()
        .expect("16-byte addresses")
}

/// Multicast (IPv4 224/4, IPv6 ff00::/8) or the IPv4 limited broadcast.
fn is_group(dst: &[u8; 16]) -> bool {
    if dst[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] {
        dst[12] >= 224
    } else {
        dst[0] == 0xff
    }
}

/// The key of flow `i`.
pub fn key_of(batch: &FlowBatch, i: usize) -> Key {
    Key {
        dst: address(&batch.dst_addr, i),
        proto: batch.protocol[i],
        port: batch.dst_port[i],
        src: address(&batch.src_addr, i),
    }
}

/// How flow `i`, which its source started, counts.
fn count(batch: &FlowBatch, i: usize, attempt: Attempt) -> Count {
    if batch.protocol[i] == UDP {
        return if attempt == Attempt::Answer {
            Count::Nothing
        } else {
            Count::Datagrams
        };
    }
    if batch.tcp_flags[i] & SYN == 0 {
        return Count::Nothing;
    }
    match attempt {
        Attempt::Completed | Attempt::NoPayload => Count::Established,
        Attempt::HalfOpen | Attempt::Refused | Attempt::Unreachable => {
            // The source's own reset of an answered SYN is no SYN.
            let resets = u64::from(batch.tcp_flags[i] & RST != 0);
            let syns = batch.packets[i]
                .saturating_sub(resets)
                .clamp(1, u64::from(u32::MAX));
            Count::Syn(syns as u32)
        }
        _ => Count::Nothing,
    }
}

impl Window {
    /// Sum `batch`.
    pub fn sum(
        &mut self,
        batch: &FlowBatch,
        conversations: &Conversations,
        config: &Config,
        slow_services: &HashSet<(u8, u16)>,
    ) {
        self.first_pass(batch, conversations, config, slow_services);
        self.keys.clear();
        self.slow.clear();
        // A second's worth: the judgment, on exact sums, asks for the window's worth.
        let floor = config.min_victim_syn_rate;
        let counted = std::mem::take(&mut self.counted);
        let mut flooded_keys = 0;
        for c in &counted {
            let (k, s) = ((c.key_hash as usize) & (SLOTS - 1), c.service_slot as usize);
            let busy = match c.count {
                Count::Datagrams => self.per_key[k] >= BUSY_DATAGRAMS,
                Count::Nothing => false,
                _ => self.per_key[k] >= BUSY,
            };
            let flooded = !busy
                && self.service_syn[s] as f64 >= floor
                && self.service_syn_sources[s] as usize >= config.min_flood_sources;
            if flooded && flooded_keys >= FLOODED_KEYS {
                continue;
            }
            if busy || flooded || c.slow {
                flooded_keys += usize::from(self.add(batch, conversations, c) && flooded);
            }
        }
        self.counted = counted;
    }

    /// The busy keys with their sums.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Agg)> {
        self.keys.iter().map(|(_, key, agg)| (key, agg))
    }

    /// The sums of busy key `key`.
    pub fn get(&self, key: &Key) -> Option<&Agg> {
        let (_, hash) = hashes(key, self.seed);
        self.keys
            .find(hash, |(_, k, _)| k == key)
            .map(|(_, _, agg)| agg)
    }

    /// Count every flow into the hashed counters; remember the flows that count.
    fn first_pass(
        &mut self,
        batch: &FlowBatch,
        conversations: &Conversations,
        config: &Config,
        slow_services: &HashSet<(u8, u16)>,
    ) {
        for table in [
            &mut self.per_key,
            &mut self.service_syn,
            &mut self.service_syn_sources,
            &mut self.service_sources,
        ] {
            table.fill(0);
        }
        self.syn_seen.fill(false);
        self.counted.clear();
        let slices: FlowSlices<'_> = netassure_flowgraph::flow_slices!(batch);
        for i in 0..slices.len() {
            let proto = batch.protocol[i];
            if (proto != TCP && proto != UDP) || !conversations.initiator[i] {
                continue;
            }
            let key = key_of(batch, i);
            if is_group(&key.dst) {
                continue;
            }
            let attempt = conversations.attempt(&slices, i);
            let count = count(batch, i, attempt);
            let slow = proto == TCP
                && slow_services.contains(&(proto, key.port))
                && is_slow(batch, conversations, i, attempt, config);
            if matches!(count, Count::Nothing) && !slow {
                continue;
            }
            let (service_hash, key_hash) = hashes(&key, self.seed);
            let k = (key_hash as usize) & (SLOTS - 1);
            let s = (service_hash as usize) & (SLOTS - 1);
            if self.per_key[k] == 0 {
                self.service_sources[s] += 1;
            }
            match count {
                Count::Established => {
                    self.per_key[k] += 1;
                    self.service_established[s] += 1;
                }
                Count::Syn(syns) => {
                    self.per_key[k] = self.per_key[k].saturating_add(syns);
                    self.service_syn[s] = self.service_syn[s].saturating_add(syns);
                    if !self.syn_seen[k] {
                        self.syn_seen[k] = true;
                        self.service_syn_sources[s] += 1;
                    }
                }
                Count::Datagrams => {
                    let packets = batch.packets[i].min(u64::from(u32::MAX)) as u32;
                    self.per_key[k] = self.per_key[k].saturating_add(packets);
                }
                Count::Nothing => {}
            }
            self.counted.push(Counted {
                flow: i as u32,
                service_slot: s as u32,
                key_hash,
                count,
                slow,
            });
        }
    }

    /// Sum flow `c` exactly; true when its key is new.
    fn add(&mut self, batch: &FlowBatch, conversations: &Conversations, c: &Counted) -> bool {
        let i = c.flow as usize;
        let key = key_of(batch, i);
        let mut new = false;
        let entry = match self.keys.find_mut(c.key_hash, |(_, k, _)| *k == key) {
            Some(entry) => entry,
            None => {
                new = true;
                let fresh = (c.key_hash, key, Agg::default());
                self.keys
                    .insert_unique(c.key_hash, fresh, |(h, _, _)| *h)
                    .into_mut()
            }
        };
        let agg = &mut entry.2;
        agg.first_ms = match agg.first_ms {
            0 => batch.start_ms[i],
            first => first.min(batch.start_ms[i]),
        };
        agg.last_ms = agg.last_ms.max(batch.end_ms[i]);
        match c.count {
            Count::Established => agg.established += 1,
            Count::Syn(syns) => agg.syn = agg.syn.saturating_add(syns),
            Count::Datagrams => {
                agg.packets += batch.packets[i];
                agg.bytes += batch.bytes[i];
                agg.answered += conversations.reverse_of(i).map_or(0, |r| batch.packets[r]);
            }
            Count::Nothing => {}
        }
        if c.slow {
            agg.slow += 1;
            self.slow.push(Slow {
                key,
                port: batch.src_port[i],
            });
        }
        new
    }

    fn service_slot(&self, (dst, proto, port): Service) -> usize {
        let (hash, _) = hashes(
            &Key {
                dst,
                proto,
                port,
                src: [0; 16],
            },
            self.seed,
        );
        (hash as usize) & (SLOTS - 1)
    }

    /// About how many sources used `service` in the window (hashed: collisions add a few).
    pub fn sources_of(&self, service: Service) -> usize {
        self.service_sources[self.service_slot(service)] as usize
    }

    /// What the hashed counters say of `service` (collisions add a little).
    pub fn service_counts(&self, service: Service) -> ServiceCounts {
        let s = self.service_slot(service);
        ServiceCounts {
            syn: u64::from(self.service_syn[s]),
            syn_sources: self.service_syn_sources[s] as usize,
            established: u64::from(self.service_established[s]),
        }
    }
}

/// A connection held open with hardly anything sent: at least `slow_min_s` long, the client
/// sending under `slow_max_client_bps`, the server no more than `slow_max_server_bytes` (it
/// never answered). Handshakes that failed or carried nothing are not connections held open.
fn is_slow(
    batch: &FlowBatch,
    conversations: &Conversations,
    i: usize,
    attempt: Attempt,
    config: &Config,
) -> bool {
    if !matches!(attempt, Attempt::Completed | Attempt::Continuation) {
        return false;
    }
    let duration_ms = batch.end_ms[i].saturating_sub(batch.start_ms[i]);
    if duration_ms < config.slow_min_s * 1000 {
        return false;
    }
    let rate = batch.bytes[i] as f64 * 1000.0 / duration_ms as f64;
    let server = conversations.reverse_of(i).map_or(0, |r| batch.bytes[r]);
    rate <= config.slow_max_client_bps && server <= config.slow_max_server_bytes
}
