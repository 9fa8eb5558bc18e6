//! Input events: the messages of the topology stream and of event files — one JSON object,
//! tagged by `type`. The schema is `docs/topology-stream.schema.json`, described in
//! `docs/topology-stream.md`.

use serde::{Deserialize, Serialize};

use super::{FlowWindowInput, Link, Node, TelemetrySample, TopologyChange, TopologyDelta};

/// One input message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum InputEvent {
    /// The whole topology; replaces what was there.
    Snapshot {
        /// Sequence number; the next message carries `seq + 1`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
        /// Time of the snapshot, ms since the epoch.
        #[serde(default)]
        timestamp_ms: u64,
        /// Every node.
        #[serde(default)]
        nodes: Vec<Node>,
        /// Every link.
        #[serde(default)]
        links: Vec<Link>,
    },
    /// Changes applied together as one new version.
    Delta {
        /// Sequence number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
        /// Time of the change, ms since the epoch.
        #[serde(default)]
        timestamp_ms: u64,
        /// The changes, in order.
        changes: Vec<TopologyChange>,
    },
    /// One telemetry sample.
    Telemetry {
        /// Sequence number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
        /// Node or link id.
        subject: String,
        /// Metric name.
        metric: String,
        /// Value.
        value: f64,
        /// Measurement time, ms since the epoch (0: arrival time).
        #[serde(default)]
        timestamp_ms: u64,
    },
    /// A window of flows.
    Flows(FlowWindowInput),
    /// Keep-alive; carries no data and no sequence number.
    Heartbeat {
        /// Sender's time, ms since the epoch.
        #[serde(default)]
        timestamp_ms: u64,
    },
}

impl InputEvent {
    /// The kind detectors subscribe to; `None` for heartbeats.
    pub fn kind(&self) -> Option<EventKind> {
        match self {
            InputEvent::Snapshot { .. } | InputEvent::Delta { .. } => Some(EventKind::Topology),
            InputEvent::Telemetry { .. } => Some(EventKind::Telemetry),
            InputEvent::Flows(_) => Some(EventKind::Flows),
            InputEvent::Heartbeat { .. } => None,
        }
    }

    /// The sequence number, when the message has one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            InputEvent::Snapshot { seq, .. }
            | InputEvent::Delta { seq, .. }
            | InputEvent::Telemetry { seq, .. } => *seq,
            InputEvent::Flows(_) | InputEvent::Heartbeat { .. } => None,
        }
    }

    /// The message's own time (0 when it has none).
    pub fn timestamp_ms(&self) -> u64 {
        match self {
            InputEvent::Snapshot { timestamp_ms, .. }
            | InputEvent::Delta { timestamp_ms, .. }
            | InputEvent::Telemetry { timestamp_ms, .. }
            | InputEvent::Heartbeat { timestamp_ms } => *timestamp_ms,
            InputEvent::Flows(window) => window.end_ms,
        }
    }

    /// A snapshot or delta as the topology delta the store applies.
    pub fn topology_delta(&self) -> Option<TopologyDelta> {
        match self {
            InputEvent::Snapshot {
                seq, nodes, links, ..
            } => {
                let nodes = nodes
                    .iter()
                    .map(|node| TopologyChange::NodeUpsert { node: node.clone() });
                let links = links
                    .iter()
                    .map(|link| TopologyChange::LinkUpsert { link: link.clone() });
                Some(TopologyDelta {
                    sequence: seq.unwrap_or(0),
                    snapshot: true,
                    changes: nodes.chain(links).collect(),
                })
            }
            InputEvent::Delta { seq, changes, .. } => Some(TopologyDelta {
                sequence: seq.unwrap_or(0),
                snapshot: false,
                changes: changes.clone(),
            }),
            _ => None,
        }
    }

    /// A telemetry message as a sample.
    pub fn telemetry_sample(&self) -> Option<TelemetrySample> {
        match self {
            InputEvent::Telemetry {
                subject,
                metric,
                value,
                timestamp_ms,
                ..
            } => Some(TelemetrySample {
                subject: subject.clone(),
                metric: metric.clone(),
                value: *value,
                timestamp_ms: *timestamp_ms,
            }),
            _ => None,
        }
    }
}

/// Kinds of event, as detectors subscribe to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// Topology snapshots and deltas.
    Topology,
    /// Telemetry samples.
    Telemetry,
    /// Flow windows.
    Flows,
}
