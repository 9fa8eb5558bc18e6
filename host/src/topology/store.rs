//! The versioned store: apply deltas and telemetry, publish snapshots.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;

use crate::model::{Link, Node, TelemetrySample, TopologyChange, TopologyDelta};

/// One immutable version of the topology.
#[derive(Debug, Clone, Default)]
pub struct TopologySnapshot {
    version: u64,
    graph: StableDiGraph<Node, Link>,
    nodes: HashMap<String, NodeIndex>,
    links: HashMap<String, EdgeIndex>,
}

/// What applying a delta did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApplyReport {
    /// Version after the delta.
    pub version: u64,
    /// Changes applied.
    pub applied: usize,
    /// Changes that named unknown nodes or links, with the reason.
    pub rejected: Vec<String>,
}

/// The store: the current snapshot and the writer lock.
#[derive(Debug, Default)]
pub struct TopologyStore {
    current: ArcSwap<TopologySnapshot>,
    writer: Mutex<()>,
}

impl TopologyStore {
    /// An empty topology at version 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current snapshot; cheap, never blocks.
    pub fn snapshot(&self) -> Arc<TopologySnapshot> {
        self.current.load_full()
    }

    /// Apply `delta` as one new version.
    pub fn apply(&self, delta: &TopologyDelta) -> ApplyReport {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut next = if delta.snapshot {
            TopologySnapshot::default()
        } else {
            (*self.current.load_full()).clone()
        };
        next.version = self.current.load().version + 1;
        let mut report = ApplyReport {
            version: next.version,
            ..ApplyReport::default()
        };
        for change in &delta.changes {
            match next.apply_change(change) {
                Ok(()) => report.applied += 1,
                Err(reason) => report.rejected.push(reason),
            }
        }
        self.current.store(Arc::new(next));
        report
    }

    /// Apply a telemetry sample: `utilisation` of a link updates the link; other metrics
    /// leave the topology unchanged. Returns true when a new version was made.
    pub fn apply_telemetry(&self, sample: &TelemetrySample) -> bool {
        if sample.metric != "utilisation"
            || !self.current.load().links.contains_key(&sample.subject)
        {
            return false;
        }
        let change = TopologyChange::LinkUtilisation {
            id: sample.subject.clone(),
            utilisation: sample.value,
        };
        self.apply(&TopologyDelta {
            sequence: 0,
            snapshot: false,
            changes: vec![change],
        })
        .applied
            == 1
    }
}

impl TopologySnapshot {
    fn apply_change(&mut self, change: &TopologyChange) -> Result<(), String> {
        match change {
            TopologyChange::NodeUpsert { node } => {
                match self.nodes.get(&node.id) {
                    Some(&index) => self.graph[index] = node.clone(),
                    None => {
                        let index = self.graph.add_node(node.clone());
                        self.nodes.insert(node.id.clone(), index);
                    }
                }
                Ok(())
            }
            TopologyChange::NodeRemove { id } => {
                let index = self
                    .nodes
                    .remove(id)
                    .ok_or_else(|| format!("node-remove: unknown node {id}"))?;
                let attached: Vec<EdgeIndex> = self
                    .graph
                    .edges_directed(index, Direction::Outgoing)
                    .chain(self.graph.edges_directed(index, Direction::Incoming))
                    .map(|edge| edge.id())
                    .collect();
                for edge in attached {
                    if let Some(link) = self.graph.remove_edge(edge) {
                        self.links.remove(&link.id);
                    }
                }
                self.graph.remove_node(index);
                Ok(())
            }
            TopologyChange::LinkUpsert { link } => self.upsert_link(link),
            TopologyChange::LinkRemove { id } => {
                let index = self
                    .links
                    .remove(id)
                    .ok_or_else(|| format!("link-remove: unknown link {id}"))?;
                self.graph.remove_edge(index);
                Ok(())
            }
            TopologyChange::LinkState { id, state } => {
                self.update_link(id, |link| link.state = *state)
            }
            TopologyChange::LinkUtilisation { id, utilisation } => {
                self.update_link(id, |link| link.utilisation = Some(*utilisation))
            }
        }
    }

    fn upsert_link(&mut self, link: &Link) -> Result<(), String> {
        let endpoint = |id: &str| {
            self.nodes
                .get(id)
                .copied()
                .ok_or_else(|| format!("link {}: unknown node {id}", link.id))
        };
        let (source, target) = (endpoint(&link.source)?, endpoint(&link.target)?);
        if let Some(index) = self.links.remove(&link.id) {
            self.graph.remove_edge(index);
        }
        let index = self.graph.add_edge(source, target, link.clone());
        self.links.insert(link.id.clone(), index);
        Ok(())
    }

    fn update_link(&mut self, id: &str, update: impl FnOnce(&mut Link)) -> Result<(), String> {
        let index = *self
            .links
            .get(id)
            .ok_or_else(|| format!("unknown link {id}"))?;
        update(&mut self.graph[index]);
        Ok(())
    }

    /// Version number.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of links.
    pub fn link_count(&self) -> usize {
        self.links.len()
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id).map(|&index| &self.graph[index])
    }

    /// The link with this id.
    pub fn link(&self, id: &str) -> Option<&Link> {
        self.links.get(id).map(|&index| &self.graph[index])
    }

    /// All nodes, in storage order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.graph.node_weights()
    }

    /// All links, in storage order.
    pub fn links(&self) -> impl Iterator<Item = &Link> {
        self.graph.edge_weights()
    }

    /// Links attached to node `id`, in either direction.
    pub fn links_of(&self, id: &str) -> Vec<&Link> {
        let Some(&index) = self.nodes.get(id) else {
            return Vec::new();
        };
        self.graph
            .edges_directed(index, Direction::Outgoing)
            .chain(self.graph.edges_directed(index, Direction::Incoming))
            .map(|edge| edge.weight())
            .collect()
    }

    /// Ids of the nodes linked to `id`, sorted, without duplicates.
    pub fn neighbours(&self, id: &str) -> Vec<String> {
        let Some(&index) = self.nodes.get(id) else {
            return Vec::new();
        };
        let mut ids: Vec<String> = self
            .graph
            .neighbors_undirected(index)
            .map(|other| self.graph[other].id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    pub(super) fn graph(&self) -> &StableDiGraph<Node, Link> {
        &self.graph
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OperState;

    fn node(id: &str) -> Node {
        Node {
            id: id.into(),
            kind: "router".into(),
            asn: None,
            state: OperState::Up,
            attributes: Default::default(),
        }
    }

    fn link(id: &str, source: &str, target: &str) -> Link {
        Link {
            id: id.into(),
            source: source.into(),
            target: target.into(),
            kind: String::new(),
            capacity_bps: Some(100),
            utilisation: None,
            state: OperState::Up,
            attributes: Default::default(),
        }
    }

    #[test]
    fn applies_changes_and_keeps_old_snapshots_unchanged() {
        let store = TopologyStore::new();
        let report = store.apply(&TopologyDelta {
            sequence: 1,
            snapshot: true,
            changes: vec![
                TopologyChange::NodeUpsert { node: node("a") },
                TopologyChange::NodeUpsert { node: node("b") },
                TopologyChange::LinkUpsert {
                    link: link("ab", "a", "b"),
                },
                TopologyChange::LinkUpsert {
                    link: link("ax", "a", "x"),
                },
            ],
        });
        assert_eq!(report.applied, 3);
        assert_eq!(report.rejected, vec!["link ax: unknown node x".to_string()]);
        let before = store.snapshot();
        store.apply(&TopologyDelta {
            sequence: 2,
            snapshot: false,
            changes: vec![TopologyChange::NodeRemove { id: "b".into() }],
        });
        assert_eq!(before.link_count(), 1);
        assert_eq!(before.neighbours("a"), vec!["b"]);
        let after = store.snapshot();
        assert_eq!(after.version(), 2);
        assert_eq!(after.link_count(), 0);
        assert!(after.neighbours("a").is_empty());
    }

    #[test]
    fn utilisation_telemetry_updates_known_links_only() {
        let store = TopologyStore::new();
        store.apply(&TopologyDelta {
            sequence: 1,
            snapshot: true,
            changes: vec![
                TopologyChange::NodeUpsert { node: node("a") },
                TopologyChange::NodeUpsert { node: node("b") },
                TopologyChange::LinkUpsert {
                    link: link("ab", "a", "b"),
                },
            ],
        });
        let sample = |subject: &str| TelemetrySample {
            subject: subject.into(),
            metric: "utilisation".into(),
            value: 0.7,
            timestamp_ms: 0,
        };
        assert!(store.apply_telemetry(&sample("ab")));
        assert!(!store.apply_telemetry(&sample("zz")));
        assert_eq!(store.snapshot().link("ab").unwrap().utilisation, Some(0.7));
        assert_eq!(store.snapshot().link("ab").unwrap().state, OperState::Up);
    }
}
