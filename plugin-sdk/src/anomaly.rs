//! A builder for [`Anomaly`] with sensible defaults for the IETF symptom fields.

use crate::{Anomaly, FlowKey, NetworkPlane, Pattern, Symptom};

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
#[derive(Debug, Clone)]
#[must_use]
pub struct AnomalyBuilder {
    anomaly: Anomaly,
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
        }
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

    /// The finished anomaly.
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
