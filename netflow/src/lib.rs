//! NetFlow v5, v9 and IPFIX (RFC 3954, RFC 7011) decoding for NetAssure's collector.
//!
//! A [`Collector`] takes export datagrams with the exporter's address and appends every flow
//! record straight into [`FlowColumns`], the column layout of the WIT `flow-batch`: no record
//! structs, no per-field allocation. Templates are kept per exporter and observation domain
//! (v9 source id), compiled once into a decoding plan, refreshed when re-sent and expired
//! when not; data that arrives before its template waits briefly and is decoded when the
//! template comes (or counted when it does not). Every exporter has counters: flows, export
//! packets, lost sequence numbers, malformed datagrams.
//!
//! [`nids`] reads NetFlow CSV in the schema of the UQ NIDS datasets into the same columns,
//! with each row's label; [`files`] reads flow files of every kind we take (NIDS CSV, JSON
//! lines, pcap/pcapng through a probe's flow table) and cuts flows into windows.
//!
//! Malformed input never panics: every read is bounds-checked and a bad datagram is counted
//! and skipped (the fuzz targets in `netflow/fuzz/` exercise exactly that).

mod collector;
mod columns;
#[doc(hidden)]
pub mod craft;
mod fields;
pub mod files;
#[doc(hidden)]
pub mod fuzzing;
mod ipfix;
pub mod nids;
mod read;
mod template;
mod v5;
mod v9;

pub use collector::{Collector, CollectorConfig, CollectorStats, ExporterStats};
pub use columns::{FlowColumns, FlowRow};
pub use read::DecodeError;
