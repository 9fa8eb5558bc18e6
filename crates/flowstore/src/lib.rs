//! The flow history: every flow kept in time-partitioned Parquet files (zstd, arrow-rs) under
//! the data directory, read back by time range and filter (docs/flow-queries.md).
//!
//! ```text
//! FlowStore::append(window) ─▶ buffer (in memory, scanned too)
//!        │ full (flush_flows) or old (flush_after)
//!        ▼
//! one file per hour of the flows' end: raw/YYYY-MM-DD/HH/FIRST-LAST-SEQ.parquet
//!   written as NAME.partial, synced, renamed — only then counted as stored
//!
//! FlowStore::scan(since, until, filter, limit) ─▶ the files whose span meets the range
//!                                                 + the buffer ─▶ matching flows, oldest first
//! ```
//!
//! `schema.rs` is the Arrow schema of a raw flow and the conversions to and from the
//! collector's columns; `layout.rs` where files lie and how they are named, found, set aside
//! and expired; `store.rs` the store itself: buffering, writing and scanning.

mod layout;
mod schema;
mod store;

pub use layout::HOUR_MS;
pub use schema::{append_batch, raw_schema, to_batch};
pub use store::{FlowStore, Query, StoreConfig, StoreStats};

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or folder of the store could not be read or written.
    #[error("flow store: {what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A Parquet file could not be written or read.
    #[error("flow store: {what}: {source}")]
    Parquet {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: parquet::errors::ParquetError,
    },
    /// Flows could not be converted to or from Arrow.
    #[error("flow store: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

impl StoreError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
        let what = what.into();
        move |source| StoreError::Io { what, source }
    }

    pub(crate) fn parquet(
        what: impl Into<String>,
    ) -> impl FnOnce(parquet::errors::ParquetError) -> StoreError {
        let what = what.into();
        move |source| StoreError::Parquet { what, source }
    }
}

#[cfg(test)]
mod tests;
