//! The evidence bar, matching and closing, on hand-made evidence.

use super::book::{Book, Evidence};
use super::*;
use crate::model::{AnomalyRecord, EvidenceRecord};

fn anomaly(detector: &str, kind: &str, score: f64, event_id: u64) -> AnomalyRecord {
    AnomalyRecord {
        anomaly_id: format!("{detector}-{event_id}-{kind}"),
        kind: kind.into(),
        score,
        confidence: 1.0,
        contributing_node_ids: vec![],
        contributing_link_ids: vec![],
        flow_keys: vec![],
        description: String::new(),
        pattern: "other".into(),
        symptom: crate::model::anomaly::SymptomRecord {
            id: kind.into(),
            action: "detected".into(),
            reason: String::new(),
            trigger: String::new(),
            network_plane: "forwarding".into(),
            concern_score: 50,
        },
        detector: detector.into(),
        detector_version: "1".into(),
        event_id,
        detected_at: String::new(),
        evidence: None,
        incident_id: None,
    }
}

fn evidence(attackers: &[&str], victims: &[&str], service: &str, at_s: u64) -> EvidenceRecord {
    EvidenceRecord {
        attackers: attackers.iter().map(|a| a.to_string()).collect(),
        attacker_count: attackers.len() as u32,
        victims: victims.iter().map(|v| v.to_string()).collect(),
        services: vec![service.into()],
        first_seen_ms: at_s * 1000,
        last_seen_ms: at_s * 1000 + 500,
        alerting: true,
        ..EvidenceRecord::default()
    }
}

fn observe(book: &mut Book, record: &AnomalyRecord, facts: &EvidenceRecord) -> Option<Observed> {
    book.observe(
        &IncidentsConfig::default(),
        Evidence {
            record,
            evidence: facts,
            detected_at_ms: 0,
        },
        1,
    )
}

#[test]
fn one_attacker_is_one_incident_across_windows_and_detectors() {
    let mut book = Book::default();
    let scanner = ["198.51.100.7"];
    let first = observe(
        &mut book,
        &anomaly("super-spreader", "port-scan", 0.6, 1),
        &evidence(&scanner, &["10.0.0.5"], "tcp/22", 100),
    )
    .unwrap();
    assert!(
        !first.incident.alerting,
        "one window of moderate evidence is not enough"
    );
    let second = observe(
        &mut book,
        &anomaly("flow-gae", "flow-gae", 0.6, 1),
        &evidence(&scanner, &["10.0.0.6"], "tcp/80", 101),
    )
    .unwrap();
    assert_eq!(second.incident.incident_id, first.incident.incident_id);
    assert!(
        second.newly_alerting,
        "two detectors agreeing open the alert"
    );
    assert_eq!(second.incident.attackers, ["198.51.100.7"]);
    assert_eq!(second.incident.victim_count, 2);
    assert_eq!(second.incident.detectors, ["flow-gae", "super-spreader"]);
    let third = observe(
        &mut book,
        &anomaly("super-spreader", "port-scan", 0.6, 2),
        &evidence(&scanner, &["10.0.0.5"], "tcp/23", 111),
    )
    .unwrap();
    assert!(
        third.incident.alerting && !third.newly_alerting,
        "opened once"
    );
    assert_eq!(book.len(), 1);
}

#[test]
fn the_bar_is_windows_or_one_strong_signal_and_reports_never_open() {
    let mut book = Book::default();
    let brute = ["203.0.113.9"];
    for (window, expect) in [(1, false), (2, false), (3, true)] {
        let seen = observe(
            &mut book,
            &anomaly("auth-bruteforce", "auth-bruteforce", 0.6, window),
            &evidence(&brute, &["10.0.0.2"], "tcp/22", window * 10),
        )
        .unwrap();
        assert_eq!(seen.incident.alerting, expect, "window {window}");
    }
    let strong = observe(
        &mut book,
        &anomaly("request-flood", "request-flood", 0.95, 9),
        &evidence(&["203.0.113.50"], &["10.0.0.3"], "tcp/80", 5),
    )
    .unwrap();
    assert!(strong.newly_alerting, "one very strong signal is enough");
    let mut report = evidence(&["10.0.0.77"], &["10.0.0.3"], "tcp/443", 6);
    report.alerting = false;
    assert!(
        observe(
            &mut book,
            &anomaly("top-talkers", "top-talker", 1.0, 9),
            &report
        )
        .is_none(),
        "a report starts nothing"
    );
    let mut joining = evidence(&["203.0.113.9"], &[], "tcp/22", 40);
    joining.alerting = false;
    let joined = observe(
        &mut book,
        &anomaly("top-talkers", "top-talker", 1.0, 10),
        &joining,
    );
    assert!(joined.is_some(), "a report joins an open incident");
}

#[test]
fn many_sources_are_one_incident_per_victim() {
    let mut book = Book::default();
    let config = IncidentsConfig::default();
    let sources: Vec<String> = (0..30).map(|i| format!("100.64.0.{i}")).collect();
    let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
    let mut first = evidence(&sources, &["10.0.0.80"], "udp/53", 100);
    first.attacker_count = 3_000;
    let a = observe(
        &mut book,
        &anomaly("volumetric-ddos", "ddos", 0.8, 1),
        &first,
    )
    .unwrap();
    assert!(a.incident.distributed);
    let mut other_bots = evidence(&sources[10..], &["10.0.0.80"], "udp/53", 110);
    other_bots.attacker_count = 2_500;
    let b = observe(
        &mut book,
        &anomaly("flow-gae", "flow-gae", 0.7, 2),
        &other_bots,
    )
    .unwrap();
    assert_eq!(a.incident.incident_id, b.incident.incident_id);
    assert_eq!(b.incident.attacker_count, 3_000);
    let mut elsewhere = evidence(&sources, &["10.0.0.81"], "udp/53", 110);
    elsewhere.attacker_count = 3_000;
    let c = observe(
        &mut book,
        &anomaly("volumetric-ddos", "ddos", 0.8, 2),
        &elsewhere,
    )
    .unwrap();
    assert_ne!(c.incident.incident_id, a.incident.incident_id);
    assert!(config.distributed_sources < 30);
}

#[test]
fn incidents_close_when_every_flow_detector_is_past_the_quiet_time() {
    let mut book = Book::default();
    let config = IncidentsConfig::default();
    let seen = observe(
        &mut book,
        &anomaly("super-spreader", "port-scan", 0.95, 1),
        &evidence(&["198.51.100.7"], &["10.0.0.5"], "tcp/22", 100),
    )
    .unwrap();
    book.advance("super-spreader", 1_000_000);
    book.advance("flow-gae", 200_000);
    assert!(
        book.sweep(&config, 2).is_empty(),
        "the slowest detector holds the clock"
    );
    book.advance("flow-gae", 500_000);
    let closed = book.sweep(&config, 2);
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].incident_id, seen.incident.incident_id);
    assert_eq!(closed[0].status, IncidentStatus::Closed);
    let again = observe(
        &mut book,
        &anomaly("super-spreader", "port-scan", 0.95, 99),
        &evidence(&["198.51.100.7"], &["10.0.0.5"], "tcp/22", 900),
    )
    .unwrap();
    assert_ne!(
        again.incident.incident_id, seen.incident.incident_id,
        "a new incident"
    );
}

#[test]
fn open_incidents_survive_a_restart() {
    let mut book = Book::default();
    let seen = observe(
        &mut book,
        &anomaly("auth-bruteforce", "auth-bruteforce", 0.95, 1),
        &evidence(&["203.0.113.9"], &["10.0.0.2"], "tcp/22", 100),
    )
    .unwrap();
    let mut restarted = Book::default();
    restarted.restore(vec![seen.incident.clone()], 5);
    let later = observe(
        &mut restarted,
        &anomaly("auth-bruteforce", "auth-bruteforce", 0.95, 2),
        &evidence(&["203.0.113.9"], &["10.0.0.2"], "tcp/22", 110),
    )
    .unwrap();
    assert_eq!(later.incident.incident_id, seen.incident.incident_id);
    assert!(!later.newly_alerting, "it had already opened its alert");
}

#[test]
fn impossible_settings_are_refused() {
    let config = IncidentsConfig {
        min_windows: 0,
        ..IncidentsConfig::default()
    };
    assert!(config.validate().is_err());
}
