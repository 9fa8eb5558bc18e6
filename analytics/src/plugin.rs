//! Glue for graph-algorithm and detector plugins (feature `sdk`): read the snapshot into a
//! [`Network`], map ids both ways, and shape results into the WIT `algorithm-result`.
//!
//! Every graph plugin takes the parameter `include_down` (default `false`): by default it
//! analyses the working topology — nodes and links that are not down — and with `true` every
//! node and link whatever its state (the host's bulk CSR export, the cheapest to read).

use std::collections::HashMap;

use netassure_plugin_sdk::prelude::*;

use crate::Network;

/// Parameters every graph plugin understands.
pub const COMMON_PARAMS: &[&str] = &["include_down"];

/// A snapshot read for analysis.
pub struct Input {
    /// The CSR the network was built from (ids, capacities, utilisation).
    pub csr: Csr,
    /// The undirected simple graph.
    pub network: Network,
    index: HashMap<String, u32>,
}

impl Input {
    /// Read `graph`, honouring `include_down`.
    pub fn read(graph: &GraphSnapshot<'_>, params: &Params) -> Result<Input, PluginError> {
        let csr = if params.get_or("include_down", false)? {
            graph.to_csr()
        } else {
            graph.working_csr()
        };
        Ok(Input::from_csr(csr))
    }

    /// Wrap a CSR.
    pub fn from_csr(csr: Csr) -> Input {
        let network = Network::from_csr(&csr.offsets, &csr.targets);
        let index = csr
            .node_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as u32))
            .collect();
        Input {
            csr,
            network,
            index,
        }
    }

    /// Index of node `id`; an unknown id is invalid input.
    pub fn node(&self, id: &str) -> Result<u32, PluginError> {
        self.index.get(id).copied().ok_or_else(|| {
            PluginError::InvalidInput(format!("no working node `{id}` in the topology"))
        })
    }

    /// Id of node `index`.
    pub fn node_id(&self, index: u32) -> &str {
        &self.csr.node_ids[index as usize]
    }

    /// Ids of `nodes`, in order.
    pub fn node_ids(&self, nodes: &[u32]) -> Vec<String> {
        nodes.iter().map(|&n| self.node_id(n).to_owned()).collect()
    }

    /// Id of the link at CSR position `position`.
    pub fn link_id(&self, position: u32) -> &str {
        &self.csr.link_ids[position as usize]
    }

    /// Per-node scores, highest first (ties by id), the first `top` when given.
    pub fn ranked(&self, scores: &[f64], top: Option<usize>) -> Vec<Scored> {
        let mut ranked: Vec<Scored> = scores
            .iter()
            .enumerate()
            .map(|(i, &score)| Scored {
                id: self.node_id(i as u32).to_owned(),
                score,
            })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        if let Some(top) = top {
            ranked.truncate(top);
        }
        ranked
    }
}

/// An empty result to fill in.
pub fn empty_result() -> AlgorithmResult {
    AlgorithmResult {
        node_scores: Vec::new(),
        link_scores: Vec::new(),
        groups: Vec::new(),
        items: Vec::new(),
        paths: Vec::new(),
        summary: Vec::new(),
    }
}

/// A node centrality as a result: scores highest first (the first `top`), with `max`,
/// `nodes` and the topology `version` in the summary.
pub fn centrality_result(
    input: &Input,
    graph: &GraphSnapshot<'_>,
    scores: &[f64],
    top: Option<usize>,
) -> AlgorithmResult {
    let node_scores = input.ranked(scores, top);
    let max = node_scores.first().map_or(0.0, |best| best.score);
    AlgorithmResult {
        node_scores,
        summary: vec![
            ("max".into(), max),
            ("nodes".into(), input.network.node_count() as f64),
            ("version".into(), graph.version() as f64),
        ],
        ..empty_result()
    }
}

/// A non-convergence as the plugin error a caller can act on.
pub fn not_converged(err: crate::centrality::NotConverged) -> PluginError {
    PluginError::InvalidInput(format!("{err}; raise `max_iterations` or `tolerance`"))
}

/// Communities as a result: `groups` largest first (ties by first id), each sorted by id;
/// `summary` has `modularity` (at `resolution`), `communities` and `version`.
pub fn communities_result(
    input: &Input,
    graph: &GraphSnapshot<'_>,
    communities: &[Vec<u32>],
    resolution: f64,
) -> AlgorithmResult {
    let modularity = crate::community::modularity(&input.network, communities, resolution);
    AlgorithmResult {
        groups: groups(input, communities),
        summary: vec![
            ("modularity".into(), modularity),
            ("communities".into(), communities.len() as f64),
            ("version".into(), graph.version() as f64),
        ],
        ..empty_result()
    }
}

/// Node groups as id lists: each sorted, largest group first (ties by first id).
pub fn groups(input: &Input, groups: &[Vec<u32>]) -> Vec<Vec<String>> {
    let mut named: Vec<Vec<String>> = groups
        .iter()
        .map(|group| {
            let mut ids = input.node_ids(group);
            ids.sort();
            ids
        })
        .collect();
    named.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    named
}

/// True when `delta` can change the graph's shape (anything but utilisation samples), so a
/// structural detector needs to look again.
pub fn changes_structure(delta: &TopologyDelta) -> bool {
    delta.snapshot
        || delta
            .changes
            .iter()
            .any(|change| !matches!(change, TopologyChange::LinkUtilisation(_)))
}
