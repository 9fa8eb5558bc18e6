//! NetAssure host: ingestion, the topology graph, the sandboxed WebAssembly plugin runtime,
//! the event pipeline and every interface (REST, WebSocket, metrics); the `netassure` CLI is the
//! `netassure-cli` crate. See `ARCHITECTURE.md` at the root.

pub mod api;
pub mod config;
pub mod flow_history;
pub mod incidents;
pub mod learning;
pub mod pipeline;
pub mod registry;
pub mod server;
pub mod sinks;

// The layers below the daemon, each its own crate (see ARCHITECTURE.md's code map), named here
// as the daemon's modules name them.
/// Findings (SQLite): the `netassure-findings` crate.
pub use netassure_findings as findings;
/// File helpers: the `netassure-fsutil` crate.
pub use netassure_fsutil as fsutil;
/// The inference service (ONNX Runtime through `ort`): the `netassure-inference` crate.
pub use netassure_inference as inference;
/// Ingestion (the topology stream, NetFlow/IPFIX, flow files): the `netassure-ingest` crate.
pub use netassure_ingest as ingest;
/// Prometheus metrics: the `netassure-metrics` crate.
pub use netassure_metrics as metrics;
/// The data model: the `netassure-model` crate.
pub use netassure_model as model;
/// RFC 3339 timestamps (part of the model crate).
pub use netassure_model::timefmt;
/// The WebAssembly plugin runtime (wasmtime, redb): the `netassure-runtime` crate.
pub use netassure_runtime as runtime;
/// Plugin state (redb), part of the runtime crate.
pub use netassure_runtime::state_store;
/// The versioned topology store (petgraph): the `netassure-topology` crate.
pub use netassure_topology as topology;
