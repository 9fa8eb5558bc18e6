//! What the findings API returns: alerts with their lifecycle, anomalies with their revisions.

use serde::{Deserialize, Serialize};

use netassure_model::{AnomalyRecord, Severity};

/// Alert status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    /// Open and unacknowledged.
    Active,
    /// An operator has seen it.
    Acknowledged,
    /// Over: resolved by an operator.
    Resolved,
    /// Silenced: marked a false positive.
    Suppressed,
}

impl AlertStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Active => "active",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Resolved => "resolved",
            AlertStatus::Suppressed => "suppressed",
        }
    }

    /// Parse a stored or requested name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "active" => AlertStatus::Active,
            "acknowledged" => AlertStatus::Acknowledged,
            "resolved" => AlertStatus::Resolved,
            "suppressed" => AlertStatus::Suppressed,
            _ => return None,
        })
    }
}

/// Operator feedback on an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    /// The operator's verdict.
    pub is_false_positive: bool,
    /// Free text.
    pub notes: Option<String>,
    /// When, RFC 3339.
    pub at: String,
    /// Until when the detector is silenced for this subject, RFC 3339 (false positives only).
    pub suppressed_until: Option<String>,
}

/// An alert as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Id.
    pub alert_id: String,
    /// `active`, `acknowledged`, `resolved` or `suppressed`.
    pub status: AlertStatus,
    /// Severity.
    pub severity: Severity,
    /// Node the alert is about.
    pub node_id: Option<String>,
    /// Message.
    pub message: String,
    /// Alert rule that raised it.
    pub rule: String,
    /// Deduplication key.
    pub dedup_key: String,
    /// First seen, RFC 3339.
    pub created_at: String,
    /// Last seen, RFC 3339.
    pub last_seen: String,
    /// Times seen.
    pub count: u64,
    /// Anomalies behind it.
    pub anomaly_ids: Vec<String>,
    /// Operator feedback, if any.
    pub feedback: Option<Feedback>,
    /// The incident it is about, when it came from one.
    pub incident_id: Option<String>,
}

/// One revision of an anomaly's label (IETF relevant-state `revision`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// 1 for the detector's own label, then one per relabel.
    pub revision: u64,
    /// `problem-potential`, `problem-confirmed`, `discarded`, ...
    pub stage: String,
    /// Who labelled it.
    pub annotator: String,
    /// `algorithm` or `human`.
    pub annotator_type: String,
    /// Annotator version.
    pub annotator_version: String,
    /// When, RFC 3339.
    pub at: String,
    /// Notes.
    pub notes: Option<String>,
}

/// An anomaly as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// The recorded anomaly.
    #[serde(flatten)]
    pub record: AnomalyRecord,
    /// Current revision number.
    pub revision: u64,
    /// Current stage.
    pub stage: String,
    /// True when a false-positive label silenced its detector for its subject.
    pub suppressed: bool,
    /// Every revision, oldest first.
    pub revisions: Vec<Revision>,
}
