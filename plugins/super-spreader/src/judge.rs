//! Judging one source: what its failed targets in the span add up to (ports per probed host,
//! hosts per service), and the findings that follow, with their evidence.

use netassure_plugin_sdk::collections::HashMap;
use netassure_plugin_sdk::flows::addr_from_bytes;
use netassure_plugin_sdk::prelude::*;

use crate::config::Config;
use crate::table::{Source, Target};

/// The most probed hosts whose failed ports add up to a port scan.
pub const SCAN_HOSTS: usize = 8;
/// Victims and services listed in a finding.
const LISTED: usize = 10;

/// ICMP and ICMPv6.
fn is_icmp(proto: u8) -> bool {
    proto == 1 || proto == 58
}

/// Reusable maps for judging, so judging allocates nothing per source.
#[derive(Debug, Default)]
pub struct Scratch {
    ports_per_host: HashMap<[u8; 16], u32>,
    hosts_per_service: HashMap<(u8, u16), u32>,
    ranked_hosts: Vec<(u32, [u8; 16])>,
    ranked_services: Vec<(u32, (u8, u16))>,
}

/// What a source's failed targets in the span add up to.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// Failed ports on its most probed hosts (at most [`SCAN_HOSTS`]), summed.
    pub probes: u32,
    /// Hosts with a failed port, most probed first, with their failed ports.
    pub hosts: Vec<([u8; 16], u32)>,
    /// Distinct hosts with a failed port.
    pub host_count: usize,
    /// Services with hosts that failed outright, most first, with those hosts.
    pub services: Vec<((u8, u16), u32)>,
    /// Distinct failed targets in the span.
    pub targets: usize,
}

impl Scratch {
    /// The spread of `source`'s targets tried at or after `since_s`.
    pub fn spread(&mut self, source: &Source, since_s: u64) -> Spread {
        self.ports_per_host.clear();
        self.hosts_per_service.clear();
        let mut targets = 0;
        for (target, seen) in &source.targets {
            if seen.at_s() < since_s {
                continue;
            }
            targets += 1;
            if !is_icmp(target.proto) {
                *self.ports_per_host.entry(target.dst).or_default() += 1;
            }
            if seen.hard {
                *self
                    .hosts_per_service
                    .entry((target.proto, target.port))
                    .or_default() += 1;
            }
        }
        self.ranked_hosts.clear();
        self.ranked_hosts
            .extend(self.ports_per_host.iter().map(|(host, n)| (*n, *host)));
        self.ranked_hosts.sort_unstable_by(|a, b| b.cmp(a));
        self.ranked_services.clear();
        self.ranked_services
            .extend(self.hosts_per_service.iter().map(|(s, n)| (*n, *s)));
        self.ranked_services.sort_unstable_by(|a, b| b.cmp(a));
        Spread {
            probes: self.ranked_hosts.iter().take(SCAN_HOSTS).map(|h| h.0).sum(),
            hosts: self
                .ranked_hosts
                .iter()
                .take(LISTED)
                .map(|(n, h)| (*h, *n))
                .collect(),
            host_count: self.ranked_hosts.len(),
            services: self
                .ranked_services
                .iter()
                .take(LISTED)
                .map(|(n, s)| (*s, *n))
                .collect(),
            targets,
        }
    }
}

/// Score from how far `value` is past `threshold`: 0.6 at it, 0.9 at four times it, at most
/// 0.99.
pub fn score(value: f64, threshold: f64) -> f64 {
    let ratio = (value / threshold.max(1.0)).max(1.0);
    ((0.6 + 0.15 * ratio.log2()).min(0.99) * 1000.0).round() / 1000.0
}

/// What the findings of one source are built from.
pub struct Context<'a> {
    /// The source.
    pub src: [u8; 16],
    /// Its state.
    pub source: &'a Source,
    /// Its spread in the span.
    pub spread: &'a Spread,
    /// Share of its attempts in the span that failed.
    pub failed_share: f64,
    /// The window's flows.
    pub batch: &'a FlowBatch,
    /// Evidence flows of this window.
    pub evidence: &'a [u32],
    /// The configuration.
    pub config: &'a Config,
}

fn addr(bytes: &[u8; 16]) -> String {
    addr_from_bytes(bytes).to_string()
}

fn base(kind: &str, score: f64, context: &Context<'_>) -> AnomalyBuilder {
    let mut builder = AnomalyBuilder::new(kind, score)
        .attacker(&addr(&context.src))
        .seen(context.source.first_ms, context.source.last_ms)
        .pattern(Pattern::Spike);
    for &flow in context.evidence {
        builder = builder.evidence_flow(FlowEvidence::of(context.batch, flow as usize, score));
    }
    builder
}

/// The `port-scan` finding of a source, if its probes reach `min_ports`.
pub fn port_scan(context: &Context<'_>) -> Option<Finding> {
    let (spread, config) = (context.spread, context.config);
    if spread.probes < config.min_ports {
        return None;
    }
    let score = score(f64::from(spread.probes), f64::from(config.min_ports));
    let mut builder = base("port-scan", score, context);
    for (host, _) in &spread.hosts {
        builder = builder.victim(&addr(host));
    }
    let mut ports: Vec<(u8, u16)> = context
        .evidence
        .iter()
        .map(|&i| {
            let i = i as usize;
            (context.batch.protocol[i], context.batch.dst_port[i])
        })
        .filter(|(proto, _)| !is_icmp(*proto))
        .collect();
    ports.dedup();
    for (proto, port) in ports {
        builder = builder.service(proto, port);
    }
    let (top, top_ports) = spread.hosts[0];
    Some(
        builder
            .symptom("probes", "failed-ports", "many closed or filtered ports on a few hosts")
            .measure("failed-probes", f64::from(spread.probes))
            .measure("top-host-ports", f64::from(top_ports))
            .measure("probed-hosts", spread.host_count as f64)
            .measure("failed-share", context.failed_share)
            .measure("span-s", config.span_s as f64)
            .description(format!(
                "{} probed {} closed or filtered ports on its {} most probed hosts ({} on {}) within {} s (threshold {})",
                addr(&context.src),
                spread.probes,
                spread.host_count.min(SCAN_HOSTS),
                top_ports,
                addr(&top),
                config.span_s,
                config.min_ports
            ))
            .finding(),
    )
}

/// The `host-sweep` finding of a source, if one service failed on `min_hosts` hosts and
/// enough of its attempts failed.
pub fn host_sweep(context: &Context<'_>, victims: &[[u8; 16]]) -> Option<Finding> {
    let (spread, config) = (context.spread, context.config);
    let &((proto, port), hosts) = spread.services.first()?;
    if hosts < config.min_hosts || context.failed_share < config.min_failed_share {
        return None;
    }
    let score = score(f64::from(hosts), f64::from(config.min_hosts));
    let mut builder = base("host-sweep", score, context);
    for victim in victims {
        builder = builder.victim(&addr(victim));
    }
    for &((proto, port), n) in &spread.services {
        if n * 4 >= hosts {
            builder = builder.service(proto, if is_icmp(proto) { 0 } else { port });
        }
    }
    let service = if is_icmp(proto) {
        "ICMP echo".to_owned()
    } else {
        netassure_plugin_sdk::evidence::service(proto, port)
    };
    Some(
        builder
            .symptom("sweeps", "failed-hosts", "one service tried on many hosts, mostly failing")
            .measure("failed-hosts", f64::from(hosts))
            .measure("failed-targets", spread.targets as f64)
            .measure("failed-share", context.failed_share)
            .measure("span-s", config.span_s as f64)
            .description(format!(
                "{} tried {service} on {hosts} hosts that did not answer or refused within {} s ({:.0}% of its attempts failed; threshold {})",
                addr(&context.src),
                config.span_s,
                context.failed_share * 100.0,
                config.min_hosts
            ))
            .finding(),
    )
}

/// Up to ten hosts that failed the source's most swept service, for the evidence.
pub fn swept_hosts(source: &Source, service: (u8, u16), since_s: u64) -> Vec<[u8; 16]> {
    let mut hosts: Vec<[u8; 16]> = source
        .targets
        .iter()
        .filter(|(t, seen)| seen.hard && seen.at_s() >= since_s && (t.proto, t.port) == service)
        .map(|(t, _): (&Target, _)| t.dst)
        .collect();
    hosts.sort_unstable();
    hosts.truncate(LISTED);
    hosts
}
