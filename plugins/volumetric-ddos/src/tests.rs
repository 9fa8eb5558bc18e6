//! Distinct sources against exact counts; floods found (SYN flood and reflection on a network
//! never seen, a flood far above a learned normal) and busy servers not (a popular web server,
//! a busy DNS resolver, a flash crowd within its normal); persistence; configuration; speed.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::{background_flows, flows_event};

use super::{Closely, Config, Inbound, VolumetricDdos, inbound};

const WEB: &str = "198.51.100.80";
const RESOLVER: &str = "10.0.0.53";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// Source `n` of a large pool of internet addresses.
fn outsider(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(
        0xC000_0000u32.wrapping_add(n.wrapping_mul(7919)),
    ))
}

#[allow(clippy::too_many_arguments)]
fn flow(
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
    protocol: u8,
    flags: u8,
    packets: u64,
    bytes: u64,
    at: u64,
) -> FlowRecord {
    FlowRecord {
        src,
        dst,
        src_port: sport,
        dst_port: dport,
        protocol,
        tcp_flags: flags,
        bytes,
        packets,
        start_ms: at,
        end_ms: at + 400,
    }
}

/// `clients` clients (from `first`) talking to `server` in one window: each one conversation
/// of `packets` packets each way, answered — TCP requests and downloads (web), or UDP queries
/// and answers from one socket (DNS) — as unidirectional flows.
fn load(
    server: &str,
    port: u16,
    clients: u32,
    first: u32,
    packets: u64,
    window: u64,
) -> Vec<FlowRecord> {
    let mut flows = Vec::new();
    let server = ip(server);
    for c in 0..clients {
        let client = outsider(first + c);
        let at = window * 10_000 + u64::from((c * 7) % 9_000);
        let sport = 20_000 + (c % 40_000) as u16;
        if port == 53 {
            flows.push(flow(
                client,
                sport,
                server,
                53,
                17,
                0,
                packets,
                packets * 70,
                at,
            ));
            flows.push(flow(
                server,
                53,
                client,
                sport,
                17,
                0,
                packets,
                packets * 180,
                at + 2,
            ));
        } else {
            flows.push(flow(
                client,
                sport,
                server,
                port,
                6,
                0x1b,
                packets,
                packets * 60,
                at,
            ));
            flows.push(flow(
                server,
                port,
                client,
                sport,
                6,
                0x1b,
                packets,
                packets * 1_400,
                at + 1,
            ));
        }
    }
    flows
}

fn window(n: u64, flows: &[FlowRecord]) -> Event {
    flows_event(
        n * 10_000,
        (n + 1) * 10_000,
        FlowBatch::from_records("test", flows),
    )
}

/// Every destination looked at closely, sketched from `sketch_from` flows.
fn every(sketch_from: u32) -> Closely<impl Fn(u128, f64) -> bool> {
    Closely {
        sketch_from,
        also: |_, _| true,
    }
}

fn detector(config: Config) -> VolumetricDdos {
    let mut detector = VolumetricDdos::default();
    detector.configure(config).unwrap();
    detector
}

/// Busy servers: a public web site (3,000 clients, ~11,000 packets/s in) and a DNS resolver
/// (6,000 clients, ~12,000 queries a second in, as many answers out); `scale` multiplies the
/// clients.
fn busy(n: u64, scale: u32) -> Vec<FlowRecord> {
    let mut flows = load(WEB, 443, 3_000 * scale, 0, 36, n);
    flows.extend(load(RESOLVER, 53, 6_000 * scale, 100_000, 20, n));
    flows
}

#[test]
fn distinct_sources_are_within_three_standard_errors_of_the_truth() {
    let mut records = background_flows(3, 50_000, 4_000);
    records.extend(load(WEB, 443, 5_000, 0, 1, 0));
    let sketched: HashMap<u128, Inbound> = inbound(
        &FlowBatch::from_records("test", &records),
        10,
        1.0,
        None,
        every(1),
    )
    .into_iter()
    .collect();
    let mut exact: HashMap<_, HashSet<_>> = HashMap::new();
    let mut packets: HashMap<_, u64> = HashMap::new();
    for record in &records {
        exact.entry(record.dst).or_default().insert(record.src);
        *packets.entry(record.dst).or_default() += record.packets;
    }
    assert_eq!(sketched.len(), exact.len());
    for (destination, received) in &sketched {
        let addr = netassure_plugin_sdk::flows::addr_from_u128(*destination);
        let truth = exact[&addr].len() as f64;
        let error = (received.source_count() - truth).abs() / truth;
        assert!(
            error <= 3.0 * 1.04 / 32.0,
            "{addr}: {} vs {truth}",
            received.source_count()
        );
        assert_eq!(received.packets, packets[&addr]);
    }
}

#[test]
fn busy_servers_on_a_network_never_seen_are_not_floods() {
    let mut detector = detector(Config::default());
    for n in 0..3 {
        let found = detector.on_event(window(n, &busy(n, 1))).unwrap();
        assert!(found.is_empty(), "{found:#?}");
    }
    // Both are candidates by the floors alone: thousands of sources, ≥ 10,000 packets/s.
    let batch = FlowBatch::from_records("test", &busy(0, 1));
    flows_event(0, 10_000, batch.clone());
    let conversations = host::flows::conversations();
    let received: HashMap<u128, Inbound> =
        inbound(&batch, 10, 10.0, conversations.as_ref(), every(25))
            .into_iter()
            .collect();
    for server in [WEB, RESOLVER] {
        let key = u128::from_be_bytes(netassure_plugin_sdk::flows::addr_to_bytes(ip(server)));
        let r = &received[&key];
        println!(
            "{server}: {:.0} sources, {:.0} packets/s, flood share {:.2}",
            r.source_count(),
            r.pps,
            r.flood_share()
        );
        assert!(r.source_count() > 2_500.0 && r.pps >= 10_000.0);
        assert!(r.flood_share() < 0.05);
    }
}

fn syn_flood(victim: &str, bots: u32, per_bot: u64, n: u64) -> Vec<FlowRecord> {
    (0..bots)
        .map(|b| {
            flow(
                outsider(500_000 + b),
                1024 + (b % 60_000) as u16,
                ip(victim),
                443,
                6,
                0x02,
                per_bot,
                per_bot * 44,
                n * 10_000 + u64::from(b % 9_000),
            )
        })
        .collect()
}

#[test]
fn a_syn_flood_is_found_on_a_network_never_seen() {
    let mut detector = detector(Config::default());
    let mut flows = busy(0, 1);
    flows.extend(syn_flood(WEB, 4_000, 60, 0));
    let found = detector.on_event(window(0, &flows)).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    let evidence = found[0].evidence.as_ref().unwrap();
    assert_eq!(evidence.victims, [WEB]);
    assert_eq!(evidence.services, ["tcp/443"]);
    assert_eq!(evidence.attackers.len(), 10, "the top sources");
    assert!(
        (3_800..=4_300).contains(&evidence.attacker_count),
        "{}",
        evidence.attacker_count
    );
    assert!(evidence.alerting);
    assert!(
        found[0].score >= 0.6 && found[0].score < 0.9,
        "{}",
        found[0].score
    );
    assert_eq!(found[0].nodes[0], evidence.attackers[0], "attacker first");
}

/// Answers from `reflectors` DNS servers (source port 53, 1,000 packets/s each) to `victim`,
/// which never asked.
fn reflection(victim: &str, reflectors: u32, n: u64) -> Vec<FlowRecord> {
    (0..reflectors)
        .map(|r| {
            flow(
                outsider(900_000 + r),
                53,
                ip(victim),
                30_000 + (r % 3) as u16,
                17,
                0,
                100,
                100 * 1_400,
                n * 10_000 + u64::from(r % 9_000),
            )
        })
        .collect()
}

#[test]
fn a_reflection_flood_is_found_and_the_reflectors_are_not_named_attackers() {
    let mut detector = detector(Config::default());
    let mut flows = busy(0, 1);
    flows.extend(reflection(RESOLVER, 3_000, 0));
    let found = detector.on_event(window(0, &flows)).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    let evidence = found[0].evidence.as_ref().unwrap();
    assert_eq!(evidence.victims, [RESOLVER]);
    assert_eq!(evidence.services, ["udp/53"]);
    assert!(
        evidence.attackers.is_empty(),
        "reflectors only answered: {:?}",
        evidence.attackers
    );
    assert!(
        evidence.attacker_count > 2_800,
        "{}",
        evidence.attacker_count
    );
    assert!(
        found[0].description.contains("reflection"),
        "{}",
        found[0].description
    );
    assert!(evidence.measures.iter().any(|m| m.name == "reflectors"));
}

/// Learn `windows` windows of the busy servers with learning over after `learning_s`.
fn learned(windows: u64) -> VolumetricDdos {
    let mut detector = detector(Config {
        learning_s: 60,
        ..Config::default()
    });
    for n in 0..windows {
        assert!(
            detector
                .on_event(window(n, &busy(n, 1)))
                .unwrap()
                .is_empty()
        );
    }
    detector
}

#[test]
fn after_learning_a_flood_far_above_the_normal_is_found_and_load_within_it_is_not() {
    let mut detector = learned(12);
    // A flash crowd: twice the clients of both servers, everything answered.
    let crowd = detector.on_event(window(12, &busy(12, 2))).unwrap();
    assert!(
        crowd.is_empty(),
        "within min_rise of its normal: {crowd:#?}"
    );
    // A UDP flood with payload from 12,000 new sources: no signature (datagrams carry data),
    // but rate and sources far above the normal (which the flash crowd raised).
    let mut flows = busy(13, 1);
    for b in 0..12_000u32 {
        flows.push(flow(
            outsider(2_000_000 + b),
            4_000 + (b % 50_000) as u16,
            ip(WEB),
            80,
            17,
            0,
            150,
            150 * 512,
            130_000 + u64::from(b % 9_000),
        ));
    }
    let found = detector.on_event(window(13, &flows)).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].evidence.as_ref().unwrap().victims, [WEB]);
    assert!(
        found[0].description.contains("its normal"),
        "{}",
        found[0].description
    );
    // The flood was not learned: the next window of it is still a flood.
    flows.iter_mut().for_each(|f| {
        f.start_ms += 10_000;
        f.end_ms += 10_000;
    });
    assert_eq!(detector.on_event(window(14, &flows)).unwrap().len(), 1);
}

#[test]
fn a_strong_flood_scores_for_an_alert_at_once() {
    let mut detector = learned(12);
    let mut flows = busy(12, 1);
    flows.extend(syn_flood(WEB, 5_000, 200, 12));
    let found = detector.on_event(window(12, &flows)).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].score >= 0.9 && found[0].score < 0.91,
        "signature, strong rise, 5,000 sources: {}",
        found[0].score
    );
}

#[test]
fn the_normals_survive_a_restart() {
    // Saved every five minutes of flow time: 31 windows.
    let first = learned(31);
    drop(first);
    let mut second = detector(Config {
        learning_s: 60,
        ..Config::default()
    });
    // Learned before the restart: the web server's normal is known, a flash crowd is not a flood.
    assert!(
        second
            .on_event(window(31, &busy(31, 2)))
            .unwrap()
            .is_empty()
    );
    let normals = second.normals.as_ref().unwrap();
    assert!(normals.learned.observed_ms >= 300_000);
    assert!(normals.by_destination.len() >= 2);
}

#[test]
fn normals_stay_bounded() {
    let mut detector = detector(Config {
        max_destinations: 16,
        ..Config::default()
    });
    let flows = background_flows(9, 20_000, 3_000);
    detector.on_event(window(0, &flows)).unwrap();
    let normals = detector.normals.as_ref().unwrap();
    assert!(
        normals.by_destination.len() <= 20,
        "{}",
        normals.by_destination.len()
    );
    assert!(normals.learned.floor_pps > 0.0);
}

#[test]
fn bad_configuration_is_refused_with_a_reason() {
    let refused = |config: Config| match VolumetricDdos::default().configure(config) {
        Err(PluginError::InvalidConfig(reason)) => reason,
        other => panic!("accepted: {other:?}"),
    };
    assert!(
        refused(Config {
            lg_k: 22,
            ..Config::default()
        })
        .contains("lg_k")
    );
    assert!(
        refused(Config {
            min_pps: 0.0,
            ..Config::default()
        })
        .contains("min_pps")
    );
    assert!(
        refused(Config {
            min_rise: 0.5,
            ..Config::default()
        })
        .contains("min_rise")
    );
    assert!(
        refused(Config {
            flood_share: 0.0,
            ..Config::default()
        })
        .contains("flood_share")
    );
    assert!(
        refused(Config {
            max_destinations: 1,
            ..Config::default()
        })
        .contains("max_destinations")
    );
    assert!(
        refused(Config {
            half_life_h: -1.0,
            ..Config::default()
        })
        .contains("half_life_h")
    );
}

#[test]
fn describe_documents_every_field_with_its_default() {
    let info = VolumetricDdos::describe();
    let mut defaults = serde_json::Map::new();
    for field in &info.config {
        assert!(!field.description.is_empty(), "{}", field.name);
        defaults.insert(
            field.name.clone(),
            serde_json::from_str(field.default_value.as_ref().unwrap()).unwrap(),
        );
    }
    let parsed: Config = serde_json::from_value(defaults.into()).unwrap();
    assert!(VolumetricDdos::default().configure(parsed).is_ok());
}

#[test]
fn a_flood_in_a_100k_flow_window_of_background_traffic_is_found_alone() {
    let mut records = background_flows(5, 90_000, 20_000);
    records.extend(syn_flood(WEB, 10_000, 20, 0));
    let mut detector = detector(Config::default());
    let event = flows_event(0, 10_000, FlowBatch::from_records("test", &records));
    let found = detector.on_event(event).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].description.starts_with(WEB), "{found:?}");
}

#[test]
fn a_tracked_destination_keeps_a_step_per_twelfth_of_the_span_however_short_its_windows() {
    // 1,200 windows of 100 ms over a 120-s span (a collector's windows at 1 M flows/s), each
    // with 50 sources of its own.
    let (span_ms, first_ms) = (120_000, 1_790_000_000_000);
    let destination = u128::from(WEB.parse::<Ipv4Addr>().unwrap().to_ipv6_mapped());
    let mut recent = super::recent::Recent::default();
    let mut last = Inbound::default();
    for w in 0..1_200u64 {
        let records = load(WEB, 443, 50, w as u32 * 50, 1, 0);
        let received = inbound(
            &FlowBatch::from_records("test", &records),
            10,
            0.1,
            None,
            every(1),
        );
        let (_, window) = received
            .into_iter()
            .find(|(d, _)| *d == destination)
            .unwrap();
        let step = super::recent::Window {
            received: &window,
            end_ms: first_ms + (w + 1) * 100,
            span_ms,
        };
        recent.add(destination, step, 256, 10);
        last = window;
    }
    recent.expire(first_ms + 120_000, span_ms);
    assert!(
        recent.steps(destination) <= 13,
        "{}",
        recent.steps(destination)
    );
    let total = recent.over_span(destination, &last, 120.0, 10).unwrap();
    assert_eq!(total.flows, 60_000);
    let sources = total.source_count();
    assert!((sources / 60_000.0 - 1.0).abs() < 0.1, "{sources}");
}

#[test]
#[ignore]
fn state_costs() {
    let mut normals = super::Normals::default();
    for d in 0..5_000u128 {
        normals.learn(d * 7_919, (1_000.0, 8e6, 50.0), 1_790_000_000_000, 3.6e6);
    }
    let started = std::time::Instant::now();
    normals.save();
    println!("save 5k normals: {:?}", started.elapsed());
    let started = std::time::Instant::now();
    let loaded = super::Normals::load();
    println!(
        "load: {:?} ({})",
        started.elapsed(),
        loaded.by_destination.len()
    );
}

#[test]
fn a_long_reflection_flood_cut_by_the_active_timeout_is_found() {
    // 400 NTP reflectors answer at 30 packets/s for minutes; the exporter cuts each flow every
    // 120 s, so a ten-second window holds only the ~33 records that ended in it.
    let mut detector = detector(Config::default());
    let records = |n: u64| -> Vec<FlowRecord> {
        (0..400u32)
            .filter(|r| u64::from(r % 12) == n % 12)
            .map(|r| {
                let end = 200_000 + n * 10_000 + 5_000;
                let mut f = flow(
                    outsider(700_000 + r),
                    123,
                    ip(WEB),
                    40_000 + (r % 7) as u16,
                    17,
                    0,
                    3_600,
                    3_600 * 468,
                    end - 120_000,
                );
                f.end_ms = end;
                f
            })
            .collect()
    };
    let mut found = Vec::new();
    for n in 0..14 {
        let single = inbound(
            &FlowBatch::from_records("test", &records(n)),
            10,
            10.0,
            None,
            every(1),
        );
        assert!(
            single.iter().all(|(_, r)| r.source_count() < 100.0),
            "each window alone is below min_sources"
        );
        found.extend(
            detector
                .on_event(window(n, &records(n)))
                .unwrap()
                .into_iter()
                .map(|f| (n, f)),
        );
    }
    assert!(!found.is_empty(), "found once the span holds enough of it");
    let (n, finding) = &found[0];
    assert!(*n >= 2, "{n}");
    let evidence = finding.evidence.as_ref().unwrap();
    assert_eq!(evidence.services, ["udp/123"]);
    assert!(evidence.attackers.is_empty());
    assert!(
        evidence.attacker_count >= 100,
        "the reflectors over the span: {}",
        evidence.attacker_count
    );
    assert!(
        finding.description.contains("reflection"),
        "{}",
        finding.description
    );
}

#[test]
fn a_reflection_aimed_at_a_service_port_is_still_a_reflection() {
    // NTP answers (source port 123) to the victim's UDP port 80: by ports alone they look like
    // requests to a web port; no request went out, and 123 is an amplifying service.
    let mut detector = detector(Config::default());
    let flows: Vec<FlowRecord> = (0..2_000u32)
        .map(|r| {
            flow(
                outsider(300_000 + r),
                123,
                ip(WEB),
                80,
                17,
                0,
                60,
                60 * 468,
                u64::from(r % 9_000),
            )
        })
        .collect();
    let found = detector.on_event(window(0, &flows)).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].evidence.as_ref().unwrap().services, ["udp/123"]);
    // NTP between two servers (123 → 123) is no reflection.
    let peers: Vec<FlowRecord> = flows
        .iter()
        .map(|f| FlowRecord {
            dst_port: 123,
            ..f.clone()
        })
        .collect();
    let batch = FlowBatch::from_records("test", &peers);
    flows_event(0, 10_000, batch.clone());
    let received = inbound(
        &batch,
        10,
        10.0,
        host::flows::conversations().as_ref(),
        every(25),
    );
    assert!(received.iter().all(|(_, r)| r.unsolicited_packets == 0));
}

mod captures;
mod replay;

#[test]
#[ignore]
fn bench_windows() {
    let mut detector = detector(Config::default());
    for w in 0..6u64 {
        let mut records = background_flows(w, 90_000, 20_000);
        records.extend(syn_flood(WEB, 10_000, 20, 0));
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
        println!("window {w}: {:?}", started.elapsed());
    }
}

#[test]
#[ignore]
fn bench_collector_windows() {
    let mut detector = detector(Config::default());
    let spent = netassure_plugin_sdk::testing::time_collector_windows(|event| {
        detector.on_event(event).unwrap();
    });
    println!("100 windows of 100k flows: {spent:?} in on_event");
}
