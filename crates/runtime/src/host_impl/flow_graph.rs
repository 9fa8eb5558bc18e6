//! `flow-graph`: the host graph of the flow window being handled, built once per window by the
//! host (see [`DeliveredEvent::window_graph`](crate::DeliveredEvent::window_graph)) and
//! copied into each plugin that asks; and its conversations (0.1.2), likewise.

use crate::PluginState;
use crate::bindings::flow_graph::{Conversations, Host, HostGraph};

impl Host for PluginState {
    fn window_graph(&mut self) -> wasmtime::Result<Option<HostGraph>> {
        let Some(graph) = self
            .delivering
            .as_ref()
            .and_then(|delivered| delivered.window_graph())
        else {
            return Ok(None);
        };
        Ok(Some(HostGraph {
            hosts: graph.hosts.as_flattened().to_vec(),
            host_bytes_out: graph.host_bytes_out.clone(),
            host_bytes_in: graph.host_bytes_in.clone(),
            host_packets_out: graph.host_packets_out.clone(),
            host_packets_in: graph.host_packets_in.clone(),
            host_flows_out: graph.host_flows_out.clone(),
            host_flows_in: graph.host_flows_in.clone(),
            out_offsets: graph.out_offsets.clone(),
            edge_src: graph.edge_src.clone(),
            edge_dst: graph.edge_dst.clone(),
            edge_flows: graph.edge_flows.clone(),
            edge_bytes: graph.edge_bytes.clone(),
            edge_packets: graph.edge_packets.clone(),
            edge_dst_ports: graph.edge_dst_ports.clone(),
            edge_protocols: graph.edge_protocols.clone(),
            edge_tcp_flags: graph.edge_tcp_flags.clone(),
            edge_start_ms: graph.edge_start_ms.clone(),
            edge_end_ms: graph.edge_end_ms.clone(),
            flow_edge: graph.flow_edge.clone(),
        }))
    }

    fn window_conversations(&mut self) -> wasmtime::Result<Option<Conversations>> {
        let Some(conversations) = self
            .delivering
            .as_ref()
            .and_then(|delivered| delivered.conversations())
        else {
            return Ok(None);
        };
        Ok(Some(Conversations {
            reverse: conversations.reverse.clone(),
            initiator: conversations.initiator.clone(),
            unreachable: conversations.unreachable.clone(),
        }))
    }
}
