//! The in-memory topology graph (petgraph `StableGraph` behind stable string ids).
//!
//! Readers take an `Arc` of an immutable [`TopologySnapshot`]; the single writer builds the
//! next version and publishes it atomically, so readers never wait for writers.

mod csr;
mod store;

pub use csr::Csr;
pub use store::{ApplyReport, TopologySnapshot, TopologyStore};
