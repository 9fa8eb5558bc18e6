//! The mutable topology graph. Every change reports what it replaced, so the store can keep
//! history and compute diffs.

use std::collections::HashMap;

use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};

use crate::model::{Link, Node, OperState, TopologyChange};

/// The effect of one change on one node or link: its value before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "entity", rename_all = "lowercase")]
pub enum AppliedChange {
    /// A node changed.
    Node {
        /// Node id.
        id: String,
        /// Before (absent: it was added).
        before: Option<Node>,
        /// After (absent: it was removed).
        after: Option<Node>,
    },
    /// A link changed.
    Link {
        /// Link id.
        id: String,
        /// Before (absent: it was added).
        before: Option<Link>,
        /// After (absent: it was removed).
        after: Option<Link>,
    },
}

/// A directed multigraph of nodes and links, indexed by id.
#[derive(Debug, Clone, Default)]
pub struct TopologyGraph {
    graph: StableDiGraph<Node, Link>,
    nodes: HashMap<String, NodeIndex>,
    links: HashMap<String, EdgeIndex>,
}

impl TopologyGraph {
    /// Apply one change; `out` receives its effects (a node removal also removes its links).
    pub fn apply(
        &mut self,
        change: &TopologyChange,
        out: &mut Vec<AppliedChange>,
    ) -> Result<(), String> {
        match change {
            TopologyChange::NodeUpsert { node } => {
                let before = match self.nodes.get(&node.id) {
                    Some(&index) => Some(std::mem::replace(&mut self.graph[index], node.clone())),
                    None => {
                        let index = self.graph.add_node(node.clone());
                        self.nodes.insert(node.id.clone(), index);
                        None
                    }
                };
                out.push(AppliedChange::Node {
                    id: node.id.clone(),
                    before,
                    after: Some(node.clone()),
                });
                Ok(())
            }
            TopologyChange::NodeRemove { id } => self.remove_node(id, out),
            TopologyChange::LinkUpsert { link } => self.upsert_link(link, out),
            TopologyChange::LinkRemove { id } => {
                let index = self
                    .links
                    .remove(id)
                    .ok_or_else(|| format!("link-remove: unknown link {id}"))?;
                let before = self.graph.remove_edge(index);
                out.push(AppliedChange::Link {
                    id: id.clone(),
                    before,
                    after: None,
                });
                Ok(())
            }
            TopologyChange::LinkState { id, state } => {
                self.update_link(id, out, |link| link.state = *state)
            }
            TopologyChange::LinkUtilisation { id, utilisation } => {
                self.update_link(id, out, |link| link.utilisation = Some(*utilisation))
            }
        }
    }

    fn remove_node(&mut self, id: &str, out: &mut Vec<AppliedChange>) -> Result<(), String> {
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
                out.push(AppliedChange::Link {
                    id: link.id.clone(),
                    before: Some(link),
                    after: None,
                });
            }
        }
        let before = self.graph.remove_node(index);
        out.push(AppliedChange::Node {
            id: id.to_owned(),
            before,
            after: None,
        });
        Ok(())
    }

    fn upsert_link(&mut self, link: &Link, out: &mut Vec<AppliedChange>) -> Result<(), String> {
        let endpoint = |id: &str| {
            self.nodes
                .get(id)
                .copied()
                .ok_or_else(|| format!("link {}: unknown node {id}", link.id))
        };
        let (source, target) = (endpoint(&link.source)?, endpoint(&link.target)?);
        let before = match self.links.get(&link.id) {
            Some(&index) if self.graph.edge_endpoints(index) == Some((source, target)) => {
                Some(std::mem::replace(&mut self.graph[index], link.clone()))
            }
            Some(&index) => {
                let before = self.graph.remove_edge(index);
                let index = self.graph.add_edge(source, target, link.clone());
                self.links.insert(link.id.clone(), index);
                before
            }
            None => {
                let index = self.graph.add_edge(source, target, link.clone());
                self.links.insert(link.id.clone(), index);
                None
            }
        };
        out.push(AppliedChange::Link {
            id: link.id.clone(),
            before,
            after: Some(link.clone()),
        });
        Ok(())
    }

    fn update_link(
        &mut self,
        id: &str,
        out: &mut Vec<AppliedChange>,
        update: impl FnOnce(&mut Link),
    ) -> Result<(), String> {
        let index = *self
            .links
            .get(id)
            .ok_or_else(|| format!("unknown link {id}"))?;
        let before = self.graph[index].clone();
        update(&mut self.graph[index]);
        out.push(AppliedChange::Link {
            id: id.to_owned(),
            before: Some(before),
            after: Some(self.graph[index].clone()),
        });
        Ok(())
    }

    /// Replace the whole graph with `nodes` and `links`, keeping what did not change; records
    /// removals of what is no longer there and upserts of what is new or different.
    pub fn replace_all(
        &mut self,
        nodes: &[Node],
        links: &[Link],
        out: &mut Vec<AppliedChange>,
        rejected: &mut Vec<String>,
    ) {
        let keep_nodes: std::collections::HashSet<&str> =
            nodes.iter().map(|node| node.id.as_str()).collect();
        let keep_links: std::collections::HashSet<&str> =
            links.iter().map(|link| link.id.as_str()).collect();
        let stale_links: Vec<String> = self
            .links
            .keys()
            .filter(|id| !keep_links.contains(id.as_str()))
            .cloned()
            .collect();
        for id in stale_links {
            let _ = self.apply(&TopologyChange::LinkRemove { id }, out);
        }
        let stale_nodes: Vec<String> = self
            .nodes
            .keys()
            .filter(|id| !keep_nodes.contains(id.as_str()))
            .cloned()
            .collect();
        for id in stale_nodes {
            let _ = self.remove_node(&id, out);
        }
        for node in nodes {
            if self.node(&node.id) != Some(node) {
                let _ = self.apply(&TopologyChange::NodeUpsert { node: node.clone() }, out);
            }
        }
        for link in links {
            if self.link(&link.id) != Some(link) {
                if let Err(reason) =
                    self.apply(&TopologyChange::LinkUpsert { link: link.clone() }, out)
                {
                    rejected.push(reason);
                }
            }
        }
    }

    /// Set a link's utilisation in place (telemetry); false for an unknown link.
    pub fn set_utilisation(&mut self, id: &str, utilisation: f64) -> bool {
        match self.links.get(id) {
            Some(&index) => {
                self.graph[index].utilisation = Some(utilisation);
                true
            }
            None => false,
        }
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

    /// Ids of nodes that are up but have no link that is up.
    pub fn isolated(&self) -> Vec<String> {
        self.graph
            .node_indices()
            .filter(|&index| self.graph[index].state != OperState::Down)
            .filter(|&index| {
                !self
                    .graph
                    .edges_directed(index, Direction::Outgoing)
                    .chain(self.graph.edges_directed(index, Direction::Incoming))
                    .any(|edge| edge.weight().state != OperState::Down)
            })
            .map(|index| self.graph[index].id.clone())
            .collect()
    }

    pub(super) fn petgraph(&self) -> &StableDiGraph<Node, Link> {
        &self.graph
    }
}
