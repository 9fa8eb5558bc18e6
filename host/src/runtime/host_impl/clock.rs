//! `clock`: wall-clock and monotonic time.

use std::sync::OnceLock;
use std::time::Instant;

use crate::runtime::PluginState;
use crate::runtime::bindings::clock::Host;

impl Host for PluginState {
    fn now_ms(&mut self) -> wasmtime::Result<u64> {
        Ok(crate::model::now_ms())
    }

    fn monotonic_ns(&mut self) -> wasmtime::Result<u64> {
        static START: OnceLock<Instant> = OnceLock::new();
        Ok(START.get_or_init(Instant::now).elapsed().as_nanos() as u64)
    }
}
