//! Incident-level evaluation: the incidents the detection stack opened on a capture, matched
//! against its labels. What an operator meets: attacks found (recall) and how fast, alerts
//! that were real (precision), false alerts per benign hour and per 100 MB, and whether any
//! victim was named as an attacker.
//!
//! An incident matches an attack when it names one of the attack's attackers (for an attack
//! by many sources, a distributed incident naming one of its victims) and overlaps its span
//! (with `slack_ms` either side). An attack is detected when an alerting incident matches it.

use std::net::IpAddr;

use serde::Serialize;

use super::labels::{Attack, Labels, contains};
use netassure_host::incidents::IncidentRecord;

/// How one attack fared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttackOutcome {
    /// The attack's name.
    pub name: String,
    /// Its class.
    pub class: String,
    /// True when an alerting incident matched it.
    pub detected: bool,
    /// True when some incident, alerting or not, named one of its attackers (or, for a
    /// distributed attack, one of its victims).
    pub incident: bool,
    /// True when that incident named one of its attackers first.
    pub attacker_named_first: bool,
    /// Seconds of flow time from the attack's start to the alert.
    pub time_to_detect_s: Option<f64>,
    /// The incidents that matched it.
    pub incidents: Vec<String>,
}

/// Attacks of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassOutcome {
    /// The class.
    pub class: String,
    /// Attacks of it.
    pub attacks: usize,
    /// Of them detected.
    pub detected: usize,
}

/// An alert that matched no attack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FalseAlert {
    /// The incident.
    pub incident_id: String,
    /// Its summary.
    pub summary: String,
}

/// The incident-level report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentReport {
    /// Labelled attacks.
    pub attacks: usize,
    /// Attacks detected (an alert).
    pub detected: usize,
    /// Attacks that some incident named, alerting or not.
    pub in_incidents: usize,
    /// `detected / attacks` (1 without attacks).
    pub recall: f64,
    /// Incidents that opened an alert.
    pub alerting_incidents: usize,
    /// Of them, those that matched an attack.
    pub true_alerts: usize,
    /// `true_alerts / alerting_incidents` (1 without alerts).
    pub precision: f64,
    /// Alerting incidents that matched no attack.
    pub false_alerts: Vec<FalseAlert>,
    /// Hours of traffic outside every attack's span.
    pub benign_hours: f64,
    /// False alerts per benign hour.
    pub false_alerts_per_benign_hour: f64,
    /// IP bytes of the traffic.
    pub bytes: u64,
    /// False alerts per 100 MB of traffic.
    pub false_alerts_per_100mb: f64,
    /// Incidents (alerting or not) that named a labelled victim as an attacker.
    pub victims_named_as_attackers: Vec<FalseAlert>,
    /// Mean seconds from attack start to alert, over detected attacks.
    pub mean_time_to_detect_s: Option<f64>,
    /// Per attack.
    pub per_attack: Vec<AttackOutcome>,
    /// Per class.
    pub per_class: Vec<ClassOutcome>,
}

/// The traffic the incidents came from: flow-time span and IP bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Traffic {
    /// First flow start, ms.
    pub first_ms: u64,
    /// Last flow end, ms.
    pub last_ms: u64,
    /// IP bytes.
    pub bytes: u64,
}

fn addresses(list: &[String]) -> impl Iterator<Item = IpAddr> + '_ {
    list.iter().filter_map(|a| a.parse().ok())
}

/// True when `incident` is evidence of `attack`.
pub fn matches(incident: &IncidentRecord, attack: &Attack, slack_ms: u64) -> bool {
    let in_time = incident.first_seen_ms <= attack.end + slack_ms
        && incident.last_seen_ms + slack_ms >= attack.start;
    let by_attacker = addresses(&incident.attackers).any(|a| contains(&attack.attackers, a));
    let by_victim =
        incident.distributed && addresses(&incident.victims).any(|v| contains(&attack.victims, v));
    in_time && (by_attacker || by_victim)
}

/// Match `incidents` against `labels`.
pub fn evaluate(
    labels: &Labels,
    incidents: &[IncidentRecord],
    traffic: Traffic,
    slack_ms: u64,
) -> IncidentReport {
    let alerting: Vec<&IncidentRecord> = incidents.iter().filter(|i| i.alerting).collect();
    let per_attack: Vec<AttackOutcome> = labels
        .attacks
        .iter()
        .map(|attack| {
            let mut outcome = outcome(attack, &alerting, slack_ms);
            outcome.incident = incidents.iter().any(|i| matches(i, attack, slack_ms));
            outcome
        })
        .collect();
    let false_alerts: Vec<FalseAlert> = alerting
        .iter()
        .filter(|i| !labels.attacks.iter().any(|a| matches(i, a, slack_ms)))
        .map(|i| false_alert(i))
        .collect();
    let victims_named_as_attackers = incidents
        .iter()
        .filter(|incident| names_victim_as_attacker(labels, incident, slack_ms))
        .map(false_alert)
        .collect();
    let detected = per_attack.iter().filter(|a| a.detected).count();
    let true_alerts = alerting.len() - false_alerts.len();
    let benign_hours = benign_hours(labels, traffic);
    let bytes = labels.capture.bytes.unwrap_or(traffic.bytes);
    let times: Vec<f64> = per_attack
        .iter()
        .filter_map(|a| a.time_to_detect_s)
        .collect();
    IncidentReport {
        attacks: labels.attacks.len(),
        detected,
        in_incidents: per_attack.iter().filter(|a| a.incident).count(),
        recall: ratio(detected, labels.attacks.len()),
        alerting_incidents: alerting.len(),
        true_alerts,
        precision: ratio(true_alerts, alerting.len()),
        false_alerts_per_benign_hour: false_alerts.len() as f64 / benign_hours.max(1.0 / 60.0),
        false_alerts_per_100mb: false_alerts.len() as f64 / (bytes.max(1) as f64 / 1e8),
        false_alerts,
        benign_hours,
        bytes,
        victims_named_as_attackers,
        mean_time_to_detect_s: (!times.is_empty())
            .then(|| times.iter().sum::<f64>() / times.len() as f64),
        per_class: per_class(&per_attack),
        per_attack,
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

fn false_alert(incident: &IncidentRecord) -> FalseAlert {
    FalseAlert {
        incident_id: incident.incident_id.clone(),
        summary: incident.summary.clone(),
    }
}

fn outcome(attack: &Attack, alerting: &[&IncidentRecord], slack_ms: u64) -> AttackOutcome {
    let matched: Vec<&&IncidentRecord> = alerting
        .iter()
        .filter(|incident| matches(incident, attack, slack_ms))
        .collect();
    let first_alert = matched
        .iter()
        .filter_map(|incident| incident.alerting_since_ms)
        .min();
    AttackOutcome {
        name: attack.name.clone(),
        class: attack.class.clone(),
        detected: !matched.is_empty(),
        incident: false,
        attacker_named_first: matched.iter().any(|incident| {
            addresses(&incident.attackers[..incident.attackers.len().min(1)])
                .any(|a| contains(&attack.attackers, a))
                || incident.distributed
        }),
        time_to_detect_s: first_alert.map(|at| at.saturating_sub(attack.start) as f64 / 1000.0),
        incidents: matched.iter().map(|i| i.incident_id.clone()).collect(),
    }
}

/// An incident naming as attacker a host some attack in its span was against (and that no
/// labelled attack names as an attacker).
fn names_victim_as_attacker(labels: &Labels, incident: &IncidentRecord, slack_ms: u64) -> bool {
    addresses(&incident.attackers).any(|address| {
        let is_attacker = labels
            .attacks
            .iter()
            .any(|attack| contains(&attack.attackers, address));
        !is_attacker
            && labels.attacks.iter().any(|attack| {
                contains(&attack.victims, address)
                    && incident.first_seen_ms <= attack.end + slack_ms
                    && incident.last_seen_ms + slack_ms >= attack.start
            })
    })
}

/// Hours of the traffic's span outside every attack's span.
fn benign_hours(labels: &Labels, traffic: Traffic) -> f64 {
    let mut spans: Vec<(u64, u64)> = labels
        .attacks
        .iter()
        .map(|a| (a.start.max(traffic.first_ms), a.end.min(traffic.last_ms)))
        .filter(|(start, end)| start < end)
        .collect();
    spans.sort_unstable();
    let (mut covered, mut reach) = (0u64, 0u64);
    for (start, end) in spans {
        let start = start.max(reach);
        if end > start {
            covered += end - start;
        }
        reach = reach.max(end);
    }
    let total = traffic.last_ms.saturating_sub(traffic.first_ms);
    total.saturating_sub(covered) as f64 / 3_600_000.0
}

fn per_class(outcomes: &[AttackOutcome]) -> Vec<ClassOutcome> {
    let mut classes: Vec<ClassOutcome> = Vec::new();
    for outcome in outcomes {
        match classes.iter_mut().find(|c| c.class == outcome.class) {
            Some(class) => {
                class.attacks += 1;
                class.detected += usize::from(outcome.detected);
            }
            None => classes.push(ClassOutcome {
                class: outcome.class.clone(),
                attacks: 1,
                detected: usize::from(outcome.detected),
            }),
        }
    }
    classes.sort_by(|a, b| a.class.cmp(&b.class));
    classes
}

#[cfg(test)]
mod tests;
