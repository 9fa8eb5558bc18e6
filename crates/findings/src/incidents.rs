//! Incidents in the findings database: one row per incident, its JSON record beside the
//! columns queries filter on. Written on every change; open ones are read back at start.

use rusqlite::{OptionalExtension, params};

use super::{FindingsError, FindingsStore};
use netassure_model::incident::{IncidentRecord, IncidentStatus};

/// Filter of `GET /incidents`.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Only this status.
    pub status: Option<IncidentStatus>,
    /// Only incidents that opened an alert (true) or did not (false).
    pub alerting: Option<bool>,
    /// Last seen at or after, ms since the epoch (flow time).
    pub since_ms: Option<u64>,
    /// At most this many, most recently seen first.
    pub limit: usize,
}

impl FindingsStore {
    /// Insert or replace an incident.
    pub fn save_incident(&self, incident: &IncidentRecord) -> Result<(), FindingsError> {
        let json = serde_json::to_string(incident)?;
        self.lock()
            .prepare_cached(
                "INSERT OR REPLACE INTO incidents (incident_id, status, alerting, first_seen_ms, last_seen_ms, updated_at_ms, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                incident.incident_id,
                incident.status.as_str(),
                incident.alerting,
                incident.first_seen_ms as i64,
                incident.last_seen_ms as i64,
                netassure_model::now_ms() as i64,
                json
            ])?;
        Ok(())
    }

    /// One incident.
    pub fn incident(&self, incident_id: &str) -> Result<Option<IncidentRecord>, FindingsError> {
        let json: Option<String> = self
            .lock()
            .query_row(
                "SELECT record FROM incidents WHERE incident_id = ?1",
                params![incident_id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(json.map(|json| serde_json::from_str(&json)).transpose()?)
    }

    /// Incidents matching `filter`, most recently seen first.
    pub fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<IncidentRecord>, FindingsError> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(
            "SELECT record FROM incidents WHERE last_seen_ms >= ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR alerting = ?3) ORDER BY last_seen_ms DESC LIMIT ?4",
        )?;
        let rows = statement.query_map(
            params![
                filter.since_ms.unwrap_or(0) as i64,
                filter.status.map(IncidentStatus::as_str),
                filter.alerting,
                filter.limit.max(1) as i64
            ],
            |row| row.get::<_, String>(0),
        )?;
        let mut incidents = Vec::new();
        for json in rows {
            incidents.push(serde_json::from_str(&json?)?);
        }
        Ok(incidents)
    }

    /// The incidents still open (at start: the ones open when the host stopped).
    pub fn open_incidents(&self) -> Result<Vec<IncidentRecord>, FindingsError> {
        self.incidents(&IncidentFilter {
            status: Some(IncidentStatus::Open),
            limit: 100_000,
            ..IncidentFilter::default()
        })
    }
}
