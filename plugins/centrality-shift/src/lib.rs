//! Centrality-shift detector: after every structural topology change, computes every working
//! node's betweenness and reports `centrality-shift` for a node whose betweenness rose at
//! least `factor` times (and to at least `min_score`) since the previous topology — traffic
//! that used to spread now funnels through it. Large graphs are estimated from `samples`
//! sources (the same sources each time, so estimates compare).

use std::collections::HashMap;

use netassure_analytics::centrality;
use netassure_analytics::plugin::{Input, changes_structure};
use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How many times higher a betweenness must be to count as a shift.
    pub factor: f64,
    /// Lowest betweenness (normalised, 0..1) worth a report.
    pub min_score: f64,
    /// Largest graph computed exactly; above it, betweenness is sampled.
    pub exact_up_to: usize,
    /// Sources sampled on larger graphs.
    pub samples: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            factor: 2.0,
            min_score: 0.05,
            exact_up_to: 2_000,
            samples: 256,
        }
    }
}

/// The detector.
#[derive(Default)]
pub struct CentralityShift {
    config: Config,
    previous: Option<HashMap<String, f64>>,
}

impl Detector for CentralityShift {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("centrality-shift", env!("CARGO_PKG_VERSION"))
            .description("Reports nodes whose betweenness jumps after a topology change")
            .subscribe(EventKind::Topology)
            .field(ConfigField::float(
                "factor",
                "How many times higher counts as a shift",
                2.0,
            ))
            .field(ConfigField::float(
                "min_score",
                "Lowest betweenness worth a report",
                0.05,
            ))
            .field(ConfigField::integer(
                "exact_up_to",
                "Largest graph computed exactly",
                2000,
            ))
            .field(ConfigField::integer(
                "samples",
                "Sources sampled on larger graphs",
                256,
            ))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        if config.factor <= 1.0 {
            return Err(PluginError::InvalidConfig(format!(
                "`factor` must be above 1, not {}",
                config.factor
            )));
        }
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
        let scores = if input.network.node_count() <= self.config.exact_up_to {
            centrality::betweenness(&input.network)
        } else {
            centrality::betweenness_sampled(&input.network, self.config.samples, 0)
        };
        let now: HashMap<String, f64> = scores
            .iter()
            .enumerate()
            .map(|(i, &s)| (input.node_id(i as u32).to_owned(), s))
            .collect();
        let mut found = Vec::new();
        if let Some(before) = &self.previous {
            let mut shifted: Vec<(&String, f64, f64)> = now
                .iter()
                .filter_map(|(id, &score)| {
                    let was = before.get(id).copied().unwrap_or(0.0);
                    (score >= self.config.min_score && score >= self.config.factor * was)
                        .then_some((id, was, score))
                })
                .collect();
            shifted.sort_by(|a, b| a.0.cmp(b.0));
            for (id, was, score) in shifted {
                found.push(
                    AnomalyBuilder::new("centrality-shift", (1.0 - was / score).clamp(0.0, 1.0))
                        .node(id)
                        .pattern(Pattern::MeanShift)
                        .symptom("shifted", "node", "betweenness jumped")
                        .description(format!(
                            "betweenness of {id} rose from {was:.4} to {score:.4}: traffic now funnels through it"
                        ))
                        .build(),
                );
            }
        }
        self.previous = Some(now);
        Ok(found.into_iter().map(Finding::from).collect())
    }
}

export_detector!(CentralityShift);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node, set_graph, topology_event};

    #[test]
    fn cutting_a_ring_funnels_paths_through_the_far_nodes() {
        // A ring of 6: every node has the same betweenness; with a-b down it is a path
        // b-c-d-e-f-a and the middle nodes carry far more.
        let ids = ["a", "b", "c", "d", "e", "f"];
        let nodes: Vec<Node> = ids.map(|id| node(id, "router")).to_vec();
        let mut links: Vec<Link> = (0..6)
            .map(|i| link(&format!("l{i}"), ids[i], ids[(i + 1) % 6], 1))
            .collect();
        set_graph(1, nodes.clone(), links.clone());
        let mut detector = CentralityShift::default();
        detector
            .configure(Config {
                factor: 2.5,
                ..Config::default()
            })
            .unwrap();
        assert!(
            detector
                .on_event(topology_event(true, vec![]))
                .unwrap()
                .is_empty(),
            "baseline"
        );
        links[0].state = OperState::Down;
        set_graph(2, nodes, links);
        let found = detector.on_event(topology_event(true, vec![])).unwrap();
        let shifted: Vec<&str> = found.iter().map(|a| a.nodes[0].as_str()).collect();
        // 0.2 each before; after, c and f double (0.4) and d and e triple (0.6).
        assert_eq!(shifted, vec!["d", "e"], "{found:?}");
    }
}
