//! Password guessing as hydra does it (slow and fast) and password spraying are found, with
//! the guesser as attacker; administrators, monitoring checks, directory chatter and database
//! clients are not; state stays bounded under a flood of sources.

mod captures;
mod replay;

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::{background_flows, flows_event};

use super::{AuthBruteforce, Config};

const T0: u64 = 1_790_000_000_000;
const FULL: u8 = 0x02 | 0x10 | 0x08 | 0x01;

/// A TCP connection of `client` to `server:port` at `t` lasting `ms`, with `up` and `down`
/// bytes, as two flows.
#[allow(clippy::too_many_arguments)]
fn connection(
    client: &str,
    sport: u16,
    server: &str,
    port: u16,
    t: u64,
    ms: u64,
    up: u64,
    down: u64,
) -> [FlowRecord; 2] {
    let flow = |src: &str, sp, dst: &str, dp, bytes: u64, t: u64| FlowRecord {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        src_port: sp,
        dst_port: dp,
        protocol: 6,
        tcp_flags: FULL,
        bytes,
        packets: bytes / 400 + 4,
        start_ms: t,
        end_ms: t + ms,
    };
    [
        flow(client, sport, server, port, up, t),
        flow(server, port, client, sport, down, t + 1),
    ]
}

/// A UDP exchange (Kerberos, CLDAP) with its answer.
fn exchange(
    client: &str,
    sport: u16,
    server: &str,
    port: u16,
    t: u64,
    up: u64,
    down: u64,
) -> [FlowRecord; 2] {
    let flow = |src: &str, sp, dst: &str, dp, bytes, t| FlowRecord {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        src_port: sp,
        dst_port: dp,
        protocol: 17,
        tcp_flags: 0,
        bytes,
        packets: 1,
        start_ms: t,
        end_ms: t + 2,
    };
    [
        flow(client, sport, server, port, up, t),
        flow(server, port, client, sport, down, t + 1),
    ]
}

fn detector() -> AuthBruteforce {
    let mut detector = AuthBruteforce::default();
    detector.configure(Config::default()).unwrap();
    detector
}

/// Cut `records` into 10-s windows by end time and feed them all; every finding, with the
/// index of its window.
fn run(detector: &mut AuthBruteforce, mut records: Vec<FlowRecord>) -> Vec<(u64, Finding)> {
    records.sort_by_key(|r| r.end_ms);
    let mut found = Vec::new();
    let mut start = 0;
    while start < records.len() {
        let w = records[start].end_ms / 10_000;
        let end = records[start..]
            .iter()
            .position(|r| r.end_ms / 10_000 != w)
            .map_or(records.len(), |n| start + n);
        let batch = FlowBatch::from_records("test", &records[start..end]);
        let event = flows_event(w * 10_000, (w + 1) * 10_000, batch);
        found.extend(
            detector
                .on_event(event)
                .unwrap()
                .into_iter()
                .map(|f| (w, f)),
        );
        start = end;
    }
    found
}

/// hydra -t 1 -c 5 against sshd: one connection every `gap_ms`, `n` of them.
fn hydra_ssh(
    records: &mut Vec<FlowRecord>,
    client: &str,
    server: &str,
    n: u64,
    gap_ms: u64,
    t0: u64,
) {
    for k in 0..n {
        let up = 2_300 + (k % 3) * 16;
        records.extend(connection(
            client,
            40_000 + k as u16,
            server,
            22,
            t0 + k * gap_ms,
            3_100,
            up,
            2_900,
        ));
    }
}

#[test]
fn a_slow_hydra_ssh_run_is_found_within_two_minutes() {
    let mut records = Vec::new();
    hydra_ssh(&mut records, "198.51.100.23", "10.20.0.10", 20, 7_500, T0);
    let found = run(&mut detector(), records);
    assert!(!found.is_empty());
    let (first_window, first) = &found[0];
    assert!(
        first_window * 10_000 - T0 <= 120_000,
        "first found after {} s",
        first_window * 10 - T0 / 1000
    );
    assert!(found.len() >= 3, "{} windows", found.len());
    for (_, finding) in &found {
        let evidence = finding.evidence.as_ref().unwrap();
        assert_eq!(evidence.attackers, ["198.51.100.23"]);
        assert_eq!(evidence.victims, ["10.20.0.10"]);
        assert_eq!(evidence.services, ["tcp/22"]);
        assert_eq!(finding.anomaly.nodes[0], "198.51.100.23");
        assert!(
            evidence
                .flows
                .iter()
                .all(|f| f.src().to_string() == "198.51.100.23")
        );
    }
    assert!((0.6..0.9).contains(&first.score), "{first:#?}");
}

#[test]
fn hydra_trying_six_passwords_per_connection_is_found() {
    // hydra -t 1 -c 2 against sshd with MaxAuthTries 6: 7 connections of 12-15 s, each a few
    // kilobytes, over three minutes.
    let mut records = Vec::new();
    for k in 0..7u64 {
        let t = T0 + k * 26_000;
        let (ms, up, down) = (12_000 + k % 3 * 1_500, 2_600 + k * 30, 3_150 + k * 15);
        records.extend(connection(
            "198.51.100.23",
            49_000 + k as u16,
            "10.20.0.10",
            22,
            t,
            ms,
            up,
            down,
        ));
    }
    let found = run(&mut detector(), records);
    assert!(found.len() >= 3, "{found:#?}");
    assert!(
        found
            .iter()
            .all(|(_, f)| replay::attackers(f) == ["198.51.100.23"])
    );
    assert!(
        found[0].1.description.contains("login tries in"),
        "{}",
        found[0].1.description
    );
}

#[test]
fn a_fast_ftp_run_scores_high_and_spraying_is_found() {
    let mut records = Vec::new();
    for k in 0..60u64 {
        records.extend(connection(
            "198.51.100.23",
            30_000 + k as u16,
            "10.20.0.10",
            21,
            T0 + k * 250,
            1_200,
            560,
            720,
        ));
    }
    let found = run(&mut detector(), records);
    assert!(found.iter().any(|(_, f)| f.score >= 0.9), "{found:#?}");
    let mut records = Vec::new();
    for h in 1..=30u64 {
        let server = format!("10.20.1.{h}");
        records.extend(connection(
            "203.0.113.5",
            30_000 + h as u16,
            &server,
            22,
            T0 + h * 1_000,
            3_000,
            2_300,
            2_900,
        ));
    }
    let found = run(&mut detector(), records);
    let (_, last) = found.last().expect("spraying found");
    let evidence = last.evidence.as_ref().unwrap();
    assert_eq!(evidence.attackers, ["203.0.113.5"]);
    assert_eq!(evidence.victims.len(), 20);
    assert!(
        last.description.contains("spraying"),
        "{}",
        last.description
    );
}

/// A check of SSH, RDP and IMAP on 8 servers every minute for 15 minutes.
fn monitoring_checks(records: &mut Vec<FlowRecord>) {
    for minute in 0..15u64 {
        for h in 1..=8u64 {
            let server = format!("10.20.2.{h}");
            for port in [22u16, 3389, 993] {
                let t = T0 + minute * 60_000 + h * 100;
                records.extend(connection(
                    "10.20.0.5",
                    20_000 + (minute * 100 + h) as u16,
                    &server,
                    port,
                    t,
                    200,
                    300,
                    900,
                ));
            }
        }
    }
}

#[test]
fn administrators_and_monitoring_are_quiet() {
    let mut records = Vec::new();
    // An interactive session, a 12 MB copy, a backup and three quick commands.
    records.extend(connection(
        "10.20.0.101",
        50_001,
        "10.20.0.10",
        22,
        T0,
        75_000,
        90_000,
        400_000,
    ));
    records.extend(connection(
        "10.20.0.102",
        50_002,
        "10.20.0.10",
        22,
        T0 + 15_000,
        9_000,
        300_000,
        12_500_000,
    ));
    records.extend(connection(
        "10.20.0.103",
        50_003,
        "10.20.0.10",
        22,
        T0 + 30_000,
        8_000,
        5_300_000,
        200_000,
    ));
    // Three short interactive sessions: 20 s, but tens of kilobytes each.
    for k in 0..3u64 {
        let t = T0 + 100_000 + k * 40_000;
        records.extend(connection(
            "10.20.0.101",
            50_020 + k as u16,
            "10.20.0.11",
            22,
            t,
            20_000,
            14_000,
            26_000,
        ));
    }
    for k in 0..3 {
        records.extend(connection(
            "10.20.0.101",
            50_010 + k,
            "10.20.0.11",
            22,
            T0 + 40_000 + u64::from(k) * 20_000,
            1_500,
            4_000,
            5_500,
        ));
    }
    monitoring_checks(&mut records);
    let found = run(&mut detector(), records);
    assert!(found.is_empty(), "{found:#?}");
}

/// 60 workstations with their domain controller for 10 minutes: Kerberos, LDAP, SMB.
fn domain_chatter(records: &mut Vec<FlowRecord>) {
    let dc = "10.10.1.40";
    for ws in 1..=60u64 {
        let client = format!("10.30.0.{ws}");
        for k in 0..40u64 {
            let t = T0 + (ws * 977 + k * 15_000) % 600_000;
            let sport = (10_000 + ws * 200 + k * 3) as u16;
            let (up, down) = (1_400 + k * 37 % 600, 1_500 + k * 91 % 900);
            records.extend(exchange(&client, sport, dc, 88, t, up, down));
            let (up, down) = (900 + k * 53 % 700, 3_000 + k * 311 % 9_000);
            records.extend(connection(
                &client,
                sport + 1,
                dc,
                389,
                t + 50,
                400,
                up,
                down,
            ));
            if k % 5 == 0 {
                let (up, down) = (6_000 + k * 71, 30_000 + k * 977);
                records.extend(connection(
                    &client,
                    sport + 2,
                    dc,
                    445,
                    t + 90,
                    2_000,
                    up,
                    down,
                ));
            }
        }
    }
}

/// A reporting script running psql every 3 s, an application's redis-cli 3.6 times a second.
fn database_clients(records: &mut Vec<FlowRecord>) {
    let db = "10.20.0.20";
    for k in 0..150u64 {
        let down = if k % 2 == 0 {
            1_400
        } else {
            6_200 + k % 7 * 40
        };
        let t = T0 + k * 3_000;
        records.extend(connection(
            "10.20.0.106",
            (20_000 + k) as u16,
            db,
            5432,
            t,
            300,
            900 + k % 2 * 120,
            down,
        ));
    }
    for k in 0..1_200u64 {
        let (up, down) = if k % 2 == 0 {
            (480 + k % 9 * 3, 330)
        } else {
            (400, 330 + (k % 3) * 30)
        };
        let t = T0 + k * 280;
        records.extend(connection(
            "10.20.0.101",
            (30_000 + k) as u16,
            db,
            6379,
            t,
            20,
            up,
            down,
        ));
    }
}

#[test]
fn directory_chatter_and_database_clients_are_quiet() {
    let mut records = Vec::new();
    domain_chatter(&mut records);
    database_clients(&mut records);
    let found = run(&mut detector(), records);
    let texts: Vec<&String> = found.iter().map(|(_, f)| &f.description).collect();
    assert!(found.is_empty(), "{texts:#?}");
}

#[test]
fn identical_rejections_on_a_chatty_service_are_found() {
    let mut records = Vec::new();
    for k in 0..200u64 {
        records.extend(connection(
            "10.20.0.66",
            30_000 + k as u16,
            "10.10.1.40",
            445,
            T0 + k * 300,
            400,
            1_900 + k % 4,
            1_200,
        ));
    }
    let found = run(&mut detector(), records);
    assert!(!found.is_empty());
    let (_, finding) = &found[0];
    assert_eq!(finding.evidence.as_ref().unwrap().services, ["tcp/445"]);
    assert!(finding.description.contains("near-identical"));
}

#[test]
fn a_servers_replies_never_make_it_an_attacker() {
    let mut records = Vec::new();
    hydra_ssh(&mut records, "198.51.100.23", "10.20.0.10", 40, 1_000, T0);
    // Only the server's side, as if the guesses had fallen into other windows.
    let replies: Vec<FlowRecord> = records
        .iter()
        .filter(|r| r.src_port == 22)
        .cloned()
        .collect();
    assert!(run(&mut detector(), replies).is_empty());
    let found = run(&mut detector(), records);
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|(_, f)| replay::attackers(f) == ["198.51.100.23"])
    );
}

#[test]
fn a_flood_of_sources_stays_within_the_bound() {
    let config = Config {
        max_pairs: 500,
        ..Config::default()
    };
    let mut d = AuthBruteforce::default();
    d.configure(config).unwrap();
    let mut records = Vec::new();
    for k in 0..20_000u32 {
        let src = std::net::Ipv4Addr::from(0x0b00_0000 + k * 7919).to_string();
        records.extend(connection(
            &src,
            40_000,
            "10.20.0.10",
            22,
            T0 + u64::from(k),
            500,
            2_000,
            2_500,
        ));
    }
    hydra_ssh(&mut records, "198.51.100.23", "10.20.0.10", 20, 900, T0);
    let found = run(&mut d, records);
    assert!(d.table.pairs.len() <= 500);
    assert!(d.table.evicted > 0);
    assert!(
        found
            .iter()
            .any(|(_, f)| replay::attackers(f) == ["198.51.100.23"])
    );
    assert!(
        found
            .iter()
            .all(|(_, f)| replay::attackers(f) == ["198.51.100.23"])
    );
}

#[test]
fn the_attacker_is_found_among_100k_flows() {
    let mut records = background_flows(3, 100_000, 5_000);
    hydra_ssh(&mut records, "198.51.100.23", "10.0.0.42", 30, 10, 0);
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
    let info = AuthBruteforce::describe();
    assert_eq!(info.name, "auth-bruteforce");
    assert_eq!(info.config.len(), 14);
    assert!(
        info.config
            .iter()
            .all(|f| f.default_value.is_some() && !f.description.is_empty())
    );
    let mut d = AuthBruteforce::default();
    for bad in [
        Config {
            span_s: 5,
            ..Config::default()
        },
        Config {
            min_attempts: 1,
            ..Config::default()
        },
        Config {
            min_attempts_chatty: 5,
            ..Config::default()
        },
        Config {
            min_uniformity: 0.1,
            ..Config::default()
        },
        Config {
            services: vec!["ssh".into()],
            ..Config::default()
        },
        Config {
            services: vec!["tcp/445".into()],
            ..Config::default()
        },
        Config {
            max_attempt_bytes: 10,
            ..Config::default()
        },
        Config {
            max_pairs: 1,
            ..Config::default()
        },
        Config {
            seconds_per_try: -1.0,
            ..Config::default()
        },
        Config {
            max_tries_per_connection: 0,
            ..Config::default()
        },
        Config {
            multi_try_services: vec!["tcp/445".into()],
            ..Config::default()
        },
    ] {
        let err = d.configure(bad.clone()).unwrap_err();
        assert!(
            matches!(err, PluginError::InvalidConfig(ref r) if !r.is_empty()),
            "{bad:?}"
        );
    }
    let custom = Config {
        services: vec!["tcp/2222".into()],
        chatty_services: vec![],
        ..Config::default()
    };
    d.configure(custom).unwrap();
}
