//! The generated WIT bindings, one module per world.
//!
//! The three worlds share every interface; the `detector` module owns the generated types and
//! the other two map onto it with `with`, so an `Anomaly` is the same Rust type everywhere.
//! Plugin authors never name these modules: the rest of the SDK re-exports what they need.
#![allow(missing_docs, unsafe_code, clippy::all)]

/// Bindings of the `detector` world, and of every shared interface.
pub mod detector {
    wit_bindgen::generate!({
        path: "../wit/plugin@0.1.2",
        world: "netassure:plugin/detector@0.1.2",
        runtime_path: "netassure_plugin_sdk::__private::wit_bindgen::rt",
        default_bindings_module: "netassure_plugin_sdk::bindings::detector",
        pub_export_macro: true,
        export_macro_name: "__export_detector_world",
        generate_all,
    });
}

/// Bindings of the `graph-algorithm` world.
pub mod graph_algorithm {
    wit_bindgen::generate!({
        path: "../wit/plugin@0.1.2",
        world: "netassure:plugin/graph-algorithm@0.1.2",
        runtime_path: "netassure_plugin_sdk::__private::wit_bindgen::rt",
        default_bindings_module: "netassure_plugin_sdk::bindings::graph_algorithm",
        pub_export_macro: true,
        export_macro_name: "__export_graph_algorithm_world",
        with: {
            "netassure:plugin/topology@0.1.2": crate::bindings::detector::netassure::plugin::topology,
            "netassure:plugin/flows@0.1.2": crate::bindings::detector::netassure::plugin::flows,
            "netassure:plugin/events@0.1.2": crate::bindings::detector::netassure::plugin::events,
            "netassure:plugin/plugin@0.1.2": crate::bindings::detector::netassure::plugin::plugin,
            "netassure:plugin/graph@0.1.2": crate::bindings::detector::netassure::plugin::graph,
            "netassure:plugin/flow-graph@0.1.2": crate::bindings::detector::netassure::plugin::flow_graph,
            "netassure:plugin/inference@0.1.2": crate::bindings::detector::netassure::plugin::inference,
            "netassure:plugin/log@0.1.2": crate::bindings::detector::netassure::plugin::log,
            "netassure:plugin/state@0.1.2": crate::bindings::detector::netassure::plugin::state,
            "netassure:plugin/clock@0.1.2": crate::bindings::detector::netassure::plugin::clock,
            "netassure:plugin/metrics@0.1.2": crate::bindings::detector::netassure::plugin::metrics,
            "netassure:plugin/algorithms@0.1.2": generate,
        },
    });
}

/// Bindings of the `alert-rule` world.
pub mod alert_rule {
    wit_bindgen::generate!({
        path: "../wit/plugin@0.1.2",
        world: "netassure:plugin/alert-rule@0.1.2",
        runtime_path: "netassure_plugin_sdk::__private::wit_bindgen::rt",
        default_bindings_module: "netassure_plugin_sdk::bindings::alert_rule",
        pub_export_macro: true,
        export_macro_name: "__export_alert_rule_world",
        with: {
            "netassure:plugin/topology@0.1.2": crate::bindings::detector::netassure::plugin::topology,
            "netassure:plugin/flows@0.1.2": crate::bindings::detector::netassure::plugin::flows,
            "netassure:plugin/events@0.1.2": crate::bindings::detector::netassure::plugin::events,
            "netassure:plugin/anomalies@0.1.2": crate::bindings::detector::netassure::plugin::anomalies,
            "netassure:plugin/plugin@0.1.2": crate::bindings::detector::netassure::plugin::plugin,
            "netassure:plugin/graph@0.1.2": crate::bindings::detector::netassure::plugin::graph,
            "netassure:plugin/flow-graph@0.1.2": crate::bindings::detector::netassure::plugin::flow_graph,
            "netassure:plugin/inference@0.1.2": crate::bindings::detector::netassure::plugin::inference,
            "netassure:plugin/log@0.1.2": crate::bindings::detector::netassure::plugin::log,
            "netassure:plugin/state@0.1.2": crate::bindings::detector::netassure::plugin::state,
            "netassure:plugin/clock@0.1.2": crate::bindings::detector::netassure::plugin::clock,
            "netassure:plugin/metrics@0.1.2": crate::bindings::detector::netassure::plugin::metrics,
        },
    });
}
