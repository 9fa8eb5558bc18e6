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

use datasketches::hll::{HllSketch, HllType};
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

    /// Share of the flood packets that are unsolicited answers.
    pub fn reflected_share(&self) -> f64 {
        self.unsolicited_packets as f64 / self.flood_packets.max(1) as f64
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

/// Every destination of `batch` with what it received in a window of `window_s` seconds, in
/// order of first appearance; distinct sources are sketched (HyperLogLog, 2^`lg_k` registers)
/// for the destinations with at least `sketch_from` flows — no other can reach a quarter of
/// `min_sources`.
pub fn inbound(
    batch: &FlowBatch,
    lg_k: u8,
    window_s: f64,
    conversations: Option<&Conversations>,
    sketch_from: u32,
) -> Vec<(u128, Inbound)> {
    // Destinations are numbered as they appear (the table holds only their numbers, so growing
    // it moves 20-byte entries, not whole `Inbound`s), and each flow remembers its
    // destination's number for the second pass.
    let mut numbers: HashMap<u128, u32> =
        HashMap::with_capacity_and_hasher(batch.len() / 2, Default::default());
    let mut destinations: Vec<(u128, Inbound)> = Vec::new();
    let mut marks: Vec<(u32, bool)> = Vec::with_capacity(batch.len());
    for i in 0..batch.len() {
        let destination = batch.dst_u128(i);
        let next = destinations.len() as u32;
        let number = *numbers.entry(destination).or_insert(next);
        if number == next {
            destinations.push((destination, Inbound::default()));
        }
        let entry = &mut destinations[number as usize].1;
        let (packets, bytes) = (batch.packets[i], batch.bytes[i]);
        let seconds =
            (batch.end_ms[i].saturating_sub(batch.start_ms[i]) as f64 / 1000.0).max(window_s);
        entry.flows += 1;
        entry.packets += packets;
        entry.bytes += bytes;
        entry.pps += packets as f64 / seconds;
        entry.bps += bytes as f64 * 8.0 / seconds;
        let (flood, unsolicited) = signature(batch, i, conversations);
        if flood {
            entry.flood_flows += 1;
            entry.flood_packets += packets;
        }
        if unsolicited {
            entry.unsolicited_packets += packets;
        }
        marks.push((number, flood));
    }
    let empty = HllSketch::new(lg_k, HllType::Hll8).expect("lg_k was checked");
    for (i, &(number, flood)) in marks.iter().enumerate() {
        let entry = &mut destinations[number as usize].1;
        if entry.flows < sketch_from {
            continue;
        }
        let source = batch.src_u128(i);
        entry
            .sources
            .get_or_insert_with(|| Box::new(empty.clone()))
            .update(source);
        if flood {
            entry
                .flood_sources
                .get_or_insert_with(|| Box::new(empty.clone()))
                .update(source);
        }
    }
    destinations
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
