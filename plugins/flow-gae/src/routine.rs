//! Routine conversations. A host pair that talks on one service all day (a video recorder
//! pulling its cameras' streams, a monitoring server scraping its agents, a resolver asking
//! the same servers) has a tail: now and then one of its sessions is odd enough to cross the
//! model's threshold, and over hours those few flows pile up into an "incident". Per
//! (initiator, responder, protocol, port) the detector keeps a decayed count of the flows it
//! has seen and of those it flagged; a flagged flow of a pair with at least
//! `routine_min_flows` flows behind it of which at most `routine_max_flagged_share` were
//! flagged is that pair's tail, not evidence. What an attack looks like stays evidence: new
//! pairs (scans, sweeps, brute force on a new victim, a flood's sources, an upload to a new
//! destination), and pairs whose flows are mostly flagged.
//!
//! Memory: at most [`MAX_PAIRS`] pairs (about 48 bytes each); when full, the pairs with the
//! least traffic left after decay go first.

use std::collections::HashMap;

/// Most pairs kept.
pub const MAX_PAIRS: usize = 200_000;

/// A conversation key: initiator, responder, protocol, service port.
pub type Pair = (u128, u128, u8, u16);

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    flows: f32,
    flagged: f32,
    at_s: u64,
}

impl Tally {
    fn decayed(&self, now_s: u64, half_life_s: f64) -> (f32, f32) {
        let age = now_s.saturating_sub(self.at_s) as f64;
        let factor = 0.5f64.powf(age / half_life_s.max(1.0)) as f32;
        (self.flows * factor, self.flagged * factor)
    }
}

/// The conversation of flow `flow`: initiator, responder (swapped for a flow that answers),
/// protocol, and the responder's port.
pub fn pair(
    batch: &netassure_plugin_sdk::FlowBatch,
    conversations: Option<&netassure_plugin_sdk::host::flows::Conversations>,
    flow: usize,
) -> Pair {
    let answers = conversations.is_some_and(|c| flow < c.len() && !c.initiator[flow]);
    let (initiator, responder) = crate::group::parties(batch, conversations, flow);
    let port = if answers {
        batch.src_port[flow]
    } else {
        batch.dst_port[flow]
    };
    (initiator, responder, batch.protocol[flow], port)
}

/// The routine pairs seen so far.
#[derive(Debug, Default)]
pub struct Routine {
    pairs: HashMap<Pair, Tally>,
}

/// When a pair's flagged flow is its routine tail.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Decayed flows a pair needs behind it.
    pub min_flows: f32,
    /// Largest share of them that may have been flagged.
    pub max_flagged_share: f32,
    /// Half-life of the counts, seconds.
    pub half_life_s: f64,
}

impl Routine {
    /// True when a flagged flow of `pair` is its routine tail (judged on what was seen before
    /// this window).
    pub fn is_tail(&self, pair: &Pair, now_s: u64, rule: Rule) -> bool {
        self.pairs.get(pair).is_some_and(|tally| {
            let (flows, flagged) = tally.decayed(now_s, rule.half_life_s);
            flows >= rule.min_flows && flagged <= flows * rule.max_flagged_share
        })
    }

    /// Count one window: every flow's pair, `flagged` telling which were flagged.
    pub fn add(&mut self, pairs: impl Iterator<Item = (Pair, bool)>, now_s: u64, rule: Rule) {
        for (pair, flagged) in pairs {
            let tally = self.pairs.entry(pair).or_default();
            if tally.at_s != now_s {
                let (flows, old_flagged) = tally.decayed(now_s, rule.half_life_s);
                *tally = Tally {
                    flows,
                    flagged: old_flagged,
                    at_s: now_s,
                };
            }
            tally.flows += 1.0;
            tally.flagged += f32::from(u8::from(flagged));
        }
        if self.pairs.len() > MAX_PAIRS {
            self.shed(now_s, rule.half_life_s);
        }
    }

    /// Drop the quietest half of the pairs.
    fn shed(&mut self, now_s: u64, half_life_s: f64) {
        let mut weights: Vec<f32> = self
            .pairs
            .values()
            .map(|tally| tally.decayed(now_s, half_life_s).0)
            .collect();
        let middle = weights.len() / 2;
        let (_, &mut cut, _) = weights.select_nth_unstable_by(middle, f32::total_cmp);
        self.pairs
            .retain(|_, tally| tally.decayed(now_s, half_life_s).0 > cut);
    }

    /// Pairs kept.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True when no pair is kept.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        min_flows: 50.0,
        max_flagged_share: 0.05,
        half_life_s: 3_600.0,
    };

    #[test]
    fn a_busy_pair_with_a_rare_odd_flow_is_routine_and_a_new_or_mostly_flagged_pair_is_not() {
        let mut routine = Routine::default();
        let busy: Pair = (1, 2, 6, 554);
        let attack: Pair = (3, 2, 6, 22);
        for window in 0..100u64 {
            let flows = (0..5).map(|n| (busy, window % 40 == 0 && n == 0));
            let attempts = (0..5).map(|_| (attack, true));
            routine.add(flows.chain(attempts), window * 10, RULE);
        }
        assert!(routine.is_tail(&busy, 1_000, RULE));
        assert!(!routine.is_tail(&attack, 1_000, RULE), "mostly flagged");
        assert!(!routine.is_tail(&(9, 2, 6, 554), 1_000, RULE), "never seen");
        assert!(
            !routine.is_tail(&busy, 1_000 + 86_400, RULE),
            "a day later it has decayed"
        );
    }

    #[test]
    fn memory_stays_bounded() {
        let mut routine = Routine::default();
        let pairs = (0..(MAX_PAIRS as u128 + 10)).map(|n| ((n, 1, 6, 80), false));
        routine.add(pairs, 0, RULE);
        assert!(routine.len() <= MAX_PAIRS);
    }
}
