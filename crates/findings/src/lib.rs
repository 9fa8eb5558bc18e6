//! Findings: anomalies and alerts, stored durably (SQLite in WAL mode under the data
//! directory) with their lifecycle.
//!
//! - Every anomaly is a record with revisions, after the IETF relevant-state model: revision 1
//!   is the detector's label (stage `problem-potential`, annotator type `algorithm`); operator
//!   feedback adds a revision (annotator type `human`, stage `problem-confirmed` or
//!   `discarded`). Revisions are only ever added.
//! - Alerts are deduplicated by key: an alert with the same key still active (or
//!   acknowledged) and seen within the dedup window counts a repeat instead of opening anew.
//! - A false positive silences the detector for that subject for `suppress_s`; anomalies in
//!   that time are stored (flagged `suppressed`) but raise no alert.
//!
//! Retention (`retention_days`, `max_anomalies`) is applied by [`FindingsStore::prune`], which
//! the host runs every minute.
//!
//! Durability: each write is one committed transaction; with WAL and `synchronous=NORMAL` a
//! committed write survives the process being killed (`kill -9`); only an operating-system
//! crash or power loss can lose the last transactions.

pub mod ietf;
mod incidents;
mod retention;
mod schema;
mod stored;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

pub use incidents::IncidentFilter;
pub use retention::Pruned;
pub use stored::{Alert, AlertStatus, Anomaly, Feedback, Revision};

use netassure_model::timefmt::ms_to_rfc3339;
use netassure_model::{AlertRecord, AnomalyRecord, Severity};

/// `[findings]` of `netassure.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FindingsConfig {
    /// Repeats of an alert key within this many seconds are one alert. Example: `dedup_window_s = 900`.
    pub dedup_window_s: u64,
    /// How long a false positive silences its detector for its subject, seconds. Example: `suppress_s = 86400`.
    pub suppress_s: u64,
    /// An active alert not seen again for this many seconds resolves itself (its anomaly has
    /// cleared). Example: `auto_resolve_s = 3600`.
    pub auto_resolve_s: u64,
    /// Flap damping: when an alert key has opened this many alerts within `flap_window_s`, further
    /// ones open as `suppressed`. Example: `flap_threshold = 5`.
    pub flap_threshold: u64,
    /// Flap damping window, seconds. Example: `flap_window_s = 3600`.
    pub flap_window_s: u64,
    /// Retention: anomalies, alerts that are resolved or suppressed and closed incidents older
    /// than this many days are deleted (active and acknowledged alerts are kept however old);
    /// 0 keeps everything. Example: `retention_days = 30`.
    pub retention_days: u64,
    /// Retention: at most this many anomalies are kept, the oldest deleted first; 0 sets no
    /// limit. Example: `max_anomalies = 5000000`.
    pub max_anomalies: u64,
    /// Largest size of the findings database, MiB; 0 sets no limit. Past it, new findings
    /// are published marked `stored: false` and `/status` says `degraded` until retention
    /// frees room. Example: `max_db_mb = 4096`.
    pub max_db_mb: u64,
}

impl Default for FindingsConfig {
    fn default() -> Self {
        FindingsConfig {
            dedup_window_s: 900,
            suppress_s: 86_400,
            auto_resolve_s: 3_600,
            flap_threshold: 5,
            flap_window_s: 3_600,
            retention_days: 30,
            max_anomalies: 5_000_000,
            max_db_mb: 0,
        }
    }
}

/// Errors of the findings store.
#[derive(Debug, thiserror::Error)]
pub enum FindingsError {
    /// The database failed.
    #[error("findings database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A stored record could not be read.
    #[error("findings record: {0}")]
    Record(#[from] serde_json::Error),
}

/// Filter of `GET /alerts`.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Only this status.
    pub status: Option<AlertStatus>,
    /// Created at or after, ms since the epoch.
    pub since_ms: Option<u64>,
    /// Only alerts about this node.
    pub node: Option<String>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// Filter of `GET /anomalies`.
#[derive(Debug, Clone, Default)]
pub struct AnomalyFilter {
    /// Detected at or after, ms since the epoch.
    pub since_ms: Option<u64>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only scores at or above.
    pub min_score: Option<f64>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// An anomaly to store, with the time it was detected (ms since the epoch).
#[derive(Debug, Clone, Copy)]
pub struct NewAnomaly<'a> {
    /// The anomaly.
    pub record: &'a AnomalyRecord,
    /// When it was detected, ms since the epoch.
    pub detected_at_ms: u64,
}

/// The store.
pub struct FindingsStore {
    conn: Mutex<Connection>,
    config: FindingsConfig,
}

/// What an anomaly is about, for suppression: its first link, else its first node, else its kind.
pub fn subject_of(record: &AnomalyRecord) -> String {
    record
        .contributing_link_ids
        .first()
        .or(record.contributing_node_ids.first())
        .cloned()
        .unwrap_or_else(|| record.kind.clone())
}

fn severity_rank(severity: Severity) -> i64 {
    severity as i64
}

fn severity_from_rank(rank: i64) -> Severity {
    match rank {
        0 => Severity::Info,
        1 => Severity::Warning,
        2 => Severity::Minor,
        3 => Severity::Major,
        _ => Severity::Critical,
    }
}

/// Add the columns of [`schema::MIGRATIONS`] that an older database lacks.
fn migrate(conn: &Connection) -> Result<(), FindingsError> {
    for (table, column, definition) in schema::MIGRATIONS {
        let present: bool = conn.query_row(
            &format!("SELECT COUNT(*) > 0 FROM pragma_table_info('{table}') WHERE name = ?1"),
            params![column],
            |row| row.get(0),
        )?;
        if !present {
            conn.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {column} {definition}"
            ))?;
        }
    }
    Ok(())
}

impl FindingsStore {
    /// Open (or create) the database at `path`.
    pub fn open(path: &Path, config: FindingsConfig) -> Result<Self, FindingsError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(schema::SCHEMA)?;
        migrate(&conn)?;
        if config.max_db_mb > 0 {
            let page_size: u64 = conn.query_row("PRAGMA page_size", [], |row| row.get(0))?;
            let pages = (config.max_db_mb << 20) / page_size.max(512);
            conn.pragma_update(None, "max_page_count", pages)?;
        }
        Ok(FindingsStore {
            conn: Mutex::new(conn),
            config,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// True when a false positive currently silences `detector` for `subject`.
    pub fn is_suppressed(
        &self,
        detector: &str,
        subject: &str,
        now_ms: u64,
    ) -> Result<bool, FindingsError> {
        let conn = self.lock();
        let until: Option<i64> = conn
            .query_row(
                "SELECT until_ms FROM suppressions WHERE detector = ?1 AND subject = ?2",
                params![detector, subject],
                |row| row.get(0),
            )
            .optional()?;
        Ok(until.is_some_and(|until| until as u64 > now_ms))
    }

    /// Store anomalies, each with its first revision (the detector's label), in one
    /// transaction. Each is checked against the false-positive silences in the same
    /// transaction; the answer says, per anomaly, whether it is silenced (stored flagged
    /// `suppressed`, raising no alert).
    pub fn record_anomalies(&self, batch: &[NewAnomaly<'_>]) -> Result<Vec<bool>, FindingsError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut silenced = Vec::with_capacity(batch.len());
        {
            let mut silence = tx.prepare_cached(
                "SELECT until_ms FROM suppressions WHERE detector = ?1 AND subject = ?2",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO anomalies (anomaly_id, kind, score, detector, subject, detected_at_ms, suppressed, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut revision = tx.prepare_cached(
                "INSERT INTO anomaly_revisions (anomaly_id, revision, stage, annotator, annotator_type, annotator_version, at_ms, notes) VALUES (?1, 1, 'problem-potential', ?2, 'algorithm', ?3, ?4, NULL)",
            )?;
            for new in batch {
                let record = new.record;
                let at_ms = new.detected_at_ms as i64;
                let subject = subject_of(record);
                let until: Option<i64> = silence
                    .query_row(params![record.detector, subject], |row| row.get(0))
                    .optional()?;
                let suppressed = until.is_some_and(|until| until > at_ms);
                let json = serde_json::to_string(record)?;
                insert.execute(params![
                    record.anomaly_id,
                    record.kind,
                    record.score,
                    record.detector,
                    subject,
                    at_ms,
                    suppressed,
                    json
                ])?;
                revision.execute(params![
                    record.anomaly_id,
                    record.detector,
                    record.detector_version,
                    at_ms
                ])?;
                silenced.push(suppressed);
            }
        }
        tx.commit()?;
        Ok(silenced)
    }

    /// Store an alert decision: a repeat of an open alert with the same key within the dedup
    /// window updates that alert; otherwise a new alert opens. Returns the stored alert.
    pub fn record_alert(
        &self,
        decision: &AlertRecord,
        now_ms: u64,
    ) -> Result<Alert, FindingsError> {
        let window_start =
            now_ms.saturating_sub(self.config.dedup_window_s.saturating_mul(1000)) as i64;
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let existing: Option<(String, String, i64)> = tx
            .query_row(
                "SELECT alert_id, anomaly_ids, severity FROM alerts WHERE dedup_key = ?1 AND ((status IN ('active', 'acknowledged') AND last_seen_ms >= ?2) OR ?1 LIKE 'incident:%') ORDER BY last_seen_ms DESC LIMIT 1",
                params![decision.dedup_key, window_start],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let alert_id = match existing {
            Some((alert_id, anomaly_ids, severity)) => {
                let mut ids: Vec<String> = serde_json::from_str(&anomaly_ids)?;
                ids.push(decision.anomaly_id.clone());
                tx.execute(
                    "UPDATE alerts SET count = count + 1, last_seen_ms = ?2, updated_at_ms = ?2, anomaly_ids = ?3, severity = ?4, message = ?5 WHERE alert_id = ?1",
                    params![alert_id, now_ms as i64, serde_json::to_string(&ids)?, severity.max(severity_rank(decision.severity)), decision.message],
                )?;
                alert_id
            }
            None => {
                let flap_start =
                    now_ms.saturating_sub(self.config.flap_window_s.saturating_mul(1000)) as i64;
                let recent: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM alerts WHERE dedup_key = ?1 AND created_at_ms >= ?2",
                    params![decision.dedup_key, flap_start],
                    |row| row.get(0),
                )?;
                let status = if recent as u64 >= self.config.flap_threshold.max(1) {
                    "suppressed"
                } else {
                    "active"
                };
                tx.execute(
                    "INSERT INTO alerts (alert_id, dedup_key, status, severity, node_id, message, rule, created_at_ms, last_seen_ms, updated_at_ms, count, anomaly_ids, feedback, incident_id) VALUES (?1, ?2, ?9, ?3, ?4, ?5, ?6, ?7, ?7, ?7, 1, ?8, NULL, ?10)",
                    params![decision.alert_id, decision.dedup_key, severity_rank(decision.severity), decision.node_id, decision.message, decision.rule, now_ms as i64, serde_json::to_string(&[&decision.anomaly_id])?, status, decision.incident_id],
                )?;
                decision.alert_id.clone()
            }
        };
        tx.commit()?;
        drop(conn);
        Ok(self.alert(&alert_id)?.expect("just written"))
    }

    /// One alert.
    pub fn alert(&self, alert_id: &str) -> Result<Option<Alert>, FindingsError> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(&format!("{ALERT_COLUMNS} WHERE alert_id = ?1"))?;
        statement
            .query_row(params![alert_id], read_alert)
            .optional()?
            .transpose()
    }

    /// Alerts matching `filter`, newest first.
    pub fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, FindingsError> {
        let conn = self.lock();
        let mut sql = format!("{ALERT_COLUMNS} WHERE created_at_ms >= ?1");
        if filter.status.is_some() {
            sql.push_str(" AND status = ?2");
        }
        if filter.node.is_some() {
            sql.push_str(" AND node_id = ?3");
        }
        if filter.severity.is_some() {
            sql.push_str(" AND severity = ?4");
        }
        sql.push_str(" ORDER BY created_at_ms DESC LIMIT ?5");
        let mut statement = conn.prepare_cached(&sql)?;
        let status = filter.status.map(AlertStatus::as_str);
        let severity = filter.severity.map(severity_rank);
        let since = filter.since_ms.unwrap_or(0) as i64;
        let mut bind: Vec<(usize, rusqlite::types::Value)> = vec![(1, since.into())];
        if let Some(status) = status {
            bind.push((2, status.to_owned().into()));
        }
        if let Some(node) = &filter.node {
            bind.push((3, node.clone().into()));
        }
        if let Some(severity) = severity {
            bind.push((4, severity.into()));
        }
        bind.push((5, (filter.limit.max(1) as i64).into()));
        for (index, value) in &bind {
            statement.raw_bind_parameter(*index, value)?;
        }
        let mut rows = statement.raw_query();
        let mut alerts = Vec::new();
        while let Some(row) = rows.next()? {
            alerts.push(read_alert(row)??);
        }
        Ok(alerts)
    }

    /// Set an alert's status (ack, resolve); `None` for an unknown alert.
    pub fn set_status(
        &self,
        alert_id: &str,
        status: AlertStatus,
        now_ms: u64,
    ) -> Result<Option<Alert>, FindingsError> {
        let changed = self.lock().execute(
            "UPDATE alerts SET status = ?2, updated_at_ms = ?3 WHERE alert_id = ?1",
            params![alert_id, status.as_str(), now_ms as i64],
        )?;
        if changed == 0 {
            Ok(None)
        } else {
            self.alert(alert_id)
        }
    }

    /// Record operator feedback on an alert: a new revision of each of its anomalies, and for
    /// a false positive the alert is suppressed and its detectors silenced for their subjects.
    pub fn feedback(
        &self,
        alert_id: &str,
        is_false_positive: bool,
        notes: Option<&str>,
        now_ms: u64,
    ) -> Result<Option<Alert>, FindingsError> {
        let Some(alert) = self.alert(alert_id)? else {
            return Ok(None);
        };
        let stage = if is_false_positive {
            "discarded"
        } else {
            "problem-confirmed"
        };
        let until_ms = now_ms.saturating_add(self.config.suppress_s.saturating_mul(1000));
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for anomaly_id in &alert.anomaly_ids {
            let next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(revision), 0) + 1 FROM anomaly_revisions WHERE anomaly_id = ?1",
                params![anomaly_id],
                |row| row.get(0),
            )?;
            tx.execute(
                "INSERT INTO anomaly_revisions (anomaly_id, revision, stage, annotator, annotator_type, annotator_version, at_ms, notes) VALUES (?1, ?2, ?3, 'operator', 'human', '1', ?4, ?5)",
                params![anomaly_id, next, stage, now_ms as i64, notes],
            )?;
            if is_false_positive {
                tx.execute(
                    "INSERT OR REPLACE INTO suppressions (detector, subject, until_ms, alert_id) SELECT detector, subject, ?2, ?3 FROM anomalies WHERE anomaly_id = ?1",
                    params![anomaly_id, until_ms as i64, alert_id],
                )?;
            }
        }
        let feedback = Feedback {
            is_false_positive,
            notes: notes.map(str::to_owned),
            at: ms_to_rfc3339(now_ms),
            suppressed_until: is_false_positive.then(|| ms_to_rfc3339(until_ms)),
        };
        let status = if is_false_positive {
            AlertStatus::Suppressed.as_str()
        } else {
            alert.status.as_str()
        };
        tx.execute(
            "UPDATE alerts SET feedback = ?2, status = ?3, updated_at_ms = ?4 WHERE alert_id = ?1",
            params![
                alert_id,
                serde_json::to_string(&feedback)?,
                status,
                now_ms as i64
            ],
        )?;
        tx.commit()?;
        drop(conn);
        self.alert(alert_id)
    }

    /// Resolve active alerts not seen for `auto_resolve_s`; returns their ids.
    pub fn auto_resolve(&self, now_ms: u64) -> Result<Vec<String>, FindingsError> {
        let stale_before =
            now_ms.saturating_sub(self.config.auto_resolve_s.saturating_mul(1000)) as i64;
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let ids: Vec<String> = {
            let mut statement = tx.prepare(
                "SELECT alert_id FROM alerts WHERE status = 'active' AND last_seen_ms < ?1",
            )?;
            statement
                .query_map(params![stale_before], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        tx.execute(
            "UPDATE alerts SET status = 'resolved', updated_at_ms = ?2 WHERE status = 'active' AND last_seen_ms < ?1",
            params![stale_before, now_ms as i64],
        )?;
        tx.commit()?;
        Ok(ids)
    }

    /// Alerts by status, and the number of anomalies stored.
    pub fn counts(&self) -> Result<(Vec<(String, u64)>, u64), FindingsError> {
        let conn = self.lock();
        let mut statement =
            conn.prepare_cached("SELECT status, COUNT(*) FROM alerts GROUP BY status")?;
        let by_status = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64))
            })?
            .collect::<Result<_, _>>()?;
        let anomalies: i64 =
            conn.query_row("SELECT COUNT(*) FROM anomalies", [], |row| row.get(0))?;
        Ok((by_status, anomalies as u64))
    }

    /// One anomaly with every revision.
    pub fn anomaly(&self, anomaly_id: &str) -> Result<Option<Anomaly>, FindingsError> {
        let conn = self.lock();
        let row: Option<(String, bool)> = conn
            .query_row(
                "SELECT record, suppressed FROM anomalies WHERE anomaly_id = ?1",
                params![anomaly_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((record, suppressed)) = row else {
            return Ok(None);
        };
        Ok(Some(with_revisions(
            &conn,
            serde_json::from_str(&record)?,
            suppressed,
        )?))
    }

    /// Anomalies matching `filter`, newest first.
    pub fn anomalies(&self, filter: &AnomalyFilter) -> Result<Vec<Anomaly>, FindingsError> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(
            "SELECT record, suppressed FROM anomalies WHERE detected_at_ms >= ?1 AND (?2 IS NULL OR kind = ?2) AND score >= ?3 ORDER BY detected_at_ms DESC LIMIT ?4",
        )?;
        let rows: Vec<(String, bool)> = statement
            .query_map(
                params![
                    filter.since_ms.unwrap_or(0) as i64,
                    filter.kind,
                    filter.min_score.unwrap_or(f64::MIN),
                    filter.limit.max(1) as i64
                ],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(record, suppressed)| {
                with_revisions(&conn, serde_json::from_str(&record)?, suppressed)
            })
            .collect()
    }
}

const ALERT_COLUMNS: &str = "SELECT alert_id, status, severity, node_id, message, rule, dedup_key, created_at_ms, last_seen_ms, count, anomaly_ids, feedback, incident_id FROM alerts";

fn read_alert(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Alert, FindingsError>> {
    let status: String = row.get(1)?;
    let anomaly_ids: String = row.get(10)?;
    let feedback: Option<String> = row.get(11)?;
    let created: i64 = row.get(7)?;
    let last_seen: i64 = row.get(8)?;
    let count: i64 = row.get(9)?;
    let build = || -> Result<Alert, FindingsError> {
        Ok(Alert {
            alert_id: row.get(0)?,
            status: AlertStatus::parse(&status).unwrap_or(AlertStatus::Active),
            severity: severity_from_rank(row.get(2)?),
            node_id: row.get(3)?,
            message: row.get(4)?,
            rule: row.get(5)?,
            dedup_key: row.get(6)?,
            created_at: ms_to_rfc3339(created as u64),
            last_seen: ms_to_rfc3339(last_seen as u64),
            count: count as u64,
            anomaly_ids: serde_json::from_str(&anomaly_ids)?,
            feedback: feedback
                .map(|text| serde_json::from_str(&text))
                .transpose()?,
            incident_id: row.get(12)?,
        })
    };
    Ok(build())
}

fn with_revisions(
    conn: &Connection,
    record: AnomalyRecord,
    suppressed: bool,
) -> Result<Anomaly, FindingsError> {
    let mut statement = conn.prepare_cached(
        "SELECT revision, stage, annotator, annotator_type, annotator_version, at_ms, notes FROM anomaly_revisions WHERE anomaly_id = ?1 ORDER BY revision",
    )?;
    let revisions: Vec<Revision> = statement
        .query_map(params![record.anomaly_id], |row| {
            let at: i64 = row.get(5)?;
            Ok(Revision {
                revision: row.get::<_, i64>(0)? as u64,
                stage: row.get(1)?,
                annotator: row.get(2)?,
                annotator_type: row.get(3)?,
                annotator_version: row.get(4)?,
                at: ms_to_rfc3339(at as u64),
                notes: row.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let last = revisions.last().cloned();
    Ok(Anomaly {
        revision: last.as_ref().map_or(1, |revision| revision.revision),
        stage: last.map_or_else(|| "problem-potential".to_owned(), |revision| revision.stage),
        suppressed,
        revisions,
        record,
    })
}

/// Records the findings tests build on.
#[cfg(test)]
pub(crate) mod fixtures {
    use netassure_model::anomaly::SymptomRecord;
    use netassure_model::{AlertRecord, AnomalyRecord, Severity};

    /// An anomaly about node `n` from detector `d`.
    pub fn anomaly(id: &str) -> AnomalyRecord {
        AnomalyRecord {
            anomaly_id: id.into(),
            kind: "k".into(),
            score: 0.5,
            confidence: 1.0,
            contributing_node_ids: vec!["n".into()],
            contributing_link_ids: vec![],
            flow_keys: vec![],
            description: String::new(),
            pattern: "other".into(),
            symptom: SymptomRecord {
                id: "k".into(),
                action: String::new(),
                reason: String::new(),
                trigger: String::new(),
                network_plane: "forwarding".into(),
                concern_score: 50,
            },
            detector: "d".into(),
            detector_version: "1".into(),
            event_id: 1,
            detected_at: String::new(),
            evidence: None,
            incident_id: None,
        }
    }

    /// An alert decision `id` with dedup key `key`.
    pub fn decision(id: &str, key: &str) -> AlertRecord {
        AlertRecord {
            alert_id: id.into(),
            rule: "rule".into(),
            severity: Severity::Major,
            node_id: Some("n".into()),
            message: "m".into(),
            dedup_key: key.into(),
            anomaly_id: format!("anomaly-{id}"),
            created_at: String::new(),
            incident_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{anomaly, decision};
    use super::*;

    fn store(config: FindingsConfig) -> (tempfile::TempDir, FindingsStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = FindingsStore::open(&dir.path().join("f.sqlite"), config).unwrap();
        (dir, store)
    }

    #[test]
    fn repeats_dedup_then_flapping_keys_are_damped_and_stale_alerts_resolve() {
        let config = FindingsConfig {
            dedup_window_s: 10,
            flap_threshold: 2,
            flap_window_s: 1000,
            auto_resolve_s: 100,
            ..FindingsConfig::default()
        };
        let (_dir, store) = store(config);
        let first = store.record_alert(&decision("a1", "k"), 1_000).unwrap();
        let repeat = store.record_alert(&decision("a2", "k"), 5_000).unwrap();
        assert_eq!(
            (repeat.alert_id.as_str(), repeat.count),
            ("a1", 2),
            "within the dedup window: one alert"
        );
        let reopened = store.record_alert(&decision("a3", "k"), 30_000).unwrap();
        assert_eq!(
            (reopened.alert_id.as_str(), reopened.status),
            ("a3", AlertStatus::Active)
        );
        let flapping = store.record_alert(&decision("a4", "k"), 60_000).unwrap();
        assert_eq!(
            flapping.status,
            AlertStatus::Suppressed,
            "the third opening within the flap window is damped"
        );
        assert_eq!(first.status, AlertStatus::Active);
        let resolved = store.auto_resolve(200_000).unwrap();
        assert_eq!(resolved, vec!["a1".to_owned(), "a3".to_owned()]);
        assert_eq!(
            store.alert("a3").unwrap().unwrap().status,
            AlertStatus::Resolved
        );
        assert_eq!(
            store.alert("a4").unwrap().unwrap().status,
            AlertStatus::Suppressed,
            "damped alerts stay damped"
        );
    }

    #[test]
    fn a_false_positive_silences_the_detector_for_the_subject() {
        let (_dir, store) = store(FindingsConfig::default());
        let record = AnomalyRecord {
            contributing_link_ids: vec!["l".into()],
            ..anomaly("anomaly-x")
        };
        let new = NewAnomaly {
            record: &record,
            detected_at_ms: 1_000,
        };
        assert_eq!(store.record_anomalies(&[new]).unwrap(), vec![false]);
        let alert = AlertRecord {
            anomaly_id: "anomaly-x".into(),
            ..decision("x", "k")
        };
        store.record_alert(&alert, 1_000).unwrap();
        assert!(!store.is_suppressed("d", "l", 2_000).unwrap());
        let labelled = store
            .feedback("x", true, Some("noise"), 2_000)
            .unwrap()
            .unwrap();
        assert_eq!(labelled.status, AlertStatus::Suppressed);
        assert!(store.is_suppressed("d", "l", 3_000).unwrap());
        assert!(!store.is_suppressed("d", "other-link", 3_000).unwrap());
        assert!(
            !store
                .is_suppressed("d", "l", 2_000 + 86_400_000 + 1)
                .unwrap(),
            "silence ends"
        );
        let anomaly = store.anomaly("anomaly-x").unwrap().unwrap();
        assert_eq!((anomaly.revision, anomaly.stage.as_str()), (2, "discarded"));
        let again = AnomalyRecord {
            anomaly_id: "anomaly-y".into(),
            ..record
        };
        let later = NewAnomaly {
            record: &again,
            detected_at_ms: 3_000,
        };
        assert_eq!(
            store.record_anomalies(&[later]).unwrap(),
            vec![true],
            "a new anomaly about the silenced subject is stored silenced"
        );
        assert!(store.anomaly("anomaly-y").unwrap().unwrap().suppressed);
    }
}
