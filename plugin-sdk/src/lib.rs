//! # NetAssure plugin SDK
//!
//! Write NetAssure plugins — **detectors**, **graph algorithms** and **alert rules** — as plain
//! Rust. The SDK hides the generated WebAssembly component bindings behind one trait per world
//! and one export macro per trait, and adds the helpers plugins keep needing: typed
//! configuration, a builder for anomalies, columnar flow accessors, and CSR → petgraph.
//!
//! Build a plugin with `cargo build --target wasm32-wasip2` (or `cargo xtask build-plugins`);
//! the result is a component the host loads from its plugin directory. The same crate also
//! builds natively, where the host imports fall back to local stand-ins (`log` prints to
//! stderr, `state` is an in-memory map, `graph` is whatever [`testing::set_graph`] installed),
//! so `cargo test` runs a plugin's logic without the host.
//!
//! ## A complete detector
//!
//! ```
//! use netassure_plugin_sdk::prelude::*;
//!
//! /// Reports links whose utilisation crosses a threshold.
//! #[derive(Default)]
//! struct HotLinks {
//!     threshold: f64,
//! }
//!
//! #[derive(serde::Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! struct Config {
//!     threshold: f64,
//! }
//!
//! impl Default for Config {
//!     fn default() -> Self {
//!         Config { threshold: 0.9 }
//!     }
//! }
//!
//! impl Detector for HotLinks {
//!     type Config = Config;
//!
//!     fn describe() -> PluginInfo {
//!         Describe::detector("hot-links", "0.1.0")
//!             .description("Links above a utilisation threshold")
//!             .subscribe(EventKind::Telemetry)
//!             .field(ConfigField::float("threshold", "Utilisation that counts as hot", 0.9))
//!             .build()
//!     }
//!
//!     fn configure(&mut self, config: Config) -> Result<(), PluginError> {
//!         self.threshold = config.threshold;
//!         Ok(())
//!     }
//!
//!     fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
//!         let EventPayload::Telemetry(sample) = event.payload else { return Ok(vec![]) };
//!         if sample.metric != "utilisation" || sample.value < self.threshold {
//!             return Ok(vec![]);
//!         }
//!         Ok(vec![AnomalyBuilder::new("link-hot", sample.value.min(1.0))
//!             .link(&sample.subject)
//!             .description(format!("{} at {:.0}%", sample.subject, sample.value * 100.0))
//!             .build()
//!             .into()])
//!     }
//! }
//!
//! export_detector!(HotLinks);
//!
//! # fn main() {
//! let mut detector = HotLinks::default();
//! detector.configure(Config::default()).unwrap();
//! let event = Event {
//!     id: 1,
//!     source: "test".into(),
//!     timestamp_ms: 0,
//!     payload: EventPayload::Telemetry(TelemetrySample {
//!         subject: "l1".into(),
//!         metric: "utilisation".into(),
//!         value: 0.95,
//!         timestamp_ms: 0,
//!     }),
//! };
//! assert_eq!(detector.on_event(event).unwrap().len(), 1);
//! # }
//! ```
//!
//! Graph algorithms implement [`GraphAlgorithm`] and export with [`export_graph_algorithm!`];
//! alert rules implement [`AlertRule`] and export with [`export_alert_rule!`].

extern crate self as netassure_plugin_sdk;

#[doc(hidden)]
pub mod bindings;

mod alert_rule;
mod anomaly;
pub mod collections;
mod config;
mod describe;
mod detector;
pub mod evidence;
pub mod flows;
mod graph;
mod graph_algorithm;
pub mod host;
mod instance;
pub mod networks;
pub mod testing;

pub use alert_rule::AlertRule;
pub use anomaly::AnomalyBuilder;
pub use config::{NoConfig, parse_config};
pub use describe::Describe;
pub use detector::Detector;
pub use evidence::{Finding, FlowEvidence};
pub use graph::{GraphSnapshot, LocalGraph, undirected_graph};
pub use graph_algorithm::{GraphAlgorithm, Params};
pub use host::flows::HostGraph;

pub use bindings::detector::netassure::plugin::anomalies::{
    Alert, AlertContext, Anomaly, NetworkPlane, Pattern, Severity, Symptom,
};
pub use bindings::detector::netassure::plugin::events::{Event, EventKind, EventPayload};
pub use bindings::detector::netassure::plugin::flows::{FlowBatch, FlowKey, FlowWindow};
pub use bindings::detector::netassure::plugin::graph::Csr;
pub use bindings::detector::netassure::plugin::plugin::{
    ConfigField, PluginError, PluginInfo, PluginKind,
};
pub use bindings::detector::netassure::plugin::topology::{
    Attribute, Link, LinkStateChange, LinkUtilisationChange, Node, OperState, TelemetrySample,
    TopologyChange, TopologyDelta,
};
pub use bindings::graph_algorithm::netassure::plugin::algorithms::{
    AlgorithmResult, Param, Scored,
};

/// Everything a plugin usually needs, in one `use`.
pub mod prelude {
    pub use crate::{
        Alert, AlertContext, AlertRule, AlgorithmResult, Anomaly, AnomalyBuilder, ConfigField, Csr,
        Describe, Detector, Event, EventKind, EventPayload, Finding, FlowBatch, FlowEvidence,
        FlowWindow, GraphAlgorithm, GraphSnapshot, HostGraph, Link, NetworkPlane, NoConfig, Node,
        OperState, Params, Pattern, PluginError, PluginInfo, PluginKind, Scored, Severity,
        TelemetrySample, TopologyChange, TopologyDelta, export_alert_rule, export_detector,
        export_graph_algorithm, host,
    };
}

#[doc(hidden)]
pub mod __private {
    pub use crate::alert_rule::AlertRuleAdapter;
    pub use crate::detector::DetectorAdapter;
    pub use crate::graph_algorithm::GraphAlgorithmAdapter;
    pub use wit_bindgen;
}
