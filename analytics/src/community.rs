//! Community detection: Louvain (Blondel et al., multi-level modularity optimisation, as
//! networkx's `louvain_communities`) and semi-synchronous label propagation (Cordasco and
//! Gargano, as networkx's `label_propagation_communities`), and modularity to judge them.
//! rustworkx-core has neither, so both are written here on the plain adjacency.

use std::collections::HashMap;

use crate::Network;

/// Communities as lists of node indices: each sorted, the list sorted by first node.
pub type Communities = Vec<Vec<u32>>;

/// A weighted graph of one Louvain level: node `i`'s neighbours with edge weights, and the
/// weight of its self-loop (edges folded inside an aggregated community).
struct Level {
    neighbours: Vec<Vec<(usize, f64)>>,
    self_loops: Vec<f64>,
}

impl Level {
    fn from_network(network: &Network) -> Level {
        let neighbours = network
            .adjacency()
            .into_iter()
            .map(|list| list.into_iter().map(|w| (w as usize, 1.0)).collect())
            .collect();
        Level {
            neighbours,
            self_loops: vec![0.0; network.node_count()],
        }
    }

    fn len(&self) -> usize {
        self.neighbours.len()
    }

    /// Weighted degree; a self-loop counts twice, as networkx counts it.
    fn degree(&self, node: usize) -> f64 {
        self.neighbours[node].iter().map(|(_, w)| w).sum::<f64>() + 2.0 * self.self_loops[node]
    }

    /// The graph with each community folded into one node.
    fn aggregate(&self, community: &[usize], count: usize) -> Level {
        let mut self_loops = vec![0.0; count];
        let mut weights: Vec<HashMap<usize, f64>> = vec![HashMap::new(); count];
        for node in 0..self.len() {
            let c = community[node];
            self_loops[c] += self.self_loops[node];
            for &(other, weight) in &self.neighbours[node] {
                let d = community[other];
                if c == d {
                    // Each internal edge is seen from both ends.
                    self_loops[c] += weight / 2.0;
                } else {
                    *weights[c].entry(d).or_default() += weight;
                }
            }
        }
        let neighbours = weights
            .into_iter()
            .map(|map| {
                let mut list: Vec<(usize, f64)> = map.into_iter().collect();
                list.sort_unstable_by_key(|(other, _)| *other);
                list
            })
            .collect();
        Level {
            neighbours,
            self_loops,
        }
    }
}

/// Louvain communities maximising modularity at `resolution`; node visiting order is shuffled
/// with `seed`; levels stop when modularity gains less than `threshold`.
pub fn louvain(network: &Network, resolution: f64, seed: u64, threshold: f64) -> Communities {
    let n = network.node_count();
    let mut members: Vec<Vec<u32>> = (0..n as u32).map(|node| vec![node]).collect();
    let total_weight = network.edge_count() as f64;
    if total_weight == 0.0 {
        return sorted(members);
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut level = Level::from_network(network);
    let mut modularity_now = level_modularity(
        &level,
        &(0..n).collect::<Vec<_>>(),
        resolution,
        total_weight,
    );
    loop {
        let (community, count, moved) = one_level(&level, resolution, total_weight, &mut rng);
        if !moved {
            break;
        }
        let gained = level_modularity(&level, &community, resolution, total_weight);
        let mut merged: Vec<Vec<u32>> = vec![Vec::new(); count];
        for (node, group) in members.into_iter().enumerate() {
            merged[community[node]].extend(group);
        }
        members = merged;
        level = level.aggregate(&community, count);
        if gained - modularity_now <= threshold {
            break;
        }
        modularity_now = gained;
    }
    sorted(members)
}

/// Move nodes between neighbouring communities while modularity improves. Returns each node's
/// community (renumbered `0..count`), `count`, and whether any node moved.
fn one_level(
    level: &Level,
    resolution: f64,
    m: f64,
    rng: &mut fastrand::Rng,
) -> (Vec<usize>, usize, bool) {
    let n = level.len();
    let degrees: Vec<f64> = (0..n).map(|node| level.degree(node)).collect();
    let mut community: Vec<usize> = (0..n).collect();
    let mut totals = degrees.clone();
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let mut links_to: HashMap<usize, f64> = HashMap::new();
    let mut moved_any = false;
    loop {
        let mut moved = 0;
        for &node in &order {
            let own = community[node];
            let degree = degrees[node];
            links_to.clear();
            for &(other, weight) in &level.neighbours[node] {
                *links_to.entry(community[other]).or_default() += weight;
            }
            totals[own] -= degree;
            let gain = |c: usize, links: f64| links - resolution * totals[c] * degree / (2.0 * m);
            let mut best = own;
            let mut best_gain = gain(own, links_to.get(&own).copied().unwrap_or(0.0));
            let mut candidates: Vec<(usize, f64)> =
                links_to.iter().map(|(&c, &w)| (c, w)).collect();
            candidates.sort_unstable_by_key(|(c, _)| *c);
            for (c, links) in candidates {
                let candidate_gain = gain(c, links);
                if candidate_gain > best_gain + 1e-12 {
                    best = c;
                    best_gain = candidate_gain;
                }
            }
            totals[best] += degree;
            if best != own {
                community[node] = best;
                moved += 1;
            }
        }
        if moved == 0 {
            break;
        }
        moved_any = true;
    }
    let mut renumber = HashMap::new();
    for c in &mut community {
        let next = renumber.len();
        *c = *renumber.entry(*c).or_insert(next);
    }
    (community, renumber.len(), moved_any)
}

fn level_modularity(level: &Level, community: &[usize], resolution: f64, m: f64) -> f64 {
    let count = community.iter().max().map_or(0, |c| c + 1);
    let mut internal = vec![0.0; count];
    let mut degree = vec![0.0; count];
    for node in 0..level.len() {
        let c = community[node];
        internal[c] += level.self_loops[node];
        degree[c] += level.degree(node);
        for &(other, weight) in &level.neighbours[node] {
            if community[other] == c {
                internal[c] += weight / 2.0;
            }
        }
    }
    internal
        .iter()
        .zip(&degree)
        .map(|(l, d)| l / m - resolution * (d / (2.0 * m)).powi(2))
        .sum()
}

/// Newman modularity of a partition of `network` (every node in exactly one community).
pub fn modularity(network: &Network, communities: &[Vec<u32>], resolution: f64) -> f64 {
    let m = network.edge_count() as f64;
    if m == 0.0 {
        return 0.0;
    }
    let mut community = vec![0usize; network.node_count()];
    for (c, group) in communities.iter().enumerate() {
        for &node in group {
            community[node as usize] = c;
        }
    }
    level_modularity(&Level::from_network(network), &community, resolution, m)
}

/// Semi-synchronous label propagation: nodes are coloured greedily (largest degree first),
/// and each colour class adopts its neighbours' most frequent label in turn, a node keeping its
/// label on a tie it is part of and otherwise taking the highest tied label, until every node
/// holds a most frequent label of its neighbourhood.
pub fn label_propagation(network: &Network, max_rounds: usize) -> Communities {
    let adjacency = network.adjacency();
    let n = adjacency.len();
    let classes = colour_classes(&adjacency);
    let mut label: Vec<u32> = (0..n as u32).collect();
    let mut counts: HashMap<u32, u32> = HashMap::new();
    let mut most_frequent = |node: usize, label: &[u32]| -> Vec<u32> {
        counts.clear();
        for &other in &adjacency[node] {
            *counts.entry(label[other as usize]).or_default() += 1;
        }
        let best = counts.values().copied().max().unwrap_or(0);
        counts
            .iter()
            .filter(|(_, c)| **c == best)
            .map(|(&l, _)| l)
            .collect()
    };
    for _ in 0..max_rounds {
        let complete = (0..n)
            .filter(|&node| !adjacency[node].is_empty())
            .all(|node| most_frequent(node, &label).contains(&label[node]));
        if complete {
            break;
        }
        for class in &classes {
            for &node in class {
                if adjacency[node].is_empty() {
                    continue;
                }
                let best = most_frequent(node, &label);
                if !best.contains(&label[node]) {
                    label[node] = *best.iter().max().expect("a neighbour has a label");
                }
            }
        }
    }
    let mut groups: HashMap<u32, Vec<u32>> = HashMap::new();
    for (node, l) in label.into_iter().enumerate() {
        groups.entry(l).or_default().push(node as u32);
    }
    sorted(groups.into_values().collect())
}

/// Greedy colouring, largest degree first (ties in node order), as colour classes in colour
/// order, each in node order.
fn colour_classes(adjacency: &[Vec<u32>]) -> Vec<Vec<usize>> {
    let n = adjacency.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&node| std::cmp::Reverse(adjacency[node].len()));
    let mut colour = vec![usize::MAX; n];
    let mut used = Vec::new();
    for &node in &order {
        used.clear();
        used.extend(
            adjacency[node]
                .iter()
                .map(|&w| colour[w as usize])
                .filter(|&c| c != usize::MAX),
        );
        used.sort_unstable();
        used.dedup();
        let free = used
            .iter()
            .enumerate()
            .find(|(i, c)| i != *c)
            .map_or(used.len(), |(i, _)| i);
        colour[node] = free;
    }
    let count = colour.iter().max().map_or(0, |c| c + 1);
    let mut classes = vec![Vec::new(); count];
    for node in 0..n {
        classes[colour[node]].push(node);
    }
    classes
}

fn sorted(mut groups: Vec<Vec<u32>>) -> Communities {
    for group in &mut groups {
        group.sort_unstable();
    }
    groups.retain(|group| !group.is_empty());
    groups.sort_unstable();
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two 4-cliques joined by one edge.
    fn barbell() -> Network {
        let mut links = Vec::new();
        for base in [0, 4] {
            for a in 0..4 {
                for b in a + 1..4 {
                    links.push((base + a, base + b));
                }
            }
        }
        links.push((3, 4));
        Network::from_links(8, links)
    }

    #[test]
    fn louvain_and_label_propagation_split_the_barbell() {
        let network = barbell();
        let expected = vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]];
        assert_eq!(louvain(&network, 1.0, 42, 1e-7), expected);
        assert_eq!(label_propagation(&network, 100), expected);
        let q = modularity(&network, &expected, 1.0);
        // 2 communities of 6 internal edges out of 13, degree sums 13 each.
        let by_hand = 2.0 * (6.0 / 13.0 - (13.0f64 / 26.0).powi(2));
        assert!((q - by_hand).abs() < 1e-12, "{q} vs {by_hand}");
    }

    #[test]
    fn edgeless_graphs_are_singletons() {
        let network = Network::from_links(3, []);
        assert_eq!(
            louvain(&network, 1.0, 1, 1e-7),
            vec![vec![0], vec![1], vec![2]]
        );
        assert_eq!(label_propagation(&network, 10).len(), 3);
    }
}
