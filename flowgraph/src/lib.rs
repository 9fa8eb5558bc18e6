//! A window of flows as a host graph: every address is a node, and all flows from one host to
//! another are one directed edge with aggregated features (flows, bytes, packets, distinct
//! destination ports and protocols, TCP flags, first start and last end).
//!
//! The host builds one [`HostGraph`] per flow window, the first time a detector asks for it
//! (WIT `flow-graph.window-graph`), and shares it; the plugin SDK builds the same graph in
//! native tests. The layout is the WIT `host-graph` record: columns, edges sorted by source then
//! destination, with compressed-sparse-row offsets.

mod build;
mod conversations;
pub mod gae;
mod records;

pub use build::FlowSlices;
pub use conversations::{Attempt, Conversations};
pub use records::{RecordKind, Records};

/// [`FlowSlices`] borrowed from any columnar flow batch with the WIT `flow-batch` field names
/// (the host's and the SDK's generated `FlowBatch` types are distinct Rust types).
#[macro_export]
macro_rules! flow_slices {
    ($batch:expr) => {{
        let batch = &$batch;
        $crate::FlowSlices {
            src_addr: &batch.src_addr,
            dst_addr: &batch.dst_addr,
            src_port: &batch.src_port,
            dst_port: &batch.dst_port,
            protocol: &batch.protocol,
            tcp_flags: &batch.tcp_flags,
            bytes: &batch.bytes,
            packets: &batch.packets,
            start_ms: &batch.start_ms,
            end_ms: &batch.end_ms,
        }
    }};
}

/// A window's flows as a graph, in columns (see the WIT `host-graph` record).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostGraph {
    /// Host addresses (IPv6, or IPv4 mapped into IPv6), in order of first appearance.
    pub hosts: Vec<[u8; 16]>,
    /// Bytes each host sent.
    pub host_bytes_out: Vec<u64>,
    /// Bytes each host received.
    pub host_bytes_in: Vec<u64>,
    /// Packets each host sent.
    pub host_packets_out: Vec<u64>,
    /// Packets each host received.
    pub host_packets_in: Vec<u64>,
    /// Flows each host was the source of.
    pub host_flows_out: Vec<u32>,
    /// Flows each host was the destination of.
    pub host_flows_in: Vec<u32>,
    /// Edges leaving host `i` are `out_offsets[i]..out_offsets[i + 1]`.
    pub out_offsets: Vec<u32>,
    /// Source host of each edge.
    pub edge_src: Vec<u32>,
    /// Destination host of each edge.
    pub edge_dst: Vec<u32>,
    /// Flows of each edge.
    pub edge_flows: Vec<u32>,
    /// Bytes of each edge.
    pub edge_bytes: Vec<u64>,
    /// Packets of each edge.
    pub edge_packets: Vec<u64>,
    /// Distinct destination ports of each edge.
    pub edge_dst_ports: Vec<u32>,
    /// Distinct IP protocols of each edge.
    pub edge_protocols: Vec<u8>,
    /// OR of the TCP flags of each edge's flows.
    pub edge_tcp_flags: Vec<u8>,
    /// Earliest start of each edge's flows, ms since the epoch.
    pub edge_start_ms: Vec<u64>,
    /// Latest end of each edge's flows, ms since the epoch.
    pub edge_end_ms: Vec<u64>,
    /// The edge of each flow of the window.
    pub flow_edge: Vec<u32>,
}

impl HostGraph {
    /// Number of hosts.
    pub fn host_count(&self) -> usize {
        self.hosts.len()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.edge_src.len()
    }

    /// The edges leaving host `host`, as a range of edge indexes.
    pub fn out_edges(&self, host: usize) -> std::ops::Range<usize> {
        self.out_offsets[host] as usize..self.out_offsets[host + 1] as usize
    }

    /// Distinct hosts that `host` sent flows to.
    pub fn out_degree(&self, host: usize) -> usize {
        self.out_edges(host).len()
    }

    /// Distinct hosts that sent flows to each host.
    pub fn in_degrees(&self) -> Vec<u32> {
        let mut degrees = vec![0u32; self.host_count()];
        for &dst in &self.edge_dst {
            degrees[dst as usize] += 1;
        }
        degrees
    }

    /// Host `host` as an address (IPv4-mapped addresses become IPv4).
    pub fn host_addr(&self, host: usize) -> std::net::IpAddr {
        let v6 = std::net::Ipv6Addr::from(self.hosts[host]);
        match v6.to_ipv4_mapped() {
            Some(v4) => std::net::IpAddr::V4(v4),
            None => std::net::IpAddr::V6(v6),
        }
    }
}

#[cfg(test)]
mod tests;
