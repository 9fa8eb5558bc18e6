//! `netassure simulate`: a topology-stream server for demos and tests. It serves the snapshot
//! of a topology file, then streams the messages of an events file at a set rate (optionally
//! in a loop), injecting faults — link flaps, node failures, BGP route leaks — on a schedule.
//! It speaks the protocol of `docs/topology-stream.md`, resyncs included.

mod faults;
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use faults::Fault;
pub use server::Simulator;

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Topology file (one snapshot message).
    pub topology: PathBuf,
    /// Events file (delta and telemetry messages), if any.
    pub events: Option<PathBuf>,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Messages per second (0: as fast as possible).
    pub rate: f64,
    /// Start the events again when they run out.
    pub repeat: bool,
    /// Faults to inject.
    pub faults: Vec<Fault>,
    /// Time between two injected faults.
    pub fault_every: Duration,
    /// Seed of the fault choices.
    pub seed: u64,
}
