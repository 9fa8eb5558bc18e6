//! NetAssure's end-to-end tests, in one test binary (`e2e`): the real `netassure-host` and
//! `netassure` binaries, the shipped plugins and the test fixtures built from source, driven
//! over REST, WebSockets, stdin, files and UDP, against real peers (nats-server, softflowd and
//! nfcapd, yanglint). One binary links the host library once; each file of this directory is
//! one module (its own `//!` says what it checks), `common` holds what they share.
//!
//! Run everything (`cargo xtask test` builds the host, the CLI and the plugins first):
//!
//! ```text
//! cargo test -p netassure-tests --test e2e
//! ```
//!
//! One module, or one test (test names are `module::function`):
//!
//! ```text
//! cargo test -p netassure-tests --test e2e hostile_plugins::
//! cargo test -p netassure-tests --test e2e hot_swap::every_event_is_processed_exactly_once_across_twenty_swaps
//! ```
//!
//! The tests of every module run in parallel threads of this one process: a test keeps its
//! state to itself (its own temporary directories, free ports, child processes) and changes
//! nothing process-wide (environment variables, the working directory). A new file here is
//! compiled only once it is a `mod` below (the `tidy` module checks that each one is).

mod common;

mod alert_chain;
mod event_feed;
mod findings;
mod flow_detectors;
mod gnn_inference;
mod graph_analytics;
mod host_imports;
mod hostile_plugins;
mod hot_swap;
mod nats_sink;
mod netflow_collector;
mod plugin_directory;
mod real_captures;
mod replay_input;
mod rest_api;
mod shipped_plugins;
mod tidy;
mod topology_history;
mod topology_stream;
mod webhook;
