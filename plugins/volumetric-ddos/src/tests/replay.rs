//! The shared capture support ([`netassure_plugin_replay::captures`]).

pub use netassure_plugin_replay::captures::*;
