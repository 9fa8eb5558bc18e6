//! Tunnels through a resolver, straight to their server, seen at the edge and as bidirectional
//! records are found with the client as the attacker; resolvers forwarding ordinary queries,
//! busy clients and answers are not; state stays bounded.

mod captures;
mod replay;

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::{background_flows, flows_event};

use super::{Config, DnsTunnel};

const T0: u64 = 1_790_000_000_000;
const CLIENT: &str = "10.20.0.105";
const RESOLVER: &str = "10.20.0.53";
const SERVER: &str = "203.0.113.66";

/// One UDP flow.
#[allow(clippy::too_many_arguments)]
fn udp(
    src: &str,
    sport: u16,
    dst: &str,
    dport: u16,
    packets: u64,
    bytes: u64,
    t: u64,
    ms: u64,
) -> FlowRecord {
    FlowRecord {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        src_port: sport,
        dst_port: dport,
        protocol: 17,
        tcp_flags: 0,
        bytes,
        packets,
        start_ms: t,
        end_ms: t + ms,
    }
}

/// A lookup of `client` at `resolver` with its answer (`size`-byte query).
fn lookup(
    records: &mut Vec<FlowRecord>,
    client: &str,
    sport: u16,
    resolver: &str,
    size: u64,
    t: u64,
) {
    records.push(udp(client, sport, resolver, 53, 1, size, t, 0));
    records.push(udp(resolver, 53, client, sport, 1, size + 70, t + 2, 0));
}

/// `minutes` of ordinary traffic: 12 clients looking names up at the resolver, which asks
/// its upstream for half of them.
fn ordinary(records: &mut Vec<FlowRecord>, minutes: u64) {
    for s in 0..minutes * 60 {
        for c in 0..12u64 {
            let client = format!("10.20.0.{}", 110 + c);
            let sport = (20_000 + (s * 12 + c) % 40_000) as u16;
            let t = T0 + s * 1_000 + c * 70;
            lookup(records, &client, sport, RESOLVER, 70 + (s + c) % 35, t);
            if (s + c) % 2 == 0 {
                lookup(
                    records,
                    RESOLVER,
                    sport.wrapping_add(7),
                    "9.9.9.9",
                    81 + (s + c) % 35,
                    t + 1,
                );
            }
        }
    }
}

/// iodine through the resolver: the client's one socket, 10 queries a second of `size` bytes,
/// one flow per 10 s; the resolver forwards each from a new port.
fn iodine(records: &mut Vec<FlowRecord>, minutes: u64, size: u64, forwarded: bool) {
    for w in 0..minutes * 6 {
        let t = T0 + w * 10_000;
        records.push(udp(CLIENT, 53_001, RESOLVER, 53, 100, 100 * size, t, 9_900));
        records.push(udp(
            RESOLVER,
            53,
            CLIENT,
            53_001,
            100,
            100 * (size + 90),
            t + 20,
            9_900,
        ));
        if forwarded {
            for q in 0..100u64 {
                let sport = (30_000 + (w * 100 + q) % 30_000) as u16;
                records.push(udp(
                    RESOLVER,
                    sport,
                    SERVER,
                    53,
                    1,
                    size + 11,
                    t + q * 99,
                    0,
                ));
                records.push(udp(
                    SERVER,
                    53,
                    RESOLVER,
                    sport,
                    1,
                    size + 101,
                    t + q * 99 + 30,
                    0,
                ));
            }
        }
    }
}

fn detector() -> DnsTunnel {
    let mut d = DnsTunnel::default();
    d.configure(Config::default()).unwrap();
    d
}

/// Feed `records` as 10-s windows by end time; every finding.
fn run(d: &mut DnsTunnel, mut records: Vec<FlowRecord>) -> Vec<Finding> {
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

fn attackers(found: &[Finding]) -> Vec<String> {
    let mut all: Vec<String> = found.iter().flat_map(replay::attackers).collect();
    all.sort();
    all.dedup();
    all
}

#[test]
fn iodine_through_the_resolver_names_the_client_and_both_servers() {
    let mut records = Vec::new();
    ordinary(&mut records, 4);
    iodine(&mut records, 4, 210, true);
    let found = run(&mut detector(), records);
    assert_eq!(attackers(&found), [CLIENT], "{}", replay::summary(&found));
    let last = found.last().unwrap();
    let evidence = last.evidence.as_ref().unwrap();
    assert_eq!(evidence.victims, [RESOLVER, SERVER]);
    assert_eq!(evidence.services, ["udp/53"]);
    assert!(last.score >= 0.9, "{last:#?}");
    assert!(evidence.flows.iter().all(|f| f.src().to_string() == CLIENT));
}

#[test]
fn a_tunnel_seen_at_the_edge_or_going_straight_out() {
    // At the edge only the resolver's upstream queries are seen: the resolver is the source.
    let mut records = Vec::new();
    iodine(&mut records, 4, 210, true);
    records.retain(|r| r.src.to_string() != CLIENT && r.dst.to_string() != CLIENT);
    let found = run(&mut detector(), records);
    assert_eq!(attackers(&found), [RESOLVER]);
    // A client querying the tunnel server itself.
    let mut records = Vec::new();
    for w in 0..24u64 {
        let t = T0 + w * 10_000;
        records.push(udp(CLIENT, 40_000, SERVER, 53, 40, 40 * 180, t, 9_000));
        records.push(udp(SERVER, 53, CLIENT, 40_000, 40, 40 * 400, t + 20, 9_000));
    }
    let found = run(&mut detector(), records);
    assert_eq!(attackers(&found), [CLIENT]);
    assert_eq!(found[0].evidence.as_ref().unwrap().victims, [SERVER]);
}

#[test]
fn resolvers_and_busy_clients_with_ordinary_queries_are_quiet() {
    let mut records = Vec::new();
    ordinary(&mut records, 12);
    // A mail server checking blocklists: 5 lookups a second with 90-byte queries.
    for s in 0..720u64 {
        for k in 0..5u64 {
            lookup(
                &mut records,
                "10.20.0.25",
                (40_000 + (s * 5 + k) % 20_000) as u16,
                RESOLVER,
                90 + k * 4,
                T0 + s * 1_000 + k * 100,
            );
        }
    }
    // The tunnel server's large answers alone never make it a source.
    for w in 0..60u64 {
        records.push(udp(
            SERVER,
            53,
            CLIENT,
            53_001,
            100,
            30_000,
            T0 + w * 10_000,
            9_000,
        ));
    }
    let found = run(&mut detector(), records);
    assert!(found.is_empty(), "{}", replay::summary(&found));
}

#[test]
fn a_flood_of_datagrams_to_port_53_is_no_tunnel() {
    // hping3 --udp -p 53 -d 200: 2,000 datagrams of 228 bytes in 2 s, a new port each, nothing back.
    let records: Vec<FlowRecord> = (0..2_000u64)
        .map(|k| {
            udp(
                "198.51.100.23",
                (3_000 + k) as u16,
                RESOLVER,
                53,
                1,
                228,
                T0 + k,
                0,
            )
        })
        .collect();
    let found = run(&mut detector(), records);
    assert!(found.is_empty(), "{}", replay::summary(&found));
}

#[test]
fn bidirectional_records_of_a_tunnel_and_of_lookups() {
    let mut records = Vec::new();
    // Rows: each query with its answer.
    for w in 0..60u64 {
        let t = T0 + w * 10_000;
        records.push(udp(
            "10.20.1.58",
            41_000,
            "198.18.7.7",
            53,
            2 * 30,
            30 * (228 + 150),
            t,
            9_500,
        ));
        for c in 0..40u64 {
            let client = format!("10.20.2.{c}");
            records.push(udp(
                &client,
                (30_000 + w * 40 + c) as u16,
                RESOLVER,
                53,
                2,
                90 + 170,
                t + c * 200,
                30,
            ));
        }
        // TCP rows without a reverse flow tell the detector the records are bidirectional.
        for c in 0..5u64 {
            let mut row = udp(
                &format!("10.20.2.{c}"),
                (50_000 + w * 5 + c) as u16,
                "10.20.0.10",
                443,
                20,
                9_000,
                t,
                300,
            );
            row.protocol = 6;
            row.tcp_flags = 0x1b;
            records.push(row);
        }
    }
    let found = run(&mut detector(), records);
    assert_eq!(
        attackers(&found),
        ["10.20.1.58"],
        "{}",
        replay::summary(&found)
    );
}

#[test]
fn a_flood_of_sources_stays_within_the_bounds() {
    let mut d = DnsTunnel::default();
    d.configure(Config {
        max_pairs: 100,
        max_resolvers: 100,
        ..Config::default()
    })
    .unwrap();
    let mut records = Vec::new();
    for k in 0..30_000u32 {
        let src = std::net::Ipv4Addr::from(0x0b00_0000 + k * 17).to_string();
        let dst = std::net::Ipv4Addr::from(0xc612_0000 + k % 5_000).to_string();
        records.push(udp(
            &src,
            5_353,
            &dst,
            53,
            1,
            240,
            T0 + u64::from(k) * 10,
            0,
        ));
    }
    run(&mut d, records);
    assert!(d.state.pairs.len() <= 100 && d.state.resolvers.len() <= 100);
    assert!(d.state.evicted > 0);
}

#[test]
fn the_attacker_is_found_among_100k_flows() {
    // Every seventh flow a lookup of 60 to 120 bytes, one client tunnelling.
    let mut records = background_flows(5, 99_000, 5_000);
    for (k, r) in records.iter_mut().enumerate() {
        if k % 7 == 0 {
            (r.protocol, r.dst_port, r.bytes) = (17, 53, (60 + k as u64 % 61) * r.packets);
        } else if r.dst_port == 53 {
            r.dst_port = 443;
        }
    }
    records.push(udp(CLIENT, 53_001, RESOLVER, 53, 1_000, 210_000, 0, 10_500));
    records.push(udp(RESOLVER, 53, CLIENT, 53_001, 1_000, 300_000, 5, 10_500));
    // Found among 100,000 flows; the time is printed against the host's own pairing.
    let batch = FlowBatch::from_records("test", &records);
    let found = replay::timed_window(detector, &batch);
    assert!(
        found
            .iter()
            .any(|f| replay::attackers(f).first().map(String::as_str) == Some(CLIENT)),
        "{}",
        replay::summary(&found)
    );
}

#[test]
fn every_field_is_documented_and_nonsense_is_refused() {
    let info = DnsTunnel::describe();
    assert_eq!(info.name, "dns-tunnel");
    assert_eq!(info.config.len(), 7);
    assert!(
        info.config
            .iter()
            .all(|f| f.default_value.is_some() && !f.description.is_empty())
    );
    let mut d = DnsTunnel::default();
    for bad in [
        Config {
            span_s: 5,
            ..Config::default()
        },
        Config {
            min_queries: 1,
            ..Config::default()
        },
        Config {
            min_query_bytes: 10_000.0,
            ..Config::default()
        },
        Config {
            min_upstream_bytes: 5,
            ..Config::default()
        },
        Config {
            max_pairs: 0,
            ..Config::default()
        },
        Config {
            min_duration_s: 900,
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
