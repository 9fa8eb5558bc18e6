//! Beacons in generated traffic: found (bidirectional records and unidirectional flows), with
//! their evidence and a calibrated score; benign lookalikes (the same hours of benign traffic,
//! internal polling, a popular update server, a periodic server's answers) are not.

use std::collections::BTreeSet;
use std::net::IpAddr;

use netassure_flowsynth::{AttackClass, Scenario, SynthFlow, generate};
use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::flows_event;

use super::{BeaconWatch, Config, regularity};

/// A flow as one bidirectional record (NIDS style: both directions summed).
fn record(flow: &SynthFlow) -> FlowRecord {
    FlowRecord {
        src: IpAddr::V4(flow.src),
        dst: IpAddr::V4(flow.dst),
        src_port: flow.src_port,
        dst_port: flow.dst_port,
        protocol: flow.protocol,
        tcp_flags: flow.tcp_flags,
        bytes: flow.in_bytes + flow.out_bytes,
        packets: flow.in_packets + flow.out_packets,
        start_ms: flow.start_ms,
        end_ms: flow.end_ms,
    }
}

/// A flow as an exporter of unidirectional flows gives it: the request and the answer.
fn unidirectional(flow: &SynthFlow) -> Vec<FlowRecord> {
    let mut out = record(flow);
    (out.bytes, out.packets) = (flow.in_bytes, flow.in_packets);
    let mut back = out.clone();
    (back.src, back.dst, back.src_port, back.dst_port) =
        (out.dst, out.src, out.dst_port, out.src_port);
    (back.bytes, back.packets, back.start_ms) =
        (flow.out_bytes, flow.out_packets, out.start_ms + 1);
    if flow.out_packets == 0 {
        vec![out]
    } else {
        vec![out, back]
    }
}

/// Feed `records` in 10-s windows by end time to a detector configured with `config`.
fn run_records(config: Config, mut records: Vec<FlowRecord>) -> Vec<Finding> {
    let mut detector = BeaconWatch::default();
    detector.configure(config).unwrap();
    records.sort_by_key(|f| f.end_ms);
    let mut found = Vec::new();
    let mut start = 0;
    while start < records.len() {
        let bucket = records[start].end_ms / 10_000;
        let end = start
            + records[start..]
                .iter()
                .take_while(|r| r.end_ms / 10_000 == bucket)
                .count();
        let event = flows_event(
            bucket * 10_000,
            (bucket + 1) * 10_000,
            FlowBatch::from_records("test", &records[start..end]),
        );
        found.extend(detector.on_event(event).unwrap());
        start = end;
    }
    found
}

fn run(flows: &[SynthFlow]) -> Vec<Finding> {
    run_records(Config::default(), flows.iter().map(record).collect())
}

fn scenario(attacks: Vec<AttackClass>) -> Scenario {
    Scenario {
        seed: 31,
        start_ms: Scenario::default().start_ms + 8 * 3_600_000,
        minutes: 8 * 60,
        clients: 60,
        attacks,
        episodes: 2,
    }
}

fn parties(found: &[Finding]) -> BTreeSet<(String, String)> {
    found
        .iter()
        .map(|f| {
            let evidence = f.evidence.as_ref().unwrap();
            (evidence.attackers[0].clone(), evidence.victims[0].clone())
        })
        .collect()
}

#[test]
fn beacons_are_found_with_their_evidence_and_benign_hours_are_quiet() {
    let flows = generate(&scenario(vec![AttackClass::C2Beacon]));
    let beacons: BTreeSet<(String, String)> = flows
        .iter()
        .filter(|f| f.attack.is_some())
        .map(|f| (f.src.to_string(), f.dst.to_string()))
        .collect();
    let found = run(&flows);
    assert_eq!(parties(&found), beacons, "{found:#?}");
    for finding in &found {
        assert_eq!(finding.kind, "beacon");
        let evidence = finding.evidence.as_ref().unwrap();
        assert_eq!(finding.nodes[0], evidence.attackers[0], "attacker first");
        assert_eq!(evidence.services, ["tcp/443"]);
        assert!(evidence.alerting);
        assert!(!evidence.flows.is_empty());
        assert!(
            evidence
                .measures
                .iter()
                .any(|m| m.name == "interval-s" && (50.0..70.0).contains(&m.value))
        );
    }
    // ±10% around a minute: first reported at 8 check-ins (0.75), then at 16 at 0.9: an alert.
    let scores: Vec<f64> = found.iter().map(|f| f.score).collect();
    assert!(
        scores.iter().any(|&s| (s - 0.75).abs() < 1e-9),
        "{scores:?}"
    );
    assert!(scores.iter().any(|&s| s >= 0.9), "{scores:?}");

    let benign = run(&generate(&scenario(vec![])));
    assert!(benign.is_empty(), "{benign:#?}");
}

#[test]
fn beacons_in_unidirectional_flows_name_the_client_not_the_server() {
    let flows = generate(&scenario(vec![AttackClass::C2Beacon]));
    let records: Vec<FlowRecord> = flows
        .iter()
        .filter(|f| f.attack.is_some())
        .flat_map(unidirectional)
        .collect();
    let found = run_records(Config::default(), records);
    assert!(!found.is_empty());
    for finding in &found {
        let evidence = finding.evidence.as_ref().unwrap();
        assert!(evidence.attackers[0].starts_with("10.10."), "{evidence:?}");
        assert!(!evidence.victims[0].starts_with("10."), "{evidence:?}");
    }
}

/// `n` check-ins every `period_ms` from `src` to `dst:port`, each a small exchange.
fn periodic(src: &str, dst: &str, port: u16, period_ms: u64, n: u64) -> Vec<FlowRecord> {
    (0..n)
        .map(|k| {
            let at = 1_790_000_000_000 + k * period_ms + (k * 7_919) % (period_ms / 20);
            FlowRecord {
                src: src.parse().unwrap(),
                dst: dst.parse().unwrap(),
                src_port: 40_000 + (k % 20_000) as u16,
                dst_port: port,
                protocol: 6,
                tcp_flags: 0x1b,
                bytes: 1_200,
                packets: 10,
                start_ms: at,
                end_ms: at + 200,
            }
        })
        .collect()
}

#[test]
fn benign_lookalikes_are_not_beacons() {
    let mut records = Vec::new();
    // Monitoring polls internal hosts every 15 s (Prometheus scrapes, SNMP): internal.
    records.extend(periodic("10.0.0.5", "10.0.0.21", 9100, 15_000, 200));
    // An update agent on 30 hosts checks one external server every 5 minutes: a shared service.
    for host in 1..=30 {
        records.extend(periodic(
            &format!("10.0.1.{host}"),
            "203.0.113.80",
            443,
            300_000,
            20,
        ));
    }
    // An external uptime monitor polls the public web server every minute: it starts the
    // conversations, the server only answers.
    records.extend(periodic("198.51.100.9", "10.0.0.80", 443, 60_000, 60));
    // A host syncing a mailbox every 2 minutes, fetching large messages.
    records.extend(
        periodic("10.0.2.7", "192.0.2.25", 993, 120_000, 30)
            .into_iter()
            .map(|mut r| {
                r.bytes = 500_000;
                r
            }),
    );
    // NTP with a public server (123 → 123) and SIP keep-alives to a trunk (5060 → 5060) every
    // minute: server-to-server protocols.
    records.extend(
        periodic("10.0.0.123", "192.0.2.123", 123, 64_000, 40)
            .into_iter()
            .map(|mut r| {
                (r.src_port, r.protocol) = (123, 17);
                r
            }),
    );
    records.extend(
        periodic("10.0.0.40", "192.0.2.50", 5060, 60_000, 40)
            .into_iter()
            .map(|mut r| {
                (r.src_port, r.protocol) = (5060, 17);
                r
            }),
    );
    // A camera phoning home every 5 minutes through a firewall that drops it: SYNs, no answer.
    records.extend(
        periodic("192.168.10.20", "192.0.2.88", 8000, 300_000, 30)
            .into_iter()
            .map(|mut r| {
                (r.tcp_flags, r.bytes, r.packets) = (0x02, 180, 3);
                r
            }),
    );
    // A video call: keep-alives every 30 s next to megabytes of media with the same server
    // (alone, the keep-alives are a beacon).
    let keepalives = periodic("10.0.2.8", "192.0.2.77", 443, 30_000, 40);
    assert!(!run_records(Config::default(), keepalives.clone()).is_empty());
    records.extend(keepalives);
    for k in 0..10u64 {
        let mut media = periodic("10.0.2.8", "192.0.2.77", 8801, 120_000, 1).remove(0);
        (media.protocol, media.bytes, media.packets, media.start_ms) =
            (17, 15_000_000, 12_000, media.start_ms + k * 120_000);
        media.end_ms = media.start_ms + 119_000;
        records.push(media);
    }
    let found = run_records(Config::default(), records);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_clockwork_beacon_scores_for_an_alert_once_it_is_kept_up() {
    let records = periodic("10.0.3.3", "203.0.113.66", 8443, 30_000, 40);
    let found = run_records(Config::default(), records);
    let scores: Vec<f64> = found.iter().map(|f| f.score).collect();
    assert_eq!(scores.len(), 2, "{scores:?}");
    assert!(
        (scores[0] - 0.75).abs() < 1e-9 && scores[1] >= 0.9,
        "{scores:?}"
    );
}

#[test]
fn memory_stays_bounded() {
    let mut detector = BeaconWatch::default();
    detector
        .configure(Config {
            max_pairs: 1_000,
            ..Config::default()
        })
        .unwrap();
    for w in 0..20u64 {
        let records: Vec<FlowRecord> = (0..500u64)
            .map(|k| FlowRecord {
                src: "10.0.0.9".parse().unwrap(),
                dst: std::net::IpAddr::V4(std::net::Ipv4Addr::from(
                    0x5000_0000 + (w * 500 + k) as u32,
                )),
                src_port: 40_000,
                dst_port: 443,
                protocol: 6,
                tcp_flags: 0x1b,
                bytes: 500,
                packets: 4,
                start_ms: w * 10_000 + k,
                end_ms: w * 10_000 + k + 10,
            })
            .collect();
        detector
            .on_event(flows_event(
                w * 10_000,
                (w + 1) * 10_000,
                FlowBatch::from_records("test", &records),
            ))
            .unwrap();
        assert!(
            detector.memory.pairs.len() <= 1_500,
            "{}",
            detector.memory.pairs.len()
        );
    }
}

#[test]
fn regularity_is_mean_and_relative_deviation() {
    let (mean, jitter) = regularity(&[0, 60_000, 120_000, 180_000]).unwrap();
    assert_eq!((mean, jitter), (60_000.0, 0.0));
    let (_, jitter) = regularity(&[0, 10_000, 100_000, 110_000]).unwrap();
    assert!(jitter > 0.5);
    assert!(regularity(&[5, 6]).is_none());
}

#[test]
fn bad_configuration_is_refused_with_a_reason() {
    let refused = |config: Config| match BeaconWatch::default().configure(config) {
        Err(PluginError::InvalidConfig(reason)) => reason,
        other => panic!("accepted: {other:?}"),
    };
    assert!(
        refused(Config {
            min_occurrences: 2,
            ..Config::default()
        })
        .contains("min_occurrences")
    );
    assert!(
        refused(Config {
            min_interval_s: 5_000.0,
            ..Config::default()
        })
        .contains("min_interval_s")
    );
    assert!(
        refused(Config {
            internal: vec!["10.0.0.0/33".into()],
            ..Config::default()
        })
        .contains("10.0.0.0/33")
    );
    assert!(
        refused(Config {
            horizon_s: 60,
            ..Config::default()
        })
        .contains("horizon_s")
    );
    assert!(
        refused(Config {
            max_pairs: 1,
            ..Config::default()
        })
        .contains("max_pairs")
    );
}

#[test]
fn describe_documents_every_field_with_its_default() {
    let info = BeaconWatch::describe();
    let mut defaults = serde_json::Map::new();
    for field in &info.config {
        assert!(!field.description.is_empty(), "{}", field.name);
        defaults.insert(
            field.name.clone(),
            serde_json::from_str(field.default_value.as_ref().unwrap()).unwrap(),
        );
    }
    let parsed: Config = serde_json::from_value(defaults.into()).unwrap();
    assert!(BeaconWatch::default().configure(parsed).is_ok());
}

#[test]
fn a_100k_flow_window_of_background_traffic_raises_nothing() {
    let records = netassure_plugin_sdk::testing::background_flows(5, 100_000, 20_000);
    let mut detector = BeaconWatch::default();
    detector
        .configure(Config {
            external_only: false,
            ..Config::default()
        })
        .unwrap();
    let event = flows_event(0, 10_000, FlowBatch::from_records("test", &records));
    let found = detector.on_event(event).unwrap();
    assert!(found.is_empty(), "{found:?}");
}

mod captures;
mod replay;

#[test]
#[ignore]
fn bench_windows() {
    let mut detector = BeaconWatch::default();
    detector
        .configure(Config {
            external_only: false,
            ..Config::default()
        })
        .unwrap();
    for w in 0..6u64 {
        let mut records = netassure_plugin_sdk::testing::background_flows(w, 100_000, 20_000);
        for r in &mut records {
            r.start_ms += w * 10_000;
            r.end_ms += w * 10_000;
        }
        let event = flows_event(
            w * 10_000,
            (w + 1) * 10_000,
            FlowBatch::from_records("test", &records),
        );
        let started = std::time::Instant::now();
        detector.on_event(event).unwrap();
        println!(
            "window {w}: {:?} ({} pairs)",
            started.elapsed(),
            detector.memory.pairs.len()
        );
    }
}

#[test]
#[ignore]
fn bench_collector_windows() {
    let mut detector = BeaconWatch::default();
    let spent = netassure_plugin_sdk::testing::time_collector_windows(|event| {
        detector.on_event(event).unwrap();
    });
    println!("100 windows of 100k flows: {spent:?} in on_event");
}
