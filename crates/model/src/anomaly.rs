//! Anomalies and alerts as the host records, serves and emits them.

use serde::{Deserialize, Serialize};

/// Alert severity, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Information.
    Info,
    /// Worth watching.
    Warning,
    /// Needs attention soon.
    Minor,
    /// Needs attention now.
    Major,
    /// Service down or about to be.
    Critical,
}

/// A flow 5-tuple in JSON form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowKeyRecord {
    /// Source address.
    pub src: std::net::IpAddr,
    /// Destination address.
    pub dst: std::net::IpAddr,
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// IP protocol.
    pub protocol: u8,
}

/// The symptom of an anomaly (IETF CBL terms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SymptomRecord {
    /// Symptom type id.
    pub id: String,
    /// What happened.
    pub action: String,
    /// Why it matters.
    pub reason: String,
    /// What it happened to.
    pub trigger: String,
    /// `forwarding`, `control` or `management`.
    pub network_plane: String,
    /// 0..100.
    pub concern_score: u8,
}

/// An anomaly a detector reported, with what the host knows around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyRecord {
    /// Host-assigned id.
    pub anomaly_id: String,
    /// Kind, as the detector named it.
    pub kind: String,
    /// Score, 0..1.
    pub score: f64,
    /// Confidence, 0..1.
    pub confidence: f64,
    /// Nodes involved.
    pub contributing_node_ids: Vec<String>,
    /// Links involved.
    pub contributing_link_ids: Vec<String>,
    /// Flows involved.
    pub flow_keys: Vec<FlowKeyRecord>,
    /// Description.
    pub description: String,
    /// `drop`, `spike`, `mean-shift`, `seasonality-shift`, `trend` or `other`.
    pub pattern: String,
    /// The symptom.
    pub symptom: SymptomRecord,
    /// Registry name of the detector.
    pub detector: String,
    /// Version of the detector.
    pub detector_version: String,
    /// Event that led to it.
    pub event_id: u64,
    /// Detection time, RFC 3339.
    pub detected_at: String,
    /// What the detector reported as evidence: attackers, victims, services, flows (detectors
    /// built against WIT 0.1.2 or later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<super::EvidenceRecord>,
    /// The incident this anomaly is part of, when it has evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
}

/// An alert an alert rule decided on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// Host-assigned id.
    pub alert_id: String,
    /// Registry name of the alert rule.
    pub rule: String,
    /// Severity.
    pub severity: Severity,
    /// Node the alert is about.
    pub node_id: Option<String>,
    /// Message.
    pub message: String,
    /// Deduplication key.
    pub dedup_key: String,
    /// The anomaly it came from.
    pub anomaly_id: String,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// The incident the alert is about, when it came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
}
