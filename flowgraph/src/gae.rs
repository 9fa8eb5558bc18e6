//! The inputs of the `flow-gae` model for one window, built the same way by the detector plugin
//! (in WebAssembly) and by `netassure eval` (natively): raw flow columns and host indexes; the
//! model makes its features itself.

use crate::{FlowSlices, HostGraph};

/// Columns per flow in [`GaeInputs::flows`].
pub const FLOW_COLUMNS: usize = 6;
/// Columns per host in [`GaeInputs::hosts`].
pub const HOST_COLUMNS: usize = 3;

/// What the model reconstructs of each flow, in the order of the columns of its `expected` and
/// `deviation` outputs (`[flows, TARGET_FEATURES.len()]`). `expected` is in natural units:
/// bytes, packets, bytes per packet, duration in ms; for each TCP flag bit the probability that
/// it is set; for `service` the probability of the flow's service (protocol and destination
/// port group) between two such hosts. `deviation` is the standardised (deviance) residual,
/// signed as observed − expected; a flow's score is the mean of its squared deviations.
pub const TARGET_FEATURES: [&str; 10] = [
    "bytes",
    "packets",
    "bytes_per_packet",
    "duration_ms",
    "tcp_fin",
    "tcp_syn",
    "tcp_rst",
    "tcp_psh",
    "tcp_ack",
    "service",
];

/// The four input tensors of `flow-gae`, row-major.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GaeInputs {
    /// `[flows, 6]`: bytes, packets, duration ms, protocol, TCP flags, destination port.
    pub flows: Vec<f32>,
    /// `[flows]`: source host index.
    pub src: Vec<i64>,
    /// `[flows]`: destination host index.
    pub dst: Vec<i64>,
    /// `[hosts, 3]`: flows sent, flows received, 1.0 for a private address.
    pub hosts: Vec<f32>,
}

impl GaeInputs {
    /// The inputs for the window `flows` whose host graph is `graph`.
    pub fn new(graph: &HostGraph, flows: &FlowSlices<'_>) -> GaeInputs {
        let n = flows.len().min(graph.flow_edge.len());
        let mut inputs = GaeInputs {
            flows: Vec::with_capacity(n * FLOW_COLUMNS),
            src: Vec::with_capacity(n),
            dst: Vec::with_capacity(n),
            hosts: Vec::with_capacity(graph.host_count() * HOST_COLUMNS),
        };
        for flow in 0..n {
            let duration = flows.end_ms[flow].saturating_sub(flows.start_ms[flow]);
            inputs.flows.extend_from_slice(&[
                flows.bytes[flow] as f32,
                flows.packets[flow] as f32,
                duration as f32,
                f32::from(flows.protocol[flow]),
                f32::from(flows.tcp_flags[flow]),
                f32::from(flows.dst_port[flow]),
            ]);
            let edge = graph.flow_edge[flow] as usize;
            inputs.src.push(i64::from(graph.edge_src[edge]));
            inputs.dst.push(i64::from(graph.edge_dst[edge]));
        }
        for host in 0..graph.host_count() {
            inputs.hosts.extend_from_slice(&[
                graph.host_flows_out[host] as f32,
                graph.host_flows_in[host] as f32,
                if is_private(&graph.hosts[host]) {
                    1.0
                } else {
                    0.0
                },
            ]);
        }
        inputs
    }

    /// Number of flows.
    pub fn flow_count(&self) -> usize {
        self.src.len()
    }

    /// Number of hosts.
    pub fn host_count(&self) -> usize {
        self.hosts.len() / HOST_COLUMNS
    }
}

/// RFC 1918 IPv4 (as IPv4-mapped IPv6) and IPv6 unique-local addresses.
pub fn is_private(address: &[u8; 16]) -> bool {
    let v6 = std::net::Ipv6Addr::from(*address);
    match v6.to_ipv4_mapped() {
        Some(v4) => v4.is_private(),
        None => (address[0] & 0xfe) == 0xfc,
    }
}
