//! Community-split detector: after every structural topology change, finds the working
//! topology's Louvain communities and reports `community-split` when a community of at least
//! `min_size` nodes now falls apart into two or more parts each holding at least `min_part`
//! of its remaining nodes — a region or pod that used to be tightly knit is divided.
//!
//! Louvain runs with a fixed seed, so an unchanged graph gives unchanged communities; on
//! graphs whose partition is ambiguous (e.g. a full leaf-spine mesh) small changes can reshuffle
//! communities, which `min_size` and `min_part` keep from being reported.

use std::collections::{BTreeMap, HashMap};

use netassure_analytics::community;
use netassure_analytics::plugin::{Input, changes_structure};
use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Louvain resolution.
    pub resolution: f64,
    /// Louvain seed.
    pub seed: u64,
    /// Smallest community watched.
    pub min_size: usize,
    /// Smallest share of a community's remaining nodes that counts as a part.
    pub min_part: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            resolution: 1.0,
            seed: 42,
            min_size: 4,
            min_part: 0.25,
        }
    }
}

/// The detector.
#[derive(Default)]
pub struct CommunitySplit {
    config: Config,
    previous: Option<Vec<Vec<String>>>,
}

impl CommunitySplit {
    /// The parts `members` fall into now, as (community index → members), when it split.
    fn split(
        &self,
        members: &[String],
        community_of: &HashMap<String, usize>,
    ) -> Option<Vec<Vec<String>>> {
        let mut parts: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for id in members {
            if let Some(&c) = community_of.get(id) {
                parts.entry(c).or_default().push(id.clone());
            }
        }
        let remaining: usize = parts.values().map(Vec::len).sum();
        let big: Vec<Vec<String>> = parts
            .into_values()
            .filter(|part| part.len() as f64 >= self.config.min_part * remaining as f64)
            .collect();
        (big.len() >= 2).then_some(big)
    }
}

impl Detector for CommunitySplit {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("community-split", env!("CARGO_PKG_VERSION"))
            .description("Reports Louvain communities that split after a topology change")
            .subscribe(EventKind::Topology)
            .field(ConfigField::float("resolution", "Louvain resolution", 1.0))
            .field(ConfigField::integer("seed", "Louvain seed", 42))
            .field(ConfigField::integer(
                "min_size",
                "Smallest community watched",
                4,
            ))
            .field(ConfigField::float(
                "min_part",
                "Smallest share that counts as a part",
                0.25,
            ))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Topology(delta) = event.payload else {
            return Ok(vec![]);
        };
        if !changes_structure(&delta) {
            return Ok(vec![]);
        }
        let input = Input::from_csr(host::graph::current().working_csr());
        let found_now = community::louvain(
            &input.network,
            self.config.resolution,
            self.config.seed,
            1e-7,
        );
        let now: Vec<Vec<String>> = found_now.iter().map(|c| input.node_ids(c)).collect();
        let community_of: HashMap<String, usize> = now
            .iter()
            .enumerate()
            .flat_map(|(c, members)| members.iter().map(move |id| (id.clone(), c)))
            .collect();
        let mut found = Vec::new();
        for members in self
            .previous
            .iter()
            .flatten()
            .filter(|m| m.len() >= self.config.min_size)
        {
            let Some(parts) = self.split(members, &community_of) else {
                continue;
            };
            let sizes: Vec<String> = parts.iter().map(|p| p.len().to_string()).collect();
            let mut builder = AnomalyBuilder::new("community-split", 0.6);
            for id in members {
                builder = builder.node(id);
            }
            found.push(
                builder
                    .pattern(Pattern::Other)
                    .symptom("split", "community", "community fell apart")
                    .description(format!(
                        "the community of {} nodes around {} split into parts of {} nodes",
                        members.len(),
                        members[0],
                        sizes.join(" + ")
                    ))
                    .build(),
            );
        }
        self.previous = Some(now);
        Ok(found.into_iter().map(Finding::from).collect())
    }
}

export_detector!(CommunitySplit);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node, set_graph, topology_event};

    /// An 8-clique (one community) whose halves keep only one link between them.
    #[test]
    fn a_clique_cut_in_half_is_a_split() {
        let ids: Vec<String> = (0..8).map(|i| format!("n{i}")).collect();
        let nodes: Vec<Node> = ids.iter().map(|id| node(id, "router")).collect();
        let mut links = Vec::new();
        for a in 0..8 {
            for b in a + 1..8 {
                links.push(link(&format!("{a}-{b}"), &ids[a], &ids[b], 1));
            }
        }
        set_graph(1, nodes.clone(), links.clone());
        let mut detector = CommunitySplit::default();
        assert!(
            detector
                .on_event(topology_event(true, vec![]))
                .unwrap()
                .is_empty(),
            "baseline: one community of 8"
        );
        // Keep only links inside n0..n3 and inside n4..n7, plus one between them.
        for link in &mut links {
            let (a, b): (usize, usize) = (
                link.source[1..].parse().unwrap(),
                link.target[1..].parse().unwrap(),
            );
            if (a < 4) != (b < 4) && link.id != "3-4" {
                link.state = OperState::Down;
            }
        }
        set_graph(2, nodes, links);
        let found = detector.on_event(topology_event(true, vec![])).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].description.contains("4 + 4"),
            "{}",
            found[0].description
        );
    }
}
