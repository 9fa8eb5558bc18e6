//! The evidence of a flood: who sent it (the top sources, or — for a reflection — the
//! reflectors, which only answered and are therefore not attackers), the victim, the service
//! and the heaviest flows.

use netassure_plugin_sdk::collections::{HashMap, HashSet};

use netassure_plugin_sdk::flows::addr_from_u128;
use netassure_plugin_sdk::host::flows::Conversations;
use netassure_plugin_sdk::prelude::*;

use crate::inbound::signature;

/// Sources named, at most.
const LISTED: usize = 10;
/// Flows given as evidence, at most.
const FLOWS: usize = 10;

/// The parties of a flood on one victim.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flood {
    /// Sources that started their flows, by packets.
    pub attackers: Vec<(u128, u64)>,
    /// Sources that sent unsolicited answers (reflectors), by packets.
    pub reflectors: Vec<(u128, u64)>,
    /// (protocol, port) of the flood: the victim's port, or the reflectors' for a reflection.
    pub services: Vec<((u8, u16), u64)>,
    /// The heaviest flows.
    pub flows: Vec<usize>,
    /// First start, last end.
    pub seen: (u64, u64),
    /// Distinct sources of the flood (in this window's flows; the detector may set the count
    /// over the span): `attacker_count`.
    pub sources: usize,
}

fn top<K: Ord + Copy>(tally: HashMap<K, u64>, n: usize) -> Vec<(K, u64)> {
    let mut entries: Vec<(K, u64)> = tally.into_iter().collect();
    entries.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    entries.truncate(n);
    entries
}

/// The parties of the flood on `victim` in `batch`: with `only_flood`, of the flows with the
/// flood signature only (the legitimate clients of a flooded server are not its attackers);
/// `reflection` says whose port is the service.
pub fn flood(
    batch: &FlowBatch,
    victim: u128,
    only_flood: bool,
    reflection: bool,
    conversations: Option<&Conversations>,
) -> Flood {
    let mut sources: HashSet<u128> = HashSet::default();
    let mut attackers: HashMap<u128, u64> = HashMap::default();
    let mut reflectors: HashMap<u128, u64> = HashMap::default();
    let mut services: HashMap<(u8, u16), u64> = HashMap::default();
    let mut flows = Vec::new();
    let mut seen = (u64::MAX, 0);
    for i in (0..batch.len()).filter(|&i| batch.dst_u128(i) == victim) {
        let packets = batch.packets[i];
        let (is_flood, unsolicited) = signature(batch, i, conversations);
        if only_flood && !is_flood {
            continue;
        }
        sources.insert(batch.src_u128(i));
        let initiated = conversations.is_none_or(|c| c.initiator.get(i).copied().unwrap_or(true));
        if unsolicited {
            *reflectors.entry(batch.src_u128(i)).or_default() += packets;
        } else if initiated {
            *attackers.entry(batch.src_u128(i)).or_default() += packets;
        }
        let port = if reflection {
            batch.src_port[i]
        } else {
            batch.dst_port[i]
        };
        if !reflection || unsolicited {
            *services.entry((batch.protocol[i], port)).or_default() += packets;
        }
        flows.push(i);
        seen = (seen.0.min(batch.start_ms[i]), seen.1.max(batch.end_ms[i]));
    }
    if flows.is_empty() && only_flood {
        // The flood is in the span, not in this window: its flows here are all there is.
        return flood(batch, victim, false, reflection, conversations);
    }
    flows.sort_unstable_by(|&a, &b| batch.packets[b].cmp(&batch.packets[a]).then(a.cmp(&b)));
    flows.truncate(FLOWS);
    Flood {
        attackers: top(attackers, LISTED),
        reflectors: top(reflectors, LISTED),
        services: top(services, 3),
        flows,
        seen: if seen.0 == u64::MAX { (0, 0) } else { seen },
        sources: sources.len(),
    }
}

impl Flood {
    /// `builder` with this flood's evidence.
    pub fn evidence(
        &self,
        mut builder: AnomalyBuilder,
        batch: &FlowBatch,
        victim: u128,
        score: f64,
    ) -> AnomalyBuilder {
        for &(attacker, _) in &self.attackers {
            builder = builder.attacker(&addr_from_u128(attacker).to_string());
        }
        builder = builder
            .attacker_count(u32::try_from(self.sources).unwrap_or(u32::MAX))
            .victim(&addr_from_u128(victim).to_string());
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
