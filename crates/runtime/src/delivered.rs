//! [`DeliveredEvent`]: an event on its way to detectors, with what their host imports show
//! during the call.

use std::sync::OnceLock;

use netassure_flowgraph::{Conversations, HostGraph};

use super::{Event, EventPayload};

/// An event on its way to detectors, with the topology version it left behind (during the
/// detector's call `graph.current()` shows that version, not whatever came later) and, for a
/// flow window, its host graph and its conversations — each built the first time any detector
/// asks, then shared.
#[derive(Debug)]
pub struct DeliveredEvent {
    /// The event.
    pub event: Event,
    /// The topology store's version right after the event was applied.
    pub topology_version: u64,
    window_graph: OnceLock<HostGraph>,
    conversations: OnceLock<Conversations>,
}

impl DeliveredEvent {
    /// `event`, delivered when the topology store was at `topology_version`.
    pub fn new(event: Event, topology_version: u64) -> Self {
        DeliveredEvent {
            event,
            topology_version,
            window_graph: OnceLock::new(),
            conversations: OnceLock::new(),
        }
    }

    /// Flows in the event's window (0 for any other kind of event).
    pub fn flow_count(&self) -> u64 {
        match &self.event.payload {
            EventPayload::Flows(window) => u64::from(window.flows.len),
            _ => 0,
        }
    }

    /// The host graph of the event's flow window; `None` for any other kind of event.
    pub fn window_graph(&self) -> Option<&HostGraph> {
        let EventPayload::Flows(window) = &self.event.payload else {
            return None;
        };
        Some(
            self.window_graph
                .get_or_init(|| HostGraph::build(netassure_flowgraph::flow_slices!(window.flows))),
        )
    }

    /// The conversations of the event's flow window (both directions paired); `None` for any
    /// other kind of event.
    pub fn conversations(&self) -> Option<&Conversations> {
        let EventPayload::Flows(window) = &self.event.payload else {
            return None;
        };
        Some(
            self.conversations.get_or_init(|| {
                Conversations::build(&netassure_flowgraph::flow_slices!(window.flows))
            }),
        )
    }
}
