//! Who is behind a key's traffic: for each of its flows in the window, the host that started
//! the conversation (per `host::flows::conversations()`) and the one that answered, so a report
//! names as attacker the host that initiated the traffic — the uploader, the downloader — never
//! a server that only answered.

use netassure_plugin_sdk::collections::HashMap;

use netassure_plugin_sdk::flows::addr_from_u128;
use netassure_plugin_sdk::host::flows::Conversations;
use netassure_plugin_sdk::prelude::*;

use super::By;
use super::baseline::Key;

/// Attackers, victims and services listed at most.
const LISTED: usize = 5;
/// Flows given as evidence at most.
const FLOWS: usize = 5;

/// True when flow `i` of `batch` counts towards `key` of kind `by`.
pub fn matches(batch: &FlowBatch, i: usize, by: By, key: &Key) -> bool {
    match (by, *key) {
        (By::Src, Key::Host(host)) => batch.src_u128(i) == host,
        (By::Dst, Key::Host(host)) => batch.dst_u128(i) == host,
        (By::Pair, Key::Pair(src, dst)) => batch.src_u128(i) == src && batch.dst_u128(i) == dst,
        _ => false,
    }
}

/// The parties of some flows, heaviest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parties {
    /// Hosts that started the conversations, with their weight.
    pub attackers: Vec<(u128, u64)>,
    /// Hosts that answered.
    pub victims: Vec<(u128, u64)>,
    /// Services (protocol, the answering side's port).
    pub services: Vec<((u8, u16), u64)>,
    /// The heaviest flows.
    pub flows: Vec<usize>,
    /// First start and last end of the flows.
    pub seen: (u64, u64),
}

fn top<K: Ord + Copy>(tally: HashMap<K, u64>, n: usize) -> Vec<(K, u64)> {
    let mut entries: Vec<(K, u64)> = tally.into_iter().collect();
    entries.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    entries.truncate(n);
    entries
}

/// The parties of `flows` of `batch`, each flow weighing `weight(i)`.
pub fn parties(
    batch: &FlowBatch,
    flows: &[usize],
    weight: impl Fn(usize) -> u64,
    conversations: Option<&Conversations>,
) -> Parties {
    let mut attackers: HashMap<u128, u64> = HashMap::default();
    let mut victims: HashMap<u128, u64> = HashMap::default();
    let mut services: HashMap<(u8, u16), u64> = HashMap::default();
    let mut seen = (u64::MAX, 0);
    for &i in flows {
        let w = weight(i);
        let initiated = conversations.is_none_or(|c| c.initiator.get(i).copied().unwrap_or(true));
        let (from, to, port) = if initiated {
            (batch.src_u128(i), batch.dst_u128(i), batch.dst_port[i])
        } else {
            (batch.dst_u128(i), batch.src_u128(i), batch.src_port[i])
        };
        *attackers.entry(from).or_default() += w;
        *victims.entry(to).or_default() += w;
        *services.entry((batch.protocol[i], port)).or_default() += w;
        seen = (seen.0.min(batch.start_ms[i]), seen.1.max(batch.end_ms[i]));
    }
    let mut heaviest: Vec<usize> = flows.to_vec();
    heaviest.sort_unstable_by(|&a, &b| weight(b).cmp(&weight(a)).then(a.cmp(&b)));
    heaviest.truncate(FLOWS);
    Parties {
        attackers: top(attackers, LISTED),
        victims: top(victims, LISTED),
        services: top(services, 3),
        flows: heaviest,
        seen: if seen.0 == u64::MAX { (0, 0) } else { seen },
    }
}

impl Parties {
    /// `builder` with these parties as evidence, the flows scored `score`.
    pub fn evidence(
        &self,
        mut builder: AnomalyBuilder,
        batch: &FlowBatch,
        score: f64,
    ) -> AnomalyBuilder {
        for &(host, _) in &self.attackers {
            builder = builder.attacker(&addr_from_u128(host).to_string());
        }
        for &(host, _) in &self.victims {
            if self.attackers.iter().any(|&(attacker, _)| attacker == host) {
                continue;
            }
            builder = builder.victim(&addr_from_u128(host).to_string());
        }
        for &((protocol, port), _) in &self.services {
            builder = builder.service(protocol, port);
        }
        for &i in &self.flows {
            builder = builder.evidence_flow(FlowEvidence::of(batch, i, score));
        }
        if self.seen.1 > 0 {
            builder = builder.seen(self.seen.0, self.seen.1);
        }
        builder
    }
}
