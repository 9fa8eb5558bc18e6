//! BGP route-leak detector: checks every AS path that AS nodes observe (the `as_paths` node
//! attribute) against the business relationships of the AS-level topology (links of kind
//! `customer-provider`, the source being the customer, and `peer-peer`). A path that is not
//! valley-free was leaked (RFC 7908): reported once as `bgp-route-leak`, with the leaking AS,
//! the AS it leaked to and the observer; reported again only after it went away and came back.
//!
//! Paths crossing an AS pair with no known relationship get no verdict (and no alarm).

use std::collections::{BTreeSet, HashMap};

use netassure_analytics::bgp::{Relationships, Verdict, check_path, parse_paths};
use netassure_analytics::plugin::changes_structure;
use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Score of a leak anomaly (0..1).
    pub score: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { score: 0.9 }
    }
}

/// One leak: observer node id and the path it sees.
type LeakKey = (String, String);

/// The detector.
#[derive(Default)]
pub struct BgpRouteLeak {
    config: Config,
    reported: BTreeSet<LeakKey>,
}

/// What the topology says about ASes.
struct AsView {
    relationships: Relationships,
    node_of_asn: HashMap<u32, String>,
    link_between: HashMap<(String, String), String>,
}

impl AsView {
    fn read(graph: &GraphSnapshot<'_>) -> (AsView, Vec<Node>) {
        let nodes = graph.nodes();
        let mut node_of_asn = HashMap::new();
        let mut asn_of: HashMap<&str, u32> = HashMap::new();
        for node in &nodes {
            if let Some(asn) = node.asn {
                node_of_asn.entry(asn).or_insert_with(|| node.id.clone());
                asn_of.insert(&node.id, asn);
            }
        }
        let mut relationships = Relationships::default();
        let mut link_between = HashMap::new();
        for link in graph.links() {
            let (Some(&a), Some(&b)) = (
                asn_of.get(link.source.as_str()),
                asn_of.get(link.target.as_str()),
            ) else {
                continue;
            };
            match link.kind.as_str() {
                "customer-provider" => relationships.customer_provider(a, b),
                "peer-peer" => relationships.peers(a, b),
                _ => continue,
            }
            let key = ordered(&link.source, &link.target);
            link_between.insert(key, link.id.clone());
        }
        let view = AsView {
            relationships,
            node_of_asn,
            link_between,
        };
        (view, nodes)
    }

    fn name(&self, asn: u32) -> String {
        self.node_of_asn
            .get(&asn)
            .cloned()
            .unwrap_or_else(|| format!("AS{asn}"))
    }
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

impl BgpRouteLeak {
    fn leak(
        &self,
        view: &AsView,
        observer: &Node,
        path: &[u32],
        leaker: u32,
        receiver: u32,
    ) -> Anomaly {
        let (leaker_id, receiver_id) = (view.name(leaker), view.name(receiver));
        let text: Vec<String> = path.iter().map(u32::to_string).collect();
        let mut builder = AnomalyBuilder::new("bgp-route-leak", self.config.score);
        if let Some(link) = view.link_between.get(&ordered(&leaker_id, &receiver_id)) {
            builder = builder.link(link);
        }
        builder = builder.node(&leaker_id).node(&receiver_id);
        if observer.id != leaker_id && observer.id != receiver_id {
            builder = builder.node(&observer.id);
        }
        builder
            .pattern(Pattern::Other)
            .plane(NetworkPlane::Control)
            .symptom("leaked", "bgp", "AS path is not valley-free")
            .description(format!(
                "AS {leaker} ({leaker_id}) leaked a route to AS {receiver} ({receiver_id}): path `{}` seen at {} is not valley-free",
                text.join(" "),
                observer.id
            ))
            .build()
    }
}

impl Detector for BgpRouteLeak {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("bgp-route-leak", env!("CARGO_PKG_VERSION"))
            .description("Reports BGP route leaks: observed AS paths that are not valley-free")
            .subscribe(EventKind::Topology)
            .field(ConfigField::float("score", "Score of a leak anomaly", 0.9))
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
        let (view, nodes) = AsView::read(&host::graph::current());
        let mut current = BTreeSet::new();
        let mut found = Vec::new();
        for observer in &nodes {
            let (Some(observer_asn), Some(paths)) = (
                observer.asn,
                observer.attributes.iter().find(|a| a.key == "as_paths"),
            ) else {
                continue;
            };
            for path in parse_paths(&paths.value) {
                let Verdict::Leak { leaker, receiver } =
                    check_path(&view.relationships, observer_asn, &path)
                else {
                    continue;
                };
                let key = (observer.id.clone(), format!("{path:?}"));
                if !self.reported.contains(&key) {
                    found.push(self.leak(&view, observer, &path, leaker, receiver));
                }
                current.insert(key);
            }
        }
        self.reported = current;
        Ok(found.into_iter().map(Finding::from).collect())
    }
}

export_detector!(BgpRouteLeak);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::Attribute;
    use netassure_plugin_sdk::testing::{link, node, set_graph, topology_event};

    fn as_node(id: &str, asn: u32, paths: Option<&str>) -> Node {
        let mut node = node(id, "as");
        node.asn = Some(asn);
        if let Some(paths) = paths {
            node.attributes.push(Attribute {
                key: "as_paths".into(),
                value: paths.into(),
            });
        }
        node
    }

    fn relationship(source: &str, target: &str, kind: &str) -> Link {
        let mut link = link(&format!("{source}~{target}"), source, target, 0);
        link.kind = kind.into();
        link
    }

    #[test]
    fn a_stub_leaking_between_its_providers_is_reported_once() {
        let links = vec![
            relationship("t1", "tier1", "customer-provider"),
            relationship("t2", "tier1", "customer-provider"),
            relationship("stub", "t1", "customer-provider"),
            relationship("stub", "t2", "customer-provider"),
        ];
        let nodes = vec![
            as_node("tier1", 3356, Some("65011 64512")),
            as_node("t1", 65011, None),
            as_node("t2", 65012, Some("64512 65011 3356;64512")),
            as_node("stub", 64512, None),
        ];
        set_graph(1, nodes, links);
        let mut detector = BgpRouteLeak::default();
        let found = detector.on_event(topology_event(true, vec![])).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, "bgp-route-leak");
        assert_eq!(found[0].links, vec!["stub~t2"]);
        assert_eq!(found[0].nodes, vec!["stub", "t2"]);
        assert!(
            detector
                .on_event(topology_event(true, vec![]))
                .unwrap()
                .is_empty(),
            "reported once"
        );
    }
}
