//! The SQLite schema of the findings database.

/// Statements that create the schema; safe to run on an existing database. Columns added
/// after a release are added by [`MIGRATIONS`].
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS anomalies (
    anomaly_id     TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    score          REAL NOT NULL,
    detector       TEXT NOT NULL,
    subject        TEXT NOT NULL,
    detected_at_ms INTEGER NOT NULL,
    suppressed     INTEGER NOT NULL DEFAULT 0,
    record         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS anomalies_by_time ON anomalies (detected_at_ms);
CREATE INDEX IF NOT EXISTS anomalies_by_kind ON anomalies (kind, detected_at_ms);

CREATE TABLE IF NOT EXISTS anomaly_revisions (
    anomaly_id     TEXT NOT NULL,
    revision       INTEGER NOT NULL,
    stage          TEXT NOT NULL,
    annotator      TEXT NOT NULL,
    annotator_type TEXT NOT NULL,
    annotator_version TEXT NOT NULL,
    at_ms          INTEGER NOT NULL,
    notes          TEXT,
    PRIMARY KEY (anomaly_id, revision)
);

CREATE TABLE IF NOT EXISTS alerts (
    alert_id      TEXT PRIMARY KEY,
    dedup_key     TEXT NOT NULL,
    status        TEXT NOT NULL,
    severity      INTEGER NOT NULL,
    node_id       TEXT,
    message       TEXT NOT NULL,
    rule          TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    anomaly_ids   TEXT NOT NULL,
    feedback      TEXT
);
CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts (created_at_ms);
CREATE INDEX IF NOT EXISTS alerts_by_status ON alerts (status, created_at_ms);
CREATE INDEX IF NOT EXISTS alerts_by_node ON alerts (node_id, created_at_ms);
CREATE INDEX IF NOT EXISTS alerts_by_dedup ON alerts (dedup_key, status);

CREATE TABLE IF NOT EXISTS incidents (
    incident_id   TEXT PRIMARY KEY,
    status        TEXT NOT NULL,
    alerting      INTEGER NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    record        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_by_time ON incidents (last_seen_ms);
CREATE INDEX IF NOT EXISTS incidents_by_status ON incidents (status, last_seen_ms);

CREATE TABLE IF NOT EXISTS suppressions (
    detector   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    until_ms   INTEGER NOT NULL,
    alert_id   TEXT NOT NULL,
    PRIMARY KEY (detector, subject)
);
"#;

/// Columns added to existing tables since the first release: (table, column, definition).
pub(crate) const MIGRATIONS: &[(&str, &str, &str)] = &[("alerts", "incident_id", "TEXT")];
