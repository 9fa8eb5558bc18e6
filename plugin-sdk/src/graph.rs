//! A topology snapshot, from the host (`graph` import) or built locally for tests, and the
//! CSR → petgraph helper.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use petgraph::graph::{NodeIndex, UnGraph};

use crate::bindings::detector::netassure::plugin::graph::Snapshot;
use crate::{Csr, Link, Node};

/// An immutable view of the topology at one version.
///
/// Inside the host it wraps the host's `snapshot` resource; in native tests it is built from
/// nodes and links with [`GraphSnapshot::local`].
pub struct GraphSnapshot<'a> {
    inner: Inner<'a>,
}

enum Inner<'a> {
    Borrowed(&'a Snapshot),
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Owned(Snapshot),
    Local(Rc<LocalGraph>),
}

/// A topology held by the plugin itself (tests, and plugins that build graphs of their own).
#[derive(Debug, Clone, Default)]
pub struct LocalGraph {
    version: u64,
    nodes: Vec<Node>,
    links: Vec<Link>,
}

impl<'a> GraphSnapshot<'a> {
    pub(crate) fn from_host(snapshot: &'a Snapshot) -> Self {
        GraphSnapshot {
            inner: Inner::Borrowed(snapshot),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn from_owned(snapshot: Snapshot) -> GraphSnapshot<'static> {
        GraphSnapshot {
            inner: Inner::Owned(snapshot),
        }
    }

    /// A snapshot of `nodes` and `links`, held by the plugin (for tests).
    pub fn local(version: u64, nodes: Vec<Node>, links: Vec<Link>) -> GraphSnapshot<'static> {
        GraphSnapshot {
            inner: Inner::Local(Rc::new(LocalGraph {
                version,
                nodes,
                links,
            })),
        }
    }

    fn host(&self) -> Option<&Snapshot> {
        match &self.inner {
            Inner::Borrowed(snapshot) => Some(snapshot),
            Inner::Owned(snapshot) => Some(snapshot),
            Inner::Local(_) => None,
        }
    }

    fn local_graph(&self) -> &LocalGraph {
        match &self.inner {
            Inner::Local(graph) => graph,
            _ => unreachable!("host snapshots are answered by the host"),
        }
    }

    /// Topology version.
    pub fn version(&self) -> u64 {
        match self.host() {
            Some(host) => host.version(),
            None => self.local_graph().version,
        }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        match self.host() {
            Some(host) => host.node_count() as usize,
            None => self.local_graph().nodes.len(),
        }
    }

    /// Number of links.
    pub fn link_count(&self) -> usize {
        match self.host() {
            Some(host) => host.link_count() as usize,
            None => self.local_graph().links.len(),
        }
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<Node> {
        match self.host() {
            Some(host) => host.node(id),
            None => self
                .local_graph()
                .nodes
                .iter()
                .find(|node| node.id == id)
                .cloned(),
        }
    }

    /// The link with this id.
    pub fn link(&self, id: &str) -> Option<Link> {
        match self.host() {
            Some(host) => host.link(id),
            None => self
                .local_graph()
                .links
                .iter()
                .find(|link| link.id == id)
                .cloned(),
        }
    }

    /// All nodes.
    pub fn nodes(&self) -> Vec<Node> {
        match self.host() {
            Some(host) => host.nodes(),
            None => self.local_graph().nodes.clone(),
        }
    }

    /// All links.
    pub fn links(&self) -> Vec<Link> {
        match self.host() {
            Some(host) => host.links(),
            None => self.local_graph().links.clone(),
        }
    }

    /// Links attached to node `id`, in either direction.
    pub fn links_of(&self, id: &str) -> Vec<Link> {
        match self.host() {
            Some(host) => host.links_of(id),
            None => {
                let links = &self.local_graph().links;
                links
                    .iter()
                    .filter(|link| link.source == id || link.target == id)
                    .cloned()
                    .collect()
            }
        }
    }

    /// Ids of the nodes linked to `id`, in either direction, without duplicates.
    pub fn neighbours(&self, id: &str) -> Vec<String> {
        match self.host() {
            Some(host) => host.neighbours(id),
            None => {
                let mut seen = BTreeSet::new();
                for link in self.links_of(id) {
                    let other = if link.source == id {
                        link.target
                    } else {
                        link.source
                    };
                    seen.insert(other);
                }
                seen.into_iter().collect()
            }
        }
    }

    /// The working part of the graph in compressed-sparse-row form: nodes that are not down,
    /// and links that are not down between them. Built from [`nodes`](Self::nodes) and
    /// [`links`](Self::links), so it costs more than [`to_csr`](Self::to_csr), which holds
    /// every node and link whatever its state.
    pub fn working_csr(&self) -> Csr {
        let nodes: Vec<Node> = self
            .nodes()
            .into_iter()
            .filter(|node| node.state != crate::OperState::Down)
            .collect();
        let working: std::collections::HashSet<&str> =
            nodes.iter().map(|node| node.id.as_str()).collect();
        let links: Vec<Link> = self
            .links()
            .into_iter()
            .filter(|link| {
                link.state != crate::OperState::Down
                    && working.contains(link.source.as_str())
                    && working.contains(link.target.as_str())
            })
            .collect();
        LocalGraph {
            version: self.version(),
            nodes,
            links,
        }
        .to_csr()
    }

    /// The whole graph in compressed-sparse-row form.
    pub fn to_csr(&self) -> Csr {
        match self.host() {
            Some(host) => host.to_csr(),
            None => self.local_graph().to_csr(),
        }
    }
}

impl LocalGraph {
    fn to_csr(&self) -> Csr {
        let index: HashMap<&str, u32> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (node.id.as_str(), i as u32))
            .collect();
        let mut out: Vec<Vec<&Link>> = vec![Vec::new(); self.nodes.len()];
        for link in &self.links {
            if let (Some(&s), Some(_)) = (
                index.get(link.source.as_str()),
                index.get(link.target.as_str()),
            ) {
                out[s as usize].push(link);
            }
        }
        let mut csr = Csr {
            node_ids: self.nodes.iter().map(|node| node.id.clone()).collect(),
            offsets: Vec::with_capacity(self.nodes.len() + 1),
            targets: Vec::new(),
            link_ids: Vec::new(),
            capacity_bps: Vec::new(),
            utilisation: Vec::new(),
        };
        csr.offsets.push(0);
        for links in out {
            for link in links {
                csr.targets.push(index[link.target.as_str()]);
                csr.link_ids.push(link.id.clone());
                csr.capacity_bps.push(link.capacity_bps.unwrap_or(0));
                csr.utilisation.push(link.utilisation.unwrap_or(f64::NAN));
            }
            csr.offsets.push(csr.targets.len() as u32);
        }
        csr
    }
}

/// An undirected petgraph graph of `csr`: node `i` is `csr.node_ids[i]`, and each edge's
/// weight is the position of its link in the CSR lists (`csr.link_ids[weight]`).
pub fn undirected_graph(csr: &Csr) -> UnGraph<(), u32> {
    let node_count = csr.node_ids.len();
    let mut graph = UnGraph::with_capacity(node_count, csr.targets.len());
    for _ in 0..node_count {
        graph.add_node(());
    }
    for source in 0..node_count {
        let (start, end) = (
            csr.offsets[source] as usize,
            csr.offsets[source + 1] as usize,
        );
        for position in start..end {
            let target = csr.targets[position] as usize;
            graph.add_edge(
                NodeIndex::new(source),
                NodeIndex::new(target),
                position as u32,
            );
        }
    }
    graph
}
