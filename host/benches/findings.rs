//! Findings benchmark (`cargo xtask bench`): anomalies persisted per second, and the p99 of
//! filtered alert queries over 1M stored alerts. Results go to BENCHMARKS.md.

use std::time::{Duration, Instant};

use netassure_host::findings::{
    AlertFilter, AlertStatus, FindingsConfig, FindingsStore, NewAnomaly,
};
use netassure_host::model::anomaly::SymptomRecord;
use netassure_host::model::{AlertRecord, AnomalyRecord, Severity};

fn anomaly(i: usize) -> AnomalyRecord {
    AnomalyRecord {
        anomaly_id: format!("anomaly-{i:09}"),
        kind: ["link-over-utilised", "link-down", "node-isolated"][i % 3].into(),
        score: (i % 100) as f64 / 100.0,
        confidence: 1.0,
        contributing_node_ids: vec![format!("node-{}", i % 5000)],
        contributing_link_ids: vec![format!("link-{}", i % 20000)],
        flow_keys: vec![],
        description: "benchmark anomaly".into(),
        pattern: "spike".into(),
        symptom: SymptomRecord {
            id: "bench".into(),
            action: "exceeded".into(),
            reason: "benchmark".into(),
            trigger: "link".into(),
            network_plane: "forwarding".into(),
            concern_score: 50,
        },
        detector: "bench".into(),
        detector_version: "1".into(),
        event_id: i as u64,
        detected_at: "2026-11-22T00:00:00.000Z".into(),
        evidence: None,
        incident_id: None,
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = FindingsStore::open(
        &dir.path().join("findings.sqlite"),
        FindingsConfig::default(),
    )
    .unwrap();
    const ANOMALIES: usize = 100_000;
    let records: Vec<AnomalyRecord> = (0..ANOMALIES).map(anomaly).collect();
    // One detector call's anomalies are one transaction: batch 1 is a detector reporting one
    // anomaly per event, the worst case.
    for batch_size in [1, 10, 100, 1000] {
        let started = Instant::now();
        for (chunk_index, chunk) in records.chunks(batch_size).enumerate() {
            let batch: Vec<NewAnomaly<'_>> = chunk
                .iter()
                .enumerate()
                .map(|(i, record)| NewAnomaly {
                    record,
                    detected_at_ms: 1_790_000_000_000 + (chunk_index * batch_size + i) as u64,
                })
                .collect();
            store.record_anomalies(&batch).unwrap();
        }
        let elapsed = started.elapsed();
        println!(
            "anomalies persisted, {batch_size} per transaction (WAL, synchronous=NORMAL): {:.0}/s",
            ANOMALIES as f64 / elapsed.as_secs_f64()
        );
        store.prune(u64::MAX / 2).unwrap();
    }

    const ALERTS: usize = 1_000_000;
    let started = Instant::now();
    let severities = [
        Severity::Info,
        Severity::Warning,
        Severity::Minor,
        Severity::Major,
        Severity::Critical,
    ];
    for i in 0..ALERTS {
        let decision = AlertRecord {
            alert_id: format!("alert-{i:09}"),
            rule: "bench".into(),
            severity: severities[i % 5],
            node_id: Some(format!("node-{}", i % 5000)),
            message: "benchmark alert".into(),
            dedup_key: format!("key-{i}"),
            anomaly_id: format!("anomaly-{i:09}"),
            created_at: String::new(),
            incident_id: None,
        };
        store
            .record_alert(&decision, 1_790_000_000_000 + i as u64 * 10)
            .unwrap();
    }
    println!(
        "1M alerts stored in {:.1} s ({:.0}/s)",
        started.elapsed().as_secs_f64(),
        ALERTS as f64 / started.elapsed().as_secs_f64()
    );
    for i in (0..ALERTS).step_by(3) {
        if i % 9 == 0 {
            store
                .set_status(&format!("alert-{i:09}"), AlertStatus::Resolved, 1)
                .unwrap();
        }
    }
    let filters = [
        (
            "status=active, limit 100",
            AlertFilter {
                status: Some(AlertStatus::Active),
                limit: 100,
                ..AlertFilter::default()
            },
        ),
        (
            "node=node-42, limit 100",
            AlertFilter {
                node: Some("node-42".into()),
                limit: 100,
                ..AlertFilter::default()
            },
        ),
        (
            "severity=critical since the last 10%, limit 100",
            AlertFilter {
                severity: Some(Severity::Critical),
                since_ms: Some(1_790_000_000_000 + 9_000_000),
                limit: 100,
                ..AlertFilter::default()
            },
        ),
        (
            "status=resolved, node=node-7, limit 100",
            AlertFilter {
                status: Some(AlertStatus::Resolved),
                node: Some("node-7".into()),
                limit: 100,
                ..AlertFilter::default()
            },
        ),
    ];
    for (name, filter) in filters {
        let mut samples: Vec<Duration> = (0..200)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(store.alerts(&filter).unwrap());
                started.elapsed()
            })
            .collect();
        samples.sort();
        let p = |q: f64| {
            samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)].as_secs_f64()
                * 1e3
        };
        println!(
            "alert query over 1M alerts, {name}: p50 {:.2} ms, p99 {:.2} ms",
            p(0.5),
            p(0.99)
        );
    }
}
