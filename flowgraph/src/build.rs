//! Building a [`HostGraph`] from flow columns: one pass that numbers hosts and edges in order of
//! first appearance and sums their features, a sort for the distinct ports of the edges that
//! saw more than one, and one sort that puts edges in (source, destination) order.
//!
//! The pass sums into one record per host and one per edge (each flow touches three records,
//! not seventeen columns at random places: at 100k flows the pass is bound by cache misses),
//! and the columns are laid out at the end, in order.

use hashbrown::HashMap;

use crate::HostGraph;

/// Borrowed flow columns, the layout of the WIT `flow-batch`: addresses are 16 bytes per flow,
/// every other column has one entry per flow.
#[derive(Debug, Clone, Copy)]
pub struct FlowSlices<'a> {
    /// Source addresses, 16 bytes per flow.
    pub src_addr: &'a [u8],
    /// Destination addresses, 16 bytes per flow.
    pub dst_addr: &'a [u8],
    /// Source ports.
    pub src_port: &'a [u16],
    /// Destination ports.
    pub dst_port: &'a [u16],
    /// IP protocols.
    pub protocol: &'a [u8],
    /// Cumulative TCP flags.
    pub tcp_flags: &'a [u8],
    /// Bytes.
    pub bytes: &'a [u64],
    /// Packets.
    pub packets: &'a [u64],
    /// First packet, ms since the epoch.
    pub start_ms: &'a [u64],
    /// Last packet, ms since the epoch.
    pub end_ms: &'a [u64],
}

impl FlowSlices<'_> {
    /// Number of flows (the shortest column decides, so inconsistent input cannot index out of
    /// bounds).
    pub fn len(&self) -> usize {
        [
            self.src_addr.len() / 16,
            self.dst_addr.len() / 16,
            self.src_port.len(),
            self.dst_port.len(),
            self.protocol.len(),
            self.tcp_flags.len(),
            self.bytes.len(),
            self.packets.len(),
            self.start_ms.len(),
            self.end_ms.len(),
        ]
        .into_iter()
        .min()
        .unwrap_or(0)
    }

    /// True when there is no flow.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The address of `flow` in an address column.
    pub(crate) fn address(column: &[u8], flow: usize) -> [u8; 16] {
        column[flow * 16..flow * 16 + 16]
            .try_into()
            .expect("a 16-byte slice")
    }
}

impl HostGraph {
    /// The host graph of `flows`.
    pub fn build(flows: FlowSlices<'_>) -> HostGraph {
        let sums = Sums::of(&flows);
        let ports = sums.distinct_ports(&flows);
        let mut graph = HostGraph {
            hosts: sums.addresses,
            ..HostGraph::default()
        };
        graph.lay_out_hosts(&sums.hosts);
        graph.lay_out_edges(&sums.edges, &ports, &sums.flow_edge);
        graph
    }

    /// The hosts' sums as columns, in host order.
    fn lay_out_hosts(&mut self, hosts: &[HostSums]) {
        self.host_bytes_out = hosts.iter().map(|h| h.bytes_out).collect();
        self.host_bytes_in = hosts.iter().map(|h| h.bytes_in).collect();
        self.host_packets_out = hosts.iter().map(|h| h.packets_out).collect();
        self.host_packets_in = hosts.iter().map(|h| h.packets_in).collect();
        self.host_flows_out = hosts.iter().map(|h| h.flows_out).collect();
        self.host_flows_in = hosts.iter().map(|h| h.flows_in).collect();
    }

    /// Edges in (source, destination) order, the flows' edges renumbered to match, and the
    /// compressed-sparse-row offsets.
    fn lay_out_edges(&mut self, edges: &[EdgeSums], ports: &[u32], provisional: &[u32]) {
        let mut order: Vec<(u64, u32)> = edges
            .iter()
            .enumerate()
            .map(|(e, edge)| ((u64::from(edge.src) << 32) | u64::from(edge.dst), e as u32))
            .collect();
        order.sort_unstable();
        let mut rank = vec![0u32; order.len()];
        for (new, &(_, old)) in order.iter().enumerate() {
            rank[old as usize] = new as u32;
        }
        let sorted: Vec<&EdgeSums> = order.iter().map(|&(_, e)| &edges[e as usize]).collect();
        self.edge_src = sorted.iter().map(|e| e.src).collect();
        self.edge_dst = sorted.iter().map(|e| e.dst).collect();
        self.edge_flows = sorted.iter().map(|e| e.flows).collect();
        self.edge_bytes = sorted.iter().map(|e| e.bytes).collect();
        self.edge_packets = sorted.iter().map(|e| e.packets).collect();
        self.edge_dst_ports = order.iter().map(|&(_, e)| ports[e as usize]).collect();
        self.edge_protocols = sorted.iter().map(|e| e.protocols.count()).collect();
        self.edge_tcp_flags = sorted.iter().map(|e| e.tcp_flags).collect();
        self.edge_start_ms = sorted.iter().map(|e| e.start_ms).collect();
        self.edge_end_ms = sorted.iter().map(|e| e.end_ms).collect();
        self.flow_edge = provisional.iter().map(|&e| rank[e as usize]).collect();
        let mut offsets = vec![0u32; self.hosts.len() + 1];
        for &src in &self.edge_src {
            offsets[src as usize + 1] += 1;
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        self.out_offsets = offsets;
    }
}

/// What one host sent and received.
#[derive(Debug, Clone, Copy, Default)]
struct HostSums {
    bytes_out: u64,
    bytes_in: u64,
    packets_out: u64,
    packets_in: u64,
    flows_out: u32,
    flows_in: u32,
}

/// One edge's features, summed over its flows.
#[derive(Debug, Clone, Copy)]
struct EdgeSums {
    src: u32,
    dst: u32,
    flows: u32,
    /// The first flow's destination port, and whether another port came later.
    first_port: u16,
    more_ports: bool,
    tcp_flags: u8,
    bytes: u64,
    packets: u64,
    start_ms: u64,
    end_ms: u64,
    protocols: ProtocolSet,
}

/// A set of IP protocol numbers (256 bits).
#[derive(Debug, Clone, Copy, Default)]
struct ProtocolSet([u64; 4]);

impl ProtocolSet {
    fn insert(&mut self, protocol: u8) {
        self.0[usize::from(protocol >> 6)] |= 1 << (protocol & 63);
    }

    fn count(&self) -> u8 {
        // At most 256 protocols; u8 holds 255 (no window carries all 256).
        self.0
            .iter()
            .map(|word| word.count_ones())
            .sum::<u32>()
            .min(255) as u8
    }
}

/// The pass over the flows: hosts and edges numbered in order of first appearance, summed.
struct Sums {
    addresses: Vec<[u8; 16]>,
    hosts: Vec<HostSums>,
    edges: Vec<EdgeSums>,
    /// The provisional (appearance-order) edge of each flow.
    flow_edge: Vec<u32>,
}

impl Sums {
    fn of(flows: &FlowSlices<'_>) -> Sums {
        let n = flows.len();
        // Sized for one new host and one new edge per flow (a scan or a flood comes close; the
        // worst case, two new hosts per flow, grows the host table once): growing a table
        // rehashes every key, which costs more than the memory reserved (~6.5 MB at 100k flows).
        let mut host_ids: HashMap<u128, u32> = HashMap::with_capacity(n + 16);
        let mut edge_ids: HashMap<u64, u32> = HashMap::with_capacity(n + 16);
        let mut sums = Sums {
            addresses: Vec::new(),
            hosts: Vec::new(),
            edges: Vec::new(),
            flow_edge: Vec::with_capacity(n),
        };
        for flow in 0..n {
            let src = sums.host_id(&mut host_ids, FlowSlices::address(flows.src_addr, flow));
            let dst = sums.host_id(&mut host_ids, FlowSlices::address(flows.dst_addr, flow));
            let (bytes, packets) = (flows.bytes[flow], flows.packets[flow]);
            let sender = &mut sums.hosts[src as usize];
            sender.bytes_out += bytes;
            sender.packets_out += packets;
            sender.flows_out += 1;
            let receiver = &mut sums.hosts[dst as usize];
            receiver.bytes_in += bytes;
            receiver.packets_in += packets;
            receiver.flows_in += 1;
            let port = flows.dst_port[flow];
            let next = sums.edges.len() as u32;
            let edge = *edge_ids
                .entry((u64::from(src) << 32) | u64::from(dst))
                .or_insert(next);
            if edge == next {
                sums.edges.push(EdgeSums {
                    src,
                    dst,
                    flows: 0,
                    first_port: port,
                    more_ports: false,
                    tcp_flags: 0,
                    bytes: 0,
                    packets: 0,
                    start_ms: flows.start_ms[flow],
                    end_ms: 0,
                    protocols: ProtocolSet::default(),
                });
            }
            let sums_of_edge = &mut sums.edges[edge as usize];
            sums_of_edge.flows += 1;
            sums_of_edge.bytes += bytes;
            sums_of_edge.packets += packets;
            sums_of_edge.tcp_flags |= flows.tcp_flags[flow];
            sums_of_edge.more_ports |= port != sums_of_edge.first_port;
            sums_of_edge.protocols.insert(flows.protocol[flow]);
            sums_of_edge.start_ms = sums_of_edge.start_ms.min(flows.start_ms[flow]);
            sums_of_edge.end_ms = sums_of_edge.end_ms.max(flows.end_ms[flow]);
            sums.flow_edge.push(edge);
        }
        sums
    }

    fn host_id(&mut self, ids: &mut HashMap<u128, u32>, address: [u8; 16]) -> u32 {
        let next = self.hosts.len() as u32;
        // Hashed as one integer, not as a 16-byte slice (a length prefix, then bytes).
        let id = *ids.entry(u128::from_ne_bytes(address)).or_insert(next);
        if id == next {
            self.addresses.push(address);
            self.hosts.push(HostSums::default());
        }
        id
    }

    /// Distinct destination ports of each (provisional) edge: 1 for an edge that only ever saw
    /// its first port; for the others, sort their flows' (edge, port) keys and count runs.
    fn distinct_ports(&self, flows: &FlowSlices<'_>) -> Vec<u32> {
        let mut ports = vec![1u32; self.edges.len()];
        let mut keys: Vec<u64> = self
            .flow_edge
            .iter()
            .zip(flows.dst_port)
            .filter(|&(&edge, _)| self.edges[edge as usize].more_ports)
            .map(|(&edge, &port)| (u64::from(edge) << 16) | u64::from(port))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for key in &keys {
            ports[(key >> 16) as usize] = 0;
        }
        for key in &keys {
            ports[(key >> 16) as usize] += 1;
        }
        ports
    }
}
