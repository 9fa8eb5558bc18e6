//! The evidence a detector reports with an anomaly (WIT `evidence`, 0.1.2), in JSON form: who
//! started the traffic, who received it, which services, when, and the flows and figures that
//! drove the verdict.

use serde::{Deserialize, Serialize};

use super::anomaly::FlowKeyRecord;

/// Evidence of one anomaly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    /// Hosts that started the traffic, most active first (the top ones when there are many).
    pub attackers: Vec<String>,
    /// Distinct attackers in all.
    pub attacker_count: u32,
    /// Hosts on the receiving end, most hit first.
    pub victims: Vec<String>,
    /// Services, `protocol/port`, most used first.
    pub services: Vec<String>,
    /// First flow start, ms since the epoch.
    pub first_seen_ms: u64,
    /// Last flow end, ms since the epoch.
    pub last_seen_ms: u64,
    /// The flows that drove the verdict, strongest first.
    pub flows: Vec<FlowEvidenceRecord>,
    /// Figures behind the verdict, by name.
    pub measures: Vec<MeasureRecord>,
    /// False for a report: it never opens an alert on its own.
    pub alerting: bool,
}

/// A flow that drove the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowEvidenceRecord {
    /// The flow.
    pub key: FlowKeyRecord,
    /// Its score, in the detector's units.
    pub score: f64,
    /// Bytes.
    pub bytes: u64,
    /// Packets.
    pub packets: u64,
    /// First packet, ms since the epoch.
    pub start_ms: u64,
    /// Last packet, ms since the epoch.
    pub end_ms: u64,
    /// Cumulative TCP flags.
    pub tcp_flags: u8,
    /// Features furthest from what was expected, furthest first.
    pub features: Vec<FeatureDeviationRecord>,
}

/// One feature of a flow next to its expected value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDeviationRecord {
    /// Feature name.
    pub name: String,
    /// The flow's value.
    pub observed: f64,
    /// The expected value.
    pub expected: f64,
    /// How far apart, in the detector's units (signed).
    pub deviation: f64,
}

/// A named figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureRecord {
    /// What was measured.
    pub name: String,
    /// Its value.
    pub value: f64,
}

impl EvidenceRecord {
    /// The value of measure `name`, if reported.
    pub fn measure(&self, name: &str) -> Option<f64> {
        self.measures
            .iter()
            .find(|measure| measure.name == name)
            .map(|measure| measure.value)
    }
}
