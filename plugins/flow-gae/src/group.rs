//! Flagged flows grouped into what they are evidence of: one group per attacker — the host
//! that started the conversation (conversations pair both directions), never a host that
//! only answered — except that when many attackers hit one victim (a distributed flood) their
//! flows are one group at the victim.

use std::collections::{BTreeMap, BTreeSet};

use netassure_plugin_sdk::FlowBatch;
use netassure_plugin_sdk::host::flows::Conversations;

/// Flagged flows that are evidence of one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Attackers (as `u128` addresses), most flows first.
    pub attackers: Vec<u128>,
    /// Victims, most flows first.
    pub victims: Vec<u128>,
    /// The flagged flows.
    pub flows: Vec<usize>,
    /// True for many attackers on one victim.
    pub distributed: bool,
}

/// The (attacker, victim) of flow `flow`: its source and destination, swapped when the flow
/// answers one its destination started.
pub fn parties(
    batch: &FlowBatch,
    conversations: Option<&Conversations>,
    flow: usize,
) -> (u128, u128) {
    let (src, dst) = (batch.src_u128(flow), batch.dst_u128(flow));
    match conversations {
        Some(c) if flow < c.len() && !c.initiator[flow] => (dst, src),
        _ => (src, dst),
    }
}

/// Group `flagged` flows: victims reached by at least `distributed` attackers get one group
/// each; every other flow goes to its attacker's group. Groups come in a fixed order.
pub fn group(
    batch: &FlowBatch,
    conversations: Option<&Conversations>,
    flagged: &[usize],
    distributed: usize,
) -> Vec<Group> {
    let mut attackers_of: BTreeMap<u128, BTreeSet<u128>> = BTreeMap::new();
    for &flow in flagged {
        let (attacker, victim) = parties(batch, conversations, flow);
        attackers_of.entry(victim).or_default().insert(attacker);
    }
    let flooded: BTreeSet<u128> = attackers_of
        .iter()
        .filter(|(_, attackers)| attackers.len() >= distributed)
        .map(|(&victim, _)| victim)
        .collect();
    let mut by_key: BTreeMap<(bool, u128), Vec<usize>> = BTreeMap::new();
    for &flow in flagged {
        let (attacker, victim) = parties(batch, conversations, flow);
        let key = if flooded.contains(&victim) {
            (true, victim)
        } else {
            (false, attacker)
        };
        by_key.entry(key).or_default().push(flow);
    }
    by_key
        .into_iter()
        .map(|((distributed, _), flows)| {
            let mut attackers: BTreeMap<u128, usize> = BTreeMap::new();
            let mut victims: BTreeMap<u128, usize> = BTreeMap::new();
            for &flow in &flows {
                let (attacker, victim) = parties(batch, conversations, flow);
                *attackers.entry(attacker).or_default() += 1;
                *victims.entry(victim).or_default() += 1;
            }
            Group {
                attackers: by_count(attackers),
                victims: by_count(victims),
                flows,
                distributed,
            }
        })
        .collect()
}

/// Keys by count, highest first (ties by key).
fn by_count(counts: BTreeMap<u128, usize>) -> Vec<u128> {
    let mut keys: Vec<(u128, usize)> = counts.into_iter().collect();
    keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    keys.into_iter().map(|(key, _)| key).collect()
}
