//! The host's data model and its JSON form: topology, events, anomalies and alerts.
//!
//! These types are what files, REST bodies and sinks carry. They mirror the WIT records of
//! `netassure:plugin@0.1.0`; `runtime::convert` turns them into the generated binding types.

pub mod anomaly;
pub mod decode;
pub mod event;
pub mod evidence;
pub mod files;
pub mod flows;
pub mod incident;
pub mod timefmt;
pub mod topology;

pub use anomaly::{AlertRecord, AnomalyRecord, Severity};
pub use event::{EventKind, InputEvent};
pub use evidence::EvidenceRecord;
pub use flows::{FlowRecord, FlowWindowInput};
pub use topology::{Link, Node, OperState, TelemetrySample, TopologyChange, TopologyDelta};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}
