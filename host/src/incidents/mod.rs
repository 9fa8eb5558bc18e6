//! Incidents: anomalies that carry evidence (WIT `evidence`, 0.1.2) assembled across flow
//! windows and detectors into one record per attacker — or per victim when many sources act
//! together — with its victims, services and time span.
//!
//! An incident opens an alert only when its evidence is enough: alerting evidence in
//! `min_windows` flow windows within `span_s`, or one anomaly scoring at least `strong_score`,
//! or `min_detectors` detectors agreeing. It then updates that one alert while it lasts (the
//! alert's dedup key is the incident), and closes — resolving its alert — after `quiet_s` of
//! flow time without new evidence. Reports (evidence with `alerting` false: top talkers,
//! baseline shifts) join open incidents but never start one or count towards the bar.
//!
//! ```text
//! detector ─ anomaly + evidence ─▶ Pipeline::anomalies_found ─▶ Incidents::observe
//!                                        │                         │ (book: match or start)
//!                                        ▼                         ▼ qualifies?
//!                                  findings DB ◀── incident row    alert rules ─▶ one alert
//! ```

mod book;
mod summary;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde::{Deserialize, Serialize};

pub use crate::model::incident::{IncidentRecord, IncidentStatus};
pub use book::{Evidence, Observed};

use crate::findings::FindingsStore;

/// `[incidents]` of `netassure.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IncidentsConfig {
    /// Flow windows with alerting evidence (within `span_s`) that open an alert.
    /// Example: `min_windows = 3`.
    pub min_windows: usize,
    /// One anomaly scoring at least this opens an alert at once. Example: `strong_score = 0.9`.
    pub strong_score: f64,
    /// This many detectors reporting alerting evidence open an alert at once.
    /// Example: `min_detectors = 2`.
    pub min_detectors: usize,
    /// Seconds of flow time within which `min_windows` count. Example: `span_s = 600`.
    pub span_s: u64,
    /// Seconds without new evidence (flow time, or wall time when nothing arrives) after which
    /// an incident closes and its alert resolves. Example: `quiet_s = 300`.
    pub quiet_s: u64,
    /// Evidence naming more sources than this is a distributed attack: one incident per
    /// victim. Example: `distributed_sources = 20`.
    pub distributed_sources: usize,
    /// A few sources doing the same to the same victim and service join one incident, up to
    /// this many. Example: `max_group_sources = 5`.
    pub max_group_sources: usize,
}

impl Default for IncidentsConfig {
    fn default() -> Self {
        IncidentsConfig {
            min_windows: 3,
            strong_score: 0.9,
            min_detectors: 2,
            span_s: 600,
            quiet_s: 300,
            distributed_sources: 20,
            max_group_sources: 5,
        }
    }
}

impl IncidentsConfig {
    /// Refuse settings that cannot work.
    pub fn validate(&self) -> Result<(), String> {
        if self.min_windows == 0 || self.min_detectors == 0 {
            return Err("[incidents] min_windows and min_detectors must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.strong_score) {
            return Err("[incidents] strong_score must be within 0 ..= 1".into());
        }
        if self.quiet_s == 0 || self.span_s == 0 {
            return Err("[incidents] quiet_s and span_s must be at least 1".into());
        }
        Ok(())
    }
}

/// The incident assembler, shared by the pipeline (evidence in) and the API (incidents out).
pub struct Incidents {
    config: IncidentsConfig,
    book: Mutex<book::Book>,
    store: OnceLock<Arc<FindingsStore>>,
}

impl Incidents {
    /// An assembler with no open incident.
    pub fn new(config: IncidentsConfig) -> Self {
        Incidents {
            config,
            book: Mutex::new(book::Book::default()),
            store: OnceLock::new(),
        }
    }

    fn book(&self) -> MutexGuard<'_, book::Book> {
        self.book
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keep incidents in `store` from now on, and take back the ones open when the host
    /// stopped.
    pub(crate) fn attach_store(&self, store: Arc<FindingsStore>) {
        match store.open_incidents() {
            Ok(open) => self.book().restore(open, crate::model::now_ms()),
            Err(err) => tracing::error!("reading open incidents failed: {err}"),
        }
        let _ = self.store.set(store);
    }

    /// Add one anomaly's evidence; the incident it is part of, if any.
    pub fn observe(&self, evidence: Evidence<'_>) -> Option<Observed> {
        let observed = self
            .book()
            .observe(&self.config, evidence, crate::model::now_ms())?;
        self.save(&observed.incident);
        Some(observed)
    }

    /// Close the incidents that went quiet; returns them.
    pub fn sweep(&self) -> Vec<IncidentRecord> {
        let closed = self.book().sweep(&self.config, crate::model::now_ms());
        for incident in &closed {
            self.save(incident);
        }
        closed
    }

    /// Close every open incident (the end of an evaluation's warm-up days); returns them.
    pub(crate) fn close_all(&self) -> Vec<IncidentRecord> {
        let closed = self.book().close_all(crate::model::now_ms());
        for incident in &closed {
            self.save(incident);
        }
        closed
    }

    /// Flow detector `detector` has finished the flow window ending at `window_end_ms`.
    pub fn advance(&self, detector: &str, window_end_ms: u64) {
        self.book().advance(detector, window_end_ms);
    }

    /// The flow detectors now routed; the others' progress no longer holds the clock back.
    pub(crate) fn keep_detectors(&self, detectors: &[String]) {
        self.book().keep_detectors(detectors);
    }

    /// `incident_id` opened (or updated) alert `alert_id`.
    pub(crate) fn alert_opened(&self, incident_id: &str, alert_id: &str) {
        if let Some(incident) = self.book().set_alert(incident_id, alert_id) {
            self.save(&incident);
        }
    }

    /// Open incidents now.
    pub(crate) fn open_count(&self) -> usize {
        self.book().len()
    }

    fn save(&self, incident: &IncidentRecord) {
        if let Some(store) = self.store.get()
            && let Err(err) = store.save_incident(incident)
        {
            tracing::error!(incident = %incident.incident_id, "storing an incident failed: {err}");
        }
    }
}

#[cfg(test)]
mod tests;
