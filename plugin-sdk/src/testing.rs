//! Helpers for native unit tests of plugins: build nodes, links and events, and install the
//! graph that [`host::graph::current`](crate::host::graph::current) returns.

use std::cell::RefCell;

use crate::{
    Event, EventPayload, GraphSnapshot, Link, Node, OperState, TelemetrySample, TopologyChange,
    TopologyDelta,
};

thread_local! {
    static GRAPH: RefCell<(u64, Vec<Node>, Vec<Link>)> = const { RefCell::new((0, Vec::new(), Vec::new())) };
}

/// Make `host::graph::current()` return this topology (native builds only).
pub fn set_graph(version: u64, nodes: Vec<Node>, links: Vec<Link>) {
    GRAPH.with(|graph| *graph.borrow_mut() = (version, nodes, links));
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn current_graph() -> GraphSnapshot<'static> {
    GRAPH.with(|graph| {
        let (version, nodes, links) = graph.borrow().clone();
        GraphSnapshot::local(version, nodes, links)
    })
}

/// A node that is up, with no attributes.
pub fn node(id: &str, kind: &str) -> Node {
    Node {
        id: id.into(),
        kind: kind.into(),
        asn: None,
        state: OperState::Up,
        attributes: vec![],
    }
}

/// A link that is up, with a capacity and no utilisation yet.
pub fn link(id: &str, source: &str, target: &str, capacity_bps: u64) -> Link {
    Link {
        id: id.into(),
        source: source.into(),
        target: target.into(),
        kind: "ethernet".into(),
        capacity_bps: Some(capacity_bps),
        utilisation: None,
        state: OperState::Up,
        attributes: vec![],
    }
}

/// An event carrying one telemetry sample.
pub fn telemetry_event(id: u64, subject: &str, metric: &str, value: f64) -> Event {
    Event {
        id,
        source: "test".into(),
        timestamp_ms: 0,
        payload: EventPayload::Telemetry(TelemetrySample {
            subject: subject.into(),
            metric: metric.into(),
            value,
            timestamp_ms: 0,
        }),
    }
}

/// An event carrying a topology delta with `changes`; `snapshot` marks a full snapshot.
pub fn topology_event(snapshot: bool, changes: Vec<TopologyChange>) -> Event {
    Event {
        id: 1,
        source: "test".into(),
        timestamp_ms: 0,
        payload: EventPayload::Topology(TopologyDelta {
            sequence: 1,
            snapshot,
            changes,
        }),
    }
}
