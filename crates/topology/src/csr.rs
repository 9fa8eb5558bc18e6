//! Compressed-sparse-row export of a snapshot, built in one pass over nodes and links.

use std::collections::HashMap;

use petgraph::visit::EdgeRef;

use super::TopologyGraph;

/// A snapshot in CSR form (see the `graph` interface of the WIT for the layout).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Csr {
    /// Node ids; the position is the index.
    pub node_ids: Vec<String>,
    /// `node_ids.len() + 1` offsets into the per-link vectors.
    pub offsets: Vec<u32>,
    /// Target node index per link.
    pub targets: Vec<u32>,
    /// Link id per link.
    pub link_ids: Vec<String>,
    /// Capacity per link (0 when unknown).
    pub capacity_bps: Vec<u64>,
    /// Utilisation per link (NaN when unknown).
    pub utilisation: Vec<f64>,
}

impl TopologyGraph {
    /// The graph in CSR form, built in one pass over nodes and links.
    pub fn to_csr(&self) -> Csr {
        let graph = self.petgraph();
        let node_count = graph.node_count();
        let link_count = graph.edge_count();
        let mut position = HashMap::with_capacity(node_count);
        let mut csr = Csr {
            node_ids: Vec::with_capacity(node_count),
            offsets: Vec::with_capacity(node_count + 1),
            targets: Vec::with_capacity(link_count),
            link_ids: Vec::with_capacity(link_count),
            capacity_bps: Vec::with_capacity(link_count),
            utilisation: Vec::with_capacity(link_count),
        };
        for (i, index) in graph.node_indices().enumerate() {
            position.insert(index, i as u32);
            csr.node_ids.push(graph[index].id.to_string());
        }
        csr.offsets.push(0);
        for index in graph.node_indices() {
            for edge in graph.edges(index) {
                let link = edge.weight();
                csr.targets.push(position[&edge.target()]);
                csr.link_ids.push(link.id.to_string());
                csr.capacity_bps.push(link.capacity_bps.unwrap_or(0));
                csr.utilisation.push(link.utilisation.unwrap_or(f64::NAN));
            }
            csr.offsets.push(csr.targets.len() as u32);
        }
        csr
    }
}
