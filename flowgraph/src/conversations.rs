//! Both directions of a conversation paired, and what each connection attempt came to.
//!
//! Flow records are one direction each (NetFlow, IPFIX, a capture turned into flows): a TCP
//! connection is two flows, the client's and the server's. [`Conversations::build`] pairs every
//! flow with the flow going the other way (same protocol, addresses and ports swapped; ICMP echo
//! request with echo reply), decides which side started the conversation, and marks flows whose
//! destination sent back an ICMP destination-unreachable. [`Conversations::attempt`] then says
//! what an initiated flow came to: a completed exchange, or an attempt that failed or stayed
//! half-open — the evidence of a scan, where a server answering many clients has none.
//!
//! A bidirectional record (a NIDS CSV row: both directions summed, flags OR-ed) has no reverse
//! flow; it is its own conversation and judged from its own flags and sizes.

use hashbrown::{HashMap, HashSet};

use crate::FlowSlices;

const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMP: u8 = 1;
const ICMPV6: u8 = 58;
const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

/// The conversations of one flow window: one entry per flow in every column (the layout of
/// the WIT `flow-graph.conversations` record).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversations {
    /// The flow going the other way, or -1.
    pub reverse: Vec<i32>,
    /// True when the flow's source started the conversation.
    pub initiator: Vec<bool>,
    /// True when the flow's destination sent its source an ICMP destination-unreachable.
    pub unreachable: Vec<bool>,
}

/// What an initiated flow came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attempt {
    /// The flow answers another one (the server side), or is ICMP other than an echo request:
    /// not an attempt.
    Answer,
    /// A TCP flow without SYN: the middle of a longer connection, not an attempt.
    Continuation,
    /// Data went both ways (or, for UDP, an answer came back, or the datagrams carried data).
    Completed,
    /// The TCP handshake completed but no data was sent (a connect scan, a health check).
    NoPayload,
    /// The initiator sent SYN but never acknowledged (a SYN scan, or no answer at all).
    HalfOpen,
    /// Reset by the other side before any data (a closed port).
    Refused,
    /// Destination unreachable came back (a closed UDP port, a filtered host).
    Unreachable,
    /// A small datagram or echo request with nothing back.
    Unanswered,
}

impl Attempt {
    /// True for the attempts that count towards a scan: failed, unanswered, half-open or empty.
    pub fn is_failed(self) -> bool {
        matches!(
            self,
            Attempt::NoPayload
                | Attempt::HalfOpen
                | Attempt::Refused
                | Attempt::Unreachable
                | Attempt::Unanswered
        )
    }
}

/// The pairing key of a flow: addresses as integers, then protocol and ports packed in one
/// word (hashed as three integers, not as byte slices), with ICMP echo request and reply made
/// equal so they pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: u128,
    dst: u128,
    protocol_and_ports: u64,
}

impl Key {
    /// The key a flow going the other way has.
    fn reversed(self) -> Key {
        let protocol = self.protocol_and_ports >> 32;
        let (src_port, dst_port) = (
            (self.protocol_and_ports >> 16) & 0xffff,
            self.protocol_and_ports & 0xffff,
        );
        Key {
            src: self.dst,
            dst: self.src,
            protocol_and_ports: (protocol << 32) | (dst_port << 16) | src_port,
        }
    }
}

fn key(flows: &FlowSlices<'_>, flow: usize) -> Key {
    let protocol = flows.protocol[flow];
    let (mut src_port, mut dst_port) = (flows.src_port[flow], flows.dst_port[flow]);
    if is_echo(protocol, dst_port) {
        (src_port, dst_port) = (0, 0);
    }
    Key {
        src: u128::from_ne_bytes(FlowSlices::address(flows.src_addr, flow)),
        dst: u128::from_ne_bytes(FlowSlices::address(flows.dst_addr, flow)),
        protocol_and_ports: (u64::from(protocol) << 32)
            | (u64::from(src_port) << 16)
            | u64::from(dst_port),
    }
}

/// ICMP type of a flow (NetFlow puts type × 256 + code in the destination port).
fn icmp_type(port: u16) -> u8 {
    (port >> 8) as u8
}

fn is_icmp(protocol: u8) -> bool {
    protocol == ICMP || protocol == ICMPV6
}

/// Echo request or reply (ICMP 8/0, ICMPv6 128/129).
fn is_echo(protocol: u8, port: u16) -> bool {
    match protocol {
        ICMP => matches!(icmp_type(port), 0 | 8),
        ICMPV6 => matches!(icmp_type(port), 128 | 129),
        _ => false,
    }
}

fn is_echo_request(protocol: u8, port: u16) -> bool {
    (protocol == ICMP && icmp_type(port) == 8) || (protocol == ICMPV6 && icmp_type(port) == 128)
}

/// Destination unreachable (ICMP 3, ICMPv6 1).
fn is_unreachable(protocol: u8, port: u16) -> bool {
    (protocol == ICMP && icmp_type(port) == 3) || (protocol == ICMPV6 && icmp_type(port) == 1)
}

/// A port servers listen on: the well-known range and the registered services clients use.
pub fn is_service_port(port: u16) -> bool {
    port < 1024
        || matches!(
            port,
            1080 | 1194
                | 1433
                | 1521
                | 1883
                | 2049
                | 3128
                | 3306
                | 3389
                | 5060
                | 5061
                | 5222
                | 5432
                | 5671
                | 5672
                | 5900
                | 5985
                | 5986
                | 6379
                | 6443
                | 8000
                | 8080
                | 8443
                | 8883
                | 9000
                | 9090
                | 9092
                | 9100
                | 9200
                | 11211
                | 27017
        )
}

impl Conversations {
    /// The conversations of `flows`.
    pub fn build(flows: &FlowSlices<'_>) -> Conversations {
        let n = flows.len();
        let reverse = pair(flows);
        let mut kind = crate::RecordKind::default();
        kind.add(flows, &reverse);
        let bidirectional = kind.records() == crate::Records::Bidirectional;
        let initiator = (0..n)
            .map(|flow| starts_conversation(flows, flow, reverse[flow], bidirectional))
            .collect();
        Conversations {
            unreachable: unreachable(flows),
            reverse,
            initiator,
        }
    }

    /// Number of flows.
    pub fn len(&self) -> usize {
        self.reverse.len()
    }

    /// True when there is no flow.
    pub fn is_empty(&self) -> bool {
        self.reverse.is_empty()
    }

    /// The flow going the other way, if the window holds it.
    pub fn reverse_of(&self, flow: usize) -> Option<usize> {
        usize::try_from(self.reverse[flow]).ok()
    }

    /// What `flow` came to (see [`Attempt`]).
    pub fn attempt(&self, flows: &FlowSlices<'_>, flow: usize) -> Attempt {
        let protocol = flows.protocol[flow];
        let port = flows.dst_port[flow];
        if !self.initiator[flow] || (is_icmp(protocol) && !is_echo_request(protocol, port)) {
            return Attempt::Answer;
        }
        let reverse = self.reverse_of(flow);
        if self.unreachable[flow] && reverse.is_none() {
            return Attempt::Unreachable;
        }
        match protocol {
            TCP => tcp_attempt(flows, flow, reverse),
            _ if reverse.is_some() => Attempt::Completed,
            UDP if payload_per_packet(flows, flow) > 64 => Attempt::Completed,
            _ => Attempt::Unanswered,
        }
    }
}

fn tcp_attempt(flows: &FlowSlices<'_>, flow: usize, reverse: Option<usize>) -> Attempt {
    let flags = flows.tcp_flags[flow];
    if flags & SYN == 0 {
        return Attempt::Continuation;
    }
    if has_payload(flows, flow) || reverse.is_some_and(|r| has_payload(flows, r)) {
        return Attempt::Completed;
    }
    let reverse_flags = reverse.map_or(0, |r| flows.tcp_flags[r]);
    if reverse_flags & RST != 0 {
        Attempt::Refused
    } else if flags & ACK == 0 {
        Attempt::HalfOpen
    } else if reverse.is_none() && flags & RST != 0 {
        // A bidirectional record (a NIDS row) reset before any data.
        Attempt::Refused
    } else {
        Attempt::NoPayload
    }
}

/// Bytes above the IP and transport headers per packet (IPv4 20 + TCP/UDP with options; IPv6
/// 40 + ...): an estimate from the flow's totals.
fn payload_per_packet(flows: &FlowSlices<'_>, flow: usize) -> u64 {
    let packets = flows.packets[flow].max(1);
    let header = if is_v4(FlowSlices::address(flows.src_addr, flow)) {
        28
    } else {
        48
    };
    (flows.bytes[flow] / packets).saturating_sub(header)
}

/// True when the flow carried data: more bytes than headers of SYN/ACK/FIN/RST packets with
/// options would take (60 bytes per IPv4 packet, 80 per IPv6 packet).
pub fn has_payload(flows: &FlowSlices<'_>, flow: usize) -> bool {
    let per_packet = if is_v4(FlowSlices::address(flows.src_addr, flow)) {
        60
    } else {
        80
    };
    flows.bytes[flow] > flows.packets[flow].max(1) * per_packet
}

fn is_v4(address: [u8; 16]) -> bool {
    address[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
}

/// For each flow, the flow with the swapped key whose start is closest to its own, or -1.
fn pair(flows: &FlowSlices<'_>) -> Vec<i32> {
    let n = flows.len();
    // First flow of each key, and for each flow the next one with the same key.
    let mut first: HashMap<Key, u32> = HashMap::with_capacity(n);
    let mut next = vec![u32::MAX; n];
    for flow in (0..n).rev() {
        if let Some(previous) = first.insert(key(flows, flow), flow as u32) {
            next[flow] = previous;
        }
    }
    (0..n)
        .map(|flow| {
            let mut candidate = first.get(&key(flows, flow).reversed()).copied();
            let mut best: Option<(u64, u32)> = None;
            while let Some(other) = candidate.filter(|&other| other != u32::MAX) {
                let distance = flows.start_ms[flow].abs_diff(flows.start_ms[other as usize]);
                if other as usize != flow && best.is_none_or(|(d, _)| distance < d) {
                    best = Some((distance, other));
                }
                candidate = Some(next[other as usize]);
            }
            best.map_or(-1, |(_, other)| other as i32)
        })
        .collect()
}

/// Whether `flow`'s source started its conversation.
fn starts_conversation(
    flows: &FlowSlices<'_>,
    flow: usize,
    reverse: i32,
    bidirectional: bool,
) -> bool {
    let protocol = flows.protocol[flow];
    let (src_port, dst_port) = (flows.src_port[flow], flows.dst_port[flow]);
    if is_icmp(protocol) {
        return is_echo_request(protocol, dst_port);
    }
    if let Ok(other) = usize::try_from(reverse) {
        let (mine, theirs) = (flows.start_ms[flow], flows.start_ms[other]);
        if mine != theirs {
            return mine < theirs;
        }
        let flags = flows.tcp_flags[flow];
        let other_flags = flows.tcp_flags[other];
        if protocol == TCP && (flags & ACK == 0) != (other_flags & ACK == 0) {
            return flags & ACK == 0;
        }
        return (dst_port, flow) < (src_port, other);
    }
    let flags = flows.tcp_flags[flow];
    if protocol == TCP && flags & SYN != 0 && flags & ACK == 0 {
        return true;
    }
    // A lone SYN+ACK (no data, no FIN, no RST): the answer to a SYN whose flow is not in the
    // window (a scanned port answering) — unless the records are bidirectional, where it is
    // the whole probe (the SYN and its answer's flags ORed) and its source sent the SYN.
    if protocol == TCP && !bidirectional && flags & (SYN | ACK | RST | PSH | FIN) == SYN | ACK {
        return false;
    }
    !(is_service_port(src_port) && !is_service_port(dst_port) && dst_port > src_port)
}

/// Flows whose destination sent their source an ICMP destination-unreachable in the window.
fn unreachable(flows: &FlowSlices<'_>) -> Vec<bool> {
    let n = flows.len();
    let told: HashSet<([u8; 16], [u8; 16])> = (0..n)
        .filter(|&flow| is_unreachable(flows.protocol[flow], flows.dst_port[flow]))
        .map(|flow| {
            (
                FlowSlices::address(flows.dst_addr, flow),
                FlowSlices::address(flows.src_addr, flow),
            )
        })
        .collect();
    (0..n)
        .map(|flow| {
            !told.is_empty()
                && !is_icmp(flows.protocol[flow])
                && told.contains(&(
                    FlowSlices::address(flows.src_addr, flow),
                    FlowSlices::address(flows.dst_addr, flow),
                ))
        })
        .collect()
}

#[cfg(test)]
mod tests;
