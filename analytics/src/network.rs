//! [`Network`]: the undirected simple graph every algorithm runs on, built from the
//! compressed-sparse-row arrays the host exports (`graph.to-csr`).

use std::collections::HashMap;

use petgraph::graph::{EdgeIndex, NodeIndex, UnGraph};

/// What an edge of a [`Network`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// Position of the first topology link between the two nodes in the CSR link order.
    pub link: u32,
    /// How many topology links join the two nodes (parallel links, either direction).
    pub multiplicity: u32,
}

/// An undirected simple graph over nodes `0..n`; node `i` is CSR node `i`.
#[derive(Debug, Clone)]
pub struct Network {
    /// The petgraph graph; node weights are unused, edge weights say which links they stand for.
    pub graph: UnGraph<(), Edge>,
}

impl Network {
    /// Build from CSR arrays: `offsets` (node count + 1 entries) and `targets` (one per link).
    /// Link `j` of node `i` is the link at position `offsets[i] + j`.
    pub fn from_csr(offsets: &[u32], targets: &[u32]) -> Network {
        let node_count = offsets.len().saturating_sub(1);
        let links = offsets.windows(2).enumerate().flat_map(|(source, range)| {
            (range[0]..range[1]).map(move |position| (source as u32, targets[position as usize]))
        });
        Network::from_links(node_count, links)
    }

    /// Build from links given as `(source, target)` node indices, in link order.
    pub fn from_links(node_count: usize, links: impl IntoIterator<Item = (u32, u32)>) -> Network {
        let mut graph: UnGraph<(), Edge> = UnGraph::with_capacity(node_count, 0);
        for _ in 0..node_count {
            graph.add_node(());
        }
        let mut seen: HashMap<(u32, u32), EdgeIndex> = HashMap::new();
        for (position, (a, b)) in links.into_iter().enumerate() {
            if a == b || a as usize >= node_count || b as usize >= node_count {
                continue;
            }
            let key = (a.min(b), a.max(b));
            match seen.get(&key) {
                Some(&edge) => graph[edge].multiplicity += 1,
                None => {
                    let edge = graph.add_edge(
                        NodeIndex::new(a as usize),
                        NodeIndex::new(b as usize),
                        Edge {
                            link: position as u32,
                            multiplicity: 1,
                        },
                    );
                    seen.insert(key, edge);
                }
            }
        }
        Network { graph }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of edges (node pairs joined by at least one link).
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Neighbours of every node as index lists, sorted ascending: the adjacency the hand-written
    /// algorithms (PageRank, Louvain, label propagation, BFS) iterate.
    pub fn adjacency(&self) -> Vec<Vec<u32>> {
        let mut adjacency = vec![Vec::new(); self.node_count()];
        for edge in self.graph.raw_edges() {
            let (a, b) = (edge.source().index(), edge.target().index());
            adjacency[a].push(b as u32);
            adjacency[b].push(a as u32);
        }
        for neighbours in &mut adjacency {
            neighbours.sort_unstable();
        }
        adjacency
    }

    /// The network without the given nodes' edges and the given edges (node indices are kept,
    /// so results stay aligned with the CSR).
    pub fn without(&self, nodes: &[u32], edges: &[(u32, u32)]) -> Network {
        let mut removed_node = vec![false; self.node_count()];
        for &node in nodes {
            if let Some(flag) = removed_node.get_mut(node as usize) {
                *flag = true;
            }
        }
        let removed_edge: std::collections::HashSet<(u32, u32)> =
            edges.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
        let mut graph = UnGraph::with_capacity(self.node_count(), self.edge_count());
        for _ in 0..self.node_count() {
            graph.add_node(());
        }
        for edge in self.graph.raw_edges() {
            let (a, b) = (edge.source().index() as u32, edge.target().index() as u32);
            if removed_node[a as usize]
                || removed_node[b as usize]
                || removed_edge.contains(&(a.min(b), a.max(b)))
            {
                continue;
            }
            graph.add_edge(edge.source(), edge.target(), edge.weight);
        }
        Network { graph }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_links_and_self_loops_fold_into_one_simple_edge() {
        // 0-1 twice (both directions), 1-2, 2-2 self loop.
        let network = Network::from_links(3, [(0, 1), (1, 0), (1, 2), (2, 2)]);
        assert_eq!(network.edge_count(), 2);
        let first = network.graph.raw_edges()[0].weight;
        assert_eq!(
            first,
            Edge {
                link: 0,
                multiplicity: 2
            }
        );
        assert_eq!(network.adjacency(), vec![vec![1], vec![0, 2], vec![1]]);
    }

    #[test]
    fn csr_positions_are_link_positions() {
        // node 0 → 1, node 1 → 2, node 2 → (none)
        let network = Network::from_csr(&[0, 1, 2, 2], &[1, 2]);
        let links: Vec<u32> = network
            .graph
            .raw_edges()
            .iter()
            .map(|e| e.weight.link)
            .collect();
        assert_eq!(links, vec![0, 1]);
        let cut = network.without(&[], &[(2, 1)]);
        assert_eq!(cut.edge_count(), 1);
        assert_eq!(cut.node_count(), 3);
    }
}
