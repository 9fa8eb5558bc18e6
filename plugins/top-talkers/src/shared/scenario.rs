//! A multi-day synthetic network for the baseline tests of `top-talkers` and `heavy-hitters`.
//!
//! Thirty workstations (`10.1.0.1`–`30`) fetch from five servers (`10.1.9.1`–`5`) and upload a
//! little to the internet, busy in office hours and quiet at night, with the same rhythm every
//! day and ±50% noise per flow. Every night the file server `10.1.9.9` backs up 4 GB to
//! `10.1.9.200` (rsync) for 40 minutes, starting at about 02:00 (a few minutes earlier or later
//! each day). On day 3 (`surge`), workstation `10.1.0.7` uploads twenty times its usual volume to
//! `203.0.113.50` from 14:00 to 15:00. Flows are unidirectional pairs (request and answer), in
//! one-minute windows.

use std::net::IpAddr;

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::flows_event;

/// A day in milliseconds.
pub const DAY_MS: u64 = 86_400_000;
/// Midnight UTC of day 1.
pub const T0: u64 = 1_790_000_000_000 - 1_790_000_000_000 % DAY_MS;
/// Window length.
pub const WINDOW_MS: u64 = 60_000;
/// The host that surges on day 3.
pub const SURGER: &str = "10.1.0.7";
/// Where it uploads to.
pub const DROP: &str = "203.0.113.50";
/// The backup's source and destination.
pub const BACKUP: (&str, &str) = ("10.1.9.9", "10.1.9.200");

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

fn activity(hour: u64) -> f64 {
    match hour {
        8..=11 | 13..=16 => 1.0,
        12 | 17 => 0.6,
        7 | 18..=20 => 0.3,
        _ => 0.05,
    }
}

fn exchange(
    client: IpAddr,
    server: IpAddr,
    port: u16,
    up: u64,
    down: u64,
    at: u64,
    sport: u16,
) -> [FlowRecord; 2] {
    let packets = |bytes: u64| 2 + bytes / 1400;
    [
        FlowRecord {
            src: client,
            dst: server,
            src_port: sport,
            dst_port: port,
            protocol: 6,
            tcp_flags: 0x1b,
            bytes: up,
            packets: packets(up),
            start_ms: at,
            end_ms: at + 800,
        },
        FlowRecord {
            src: server,
            dst: client,
            src_port: port,
            dst_port: sport,
            protocol: 6,
            tcp_flags: 0x1b,
            bytes: down,
            packets: packets(down),
            start_ms: at + 1,
            end_ms: at + 800,
        },
    ]
}

/// Minute `minute` (since [`T0`]) of the scenario; `surge` adds the day-3 upload.
pub fn minute(minute: u64, surge: bool) -> Vec<FlowRecord> {
    let at = T0 + minute * 60_000;
    let hour = (minute / 60) % 24;
    let day = minute / 1440;
    let mut state = (minute + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let mut flows = Vec::new();
    for client in 1..=30u64 {
        if next(1000) as f64 >= activity(hour) * 1000.0 {
            continue;
        }
        let src = ip(&format!("10.1.0.{client}"));
        let sport = 40_000 + next(20_000) as u16;
        let server = ip(&format!("10.1.9.{}", 1 + next(5)));
        let noise = |n: &mut dyn FnMut(u64) -> u64| 50 + n(100);
        let down = 3_000 * noise(&mut next);
        flows.extend(exchange(
            src,
            server,
            443,
            2_000,
            down,
            at + next(50_000),
            sport,
        ));
        let up = 3_300 * noise(&mut next);
        let site = ip(&format!("93.184.216.{}", 1 + next(20)));
        flows.extend(exchange(
            src,
            site,
            443,
            up,
            5_000,
            at + next(50_000),
            sport + 1,
        ));
    }
    let start = 120 + [5u64, 0, 10][(day % 3) as usize] - [0u64, 10, 0][(day % 3) as usize];
    let in_day = minute % 1440;
    if (start..start + 40).contains(&in_day) {
        let (from, to) = (ip(BACKUP.0), ip(BACKUP.1));
        flows.extend(exchange(
            from,
            to,
            873,
            100_000_000,
            400_000,
            at + 100,
            45_000,
        ));
    }
    if surge && day == 2 && hour == 14 {
        let usual = 3_300 * 100 * activity(14) as u64;
        flows.extend(exchange(
            ip(SURGER),
            ip(DROP),
            443,
            20 * usual,
            40_000,
            at + 200,
            51_000,
        ));
    }
    flows
}

/// Run `detector` over days `days` (0 = day 1); every finding with its window's end.
pub fn run_days<D: Detector>(
    detector: &mut D,
    days: std::ops::Range<u64>,
    surge: bool,
) -> Vec<(u64, Finding)> {
    run_minutes(detector, days.start * 1440..days.end * 1440, surge)
}

/// Run `detector` over minutes `minutes` (since [`T0`]); every finding with its window's end.
pub fn run_minutes<D: Detector>(
    detector: &mut D,
    minutes: std::ops::Range<u64>,
    surge: bool,
) -> Vec<(u64, Finding)> {
    let mut found = Vec::new();
    for m in minutes {
        let records = minute(m, surge);
        let start = T0 + m * WINDOW_MS;
        let event = flows_event(
            start,
            start + WINDOW_MS,
            FlowBatch::from_records("test", &records),
        );
        let findings = detector.on_event(event).expect("a window is handled");
        found.extend(findings.into_iter().map(|f| (start + WINDOW_MS, f)));
    }
    found
}

/// The day (0-based) and hour of a window end.
pub fn day_hour(end_ms: u64) -> (u64, u64) {
    let t = end_ms - 1 - T0;
    (t / DAY_MS, (t % DAY_MS) / 3_600_000)
}
