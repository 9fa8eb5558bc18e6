//! The `netassure` command-line tool's library: what it runs in process besides REST calls —
//! the flow-model evaluation (`netassure eval`, with its plots and labels) and the
//! topology-stream simulator (`netassure simulate`). The commands themselves are in
//! `src/bin/netassure/`. Keeping these here keeps plotters, indicatif and the flow synthesiser
//! out of the daemon.

pub mod evaluation;
pub mod simulator;
