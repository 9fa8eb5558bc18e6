//! The topology graph store: a petgraph `StableGraph` behind stable string ids, versioned.
//!
//! - [`TopologyGraph`] is the mutable graph; applying a change returns what it replaced.
//! - [`TopologyStore`] owns the live graph, makes a version per applied delta, keeps a bounded
//!   [`history`] of versions (for diffs) and per-link [`utilisation`] history, persists both
//!   ([`persist`]), and hands out immutable [`TopologySnapshot`]s.

mod csr;
mod graph;
pub mod history;
mod index;
mod past;
pub mod persist;
mod snapshot;
mod store;
pub mod utilisation;

pub use csr::Csr;
pub use graph::{AppliedChange, TopologyGraph};
pub use history::{Diff, HistoryError, VersionRecord, VersionSummary};
pub use snapshot::TopologySnapshot;
pub use store::{ApplyReport, StoreConfig, TopologyStore};
