//! The host's services: log, state, clock, metrics, inference, the topology graph and the
//! host graph of a flow window.
//!
//! Inside the host these call the WIT imports. In a native build (unit tests) they fall back
//! to local stand-ins: log prints to stderr, state is a per-thread map, the clock is the
//! system clock, metrics are dropped, inference is not available and the graph is whatever
//! [`testing::set_graph`](crate::testing::set_graph) installed, and the window graph is built
//! from the last [`testing::flows_event`](crate::testing::flows_event).

#[cfg(target_arch = "wasm32")]
use crate::bindings::detector::netassure::plugin as wit;

/// Write to the host's log, tagged with the plugin's name.
pub mod log {
    #[cfg(target_arch = "wasm32")]
    use super::wit::log::{Level, log as write};

    #[cfg(not(target_arch = "wasm32"))]
    fn write(level: &str, message: &str) {
        eprintln!("[{level}] {message}");
    }

    macro_rules! level_fn {
        ($name:ident, $level:ident, $text:literal) => {
            #[doc = concat!("Log `message` at ", $text, " level.")]
            pub fn $name(message: &str) {
                #[cfg(target_arch = "wasm32")]
                write(Level::$level, message);
                #[cfg(not(target_arch = "wasm32"))]
                write($text, message);
            }
        };
    }
    level_fn!(trace, Trace, "trace");
    level_fn!(debug, Debug, "debug");
    level_fn!(info, Info, "info");
    level_fn!(warn, Warn, "warn");
    level_fn!(error, Error, "error");
}

/// The plugin's persistent key-value store.
pub mod state {
    #[cfg(target_arch = "wasm32")]
    pub use super::wit::state::{StateError, delete, get, keys, set};

    #[cfg(not(target_arch = "wasm32"))]
    pub use native::{StateError, delete, get, keys, set};

    #[cfg(not(target_arch = "wasm32"))]
    mod native {
        use std::cell::RefCell;
        use std::collections::BTreeMap;

        pub use crate::bindings::detector::netassure::plugin::state::StateError;

        thread_local! {
            static STORE: RefCell<BTreeMap<String, Vec<u8>>> = const { RefCell::new(BTreeMap::new()) };
        }

        /// The value stored under `key`.
        pub fn get(key: &str) -> Option<Vec<u8>> {
            STORE.with(|store| store.borrow().get(key).cloned())
        }

        /// Store `value` under `key`.
        pub fn set(key: &str, value: &[u8]) -> Result<(), StateError> {
            STORE.with(|store| store.borrow_mut().insert(key.to_owned(), value.to_vec()));
            Ok(())
        }

        /// Remove `key`; true when it existed.
        pub fn delete(key: &str) -> Result<bool, StateError> {
            Ok(STORE.with(|store| store.borrow_mut().remove(key).is_some()))
        }

        /// Keys that start with `prefix`, in order.
        pub fn keys(prefix: &str) -> Vec<String> {
            STORE.with(|store| {
                store
                    .borrow()
                    .keys()
                    .filter(|k| k.starts_with(prefix))
                    .cloned()
                    .collect()
            })
        }
    }
}

/// Time as the host sees it.
pub mod clock {
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub fn now_ms() -> u64 {
        #[cfg(target_arch = "wasm32")]
        return super::wit::clock::now_ms();
        #[cfg(not(target_arch = "wasm32"))]
        return std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64);
    }

    /// Monotonic time in nanoseconds, for measuring durations.
    pub fn monotonic_ns() -> u64 {
        #[cfg(target_arch = "wasm32")]
        return super::wit::clock::monotonic_ns();
        #[cfg(not(target_arch = "wasm32"))]
        {
            use std::sync::OnceLock;
            static START: OnceLock<std::time::Instant> = OnceLock::new();
            START
                .get_or_init(std::time::Instant::now)
                .elapsed()
                .as_nanos() as u64
        }
    }
}

/// Counters and gauges in the host's metrics, labelled with the plugin's name.
pub mod metrics {
    /// Add `value` to counter `name`.
    pub fn counter_add(name: &str, value: u64) {
        #[cfg(target_arch = "wasm32")]
        super::wit::metrics::counter_add(name, value);
        #[cfg(not(target_arch = "wasm32"))]
        let _ = (name, value);
    }

    /// Set gauge `name` to `value`.
    pub fn gauge_set(name: &str, value: f64) {
        #[cfg(target_arch = "wasm32")]
        super::wit::metrics::gauge_set(name, value);
        #[cfg(not(target_arch = "wasm32"))]
        let _ = (name, value);
    }
}

/// Run the host's ONNX models by name.
pub mod inference {
    pub use crate::bindings::detector::netassure::plugin::inference::{
        InferenceError, Tensor, TensorData,
    };

    /// Run `model` on `inputs`; every output comes back.
    pub fn run(model: &str, inputs: &[Tensor]) -> Result<Vec<Tensor>, InferenceError> {
        #[cfg(target_arch = "wasm32")]
        return super::wit::inference::run(model, inputs);
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = (model, inputs);
            Err(InferenceError::NotAvailable)
        }
    }
}

/// The topology graph.
pub mod graph {
    use crate::GraphSnapshot;

    /// A snapshot of the current topology.
    pub fn current() -> GraphSnapshot<'static> {
        #[cfg(target_arch = "wasm32")]
        return GraphSnapshot::from_owned(super::wit::graph::current());
        #[cfg(not(target_arch = "wasm32"))]
        return crate::testing::current_graph();
    }
}

/// The host graph and the conversations of the flow window being handled.
pub mod flows {
    pub use netassure_flowgraph::{Attempt, Conversations, HostGraph};

    /// The conversations of the flow window this `on-event` call handles: each flow paired
    /// with the flow going the other way, which side started it, and whether destination
    /// unreachable came back; `None` for any other event. Ask
    /// [`Conversations::attempt`] what a flow came to (completed, refused, half-open, ...).
    pub fn conversations() -> Option<Conversations> {
        #[cfg(target_arch = "wasm32")]
        return super::wit::flow_graph::window_conversations().map(|c| Conversations {
            reverse: c.reverse,
            initiator: c.initiator,
            unreachable: c.unreachable,
        });
        #[cfg(not(target_arch = "wasm32"))]
        return crate::testing::current_conversations();
    }

    /// The host graph of the flow window this `on-event` call handles (hosts as nodes, the
    /// flows from one host to another as one edge); `None` for any other event. The host
    /// builds it once per window for every detector that asks.
    pub fn window_graph() -> Option<HostGraph> {
        #[cfg(target_arch = "wasm32")]
        return super::wit::flow_graph::window_graph().map(from_wit);
        #[cfg(not(target_arch = "wasm32"))]
        return crate::testing::current_window_graph();
    }

    #[cfg(target_arch = "wasm32")]
    fn from_wit(graph: super::wit::flow_graph::HostGraph) -> HostGraph {
        HostGraph {
            hosts: graph
                .hosts
                .chunks_exact(16)
                .map(|chunk| chunk.try_into().expect("16-byte chunks"))
                .collect(),
            host_bytes_out: graph.host_bytes_out,
            host_bytes_in: graph.host_bytes_in,
            host_packets_out: graph.host_packets_out,
            host_packets_in: graph.host_packets_in,
            host_flows_out: graph.host_flows_out,
            host_flows_in: graph.host_flows_in,
            out_offsets: graph.out_offsets,
            edge_src: graph.edge_src,
            edge_dst: graph.edge_dst,
            edge_flows: graph.edge_flows,
            edge_bytes: graph.edge_bytes,
            edge_packets: graph.edge_packets,
            edge_dst_ports: graph.edge_dst_ports,
            edge_protocols: graph.edge_protocols,
            edge_tcp_flags: graph.edge_tcp_flags,
            edge_start_ms: graph.edge_start_ms,
            edge_end_ms: graph.edge_end_ms,
            flow_edge: graph.flow_edge,
        }
    }
}
