//! Floods as ab, hping3 and slowhttptest make them are found with the flooding source as the
//! attacker; browsers, API clients, busy peers, monitoring, video, QUIC and a server's
//! answers are not; state stays bounded.

mod captures;
mod replay;

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::{background_flows, flows_event};

use super::{Config, RequestFlood};

const T0: u64 = 1_790_000_000_000;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;
const FULL: u8 = 0x02 | 0x10 | 0x08 | 0x01;

/// One flow.
#[allow(clippy::too_many_arguments)]
fn flow(
    src: &str,
    sport: u16,
    dst: &str,
    dport: u16,
    proto: u8,
    flags: u8,
    packets: u64,
    bytes: u64,
    start: u64,
    end: u64,
) -> FlowRecord {
    FlowRecord {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        src_port: sport,
        dst_port: dport,
        protocol: proto,
        tcp_flags: flags,
        bytes,
        packets,
        start_ms: start,
        end_ms: end,
    }
}

/// A completed HTTP request on its own connection, both directions.
fn request(
    records: &mut Vec<FlowRecord>,
    client: &str,
    sport: u16,
    server: &str,
    port: u16,
    t: u64,
    down: u64,
) {
    records.push(flow(
        client,
        sport,
        server,
        port,
        6,
        FULL,
        6,
        600,
        t,
        t + 40,
    ));
    records.push(flow(
        server,
        port,
        client,
        sport,
        6,
        FULL,
        4 + down / 1_400,
        down,
        t + 1,
        t + 40,
    ));
}

fn detector() -> RequestFlood {
    let mut d = RequestFlood::default();
    d.configure(Config::default()).unwrap();
    d
}

/// Feed `records` as 10-s windows by end time; every finding.
fn run(d: &mut RequestFlood, mut records: Vec<FlowRecord>) -> Vec<Finding> {
    records.sort_by_key(|r| r.end_ms);
    let mut found = Vec::new();
    let mut start = 0;
    while start < records.len() {
        let w = records[start].end_ms / 10_000;
        let end = records[start..]
            .iter()
            .position(|r| r.end_ms / 10_000 != w)
            .map_or(records.len(), |n| start + n);
        let event = flows_event(
            w * 10_000,
            (w + 1) * 10_000,
            FlowBatch::from_records("test", &records[start..end]),
        );
        found.extend(d.on_event(event).unwrap());
        start = end;
    }
    found
}

fn kinds(found: &[Finding]) -> Vec<(String, String)> {
    let mut kinds: Vec<(String, String)> = found
        .iter()
        .map(|f| (f.kind.clone(), replay::attackers(f).join(",")))
        .collect();
    kinds.dedup();
    kinds
}

/// Eight visitors fetching pages from the server: a few connections each per window.
fn visitors(records: &mut Vec<FlowRecord>, server: &str, seconds: u64) {
    for v in 0..8u64 {
        for k in 0..seconds / 4 {
            let t = T0 + k * 4_000 + v * 311;
            request(
                records,
                &format!("192.0.2.{}", 100 + v),
                (20_000 + v * 1_000 + k) as u16,
                server,
                80,
                t,
                30_000,
            );
        }
    }
}

#[test]
fn ab_at_1100_connections_a_second_is_a_request_flood() {
    let mut records = Vec::new();
    visitors(&mut records, "10.20.0.10", 30);
    for k in 0..(1_100 * 18u64) {
        let t = T0 + 5_000 + k * 1_000 / 1_100;
        request(
            &mut records,
            "198.51.100.23",
            (1_024 + k % 60_000) as u16,
            "10.20.0.10",
            80,
            t,
            2_300,
        );
    }
    let found = run(&mut detector(), records);
    assert_eq!(
        kinds(&found),
        [("request-flood".to_owned(), "198.51.100.23".to_owned())]
    );
    assert!(found.len() >= 2);
    assert!(found.iter().all(|f| f.score >= 0.9), "{found:#?}");
    let evidence = found[0].evidence.as_ref().unwrap();
    assert_eq!(evidence.victims, ["10.20.0.10"]);
    assert_eq!(evidence.services, ["tcp/80"]);
    assert!(!evidence.flows.is_empty());
    assert!(
        evidence
            .flows
            .iter()
            .all(|f| f.src().to_string() == "198.51.100.23")
    );
}

#[test]
fn an_hping3_syn_flood_from_one_source() {
    let (attacker, server) = ("198.51.100.23", "10.20.0.10");
    let mut records = Vec::new();
    visitors(&mut records, server, 20);
    for k in 0..3_000u64 {
        let (t, sport) = (T0 + 6_000 + k, 2_000 + k as u16);
        // hping3's SYN, the server's SYN-ACK, the attacker's kernel resetting it.
        records.push(flow(
            attacker,
            sport,
            server,
            80,
            6,
            SYN | RST,
            2,
            80,
            t,
            t + 1,
        ));
        records.push(flow(
            server,
            80,
            attacker,
            sport,
            6,
            SYN | ACK,
            1,
            44,
            t,
            t + 1,
        ));
    }
    let found = run(&mut detector(), records);
    assert_eq!(
        kinds(&found),
        [("syn-flood".to_owned(), attacker.to_owned())]
    );
}

#[test]
fn an_hping3_udp_flood_from_one_source() {
    let (attacker, server) = ("198.51.100.23", "10.20.0.53");
    let mut records = Vec::new();
    for k in 0..3_000u64 {
        let (t, sport) = (T0 + 3_000 + k, 3_000 + k as u16);
        records.push(flow(attacker, sport, server, 53, 17, 0, 1, 228, t, t));
        records.push(flow(
            server,
            53,
            attacker,
            sport,
            17,
            0,
            1,
            40,
            t + 1,
            t + 1,
        ));
    }
    let found = run(&mut detector(), records);
    assert_eq!(
        kinds(&found),
        [("udp-flood".to_owned(), attacker.to_owned())]
    );
    let text = &found[0].description;
    assert!(text.contains("datagrams of 228 bytes"), "{text}");
}

#[test]
fn a_spoofed_syn_flood_names_its_busiest_sources_and_not_the_server() {
    let mut records = Vec::new();
    let mut backscatter = Vec::new();
    for k in 0..3_000u32 {
        let src = std::net::Ipv4Addr::from(0xb970_0000 + k * 7).to_string();
        let t = T0 + 4_000 + u64::from(k);
        records.push(flow(
            &src,
            1_000 + k as u16,
            "10.20.0.10",
            443,
            6,
            SYN,
            1,
            40,
            t,
            t,
        ));
        backscatter.push(flow(
            "10.20.0.10",
            443,
            &src,
            1_000 + k as u16,
            6,
            SYN | ACK,
            3,
            132,
            t,
            t + 3_000,
        ));
    }
    assert!(run(&mut detector(), backscatter.clone()).is_empty());
    records.extend(backscatter);
    let found = run(&mut detector(), records);
    assert_eq!(found.len(), 1, "{found:#?}");
    let evidence = found[0].evidence.as_ref().unwrap();
    assert_eq!(found[0].kind, "syn-flood");
    assert_eq!(evidence.attackers.len(), 10);
    assert_eq!(evidence.attacker_count, 3_000);
    assert_eq!(evidence.victims, ["10.20.0.10"]);
    assert!(evidence.attackers.iter().all(|a| a.starts_with("185.112.")));
}

/// `sources` clients from 198.51.100.160 each opening `each` connections to the server's port
/// 80, spread over `burst_ms` from the same moment.
fn in_step(records: &mut Vec<FlowRecord>, sources: u64, each: u64, burst_ms: u64) {
    for b in 0..sources {
        for k in 0..each {
            let t = T0 + 20_000 + k * burst_ms / each + b * 7;
            let client = format!("198.51.100.{}", 160 + b);
            request(
                records,
                &client,
                (30_000 + k) as u16,
                "10.20.0.10",
                80,
                t,
                900,
            );
        }
    }
}

#[test]
fn a_botnet_flooding_at_once_is_one_request_flood_of_many_sources() {
    let mut records = Vec::new();
    visitors(&mut records, "10.20.0.10", 40);
    in_step(&mut records, 32, 25, 700);
    let found = run(&mut detector(), records);
    assert_eq!(found.len(), 1, "{}", replay::summary(&found));
    assert_eq!(found[0].kind, "request-flood");
    assert!(found[0].score >= 0.9, "{found:#?}");
    let evidence = found[0].evidence.as_ref().unwrap();
    assert_eq!(evidence.attacker_count, 32);
    assert_eq!(evidence.attackers.len(), 10);
    assert!(
        evidence
            .attackers
            .iter()
            .all(|a| a.starts_with("198.51.100."))
    );
    assert_eq!(evidence.victims, ["10.20.0.10"]);
    assert!(found[0].description.contains("from 32 sources at once"));
}

#[test]
fn browsers_loading_a_page_in_step_or_bots_too_few_are_quiet() {
    // Thirty browsers each opening a dozen connections within a second.
    let mut records = Vec::new();
    visitors(&mut records, "10.20.0.10", 40);
    in_step(&mut records, 30, 12, 900);
    assert!(run(&mut detector(), records).is_empty());
    // Nine bots are fewer than `min_group_sources`.
    let mut records = Vec::new();
    in_step(&mut records, 9, 25, 700);
    assert!(run(&mut detector(), records).is_empty());
}

#[test]
fn slowloris_is_a_slow_dos() {
    let mut records = Vec::new();
    visitors(&mut records, "10.20.0.10", 80);
    for k in 0..300u64 {
        let t = T0 + 5_000 + k * 20;
        let sport = 40_000 + k as u16;
        records.push(flow(
            "198.51.100.23",
            sport,
            "10.20.0.10",
            80,
            6,
            FULL,
            16,
            1_300,
            t,
            t + 60_000,
        ));
        records.push(flow(
            "10.20.0.10",
            80,
            "198.51.100.23",
            sport,
            6,
            SYN | ACK | 0x01,
            9,
            470,
            t,
            t + 60_000,
        ));
    }
    let found = run(&mut detector(), records);
    assert_eq!(
        kinds(&found),
        [("slow-dos".to_owned(), "198.51.100.23".to_owned())]
    );
    assert!(found[0].score >= 0.9, "{:#?}", found[0]);
}

/// wget -p without keep-alive (a page of 20 objects every 3 s), a browser's six connections
/// kept open after their answers, an API client polling twice a second.
fn web_clients(records: &mut Vec<FlowRecord>) {
    let server = "10.20.0.10";
    for page in 0..40u64 {
        for object in 0..20u64 {
            let (t, sport) = (
                T0 + page * 3_000 + object * 60,
                (10_000 + page * 20 + object) as u16,
            );
            request(records, "10.20.0.103", sport, server, 80, t, 9_000);
        }
    }
    for c in 0..6u16 {
        let (client, end) = ("10.20.0.104", T0 + 110_000);
        records.push(flow(
            client,
            30_000 + c,
            server,
            443,
            6,
            FULL,
            40,
            9_000,
            T0,
            end,
        ));
        records.push(flow(
            server,
            443,
            client,
            30_000 + c,
            6,
            FULL,
            90,
            400_000,
            T0,
            end,
        ));
    }
    for k in 0..240u64 {
        request(
            records,
            "10.20.0.105",
            (31_000 + k) as u16,
            server,
            8080,
            T0 + k * 500,
            800,
        );
    }
}

/// A UDP flow of `packets` datagrams and `bytes`, over the 10 s from `t`.
fn datagrams(
    src: &str,
    sport: u16,
    dst: &str,
    dport: u16,
    packets: u64,
    bytes: u64,
    t: u64,
) -> FlowRecord {
    flow(src, sport, dst, dport, 17, 0, packets, bytes, t, t + 9_999)
}

/// A pooled database: 50 long, idle connections (no web service); and an application without
/// a pool opening 50 connections a second to it for 40 s.
fn database_pool(records: &mut Vec<FlowRecord>) {
    for k in 0..2_000u64 {
        let (t, sport) = (T0 + k * 20, (20_000 + k) as u16);
        request(records, "10.20.0.31", sport, "10.20.0.20", 5432, t, 1_200);
    }
    let end = T0 + 119_000;
    for c in 0..50u16 {
        let client = "10.20.0.30";
        records.push(flow(
            client,
            33_000 + c,
            "10.20.0.20",
            5432,
            6,
            FULL,
            20,
            1_800,
            T0,
            end,
        ));
    }
}

/// Video pushed over UDP (76/s), a QUIC download and upload at 8,000 datagrams a second, an
/// RTP stream.
fn udp_streams(records: &mut Vec<FlowRecord>) {
    let (server, viewer) = ("10.20.0.10", "10.20.0.106");
    records.push(flow(
        server,
        40_000,
        viewer,
        5_004,
        17,
        0,
        9_120,
        12_250_000,
        T0,
        T0 + 120_000,
    ));
    for s in 0..12u64 {
        let t = T0 + s * 10_000;
        let (down, up, uploader) = ("142.250.1.1", "142.250.1.2", "10.20.0.107");
        records.push(datagrams(viewer, 51_000, down, 443, 8_000, 1_000_000, t));
        records.push(datagrams(down, 443, viewer, 51_000, 80_000, 100_000_000, t));
        records.push(datagrams(uploader, 52_000, up, 443, 80_000, 100_000_000, t));
        records.push(datagrams(up, 443, uploader, 52_000, 4_000, 300_000, t));
        records.push(datagrams(
            "10.20.0.108",
            16_384,
            "10.20.0.40",
            16_384,
            500,
            100_000,
            t,
        ));
    }
}

#[test]
fn browsers_api_clients_video_and_quic_are_quiet() {
    let mut records = Vec::new();
    visitors(&mut records, "10.20.0.10", 120);
    web_clients(&mut records);
    database_pool(&mut records);
    udp_streams(&mut records);
    let found = run(&mut detector(), records);
    assert!(found.is_empty(), "{}", replay::summary(&found));
}

#[test]
fn busy_peers_raise_the_bar_for_each_other() {
    let mut records = Vec::new();
    for c in 0..15u64 {
        for k in 0..300u64 {
            let t = T0 + k * 33;
            request(
                &mut records,
                &format!("10.20.1.{}", c + 1),
                (10_000 + c * 400 + k) as u16,
                "10.20.0.80",
                443,
                t,
                1_000,
            );
        }
    }
    assert!(run(&mut detector(), records.clone()).is_empty());
    for k in 0..4_000u64 {
        request(
            &mut records,
            "10.20.1.99",
            (20_000 + k) as u16,
            "10.20.0.80",
            443,
            T0 + k * 2,
            1_000,
        );
    }
    let found = run(&mut detector(), records);
    assert_eq!(
        kinds(&found),
        [("request-flood".to_owned(), "10.20.1.99".to_owned())]
    );
    assert!(
        found[0].description.contains("other clients"),
        "{}",
        found[0].description
    );
}

#[test]
fn a_flood_of_sources_stays_within_the_bound() {
    let mut d = RequestFlood::default();
    d.configure(Config {
        max_keys: 200,
        ..Config::default()
    })
    .unwrap();
    let mut records = Vec::new();
    for k in 0..2_000u32 {
        let src = std::net::Ipv4Addr::from(0x0b00_0000 + k * 13).to_string();
        let t = T0 + u64::from(k) * 30;
        for n in 0..60u64 {
            request(
                &mut records,
                &src,
                10_000 + n as u16,
                "10.20.0.10",
                80,
                t + n,
                500,
            );
        }
    }
    run(&mut d, records);
    assert!(d.state.keys.len() <= 200);
    assert!(d.state.evicted > 0);
}

#[test]
fn the_attacker_is_found_among_100k_flows() {
    // Background traffic and an HTTP flood from one client: 2,000 requests in 2 s. Found among
    // 100,000 flows; the time is printed against the host's own pairing.
    let mut records = background_flows(9, 98_000, 5_000);
    for k in 0..2_000u64 {
        request(
            &mut records,
            "198.51.100.23",
            20_000 + k as u16,
            "10.0.0.80",
            80,
            k,
            9_000,
        );
    }
    let batch = FlowBatch::from_records("test", &records);
    let found = replay::timed_window(detector, &batch);
    assert!(
        found
            .iter()
            .any(|f| replay::attackers(f).first().map(String::as_str) == Some("198.51.100.23")),
        "{}",
        replay::summary(&found)
    );
}

#[test]
fn every_field_is_documented_and_nonsense_is_refused() {
    let info = RequestFlood::describe();
    assert_eq!(info.name, "request-flood");
    assert_eq!(info.config.len(), 18);
    assert!(
        info.config
            .iter()
            .all(|f| f.default_value.is_some() && !f.description.is_empty())
    );
    let mut d = RequestFlood::default();
    for bad in [
        Config {
            span_s: 0,
            ..Config::default()
        },
        Config {
            min_conn_rate: 0.0,
            ..Config::default()
        },
        Config {
            min_udp_pps: f64::NAN,
            ..Config::default()
        },
        Config {
            peer_factor: 0.5,
            ..Config::default()
        },
        Config {
            min_flood_sources: 1,
            ..Config::default()
        },
        Config {
            min_group_sources: 1,
            ..Config::default()
        },
        Config {
            slow_services: vec!["http".into()],
            ..Config::default()
        },
        Config {
            max_keys: 10,
            ..Config::default()
        },
    ] {
        let err = d.configure(bad.clone()).unwrap_err();
        assert!(
            matches!(err, PluginError::InvalidConfig(ref r) if !r.is_empty()),
            "{bad:?}"
        );
    }
}
