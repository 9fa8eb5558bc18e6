//! Retention of the findings database: delete what is older than `retention_days`, and the
//! oldest anomalies beyond `max_anomalies`. Active and acknowledged alerts are never deleted:
//! an operator still has to act on them.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::{FindingsError, FindingsStore};

/// What one pass of [`FindingsStore::prune`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pruned {
    /// Anomalies deleted (with their revisions).
    pub anomalies: u64,
    /// Resolved or suppressed alerts deleted.
    pub alerts: u64,
    /// Expired false-positive silences deleted.
    pub silences: u64,
    /// Closed incidents deleted.
    pub incidents: u64,
}

impl FindingsStore {
    /// Apply the retention settings at `now_ms`, in one transaction.
    pub fn prune(&self, now_ms: u64) -> Result<Pruned, FindingsError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut pruned = Pruned::default();
        if self.config.retention_days > 0 {
            let cutoff =
                now_ms.saturating_sub(self.config.retention_days.saturating_mul(86_400_000)) as i64;
            pruned.anomalies += delete_anomalies_before(&tx, cutoff)?;
            pruned.alerts += tx.execute(
                "DELETE FROM alerts WHERE status IN ('resolved', 'suppressed') AND updated_at_ms < ?1",
                params![cutoff],
            )? as u64;
            pruned.incidents += tx.execute(
                "DELETE FROM incidents WHERE status = 'closed' AND updated_at_ms < ?1",
                params![cutoff],
            )? as u64;
        }
        if self.config.max_anomalies > 0 {
            let newest_dropped: Option<i64> = tx
                .query_row(
                    "SELECT detected_at_ms FROM anomalies ORDER BY detected_at_ms DESC LIMIT 1 OFFSET ?1",
                    params![self.config.max_anomalies as i64],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(at_ms) = newest_dropped {
                pruned.anomalies += delete_anomalies_before(&tx, at_ms + 1)?;
            }
        }
        pruned.silences = tx.execute(
            "DELETE FROM suppressions WHERE until_ms < ?1",
            params![now_ms as i64],
        )? as u64;
        tx.commit()?;
        Ok(pruned)
    }
}

/// Delete the anomalies detected before `cutoff_ms` and their revisions.
fn delete_anomalies_before(tx: &Transaction<'_>, cutoff_ms: i64) -> Result<u64, FindingsError> {
    tx.execute(
        "DELETE FROM anomaly_revisions WHERE anomaly_id IN (SELECT anomaly_id FROM anomalies WHERE detected_at_ms < ?1)",
        params![cutoff_ms],
    )?;
    Ok(tx.execute(
        "DELETE FROM anomalies WHERE detected_at_ms < ?1",
        params![cutoff_ms],
    )? as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{anomaly, decision};
    use crate::{AlertStatus, FindingsConfig, NewAnomaly};
    use netassure_model::AnomalyRecord;

    const DAY_MS: u64 = 86_400_000;

    #[test]
    fn old_findings_go_but_open_alerts_stay_and_the_anomaly_cap_holds() {
        let dir = tempfile::tempdir().unwrap();
        let config = FindingsConfig {
            retention_days: 10,
            max_anomalies: 3,
            ..FindingsConfig::default()
        };
        let store = FindingsStore::open(&dir.path().join("f.sqlite"), config).unwrap();
        let records: Vec<AnomalyRecord> = (0..6).map(|i| anomaly(&format!("a{i}"))).collect();
        let batch: Vec<NewAnomaly<'_>> = records
            .iter()
            .enumerate()
            .map(|(i, record)| NewAnomaly {
                record,
                detected_at_ms: if i == 0 {
                    DAY_MS
                } else {
                    20 * DAY_MS + i as u64
                },
            })
            .collect();
        store.record_anomalies(&batch).unwrap();
        store
            .record_alert(&decision("old-active", "old-active"), DAY_MS)
            .unwrap();
        store
            .record_alert(&decision("old-resolved", "old-resolved"), DAY_MS)
            .unwrap();
        store
            .set_status("old-resolved", AlertStatus::Resolved, DAY_MS)
            .unwrap();
        store
            .record_alert(&decision("new-resolved", "new-resolved"), 20 * DAY_MS)
            .unwrap();
        store
            .set_status("new-resolved", AlertStatus::Resolved, 20 * DAY_MS)
            .unwrap();

        let pruned = store.prune(21 * DAY_MS).unwrap();
        assert_eq!(
            pruned,
            Pruned {
                anomalies: 3,
                alerts: 1,
                silences: 0,
                incidents: 0
            },
            "a0 by age, a1 and a2 by the cap of 3"
        );
        for gone in ["a0", "a1", "a2"] {
            assert!(store.anomaly(gone).unwrap().is_none(), "{gone} deleted");
        }
        for kept in ["a3", "a4", "a5"] {
            assert!(store.anomaly(kept).unwrap().is_some(), "{kept} kept");
        }
        assert!(
            store.alert("old-active").unwrap().is_some(),
            "open alerts are never pruned"
        );
        assert!(store.alert("old-resolved").unwrap().is_none());
        assert!(store.alert("new-resolved").unwrap().is_some());
        assert_eq!(
            store.prune(21 * DAY_MS).unwrap(),
            Pruned::default(),
            "idempotent"
        );
    }
}
