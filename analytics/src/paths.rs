//! Shortest paths by hop count: one path (breadth-first), and the k shortest simple paths
//! (Yen's algorithm, as networkx's `shortest_simple_paths` without weights). Ties go to the
//! path whose node sequence is smallest, so results are deterministic.

use std::collections::{BTreeSet, HashSet, VecDeque};

/// A shortest path from `source` to `target` avoiding `blocked_nodes` and `blocked_edges`
/// (unordered pairs), as node indices; among equal lengths, the one through the lowest indices.
pub fn shortest_path(
    adjacency: &[Vec<u32>],
    source: u32,
    target: u32,
    blocked_nodes: &[bool],
    blocked_edges: &HashSet<(u32, u32)>,
) -> Option<Vec<u32>> {
    let n = adjacency.len();
    if source as usize >= n || target as usize >= n || blocked_nodes[source as usize] {
        return None;
    }
    // Search backwards from the target so that walking forwards from the source can pick the
    // lowest next hop on a shortest path at every step.
    let mut distance = vec![u32::MAX; n];
    distance[target as usize] = 0;
    let mut queue = VecDeque::from([target]);
    while let Some(v) = queue.pop_front() {
        if v == source {
            break;
        }
        for &w in &adjacency[v as usize] {
            if distance[w as usize] == u32::MAX
                && !blocked_nodes[w as usize]
                && !blocked_edges.contains(&(v.min(w), v.max(w)))
            {
                distance[w as usize] = distance[v as usize] + 1;
                queue.push_back(w);
            }
        }
    }
    if distance[source as usize] == u32::MAX {
        return None;
    }
    let mut path = vec![source];
    let mut at = source;
    while at != target {
        at = *adjacency[at as usize].iter().find(|&&w| {
            distance[w as usize] == distance[at as usize] - 1
                && !blocked_edges.contains(&(at.min(w), at.max(w)))
        })?;
        path.push(at);
    }
    Some(path)
}

/// Up to `k` shortest simple paths from `source` to `target`, shortest first.
pub fn k_shortest_paths(
    adjacency: &[Vec<u32>],
    source: u32,
    target: u32,
    k: usize,
) -> Vec<Vec<u32>> {
    let n = adjacency.len();
    let none_blocked = vec![false; n];
    let Some(first) = shortest_path(adjacency, source, target, &none_blocked, &HashSet::new())
    else {
        return Vec::new();
    };
    let mut found = vec![first];
    // Candidates ordered by (length, node sequence).
    let mut candidates: BTreeSet<(usize, Vec<u32>)> = BTreeSet::new();
    while found.len() < k {
        let last = found.last().expect("one path").clone();
        for spur_at in 0..last.len() - 1 {
            let root = &last[..=spur_at];
            let mut blocked_edges = HashSet::new();
            for path in &found {
                if path.len() > spur_at + 1 && &path[..=spur_at] == root {
                    let (a, b) = (path[spur_at], path[spur_at + 1]);
                    blocked_edges.insert((a.min(b), a.max(b)));
                }
            }
            let mut blocked_nodes = vec![false; n];
            for &node in &root[..spur_at] {
                blocked_nodes[node as usize] = true;
            }
            if let Some(spur) = shortest_path(
                adjacency,
                last[spur_at],
                target,
                &blocked_nodes,
                &blocked_edges,
            ) {
                let mut path = root[..spur_at].to_vec();
                path.extend(spur);
                if !found.contains(&path) {
                    candidates.insert((path.len(), path));
                }
            }
        }
        match candidates.pop_first() {
            Some((_, path)) => found.push(path),
            None => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Network;

    #[test]
    fn a_square_with_a_diagonal_has_paths_of_two_then_three_hops() {
        // 0-1-3, 0-2-3, 1-2
        let adjacency =
            Network::from_links(4, [(0, 1), (1, 3), (0, 2), (2, 3), (1, 2)]).adjacency();
        let paths = k_shortest_paths(&adjacency, 0, 3, 10);
        assert_eq!(
            paths,
            vec![
                vec![0, 1, 3],
                vec![0, 2, 3],
                vec![0, 1, 2, 3],
                vec![0, 2, 1, 3]
            ]
        );
        assert!(k_shortest_paths(&adjacency, 0, 0, 3) == vec![vec![0]]);
    }
}
