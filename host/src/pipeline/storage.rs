//! Whether findings are being stored. A finding the findings database refused (a full disk,
//! `[findings] max_db_mb` reached, an I/O error) is still published — an operator should hear
//! of an attack even when the disk is full — but marked `"stored": false` on the feed, the
//! webhook and NATS, since `GET /alerts/{id}` will not know it. `/status` says `degraded`
//! while the last attempt to store failed, with the counts and the last error, and the error
//! is logged at most once every [`LOG_EVERY`], with how many failures went unlogged.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Least time between two log lines about failed stores.
pub(crate) const LOG_EVERY: Duration = Duration::from_secs(10);

/// `findings_store` of `/status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StorageStatus {
    /// False while the last attempt to store a finding failed.
    pub ok: bool,
    /// Anomalies published but not stored.
    pub anomalies_unstored: u64,
    /// Alerts published but not stored.
    pub alerts_unstored: u64,
    /// When the current run of failures began (RFC 3339), while failing.
    pub failing_since: Option<String>,
    /// The last error.
    pub last_error: Option<String>,
}

#[derive(Debug, Default)]
struct Tally {
    status: StorageStatus,
    failing_since_ms: Option<u64>,
    last_logged: Option<Instant>,
    unlogged: u64,
}

/// The findings store's health, as the pipeline sees it.
#[derive(Debug)]
pub struct StorageHealth {
    tally: Mutex<Tally>,
}

impl Default for StorageHealth {
    fn default() -> Self {
        let mut tally = Tally::default();
        tally.status.ok = true;
        StorageHealth {
            tally: Mutex::new(tally),
        }
    }
}

/// What could not be stored.
#[derive(Debug, Clone, Copy)]
pub enum Unstored {
    /// Anomalies of one detector call.
    Anomalies(u64),
    /// One alert decision.
    Alert,
}

impl StorageHealth {
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A store succeeded: the store is healthy again.
    pub fn stored(&self) {
        let mut tally = self.tally();
        if !tally.status.ok {
            tracing::info!("findings are being stored again");
        }
        tally.status.ok = true;
        tally.failing_since_ms = None;
    }

    /// A store failed with `error`.
    pub fn failed(&self, what: Unstored, error: &dyn std::fmt::Display) {
        let mut tally = self.tally();
        match what {
            Unstored::Anomalies(count) => tally.status.anomalies_unstored += count,
            Unstored::Alert => tally.status.alerts_unstored += 1,
        }
        tally.status.ok = false;
        tally.status.last_error = Some(error.to_string());
        if tally.failing_since_ms.is_none() {
            tally.failing_since_ms = Some(crate::model::now_ms());
        }
        let due = tally
            .last_logged
            .is_none_or(|logged| logged.elapsed() >= LOG_EVERY);
        if due {
            let unlogged = std::mem::take(&mut tally.unlogged);
            tally.last_logged = Some(Instant::now());
            tracing::error!(
                unlogged,
                "storing findings failed: {error}; they are published marked `stored: false` ({unlogged} more failures since the last report)"
            );
        } else {
            tally.unlogged += 1;
        }
    }

    /// For `/status`.
    pub fn status(&self) -> StorageStatus {
        let tally = self.tally();
        let mut status = tally.status.clone();
        status.failing_since = tally.failing_since_ms.map(crate::timefmt::ms_to_rfc3339);
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_degrade_until_the_next_success_and_are_counted() {
        let health = StorageHealth::default();
        assert!(health.status().ok);
        health.failed(Unstored::Anomalies(3), &"database or disk is full");
        health.failed(Unstored::Alert, &"database or disk is full");
        let failing = health.status();
        assert!(!failing.ok && failing.failing_since.is_some());
        assert_eq!(
            (failing.anomalies_unstored, failing.alerts_unstored),
            (3, 1)
        );
        health.stored();
        let healed = health.status();
        assert!(healed.ok && healed.failing_since.is_none());
        assert_eq!(
            healed.last_error.as_deref(),
            Some("database or disk is full")
        );
    }
}
