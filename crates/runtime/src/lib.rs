//! The WebAssembly plugin runtime: one wasmtime `Engine`, one `Linker` with every host
//! import, compiled components cached on disk, and sandboxed instances with a CPU-time
//! deadline (checked at epoch interruptions, `cpu_budget`) and a memory cap.

pub mod bindings;
mod cache;
pub mod convert;
mod cpu_budget;
mod delivered;
pub mod health;
pub mod host_impl;
mod instance;
mod kind;
mod limits;
mod loader;
mod no_blocking;
mod state;
pub mod state_store;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine};

/// The delivered form of an event: the generated WIT record, built once per event and lent to
/// every detector that takes it.
pub use bindings::events::{Event, EventPayload};
pub use cache::{ArtifactCache, CacheOutcome, content_hash};
pub use cpu_budget::thread_cpu_ns;
pub use delivered::DeliveredEvent;
pub use instance::{CallError, PluginInstance};
pub use kind::PluginKind;
pub use limits::{LimitOverrides, Limits};
pub use loader::{LoadError, LoadedComponent, PluginInfoRecord};
pub use state::PluginState;

/// An anomaly a detector found, with the evidence it reported for it (WIT 0.1.2 `evidence`);
/// anomalies returned from `on-event` have none.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The anomaly.
    pub anomaly: bindings::anomalies::Anomaly,
    /// Its evidence.
    pub evidence: Option<bindings::evidence::AnomalyEvidence>,
}

use crate::state_store::StateStore;
use netassure_metrics::Metrics;
use netassure_topology::TopologyStore;

/// The `netassure:plugin` version the host implements. Plugins built against an older
/// semver-compatible version (see [`WIT_COMPATIBLE`]) load too.
pub const WIT_VERSION: &str = "0.1.2";

/// Every `netassure:plugin` version whose plugins this host runs.
pub const WIT_COMPATIBLE: &[&str] = &["0.1.0", "0.1.1", "0.1.2"];

/// One epoch tick; deadlines are counted in ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(1);

/// What the host imports give plugins access to.
pub struct HostServices {
    /// The topology graph (`graph` import).
    pub topology: Arc<TopologyStore>,
    /// Plugin key-value state (`state` import).
    pub state: Arc<StateStore>,
    /// Metrics (`metrics` import).
    pub metrics: Arc<Metrics>,
    /// ONNX models (`inference` import); `None`: not available.
    pub inference: Option<Arc<netassure_inference::InferenceService>>,
    /// Plugin health, as the imports see it.
    pub health: Arc<health::HealthBoard>,
}

/// Set to `1` to write `/tmp/perf-PID.map` so that `perf report` names the plugins' compiled
/// functions (a developer's switch, not configuration: it changes no behaviour).
pub(crate) const PERFMAP_ENV: &str = "NETASSURE_WASM_PERFMAP";

/// The engine, linker and cache shared by every plugin.
pub struct Runtime {
    engine: Engine,
    linker: Linker<PluginState>,
    cache: ArtifactCache,
    services: Arc<HostServices>,
    ticker_stop: Arc<AtomicBool>,
}

impl Runtime {
    /// A runtime caching compiled components in `cache_dir`.
    pub fn new(cache_dir: &Path, services: Arc<HostServices>) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .parallel_compilation(true);
        if std::env::var_os(PERFMAP_ENV).is_some_and(|value| value == "1") {
            // `perf` then names plugin functions (docs/plugins.md, "Profiling a plugin").
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("creating the wasmtime engine")?;
        let linker = Self::linker(&engine)?;
        let cache = ArtifactCache::new(cache_dir, &engine)?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), ticker_stop.clone());
        Ok(Runtime {
            engine,
            linker,
            cache,
            services,
            ticker_stop,
        })
    }

    fn linker(engine: &Engine) -> anyhow::Result<Linker<PluginState>> {
        let mut linker = Linker::new(engine);
        // A Rust guest built for wasm32-wasip2 always imports the WASI CLI/IO interfaces; the
        // context behind them is empty (see `PluginState::new`), so this grants nothing.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        no_blocking::forbid_blocking(&mut linker)?;
        use bindings::detector::netassure::plugin as wit;
        wit::graph::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        wit::flow_graph::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        wit::evidence::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        wit::inference::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        wit::log::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        wit::state::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        wit::clock::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        wit::metrics::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        Ok(linker)
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The host services.
    pub fn services(&self) -> &Arc<HostServices> {
        &self.services
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

fn spawn_epoch_ticker(engine: Engine, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawning the epoch ticker");
}
