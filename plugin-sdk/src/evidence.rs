//! Evidence: who did what to whom, and the facts behind an anomaly.
//!
//! A detector that knows the parties of what it found — the scanner and the scanned, the
//! password guesser and the server, the flooding clients and their victim — returns a
//! [`Finding`] with [`AnomalyEvidence`] instead of a bare anomaly (build one with
//! [`AnomalyBuilder::attacker`](crate::AnomalyBuilder::attacker) and friends, then
//! [`finding`](crate::AnomalyBuilder::finding)). The host assembles findings that share an
//! attacker into one incident across windows and detectors, and opens an alert only when the
//! incident has enough evidence.

use std::net::IpAddr;

pub use crate::bindings::detector::netassure::plugin::evidence::{
    AnomalyEvidence, FeatureDeviation, FlowEvidence, Measure,
};
use crate::flows::addr_from_bytes;
use crate::{Anomaly, FlowBatch};

/// An anomaly, with its evidence when the detector has some. What [`Detector::on_event`]
/// returns; a bare [`Anomaly`] converts into one without evidence.
///
/// [`Detector::on_event`]: crate::Detector::on_event
#[derive(Debug, Clone)]
pub struct Finding {
    /// The anomaly.
    pub anomaly: Anomaly,
    /// Its evidence.
    pub evidence: Option<AnomalyEvidence>,
}

impl From<Anomaly> for Finding {
    fn from(anomaly: Anomaly) -> Self {
        Finding {
            anomaly,
            evidence: None,
        }
    }
}

impl std::ops::Deref for Finding {
    type Target = Anomaly;

    fn deref(&self) -> &Anomaly {
        &self.anomaly
    }
}

/// Empty evidence that opens alerts (`alerting` true).
pub fn empty() -> AnomalyEvidence {
    AnomalyEvidence {
        attackers: Vec::new(),
        attacker_count: 0,
        victims: Vec::new(),
        services: Vec::new(),
        first_seen_ms: 0,
        last_seen_ms: 0,
        flows: Vec::new(),
        measures: Vec::new(),
        alerting: true,
    }
}

/// A service as evidence names it: `tcp/22`, `udp/53`, `icmp`, `proto-47`.
pub fn service(protocol: u8, port: u16) -> String {
    match protocol {
        6 => format!("tcp/{port}"),
        17 => format!("udp/{port}"),
        1 => "icmp".to_owned(),
        58 => "icmpv6".to_owned(),
        other => format!("proto-{other}"),
    }
}

impl FlowEvidence {
    /// Flow `i` of `batch` as evidence with `score` and no feature deviations.
    pub fn of(batch: &FlowBatch, i: usize, score: f64) -> FlowEvidence {
        FlowEvidence {
            key: batch.key(i),
            score,
            bytes: batch.bytes[i],
            packets: batch.packets[i],
            start_ms: batch.start_ms[i],
            end_ms: batch.end_ms[i],
            tcp_flags: batch.tcp_flags[i],
            features: Vec::new(),
        }
    }

    /// With the features furthest from what was expected.
    pub fn with_features(mut self, features: Vec<FeatureDeviation>) -> FlowEvidence {
        self.features = features;
        self
    }

    /// The flow's source address.
    pub fn src(&self) -> IpAddr {
        addr_from_bytes(&self.key.src_addr)
    }
}
