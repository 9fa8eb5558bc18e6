//! One sandboxed instance of a plugin: its own `Store`, a CPU budget set before every call
//! (`cpu_budget`), and failures classified so the registry can record them.

use std::sync::Arc;

use wasmtime::{Store, Trap};

use super::bindings::{
    alert_rule, algorithms, anomalies, detector, events, graph_algorithm, plugin as wp,
};
use super::cpu_budget::CallBudget;
use super::host_impl::graph::SnapshotHandle;
use super::loader::{LoadedComponent, WorldPre};
use super::{DeliveredEvent, Finding, Limits, PluginState, Runtime};
use netassure_topology::TopologySnapshot;

/// Why a call did not return normally. After any of these the instance is unusable and must
/// be replaced (the registry does this).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The call spent its CPU budget (milliseconds, rounded up).
    #[error("CPU deadline of {0} ms exceeded")]
    Deadline(u64),
    /// Linear memory would have grown past the cap.
    #[error("memory limit of {0} MiB exceeded")]
    Memory(u64),
    /// The plugin tried to wait in a WASI call (`no_blocking`).
    #[error("{0}")]
    Blocked(super::no_blocking::Blocked),
    /// The plugin panicked (the message is the plugin's last stderr line).
    #[error("plugin panicked: {0}")]
    Panic(String),
    /// Any other trap.
    #[error("trap: {0}")]
    Trap(String),
    /// The call was made on an instance of another world (a host bug, never a plugin's).
    #[error("plugin does not implement `{0}`")]
    WrongWorld(&'static str),
}

enum WorldInstance {
    Detector(detector::Detector),
    GraphAlgorithm(graph_algorithm::GraphAlgorithm),
    AlertRule(alert_rule::AlertRule),
}

/// A live instance of a plugin.
pub struct PluginInstance {
    store: Store<PluginState>,
    world: WorldInstance,
    limits: Limits,
}

impl PluginInstance {
    /// Instantiate `loaded` as plugin `name` under `limits`.
    pub fn new(
        runtime: &Runtime,
        loaded: &LoadedComponent,
        name: Arc<str>,
        limits: Limits,
    ) -> Result<Self, CallError> {
        let state = PluginState::new(name, runtime.services().clone(), limits.memory_bytes());
        let mut store = Store::new(runtime.engine(), state);
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_callback(|store| store.data().budget.on_deadline());
        set_deadline(&mut store, limits.call_deadline_us(0));
        let world = match &loaded.pre {
            WorldPre::Detector(pre) => pre.instantiate(&mut store).map(WorldInstance::Detector),
            WorldPre::GraphAlgorithm(pre) => pre
                .instantiate(&mut store)
                .map(WorldInstance::GraphAlgorithm),
            WorldPre::AlertRule(pre) => pre.instantiate(&mut store).map(WorldInstance::AlertRule),
        };
        match world {
            Ok(world) => Ok(PluginInstance {
                store,
                world,
                limits,
            }),
            Err(err) => Err(classify(err, &store, limits.call_deadline_us(0))),
        }
    }

    fn call<R>(
        &mut self,
        f: impl FnOnce(&WorldInstance, &mut Store<PluginState>) -> Option<wasmtime::Result<R>>,
        name: &'static str,
    ) -> Result<R, CallError> {
        self.call_within(self.limits.call_deadline_us(0), f, name)
    }

    fn call_within<R>(
        &mut self,
        deadline_us: u64,
        f: impl FnOnce(&WorldInstance, &mut Store<PluginState>) -> Option<wasmtime::Result<R>>,
        name: &'static str,
    ) -> Result<R, CallError> {
        set_deadline(&mut self.store, deadline_us);
        match f(&self.world, &mut self.store) {
            Some(Ok(value)) => Ok(value),
            Some(Err(err)) => Err(classify(err, &self.store, deadline_us)),
            None => Err(CallError::WrongWorld(name)),
        }
    }

    /// `describe()`.
    pub fn describe(&mut self) -> Result<wp::PluginInfo, CallError> {
        self.call(
            |world, store| {
                Some(match world {
                    WorldInstance::Detector(w) => w.call_describe(store),
                    WorldInstance::GraphAlgorithm(w) => w.call_describe(store),
                    WorldInstance::AlertRule(w) => w.call_describe(store),
                })
            },
            "describe",
        )
    }

    /// `configure(config)`.
    pub fn configure(&mut self, config: &str) -> Result<Result<(), wp::PluginError>, CallError> {
        self.call(
            |world, store| {
                Some(match world {
                    WorldInstance::Detector(w) => w.call_configure(store, config),
                    WorldInstance::GraphAlgorithm(w) => w.call_configure(store, config),
                    WorldInstance::AlertRule(w) => w.call_configure(store, config),
                })
            },
            "configure",
        )
    }

    /// `on-event(event)` of a detector.
    pub fn on_event(
        &mut self,
        event: &events::Event,
    ) -> Result<Result<Vec<anomalies::Anomaly>, wp::PluginError>, CallError> {
        let flows = match &event.payload {
            events::EventPayload::Flows(window) => u64::from(window.flows.len),
            _ => 0,
        };
        self.call_within(
            self.limits.call_deadline_us(flows),
            |world, store| match world {
                WorldInstance::Detector(w) => Some(w.call_on_event(store, event)),
                _ => None,
            },
            "on-event",
        )
    }

    /// `on-event(event)` of a detector for a delivered event: during the call `graph.current()`
    /// shows the topology version the event left behind and `flow-graph.window-graph()` the
    /// host graph of its flow window.
    /// The anomalies it returns come first, then those it reported with evidence.
    pub fn on_delivered(
        &mut self,
        delivered: &Arc<DeliveredEvent>,
    ) -> Result<Result<Vec<Finding>, wp::PluginError>, CallError> {
        let state = self.store.data_mut();
        state.delivering = Some(delivered.clone());
        state.reported.clear();
        state.reports_dropped = 0;
        let result = self.on_event(&delivered.event);
        let state = self.store.data_mut();
        state.delivering = None;
        let reported = std::mem::take(&mut state.reported);
        result.map(|outcome| {
            outcome.map(|returned| {
                let mut findings: Vec<Finding> = returned
                    .into_iter()
                    .map(|anomaly| Finding {
                        anomaly,
                        evidence: None,
                    })
                    .collect();
                findings.extend(reported);
                findings
            })
        })
    }

    /// `evaluate(anomaly, context)` of an alert rule.
    pub fn evaluate(
        &mut self,
        anomaly: &anomalies::Anomaly,
        context: &anomalies::AlertContext,
    ) -> Result<Result<Option<anomalies::Alert>, wp::PluginError>, CallError> {
        self.call(
            |world, store| match world {
                WorldInstance::AlertRule(w) => Some(w.call_evaluate(store, anomaly, context)),
                _ => None,
            },
            "evaluate",
        )
    }

    /// `run(graph, params)` of a graph algorithm, over `snapshot`.
    pub fn run(
        &mut self,
        snapshot: Arc<TopologySnapshot>,
        params: &[algorithms::Param],
    ) -> Result<Result<algorithms::AlgorithmResult, wp::PluginError>, CallError> {
        let handle = self
            .store
            .data_mut()
            .table
            .push(SnapshotHandle(snapshot))
            .map_err(|err| CallError::Trap(err.to_string()))?;
        let borrowed = wasmtime::component::Resource::<SnapshotHandle>::new_borrow(handle.rep());
        let result = self.call_within(
            self.limits.run_deadline_ms.saturating_mul(1_000),
            |world, store| match world {
                WorldInstance::GraphAlgorithm(w) => Some(w.call_run(store, borrowed, params)),
                _ => None,
            },
            "run",
        );
        let _ = self.store.data_mut().table.delete(handle);
        result
    }
}

/// Give the next call `deadline_us` of CPU time, counted from now on this thread.
fn set_deadline(store: &mut Store<PluginState>, deadline_us: u64) {
    let budget = CallBudget::start(deadline_us);
    store.data_mut().budget = budget;
    store.set_epoch_deadline(budget.ticks());
}

fn classify(err: wasmtime::Error, store: &Store<PluginState>, deadline_us: u64) -> CallError {
    let state = store.data();
    if state.limiter.denied {
        return CallError::Memory((state.limiter.cap_bytes() >> 20) as u64);
    }
    if let Some(blocked) = err.downcast_ref::<super::no_blocking::Blocked>() {
        return CallError::Blocked(*blocked);
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::Deadline(deadline_us.div_ceil(1_000)),
        Some(Trap::UnreachableCodeReached) => CallError::Panic(
            state
                .panic_message()
                .unwrap_or_else(|| "unreachable code reached".into()),
        ),
        Some(trap) => CallError::Trap(trap.to_string()),
        None => CallError::Trap(format!("{err:#}")),
    }
}
