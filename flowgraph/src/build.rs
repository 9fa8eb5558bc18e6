//! Building a [`HostGraph`] from flow columns: one pass that numbers hosts and edges in order of
//! first appearance and sums their features, one sort for distinct ports and protocols, and one
//! sort that puts edges in (source, destination) order.

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
        let mut graph = HostGraph::default();
        let provisional = graph.sum_in_appearance_order(&flows);
        graph.count_distinct(&flows, &provisional);
        graph.sort_edges(provisional);
        graph
    }

    /// Number hosts and edges as they first appear and sum their features; returns the
    /// provisional edge of each flow.
    fn sum_in_appearance_order(&mut self, flows: &FlowSlices<'_>) -> Vec<u32> {
        let n = flows.len();
        let mut host_ids: HashMap<[u8; 16], u32> = HashMap::with_capacity(n / 4 + 16);
        let mut edge_ids: HashMap<u64, u32> = HashMap::with_capacity(n / 2 + 16);
        let mut flow_edge = Vec::with_capacity(n);
        for flow in 0..n {
            let src = self.host_id(&mut host_ids, FlowSlices::address(flows.src_addr, flow));
            let dst = self.host_id(&mut host_ids, FlowSlices::address(flows.dst_addr, flow));
            let (bytes, packets) = (flows.bytes[flow], flows.packets[flow]);
            self.host_bytes_out[src as usize] += bytes;
            self.host_packets_out[src as usize] += packets;
            self.host_flows_out[src as usize] += 1;
            self.host_bytes_in[dst as usize] += bytes;
            self.host_packets_in[dst as usize] += packets;
            self.host_flows_in[dst as usize] += 1;
            let next = self.edge_src.len() as u32;
            let edge = *edge_ids
                .entry((u64::from(src) << 32) | u64::from(dst))
                .or_insert(next);
            if edge == next {
                self.push_edge(src, dst, flows.start_ms[flow]);
            }
            let e = edge as usize;
            self.edge_flows[e] += 1;
            self.edge_bytes[e] += bytes;
            self.edge_packets[e] += packets;
            self.edge_tcp_flags[e] |= flows.tcp_flags[flow];
            self.edge_start_ms[e] = self.edge_start_ms[e].min(flows.start_ms[flow]);
            self.edge_end_ms[e] = self.edge_end_ms[e].max(flows.end_ms[flow]);
            flow_edge.push(edge);
        }
        flow_edge
    }

    fn host_id(&mut self, ids: &mut HashMap<[u8; 16], u32>, address: [u8; 16]) -> u32 {
        let next = self.hosts.len() as u32;
        let id = *ids.entry(address).or_insert(next);
        if id == next {
            self.hosts.push(address);
            self.host_bytes_out.push(0);
            self.host_bytes_in.push(0);
            self.host_packets_out.push(0);
            self.host_packets_in.push(0);
            self.host_flows_out.push(0);
            self.host_flows_in.push(0);
        }
        id
    }

    fn push_edge(&mut self, src: u32, dst: u32, start_ms: u64) {
        self.edge_src.push(src);
        self.edge_dst.push(dst);
        self.edge_flows.push(0);
        self.edge_bytes.push(0);
        self.edge_packets.push(0);
        self.edge_dst_ports.push(0);
        self.edge_protocols.push(0);
        self.edge_tcp_flags.push(0);
        self.edge_start_ms.push(start_ms);
        self.edge_end_ms.push(0);
    }

    /// Distinct destination ports and protocols per edge: sort (edge, value) keys, count runs.
    fn count_distinct(&mut self, flows: &FlowSlices<'_>, flow_edge: &[u32]) {
        let mut keys: Vec<u64> = flow_edge
            .iter()
            .zip(flows.dst_port)
            .map(|(&edge, &port)| (u64::from(edge) << 16) | u64::from(port))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for key in &keys {
            self.edge_dst_ports[(key >> 16) as usize] += 1;
        }
        keys.clear();
        keys.extend(
            flow_edge
                .iter()
                .zip(flows.protocol)
                .map(|(&edge, &protocol)| (u64::from(edge) << 8) | u64::from(protocol)),
        );
        keys.sort_unstable();
        keys.dedup();
        for key in &keys {
            self.edge_protocols[(key >> 8) as usize] += 1;
        }
    }

    /// Put edges in (source, destination) order, renumber the flows' edges and fill the
    /// compressed-sparse-row offsets.
    fn sort_edges(&mut self, provisional: Vec<u32>) {
        let mut order: Vec<u32> = (0..self.edge_src.len() as u32).collect();
        order.sort_unstable_by_key(|&e| (self.edge_src[e as usize], self.edge_dst[e as usize]));
        let mut rank = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            rank[old as usize] = new as u32;
        }
        permute(&mut self.edge_src, &order);
        permute(&mut self.edge_dst, &order);
        permute(&mut self.edge_flows, &order);
        permute(&mut self.edge_bytes, &order);
        permute(&mut self.edge_packets, &order);
        permute(&mut self.edge_dst_ports, &order);
        permute(&mut self.edge_protocols, &order);
        permute(&mut self.edge_tcp_flags, &order);
        permute(&mut self.edge_start_ms, &order);
        permute(&mut self.edge_end_ms, &order);
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

/// `column` reordered so that entry `i` is the old entry `order[i]`.
fn permute<T: Copy>(column: &mut Vec<T>, order: &[u32]) {
    *column = order.iter().map(|&old| column[old as usize]).collect();
}
