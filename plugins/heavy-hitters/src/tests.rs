//! The sketch against exact counts of the same flows; the baseline over three synthetic days
//! (the nightly backup is normal, a 20× surge at 14:00 is reported); restarts; explicit
//! thresholds; configuration; speed.

use std::collections::HashMap;

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::{background_flows, flows_event, host_addr};

use super::shared::engine::Tally;
use super::shared::scenario::{BACKUP, DROP, SURGER, day_hour, run_days};
use super::{Config, HeavyHitterDetector, HeavyHitters, Key};

fn key(addr: std::net::IpAddr) -> u128 {
    u128::from_be_bytes(netassure_plugin_sdk::flows::addr_to_bytes(addr))
}

fn detector(config: Config) -> HeavyHitterDetector {
    let mut detector = HeavyHitterDetector::default();
    detector.configure(config).unwrap();
    detector
}

/// Empty the (per-thread, native) persistent state.
fn forget_everything() {
    for key in host::state::keys("") {
        host::state::delete(&key).unwrap();
    }
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
    let found: Vec<Key> = sketch
        .heavy_hitters()
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    let expected: Vec<Key> = truly_heavy.iter().map(|&(k, _)| Key::Host(k)).collect();
    assert_eq!(found, expected);
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
fn candidates_stay_bounded_and_keep_the_largest_keys() {
    // 5,000 senders, candidates bounded to 64: the three heavy senders stay the largest.
    let mut hour = HeavyHitters::new(16_384, 5, 1.0 / 32.0).bounded(u64::MAX, 64);
    for record in traffic() {
        hour.add(Key::Host(key(record.src)), record.bytes);
        hour.trim();
    }
    assert!(hour.candidates() <= 64, "{}", hour.candidates());
    let top: Vec<Key> = Tally::largest(&hour, 2)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let heavy = |n: u8| Key::Host(key(format!("198.51.100.{n}").parse().unwrap()));
    assert_eq!(top, [heavy(1), heavy(2)]);
}

/// Every finding is the surge: day 3, 14:00, attacker the surging host.
fn assert_only_the_surge(found: &[(u64, Finding)]) {
    assert!(!found.is_empty(), "the surge must be reported");
    for (end, finding) in found {
        assert_eq!(day_hour(*end), (2, 14), "{finding:#?}");
        let evidence = finding.evidence.as_ref().unwrap();
        assert_eq!(evidence.attackers, [SURGER], "{finding:#?}");
        assert!(evidence.victims.iter().any(|v| v == DROP));
        assert!(!evidence.alerting, "a report by default");
        assert!(finding.score < 0.9 && finding.score >= 0.5);
        assert_eq!(finding.kind, "heavy-hitter");
        assert!(!finding.description.contains(BACKUP.0));
    }
}

#[test]
fn a_surge_at_14_is_reported_and_the_nightly_backup_is_not() {
    let mut detector = detector(Config::default());
    let found = run_days(&mut detector, 0..3, true);
    for (end, finding) in &found {
        println!(
            "{:?} {:.2} {}",
            day_hour(*end),
            finding.score,
            finding.description
        );
    }
    assert_only_the_surge(&found);
}

#[test]
fn nothing_is_judged_before_a_day_of_history_and_restarts_keep_the_baseline() {
    let mut fresh = detector(Config::default());
    assert!(run_days(&mut fresh, 2..3, true).is_empty());
    forget_everything();
    let mut first = detector(Config::default());
    assert!(run_days(&mut first, 0..2, true).is_empty());
    drop(first);
    let mut second = detector(Config::default());
    assert_only_the_surge(&run_days(&mut second, 2..3, true));
}

#[test]
fn an_explicit_share_reports_the_two_heavy_senders() {
    let mut detector = detector(Config {
        by: vec!["src".into()],
        min_share: Some(0.05),
        ..Config::default()
    });
    let event = flows_event(0, 1_000, FlowBatch::from_records("test", &traffic()));
    let found = detector.on_event(event).unwrap();
    let nodes: Vec<&str> = found.iter().map(|a| a.nodes[0].as_str()).collect();
    assert_eq!(nodes, ["198.51.100.1", "198.51.100.2"], "{found:#?}");
    assert!(found.iter().all(|a| a.kind == "heavy-hitter"));
    assert!(found.iter().all(|a| !a.evidence.as_ref().unwrap().alerting));
}

#[test]
fn bad_configuration_is_refused_with_a_reason() {
    let refused = |config: Config| match HeavyHitterDetector::default().configure(config) {
        Err(PluginError::InvalidConfig(reason)) => reason,
        other => panic!("accepted: {other:?}"),
    };
    assert!(
        refused(Config {
            width: Some(0),
            ..Config::default()
        })
        .contains("width")
    );
    assert!(
        refused(Config {
            depth: Some(0),
            ..Config::default()
        })
        .contains("depth")
    );
    assert!(
        refused(Config {
            min_share: Some(1.5),
            ..Config::default()
        })
        .contains("min_share")
    );
    assert!(
        refused(Config {
            by: vec!["port".into()],
            ..Config::default()
        })
        .contains("port")
    );
    assert!(
        refused(Config {
            by: vec!["src".into(), "src".into()],
            ..Config::default()
        })
        .contains("twice")
    );
    assert!(
        refused(Config {
            max_keys: Some(1000),
            ..Config::default()
        })
        .contains("top-talkers")
    );
    assert!(
        refused(Config {
            learning_days: 1000,
            ..Config::default()
        })
        .contains("learning_days")
    );
}

#[test]
fn describe_documents_every_field_with_its_default() {
    let info = HeavyHitterDetector::describe();
    let mut defaults = serde_json::Map::new();
    for field in &info.config {
        assert!(!field.description.is_empty(), "{}", field.name);
        let optional = ["min_share", "max_hourly"].contains(&field.name.as_str());
        assert_eq!(field.default_value.is_none(), optional, "{}", field.name);
        if let Some(default) = &field.default_value {
            defaults.insert(field.name.clone(), serde_json::from_str(default).unwrap());
        }
    }
    let parsed: Config = serde_json::from_value(defaults.into()).unwrap();
    assert!(HeavyHitterDetector::default().configure(parsed).is_ok());
}

#[test]
fn a_100k_flow_window_of_background_traffic_raises_nothing() {
    let records = background_flows(5, 100_000, 20_000);
    let mut detector = detector(Config::default());
    let event = flows_event(0, 10_000, FlowBatch::from_records("test", &records));
    let found = detector.on_event(event).unwrap();
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn the_current_top_keys_are_published() {
    let mut detector = detector(Config::default());
    run_days(&mut detector, 0..1, false);
    let engine = detector.engine.as_ref().unwrap();
    let shown: Vec<&str> = engine.gauges.shown().collect();
    assert_eq!(
        shown.iter().filter(|n| n.starts_with("src/")).count(),
        10,
        "{shown:?}"
    );
    assert!(
        shown.iter().any(|n| n.starts_with("src/10.1.9.")),
        "{shown:?}"
    );
}

mod captures;
mod replay;

#[test]
#[ignore]
fn bench_collector_windows() {
    let mut detector = detector(Config::default());
    let spent = netassure_plugin_sdk::testing::time_collector_windows(|event| {
        detector.on_event(event).unwrap();
    });
    println!("100 windows of 100k flows: {spent:?} in on_event");
}
