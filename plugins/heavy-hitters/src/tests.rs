//! The sketch against exact counts of the same flows.

use std::collections::HashMap;

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::{background_flows, flows_event, host_addr};

use super::{Config, HeavyHitterDetector, HeavyHitters, Key};

fn key(addr: std::net::IpAddr) -> u128 {
    u128::from_be_bytes(netassure_plugin_sdk::flows::addr_to_bytes(addr))
}

/// Background traffic among 5,000 hosts plus three senders with 8%, 6% and 3% of the bytes.
fn traffic() -> Vec<FlowRecord> {
    let mut records = background_flows(11, 200_000, 5_000);
    let total: u64 = records.iter().map(|r| r.bytes).sum();
    for (n, share) in [(1u32, 0.08), (2, 0.06), (3, 0.03)] {
        let bytes = (total as f64 * share / (1.0 - 0.17)) as u64;
        for part in 0..50u32 {
            records.push(FlowRecord {
                src: format!("198.51.100.{n}").parse().unwrap(),
                dst: host_addr(part * 7),
                src_port: 50_000,
                dst_port: 443,
                protocol: 6,
                tcp_flags: 0x1b,
                bytes: bytes / 50,
                packets: bytes / 50 / 1400,
                start_ms: 0,
                end_ms: 999,
            });
        }
    }
    records
}

#[test]
fn estimates_stay_within_a_tenth_of_a_percent_of_the_traffic() {
    let records = traffic();
    let mut sketch = HeavyHitters::new(16_384, 5, 0.05);
    let mut exact: HashMap<u128, u64> = HashMap::new();
    for record in &records {
        sketch.add(Key::Host(key(record.src)), record.bytes);
        *exact.entry(key(record.src)).or_default() += record.bytes;
    }
    let total: u64 = exact.values().sum();
    assert_eq!(sketch.total(), total);
    assert_eq!(sketch.memory_bytes(), 655_360);
    let mut worst = 0u64;
    for (&host, &truth) in &exact {
        let estimate = sketch.estimate(Key::Host(host));
        assert!(estimate >= truth, "Count-Min never undercounts");
        worst = worst.max(estimate - truth);
    }
    let worst_share = worst as f64 / total as f64;
    println!(
        "{} keys, worst overcount {worst} = {:.5}% of {total}",
        exact.len(),
        worst_share * 100.0
    );
    assert!(
        worst_share <= 0.001,
        "worst error {:.4}% of the traffic",
        worst_share * 100.0
    );
    assert!(worst <= sketch.error_bound() * 3);

    // Exactly the keys with ≥ 5% are heavy hitters, in order.
    let mut truly_heavy: Vec<(u128, u64)> = exact
        .iter()
        .filter(|&(_, &b)| b as f64 >= 0.05 * total as f64)
        .map(|(&k, &b)| (k, b))
        .collect();
    truly_heavy.sort_by_key(|&(_, bytes)| std::cmp::Reverse(bytes));
    let found: Vec<u128> = sketch
        .heavy_hitters()
        .into_iter()
        .map(|(key, _)| match key {
            Key::Host(host) => host,
            Key::Pair(..) => unreachable!(),
        })
        .collect();
    assert_eq!(
        found,
        truly_heavy.iter().map(|&(k, _)| k).collect::<Vec<_>>()
    );
    assert_eq!(found.len(), 2, "the 8% and 6% senders");
}

#[test]
fn a_small_sketch_never_misses_a_heavy_hitter() {
    // 64 × 2 counters: estimates are poor, but no true heavy hitter may be missed.
    let records = traffic();
    let mut sketch = HeavyHitters::new(64, 2, 0.05);
    let mut exact: HashMap<u128, u64> = HashMap::new();
    for record in &records {
        sketch.add(Key::Host(key(record.src)), record.bytes);
        *exact.entry(key(record.src)).or_default() += record.bytes;
    }
    let found: Vec<Key> = sketch.heavy_hitters().into_iter().map(|(k, _)| k).collect();
    for (&host, &bytes) in &exact {
        if bytes as f64 >= 0.05 * sketch.total() as f64 {
            assert!(found.contains(&Key::Host(host)));
        }
    }
}

#[test]
fn the_detector_reports_the_two_heavy_senders() {
    let mut detector = HeavyHitterDetector::default();
    detector
        .configure(Config {
            by: vec!["src".into()],
            ..Config::default()
        })
        .unwrap();
    let event = flows_event(0, 1_000, FlowBatch::from_records("test", &traffic()));
    let found = detector.on_event(event).unwrap();
    let nodes: Vec<&str> = found.iter().map(|a| a.nodes[0].as_str()).collect();
    assert_eq!(nodes, ["198.51.100.1", "198.51.100.2"], "{found:#?}");
    assert!(found.iter().all(|a| a.kind == "heavy-hitter"));
    assert!((found[0].score - 0.08).abs() < 0.002, "{}", found[0].score);
}

#[test]
fn bad_configuration_is_refused() {
    let mut detector = HeavyHitterDetector::default();
    for config in [
        Config {
            width: 0,
            ..Config::default()
        },
        Config {
            depth: 0,
            ..Config::default()
        },
        Config {
            min_share: 1.5,
            ..Config::default()
        },
        Config {
            by: vec!["port".into()],
            ..Config::default()
        },
    ] {
        assert!(matches!(
            detector.configure(config),
            Err(PluginError::InvalidConfig(_))
        ));
    }
}
