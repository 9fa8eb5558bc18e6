//! Hand-checked windows and invariants on pseudo-random windows.

use std::collections::{HashMap, HashSet};

use crate::{FlowSlices, HostGraph};

/// Owned columns for building test windows.
#[derive(Default)]
struct Columns {
    src: Vec<u8>,
    dst: Vec<u8>,
    src_port: Vec<u16>,
    dst_port: Vec<u16>,
    protocol: Vec<u8>,
    tcp_flags: Vec<u8>,
    bytes: Vec<u64>,
    packets: Vec<u64>,
    start_ms: Vec<u64>,
    end_ms: Vec<u64>,
}

fn v4(last: u8) -> [u8; 16] {
    let mut address = [0u8; 16];
    address[10] = 0xff;
    address[11] = 0xff;
    address[12..].copy_from_slice(&[10, 0, 0, last]);
    address
}

impl Columns {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        src: u8,
        dst: u8,
        port: u16,
        protocol: u8,
        bytes: u64,
        start: u64,
        end: u64,
    ) {
        self.src.extend_from_slice(&v4(src));
        self.dst.extend_from_slice(&v4(dst));
        self.src_port.push(40_000);
        self.dst_port.push(port);
        self.protocol.push(protocol);
        self.tcp_flags.push(if protocol == 6 { 0x02 } else { 0 });
        self.bytes.push(bytes);
        self.packets.push(bytes / 100 + 1);
        self.start_ms.push(start);
        self.end_ms.push(end);
    }

    fn slices(&self) -> FlowSlices<'_> {
        FlowSlices {
            src_addr: &self.src,
            dst_addr: &self.dst,
            src_port: &self.src_port,
            dst_port: &self.dst_port,
            protocol: &self.protocol,
            tcp_flags: &self.tcp_flags,
            bytes: &self.bytes,
            packets: &self.packets,
            start_ms: &self.start_ms,
            end_ms: &self.end_ms,
        }
    }
}

#[test]
fn a_hand_checked_window() {
    let mut columns = Columns::default();
    columns.push(2, 1, 443, 6, 1000, 10, 20); // flow 0: 2 → 1
    columns.push(3, 1, 53, 17, 100, 5, 6); // flow 1: 3 → 1
    columns.push(2, 1, 80, 6, 500, 30, 40); // flow 2: 2 → 1 again, another port
    columns.push(1, 2, 5000, 6, 50, 11, 12); // flow 3: 1 → 2
    columns.push(2, 1, 443, 17, 10, 1, 2); // flow 4: 2 → 1, same port, other protocol
    let graph = HostGraph::build(columns.slices());

    // Hosts in order of first appearance: 2, 1, 3.
    assert_eq!(graph.hosts, vec![v4(2), v4(1), v4(3)]);
    assert_eq!(graph.host_bytes_out, vec![1510, 50, 100]);
    assert_eq!(graph.host_bytes_in, vec![50, 1610, 0]);
    assert_eq!(graph.host_flows_out, vec![3, 1, 1]);
    assert_eq!(graph.host_flows_in, vec![1, 4, 0]);
    // Edges sorted by (source, destination): 0→1, 1→0, 2→1.
    assert_eq!(graph.edge_src, vec![0, 1, 2]);
    assert_eq!(graph.edge_dst, vec![1, 0, 1]);
    assert_eq!(graph.out_offsets, vec![0, 1, 2, 3]);
    assert_eq!(graph.edge_flows, vec![3, 1, 1]);
    assert_eq!(graph.edge_bytes, vec![1510, 50, 100]);
    assert_eq!(graph.edge_dst_ports, vec![2, 1, 1]);
    assert_eq!(graph.edge_protocols, vec![2, 1, 1]);
    assert_eq!(graph.edge_tcp_flags, vec![0x02, 0x02, 0]);
    assert_eq!(graph.edge_start_ms, vec![1, 11, 5]);
    assert_eq!(graph.edge_end_ms, vec![40, 12, 6]);
    assert_eq!(graph.flow_edge, vec![0, 2, 0, 1, 0]);
    assert_eq!(graph.in_degrees(), vec![1, 2, 0]);
    assert_eq!(graph.out_degree(0), 1);
}

#[test]
fn an_empty_window_is_an_empty_graph() {
    let graph = HostGraph::build(Columns::default().slices());
    assert_eq!(graph.host_count(), 0);
    assert_eq!(graph.edge_count(), 0);
    assert_eq!(graph.out_offsets, vec![0]);
}

#[test]
fn random_windows_keep_every_invariant() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    for _ in 0..20 {
        let mut columns = Columns::default();
        let flows = 1 + next(3000) as usize;
        for _ in 0..flows {
            let (s, d) = (next(60) as u8, next(60) as u8);
            let start = next(1000);
            columns.push(
                s,
                d,
                next(20) as u16,
                [6, 17, 1][next(3) as usize],
                next(5000),
                start,
                start + next(50),
            );
        }
        check_invariants(&columns, &HostGraph::build(columns.slices()));
    }
}

fn check_invariants(columns: &Columns, graph: &HostGraph) {
    let flows = columns.bytes.len();
    let total: u64 = columns.bytes.iter().sum();
    assert_eq!(graph.host_bytes_out.iter().sum::<u64>(), total);
    assert_eq!(graph.host_bytes_in.iter().sum::<u64>(), total);
    assert_eq!(graph.edge_bytes.iter().sum::<u64>(), total);
    assert_eq!(
        graph.edge_flows.iter().map(|&f| f as usize).sum::<usize>(),
        flows
    );
    let pairs: Vec<(u32, u32)> = graph
        .edge_src
        .iter()
        .copied()
        .zip(graph.edge_dst.iter().copied())
        .collect();
    assert!(
        pairs.windows(2).all(|w| w[0] < w[1]),
        "edges sorted and unique"
    );
    let mut ports: HashMap<u32, HashSet<u16>> = HashMap::new();
    let mut protocols: HashMap<u32, HashSet<u8>> = HashMap::new();
    for flow in 0..flows {
        let edge = graph.flow_edge[flow] as usize;
        assert_eq!(
            graph.hosts[graph.edge_src[edge] as usize][..],
            columns.src[flow * 16..flow * 16 + 16]
        );
        assert_eq!(
            graph.hosts[graph.edge_dst[edge] as usize][..],
            columns.dst[flow * 16..flow * 16 + 16]
        );
        assert!(graph.edge_start_ms[edge] <= columns.start_ms[flow]);
        assert!(graph.edge_end_ms[edge] >= columns.end_ms[flow]);
        ports
            .entry(edge as u32)
            .or_default()
            .insert(columns.dst_port[flow]);
        protocols
            .entry(edge as u32)
            .or_default()
            .insert(columns.protocol[flow]);
    }
    for (edge, ports) in ports {
        assert_eq!(graph.edge_dst_ports[edge as usize] as usize, ports.len());
    }
    for (edge, protocols) in protocols {
        assert_eq!(
            graph.edge_protocols[edge as usize] as usize,
            protocols.len()
        );
    }
    for host in 0..graph.host_count() {
        for edge in graph.out_edges(host) {
            assert_eq!(graph.edge_src[edge] as usize, host);
        }
    }
}
