//! [`FlowProbe`]: packets to unidirectional flows, as a NetFlow probe (softflowd) does.
//!
//! A flow is the packets of one (source, destination, protocol, source port, destination port)
//! — for ICMP the destination port carries type × 256 + code and the source port is 0. A flow
//! ends when it has been idle for `idle_timeout_ms`, when it has lasted `active_timeout_ms`, or
//! at the end of the capture. Bytes are IP bytes (IPv4 total length, IPv6 payload length + 40),
//! as softflowd counts them; TCP flags are the OR of every packet's.

use std::collections::HashMap;

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};

use crate::columns::{FlowRow, mapped_v4};

/// Flow expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeConfig {
    /// A flow without packets for this long ends (softflowd's UDP/ICMP default: 300 s).
    pub idle_timeout_ms: u64,
    /// A flow that has lasted this long ends, and the next packet starts a new one (30 min).
    pub active_timeout_ms: u64,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            idle_timeout_ms: 300_000,
            active_timeout_ms: 1_800_000,
        }
    }
}

/// What the probe did not turn into flows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProbeCounters {
    /// Packets that became part of a flow.
    pub packets: u64,
    /// Packets that were not IP (ARP, LLDP, ...).
    pub not_ip: u64,
    /// Packets whose headers could not be parsed.
    pub malformed: u64,
}

type Key = ([u8; 16], [u8; 16], u8, u16, u16);

/// The flow table.
pub struct FlowProbe {
    config: ProbeConfig,
    flows: HashMap<Key, FlowRow>,
    last_sweep_ms: u64,
    /// Counters.
    pub counters: ProbeCounters,
}

/// How a packet's link layer starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Ethernet II (with any VLAN tags).
    Ethernet,
    /// A bare IPv4 or IPv6 packet.
    RawIp,
    /// Linux "cooked" capture (SLL).
    LinuxSll,
    /// BSD loopback: a 4-byte address family, then IP.
    Null,
}

impl Link {
    /// The link type of a pcap `LINKTYPE_*` number, if we read it.
    pub fn from_linktype(linktype: i32) -> Option<Link> {
        match linktype {
            1 => Some(Link::Ethernet),
            12 | 101 | 228 | 229 => Some(Link::RawIp),
            113 => Some(Link::LinuxSll),
            0 => Some(Link::Null),
            _ => None,
        }
    }
}

impl FlowProbe {
    /// An empty table.
    pub fn new(config: ProbeConfig) -> Self {
        FlowProbe {
            config,
            flows: HashMap::new(),
            last_sweep_ms: 0,
            counters: ProbeCounters::default(),
        }
    }

    /// Account one captured packet seen at `ts_ms`; flows that ended are appended to `ended`.
    pub fn packet(&mut self, ts_ms: u64, link: Link, data: &[u8], ended: &mut Vec<FlowRow>) {
        self.sliced(ts_ms, slice(link, data).as_ref(), ended);
    }

    /// Account one packet already sliced with [`slice`] (`None`: it could not be).
    pub fn sliced(
        &mut self,
        ts_ms: u64,
        sliced: Option<&LaxSlicedPacket<'_>>,
        ended: &mut Vec<FlowRow>,
    ) {
        match sliced {
            Some(packet) if packet.net.is_some() => self.account(ts_ms, packet, ended),
            Some(packet) if packet.stop_err.is_none() => self.counters.not_ip += 1,
            _ => self.counters.malformed += 1,
        }
        if ts_ms >= self.last_sweep_ms + 1_000 {
            self.expire(ts_ms, ended);
            self.last_sweep_ms = ts_ms;
        }
    }

    fn account(&mut self, ts_ms: u64, packet: &LaxSlicedPacket<'_>, ended: &mut Vec<FlowRow>) {
        let (src, dst, protocol, bytes) = match &packet.net {
            Some(LaxNetSlice::Ipv4(ip)) => {
                let header = ip.header();
                (
                    mapped_v4(header.source()),
                    mapped_v4(header.destination()),
                    ip.payload().ip_number.0,
                    u64::from(header.total_len()),
                )
            }
            Some(LaxNetSlice::Ipv6(ip)) => {
                let header = ip.header();
                (
                    header.source(),
                    header.destination(),
                    ip.payload().ip_number.0,
                    u64::from(header.payload_length()) + 40,
                )
            }
            _ => {
                self.counters.not_ip += 1;
                return;
            }
        };
        let (src_port, dst_port, tcp_flags) = match &packet.transport {
            Some(TransportSlice::Tcp(tcp)) => {
                let flags = [
                    tcp.fin(),
                    tcp.syn(),
                    tcp.rst(),
                    tcp.psh(),
                    tcp.ack(),
                    tcp.urg(),
                    tcp.ece(),
                    tcp.cwr(),
                ]
                .iter()
                .enumerate()
                .fold(0u8, |acc, (bit, &set)| acc | (u8::from(set) << bit));
                (tcp.source_port(), tcp.destination_port(), flags)
            }
            Some(TransportSlice::Udp(udp)) => (udp.source_port(), udp.destination_port(), 0),
            Some(TransportSlice::Icmpv4(icmp)) => {
                (0, u16::from_be_bytes([icmp.type_u8(), icmp.code_u8()]), 0)
            }
            Some(TransportSlice::Icmpv6(icmp)) => {
                (0, u16::from_be_bytes([icmp.type_u8(), icmp.code_u8()]), 0)
            }
            _ => (0, 0, 0),
        };
        self.counters.packets += 1;
        let key = (src, dst, protocol, src_port, dst_port);
        if let Some(flow) = self.flows.get(&key)
            && ts_ms.saturating_sub(flow.start_ms) >= self.config.active_timeout_ms
        {
            ended.extend(self.flows.remove(&key));
        }
        let flow = self.flows.entry(key).or_insert_with(|| FlowRow {
            src_addr: src,
            dst_addr: dst,
            src_port,
            dst_port,
            protocol,
            start_ms: ts_ms,
            ..FlowRow::default()
        });
        flow.packets += 1;
        flow.bytes += bytes;
        flow.tcp_flags |= tcp_flags;
        flow.end_ms = flow.end_ms.max(ts_ms);
    }

    /// End every flow idle at `now_ms`, appending them to `ended` in start order.
    pub fn expire(&mut self, now_ms: u64, ended: &mut Vec<FlowRow>) {
        let idle = self.config.idle_timeout_ms;
        let from = ended.len();
        self.flows.retain(|_, flow| {
            let keep = now_ms.saturating_sub(flow.end_ms) < idle;
            if !keep {
                ended.push(*flow);
            }
            keep
        });
        ended[from..].sort_by_key(|flow| (flow.start_ms, flow.end_ms));
    }

    /// End every flow (the capture is over), in start order.
    pub fn finish(&mut self, ended: &mut Vec<FlowRow>) {
        self.expire(u64::MAX, ended);
    }
}

/// A captured packet's headers. Lax: a capture cut at a snap length (`tcpdump -s 96`) still
/// has whole headers, and the IP header's length counts the bytes that were on the wire.
pub fn slice(link: Link, data: &[u8]) -> Option<LaxSlicedPacket<'_>> {
    match link {
        Link::Ethernet => LaxSlicedPacket::from_ethernet(data).ok(),
        Link::RawIp => LaxSlicedPacket::from_ip(data).ok(),
        Link::LinuxSll => linux_sll(data),
        Link::Null => LaxSlicedPacket::from_ip(data.get(4..).unwrap_or_default()).ok(),
    }
}

/// A Linux cooked capture (SLL) packet: a 16-byte header whose last two bytes are the ether
/// type of what follows.
fn linux_sll(data: &[u8]) -> Option<LaxSlicedPacket<'_>> {
    let ether_type = u16::from_be_bytes(data.get(14..16)?.try_into().ok()?);
    Some(LaxSlicedPacket::from_ether_type(
        EtherType(ether_type),
        data.get(16..)?,
    ))
}
