//! Load–capacity cascades after Motter and Lai (2002): a node's load is its betweenness (the
//! shortest paths through it), its capacity `(1 + tolerance)` times its initial load. After
//! the initial failure, loads are recomputed on what is left; every node now over capacity
//! fails, and so on until no node is over capacity.

use crate::Network;
use crate::centrality::brandes;
use crate::connectivity::components;

/// The failures, step by step.
#[derive(Debug, Clone, PartialEq)]
pub struct Cascade {
    /// Step 0 is the initial failure; step k the nodes over capacity after step k − 1.
    pub steps: Vec<Vec<u32>>,
    /// Nodes in the largest surviving component over all nodes (Motter–Lai's G).
    pub largest_component_fraction: f64,
}

/// How loads are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loads {
    /// From every node: exact betweenness.
    Exact,
    /// From this many sources drawn with this seed (the same sources every step).
    Sampled(usize, u64),
}

/// Run a cascade from `initial` (when empty: the most loaded node).
pub fn motter_lai(network: &Network, tolerance: f64, initial: &[u32], loads: Loads) -> Cascade {
    let n = network.node_count();
    let sources: Vec<u32> = match loads {
        Loads::Exact => (0..n as u32).collect(),
        Loads::Sampled(samples, seed) => {
            let mut all: Vec<u32> = (0..n as u32).collect();
            fastrand::Rng::with_seed(seed).shuffle(&mut all);
            all.truncate(samples.clamp(1, n.max(1)));
            all
        }
    };
    let initial_load = brandes(&network.adjacency(), &sources);
    let capacity: Vec<f64> = initial_load.iter().map(|l| (1.0 + tolerance) * l).collect();
    let first: Vec<u32> = if initial.is_empty() {
        initial_load
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
            .map(|(node, _)| vec![node as u32])
            .unwrap_or_default()
    } else {
        initial.to_vec()
    };
    let mut failed = vec![false; n];
    let mut failed_list: Vec<u32> = Vec::new();
    let mut steps = Vec::new();
    let mut step = first;
    while !step.is_empty() {
        for &node in &step {
            failed[node as usize] = true;
        }
        failed_list.extend(&step);
        steps.push(step);
        let remaining = network.without(&failed_list, &[]);
        let live_sources: Vec<u32> = sources
            .iter()
            .copied()
            .filter(|&s| !failed[s as usize])
            .collect();
        let load = brandes(&remaining.adjacency(), &live_sources);
        step = (0..n)
            .filter(|&node| !failed[node] && load[node] > capacity[node] + 1e-9)
            .map(|node| node as u32)
            .collect();
    }
    let remaining = network.without(&failed_list, &[]);
    let largest = components(&remaining)
        .into_iter()
        .filter(|component| !failed[component[0] as usize])
        .map(|component| component.len())
        .max()
        .unwrap_or(0);
    Cascade {
        steps,
        largest_component_fraction: if n == 0 {
            0.0
        } else {
            largest as f64 / n as f64
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two triangles {0,1,2} and {4,5,6} joined through hub 3 and, more weakly, a path 2-7-4.
    fn two_routes() -> Network {
        Network::from_links(
            8,
            [
                (0, 1),
                (1, 2),
                (2, 0),
                (4, 5),
                (5, 6),
                (6, 4),
                (2, 3),
                (3, 4),
                (2, 7),
                (7, 4),
            ],
        )
    }

    #[test]
    fn losing_one_of_two_routes_overloads_the_other_without_tolerance() {
        let network = two_routes();
        // Node 3 and node 7 share the inter-triangle paths; failing 3 doubles 7's load.
        let tight = motter_lai(&network, 0.0, &[3], Loads::Exact);
        assert_eq!(tight.steps[0], vec![3]);
        assert_eq!(
            tight.steps[1],
            vec![7],
            "7 takes 3's paths and is over capacity"
        );
        let loose = motter_lai(&network, 1.5, &[3], Loads::Exact);
        assert_eq!(loose.steps, vec![vec![3]], "enough headroom: no cascade");
        assert!((loose.largest_component_fraction - 7.0 / 8.0).abs() < 1e-12);
    }

    #[test]
    fn without_an_initial_failure_the_most_loaded_node_goes_first() {
        let cascade = motter_lai(&two_routes(), 10.0, &[], Loads::Exact);
        assert_eq!(cascade.steps.len(), 1);
        assert!(cascade.steps[0] == vec![2] || cascade.steps[0] == vec![4]);
    }
}
