//! Export of an anomaly as a standard `ietf-relevant-state` instance (RFC 7951 JSON), with the
//! `ietf-network-anomaly-symptom-cbl` symptom augment. Every revision of the anomaly is one
//! entry of the `anomaly` list (keyed by id and revision).
//!
//! Stages are always final identities (`problem-potential`, `problem-confirmed`, `discarded`,
//! ...); the base identities (`detection`, `validation`, `refinement`) that validators accept
//! are never produced.

use serde_json::{Value, json};

use super::Anomaly;

const RSN: &str = "ietf-relevant-state";
const CBL: &str = "ietf-network-anomaly-symptom-cbl";

/// Final stage identities; anything else is reported as `problem-potential`.
const FINAL_STAGES: &[&str] = &[
    "problem-potential",
    "problem-forecasted",
    "problem-confirmed",
    "discarded",
    "analyzed",
    "adjusted",
];

fn stage(name: &str) -> String {
    let name = if FINAL_STAGES.contains(&name) {
        name
    } else {
        "problem-potential"
    };
    format!("{RSN}:{name}")
}

fn score(unit: f64) -> u8 {
    (unit.clamp(0.0, 1.0) * 100.0).round() as u8
}

/// A UUID for a symptom type, stable across hosts (UUID v5 of its name).
fn symptom_uuid(symptom: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("urn:netassure:symptom:{symptom}").as_bytes(),
    )
    .to_string()
}

/// The `ietf-relevant-state:relevant-state` instance of `anomaly`.
pub fn relevant_state(anomaly: &Anomaly) -> Value {
    let record = &anomaly.record;
    let symptom = &record.symptom;
    let description = if record.description.is_empty() {
        record.kind.clone()
    } else {
        record.description.clone()
    };
    let entries: Vec<Value> = anomaly
        .revisions
        .iter()
        .map(|revision| {
            let mut symptom_json = json!({
                "id": symptom_uuid(&symptom.id),
                "concern-score": symptom.concern_score.min(100),
                format!("{CBL}:action"): symptom.action,
                format!("{CBL}:reason"): symptom.reason,
                format!("{CBL}:trigger"): symptom.trigger,
                format!("{CBL}:network-plane"): symptom.network_plane,
            });
            for key in ["action", "reason", "trigger"] {
                if symptom_json[format!("{CBL}:{key}")]
                    .as_str()
                    .is_some_and(str::is_empty)
                {
                    symptom_json
                        .as_object_mut()
                        .expect("object")
                        .remove(&format!("{CBL}:{key}"));
                }
            }
            json!({
                "id": record.anomaly_id,
                "revision": revision.revision,
                "stage": stage(&revision.stage),
                "description": revision.notes.clone().unwrap_or_else(|| description.clone()),
                "start-time": record.detected_at,
                "confidence-score": score(record.confidence),
                "pattern": format!("{RSN}:{}", record.pattern),
                "annotator": {
                    "name": revision.annotator,
                    "version": revision.annotator_version,
                    "annotator-type": revision.annotator_type,
                },
                "symptom": symptom_json,
            })
        })
        .collect();
    json!({
        format!("{RSN}:relevant-state"): {
            "id": record.anomaly_id,
            "description": description,
            "start-time": record.detected_at,
            "confidence-score": score(record.confidence),
            "concern-score": symptom.concern_score.min(100),
            "stage": stage(&anomaly.stage),
            "anomaly": entries,
        }
    })
}
