//! Exact sums against a flow-by-flow count; the baseline over three synthetic days (the nightly
//! backup is normal, a 20× surge at 14:00 is reported); restarts; explicit thresholds; metrics;
//! configuration; speed.

use std::collections::HashMap;
use std::net::IpAddr;

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::{background_flows, flows_event, host_addr};

use super::shared::amounts::window_amounts;
use super::shared::baseline::Key;
use super::shared::scenario::{self, BACKUP, DROP, SURGER, day_hour, run_days, run_minutes};
use super::{By, Config, TopTalkers};

fn window(records: &[FlowRecord]) -> Event {
    flows_event(0, 1_000, FlowBatch::from_records("test", records))
}

/// Empty the (per-thread, native) persistent state.
fn forget_everything() {
    for key in host::state::keys("") {
        host::state::delete(&key).unwrap();
    }
}

fn detector(config: Config) -> TopTalkers {
    let mut detector = TopTalkers::default();
    detector.configure(config).unwrap();
    detector
}

fn heavy_sender() -> Vec<FlowRecord> {
    let mut records = background_flows(7, 5_000, 300);
    let total: u64 = records.iter().map(|r| r.bytes).sum();
    // One sender adds 40% of the (new) total to three receivers.
    let extra = total * 2 / 3;
    for i in 0..3u32 {
        records.push(FlowRecord {
            src: "192.0.2.66".parse().unwrap(),
            dst: host_addr(100 + i),
            src_port: 40_000,
            dst_port: 443,
            protocol: 6,
            tcp_flags: 0x1b,
            bytes: extra / 3,
            packets: extra / 3 / 1400,
            start_ms: 10,
            end_ms: 900,
        });
    }
    records
}

#[test]
fn sums_equal_a_flow_by_flow_count() {
    let records = heavy_sender();
    let batch = FlowBatch::from_records("test", &records);
    let mut by_src: HashMap<IpAddr, u64> = HashMap::new();
    let mut by_pair: HashMap<(IpAddr, IpAddr), u64> = HashMap::new();
    for record in &records {
        *by_src.entry(record.src).or_default() += record.bytes;
        *by_pair.entry((record.src, record.dst)).or_default() += record.packets;
    }
    let address = netassure_plugin_sdk::flows::addr_from_u128;
    let talkers = window_amounts(&batch, By::Src, false);
    assert_eq!(
        talkers.values().sum::<u64>(),
        records.iter().map(|r| r.bytes).sum::<u64>()
    );
    assert_eq!(talkers.len(), by_src.len());
    for (&key, &amount) in &talkers {
        let Key::Host(host) = key else {
            panic!("a sender is a host: {key:?}")
        };
        assert_eq!(by_src[&address(host)], amount);
    }
    let pairs = window_amounts(&batch, By::Pair, true);
    assert_eq!(pairs.len(), by_pair.len());
    for (&key, &amount) in &pairs {
        let Key::Pair(src, dst) = key else {
            panic!("a pair: {key:?}")
        };
        assert_eq!(by_pair[&(address(src), address(dst))], amount);
    }
}

/// Every finding is the surge: day 3, 14:00, attacker the surging host, victim the drop.
fn assert_only_the_surge(found: &[(u64, Finding)]) {
    assert!(!found.is_empty(), "the surge must be reported");
    for (end, finding) in found {
        assert_eq!(day_hour(*end), (2, 14), "{finding:#?}");
        let evidence = finding.evidence.as_ref().unwrap();
        assert_eq!(evidence.attackers, [SURGER], "{finding:#?}");
        assert!(evidence.victims[0] == DROP || finding.description.contains(DROP));
        assert_eq!(evidence.services, ["tcp/443"]);
        assert!(!evidence.alerting, "a report by default");
        assert!(finding.score < 0.9 && finding.score >= 0.5);
        assert_eq!(finding.kind, "top-talker");
        assert!(!finding.description.contains(BACKUP.0));
    }
    // The drop is external: its volume is ranked and shown, never judged by a baseline.
    let keys: Vec<&str> = found
        .iter()
        .map(|(_, f)| f.description.split(' ').nth(1).unwrap())
        .collect();
    assert!(keys.iter().all(|&key| key == SURGER), "{keys:?}");
}

#[test]
fn a_surge_at_14_is_reported_and_the_nightly_backup_is_not() {
    let mut detector = detector(Config::default());
    let found = run_days(&mut detector, 0..3, true);
    assert_only_the_surge(&found);
    for (end, finding) in &found {
        println!(
            "{:?} {:.2} {}",
            day_hour(*end),
            finding.score,
            finding.description
        );
    }
    // Reported within the hour (at ten times its usual volume), again when it doubles.
    let first = found.iter().map(|(end, _)| *end).min().unwrap();
    assert!((first - scenario::T0) % scenario::DAY_MS < 14 * 3_600_000 + 45 * 60_000);
    assert!(found.len() <= 4, "{}", found.len());
    // The backup is the largest key every night, and it was published as a metric.
    let baseline = &detector.engine.as_ref().unwrap().kinds[0].baseline;
    assert!(baseline.hours[2].days >= 2);
}

#[test]
fn nothing_is_judged_before_a_day_of_history() {
    // Day 3 alone, on a fresh detector: the surge is not reported (no history for 14:00).
    let mut fresh = detector(Config::default());
    assert!(run_days(&mut fresh, 2..3, true).is_empty());
    forget_everything();
    // With learning_days = 0 the surge, like every new large key, is reported at once.
    let mut eager = detector(Config {
        learning_days: 0,
        ..Config::default()
    });
    assert!(!run_days(&mut eager, 2..3, true).is_empty());
}

#[test]
fn the_baseline_survives_a_restart() {
    let mut first = detector(Config::default());
    assert!(run_days(&mut first, 0..2, true).is_empty());
    drop(first);
    // A new instance (a restart, a new version) reads the baseline from host::state.
    let mut second = detector(Config::default());
    assert_only_the_surge(&run_days(&mut second, 2..3, true));
}

#[test]
fn the_hour_in_progress_survives_a_restart() {
    let surge_start = 2 * 1440 + 14 * 60;
    let mut uninterrupted = detector(Config::default());
    let expected = run_minutes(&mut uninterrupted, 0..3 * 1440, true);
    forget_everything();
    // Restarted at 14:12 on day 3, a few minutes into the surge: the volume counted before
    // (saved at 14:10) is not lost, so the surge is reported at most a few minutes later.
    let mut first = detector(Config::default());
    assert!(run_minutes(&mut first, 0..surge_start + 12, true).is_empty());
    drop(first);
    let mut second = detector(Config::default());
    let found = run_minutes(&mut second, surge_start + 12..3 * 1440, true);
    assert_only_the_surge(&found);
    let first_at = |found: &[(u64, Finding)]| found.iter().map(|(end, _)| *end).min().unwrap();
    assert!(first_at(&found) <= first_at(&expected) + 3 * 60_000);
}

#[test]
fn the_current_top_keys_are_published() {
    let mut detector = detector(Config::default());
    run_days(&mut detector, 0..1, false);
    let shown: Vec<&str> = detector.engine.as_ref().unwrap().gauges.shown().collect();
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

#[test]
fn explicit_thresholds_report_without_history() {
    let mut detector = detector(Config {
        min_share: Some(0.2),
        by: vec!["src".into(), "dst".into(), "pair".into()],
        ..Config::default()
    });
    let found = detector.on_event(window(&heavy_sender())).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].description.starts_with("src 192.0.2.66 sent"),
        "{}",
        found[0].description
    );
    assert!(
        (found[0].score - (0.5 + 0.35 * 0.4)).abs() < 0.01,
        "{}",
        found[0].score
    );
    let evidence = found[0].evidence.as_ref().unwrap();
    assert_eq!(evidence.attackers, ["192.0.2.66"]);
    assert_eq!(evidence.victims.len(), 3);

    let mut limited = self::detector(Config {
        max_hourly: Some(1_000_000_000),
        alert: true,
        ..Config::default()
    });
    let found = limited.on_event(window(&heavy_sender())).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].evidence.as_ref().unwrap().alerting, "alert = true");
}

#[test]
fn other_events_are_ignored() {
    let mut detector = detector(Config::default());
    let other = netassure_plugin_sdk::testing::telemetry_event(1, "x", "utilisation", 0.5);
    assert!(detector.on_event(other).unwrap().is_empty());
}

#[test]
fn bad_configuration_is_refused_with_a_reason() {
    let refused = |change: fn(&mut Config)| {
        let mut config = Config::default();
        change(&mut config);
        match TopTalkers::default().configure(config) {
            Err(PluginError::InvalidConfig(reason)) => reason,
            other => panic!("accepted: {other:?}"),
        }
    };
    assert!(refused(|c| c.by = vec!["port".into()]).contains("port"));
    assert!(refused(|c| c.by = vec![]).contains("at least one"));
    assert!(refused(|c| c.min_share = Some(0.0)).contains("min_share"));
    assert!(refused(|c| c.metric = "flows".into()).contains("flows"));
    assert!(refused(|c| c.rise = 0.5).contains("rise"));
    assert!(refused(|c| c.decay = 0.0).contains("decay"));
    assert!(refused(|c| c.top = 0).contains("top"));
    assert!(refused(|c| c.keys_per_hour = 5).contains("keys_per_hour"));
    assert!(refused(|c| c.max_keys = Some(10)).contains("max_keys"));
    assert!(refused(|c| c.width = Some(1024)).contains("heavy-hitters"));
    assert!(refused(|c| c.internal = vec!["10.0.0.0/99".into()]).contains("10.0.0.0/99"));
    assert!(refused(|c| c.new_volume = 1).contains("new_volume"));
}

#[test]
fn describe_documents_every_field_with_its_default() {
    let info = TopTalkers::describe();
    let names: Vec<&str> = info.config.iter().map(|f| f.name.as_str()).collect();
    for field in &info.config {
        assert!(!field.description.is_empty(), "{}", field.name);
        let optional = ["min_share", "max_hourly"].contains(&field.name.as_str());
        assert_eq!(field.default_value.is_none(), optional, "{}", field.name);
    }
    let config: serde_json::Value = serde_json::to_value(
        info.config
            .iter()
            .filter_map(|f| {
                Some((
                    f.name.clone(),
                    serde_json::from_str::<serde_json::Value>(f.default_value.as_ref()?).unwrap(),
                ))
            })
            .collect::<serde_json::Map<_, _>>(),
    )
    .unwrap();
    let parsed: Config = serde_json::from_value(config).unwrap();
    assert!(TopTalkers::default().configure(parsed).is_ok(), "{names:?}");
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
#[ignore]
fn slowest_window_of_two_days() {
    let mut detector = detector(Config::default());
    let mut slowest = (std::time::Duration::ZERO, 0);
    for m in 0..2 * 1440 {
        let records = scenario::minute(m, false);
        let start = scenario::T0 + m * scenario::WINDOW_MS;
        let event = flows_event(
            start,
            start + scenario::WINDOW_MS,
            FlowBatch::from_records("test", &records),
        );
        let started = std::time::Instant::now();
        detector.on_event(event).unwrap();
        slowest = slowest.max((started.elapsed(), m));
    }
    println!("slowest window: {:?} at minute {}", slowest.0, slowest.1);
}

#[test]
fn a_host_with_no_baseline_is_reported_from_new_volume_only() {
    let mut detector = detector(Config::default());
    assert!(run_days(&mut detector, 0..2, false).is_empty());
    // Day 3 from 10:00: a host never seen before sends 20 MB a minute to the internet.
    let first = 2 * 1440 + 600;
    let mut found = Vec::new();
    for m in first..first + 60 {
        let mut records = scenario::minute(m, false);
        let start = scenario::T0 + m * scenario::WINDOW_MS;
        records.push(FlowRecord {
            src: "10.1.5.5".parse().unwrap(),
            dst: "198.51.100.77".parse().unwrap(),
            src_port: 50_000,
            dst_port: 443,
            protocol: 6,
            tcp_flags: 0x1b,
            bytes: 20_000_000,
            packets: 14_000,
            start_ms: start + 10,
            end_ms: start + 50_000,
        });
        let event = flows_event(
            start,
            start + scenario::WINDOW_MS,
            FlowBatch::from_records("test", &records),
        );
        found.extend(
            detector
                .on_event(event)
                .unwrap()
                .into_iter()
                .map(|f| (m - first, f)),
        );
    }
    assert_eq!(found.len(), 1, "{found:#?}");
    let (minute, finding) = &found[0];
    assert_eq!(*minute, 49, "reported at 1 GB: {}", finding.description);
    assert!(
        finding.description.contains("no baseline of its own"),
        "{}",
        finding.description
    );
    assert_eq!(finding.evidence.as_ref().unwrap().attackers, ["10.1.5.5"]);
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

#[test]
fn the_heap_keeps_the_same_largest_as_sorting_everything() {
    use super::shared::hour::{largest, largest_of};
    let entries: Vec<(Key, u64)> = (0..5_000u128)
        .map(|k| {
            (
                Key::Host(k * 7_919 % 5_003),
                (k * 2_654_435_761 % 977) as u64,
            )
        })
        .collect();
    for n in [0, 1, 10, 977, 5_000, 6_000] {
        assert_eq!(
            largest_of(entries.iter().copied(), n),
            largest(entries.clone(), n),
            "n = {n}"
        );
    }
}
