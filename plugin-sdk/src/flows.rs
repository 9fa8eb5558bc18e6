//! Row access to the columnar [`FlowBatch`], and building batches in tests.

use std::net::{IpAddr, Ipv6Addr};

use crate::{FlowBatch, FlowKey};

/// Turn a 16-byte address column entry into an [`IpAddr`] (IPv4-mapped addresses become IPv4).
pub fn addr_from_bytes(bytes: &[u8]) -> IpAddr {
    let octets: [u8; 16] = bytes.try_into().expect("addresses are 16 bytes");
    let v6 = Ipv6Addr::from(octets);
    match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    }
}

/// An address from its integer form ([`FlowBatch::src_u128`]); IPv4-mapped becomes IPv4.
pub fn addr_from_u128(value: u128) -> IpAddr {
    addr_from_bytes(&value.to_be_bytes())
}

/// The 16-byte column form of an address (IPv4 becomes IPv4-mapped IPv6).
pub fn addr_to_bytes(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// One flow, as a row.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowRecord {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// IP protocol.
    pub protocol: u8,
    /// Cumulative TCP flags.
    pub tcp_flags: u8,
    /// Bytes.
    pub bytes: u64,
    /// Packets.
    pub packets: u64,
    /// First packet, ms since the epoch.
    pub start_ms: u64,
    /// Last packet, ms since the epoch.
    pub end_ms: u64,
}

impl FlowBatch {
    /// Number of flows.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True when the batch holds no flow.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The raw 16 source-address bytes of flow `i`.
    pub fn src_bytes(&self, i: usize) -> &[u8] {
        &self.src_addr[i * 16..i * 16 + 16]
    }

    /// The source address of flow `i` as one integer (for hashing and map keys).
    pub fn src_u128(&self, i: usize) -> u128 {
        u128::from_be_bytes(self.src_bytes(i).try_into().expect("16 bytes"))
    }

    /// The destination address of flow `i` as one integer (for hashing and map keys).
    pub fn dst_u128(&self, i: usize) -> u128 {
        u128::from_be_bytes(self.dst_bytes(i).try_into().expect("16 bytes"))
    }

    /// The raw 16 destination-address bytes of flow `i`.
    pub fn dst_bytes(&self, i: usize) -> &[u8] {
        &self.dst_addr[i * 16..i * 16 + 16]
    }

    /// Flow `i` as a row.
    pub fn record(&self, i: usize) -> FlowRecord {
        FlowRecord {
            src: addr_from_bytes(self.src_bytes(i)),
            dst: addr_from_bytes(self.dst_bytes(i)),
            src_port: self.src_port[i],
            dst_port: self.dst_port[i],
            protocol: self.protocol[i],
            tcp_flags: self.tcp_flags[i],
            bytes: self.bytes[i],
            packets: self.packets[i],
            start_ms: self.start_ms[i],
            end_ms: self.end_ms[i],
        }
    }

    /// Every flow as a row.
    pub fn records(&self) -> impl Iterator<Item = FlowRecord> + '_ {
        (0..self.len()).map(|i| self.record(i))
    }

    /// The 5-tuple of flow `i`.
    pub fn key(&self, i: usize) -> FlowKey {
        FlowKey {
            src_addr: self.src_bytes(i).to_vec(),
            dst_addr: self.dst_bytes(i).to_vec(),
            src_port: self.src_port[i],
            dst_port: self.dst_port[i],
            protocol: self.protocol[i],
        }
    }

    /// A batch of `records`, all from one exporter.
    pub fn from_records(exporter: &str, records: &[FlowRecord]) -> FlowBatch {
        let n = records.len();
        let mut batch = FlowBatch {
            len: n as u32,
            src_addr: Vec::with_capacity(n * 16),
            dst_addr: Vec::with_capacity(n * 16),
            src_port: Vec::with_capacity(n),
            dst_port: Vec::with_capacity(n),
            protocol: Vec::with_capacity(n),
            tcp_flags: Vec::with_capacity(n),
            bytes: Vec::with_capacity(n),
            packets: Vec::with_capacity(n),
            start_ms: Vec::with_capacity(n),
            end_ms: Vec::with_capacity(n),
            input_if: vec![0; n],
            output_if: vec![0; n],
            exporter: vec![0; n],
            exporters: vec![exporter.to_owned()],
        };
        for record in records {
            batch.src_addr.extend_from_slice(&addr_to_bytes(record.src));
            batch.dst_addr.extend_from_slice(&addr_to_bytes(record.dst));
            batch.src_port.push(record.src_port);
            batch.dst_port.push(record.dst_port);
            batch.protocol.push(record.protocol);
            batch.tcp_flags.push(record.tcp_flags);
            batch.bytes.push(record.bytes);
            batch.packets.push(record.packets);
            batch.start_ms.push(record.start_ms);
            batch.end_ms.push(record.end_ms);
        }
        batch
    }
}
