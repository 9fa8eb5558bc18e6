//! Nodes, links, topology deltas and telemetry samples.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Operational state of a node or link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperState {
    /// Carrying traffic.
    #[default]
    Up,
    /// Not carrying traffic.
    Down,
    /// Carrying traffic with reduced capacity or errors.
    Degraded,
    /// Not reported.
    Unknown,
}

/// A network node. Strings are shared (`Arc<str>`): the store keeps one copy of each id and
/// kind, however many links and versions refer to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Stable identifier.
    pub id: Arc<str>,
    /// Role (`router`, `spine`, `leaf`, `host`, ...).
    #[serde(default)]
    pub kind: Arc<str>,
    /// Autonomous system number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// Operational state.
    #[serde(default)]
    pub state: OperState,
    /// Free attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// A link from `source` to `target`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Stable identifier.
    pub id: Arc<str>,
    /// Node at one end.
    pub source: Arc<str>,
    /// Node at the other end.
    pub target: Arc<str>,
    /// Kind of link.
    #[serde(default)]
    pub kind: Arc<str>,
    /// Capacity, bits per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_bps: Option<u64>,
    /// Utilisation, fraction of capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilisation: Option<f64>,
    /// Operational state.
    #[serde(default)]
    pub state: OperState,
    /// Free attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// One change to the topology, tagged by `op`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum TopologyChange {
    /// Add or replace a node.
    NodeUpsert {
        /// The node.
        node: Node,
    },
    /// Remove a node and its links.
    NodeRemove {
        /// Its id.
        id: String,
    },
    /// Add or replace a link.
    LinkUpsert {
        /// The link.
        link: Link,
    },
    /// Remove a link.
    LinkRemove {
        /// Its id.
        id: String,
    },
    /// Set a link's state.
    LinkState {
        /// The link.
        id: String,
        /// Its new state.
        state: OperState,
    },
    /// Set a link's utilisation.
    LinkUtilisation {
        /// The link.
        id: String,
        /// Its new utilisation.
        utilisation: f64,
    },
}

/// Changes applied together as one topology version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopologyDelta {
    /// Source sequence number.
    #[serde(default)]
    pub sequence: u64,
    /// True when this replaces the whole topology.
    #[serde(default)]
    pub snapshot: bool,
    /// The changes, in order.
    pub changes: Vec<TopologyChange>,
}

/// One telemetry measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TelemetrySample {
    /// Node or link id.
    pub subject: String,
    /// Metric name.
    pub metric: String,
    /// Value.
    pub value: f64,
    /// Measurement time, ms since the epoch (0: arrival time).
    #[serde(default)]
    pub timestamp_ms: u64,
}
