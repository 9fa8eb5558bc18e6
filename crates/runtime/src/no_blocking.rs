//! Plugins may not block. Epoch interruption stops a plugin only while it runs wasm code; a
//! plugin waiting in a host call (WASI `poll` or `pollable.block`: `std::thread::sleep`, a
//! timer) would hold its thread past any deadline, fill its queue and stall the pipeline. The
//! two WASI functions that wait are replaced here by ones that fail the call at once with
//! [`Blocked`], so the call is a failure like any other (the instance is recycled, repeated
//! failures quarantine the plugin) and a deadline is a deadline wherever the plugin is.
//! `pollable.ready` (a non-blocking check) keeps working; plugins have no sockets or files to
//! wait on, and their standard output and error streams never make them wait.

use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::p2::DynPollable;

use super::state::PluginState;

/// The WASI I/O package version `wasmtime-wasi` defines (a guest importing any 0.2.x version
/// is linked to it).
const WASI_POLL: &str = "wasi:io/poll@0.2.12";

/// The error a blocking call fails with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("plugin tried to block in WASI poll (a sleep or a timer); plugins may not wait")]
pub struct Blocked;

fn blocked() -> wasmtime::Error {
    wasmtime::Error::new(Blocked)
}

/// Replace WASI's blocking `poll` and `pollable.block` in `linker` (after WASI was added).
pub(crate) fn forbid_blocking(linker: &mut Linker<PluginState>) -> anyhow::Result<()> {
    linker.allow_shadowing(true);
    let mut poll = linker.instance(WASI_POLL)?;
    poll.func_wrap(
        "poll",
        |_store, (_pollables,): (Vec<Resource<DynPollable>>,)| -> wasmtime::Result<(Vec<u32>,)> {
            Err(blocked())
        },
    )?;
    poll.func_wrap(
        "[method]pollable.block",
        |_store, (_pollable,): (Resource<DynPollable>,)| -> wasmtime::Result<()> { Err(blocked()) },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
