//! What a flow detector has waiting and what it never saw. Every flow window delivered to a
//! detector is either handled by it or counted here as skipped (`windows_skipped`,
//! `flows_skipped`): skipped because the detector was busy (its backlog past
//! `[plugins] max_queued_flows`, live sources only), quarantined, or because its
//! call failed (CPU deadline, memory cap, trap). The first skip of an episode raises one
//! host-health anomaly (`Pipeline::plugin_skipping`); the next handled window ends the episode.
//!
//! Memory stays bounded: a detector never has more than `max_queued_flows` flows waiting,
//! except a single window larger than the bound, which is taken when nothing else waits. The
//! windows are shared between detectors, so all waiting windows together hold at most (flow
//! detectors × `max_queued_flows`) flows — when each detector skips different windows.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use netassure_ingest::WhenBusy;

/// Why a window was not handled by a detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Its backlog was full.
    Busy,
    /// It was quarantined (a detector an operator disabled skips by choice: not counted).
    Quarantined,
    /// Its call on the window failed.
    Failed,
}

impl SkipReason {
    /// How the host-health anomaly words it.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::Busy => "it fell behind (its backlog reached [plugins] max_queued_flows)",
            SkipReason::Quarantined => "it is quarantined",
            SkipReason::Failed => "its call on the window failed",
        }
    }
}

/// The flow backlog and skip counters of one detector.
#[derive(Debug, Default)]
pub struct Backlog {
    queued_flows: AtomicU64,
    max_queued_flows: AtomicU64,
    windows_skipped: AtomicU64,
    flows_skipped: AtomicU64,
    skipping: AtomicBool,
}

impl Backlog {
    /// A backlog of at most `max_queued_flows` flows.
    pub fn new(max_queued_flows: u64) -> Backlog {
        Backlog {
            max_queued_flows: AtomicU64::new(max_queued_flows),
            ..Backlog::default()
        }
    }

    /// Reserve room for a window of `flows`; false when the backlog is full.
    pub(crate) fn try_reserve(&self, flows: u64) -> bool {
        let max = self.max_queued_flows.load(Ordering::Relaxed);
        self.queued_flows
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
                (queued == 0 || queued.saturating_add(flows) <= max).then(|| queued + flows)
            })
            .is_ok()
    }

    /// Count a window of `flows` as waiting without checking the bound (sources that wait
    /// instead of shedding).
    pub(crate) fn reserve(&self, flows: u64) {
        self.queued_flows.fetch_add(flows, Ordering::AcqRel);
    }

    /// A waiting window of `flows` left the backlog (handled or skipped).
    pub fn release(&self, flows: u64) {
        let _ = self
            .queued_flows
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
                Some(queued.saturating_sub(flows))
            });
    }

    /// Count a skipped window of `flows`; true when it starts an episode of skipping.
    pub fn skipped(&self, flows: u64) -> bool {
        self.windows_skipped.fetch_add(1, Ordering::Relaxed);
        self.flows_skipped.fetch_add(flows, Ordering::Relaxed);
        !self.skipping.swap(true, Ordering::AcqRel)
    }

    /// A window was handled: an episode of skipping, if any, is over.
    pub fn handled(&self) {
        self.skipping.store(false, Ordering::Release);
    }

    /// Flows waiting now.
    pub fn queued_flows(&self) -> u64 {
        self.queued_flows.load(Ordering::Acquire)
    }

    /// Windows skipped so far.
    pub fn windows_skipped(&self) -> u64 {
        self.windows_skipped.load(Ordering::Relaxed)
    }

    /// Flows in the windows skipped so far.
    pub fn flows_skipped(&self) -> u64 {
        self.flows_skipped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_backlog_refuses_windows_but_an_empty_one_takes_any_window() {
        let backlog = Backlog::new(100);
        assert!(backlog.try_reserve(60));
        assert!(backlog.try_reserve(40));
        assert!(!backlog.try_reserve(1), "full at 100");
        backlog.release(100);
        assert!(backlog.try_reserve(500), "one window larger than the bound");
        assert!(!backlog.try_reserve(1));
        backlog.release(500);
        assert_eq!(backlog.queued_flows(), 0);
    }

    #[test]
    fn only_the_first_skip_of_an_episode_starts_one() {
        let backlog = Backlog::new(10);
        assert!(backlog.skipped(5));
        assert!(!backlog.skipped(7));
        backlog.handled();
        assert!(backlog.skipped(1));
        assert_eq!(
            (backlog.windows_skipped(), backlog.flows_skipped()),
            (3, 13)
        );
    }
}
