//! Beacons in generated traffic: found, and nothing else in the same hours of benign traffic.

use std::net::IpAddr;

use netassure_flowsynth::{AttackClass, Scenario, SynthFlow, generate};
use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::flows_event;

use super::{BeaconWatch, Config, regularity};

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

/// Feed `flows` in 10-s windows by end time; every anomaly found.
fn run(flows: &[SynthFlow]) -> Vec<Anomaly> {
    let mut detector = BeaconWatch::default();
    detector.configure(Config::default()).unwrap();
    let mut found = Vec::new();
    let mut window: Vec<FlowRecord> = Vec::new();
    let mut bucket = None;
    let mut sorted = flows.to_vec();
    sorted.sort_by_key(|f| f.end_ms);
    for flow in &sorted {
        let key = flow.end_ms / 10_000;
        if bucket.is_some_and(|b| b != key) && !window.is_empty() {
            let start = bucket.unwrap() * 10_000;
            let event = flows_event(
                start,
                start + 10_000,
                FlowBatch::from_records("test", &window),
            );
            found.extend(detector.on_event(event).unwrap().into_iter().map(|f| f.anomaly));
            window.clear();
        }
        bucket = Some(key);
        window.push(record(flow));
    }
    found
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

#[test]
fn beacons_are_found_and_benign_hours_are_quiet() {
    let flows = generate(&scenario(vec![AttackClass::C2Beacon]));
    let beacons: std::collections::BTreeSet<(String, String)> = flows
        .iter()
        .filter(|f| f.attack.is_some())
        .map(|f| (f.src.to_string(), f.dst.to_string()))
        .collect();
    let found = run(&flows);
    let reported: std::collections::BTreeSet<(String, String)> = found
        .iter()
        .map(|a| (a.nodes[0].clone(), a.nodes[1].clone()))
        .collect();
    assert_eq!(reported, beacons, "{found:#?}");
    assert!(found.iter().all(|a| a.kind == "beacon"));

    let benign = run(&generate(&scenario(vec![])));
    assert!(benign.is_empty(), "{benign:#?}");
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
fn bad_configuration_is_refused() {
    let mut detector = BeaconWatch::default();
    assert!(
        detector
            .configure(Config {
                min_occurrences: 2,
                ..Config::default()
            })
            .is_err()
    );
    assert!(
        detector
            .configure(Config {
                min_interval_s: 5_000.0,
                ..Config::default()
            })
            .is_err()
    );
}
