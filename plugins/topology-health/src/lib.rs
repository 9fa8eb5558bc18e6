//! Topology-health detector: watches topology changes and reports
//!
//! - `link-down` — a link went down (or was removed while up), with its two end nodes;
//! - `node-isolated` — a node that is up has no link left that is up (checked on the nodes a
//!   delta touched, through the host's `graph` import);
//! - `node-down` — a node went down.
//!
//! A link that comes back up is forgotten, so the next failure is reported again.

use std::collections::BTreeSet;

use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Report links going down.
    pub link_down: bool,
    /// Report nodes left without a working link.
    pub node_isolated: bool,
    /// Report nodes going down.
    pub node_down: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            link_down: true,
            node_isolated: true,
            node_down: true,
        }
    }
}

/// The detector.
#[derive(Default)]
pub struct TopologyHealth {
    config: Config,
    down_links: BTreeSet<String>,
    isolated: BTreeSet<String>,
}

impl TopologyHealth {
    fn link_down(&mut self, link: &Link) -> Option<Anomaly> {
        if !self.config.link_down || !self.down_links.insert(link.id.clone()) {
            return None;
        }
        Some(
            AnomalyBuilder::new("link-down", 0.8)
                .link(&link.id)
                .node(&link.source)
                .node(&link.target)
                .pattern(Pattern::Drop)
                .symptom("down", "link", "link lost")
                .description(format!(
                    "link {} between {} and {} is down",
                    link.id, link.source, link.target
                ))
                .build(),
        )
    }

    fn check_isolation(
        &mut self,
        graph: &GraphSnapshot<'_>,
        node_id: &str,
        found: &mut Vec<Anomaly>,
    ) {
        let Some(node) = graph.node(node_id) else {
            self.isolated.remove(node_id);
            return;
        };
        let working = graph
            .links_of(node_id)
            .iter()
            .any(|link| link.state != OperState::Down);
        if working || node.state == OperState::Down {
            self.isolated.remove(node_id);
            return;
        }
        if self.config.node_isolated && self.isolated.insert(node_id.to_owned()) {
            found.push(
                AnomalyBuilder::new("node-isolated", 0.95)
                    .node(node_id)
                    .pattern(Pattern::Drop)
                    .symptom("isolated", "node", "no working link left")
                    .description(format!("{node_id} has no working link"))
                    .build(),
            );
        }
    }
}

impl Detector for TopologyHealth {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("topology-health", env!("CARGO_PKG_VERSION"))
            .description("Reports links and nodes going down and nodes left isolated")
            .subscribe(EventKind::Topology)
            .field(ConfigField::boolean(
                "link_down",
                "Report links going down",
                true,
            ))
            .field(ConfigField::boolean(
                "node_isolated",
                "Report nodes without a working link",
                true,
            ))
            .field(ConfigField::boolean(
                "node_down",
                "Report nodes going down",
                true,
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
        let graph = host::graph::current();
        let mut found = Vec::new();
        let mut touched = BTreeSet::new();
        for change in &delta.changes {
            match change {
                TopologyChange::LinkState(change) => {
                    let Some(link) = graph.link(&change.link_id) else {
                        continue;
                    };
                    touched.extend([link.source.clone(), link.target.clone()]);
                    if change.state == OperState::Down {
                        found.extend(self.link_down(&link));
                    } else {
                        self.down_links.remove(&link.id);
                    }
                }
                TopologyChange::LinkUpsert(link) => {
                    touched.extend([link.source.clone(), link.target.clone()]);
                    if link.state == OperState::Down {
                        found.extend(self.link_down(link));
                    } else {
                        self.down_links.remove(&link.id);
                    }
                }
                TopologyChange::LinkRemove(id) => {
                    self.down_links.remove(id);
                }
                TopologyChange::NodeUpsert(node) => {
                    touched.insert(node.id.clone());
                    if node.state == OperState::Down && self.config.node_down {
                        found.push(
                            AnomalyBuilder::new("node-down", 0.9)
                                .node(&node.id)
                                .pattern(Pattern::Drop)
                                .symptom("down", "node", "node lost")
                                .description(format!("{} is down", node.id))
                                .build(),
                        );
                    }
                }
                TopologyChange::NodeRemove(id) => {
                    self.isolated.remove(id);
                }
                TopologyChange::LinkUtilisation(_) => {}
            }
        }
        if delta.snapshot {
            touched.extend(graph.nodes().into_iter().map(|node| node.id));
        }
        for node in touched {
            self.check_isolation(&graph, &node, &mut found);
        }
        Ok(found.into_iter().map(Finding::from).collect())
    }
}

export_detector!(TopologyHealth);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::LinkStateChange;
    use netassure_plugin_sdk::testing::{link, node, set_graph, topology_event};

    fn down(id: &str) -> TopologyChange {
        TopologyChange::LinkState(LinkStateChange {
            link_id: id.into(),
            state: OperState::Down,
        })
    }

    #[test]
    fn reports_link_down_once_and_isolation() {
        let mut ab = link("a-b", "a", "b", 1);
        ab.state = OperState::Down;
        set_graph(
            2,
            vec![node("a", "r"), node("b", "r"), node("c", "r")],
            vec![ab, link("b-c", "b", "c", 1)],
        );
        let mut detector = TopologyHealth::default();
        detector.configure(Config::default()).unwrap();
        let found = detector
            .on_event(topology_event(false, vec![down("a-b")]))
            .unwrap();
        let kinds: Vec<&str> = found.iter().map(|a| a.kind.as_str()).collect();
        assert_eq!(kinds, ["link-down", "node-isolated"]);
        assert_eq!(found[0].nodes, ["a", "b"]);
        assert_eq!(found[1].nodes, ["a"]);
        assert!(
            detector
                .on_event(topology_event(false, vec![down("a-b")]))
                .unwrap()
                .is_empty(),
            "reported once"
        );
    }
}
