//! An immutable view of the topology at one version.

use std::ops::Deref;

use super::TopologyGraph;

/// One version of the topology, shared by `Arc`; never changes once made.
#[derive(Debug, Clone, Default)]
pub struct TopologySnapshot {
    pub(super) version: u64,
    pub(super) revision: u64,
    pub(super) timestamp_ms: u64,
    pub(super) graph: TopologyGraph,
}

impl TopologySnapshot {
    /// Topology version (one per applied delta).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Revision: increases with every version and every telemetry update of utilisation.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Time of the last applied delta, ms since the epoch.
    pub fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }
}

impl Deref for TopologySnapshot {
    type Target = TopologyGraph;

    fn deref(&self) -> &TopologyGraph {
        &self.graph
    }
}
