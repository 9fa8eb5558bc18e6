//! What-if: fail nodes and links, and see what is lost — node pairs that can no longer reach
//! each other, the groups cut off — and where the failed links' measured traffic goes: each
//! failed link's load (utilisation × capacity) follows the shortest surviving path between its
//! ends (fewest hops; between two nodes, the parallel link with the most headroom), which can
//! overload links on the way. Traffic on the links of a failed node is lost, not rerouted: it
//! started or ended there, or its true ends are unknown without a traffic matrix.

use std::collections::{HashMap, HashSet};

use crate::Network;
use crate::connectivity::components;
use crate::paths::shortest_path;

/// A topology link with its measurements.
#[derive(Debug, Clone, Copy)]
pub struct LinkLoad {
    /// Source node index.
    pub source: u32,
    /// Target node index.
    pub target: u32,
    /// Capacity in bits per second; 0 when unknown.
    pub capacity_bps: f64,
    /// Measured utilisation (0..1, may exceed 1); NaN when unknown.
    pub utilisation: f64,
}

impl LinkLoad {
    fn load_bps(&self) -> f64 {
        if self.capacity_bps > 0.0 && self.utilisation.is_finite() {
            self.utilisation * self.capacity_bps
        } else {
            0.0
        }
    }
}

/// The links of a CSR export with their measurements (`capacity_bps` and `utilisation` may be
/// empty: unknown).
pub fn link_loads(
    offsets: &[u32],
    targets: &[u32],
    capacity_bps: &[u64],
    utilisation: &[f64],
) -> Vec<LinkLoad> {
    let mut sources = Vec::with_capacity(targets.len());
    for (source, range) in offsets.windows(2).enumerate() {
        sources.extend(std::iter::repeat_n(
            source as u32,
            (range[1] - range[0]) as usize,
        ));
    }
    sources
        .into_iter()
        .zip(targets)
        .enumerate()
        .map(|(position, (source, &target))| LinkLoad {
            source,
            target,
            capacity_bps: capacity_bps.get(position).map_or(0.0, |&c| c as f64),
            utilisation: utilisation.get(position).copied().unwrap_or(f64::NAN),
        })
        .collect()
}

/// Where one failed link's traffic went.
#[derive(Debug, Clone, PartialEq)]
pub struct Reroute {
    /// The failed link (position).
    pub link: u32,
    /// Its measured load, bits per second.
    pub load_bps: f64,
    /// The nodes of the path that now carries it; `None` when its ends are cut apart.
    pub path: Option<Vec<u32>>,
}

/// The outcome of a what-if.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIf {
    /// Unordered pairs of surviving nodes that could reach each other before and cannot after.
    pub lost_pairs: u64,
    /// Groups of surviving nodes cut off from the larger part of their former component.
    pub cut_off: Vec<Vec<u32>>,
    /// One entry per failed link with both ends surviving.
    pub rerouted: Vec<Reroute>,
    /// Load that could not be rerouted (links of failed nodes, cut-apart ends), bits per second.
    pub lost_bps: f64,
    /// Utilisation after the failure of every surviving link whose load changed, by position.
    pub changed: Vec<(u32, f64)>,
    /// Surviving links whose utilisation after the failure exceeds the overload threshold.
    pub overloaded: Vec<u32>,
}

/// Fail `failed_nodes` and `failed_links` (positions in `links`) among `node_count` nodes.
pub fn what_if(
    node_count: usize,
    links: &[LinkLoad],
    failed_nodes: &[u32],
    failed_links: &[u32],
    overload_threshold: f64,
) -> WhatIf {
    let mut node_failed = vec![false; node_count];
    for &node in failed_nodes {
        if let Some(flag) = node_failed.get_mut(node as usize) {
            *flag = true;
        }
    }
    let link_failed: HashSet<u32> = failed_links.iter().copied().collect();
    let survives = |position: usize, link: &LinkLoad| {
        !link_failed.contains(&(position as u32))
            && !node_failed[link.source as usize]
            && !node_failed[link.target as usize]
    };
    let before = Network::from_links(node_count, links.iter().map(|l| (l.source, l.target)));
    let after = Network::from_links(
        node_count,
        links
            .iter()
            .enumerate()
            .filter(|(position, link)| survives(*position, link))
            .map(|(_, l)| (l.source, l.target)),
    );
    let (lost_pairs, cut_off) = lost_reachability(&before, &after, &node_failed);

    // Parallel surviving links per node pair, and the extra load each link takes.
    let mut between: HashMap<(u32, u32), Vec<u32>> = HashMap::new();
    for (position, link) in links.iter().enumerate() {
        if survives(position, link) {
            let key = (link.source.min(link.target), link.source.max(link.target));
            between.entry(key).or_default().push(position as u32);
        }
    }
    let adjacency = after.adjacency();
    let mut extra = vec![0.0; links.len()];
    let mut rerouted = Vec::new();
    let mut lost_bps = 0.0;
    for (position, link) in links.iter().enumerate() {
        if survives(position, link) {
            continue;
        }
        let load = link.load_bps();
        if !link_failed.contains(&(position as u32))
            || node_failed[link.source as usize]
            || node_failed[link.target as usize]
        {
            lost_bps += load;
            continue;
        }
        let path = shortest_path(
            &adjacency,
            link.source,
            link.target,
            &node_failed,
            &HashSet::new(),
        );
        match &path {
            Some(nodes) => {
                for hop in nodes.windows(2) {
                    let key = (hop[0].min(hop[1]), hop[0].max(hop[1]));
                    let carrier = most_headroom(&between[&key], links, &extra);
                    extra[carrier as usize] += load;
                }
            }
            None => lost_bps += load,
        }
        rerouted.push(Reroute {
            link: position as u32,
            load_bps: load,
            path,
        });
    }
    let mut changed = Vec::new();
    let mut overloaded = Vec::new();
    for (position, link) in links.iter().enumerate() {
        if extra[position] == 0.0 || link.capacity_bps <= 0.0 {
            continue;
        }
        let utilisation = (link.load_bps() + extra[position]) / link.capacity_bps;
        changed.push((position as u32, utilisation));
        if utilisation > overload_threshold {
            overloaded.push(position as u32);
        }
    }
    WhatIf {
        lost_pairs,
        cut_off,
        rerouted,
        lost_bps,
        changed,
        overloaded,
    }
}

/// The surviving link between a pair with the most headroom left (capacity − load − extra).
fn most_headroom(candidates: &[u32], links: &[LinkLoad], extra: &[f64]) -> u32 {
    let headroom = |position: u32| {
        let link = &links[position as usize];
        link.capacity_bps - link.load_bps() - extra[position as usize]
    };
    *candidates
        .iter()
        .max_by(|a, b| headroom(**a).total_cmp(&headroom(**b)).then(b.cmp(a)))
        .expect("a surviving link joins every hop of a surviving path")
}

fn lost_reachability(before: &Network, after: &Network, failed: &[bool]) -> (u64, Vec<Vec<u32>>) {
    let pairs = |size: u64| size * size.saturating_sub(1) / 2;
    let mut component_before = vec![usize::MAX; before.node_count()];
    let mut reachable_before = 0;
    for (index, component) in components(before).iter().enumerate() {
        let surviving: Vec<u32> = component
            .iter()
            .copied()
            .filter(|&n| !failed[n as usize])
            .collect();
        reachable_before += pairs(surviving.len() as u64);
        for node in surviving {
            component_before[node as usize] = index;
        }
    }
    let mut reachable_after = 0;
    let mut pieces: HashMap<usize, Vec<Vec<u32>>> = HashMap::new();
    for component in components(after) {
        if failed[component[0] as usize] {
            continue; // a failed node, alone now
        }
        reachable_after += pairs(component.len() as u64);
        pieces
            .entry(component_before[component[0] as usize])
            .or_default()
            .push(component);
    }
    let mut cut_off: Vec<Vec<u32>> = pieces
        .into_values()
        .flat_map(|parts| parts.into_iter().skip(1)) // components() lists the largest first
        .collect();
    cut_off.sort_unstable();
    (reachable_before - reachable_after, cut_off)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(source: u32, target: u32, capacity_bps: f64, utilisation: f64) -> LinkLoad {
        LinkLoad {
            source,
            target,
            capacity_bps,
            utilisation,
        }
    }

    /// A square 0-1-2-3-0 of 10 Gb/s links and a tail 3-4.
    fn square() -> Vec<LinkLoad> {
        vec![
            link(0, 1, 10e9, 0.6),
            link(1, 2, 10e9, 0.3),
            link(2, 3, 10e9, 0.2),
            link(3, 0, 10e9, 0.5),
            link(3, 4, 1e9, 0.1),
        ]
    }

    #[test]
    fn a_failed_link_sends_its_load_the_other_way_round() {
        let outcome = what_if(5, &square(), &[], &[0], 1.0);
        assert_eq!(outcome.lost_pairs, 0);
        assert!(outcome.cut_off.is_empty());
        // 6 Gb/s from 0-1 now goes 0-3-2-1.
        assert_eq!(
            outcome.rerouted,
            vec![Reroute {
                link: 0,
                load_bps: 6e9,
                path: Some(vec![0, 3, 2, 1])
            }]
        );
        let after: HashMap<u32, f64> = outcome.changed.iter().copied().collect();
        assert!((after[&1] - 0.9).abs() < 1e-12);
        assert!((after[&2] - 0.8).abs() < 1e-12);
        assert!((after[&3] - 1.1).abs() < 1e-12);
        assert_eq!(outcome.overloaded, vec![3], "3-0 carries 11 Gb/s on 10");
        assert_eq!(outcome.lost_bps, 0.0);
    }

    #[test]
    fn a_failed_node_cuts_off_its_tail_and_loses_its_traffic() {
        let outcome = what_if(5, &square(), &[3], &[], 1.0);
        // Before: 5 nodes, 4 surviving in one component: 6 pairs. After: {0,1,2} and {4}: 3 pairs.
        assert_eq!(outcome.lost_pairs, 3);
        assert_eq!(outcome.cut_off, vec![vec![4]]);
        assert!(outcome.rerouted.is_empty());
        assert!((outcome.lost_bps - (2e9 + 5e9 + 0.1e9)).abs() < 1.0);
    }

    #[test]
    fn a_cut_link_cannot_be_rerouted() {
        let outcome = what_if(5, &square(), &[], &[4], 1.0);
        assert_eq!(outcome.lost_pairs, 4);
        assert_eq!(outcome.rerouted[0].path, None);
        assert!((outcome.lost_bps - 0.1e9).abs() < 1.0);
    }
}
