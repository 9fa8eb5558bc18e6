//! What each plugin `Store` holds: the plugin's identity, the host services its imports use,
//! its resource table, an empty WASI context and its resource limits.

use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::HostServices;

/// Bytes of a plugin's stderr kept to explain a panic.
const STDERR_CAPTURE: usize = 16 * 1024;

/// The data of one plugin instance's `Store`.
pub struct PluginState {
    /// Registry name of the plugin.
    pub plugin: Arc<str>,
    /// Services behind the host imports.
    pub services: Arc<HostServices>,
    /// Handles (graph snapshots, WASI streams) owned by the instance.
    pub table: ResourceTable,
    /// WASI context that grants nothing: no files, sockets, environment or arguments.
    pub wasi: WasiCtx,
    /// Memory cap.
    pub(crate) limiter: MemoryLimiter,
    /// The plugin's stderr (where a Rust panic message goes).
    pub stderr: MemoryOutputPipe,
    /// While a detector handles an event: the event, with the topology version it left behind
    /// (which `graph.current()` shows) and its flow window's host graph (`flow-graph`).
    pub delivering: Option<Arc<super::DeliveredEvent>>,
    /// The last past version `graph.current()` rebuilt, kept for the next event at that version.
    pub past_snapshot: Option<Arc<netassure_topology::TopologySnapshot>>,
    /// Anomalies reported with evidence (`evidence.report`) during the current `on-event`.
    pub reported: Vec<super::Finding>,
    /// Reports past the per-call limit in the current `on-event`, dropped.
    pub reports_dropped: u64,
    /// How many more log lines the plugin may write now.
    pub log_budget: super::host_impl::LogBudget,
    /// The CPU budget of the call in progress.
    pub(crate) budget: super::cpu_budget::CallBudget,
}

impl PluginState {
    /// State for plugin `plugin` with a memory cap of `memory_bytes`.
    pub fn new(plugin: Arc<str>, services: Arc<HostServices>, memory_bytes: usize) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE);
        let wasi = WasiCtx::builder().stderr(stderr.clone()).build();
        PluginState {
            plugin,
            services,
            table: ResourceTable::new(),
            wasi,
            limiter: MemoryLimiter {
                cap_bytes: memory_bytes,
                denied: false,
            },
            stderr,
            delivering: None,
            past_snapshot: None,
            reported: Vec::new(),
            reports_dropped: 0,
            log_budget: super::host_impl::LogBudget::default(),
            budget: Default::default(),
        }
    }

    /// The message of the last panic the plugin printed to stderr (the line after Rust's
    /// `panicked at FILE:LINE:COL:`), or else its last meaningful stderr line.
    pub(crate) fn panic_message(&self) -> Option<String> {
        let bytes = self.stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect();
        if let Some(at) = lines.iter().rposition(|line| line.contains("panicked at")) {
            let message = lines.get(at + 1).filter(|line| !line.starts_with("note:"));
            return Some(message.unwrap_or(&lines[at]).to_string());
        }
        lines
            .iter()
            .rev()
            .find(|line| !line.starts_with("note:"))
            .map(|line| line.to_string())
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and tables; remembers that it said no, so a failed call can be
/// reported as a memory-limit failure rather than a generic trap.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    cap_bytes: usize,
    /// True once a growth beyond the cap was refused.
    pub denied: bool,
}

impl MemoryLimiter {
    /// The cap in bytes.
    pub(crate) fn cap_bytes(&self) -> usize {
        self.cap_bytes
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap_bytes {
            self.denied = true;
            wasmtime::bail!(
                "memory limit of {} MiB exceeded (asked for {} MiB)",
                self.cap_bytes >> 20,
                desired >> 20
            );
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}
