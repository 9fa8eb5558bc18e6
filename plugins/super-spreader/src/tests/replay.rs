//! The shared replay support ([`netassure_plugin_replay::windows`]).

pub use netassure_plugin_replay::windows::*;
