//! `netassure simulate`: a topology-stream server for demos and tests. It serves the snapshot
//! of a topology file, then streams the messages of an events file at a set rate (optionally
//! in a loop), injecting faults — link flaps, node failures, BGP route leaks — on a schedule.
//! It speaks the protocol of `docs/topology-stream.md`, resyncs included.

mod faults;
mod server;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

pub use faults::Fault;
pub use server::Simulator;

use crate::model::decode::{Decoded, decode_value};
use crate::model::{InputEvent, Link, Node};

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

/// Read every message of a stream file: a JSON array, one message, or JSON lines.
pub fn read_messages(path: &Path) -> anyhow::Result<Vec<InputEvent>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let trimmed = text.trim_start();
    let values: Vec<serde_json::Value> = if trimmed.starts_with('[') {
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
    } else if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        vec![value]
    } else {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .with_context(|| format!("parsing {}", path.display()))?
    };
    let mut messages = Vec::with_capacity(values.len());
    for (index, value) in values.into_iter().enumerate() {
        match decode_value(value) {
            Decoded::Event { event, .. } => messages.push(*event),
            Decoded::UnknownType(kind) => tracing::warn!(
                "{}: message {index} has unknown type `{kind}`",
                path.display()
            ),
            Decoded::Malformed(reason) => bail!("{}: message {index}: {reason}", path.display()),
        }
    }
    Ok(messages)
}

/// The nodes and links of a topology file.
pub fn read_topology(path: &Path) -> anyhow::Result<(Vec<Node>, Vec<Link>)> {
    match read_messages(path)?.into_iter().next() {
        Some(InputEvent::Snapshot { nodes, links, .. }) => Ok((nodes, links)),
        _ => bail!("{} does not start with a snapshot message", path.display()),
    }
}
