//! The one place the WIT package `netassure:plugin@0.1.2` becomes Rust: one `bindgen!` per
//! world. The `detector` world owns every shared interface; the other two worlds map onto it
//! with `with`, so each host interface is implemented once (see `host_impl/`).
#![allow(missing_docs, clippy::all)]

/// The `detector` world and every shared interface.
pub mod detector {
    wasmtime::component::bindgen!({
        path: "../../wit/plugin@0.1.2",
        world: "netassure:plugin/detector@0.1.2",
        imports: { default: trappable },
        with: {
            "netassure:plugin/graph.snapshot": crate::host_impl::graph::SnapshotHandle,
        },
    });
}

/// The `graph-algorithm` world.
pub mod graph_algorithm {
    wasmtime::component::bindgen!({
        path: "../../wit/plugin@0.1.2",
        world: "netassure:plugin/graph-algorithm@0.1.2",
        imports: { default: trappable },
        with: {
            "netassure:plugin/topology": super::detector::netassure::plugin::topology,
            "netassure:plugin/flows": super::detector::netassure::plugin::flows,
            "netassure:plugin/events": super::detector::netassure::plugin::events,
            "netassure:plugin/plugin": super::detector::netassure::plugin::plugin,
            "netassure:plugin/graph": super::detector::netassure::plugin::graph,
            "netassure:plugin/flow-graph": super::detector::netassure::plugin::flow_graph,
            "netassure:plugin/evidence": super::detector::netassure::plugin::evidence,
            "netassure:plugin/inference": super::detector::netassure::plugin::inference,
            "netassure:plugin/log": super::detector::netassure::plugin::log,
            "netassure:plugin/state": super::detector::netassure::plugin::state,
            "netassure:plugin/clock": super::detector::netassure::plugin::clock,
            "netassure:plugin/metrics": super::detector::netassure::plugin::metrics,
        },
    });
}

/// The `alert-rule` world.
pub mod alert_rule {
    wasmtime::component::bindgen!({
        path: "../../wit/plugin@0.1.2",
        world: "netassure:plugin/alert-rule@0.1.2",
        imports: { default: trappable },
        with: {
            "netassure:plugin/topology": super::detector::netassure::plugin::topology,
            "netassure:plugin/flows": super::detector::netassure::plugin::flows,
            "netassure:plugin/events": super::detector::netassure::plugin::events,
            "netassure:plugin/anomalies": super::detector::netassure::plugin::anomalies,
            "netassure:plugin/plugin": super::detector::netassure::plugin::plugin,
            "netassure:plugin/graph": super::detector::netassure::plugin::graph,
            "netassure:plugin/flow-graph": super::detector::netassure::plugin::flow_graph,
            "netassure:plugin/evidence": super::detector::netassure::plugin::evidence,
            "netassure:plugin/inference": super::detector::netassure::plugin::inference,
            "netassure:plugin/log": super::detector::netassure::plugin::log,
            "netassure:plugin/state": super::detector::netassure::plugin::state,
            "netassure:plugin/clock": super::detector::netassure::plugin::clock,
            "netassure:plugin/metrics": super::detector::netassure::plugin::metrics,
        },
    });
}

pub use detector::netassure::plugin::{
    anomalies, clock, events, evidence, flow_graph, flows, graph, inference, log, metrics, plugin,
    state, topology,
};
pub use graph_algorithm::netassure::plugin::algorithms;
