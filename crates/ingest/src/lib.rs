//! Ingestion: the topology engine's WebSocket stream, the NetFlow/IPFIX collector and flow
//! files, each on its own thread (the stream with its own single-threaded tokio runtime), so
//! publishing — which waits when plugins fall behind — never stalls the API. What they decode
//! goes to a [`Publish`]: the daemon's pipeline, or the dry run's topology store.

pub mod dry_run;
pub mod flow_file;
pub mod netflow;
mod stream_config;
pub mod topology_stream;

pub use flow_file::{FlowFileStatus, FlowFilesConfig};
pub use netflow::{NetflowCollector, NetflowConfig, NetflowStatus};
pub use stream_config::TopologyStreamConfig;
pub use topology_stream::{StreamStats, TopologyStreamClient};

use netassure_metrics::Metrics;
use netassure_model::InputEvent;
use netassure_netflow::FlowColumns;

/// What a flow source does when a detector's backlog is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenBusy {
    /// Wait for room (flow files and replays: waiting loses nothing).
    Wait,
    /// Skip the window for that detector and count it (a live collector: waiting would lose
    /// datagrams at the socket, uncounted).
    Skip,
}

/// Where the sources deliver what they decoded. The daemon's pipeline implements it; so does
/// the dry run, with a topology store alone.
pub trait Publish: Send + Sync {
    /// Publish one input event from `source`; its id (`None` for heartbeats, which carry
    /// nothing).
    fn publish(&self, source: &str, event: &InputEvent) -> Option<u64>;

    /// Publish a window of decoded flows from `source`; its event id. `when_busy` says what
    /// happens when a detector's backlog is full.
    fn publish_flows(
        &self,
        source: &str,
        start_ms: u64,
        end_ms: u64,
        columns: FlowColumns,
        when_busy: WhenBusy,
    ) -> u64;

    /// The metrics the sources count into.
    fn metrics(&self) -> &Metrics;
}
