//! What each destination received in one window: distinct sources (HyperLogLog), packets,
//! bytes, the rate its flows ran at, and how much of it looks like a flood rather than load.
//!
//! A flow's rate is its packets (bytes) over its own duration, or over the window when it is
//! shorter: a flow record arrives when the flow ends (or an exporter's active timeout cuts it),
//! so dividing a two-minute record by a ten-second window would inflate the rate twelvefold.
//!
//! The flood signature counts the packets of flows that are failed connection attempts
//! (half-open, refused, unreachable, unanswered, handshake only: `Attempt::is_failed`) or
//! unsolicited answers — flows that answer a conversation the destination never started and
//! whose request the window does not hold: reflected and amplified answers, backscatter. A
//! busy web server or DNS resolver has completed conversations; a flood mostly has neither.

use netassure_plugin_sdk::collections::HashMap;

use datasketches::hll::{HllSketch, HllType, HllUnion};
use netassure_plugin_sdk::host::flows::{Attempt, Conversations};
use netassure_plugin_sdk::prelude::*;

/// What one destination received in a window.
#[derive(Clone, Default)]
pub struct Inbound {
    /// Flows.
    pub flows: u32,
    /// Distinct sources, sketched for a destination with enough flows to matter (boxed: most
    /// destinations have none, and a window's destinations are many).
    pub sources: Option<Box<HllSketch>>,
    /// Flows with the flood signature.
    pub flood_flows: u32,
    /// Distinct sources of the flows with the flood signature (sketched likewise).
    pub flood_sources: Option<Box<HllSketch>>,
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
    /// Packets per second its flows ran at, summed.
    pub pps: f64,
    /// Bits per second its flows ran at, summed.
    pub bps: f64,
    /// Packets of failed attempts and unsolicited answers.
    pub flood_packets: u64,
    /// Packets of unsolicited answers (reflection, backscatter).
    pub unsolicited_packets: u64,
}

impl Inbound {
    /// Estimated distinct sources of the flood's flows (at most its flows when not sketched).
    pub fn flood_source_count(&self) -> f64 {
        self.flood_sources
            .as_ref()
            .map_or(f64::from(self.flood_flows), |sketch| sketch.estimate())
    }

    /// Estimated distinct sources (at most its flows when not sketched).
    pub fn source_count(&self) -> f64 {
        self.sources
            .as_ref()
            .map_or(f64::from(self.flows), |sketch| sketch.estimate())
    }

    /// Share of the packets that look like a flood.
    pub fn flood_share(&self) -> f64 {
        self.flood_packets as f64 / self.packets.max(1) as f64
    }

    /// Add `other` (a later window of the same destination) to this one: counts and rates
    /// add up, the sketches become their union.
    pub fn absorb(&mut self, other: &Inbound, lg_k: u8) {
        self.flows += other.flows;
        self.flood_flows += other.flood_flows;
        self.packets += other.packets;
        self.bytes += other.bytes;
        self.pps += other.pps;
        self.bps += other.bps;
        self.flood_packets += other.flood_packets;
        self.unsolicited_packets += other.unsolicited_packets;
        unite(&mut self.sources, other.sources.as_deref(), lg_k);
        unite(
            &mut self.flood_sources,
            other.flood_sources.as_deref(),
            lg_k,
        );
    }

    /// Share of the flood packets that are unsolicited answers.
    pub fn reflected_share(&self) -> f64 {
        self.unsolicited_packets as f64 / self.flood_packets.max(1) as f64
    }
}

/// `into` becomes the union of itself and `from`.
fn unite(into: &mut Option<Box<HllSketch>>, from: Option<&HllSketch>, lg_k: u8) {
    let Some(from) = from else {
        return;
    };
    match into {
        None => *into = Some(Box::new(from.clone())),
        Some(sketch) => {
            let mut union = HllUnion::new(lg_k).expect("lg_k was checked");
            union.update(sketch.as_ref());
            union.update(from);
            **sketch = union.to_sketch(HllType::Hll8);
        }
    }
}

/// UDP ports whose services answer a small spoofed request with a large answer: chargen,
/// QOTD, DNS, portmap, NTP, SNMP, CLDAP, RIP, SSDP, WS-Discovery, mDNS, Apple Remote Desktop,
/// Ubiquiti discovery, memcached, Steam.
const AMPLIFIERS: [u16; 16] = [
    17, 19, 53, 111, 123, 161, 389, 520, 1900, 3283, 3702, 5353, 10001, 11211, 27015, 37810,
];

/// How flow `i` counts: (`flood`, `unsolicited`). Unsolicited: an answer to a conversation its
/// destination never started, with no request in the window — or UDP from an amplifying service
/// port to another port with nothing going back (a reflected answer aimed at any port, even a
/// service port that makes it look like a request).
pub fn signature(
    batch: &FlowBatch,
    i: usize,
    conversations: Option<&Conversations>,
) -> (bool, bool) {
    let Some(conversations) = conversations.filter(|c| c.len() == batch.len()) else {
        return (false, false);
    };
    let unanswered = conversations.reverse[i] < 0;
    let (sport, dport) = (batch.src_port[i], batch.dst_port[i]);
    if batch.protocol[i] == 17 && unanswered && sport != dport && AMPLIFIERS.contains(&sport) {
        return (true, true);
    }
    let slices = netassure_flowgraph::flow_slices!(batch);
    let unsolicited = !conversations.initiator[i] && unanswered;
    match conversations.attempt(&slices, i) {
        Attempt::Answer => (unsolicited, unsolicited),
        attempt => (attempt.is_failed(), false),
    }
}

/// The destinations `inbound` looks at closely.
pub struct Closely<F: Fn(u128, f64) -> bool> {
    /// Sketch the sources of the destinations with at least this many flows (no other can
    /// reach a quarter of `min_sources`).
    pub sketch_from: u32,
    /// Which other destinations, given their rate in packets/s, matter: the ones that may be
    /// tracked or learned.
    pub also: F,
}

/// What a destination received, counted for every destination of a window.
#[derive(Clone, Copy, Default)]
struct Counts {
    flows: u32,
    packets: u64,
    bytes: u64,
    pps: f64,
    bps: f64,
}

/// The destinations of `batch` that `closely` names, with what they received in a window of
/// `window_s` seconds: distinct sources sketched (HyperLogLog, 2^`lg_k` registers) from
/// `sketch_from` flows, the flood signature counted. The others — most of a window's
/// destinations, a flow or two each — cannot be judged, tracked or learned.
pub fn inbound<F: Fn(u128, f64) -> bool>(
    batch: &FlowBatch,
    lg_k: u8,
    window_s: f64,
    conversations: Option<&Conversations>,
    closely: Closely<F>,
) -> HashMap<u128, Inbound> {
    // A window's destinations are many and scattered over memory: a flow touches one small
    // entry (a cache line), and the table, sized for a destination per flow, never grows.
    let mut counts: HashMap<u128, Counts> =
        HashMap::with_capacity_and_hasher(batch.len(), Default::default());
    for i in 0..batch.len() {
        let entry = counts.entry(batch.dst_u128(i)).or_default();
        let (packets, bytes) = (batch.packets[i], batch.bytes[i]);
        let seconds =
            (batch.end_ms[i].saturating_sub(batch.start_ms[i]) as f64 / 1000.0).max(window_s);
        let per_second = 1.0 / seconds;
        entry.flows += 1;
        entry.packets += packets;
        entry.bytes += bytes;
        entry.pps += packets as f64 * per_second;
        entry.bps += bytes as f64 * 8.0 * per_second;
    }
    let empty = HllSketch::new(lg_k, HllType::Hll8).expect("lg_k was checked");
    let mut close: HashMap<u128, Inbound> = counts
        .iter()
        .filter(|(destination, c)| {
            c.flows >= closely.sketch_from || (closely.also)(**destination, c.pps)
        })
        .map(|(destination, c)| {
            let sketched = c.flows >= closely.sketch_from;
            let received = Inbound {
                flows: c.flows,
                packets: c.packets,
                bytes: c.bytes,
                pps: c.pps,
                bps: c.bps,
                sources: sketched.then(|| Box::new(empty.clone())),
                ..Inbound::default()
            };
            (*destination, received)
        })
        .collect();
    drop(counts);
    look_closely(batch, conversations, &mut close, &empty);
    close
}

/// Count the flood signature, and sketch the sources, of the destinations in `close`: a
/// few, in a table that stays in cache while every flow is looked up in it.
fn look_closely(
    batch: &FlowBatch,
    conversations: Option<&Conversations>,
    close: &mut HashMap<u128, Inbound>,
    empty: &HllSketch,
) {
    if close.is_empty() {
        return;
    }
    let conversations = conversations.filter(|c| c.len() == batch.len());
    for i in 0..batch.len() {
        let Some(entry) = close.get_mut(&batch.dst_u128(i)) else {
            continue;
        };
        let (flood, unsolicited) = signature(batch, i, conversations);
        let packets = batch.packets[i];
        if flood {
            entry.flood_flows += 1;
            entry.flood_packets += packets;
        }
        if unsolicited {
            entry.unsolicited_packets += packets;
        }
        let Some(sources) = &mut entry.sources else {
            continue;
        };
        let source = batch.src_u128(i);
        sources.update(source);
        if flood {
            entry
                .flood_sources
                .get_or_insert_with(|| Box::new(empty.clone()))
                .update(source);
        }
    }
}

/// The window's length in seconds: its bounds, or else the span of its flows (at least 1 ms).
pub fn window_seconds(window: &FlowWindow) -> f64 {
    let span = window.end_ms.saturating_sub(window.start_ms);
    let span = if span > 0 {
        span
    } else {
        let first = window.flows.start_ms.iter().min().copied().unwrap_or(0);
        let last = window.flows.end_ms.iter().max().copied().unwrap_or(0);
        last.saturating_sub(first)
    };
    span.max(1) as f64 / 1000.0
}
