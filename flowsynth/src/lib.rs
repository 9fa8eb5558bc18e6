//! Labelled synthetic NetFlow for training and evaluating flow detectors.
//!
//! An enterprise network (`10.10.0.0/16`): clients, a DNS resolver, a web proxy, mail, file,
//! database, directory and backup servers, and the internet behind them. Clients are busy in
//! office hours and quiet at night (a daily rhythm), browse a Zipf-distributed set of external
//! sites, resolve names, read mail, open file shares and databases, authenticate; servers back
//! up at night. On top, attack episodes of six classes ([`AttackClass`]). Every flow carries its
//! label. The same [`Scenario`] (seed included) always gives the same flows.
//!
//! Flows are bidirectional records as in the UQ NIDS datasets (`IN_*` from the source, `OUT_*`
//! back); [`write_nids_csv`] writes them in that schema, in start-time order.

mod attacks;
mod benign;
pub mod labels;
mod network;

use std::io::Write;
use std::net::Ipv4Addr;

pub use network::Network;

/// The attack classes the generator injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttackClass {
    /// One source probing many ports of a host (SYN, mostly refused).
    PortScan,
    /// Thousands of sources flooding a public server.
    Ddos,
    /// Many short logins against SSH or RDP from one source.
    BruteForce,
    /// Large uploads from a client to a host nobody else talks to.
    Exfiltration,
    /// A compromised client reaching many internal hosts on SMB, RDP and WinRM.
    LateralMovement,
    /// Small periodic HTTPS requests to a command-and-control host.
    C2Beacon,
}

impl AttackClass {
    /// Every class.
    pub const ALL: [AttackClass; 6] = [
        AttackClass::PortScan,
        AttackClass::Ddos,
        AttackClass::BruteForce,
        AttackClass::Exfiltration,
        AttackClass::LateralMovement,
        AttackClass::C2Beacon,
    ];

    /// The name in the `Attack` column.
    pub fn name(self) -> &'static str {
        match self {
            AttackClass::PortScan => "PortScan",
            AttackClass::Ddos => "DDoS",
            AttackClass::BruteForce => "BruteForce",
            AttackClass::Exfiltration => "Exfiltration",
            AttackClass::LateralMovement => "LateralMovement",
            AttackClass::C2Beacon => "C2Beacon",
        }
    }

    /// The class as labels files name it (`port-scan`, `ddos`, `brute-force`, ...).
    pub fn label_class(self) -> &'static str {
        match self {
            AttackClass::PortScan => "port-scan",
            AttackClass::Ddos => "ddos",
            AttackClass::BruteForce => "brute-force",
            AttackClass::Exfiltration => "exfiltration",
            AttackClass::LateralMovement => "lateral-movement",
            AttackClass::C2Beacon => "beacon",
        }
    }

    /// The class named `name` (case-insensitive).
    pub fn parse(name: &str) -> Option<AttackClass> {
        AttackClass::ALL
            .into_iter()
            .find(|class| class.name().eq_ignore_ascii_case(name))
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Seed of every random choice.
    pub seed: u64,
    /// First minute, ms since the epoch (the daily rhythm follows its UTC hour).
    pub start_ms: u64,
    /// How many minutes.
    pub minutes: u32,
    /// Number of client hosts.
    pub clients: u32,
    /// Attack classes to inject.
    pub attacks: Vec<AttackClass>,
    /// Episodes of each class.
    pub episodes: u32,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 7,
            // 2026-09-21 00:00 UTC, a Monday.
            start_ms: 1_790_000_000_000 - 1_790_000_000_000 % 86_400_000,
            minutes: 24 * 60,
            clients: 200,
            attacks: AttackClass::ALL.to_vec(),
            episodes: 3,
        }
    }
}

/// One bidirectional flow with its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthFlow {
    /// Source (the side that opened the flow).
    pub src: Ipv4Addr,
    /// Destination.
    pub dst: Ipv4Addr,
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// IP protocol.
    pub protocol: u8,
    /// Bytes from source to destination.
    pub in_bytes: u64,
    /// Bytes back.
    pub out_bytes: u64,
    /// Packets from source to destination.
    pub in_packets: u64,
    /// Packets back.
    pub out_packets: u64,
    /// Cumulative TCP flags (both directions).
    pub tcp_flags: u8,
    /// First packet, ms since the epoch.
    pub start_ms: u64,
    /// Last packet, ms since the epoch.
    pub end_ms: u64,
    /// The attack this flow belongs to; `None` for benign traffic.
    pub attack: Option<AttackClass>,
}

/// Every flow of `scenario`, in start-time order.
pub fn generate(scenario: &Scenario) -> Vec<SynthFlow> {
    let mut rng = fastrand::Rng::with_seed(scenario.seed);
    let network = Network::new(&mut rng, scenario.clients);
    let mut flows = benign::traffic(&mut rng, &network, scenario);
    flows.extend(attacks::episodes(&mut rng, &network, scenario));
    flows.sort_by_key(|flow| (flow.start_ms, flow.end_ms));
    flows
}

/// The NIDS-schema header (the UQ datasets' v2 columns we fill).
pub const NIDS_HEADER: &str = "IPV4_SRC_ADDR,L4_SRC_PORT,IPV4_DST_ADDR,L4_DST_PORT,PROTOCOL,L7_PROTO,IN_BYTES,OUT_BYTES,IN_PKTS,OUT_PKTS,TCP_FLAGS,FLOW_DURATION_MILLISECONDS,FLOW_START_MILLISECONDS,FLOW_END_MILLISECONDS,Label,Attack";

/// Write `flows` as NIDS-schema CSV.
pub fn write_nids_csv(flows: &[SynthFlow], out: impl Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    writeln!(out, "{NIDS_HEADER}")?;
    for flow in flows {
        writeln!(
            out,
            "{},{},{},{},{},0,{},{},{},{},{},{},{},{},{},{}",
            flow.src,
            flow.src_port,
            flow.dst,
            flow.dst_port,
            flow.protocol,
            flow.in_bytes,
            flow.out_bytes,
            flow.in_packets,
            flow.out_packets,
            flow.tcp_flags,
            flow.end_ms - flow.start_ms,
            flow.start_ms,
            flow.end_ms,
            u8::from(flow.attack.is_some()),
            flow.attack.map_or("Benign", AttackClass::name),
        )?;
    }
    out.flush()
}

/// Small random helpers shared by the traffic models.
pub(crate) mod draw {
    /// A log-normal draw with median `median` and log-space deviation `sigma`.
    pub fn lognormal(rng: &mut fastrand::Rng, median: f64, sigma: f64) -> f64 {
        // Box–Muller.
        let (u1, u2) = (rng.f64().max(1e-12), rng.f64());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        median * (sigma * z).exp()
    }

    /// An index in `0..n`, Zipf-like (rank r with weight 1/(r+1)).
    pub fn zipf(rng: &mut fastrand::Rng, n: usize) -> usize {
        // Inverse of the continuous approximation of the harmonic CDF.
        let h = (n as f64 + 1.0).ln();
        let r = (rng.f64() * h).exp() - 1.0;
        (r as usize).min(n - 1)
    }

    /// An ephemeral source port.
    pub fn ephemeral(rng: &mut fastrand::Rng) -> u16 {
        rng.u16(32_768..61_000)
    }
}

#[cfg(test)]
mod tests;
