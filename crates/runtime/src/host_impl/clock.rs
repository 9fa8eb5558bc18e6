//! `clock`: wall-clock and monotonic time.

use std::sync::OnceLock;
use std::time::Instant;

use crate::PluginState;
use crate::bindings::clock::Host;

impl Host for PluginState {
    fn now_ms(&mut self) -> wasmtime::Result<u64> {
        Ok(netassure_model::now_ms())
    }

    fn monotonic_ns(&mut self) -> wasmtime::Result<u64> {
        Ok(monotonic_ns())
    }
}

/// The monotonic clock plugins see: nanoseconds since the first reading in this process.
pub fn monotonic_ns() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}
