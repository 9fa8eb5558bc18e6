//! The host side of each imported WIT interface, one file per interface, all implemented on
//! [`PluginState`](super::PluginState).

pub mod clock;
pub mod evidence;
pub mod flow_graph;
pub mod graph;
pub mod inference;
pub mod log;
pub mod metrics;
pub mod state;

pub use log::LogBudget;

/// The no-op `Host` impls of the type-only interfaces (they declare no functions).
mod types_only {
    use crate::PluginState;
    use crate::bindings::{anomalies, events, flows, plugin, topology};

    impl topology::Host for PluginState {}
    impl flows::Host for PluginState {}
    impl events::Host for PluginState {}
    impl anomalies::Host for PluginState {}
    impl plugin::Host for PluginState {}
    impl crate::bindings::algorithms::Host for PluginState {}
}
