//! Fault injection: each fault is a delta now and, for transient faults, a repair later.

use std::str::FromStr;
use std::time::Duration;

use netassure_model::{Link, Node, OperState, TopologyChange};
use netassure_topology::TopologySnapshot;

/// A kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A link goes down and comes back after a second.
    LinkFlap,
    /// A node and its links go down and come back after five seconds.
    NodeFailure,
    /// An AS re-announces a route learned from one provider to another provider (a
    /// valley-free violation), visible in the second provider's `as_paths` attribute.
    RouteLeak,
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "link-flap" => Ok(Fault::LinkFlap),
            "node-failure" => Ok(Fault::NodeFailure),
            "route-leak" => Ok(Fault::RouteLeak),
            other => Err(format!(
                "unknown fault `{other}`: use link-flap, node-failure or route-leak"
            )),
        }
    }
}

/// The changes of a fault now, and the changes that repair it after a delay.
pub struct Injection {
    /// What the fault is, for the log.
    pub description: String,
    /// Changes now.
    pub now: Vec<TopologyChange>,
    /// Changes later, and when.
    pub repair: Option<(Duration, Vec<TopologyChange>)>,
}

fn link_state(link: &Link, state: OperState) -> TopologyChange {
    TopologyChange::LinkState {
        id: link.id.to_string(),
        state,
    }
}

fn node_with_state(node: &Node, state: OperState) -> TopologyChange {
    TopologyChange::NodeUpsert {
        node: Node {
            state,
            ..node.clone()
        },
    }
}

impl Fault {
    /// Plan this fault on `topology`, choosing with `rng`; `None` when it does not apply.
    pub fn plan(self, topology: &TopologySnapshot, rng: &mut fastrand::Rng) -> Option<Injection> {
        match self {
            Fault::LinkFlap => {
                let up: Vec<&Link> = topology
                    .links()
                    .filter(|link| link.state == OperState::Up)
                    .collect();
                let link = *pick(&up, rng)?;
                Some(Injection {
                    description: format!("link flap on {}", link.id),
                    now: vec![link_state(link, OperState::Down)],
                    repair: Some((
                        Duration::from_secs(1),
                        vec![link_state(link, OperState::Up)],
                    )),
                })
            }
            Fault::NodeFailure => {
                let up: Vec<&Node> = topology
                    .nodes()
                    .filter(|node| node.state == OperState::Up)
                    .collect();
                let node = *pick(&up, rng)?;
                let links = topology.links_of(&node.id);
                let mut now = vec![node_with_state(node, OperState::Down)];
                now.extend(links.iter().map(|link| link_state(link, OperState::Down)));
                let mut repair = vec![node_with_state(node, OperState::Up)];
                repair.extend(links.iter().map(|link| link_state(link, OperState::Up)));
                Some(Injection {
                    description: format!("node failure of {}", node.id),
                    now,
                    repair: Some((Duration::from_secs(5), repair)),
                })
            }
            Fault::RouteLeak => route_leak(topology, rng),
        }
    }
}

fn pick<'a, T>(items: &'a [T], rng: &mut fastrand::Rng) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.usize(..items.len())])
}

/// An AS with two providers announces what it learned from the first to the second.
fn route_leak(topology: &TopologySnapshot, rng: &mut fastrand::Rng) -> Option<Injection> {
    let leakers: Vec<(&Node, Vec<&Node>)> = topology
        .nodes()
        .filter_map(|node| {
            let providers: Vec<&Node> = topology
                .links_of(&node.id)
                .into_iter()
                .filter(|link| &*link.kind == "customer-provider" && link.source == node.id)
                .filter_map(|link| topology.node(&link.target))
                .collect();
            (providers.len() >= 2 && node.asn.is_some()).then_some((node, providers))
        })
        .collect();
    let (leaker, providers) = pick(&leakers, rng)?;
    let (from, to) = (providers[0], providers[1]);
    let path = format!("{} {}", leaker.asn?, from.asn?);
    let mut victim = to.clone();
    let paths = victim.attributes.entry("as_paths".into()).or_default();
    if !paths.is_empty() {
        paths.push(';');
    }
    paths.push_str(&path);
    Some(Injection {
        description: format!(
            "route leak: {} re-announces {}'s route to {}",
            leaker.id, from.id, to.id
        ),
        now: vec![TopologyChange::NodeUpsert { node: victim }],
        repair: None,
    })
}
