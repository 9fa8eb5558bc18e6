//! Scans and sweeps as nmap makes them are found, with the scanner as the attacker; servers
//! answering, monitoring polls, a browser's dead hosts and a NAT's failures are not; state
//! stays bounded under a flood of spoofed sources.

mod captures;
mod replay;

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::{background_flows, flows_event};

use super::{Config, SuperSpreader};

const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;

/// One flow.
#[allow(clippy::too_many_arguments)]
pub fn flow(
    src: &str,
    sport: u16,
    dst: &str,
    dport: u16,
    proto: u8,
    flags: u8,
    packets: u64,
    bytes: u64,
    t_ms: u64,
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
        start_ms: t_ms,
        end_ms: t_ms + 5,
    }
}

/// An nmap -sS probe of `dst:port` and the answer: SYN-ACK (and the scanner's reset) when
/// `open`, else a reset.
fn syn_probe(
    records: &mut Vec<FlowRecord>,
    scanner: &str,
    dst: &str,
    port: u16,
    open: bool,
    t: u64,
) {
    if open {
        records.push(flow(scanner, 61_000, dst, port, 6, SYN | RST, 2, 84, t));
        records.push(flow(dst, port, scanner, 61_000, 6, SYN | ACK, 1, 44, t + 1));
    } else {
        records.push(flow(scanner, 61_000, dst, port, 6, SYN, 1, 44, t));
        records.push(flow(dst, port, scanner, 61_000, 6, RST | ACK, 1, 40, t + 1));
    }
}

/// A completed TCP exchange with its answer.
fn exchange(
    records: &mut Vec<FlowRecord>,
    client: &str,
    sport: u16,
    server: &str,
    port: u16,
    t: u64,
) {
    let flags = SYN | ACK | PSH | FIN;
    records.push(flow(client, sport, server, port, 6, flags, 8, 1_200, t));
    records.push(flow(
        server,
        port,
        client,
        sport,
        6,
        flags,
        10,
        9_000,
        t + 1,
    ));
}

fn detector() -> SuperSpreader {
    let mut detector = SuperSpreader::default();
    detector.configure(Config::default()).unwrap();
    detector
}

/// Feed one window ending at `end_ms`.
fn window(detector: &mut SuperSpreader, end_ms: u64, records: &[FlowRecord]) -> Vec<Finding> {
    let event = flows_event(
        end_ms - 10_000,
        end_ms,
        FlowBatch::from_records("test", records),
    );
    detector.on_event(event).unwrap()
}

fn kinds(found: &[Finding]) -> Vec<(String, String)> {
    found
        .iter()
        .map(|f| (f.kind.clone(), replay::attackers(f).join(",")))
        .collect()
}

const T0: u64 = 1_790_000_000_000;

#[test]
fn a_syn_scan_of_500_ports_is_a_port_scan_by_the_scanner() {
    let mut records = Vec::new();
    for port in 1..=500u16 {
        let open = matches!(port, 21 | 22 | 80 | 443);
        syn_probe(
            &mut records,
            "198.51.100.23",
            "10.20.0.10",
            port,
            open,
            T0 + u64::from(port),
        );
    }
    for client in 0..8 {
        exchange(
            &mut records,
            &format!("192.0.2.{}", 100 + client),
            50_000 + client,
            "10.20.0.10",
            443,
            T0,
        );
    }
    let found = window(&mut detector(), T0 + 10_000, &records);
    assert_eq!(
        kinds(&found),
        [("port-scan".to_owned(), "198.51.100.23".to_owned())]
    );
    let finding = &found[0];
    assert!(finding.score >= 0.9, "{finding:#?}");
    let evidence = finding.evidence.as_ref().unwrap();
    assert_eq!(evidence.victims, ["10.20.0.10"]);
    assert_eq!(finding.anomaly.nodes[0], "198.51.100.23");
    assert!(!evidence.flows.is_empty() && evidence.flows.len() <= 8);
    assert!(
        evidence
            .flows
            .iter()
            .all(|f| f.src().to_string() == "198.51.100.23")
    );
}

#[test]
fn a_scanned_servers_replies_never_make_it_an_attacker() {
    // The replies alone, as when the probes fell into the previous window: resets and, from
    // open ports high and low, SYN-ACKs (an unpaired SYN-ACK from a port that is no known
    // service looks like an attempt of its own; it is one target, the scanner's port).
    let (server, scanner) = ("10.20.0.10", "198.51.100.23");
    let mut records = Vec::new();
    for port in (1..=500u16).chain(5_000..5_300) {
        let open = port % 50 == 0 || port >= 5_000;
        let flags = if open { SYN | ACK } else { RST | ACK };
        let t = T0 + u64::from(port);
        records.push(flow(server, port, scanner, 61_000, 6, flags, 1, 44, t));
    }
    let mut d = detector();
    assert!(window(&mut d, T0 + 10_000, &records).is_empty());
    // And with the probes in the same window: only the scanner is named.
    let mut records = Vec::new();
    for port in 1..=300u16 {
        syn_probe(
            &mut records,
            "198.51.100.23",
            "10.20.0.10",
            port,
            port % 50 == 0,
            T0 + u64::from(port),
        );
    }
    let found = window(&mut d, T0 + 20_000, &records);
    assert!(
        found
            .iter()
            .all(|f| replay::attackers(f) == ["198.51.100.23"]),
        "{found:#?}"
    );
    assert!(!found.is_empty());
}

#[test]
fn a_connect_scan_is_a_port_scan() {
    let mut records = Vec::new();
    for port in 1..=1000u16 {
        let t = T0 + u64::from(port);
        let sport = 40_000 + port;
        if matches!(port, 22 | 80) {
            records.push(flow(
                "198.51.100.23",
                sport,
                "10.20.0.20",
                port,
                6,
                SYN | ACK | RST,
                3,
                164,
                t,
            ));
            records.push(flow(
                "10.20.0.20",
                port,
                "198.51.100.23",
                sport,
                6,
                SYN | ACK,
                1,
                60,
                t + 1,
            ));
        } else {
            records.push(flow(
                "198.51.100.23",
                sport,
                "10.20.0.20",
                port,
                6,
                SYN,
                1,
                60,
                t,
            ));
            records.push(flow(
                "10.20.0.20",
                port,
                "198.51.100.23",
                sport,
                6,
                RST | ACK,
                1,
                40,
                t + 1,
            ));
        }
    }
    let found = window(&mut detector(), T0 + 10_000, &records);
    assert_eq!(
        kinds(&found),
        [("port-scan".to_owned(), "198.51.100.23".to_owned())]
    );
}

/// nmap -sn of a /24: echo request, SYN to 443, ACK to 80 and a timestamp request to every
/// address; `alive` hosts answer.
fn ping_sweep(records: &mut Vec<FlowRecord>, scanner: &str, alive: &[u8], t: u64) {
    for host in 1..=254u8 {
        let dst = format!("10.20.0.{host}");
        let t = t + u64::from(host) * 10;
        records.push(flow(scanner, 0, &dst, 8 << 8, 1, 0, 1, 28, t));
        records.push(flow(scanner, 0, &dst, 13 << 8, 1, 0, 1, 40, t));
        records.push(flow(scanner, 55_555, &dst, 443, 6, SYN, 1, 44, t));
        records.push(flow(scanner, 55_555, &dst, 80, 6, ACK, 1, 40, t));
        if alive.contains(&host) {
            records.push(flow(&dst, 0, scanner, 0, 1, 0, 1, 28, t + 1));
            records.push(flow(&dst, 0, scanner, 14 << 8, 1, 0, 1, 40, t + 1));
            records.push(flow(&dst, 443, scanner, 55_555, 6, RST | ACK, 1, 40, t + 1));
            records.push(flow(&dst, 80, scanner, 55_555, 6, RST, 1, 40, t + 1));
        }
    }
}

#[test]
fn a_ping_sweep_of_a_24_is_a_host_sweep() {
    let alive: Vec<u8> = (1..=22).map(|n| n * 11).collect();
    let mut records = Vec::new();
    ping_sweep(&mut records, "198.51.100.23", &alive, T0);
    let found = window(&mut detector(), T0 + 10_000, &records);
    assert_eq!(
        kinds(&found),
        [("host-sweep".to_owned(), "198.51.100.23".to_owned())]
    );
    let evidence = found[0].evidence.as_ref().unwrap();
    assert!(
        evidence.services.contains(&"icmp".to_owned()),
        "{evidence:#?}"
    );
    assert!(found[0].score >= 0.85, "{:#?}", found[0]);
}

#[test]
fn a_slow_scan_adds_up_across_windows_and_the_span_forgets() {
    let mut d = detector();
    let mut reported = 0;
    for w in 0..10u64 {
        let mut records = Vec::new();
        for k in 0..3u16 {
            let port = (w as u16) * 3 + k + 1;
            syn_probe(
                &mut records,
                "203.0.113.9",
                "10.20.0.30",
                port,
                false,
                T0 + w * 10_000 + u64::from(k),
            );
        }
        let found = window(&mut d, T0 + (w + 1) * 10_000, &records);
        if w < 6 {
            assert!(found.is_empty(), "window {w}: {found:#?}");
        } else {
            assert_eq!(found.len(), 1, "window {w}");
            reported += 1;
        }
    }
    assert_eq!(reported, 4);
    // Ten minutes later a few more probes: what was before the span is forgotten.
    let mut records = Vec::new();
    for port in 2_000..2_010u16 {
        syn_probe(
            &mut records,
            "203.0.113.9",
            "10.20.0.30",
            port,
            false,
            T0 + 700_000,
        );
    }
    assert!(window(&mut d, T0 + 710_000, &records).is_empty());
}

/// A UDP or ICMP flow of one packet of `bytes` at `t`.
fn datagram(
    src: &str,
    sport: u16,
    dst: &str,
    dport: u16,
    proto: u8,
    bytes: u64,
    t: u64,
) -> FlowRecord {
    flow(src, sport, dst, dport, proto, 0, 1, bytes, t)
}

/// A busy server answering 600 clients.
fn busy_server(records: &mut Vec<FlowRecord>) {
    for c in 0..600u32 {
        let client = format!("192.0.{}.{}", 2 + c / 250, c % 250 + 1);
        let t = T0 + u64::from(c);
        exchange(records, &client, 50_000 + c as u16, "10.20.0.10", 443, t);
    }
}

/// A monitoring server polling 250 hosts: HTTP scrape, ping, SNMP, and a TCP port check.
fn monitoring(records: &mut Vec<FlowRecord>) {
    let mon = "10.20.0.5";
    for h in 1..=250u32 {
        let host = format!("10.21.{}.{}", h / 200, h % 200 + 1);
        let (t, port) = (T0 + u64::from(h) * 20, h as u16);
        exchange(records, mon, 40_000 + port, &host, 9100, t);
        records.push(datagram(mon, 0, &host, 8 << 8, 1, 84, t));
        records.push(datagram(&host, 0, mon, 0, 1, 84, t + 1));
        records.push(datagram(mon, 45_000 + port, &host, 161, 17, 90, t));
        records.push(datagram(&host, 161, mon, 45_000 + port, 17, 300, t + 1));
        let check = SYN | ACK | FIN;
        records.push(flow(mon, 30_000 + port, &host, 22, 6, check, 4, 216, t));
        records.push(flow(&host, 22, mon, 30_000 + port, 6, check, 3, 164, t + 1));
    }
}

/// A browser hitting three dead hosts and four closed ports; a NAT gateway with 3,000
/// completed connections and 60 dead hosts.
fn ordinary_failures(records: &mut Vec<FlowRecord>) {
    for (i, dead) in ["203.0.113.50", "203.0.113.51", "203.0.113.52"]
        .iter()
        .enumerate()
    {
        records.push(flow(
            "10.20.0.101",
            51_000 + i as u16,
            dead,
            443,
            6,
            SYN,
            3,
            180,
            T0,
        ));
    }
    for port in [8080u16, 8443, 3000, 5000] {
        syn_probe(records, "10.20.0.101", "10.20.0.40", port, false, T0);
    }
    for c in 0..3_000u32 {
        let server = format!("151.101.{}.{}", c / 250, c % 250 + 1);
        exchange(
            records,
            "10.20.0.1",
            20_000 + c as u16,
            &server,
            443,
            T0 + u64::from(c),
        );
    }
    for c in 0..60u32 {
        let dead = format!("198.18.0.{}", c + 1);
        records.push(flow(
            "10.20.0.1",
            30_000 + c as u16,
            &dead,
            443,
            6,
            SYN,
            2,
            120,
            T0,
        ));
    }
}

/// Traceroute (90 UDP probes to one host) and SSDP to a multicast group.
fn probes_that_are_no_scan(records: &mut Vec<FlowRecord>) {
    for port in 33_434..33_524u16 {
        records.push(datagram("10.20.0.102", 40_000, "9.9.9.9", port, 17, 60, T0));
    }
    for s in 0..100u16 {
        records.push(datagram(
            "10.20.0.103",
            50_000 + s,
            "239.255.255.250",
            1900,
            17,
            60,
            T0,
        ));
    }
}

#[test]
fn servers_monitoring_and_ordinary_failures_are_quiet() {
    let mut records = Vec::new();
    busy_server(&mut records);
    monitoring(&mut records);
    ordinary_failures(&mut records);
    probes_that_are_no_scan(&mut records);
    let mut d = detector();
    for w in 1..=3 {
        let found = window(&mut d, T0 + w * 10_000, &records);
        assert!(found.is_empty(), "window {w}:\n{}", replay::summary(&found));
    }
}

#[test]
fn a_flood_of_spoofed_sources_stays_within_the_bounds_and_a_scan_is_still_found() {
    let config = Config {
        max_sources: 1_000,
        max_entries: 20_000,
        ..Config::default()
    };
    let mut d = SuperSpreader::default();
    d.configure(config.clone()).unwrap();
    let mut state = 7u32;
    for w in 0..5u64 {
        let mut records = Vec::new();
        for _ in 0..40_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let src = std::net::Ipv4Addr::from(state).to_string();
            records.push(flow(
                &src,
                (state >> 16) as u16,
                "10.20.0.10",
                443,
                6,
                SYN,
                1,
                40,
                T0 + w * 10_000,
            ));
        }
        for port in 1..=100u16 {
            let t = T0 + w * 10_000 + u64::from(port);
            syn_probe(
                &mut records,
                "198.51.100.23",
                "10.20.0.11",
                port + (w as u16) * 100,
                false,
                t,
            );
        }
        let found = window(&mut d, T0 + (w + 1) * 10_000, &records);
        assert!(d.table.sources.len() <= config.max_sources);
        assert!(d.table.entries() <= config.max_entries);
        assert_eq!(
            kinds(&found),
            [("port-scan".to_owned(), "198.51.100.23".to_owned())]
        );
    }
    assert!(d.table.evicted > 0);
}

#[test]
fn the_attacker_is_found_among_100k_flows() {
    let mut records = background_flows(11, 95_000, 5_000);
    for port in 1..=5_000u16 {
        syn_probe(
            &mut records,
            "198.51.100.23",
            "10.0.0.42",
            port,
            false,
            u64::from(port),
        );
    }
    // Found among 100,000 flows; the time is printed against the host's own pairing.
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
    let info = SuperSpreader::describe();
    assert_eq!(info.name, "super-spreader");
    let names: Vec<&str> = info.config.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "span_s",
            "min_ports",
            "min_hosts",
            "min_failed_share",
            "max_sources",
            "max_targets",
            "max_entries"
        ]
    );
    assert!(
        info.config
            .iter()
            .all(|f| f.default_value.is_some() && !f.description.is_empty())
    );
    let mut d = SuperSpreader::default();
    for bad in [
        Config {
            span_s: 0,
            ..Config::default()
        },
        Config {
            min_ports: 1,
            ..Config::default()
        },
        Config {
            min_failed_share: 1.5,
            ..Config::default()
        },
        Config {
            max_targets: 10,
            ..Config::default()
        },
        Config {
            max_sources: 0,
            ..Config::default()
        },
        Config {
            max_entries: 100,
            ..Config::default()
        },
    ] {
        let err = d.configure(bad.clone()).unwrap_err();
        assert!(
            matches!(err, PluginError::InvalidConfig(ref r) if !r.is_empty()),
            "{bad:?}"
        );
    }
    let parsed: Result<Config, _> = netassure_plugin_sdk::parse_config(r#"{"min_port": 3}"#);
    assert!(parsed.is_err());
}

#[test]
fn a_scan_after_a_quiet_day_is_evidence_of_today_not_of_yesterday() {
    let scan = |t0: u64| {
        let mut records = Vec::new();
        for port in 1..=100u16 {
            syn_probe(
                &mut records,
                "198.51.100.23",
                "10.20.0.10",
                port,
                false,
                t0 + u64::from(port),
            );
        }
        records
    };
    let mut detector = detector();
    let yesterday = window(&mut detector, T0 + 10_000, &scan(T0));
    assert_eq!(yesterday.len(), 1);
    let day = 86_400_000;
    let today = window(&mut detector, T0 + day + 10_000, &scan(T0 + day));
    assert_eq!(today.len(), 1);
    let evidence = today[0].evidence.as_ref().unwrap();
    assert!(
        evidence.first_seen_ms >= T0 + day,
        "today's scan reaches back to {} (yesterday)",
        evidence.first_seen_ms
    );
}

#[test]
#[ignore]
fn bench_collector_windows() {
    let mut detector = detector();
    let spent = netassure_plugin_sdk::testing::time_collector_windows(|event| {
        detector.on_event(event).unwrap();
    });
    println!("100 windows of 100k flows: {spent:?} in on_event");
}
