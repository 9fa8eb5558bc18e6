//! Flow records in their JSON row form; the runtime turns a window of them into the columnar
//! `flow-batch` of the WIT.

use serde::{Deserialize, Serialize};

/// One flow record (JSON row form): the same object as a line of a JSON-lines flow file.
pub use netassure_netflow::files::JsonFlow as FlowRecord;

/// A window of flows as it appears in an event file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowWindowInput {
    /// Window start, ms since the epoch.
    #[serde(default)]
    pub start_ms: u64,
    /// Window end (exclusive), ms since the epoch.
    #[serde(default)]
    pub end_ms: u64,
    /// The flows.
    pub flows: Vec<FlowRecord>,
}
