//! Connected components, articulation points and bridges — the single points of failure —
//! from rustworkx-core.

use petgraph::graph::NodeIndex;
use rustworkx_core::connectivity as rx;

use crate::Network;

/// Connected components as sorted node index lists, largest first (ties by first node).
pub fn components(network: &Network) -> Vec<Vec<u32>> {
    let mut components: Vec<Vec<u32>> = rx::connected_components(&network.graph)
        .into_iter()
        .map(|component| {
            let mut nodes: Vec<u32> = component.into_iter().map(|n| n.index() as u32).collect();
            nodes.sort_unstable();
            nodes
        })
        .collect();
    components.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    components
}

/// Nodes whose removal disconnects their component, ascending.
pub fn articulation_points(network: &Network) -> Vec<u32> {
    let mut points: Vec<u32> = rx::articulation_points(&network.graph, None)
        .into_iter()
        .map(|n| n.index() as u32)
        .collect();
    points.sort_unstable();
    points
}

/// Links whose failure disconnects their component, as CSR link positions, ascending. Two
/// nodes joined by parallel links are never a bridge: one link can fail and the other carry on.
pub fn bridges(network: &Network) -> Vec<u32> {
    let mut links: Vec<u32> = rx::bridges(&network.graph)
        .into_iter()
        .filter_map(|(a, b)| {
            let edge = network
                .graph
                .find_edge(NodeIndex::new(a.index()), NodeIndex::new(b.index()))?;
            let info = network.graph[edge];
            (info.multiplicity == 1).then_some(info.link)
        })
        .collect();
    links.sort_unstable();
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_on_a_triangle_has_one_cut_node_and_one_bridge() {
        // triangle 0-1-2, tail 2-3, isolated 4
        let network = Network::from_links(5, [(0, 1), (1, 2), (2, 0), (2, 3)]);
        assert_eq!(components(&network), vec![vec![0, 1, 2, 3], vec![4]]);
        assert_eq!(articulation_points(&network), vec![2]);
        assert_eq!(bridges(&network), vec![3]);
        let doubled = Network::from_links(5, [(0, 1), (1, 2), (2, 0), (2, 3), (3, 2)]);
        assert_eq!(
            bridges(&doubled),
            Vec::<u32>::new(),
            "a doubled tail is no bridge"
        );
    }
}
