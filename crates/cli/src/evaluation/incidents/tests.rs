//! Matching incidents against labels, by hand.

use super::*;
use netassure_host::incidents::IncidentStatus;

const LABELS: &str = r#"
[capture]
bytes = 200000000

[[attack]]
name = "scan"
class = "port-scan"
attackers = ["198.51.100.7"]
victims = ["10.0.0.5"]
start = 1000000
end = 1060000

[[attack]]
name = "flood"
class = "ddos"
attackers = ["100.64.0.0/16"]
victims = ["10.0.0.80"]
start = 2000000
end = 2100000

[[attack]]
name = "brute"
class = "brute-force"
attackers = ["203.0.113.9"]
victims = ["10.0.0.22"]
start = 3000000
end = 3100000
"#;

fn incident(id: &str, attackers: &[&str], victims: &[&str], span: (u64, u64)) -> IncidentRecord {
    IncidentRecord {
        incident_id: id.into(),
        status: IncidentStatus::Closed,
        alerting: true,
        alerting_since_ms: Some(span.0 + 5_000),
        alert_id: None,
        summary: id.into(),
        attackers: attackers.iter().map(|a| a.to_string()).collect(),
        attacker_count: attackers.len() as u32,
        distributed: false,
        victims: victims.iter().map(|v| v.to_string()).collect(),
        victim_count: victims.len() as u32,
        services: vec![],
        kinds: vec![],
        detectors: vec![],
        score: 1.0,
        first_seen: String::new(),
        last_seen: String::new(),
        first_seen_ms: span.0,
        last_seen_ms: span.1,
        windows: 3,
        anomaly_count: 3,
        anomaly_ids: vec![],
        flows: vec![],
        measures: vec![],
        closed_at: None,
    }
}

#[test]
fn recall_precision_false_alerts_and_misnamed_victims() {
    let labels = Labels::from_toml(LABELS).unwrap();
    let mut flood = incident(
        "flood",
        &["100.64.3.3"],
        &["10.0.0.80"],
        (2_010_000, 2_090_000),
    );
    flood.distributed = true;
    let mut quiet = incident(
        "quiet",
        &["10.0.0.44"],
        &["8.8.8.8"],
        (4_000_000, 4_010_000),
    );
    quiet.alerting = false;
    let incidents = vec![
        incident(
            "scan",
            &["198.51.100.7"],
            &["10.0.0.5"],
            (1_001_000, 1_030_000),
        ),
        flood,
        // The scanned server named as a scanner: a victim as attacker, and a false alert.
        incident(
            "backwards",
            &["10.0.0.5"],
            &["198.51.100.7"],
            (1_002_000, 1_020_000),
        ),
        incident(
            "noise",
            &["10.0.0.99"],
            &["10.0.0.1"],
            (5_000_000, 5_100_000),
        ),
        quiet,
    ];
    let traffic = Traffic {
        first_ms: 0,
        last_ms: 3_600_000 * 2,
        bytes: 0,
    };
    let report = evaluate(&labels, &incidents, traffic, 60_000);
    assert_eq!((report.attacks, report.detected), (3, 2));
    assert!((report.recall - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!((report.alerting_incidents, report.true_alerts), (4, 2));
    assert_eq!(report.false_alerts.len(), 2);
    assert_eq!(report.victims_named_as_attackers.len(), 1);
    assert_eq!(
        report.victims_named_as_attackers[0].incident_id,
        "backwards"
    );
    assert_eq!(report.per_attack[0].time_to_detect_s, Some(6.0));
    assert!(report.per_attack[0].attacker_named_first);
    assert!(!report.per_attack[2].detected, "the brute force was missed");
    // Two hours minus the three attack spans (60 s + 100 s + 100 s).
    assert!((report.benign_hours - (7_200.0 - 260.0) / 3_600.0).abs() < 1e-9);
    assert!(
        (report.false_alerts_per_100mb - 1.0).abs() < 1e-9,
        "2 alerts in 200 MB"
    );
    let classes: Vec<(&str, usize)> = report
        .per_class
        .iter()
        .map(|c| (c.class.as_str(), c.detected))
        .collect();
    assert_eq!(classes, [("brute-force", 0), ("ddos", 1), ("port-scan", 1)]);
}
