//! The graph algorithms behind NetAssure's graph-algorithm and topology-detector plugins.
//!
//! Pure Rust on petgraph and rustworkx-core, with no WIT or host types: the plugins compile it
//! to `wasm32-wasip2`, and the host's benchmarks call the very same functions natively to
//! measure what the sandbox costs. Every result is checked against networkx by the fixtures in
//! `tests/fixtures/graphs/` (made by `tests/fixtures/graphs/make_fixtures.py`).
//!
//! Graphs are undirected and simple ([`Network`]): topology links are physical links whatever
//! their direction, parallel links between two nodes are one edge (remembered, so a pair
//! joined twice is never a bridge), and self-loops are dropped.

pub mod bgp;
pub mod capacity;
pub mod cascade;
pub mod centrality;
pub mod community;
pub mod connectivity;
mod network;
pub mod paths;
#[cfg(feature = "sdk")]
pub mod plugin;
pub mod whatif;

pub use network::{Edge, Network};
