//! Node centralities, normalised as networkx normalises them on an undirected graph:
//! degree, betweenness (Brandes, exact or from sampled sources), edge betweenness
//! (rustworkx-core), closeness (Wasserman–Faust improved, as networkx's default), eigenvector
//! (rustworkx-core's power iteration on A + I, as networkx) and PageRank (networkx's power
//! iteration with dangling nodes spread uniformly).
//!
//! Betweenness and closeness run on flat arrays here rather than through rustworkx-core: its
//! versions allocate a predecessor `Vec` per node per source (betweenness) and a `HashMap` per
//! source (closeness), which on the 10,000-node test topology made them 3.8× and ~10× slower
//! natively and slower still in wasm (see BENCHMARKS.md); the results are the same (both are
//! checked against networkx). `betweenness_rustworkx` and `closeness_rustworkx` keep the
//! rustworkx-core versions for comparison.

use std::collections::VecDeque;

use rustworkx_core::centrality as rx;

use crate::Network;

/// Run rustworkx-core single-threaded: a plugin has one thread, and the host's native
/// comparison must do the same work.
const SINGLE_THREADED: usize = usize::MAX;

/// Degree centrality: degree / (n - 1).
pub fn degree(network: &Network) -> Vec<f64> {
    let n = network.node_count();
    let scale = if n > 1 { 1.0 / (n - 1) as f64 } else { 0.0 };
    network
        .graph
        .node_indices()
        .map(|node| network.graph.edges(node).count() as f64 * scale)
        .collect()
}

/// Exact betweenness centrality, normalised by (n - 1)(n - 2).
pub fn betweenness(network: &Network) -> Vec<f64> {
    let n = network.node_count();
    betweenness_sampled(network, n, 0)
}

/// Exact betweenness centrality by rustworkx-core (same results as [`betweenness`], slower).
pub fn betweenness_rustworkx(network: &Network) -> Vec<f64> {
    rx::betweenness_centrality(&network.graph, false, true, SINGLE_THREADED)
        .into_iter()
        .map(|score| score.unwrap_or(0.0))
        .collect()
}

/// Betweenness estimated from `samples` source nodes drawn with `seed` (Brandes–Pich), scaled
/// like networkx's `betweenness_centrality(G, k=samples)`: the exact value in expectation.
/// With `samples >= n` it is the exact betweenness.
pub fn betweenness_sampled(network: &Network, samples: usize, seed: u64) -> Vec<f64> {
    let n = network.node_count();
    if n <= 2 {
        return vec![0.0; n];
    }
    let adjacency = network.adjacency();
    let mut sources: Vec<u32> = (0..n as u32).collect();
    let samples = samples.clamp(1, n);
    if samples < n {
        let mut rng = fastrand::Rng::with_seed(seed);
        for i in 0..samples {
            let j = rng.usize(i..n);
            sources.swap(i, j);
        }
        sources.truncate(samples);
    }
    let raw = brandes(&adjacency, &sources);
    let scale = n as f64 / samples as f64 / ((n - 1) * (n - 2)) as f64;
    raw.into_iter().map(|score| score * scale).collect()
}

/// Unnormalised betweenness from `sources` (both directions of each pair counted, as
/// networkx before rescaling).
pub fn brandes(adjacency: &[Vec<u32>], sources: &[u32]) -> Vec<f64> {
    let n = adjacency.len();
    let mut betweenness = vec![0.0; n];
    let mut sigma = vec![0.0f64; n];
    let mut distance = vec![-1i64; n];
    let mut delta = vec![0.0f64; n];
    let mut order = Vec::with_capacity(n);
    let mut queue = VecDeque::with_capacity(n);
    for &source in sources {
        sigma.fill(0.0);
        distance.fill(-1);
        delta.fill(0.0);
        order.clear();
        let s = source as usize;
        sigma[s] = 1.0;
        distance[s] = 0;
        queue.push_back(s);
        while let Some(v) = queue.pop_front() {
            order.push(v);
            for &w in &adjacency[v] {
                let w = w as usize;
                if distance[w] < 0 {
                    distance[w] = distance[v] + 1;
                    queue.push_back(w);
                }
                if distance[w] == distance[v] + 1 {
                    sigma[w] += sigma[v];
                }
            }
        }
        for &w in order.iter().rev() {
            for &v in &adjacency[w] {
                let v = v as usize;
                if distance[v] == distance[w] - 1 {
                    delta[v] += sigma[v] / sigma[w] * (1.0 + delta[w]);
                }
            }
            if w != s {
                betweenness[w] += delta[w];
            }
        }
    }
    betweenness
}

/// Unnormalised betweenness ("load" in the Motter–Lai model): the number of shortest paths
/// between ordered pairs of other nodes through each node, split over equal paths.
pub fn load(network: &Network) -> Vec<f64> {
    let sources: Vec<u32> = (0..network.node_count() as u32).collect();
    brandes(&network.adjacency(), &sources)
}

/// Edge betweenness, normalised by n (n - 1), per edge in `network.graph` edge order.
pub fn edge_betweenness(network: &Network) -> Vec<f64> {
    rx::edge_betweenness_centrality(&network.graph, true, SINGLE_THREADED)
        .into_iter()
        .map(|score| score.unwrap_or(0.0))
        .collect()
}

/// Closeness centrality with the Wasserman–Faust correction for disconnected graphs: for a
/// node reaching `r` nodes (itself included) at total distance `d`, `(r − 1) / d` scaled by
/// `(r − 1) / (n − 1)`; 0 for a node that reaches nothing.
pub fn closeness(network: &Network) -> Vec<f64> {
    let adjacency = network.adjacency();
    let n = adjacency.len();
    let mut distance = vec![u32::MAX; n];
    let mut queue = VecDeque::with_capacity(n);
    let mut reached = Vec::with_capacity(n);
    (0..n)
        .map(|source| {
            distance[source] = 0;
            queue.push_back(source);
            let mut total: u64 = 0;
            while let Some(v) = queue.pop_front() {
                reached.push(v);
                total += u64::from(distance[v]);
                for &w in &adjacency[v] {
                    let w = w as usize;
                    if distance[w] == u32::MAX {
                        distance[w] = distance[v] + 1;
                        queue.push_back(w);
                    }
                }
            }
            let reach = reached.len();
            for v in reached.drain(..) {
                distance[v] = u32::MAX;
            }
            if reach <= 1 || total == 0 {
                return 0.0;
            }
            let others = (reach - 1) as f64;
            others / total as f64 * others / (n - 1) as f64
        })
        .collect()
}

/// Closeness by rustworkx-core (same results as [`closeness`], slower).
pub fn closeness_rustworkx(network: &Network) -> Vec<f64> {
    rx::closeness_centrality(&network.graph, true, SINGLE_THREADED)
        .into_iter()
        .map(|score| score.unwrap_or(0.0))
        .collect()
}

/// Why an iterative centrality gave no answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NotConverged {
    /// No convergence within this many iterations.
    Iterations(usize),
    /// The graph has no edges: the eigenvector is undefined.
    NoEdges,
}

impl std::fmt::Display for NotConverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotConverged::Iterations(n) => write!(f, "did not converge within {n} iterations"),
            NotConverged::NoEdges => write!(f, "the graph has no edges"),
        }
    }
}

/// Eigenvector centrality (unit Euclidean norm), iterating until the summed change is below
/// `n * tolerance`.
pub fn eigenvector(
    network: &Network,
    max_iterations: usize,
    tolerance: f64,
) -> Result<Vec<f64>, NotConverged> {
    if network.edge_count() == 0 {
        return Err(NotConverged::NoEdges);
    }
    let result = rx::eigenvector_centrality(
        &network.graph,
        |_| Ok::<f64, std::convert::Infallible>(1.0),
        Some(max_iterations),
        Some(tolerance),
    );
    match result {
        Ok(Some(scores)) => Ok(scores),
        Ok(None) => Err(NotConverged::Iterations(max_iterations)),
        Err(never) => match never {},
    }
}

/// PageRank with damping `alpha`, iterating until the summed change is below `n * tolerance`.
/// petgraph's `page_rank` is not used: it runs a fixed number of rounds in quadratic time per
/// round and spreads dangling nodes differently from networkx.
pub fn pagerank(
    network: &Network,
    alpha: f64,
    max_iterations: usize,
    tolerance: f64,
) -> Result<Vec<f64>, NotConverged> {
    let adjacency = network.adjacency();
    let n = adjacency.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let uniform = 1.0 / n as f64;
    let mut rank = vec![uniform; n];
    let mut next = vec![0.0; n];
    for _ in 0..max_iterations {
        let dangling: f64 = adjacency
            .iter()
            .zip(&rank)
            .filter(|(neighbours, _)| neighbours.is_empty())
            .map(|(_, r)| r)
            .sum();
        let base = (1.0 - alpha) * uniform + alpha * dangling * uniform;
        next.fill(base);
        for (v, neighbours) in adjacency.iter().enumerate() {
            if neighbours.is_empty() {
                continue;
            }
            let share = alpha * rank[v] / neighbours.len() as f64;
            for &w in neighbours {
                next[w as usize] += share;
            }
        }
        let change: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
        std::mem::swap(&mut rank, &mut next);
        if change < n as f64 * tolerance {
            return Ok(rank);
        }
    }
    Err(NotConverged::Iterations(max_iterations))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(n: u32) -> Network {
        Network::from_links(n as usize, (0..n - 1).map(|i| (i, i + 1)))
    }

    #[test]
    fn path_graph_centralities_match_hand_computed_values() {
        let network = path(3);
        assert_eq!(degree(&network), vec![0.5, 1.0, 0.5]);
        assert_eq!(betweenness(&network), vec![0.0, 1.0, 0.0]);
        let closeness = closeness(&network);
        assert!((closeness[0] - 2.0 / 3.0).abs() < 1e-12 && (closeness[1] - 1.0).abs() < 1e-12);
        let ranks = pagerank(&network, 0.85, 1000, 1e-12).unwrap();
        assert!((ranks.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(ranks[1] > ranks[0] && (ranks[0] - ranks[2]).abs() < 1e-12);
    }

    #[test]
    fn sampling_every_source_is_exact_and_fewer_sources_estimate_it() {
        let network = Network::from_links(
            8,
            [
                (0, 1),
                (1, 2),
                (2, 3),
                (3, 0),
                (3, 4),
                (4, 5),
                (5, 6),
                (6, 7),
                (7, 4),
            ],
        );
        let exact = betweenness(&network);
        let all = betweenness_sampled(&network, 8, 1);
        for (a, b) in exact.iter().zip(&all) {
            assert!((a - b).abs() < 1e-12, "{exact:?} vs {all:?}");
        }
        let estimate = betweenness_sampled(&network, 4, 7);
        assert_eq!(estimate.len(), 8);
        assert!(
            estimate
                .iter()
                .all(|score| score.is_finite() && *score >= 0.0)
        );
    }

    #[test]
    fn flat_array_versions_equal_rustworkx_core() {
        let network = Network::from_links(
            9,
            [
                (0, 1),
                (1, 2),
                (2, 0),
                (2, 3),
                (3, 4),
                (4, 5),
                (5, 3),
                (6, 7),
            ],
        );
        for (ours, theirs) in [
            (betweenness(&network), betweenness_rustworkx(&network)),
            (closeness(&network), closeness_rustworkx(&network)),
        ] {
            for (a, b) in ours.iter().zip(&theirs) {
                assert!((a - b).abs() < 1e-12, "{ours:?} vs {theirs:?}");
            }
        }
    }

    #[test]
    fn eigenvector_needs_edges() {
        let empty = Network::from_links(3, []);
        assert_eq!(eigenvector(&empty, 100, 1e-9), Err(NotConverged::NoEdges));
        let triangle = Network::from_links(3, [(0, 1), (1, 2), (2, 0)]);
        let scores = eigenvector(&triangle, 1000, 1e-12).unwrap();
        assert!(scores.iter().all(|s| (s - 1.0 / 3f64.sqrt()).abs() < 1e-9));
    }
}
