//! Single-point-of-failure watch: after every structural topology change, finds the working
//! topology's articulation points (nodes) and bridges (links) and reports each one that was not
//! a single point of failure before the change — `new-articulation-point` with the number of
//! nodes it alone keeps connected, and `new-bridge` with its two ends. The first topology seen
//! is the baseline (reported too with `report_initial = true`).

use std::collections::BTreeSet;

use netassure_analytics::plugin::{Input, changes_structure};
use netassure_analytics::{connectivity, whatif};
use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Report new articulation points.
    pub articulation_points: bool,
    /// Report new bridges.
    pub bridges: bool,
    /// Also report the single points of failure of the first topology seen.
    pub report_initial: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            articulation_points: true,
            bridges: true,
            report_initial: false,
        }
    }
}

/// Single points of failure: node ids and link ids.
#[derive(Default)]
struct Spofs {
    nodes: BTreeSet<String>,
    links: BTreeSet<String>,
}

/// The detector.
#[derive(Default)]
pub struct SpofWatch {
    config: Config,
    previous: Option<Spofs>,
}

impl SpofWatch {
    fn new_point(&self, input: &Input, node: u32, links: &[whatif::LinkLoad]) -> Anomaly {
        let outcome = whatif::what_if(
            input.network.node_count(),
            links,
            &[node],
            &[],
            f64::INFINITY,
        );
        let cut_off: usize = outcome.cut_off.iter().map(Vec::len).sum();
        let id = input.node_id(node);
        AnomalyBuilder::new("new-articulation-point", 0.7)
            .node(id)
            .pattern(Pattern::Other)
            .symptom(
                "single-point-of-failure",
                "node",
                "node became an articulation point",
            )
            .description(format!(
                "{id} became a single point of failure: losing it would cut off {cut_off} node(s)"
            ))
            .build()
    }

    fn new_bridge(&self, input: &Input, position: u32) -> Anomaly {
        let id = input.link_id(position);
        let source = input
            .csr
            .offsets
            .windows(2)
            .position(|r| (r[0]..r[1]).contains(&position))
            .unwrap_or(0) as u32;
        let (a, b) = (
            input.node_id(source),
            input.node_id(input.csr.targets[position as usize]),
        );
        AnomalyBuilder::new("new-bridge", 0.7)
            .link(id)
            .node(a)
            .node(b)
            .pattern(Pattern::Other)
            .symptom("single-point-of-failure", "link", "link became a bridge")
            .description(format!(
                "link {id} ({a} – {b}) became a single point of failure"
            ))
            .build()
    }
}

impl Detector for SpofWatch {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("spof-watch", env!("CARGO_PKG_VERSION"))
            .description(
                "Reports nodes and links that become single points of failure after a change",
            )
            .subscribe(EventKind::Topology)
            .field(ConfigField::boolean(
                "articulation_points",
                "Report new articulation points",
                true,
            ))
            .field(ConfigField::boolean("bridges", "Report new bridges", true))
            .field(ConfigField::boolean(
                "report_initial",
                "Report those of the first topology too",
                false,
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
        let points = connectivity::articulation_points(&input.network);
        let bridges = connectivity::bridges(&input.network);
        let now = Spofs {
            nodes: points
                .iter()
                .map(|&n| input.node_id(n).to_owned())
                .collect(),
            links: bridges
                .iter()
                .map(|&l| input.link_id(l).to_owned())
                .collect(),
        };
        let report = match &self.previous {
            Some(_) => true,
            None => self.config.report_initial,
        };
        let before = self.previous.take().unwrap_or_default();
        let mut found = Vec::new();
        if report && self.config.articulation_points {
            let links = whatif::link_loads(&input.csr.offsets, &input.csr.targets, &[], &[]);
            for &node in points
                .iter()
                .filter(|&&n| !before.nodes.contains(input.node_id(n)))
            {
                found.push(self.new_point(&input, node, &links));
            }
        }
        if report && self.config.bridges {
            for &link in bridges
                .iter()
                .filter(|&&l| !before.links.contains(input.link_id(l)))
            {
                found.push(self.new_bridge(&input, link));
            }
        }
        self.previous = Some(now);
        Ok(found.into_iter().map(Finding::from).collect())
    }
}

export_detector!(SpofWatch);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node, set_graph, topology_event};

    #[test]
    fn a_ring_losing_a_link_turns_every_node_and_link_into_a_spof() {
        let nodes: Vec<Node> = ["a", "b", "c", "d"].map(|id| node(id, "router")).to_vec();
        let mut links = vec![
            link("ab", "a", "b", 1),
            link("bc", "b", "c", 1),
            link("cd", "c", "d", 1),
            link("da", "d", "a", 1),
        ];
        set_graph(1, nodes.clone(), links.clone());
        let mut watch = SpofWatch::default();
        assert!(
            watch
                .on_event(topology_event(true, vec![]))
                .unwrap()
                .is_empty(),
            "a ring has none; baseline"
        );
        links[3].state = OperState::Down;
        set_graph(2, nodes, links);
        let found = watch.on_event(topology_event(true, vec![])).unwrap();
        let mut kinds: Vec<(String, String)> = found
            .iter()
            .map(|a| {
                (
                    a.kind.clone(),
                    a.links.first().or(a.nodes.first()).unwrap().clone(),
                )
            })
            .collect();
        kinds.sort();
        let expected: Vec<(String, String)> = [
            ("new-articulation-point", "b"),
            ("new-articulation-point", "c"),
            ("new-bridge", "ab"),
            ("new-bridge", "bc"),
            ("new-bridge", "cd"),
        ]
        .iter()
        .map(|(k, s)| ((*k).into(), (*s).into()))
        .collect();
        assert_eq!(kinds, expected);
        assert!(found[0].description.contains("cut off"));
        assert!(
            watch
                .on_event(topology_event(true, vec![]))
                .unwrap()
                .is_empty(),
            "nothing new"
        );
    }
}
