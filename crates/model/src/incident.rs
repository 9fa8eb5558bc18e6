//! An incident as the host stores and serves it.

use serde::{Deserialize, Serialize};

use crate::evidence::{FlowEvidenceRecord, MeasureRecord};

/// Whether an incident still gathers evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    /// Evidence may still join it.
    Open,
    /// Quiet for `quiet_s`: closed (its alert, if any, resolved).
    Closed,
}

impl IncidentStatus {
    /// The name used in JSON, SQL and query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Closed => "closed",
        }
    }

    /// Parse a status name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(IncidentStatus::Open),
            "closed" => Some(IncidentStatus::Closed),
            _ => None,
        }
    }
}

/// One incident: an attacker (or a set of sources acting together), its victims and services,
/// a time span, and the anomalies that are its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRecord {
    /// Host-assigned id.
    pub incident_id: String,
    /// `open` or `closed`.
    pub status: IncidentStatus,
    /// True once the evidence was enough to open an alert.
    pub alerting: bool,
    /// Flow time of the evidence that crossed the bar, ms since the epoch.
    pub alerting_since_ms: Option<u64>,
    /// The alert it opened.
    pub alert_id: Option<String>,
    /// One line for a person: who did what to whom.
    pub summary: String,
    /// Hosts that started the traffic, most active first (at most 20 listed).
    pub attackers: Vec<String>,
    /// Distinct attackers seen.
    pub attacker_count: u32,
    /// True when many sources act together (a distributed flood): the incident is then keyed
    /// by its victims.
    pub distributed: bool,
    /// Hosts on the receiving end, most hit first (at most 20 listed).
    pub victims: Vec<String>,
    /// Distinct victims seen.
    pub victim_count: u32,
    /// Services, most used first.
    pub services: Vec<String>,
    /// Anomaly kinds that are its evidence, most frequent first.
    pub kinds: Vec<String>,
    /// Detectors that reported its evidence.
    pub detectors: Vec<String>,
    /// Highest anomaly score among its evidence.
    pub score: f64,
    /// First evidence (flow time), RFC 3339.
    pub first_seen: String,
    /// Last evidence (flow time), RFC 3339.
    pub last_seen: String,
    /// First evidence, ms since the epoch.
    pub first_seen_ms: u64,
    /// Last evidence, ms since the epoch.
    pub last_seen_ms: u64,
    /// Distinct flow windows with alerting evidence.
    pub windows: u32,
    /// Anomalies that joined it.
    pub anomaly_count: u64,
    /// The most recent anomalies (at most 100), oldest first.
    pub anomaly_ids: Vec<String>,
    /// The strongest flows of its evidence (at most 20), strongest first.
    pub flows: Vec<FlowEvidenceRecord>,
    /// The largest value of each figure its evidence reported.
    pub measures: Vec<MeasureRecord>,
    /// When it was closed, RFC 3339.
    pub closed_at: Option<String>,
}
