//! The mutable topology graph. Every change reports what it replaced, so the store can keep
//! history and compute diffs.

use std::sync::Arc;

use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};

use super::index::IdIndex;
use netassure_model::{Link, Node, TopologyChange};

/// The effect of one change on one node or link: its value before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "entity", rename_all = "lowercase")]
pub enum AppliedChange {
    /// A node changed.
    Node {
        /// Node id.
        id: Arc<str>,
        /// Before (absent: it was added).
        before: Option<Arc<Node>>,
        /// After (absent: it was removed).
        after: Option<Arc<Node>>,
    },
    /// A link changed.
    Link {
        /// Link id.
        id: Arc<str>,
        /// Before (absent: it was added).
        before: Option<Arc<Link>>,
        /// After (absent: it was removed).
        after: Option<Arc<Link>>,
    },
}

/// A directed multigraph of nodes and links, indexed by id. Nodes and links are shared
/// (`Arc`), so cloning the graph for a snapshot and recording history copy pointers, not data.
#[derive(Debug, Clone, Default)]
pub struct TopologyGraph {
    graph: StableDiGraph<Arc<Node>, Arc<Link>>,
    nodes: IdIndex<NodeIndex>,
    links: IdIndex<EdgeIndex>,
    /// One shared copy of every kind (`ethernet`, `leaf`, ...).
    kinds: hashbrown::HashSet<Arc<str>>,
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
                let mut stored = node.clone();
                stored.kind = self.intern(&node.kind);
                let after = Arc::new(stored);
                let before = match self.node_index(&node.id) {
                    Some(index) => Some(std::mem::replace(&mut self.graph[index], after.clone())),
                    None => {
                        let index = self.graph.add_node(after.clone());
                        let graph = &self.graph;
                        self.nodes.insert(&node.id, index, |i| graph[i].id.as_ref());
                        None
                    }
                };
                out.push(AppliedChange::Node {
                    id: node.id.clone(),
                    before,
                    after: Some(after),
                });
                Ok(())
            }
            TopologyChange::NodeRemove { id } => self.remove_node(id, out),
            TopologyChange::LinkUpsert { link } => self.upsert_link(link, out),
            TopologyChange::LinkRemove { id } => {
                let graph = &self.graph;
                let index = self
                    .links
                    .remove(id, |i| graph[i].id.as_ref())
                    .ok_or_else(|| format!("link-remove: unknown link {id}"))?;
                let before = self.graph.remove_edge(index);
                out.push(AppliedChange::Link {
                    id: before
                        .as_ref()
                        .map_or_else(|| id.as_str().into(), |link| link.id.clone()),
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
        let graph = &self.graph;
        let index = self
            .nodes
            .remove(id, |i| graph[i].id.as_ref())
            .ok_or_else(|| format!("node-remove: unknown node {id}"))?;
        let attached: Vec<EdgeIndex> = self
            .graph
            .edges_directed(index, Direction::Outgoing)
            .chain(self.graph.edges_directed(index, Direction::Incoming))
            .map(|edge| edge.id())
            .collect();
        for edge in attached {
            let graph = &self.graph;
            self.links.remove(&graph[edge].id, |i| graph[i].id.as_ref());
            if let Some(link) = self.graph.remove_edge(edge) {
                out.push(AppliedChange::Link {
                    id: link.id.clone(),
                    before: Some(link),
                    after: None,
                });
            }
        }
        let before = self.graph.remove_node(index);
        out.push(AppliedChange::Node {
            id: before
                .as_ref()
                .map_or_else(|| id.into(), |node| node.id.clone()),
            before,
            after: None,
        });
        Ok(())
    }

    fn upsert_link(&mut self, link: &Link, out: &mut Vec<AppliedChange>) -> Result<(), String> {
        let endpoint = |id: &str| {
            self.node_index(id)
                .ok_or_else(|| format!("link {}: unknown node {id}", link.id))
        };
        let (source, target) = (endpoint(&link.source)?, endpoint(&link.target)?);
        // Share the endpoints' ids and the kind instead of keeping copies.
        let mut stored = link.clone();
        stored.source = self.graph[source].id.clone();
        stored.target = self.graph[target].id.clone();
        stored.kind = self.intern(&link.kind);
        let after = Arc::new(stored);
        let before = match self.link_index(&link.id) {
            Some(index) if self.graph.edge_endpoints(index) == Some((source, target)) => {
                Some(std::mem::replace(&mut self.graph[index], after.clone()))
            }
            existing => {
                let before = existing.and_then(|index| {
                    let graph = &self.graph;
                    self.links.remove(&link.id, |i| graph[i].id.as_ref());
                    self.graph.remove_edge(index)
                });
                let index = self.graph.add_edge(source, target, after.clone());
                let graph = &self.graph;
                self.links.insert(&link.id, index, |i| graph[i].id.as_ref());
                before
            }
        };
        out.push(AppliedChange::Link {
            id: link.id.clone(),
            before,
            after: Some(after),
        });
        Ok(())
    }

    fn update_link(
        &mut self,
        id: &str,
        out: &mut Vec<AppliedChange>,
        update: impl FnOnce(&mut Link),
    ) -> Result<(), String> {
        let index = self
            .link_index(id)
            .ok_or_else(|| format!("unknown link {id}"))?;
        let before = self.graph[index].clone();
        let mut link = (*before).clone();
        update(&mut link);
        let after = Arc::new(link);
        self.graph[index] = after.clone();
        out.push(AppliedChange::Link {
            id: after.id.clone(),
            before: Some(before),
            after: Some(after),
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
            nodes.iter().map(|node| node.id.as_ref()).collect();
        let keep_links: std::collections::HashSet<&str> =
            links.iter().map(|link| link.id.as_ref()).collect();
        let stale_links: Vec<String> = self
            .links()
            .filter(|link| !keep_links.contains(link.id.as_ref()))
            .map(|link| link.id.to_string())
            .collect();
        for id in stale_links {
            let _ = self.apply(&TopologyChange::LinkRemove { id }, out);
        }
        let stale_nodes: Vec<String> = self
            .nodes()
            .filter(|node| !keep_nodes.contains(node.id.as_ref()))
            .map(|node| node.id.to_string())
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
            if self.link(&link.id) != Some(link)
                && let Err(reason) =
                    self.apply(&TopologyChange::LinkUpsert { link: link.clone() }, out)
            {
                rejected.push(reason);
            }
        }
    }

    /// Set a link's utilisation in place (telemetry); false for an unknown link.
    pub(crate) fn set_utilisation(&mut self, id: &str, utilisation: f64) -> bool {
        match self.link_index(id) {
            Some(index) => {
                Arc::make_mut(&mut self.graph[index]).utilisation = Some(utilisation);
                true
            }
            None => false,
        }
    }

    fn intern(&mut self, text: &Arc<str>) -> Arc<str> {
        match self.kinds.get(text) {
            Some(shared) => shared.clone(),
            None => {
                self.kinds.insert(text.clone());
                text.clone()
            }
        }
    }

    fn node_index(&self, id: &str) -> Option<NodeIndex> {
        self.nodes.get(id, |i| self.graph[i].id.as_ref())
    }

    fn link_index(&self, id: &str) -> Option<EdgeIndex> {
        self.links.get(id, |i| self.graph[i].id.as_ref())
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
        self.node_index(id).map(|index| &*self.graph[index])
    }

    /// The link with this id.
    pub fn link(&self, id: &str) -> Option<&Link> {
        self.link_index(id).map(|index| &*self.graph[index])
    }

    /// All nodes, in storage order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.graph.node_weights().map(|node| &**node)
    }

    /// All links, in storage order.
    pub fn links(&self) -> impl Iterator<Item = &Link> {
        self.graph.edge_weights().map(|link| &**link)
    }

    /// Links attached to node `id`, in either direction.
    pub fn links_of(&self, id: &str) -> Vec<&Link> {
        let Some(index) = self.node_index(id) else {
            return Vec::new();
        };
        self.graph
            .edges_directed(index, Direction::Outgoing)
            .chain(self.graph.edges_directed(index, Direction::Incoming))
            .map(|edge| &**edge.weight())
            .collect()
    }

    /// Ids of the nodes linked to `id`, sorted, without duplicates.
    pub fn neighbours(&self, id: &str) -> Vec<String> {
        let Some(index) = self.node_index(id) else {
            return Vec::new();
        };
        let mut ids: Vec<String> = self
            .graph
            .neighbors_undirected(index)
            .map(|other| self.graph[other].id.to_string())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    pub(super) fn petgraph(&self) -> &StableDiGraph<Arc<Node>, Arc<Link>> {
        &self.graph
    }
}
