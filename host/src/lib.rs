//! NetAssure host: ingestion, the topology graph, the sandboxed WebAssembly plugin runtime,
//! the event pipeline and every interface (REST, CLI). See `ARCHITECTURE.md` at the root.

pub mod api;
pub mod config;
pub mod evaluation;
pub mod findings;
pub mod fsutil;
pub mod incidents;
/// The inference service (ONNX Runtime through `ort`): the `netassure-inference` crate.
pub use netassure_inference as inference;
pub mod ingest;
pub mod learning;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod registry;
pub mod runtime;
pub mod server;
pub mod simulator;
pub mod sinks;
pub mod state_store;
pub mod timefmt;
pub mod topology;
