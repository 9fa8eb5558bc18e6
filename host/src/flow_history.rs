//! The flow history in the daemon: every flow window the pipeline publishes is offered to a
//! thread of its own (`flow-history`) that keeps it in the flow store (`netassure-flowstore`),
//! off the detection path; `GET /flows` reads it back.
//!
//! ```text
//! Pipeline::publish_flows ─ window ─▶ bounded queue (full: the window is not kept, counted
//!                                        │            as `shed_flows` in /status)
//!                                        ▼
//!                          flow-history thread: FlowStore::append, write when due,
//!                          expire files written longer ago than `[store] raw`
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use netassure_flowstore::{FlowStore, Query, StoreStats};
use netassure_netflow::FlowColumns;
use serde::Serialize;

use crate::config::StoreSection;
use crate::runtime::{DeliveredEvent, EventPayload};

/// Windows waiting for the store before new ones are shed.
const QUEUE: usize = 64;

/// The flow-history thread's nice value (0 is the default, 19 the lowest priority).
const NICE: i32 = 10;

/// The flow history.
pub struct FlowHistory {
    store: Mutex<FlowStore>,
    windows: Sender<Arc<DeliveredEvent>>,
    shed_flows: AtomicU64,
    last_error: Mutex<Option<String>>,
    retention: Duration,
}

/// What `/status` says of the flow history.
#[derive(Debug, Clone, Serialize)]
pub struct FlowHistoryStatus {
    /// Flows in files (they survive a crash).
    pub stored_flows: u64,
    /// Flows in memory, not yet in a file.
    pub buffered_flows: u64,
    /// Files of the raw tier.
    pub files: u64,
    /// Bytes per flow of the files written since start.
    pub bytes_per_flow: Option<f64>,
    /// Flows not kept because the store fell behind (its queue was full).
    pub shed_flows: u64,
    /// Files a crash cut short, set aside at start.
    pub set_aside_files: u64,
    /// Files removed by retention.
    pub expired_files: u64,
    /// The last error writing or expiring, if any.
    pub last_error: Option<String>,
}

impl FlowHistory {
    /// Open the store under `data_dir/flows` and start its thread; `None` when `[store]`
    /// disables it.
    pub fn start(
        config: &StoreSection,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Option<Arc<FlowHistory>>> {
        if !config.enabled {
            return Ok(None);
        }
        let mut store_config = netassure_flowstore::StoreConfig::new(data_dir.join("flows"));
        store_config.flush_flows = config.flush_flows;
        store_config.flush_after = Duration::from_secs(config.flush_after_s);
        let store = FlowStore::open(store_config).context("opening the flow store")?;
        let (windows, receiver) = crossbeam_channel::bounded(QUEUE);
        let history = Arc::new(FlowHistory {
            store: Mutex::new(store),
            windows,
            shed_flows: AtomicU64::new(0),
            last_error: Mutex::new(None),
            retention: config.raw_retention()?,
        });
        let worker = history.clone();
        std::thread::Builder::new()
            .name("flow-history".into())
            .spawn(move || {
                // Below the collector and the detectors: on a busy machine the history falls
                // behind (and sheds, counted) before detection does. On Linux the nice value
                // of `setpriority(PRIO_PROCESS, 0)` is the calling thread's own.
                if let Err(err) = rustix::process::setpriority_process(None, NICE) {
                    tracing::debug!(error = %err, "the flow-history thread keeps its priority");
                }
                worker.run(&receiver)
            })
            .context("starting the flow-history thread")?;
        Ok(Some(history))
    }

    /// Keep `event`'s flows (a flow window); when the store has fallen behind, count them as
    /// shed instead of waiting.
    pub fn offer(&self, event: &Arc<DeliveredEvent>) {
        let EventPayload::Flows(window) = &event.event.payload else {
            return;
        };
        let flows = u64::from(window.flows.len);
        if let Err(TrySendError::Full(_)) = self.windows.try_send(event.clone()) {
            self.shed_flows.fetch_add(flows, Ordering::Relaxed);
        }
    }

    /// The flows `query` asks for.
    pub fn scan(&self, query: &Query) -> Result<FlowColumns, netassure_flowstore::StoreError> {
        self.lock().scan(query)
    }

    /// What it holds and has done.
    pub fn status(&self) -> FlowHistoryStatus {
        let stats: StoreStats = self.lock().stats();
        FlowHistoryStatus {
            stored_flows: stats.stored_flows,
            buffered_flows: stats.buffered_flows,
            files: stats.files,
            bytes_per_flow: (stats.flows_written > 0)
                .then(|| stats.bytes_written as f64 / stats.flows_written as f64),
            shed_flows: self.shed_flows.load(Ordering::Relaxed),
            set_aside_files: stats.set_aside,
            expired_files: stats.expired_files,
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FlowStore> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The thread: keep each window, write when due, expire old hours; write what is left
    /// when the pipeline is gone.
    fn run(&self, windows: &Receiver<Arc<DeliveredEvent>>) {
        loop {
            let outcome = match windows.recv_timeout(Duration::from_secs(1)) {
                Ok(event) => self.keep(&event),
                Err(RecvTimeoutError::Timeout) => self.maintain(),
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.lock().flush().map_err(|err| self.failed(&err));
                    return;
                }
            };
            if let Err(err) = outcome {
                self.failed(&err);
            }
        }
    }

    fn keep(&self, event: &DeliveredEvent) -> Result<(), netassure_flowstore::StoreError> {
        let EventPayload::Flows(window) = &event.event.payload else {
            return Ok(());
        };
        let columns = columns_of(&window.flows);
        if !columns.is_consistent() {
            tracing::warn!(source = %event.event.source, "a flow window with columns of different lengths was not kept");
            return Ok(());
        }
        let mut store = self.lock();
        store.append(&columns)?;
        store.flush_if_due()
    }

    fn maintain(&self) -> Result<(), netassure_flowstore::StoreError> {
        let mut store = self.lock();
        store.flush_if_due()?;
        let before = SystemTime::now()
            .checked_sub(self.retention)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        store.expire(before).map(|_| ())
    }

    fn failed(&self, err: &netassure_flowstore::StoreError) {
        tracing::warn!(error = %err, "the flow history could not keep flows");
        *self
            .last_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(err.to_string());
    }
}

/// A window's flows (the WIT batch, addresses flattened) back as the collector's columns.
fn columns_of(batch: &crate::runtime::bindings::flows::FlowBatch) -> FlowColumns {
    let addresses = |flat: &[u8]| -> Vec<[u8; 16]> {
        flat.chunks_exact(16)
            .map(|chunk| chunk.try_into().expect("16 bytes"))
            .collect()
    };
    FlowColumns {
        src_addr: addresses(&batch.src_addr),
        dst_addr: addresses(&batch.dst_addr),
        src_port: batch.src_port.clone(),
        dst_port: batch.dst_port.clone(),
        protocol: batch.protocol.clone(),
        tcp_flags: batch.tcp_flags.clone(),
        bytes: batch.bytes.clone(),
        packets: batch.packets.clone(),
        start_ms: batch.start_ms.clone(),
        end_ms: batch.end_ms.clone(),
        input_if: batch.input_if.clone(),
        output_if: batch.output_if.clone(),
        exporter: batch.exporter.clone(),
        exporters: batch.exporters.clone(),
    }
}
