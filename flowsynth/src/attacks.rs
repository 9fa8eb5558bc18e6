//! Attack episodes: each class injected `episodes` times at random moments of the scenario.

use std::net::Ipv4Addr;

use crate::benign::tcp;
use crate::draw::{ephemeral, lognormal};
use crate::{AttackClass, Network, Scenario, SynthFlow};

/// Every attack flow of the scenario.
pub fn episodes(rng: &mut fastrand::Rng, net: &Network, scenario: &Scenario) -> Vec<SynthFlow> {
    let mut flows = Vec::new();
    let span_ms = u64::from(scenario.minutes.max(31) - 30) * 60_000;
    for &class in &scenario.attacks {
        for _ in 0..scenario.episodes {
            let at = scenario.start_ms + rng.u64(0..span_ms);
            let start = flows.len();
            match class {
                AttackClass::PortScan => port_scan(rng, net, at, &mut flows),
                AttackClass::Ddos => ddos(rng, net, at, &mut flows),
                AttackClass::BruteForce => brute_force(rng, net, at, &mut flows),
                AttackClass::Exfiltration => exfiltration(rng, net, at, &mut flows),
                AttackClass::LateralMovement => lateral(rng, net, at, &mut flows),
                AttackClass::C2Beacon => beacon(rng, net, at, &mut flows),
            }
            for flow in &mut flows[start..] {
                flow.attack = Some(class);
            }
        }
    }
    flows
}

fn victim(rng: &mut fastrand::Rng, net: &Network) -> Ipv4Addr {
    net.clients[rng.usize(0..net.clients.len())]
}

/// SYNs to 300–1,500 ports of one host over a few minutes; closed ports answer RST.
fn port_scan(rng: &mut fastrand::Rng, net: &Network, at: u64, flows: &mut Vec<SynthFlow>) {
    let scanner = if rng.bool() {
        victim(rng, net)
    } else {
        Network::stranger(rng)
    };
    let servers = net.servers();
    let target = servers[rng.usize(0..servers.len())];
    let ports = rng.u64(300..1_500);
    let spread_ms = rng.u64(30_000..300_000);
    for i in 0..ports {
        let port = if rng.f64() < 0.7 {
            rng.u16(1..1_024)
        } else {
            rng.u16(1_024..65_535)
        };
        let open = rng.f64() < 0.02;
        flows.push(SynthFlow {
            src: scanner,
            dst: target,
            src_port: 61_000 + (i % 16) as u16,
            dst_port: port,
            protocol: 6,
            in_bytes: 44,
            out_bytes: if open { 44 } else { 40 },
            in_packets: 1,
            out_packets: 1,
            tcp_flags: if open { 0x12 } else { 0x16 },
            start_ms: at + i * spread_ms / ports,
            end_ms: at + i * spread_ms / ports + rng.u64(0..3),
            attack: None,
        });
    }
}

/// 1,000–4,000 sources flood the public web server with UDP or SYNs for a few minutes.
fn ddos(rng: &mut fastrand::Rng, net: &Network, at: u64, flows: &mut Vec<SynthFlow>) {
    let sources = rng.u64(1_000..4_000);
    let udp = rng.bool();
    let spread_ms = rng.u64(60_000..240_000);
    for _ in 0..sources {
        let source = Network::stranger(rng);
        for _ in 0..rng.u64(1..4) {
            let packets = rng.u64(20..200);
            let size = if udp { rng.u64(200..1_200) } else { 60 };
            let start = at + rng.u64(0..spread_ms);
            flows.push(SynthFlow {
                src: source,
                dst: net.web,
                src_port: ephemeral(rng),
                dst_port: if udp { 80 } else { 443 },
                protocol: if udp { 17 } else { 6 },
                in_bytes: packets * size,
                out_bytes: 0,
                in_packets: packets,
                out_packets: 0,
                tcp_flags: if udp { 0 } else { 0x02 },
                start_ms: start,
                end_ms: start + rng.u64(500..10_000),
                attack: None,
            });
        }
    }
}

/// Hundreds of short SSH or RDP logins from one internet host.
fn brute_force(rng: &mut fastrand::Rng, net: &Network, at: u64, flows: &mut Vec<SynthFlow>) {
    let attacker = Network::stranger(rng);
    let (target, port) = if rng.bool() {
        (net.jump, 22)
    } else {
        (net.directory, 3389)
    };
    let mut t = at;
    for _ in 0..rng.u64(300..1_000) {
        t += rng.u64(200..1_500);
        let mut flow = tcp(
            attacker,
            ephemeral(rng),
            target,
            port,
            rng.u64(1_200..2_400),
            rng.u64(1_800..3_600),
            t,
            rng.u64(800..3_000),
        );
        flow.in_packets = rng.u64(12..20);
        flow.out_packets = rng.u64(10..16);
        flows.push(flow);
    }
}

/// A client uploads 50–500 MB in a few long flows to a host nobody else talks to.
fn exfiltration(rng: &mut fastrand::Rng, net: &Network, at: u64, flows: &mut Vec<SynthFlow>) {
    let client = victim(rng, net);
    let drop = Network::stranger(rng);
    let port = if rng.bool() { 443 } else { 8443 };
    let mut t = at;
    for _ in 0..rng.u64(3..10) {
        let size = lognormal(rng, 150e6, 0.6) as u64;
        let duration = rng.u64(60_000..600_000);
        flows.push(tcp(
            client,
            ephemeral(rng),
            drop,
            port,
            size,
            rng.u64(2_000..20_000),
            t,
            duration,
        ));
        t += duration / 2;
    }
}

/// A compromised client reaches 20–80 internal hosts on SMB, RPC, RDP and WinRM.
fn lateral(rng: &mut fastrand::Rng, net: &Network, at: u64, flows: &mut Vec<SynthFlow>) {
    let client = victim(rng, net);
    let spread_ms = rng.u64(120_000..600_000);
    for _ in 0..rng.u64(20..80) {
        let target = victim(rng, net);
        if target == client {
            continue;
        }
        for _ in 0..rng.u64(1..4) {
            let port = [445, 135, 3389, 5985][rng.usize(0..4)];
            let start = at + rng.u64(0..spread_ms);
            flows.push(tcp(
                client,
                ephemeral(rng),
                target,
                port,
                rng.u64(2_000..50_000),
                rng.u64(1_000..30_000),
                start,
                rng.u64(100..2_000),
            ));
        }
    }
}

/// Every minute (±10%) for 2–6 hours, a small HTTPS request to a command-and-control host.
fn beacon(rng: &mut fastrand::Rng, net: &Network, at: u64, flows: &mut Vec<SynthFlow>) {
    let client = victim(rng, net);
    let c2 = Network::stranger(rng);
    let mut t = at;
    let end = at + rng.u64(2..7) * 3_600_000;
    while t < end {
        let mut flow = tcp(
            client,
            ephemeral(rng),
            c2,
            443,
            rng.u64(300..600),
            rng.u64(200..2_000),
            t,
            rng.u64(100..400),
        );
        flow.in_packets = rng.u64(4..8);
        flows.push(flow);
        t += 54_000 + rng.u64(0..12_000);
    }
}
