//! Events as they arrive in event files and on stdin: one JSON object per line, tagged by
//! `type`. See `docs/events.md` for the format.

use serde::{Deserialize, Serialize};

use super::{FlowWindowInput, TelemetrySample, TopologyDelta};

/// One input event (a line of an event file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum InputEvent {
    /// A topology delta or snapshot.
    Topology {
        /// Event time, ms since the epoch (0: arrival time).
        #[serde(default)]
        timestamp_ms: u64,
        /// The delta.
        #[serde(flatten)]
        delta: TopologyDelta,
    },
    /// A telemetry sample.
    Telemetry(TelemetrySample),
    /// A window of flows.
    Flows(FlowWindowInput),
}

impl InputEvent {
    /// The kind of event.
    pub fn kind(&self) -> EventKind {
        match self {
            InputEvent::Topology { .. } => EventKind::Topology,
            InputEvent::Telemetry(_) => EventKind::Telemetry,
            InputEvent::Flows(_) => EventKind::Flows,
        }
    }
}

/// Kinds of event, as detectors subscribe to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// Topology deltas.
    Topology,
    /// Telemetry samples.
    Telemetry,
    /// Flow windows.
    Flows,
}

/// Re-exported so the pipeline can name the delivered form of an event.
pub use crate::runtime::bindings::events::{Event, EventPayload};
