//! The bound on analysis runs: at most [`MAX_PENDING_RUNS`] runs (with the topology snapshot
//! each one holds, a past version's included) are running or queued at once, across all
//! graph-algorithm plugins. A slot is taken before the snapshot is built and travels with the
//! run to the plugin's worker, so it is free again only when the run is done or dropped —
//! a client that gives up cannot leave work behind that still counts for nothing.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Analysis runs running or queued at once; one more is refused (`503 busy`).
pub const MAX_PENDING_RUNS: usize = 16;

/// The run slots of a registry.
#[derive(Debug)]
pub(super) struct RunSlots(Arc<Semaphore>);

impl Default for RunSlots {
    fn default() -> Self {
        RunSlots(Arc::new(Semaphore::new(MAX_PENDING_RUNS)))
    }
}

impl RunSlots {
    /// A slot, or `None` when every slot is taken.
    pub(super) fn try_take(&self) -> Option<RunSlot> {
        self.0.clone().try_acquire_owned().ok().map(RunSlot)
    }
}

/// One analysis run's place; freed when dropped.
#[derive(Debug)]
pub struct RunSlot(#[allow(dead_code)] OwnedSemaphorePermit);
