//! The store: flows buffered, written a file per hour when the buffer is full or old, read
//! back from the files and the buffer by time range and filter.

use std::fs::File;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use netassure_flowfilter::{ColumnsRow, Filter};
use netassure_netflow::FlowColumns;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::StoreError;
use crate::layout::{self, HOUR_MS, PARTIAL};
use crate::schema::{append_batch, raw_schema, to_batch};

/// How the store keeps flows.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Its folder (`data/flows` under the host's data directory).
    pub dir: PathBuf,
    /// Write the buffer once it holds this many flows.
    pub flush_flows: usize,
    /// Write the buffer once its oldest flow has waited this long.
    pub flush_after: Duration,
    /// zstd level of the files (1–22; 3 is zstd's default).
    pub zstd_level: i32,
}

impl StoreConfig {
    /// The defaults in `dir`: 1,000,000 flows or 60 s, zstd level 3.
    pub fn new(dir: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            dir: dir.into(),
            flush_flows: 1_000_000,
            flush_after: Duration::from_secs(60),
            zstd_level: 3,
        }
    }
}

/// What the store holds and has done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Flows in files (synced and renamed: they survive a crash).
    pub stored_flows: u64,
    /// Flows in memory, not yet in a file.
    pub buffered_flows: u64,
    /// Files written since start, and found at start.
    pub files: u64,
    /// Bytes of the files written since start.
    pub bytes_written: u64,
    /// Flows in the files written since start (for bytes per flow).
    pub flows_written: u64,
    /// Files a crash cut short, set aside at start.
    pub set_aside: u64,
    /// Files removed by retention.
    pub expired_files: u64,
}

/// A query of stored flows.
#[derive(Debug, Clone)]
pub struct Query {
    /// Flows that ended at or after this, ms since the epoch.
    pub since_ms: u64,
    /// Flows that ended before this.
    pub until_ms: u64,
    /// Which flows.
    pub filter: Filter,
    /// At most this many, the oldest first.
    pub limit: usize,
}

/// The flow store.
#[derive(Debug)]
pub struct FlowStore {
    config: StoreConfig,
    buffer: FlowColumns,
    oldest: Option<Instant>,
    sequence: u64,
    stats: StoreStats,
}

impl FlowStore {
    /// Open the store in `config.dir`, creating it; files a crash cut short are set aside.
    pub fn open(config: StoreConfig) -> Result<FlowStore, StoreError> {
        let dir = &config.dir;
        std::fs::create_dir_all(dir)
            .map_err(StoreError::io(format!("creating {}", dir.display())))?;
        let set_aside = layout::set_aside_partials(dir)
            .map_err(StoreError::io(format!("checking {}", dir.display())))?;
        let files = layout::all_parts(dir)
            .map_err(StoreError::io(format!("listing {}", dir.display())))?
            .len();
        let sequence = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_micros() as u64);
        Ok(FlowStore {
            config,
            buffer: FlowColumns::default(),
            oldest: None,
            sequence,
            stats: StoreStats {
                files: files as u64,
                set_aside: set_aside as u64,
                ..StoreStats::default()
            },
        })
    }

    /// What it holds and has done.
    pub fn stats(&self) -> StoreStats {
        StoreStats {
            buffered_flows: self.buffer.len() as u64,
            ..self.stats.clone()
        }
    }

    /// Keep `flows`; write the buffer when it is full or old.
    pub fn append(&mut self, flows: &FlowColumns) -> Result<(), StoreError> {
        let exporters: Vec<u16> = flows
            .exporters
            .iter()
            .map(|name| self.buffer.exporter_index(name))
            .collect();
        let unknown = self.buffer.exporter_index("");
        let b = &mut self.buffer;
        b.src_addr.extend_from_slice(&flows.src_addr);
        b.dst_addr.extend_from_slice(&flows.dst_addr);
        b.src_port.extend_from_slice(&flows.src_port);
        b.dst_port.extend_from_slice(&flows.dst_port);
        b.protocol.extend_from_slice(&flows.protocol);
        b.tcp_flags.extend_from_slice(&flows.tcp_flags);
        b.bytes.extend_from_slice(&flows.bytes);
        b.packets.extend_from_slice(&flows.packets);
        b.start_ms.extend_from_slice(&flows.start_ms);
        b.end_ms.extend_from_slice(&flows.end_ms);
        b.input_if.extend_from_slice(&flows.input_if);
        b.output_if.extend_from_slice(&flows.output_if);
        b.exporter.extend(flows.exporter.iter().map(|&index| {
            exporters
                .get(usize::from(index))
                .copied()
                .unwrap_or(unknown)
        }));
        self.oldest.get_or_insert_with(Instant::now);
        if self.buffer.len() >= self.config.flush_flows {
            self.flush()?;
        }
        Ok(())
    }

    /// Write the buffer when its oldest flow has waited `flush_after`.
    pub fn flush_if_due(&mut self) -> Result<(), StoreError> {
        match self.oldest {
            Some(at) if at.elapsed() >= self.config.flush_after => self.flush(),
            _ => Ok(()),
        }
    }

    /// Write the buffer: one file per hour of the flows' end. When a file cannot be written,
    /// the flows of the hours not yet written stay in the buffer.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        let buffer = std::mem::take(&mut self.buffer);
        let mut hours: Vec<u64> = buffer.end_ms.iter().map(|&end| end / HOUR_MS).collect();
        hours.sort_unstable();
        hours.dedup();
        let mut written = Vec::new();
        let mut outcome = Ok(());
        for &hour in &hours {
            outcome = if hours.len() == 1 {
                self.write_part(hour * HOUR_MS, &buffer)
            } else {
                let part = buffer.filtered(|i| buffer.end_ms[i] / HOUR_MS == hour);
                self.write_part(hour * HOUR_MS, &part)
            };
            if outcome.is_err() {
                break;
            }
            written.push(hour);
        }
        self.buffer = if written.len() == hours.len() {
            let mut emptied = buffer;
            emptied.clear();
            self.oldest = None;
            emptied
        } else {
            buffer.filtered(|i| !written.contains(&(buffer.end_ms[i] / HOUR_MS)))
        };
        outcome
    }

    /// Write `flows`, all ending in the hour at `hour_ms`, as one file.
    fn write_part(&mut self, hour_ms: u64, flows: &FlowColumns) -> Result<(), StoreError> {
        let dir = layout::hour_dir(&self.config.dir, hour_ms);
        std::fs::create_dir_all(&dir)
            .map_err(StoreError::io(format!("creating {}", dir.display())))?;
        let first = flows.end_ms.iter().copied().min().unwrap_or(hour_ms);
        let last = flows.end_ms.iter().copied().max().unwrap_or(hour_ms);
        self.sequence += 1;
        let path = dir.join(layout::part_name(first, last, self.sequence));
        let partial = path.with_extension(format!("parquet{PARTIAL}"));
        let what = || format!("writing {}", path.display());
        let file = File::create(&partial).map_err(StoreError::io(what()))?;
        let level =
            ZstdLevel::try_new(self.config.zstd_level).map_err(StoreError::parquet(what()))?;
        let properties = writer_properties(level);
        let mut writer = ArrowWriter::try_new(&file, raw_schema(), Some(properties))
            .map_err(StoreError::parquet(what()))?;
        writer
            .write(&to_batch(flows)?)
            .map_err(StoreError::parquet(what()))?;
        writer.close().map_err(StoreError::parquet(what()))?;
        file.sync_all().map_err(StoreError::io(what()))?;
        std::fs::rename(&partial, &path).map_err(StoreError::io(what()))?;
        if let Ok(folder) = File::open(&dir) {
            folder.sync_all().map_err(StoreError::io(what()))?;
        }
        let size = file.metadata().map_or(0, |m| m.len());
        self.stats.files += 1;
        self.stats.stored_flows += flows.len() as u64;
        self.stats.flows_written += flows.len() as u64;
        self.stats.bytes_written += size;
        Ok(())
    }

    /// The flows `query` asks for: from the files, then the buffer, the oldest first.
    pub fn scan(&self, query: &Query) -> Result<FlowColumns, StoreError> {
        let dir = &self.config.dir;
        let mut found = FlowColumns::default();
        let parts = layout::parts(dir, query.since_ms, query.until_ms)
            .map_err(StoreError::io(format!("listing {}", dir.display())))?;
        for part in parts {
            if found.len() >= query.limit {
                break;
            }
            let what = || format!("reading {}", part.path.display());
            let file = File::open(&part.path).map_err(StoreError::io(what()))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(StoreError::parquet(what()))?
                .build()
                .map_err(StoreError::parquet(what()))?;
            for batch in reader {
                let mut flows = FlowColumns::default();
                append_batch(&batch?, &mut flows)?;
                keep(&flows, query, &mut found);
                if found.len() >= query.limit {
                    break;
                }
            }
        }
        keep(&self.buffer, query, &mut found);
        Ok(found)
    }

    /// Remove the files written before `written_before`; how many.
    pub fn expire(&mut self, written_before: SystemTime) -> Result<usize, StoreError> {
        let dir = &self.config.dir;
        let (files, _) = layout::expire(dir, written_before)
            .map_err(StoreError::io(format!("expiring in {}", dir.display())))?;
        self.stats.expired_files += files as u64;
        self.stats.files = self.stats.files.saturating_sub(files as u64);
        Ok(files)
    }
}

/// How files are written: zstd; dictionaries for the columns of few distinct values
/// (addresses, ports, protocols, flags, interfaces, exporters); times as deltas (a file's
/// flows are in the order they ended); sizes plain.
fn writer_properties(level: ZstdLevel) -> WriterProperties {
    let mut builder = WriterProperties::builder().set_compression(Compression::ZSTD(level));
    for column in ["end_ms", "start_ms"] {
        builder = builder
            .set_column_dictionary_enabled(ColumnPath::from(column), false)
            .set_column_encoding(ColumnPath::from(column), Encoding::DELTA_BINARY_PACKED);
    }
    for column in ["bytes", "packets"] {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    builder.build()
}

/// Append to `found` the flows of `flows` that `query` asks for, up to its limit.
fn keep(flows: &FlowColumns, query: &Query, found: &mut FlowColumns) {
    for index in 0..flows.len() {
        if found.len() >= query.limit {
            return;
        }
        let end = flows.end_ms[index];
        if end < query.since_ms || end >= query.until_ms {
            continue;
        }
        if query.filter.matches(&ColumnsRow {
            columns: flows,
            index,
        }) {
            let exporter = found.exporter_index(
                flows
                    .exporters
                    .get(usize::from(flows.exporter[index]))
                    .map_or("", String::as_str),
            );
            found.push(&flows.row(index), exporter);
        }
    }
}
