//! Benign traffic: clients' browsing, name resolution, mail, file shares, databases,
//! authentication, time sync and administration, visitors of the public web server, and the
//! servers' own traffic (forwarded DNS, outbound mail, nightly backups) — with a daily rhythm.

use std::net::Ipv4Addr;

use crate::draw::{ephemeral, lognormal, zipf};
use crate::{Network, Scenario, SynthFlow};

/// How busy the network is at `hour` (UTC, 0..24): office hours high, nights low.
fn activity(hour: u64) -> f64 {
    match hour {
        0..=5 => 0.04,
        6..=7 => 0.3,
        8..=11 | 13..=16 => 1.0,
        12 => 0.6,
        17..=18 => 0.5,
        _ => 0.12,
    }
}

/// A TCP flow: `request` bytes out, `response` back, ~1,400-byte segments, a handshake and a
/// close (flags SYN, ACK, PSH, FIN).
#[allow(clippy::too_many_arguments)]
pub(crate) fn tcp(
    src: Ipv4Addr,
    src_port: u16,
    dst: Ipv4Addr,
    dst_port: u16,
    request: u64,
    response: u64,
    start_ms: u64,
    duration_ms: u64,
) -> SynthFlow {
    let in_packets = 3 + request.div_ceil(1_400);
    let out_packets = 2 + response.div_ceil(1_400);
    SynthFlow {
        src,
        dst,
        src_port,
        dst_port,
        protocol: 6,
        in_bytes: request + 40 * in_packets,
        out_bytes: response + 40 * out_packets,
        in_packets,
        out_packets,
        tcp_flags: 0x1b,
        start_ms,
        end_ms: start_ms + duration_ms,
        attack: None,
    }
}

/// A UDP exchange of one datagram each way.
pub(crate) fn udp(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    dst_port: u16,
    request: u64,
    response: u64,
    start_ms: u64,
    src_port: u16,
) -> SynthFlow {
    SynthFlow {
        src,
        dst,
        src_port,
        dst_port,
        protocol: 17,
        in_bytes: request + 28,
        out_bytes: if response > 0 { response + 28 } else { 0 },
        in_packets: 1,
        out_packets: u64::from(response > 0),
        tcp_flags: 0,
        start_ms,
        end_ms: start_ms + 1 + response / 100,
        attack: None,
    }
}

/// Every benign flow of the scenario.
pub fn traffic(rng: &mut fastrand::Rng, net: &Network, scenario: &Scenario) -> Vec<SynthFlow> {
    let mut flows = Vec::new();
    let admins = (net.clients.len() / 20).max(1);
    let developers = (net.clients.len() / 5).max(1);
    for minute in 0..u64::from(scenario.minutes) {
        let minute_ms = scenario.start_ms + minute * 60_000;
        let busy = activity((minute_ms / 3_600_000) % 24);
        for (n, &client) in net.clients.iter().enumerate() {
            if rng.f64() < busy * 0.6 {
                let at = minute_ms + rng.u64(0..60_000);
                client_burst(rng, net, &mut flows, client, at, n < admins, n < developers);
            }
            if (minute + n as u64).is_multiple_of(64) {
                let at = minute_ms + rng.u64(0..60_000);
                flows.push(udp(client, net.ntp, 123, 48, 48, at, 123));
            }
        }
        visitors(rng, net, &mut flows, minute_ms, busy);
        servers(rng, net, &mut flows, minute_ms, busy);
    }
    backups(rng, net, &mut flows, scenario);
    flows
}

#[allow(clippy::too_many_arguments)]
fn client_burst(
    rng: &mut fastrand::Rng,
    net: &Network,
    flows: &mut Vec<SynthFlow>,
    client: Ipv4Addr,
    at: u64,
    admin: bool,
    developer: bool,
) {
    let choice = rng.f64();
    if choice < 0.6 {
        // Browse: resolve, then one to four requests to a site.
        let site = net.sites[zipf(rng, net.sites.len())];
        flows.push(udp(
            client,
            net.dns,
            53,
            rng.u64(30..60),
            rng.u64(60..300),
            at,
            ephemeral(rng),
        ));
        let port = if rng.f64() < 0.9 { 443 } else { 80 };
        for i in 0..rng.u64(1..5) {
            let response = lognormal(rng, 40_000.0, 1.6) as u64;
            let duration = 50 + (response / 2_000).min(60_000) + rng.u64(0..500);
            flows.push(tcp(
                client,
                ephemeral(rng),
                site,
                port,
                rng.u64(300..2_000),
                response,
                at + 20 + i * 300,
                duration,
            ));
        }
    } else if choice < 0.7 {
        let response = lognormal(rng, 20_000.0, 1.2) as u64;
        flows.push(tcp(
            client,
            ephemeral(rng),
            net.mail,
            993,
            rng.u64(200..3_000),
            response,
            at,
            100 + rng.u64(0..2_000),
        ));
    } else if choice < 0.8 {
        let (request, response) = if rng.f64() < 0.3 {
            (lognormal(rng, 200_000.0, 1.5) as u64, rng.u64(500..5_000))
        } else {
            (rng.u64(500..5_000), lognormal(rng, 300_000.0, 1.5) as u64)
        };
        flows.push(tcp(
            client,
            ephemeral(rng),
            net.file,
            445,
            request,
            response,
            at,
            200 + rng.u64(0..10_000),
        ));
    } else if choice < 0.9 {
        flows.push(tcp(
            client,
            ephemeral(rng),
            net.directory,
            88,
            rng.u64(800..1_600),
            rng.u64(1_000..2_500),
            at,
            rng.u64(5..50),
        ));
        flows.push(tcp(
            client,
            ephemeral(rng),
            net.directory,
            389,
            rng.u64(300..1_200),
            rng.u64(500..8_000),
            at + 60,
            rng.u64(5..80),
        ));
    } else if developer && choice < 0.97 {
        let response = lognormal(rng, 50_000.0, 1.4) as u64;
        flows.push(tcp(
            client,
            ephemeral(rng),
            net.database,
            5432,
            rng.u64(300..5_000),
            response,
            at,
            20 + rng.u64(0..3_000),
        ));
    } else if admin {
        let response = lognormal(rng, 30_000.0, 1.3) as u64;
        flows.push(tcp(
            client,
            ephemeral(rng),
            net.jump,
            22,
            rng.u64(2_000..40_000),
            response,
            at,
            10_000 + rng.u64(0..600_000),
        ));
    } else {
        let site = net.sites[zipf(rng, net.sites.len())];
        let response = lognormal(rng, 8_000.0, 1.0) as u64;
        flows.push(tcp(
            client,
            ephemeral(rng),
            site,
            443,
            rng.u64(300..1_500),
            response,
            at,
            40 + rng.u64(0..800),
        ));
    }
}

/// Internet users of the public web application.
fn visitors(
    rng: &mut fastrand::Rng,
    net: &Network,
    flows: &mut Vec<SynthFlow>,
    minute_ms: u64,
    busy: f64,
) {
    for _ in 0..(30.0 * busy + 3.0) as u64 {
        let visitor = Network::stranger(rng);
        let response = lognormal(rng, 60_000.0, 1.3) as u64;
        let at = minute_ms + rng.u64(0..60_000);
        flows.push(tcp(
            visitor,
            ephemeral(rng),
            net.web,
            443,
            rng.u64(400..3_000),
            response,
            at,
            80 + rng.u64(0..4_000),
        ));
    }
}

/// The servers' own traffic: forwarded DNS, outbound mail, the web application's database.
fn servers(
    rng: &mut fastrand::Rng,
    net: &Network,
    flows: &mut Vec<SynthFlow>,
    minute_ms: u64,
    busy: f64,
) {
    for _ in 0..(20.0 * busy + 2.0) as u64 {
        let resolver = net.resolvers[rng.usize(0..net.resolvers.len())];
        let at = minute_ms + rng.u64(0..60_000);
        flows.push(udp(
            net.dns,
            resolver,
            53,
            rng.u64(30..60),
            rng.u64(80..400),
            at,
            ephemeral(rng),
        ));
    }
    for _ in 0..(4.0 * busy + 1.0) as u64 {
        let relay = net.relays[rng.usize(0..net.relays.len())];
        let at = minute_ms + rng.u64(0..60_000);
        let size = lognormal(rng, 30_000.0, 1.5) as u64;
        flows.push(tcp(
            net.mail,
            ephemeral(rng),
            relay,
            25,
            size,
            rng.u64(300..900),
            at,
            200 + rng.u64(0..3_000),
        ));
    }
    for _ in 0..(15.0 * busy + 1.0) as u64 {
        let at = minute_ms + rng.u64(0..60_000);
        let response = lognormal(rng, 20_000.0, 1.2) as u64;
        flows.push(tcp(
            net.web,
            ephemeral(rng),
            net.database,
            5432,
            rng.u64(200..2_000),
            response,
            at,
            5 + rng.u64(0..300),
        ));
    }
}

/// Nightly backups: every server sends one large stream to the backup server between 01:00
/// and 03:00.
fn backups(
    rng: &mut fastrand::Rng,
    net: &Network,
    flows: &mut Vec<SynthFlow>,
    scenario: &Scenario,
) {
    let first_day = scenario.start_ms / 86_400_000;
    let last_ms = scenario.start_ms + u64::from(scenario.minutes) * 60_000;
    for day in first_day..=last_ms / 86_400_000 {
        for server in net.servers() {
            if server == net.backup {
                continue;
            }
            let at = day * 86_400_000 + 3_600_000 + rng.u64(0..7_200_000);
            if at < scenario.start_ms || at >= last_ms {
                continue;
            }
            let size = lognormal(rng, 400e6, 0.8) as u64;
            flows.push(tcp(
                server,
                ephemeral(rng),
                net.backup,
                873,
                size,
                size / 200,
                at,
                size / 50_000,
            ));
        }
    }
}
