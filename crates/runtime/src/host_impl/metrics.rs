//! `metrics`: plugin counters and gauges, exported with a `plugin` label.

use crate::PluginState;
use crate::bindings::metrics::Host;

impl Host for PluginState {
    fn counter_add(&mut self, name: String, value: u64) -> wasmtime::Result<()> {
        self.services
            .metrics
            .plugin_counter_add(&self.plugin, &name, value);
        Ok(())
    }

    fn gauge_set(&mut self, name: String, value: f64) -> wasmtime::Result<()> {
        self.services
            .metrics
            .plugin_gauge_set(&self.plugin, &name, value);
        Ok(())
    }
}
