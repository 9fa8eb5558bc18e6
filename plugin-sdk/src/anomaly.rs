//! A builder for [`Anomaly`] with sensible defaults for the IETF symptom fields.

use crate::evidence::{self, AnomalyEvidence, FlowEvidence, Measure};
use crate::{Anomaly, Finding, FlowKey, NetworkPlane, Pattern, Symptom};

/// Builds an [`Anomaly`].
///
/// Defaults: confidence 1.0, pattern `other`, and a symptom whose id is the anomaly kind,
/// action `detected`, plane `forwarding` and concern score `score × 100`.
///
/// ```
/// use netassure_plugin_sdk::prelude::*;
/// let anomaly = AnomalyBuilder::new("link-down", 0.9).link("l1").node("r1").build();
/// assert_eq!(anomaly.symptom.concern_score, 90);
/// ```
///
/// With evidence — attackers, victims, services, flows, figures — [`finding`](Self::finding)
/// gives a [`Finding`] whose anomaly names its attackers first, then its victims, then any
/// other node:
///
/// ```
/// use netassure_plugin_sdk::prelude::*;
/// let finding = AnomalyBuilder::new("port-scan", 0.95)
///     .attacker("198.51.100.7")
///     .victim("10.0.0.5")
///     .service(6, 22)
///     .measure("failed-attempts", 412.0)
///     .finding();
/// assert_eq!(finding.anomaly.nodes, ["198.51.100.7", "10.0.0.5"]);
/// assert_eq!(finding.evidence.unwrap().services, ["tcp/22"]);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct AnomalyBuilder {
    anomaly: Anomaly,
    evidence: Option<AnomalyEvidence>,
}

impl AnomalyBuilder {
    /// An anomaly of `kind` with `score` (clamped to 0..=1).
    pub fn new(kind: &str, score: f64) -> Self {
        let score = if score.is_nan() {
            0.0
        } else {
            score.clamp(0.0, 1.0)
        };
        AnomalyBuilder {
            anomaly: Anomaly {
                kind: kind.to_owned(),
                score,
                confidence: 1.0,
                nodes: Vec::new(),
                links: Vec::new(),
                flows: Vec::new(),
                description: String::new(),
                pattern: Pattern::Other,
                symptom: Symptom {
                    id: kind.to_owned(),
                    action: "detected".to_owned(),
                    reason: String::new(),
                    trigger: String::new(),
                    network_plane: NetworkPlane::Forwarding,
                    concern_score: (score * 100.0).round() as u8,
                },
            },
            evidence: None,
        }
    }

    fn evidence(&mut self) -> &mut AnomalyEvidence {
        self.evidence.get_or_insert_with(evidence::empty)
    }

    /// Evidence: a host that started the traffic (listed before any other node).
    pub fn attacker(mut self, address: &str) -> Self {
        let evidence = self.evidence();
        if !evidence.attackers.iter().any(|a| a == address) {
            evidence.attackers.push(address.to_owned());
        }
        self
    }

    /// Evidence: how many attackers there were in all, when only the top ones are listed.
    pub fn attacker_count(mut self, count: u32) -> Self {
        self.evidence().attacker_count = count;
        self
    }

    /// Evidence: a host on the receiving end.
    pub fn victim(mut self, address: &str) -> Self {
        let evidence = self.evidence();
        if !evidence.victims.iter().any(|v| v == address) {
            evidence.victims.push(address.to_owned());
        }
        self
    }

    /// Evidence: a service involved (`protocol` number and port, named `tcp/22`).
    pub fn service(mut self, protocol: u8, port: u16) -> Self {
        let name = evidence::service(protocol, port);
        let evidence = self.evidence();
        if !evidence.services.contains(&name) {
            evidence.services.push(name);
        }
        self
    }

    /// Evidence: the flow time it covers, ms since the epoch.
    pub fn seen(mut self, first_ms: u64, last_ms: u64) -> Self {
        let evidence = self.evidence();
        evidence.first_seen_ms = first_ms;
        evidence.last_seen_ms = last_ms;
        self
    }

    /// Evidence: a flow that drove the verdict (its key is added to the anomaly's flows).
    pub fn evidence_flow(mut self, flow: FlowEvidence) -> Self {
        self.anomaly.flows.push(flow.key.clone());
        self.evidence().flows.push(flow);
        self
    }

    /// Evidence: a figure behind the verdict.
    pub fn measure(mut self, name: &str, value: f64) -> Self {
        self.evidence().measures.push(Measure {
            name: name.to_owned(),
            value,
        });
        self
    }

    /// Evidence: this is a report (a top talker, a baseline shift); it joins an incident that
    /// other evidence opened but never opens an alert on its own.
    pub fn report_only(mut self) -> Self {
        self.evidence().alerting = false;
        self
    }

    /// The anomaly with its evidence: nodes are the attackers, then the victims, then the
    /// nodes added with [`node`](Self::node).
    pub fn finding(self) -> Finding {
        let AnomalyBuilder {
            mut anomaly,
            evidence,
        } = self;
        if let Some(evidence) = &evidence {
            let mut nodes: Vec<String> = evidence.attackers.clone();
            for node in evidence.victims.iter().chain(&anomaly.nodes) {
                if !nodes.contains(node) {
                    nodes.push(node.clone());
                }
            }
            anomaly.nodes = nodes;
        }
        let evidence = evidence.map(|mut evidence| {
            evidence.attacker_count = evidence.attacker_count.max(evidence.attackers.len() as u32);
            evidence
        });
        Finding { anomaly, evidence }
    }

    /// Confidence of the detector, 0..=1.
    pub fn confidence(mut self, confidence: f64) -> Self {
        self.anomaly.confidence = confidence.clamp(0.0, 1.0);
        self
    }

    /// Add a contributing node.
    pub fn node(mut self, id: &str) -> Self {
        self.anomaly.nodes.push(id.to_owned());
        self
    }

    /// Add a contributing link.
    pub fn link(mut self, id: &str) -> Self {
        self.anomaly.links.push(id.to_owned());
        self
    }

    /// Add a contributing flow.
    pub fn flow(mut self, key: FlowKey) -> Self {
        self.anomaly.flows.push(key);
        self
    }

    /// Human-readable description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.anomaly.description = text.into();
        self
    }

    /// Shape of the anomaly.
    pub fn pattern(mut self, pattern: Pattern) -> Self {
        self.anomaly.pattern = pattern;
        self
    }

    /// The symptom: `action` happened to `trigger` for `reason`.
    pub fn symptom(mut self, action: &str, trigger: &str, reason: &str) -> Self {
        self.anomaly.symptom.action = action.to_owned();
        self.anomaly.symptom.trigger = trigger.to_owned();
        self.anomaly.symptom.reason = reason.to_owned();
        self
    }

    /// The plane the symptom was seen on.
    pub fn plane(mut self, plane: NetworkPlane) -> Self {
        self.anomaly.symptom.network_plane = plane;
        self
    }

    /// The finished anomaly, without evidence (see [`finding`](Self::finding)).
    pub fn build(self) -> Anomaly {
        self.anomaly
    }
}

impl Anomaly {
    /// What the anomaly is about: its first link, else its first node, else nothing.
    pub fn subject(&self) -> Option<&str> {
        self.links
            .first()
            .or(self.nodes.first())
            .map(String::as_str)
    }

    /// The usual alert deduplication key: `kind:subject`.
    pub fn dedup_key(&self) -> String {
        format!("{}:{}", self.kind, self.subject().unwrap_or_default())
    }
}

impl crate::Severity {
    /// The default severity of a score: ≥ 0.9 critical, ≥ 0.75 major, ≥ 0.6 minor, ≥ 0.4 warning,
    /// else info.
    pub fn from_score(score: f64) -> Self {
        Self::from_score_bands(score, [0.9, 0.75, 0.6, 0.4])
    }

    /// The severity of a score given the lowest scores of critical, major, minor and warning.
    pub fn from_score_bands(score: f64, [critical, major, minor, warning]: [f64; 4]) -> Self {
        match score {
            s if s >= critical => Self::Critical,
            s if s >= major => Self::Major,
            s if s >= minor => Self::Minor,
            s if s >= warning => Self::Warning,
            _ => Self::Info,
        }
    }
}
