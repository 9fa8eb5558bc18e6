//! Judging: the pairs of each (source, service) that made an attempt in this window are put
//! together; the hosts tried often enough are brute-forced, many hosts tried at all are
//! sprayed; one finding per (source, service) names the source, the hosts and the figures.

use netassure_plugin_sdk::collections::{HashMap, HashSet};
use netassure_plugin_sdk::evidence::service;
use netassure_plugin_sdk::flows::addr_from_bytes;
use netassure_plugin_sdk::prelude::*;

use crate::config::{Class, Config};
use crate::table::{Pair, PairKey};

/// Victims listed in a finding.
const LISTED: usize = 20;
/// Evidence flows in a finding.
const FLOWS: usize = 16;

/// A source trying one service.
pub type Group = ([u8; 16], u8, u16);

/// The group of a pair.
pub fn group(key: &PairKey) -> Group {
    (key.src, key.proto, key.port)
}

/// Score from how far `value` is past `threshold`: 0.6 at it, 0.9 at four times it, at most
/// 0.99.
pub fn score(value: f64, threshold: f64) -> f64 {
    let ratio = (value / threshold.max(1.0)).max(1.0);
    ((0.6 + 0.15 * ratio.log2()).min(0.99) * 1000.0).round() / 1000.0
}

/// One host of a group, as judged.
struct Victim<'a> {
    dst: [u8; 16],
    attempts: u32,
    connections: u32,
    uniformity: f64,
    median_bytes: u32,
    pair: &'a Pair,
}

/// What one finding is built from.
pub struct Judge<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The watched services.
    pub classes: &'a HashMap<(u8, u16), Class>,
    /// The window's flows.
    pub batch: &'a FlowBatch,
    /// The window end, seconds.
    pub now_s: u64,
}

impl Judge<'_> {
    fn brute_forced(&self, class: Class, victim: &Victim<'_>) -> bool {
        let config = self.config;
        match class {
            Class::Standard => victim.attempts >= config.min_attempts,
            Class::Chatty => {
                victim.attempts >= config.min_attempts_chatty
                    || (victim.attempts >= config.min_uniform_attempts_chatty
                        && victim.uniformity >= config.min_uniformity)
            }
        }
    }

    fn threshold(&self, class: Class, uniform: bool) -> u32 {
        match (class, uniform) {
            (Class::Standard, _) => self.config.min_attempts,
            (Class::Chatty, true) => self.config.min_uniform_attempts_chatty,
            (Class::Chatty, false) => self.config.min_attempts_chatty,
        }
    }

    /// The finding of `group`, whose pairs (with attempts in the span) are `pairs`.
    pub fn finding(&self, group: Group, pairs: &[(&PairKey, &Pair)]) -> Option<Finding> {
        let (_, proto, port) = group;
        let class = *self.classes.get(&(proto, port))?;
        let since_s = self.now_s.saturating_sub(self.config.span_s);
        let mut victims: Vec<Victim<'_>> = pairs
            .iter()
            .map(|(key, pair)| {
                let (uniformity, median_bytes) = pair.uniformity();
                let (attempts, connections) = pair.since(since_s);
                Victim {
                    dst: key.dst,
                    attempts,
                    connections,
                    uniformity,
                    median_bytes,
                    pair,
                }
            })
            .filter(|v| v.attempts > 0)
            .collect();
        victims.sort_by(|a, b| b.attempts.cmp(&a.attempts).then(a.dst.cmp(&b.dst)));
        let brute = victims
            .iter()
            .filter(|v| self.brute_forced(class, v))
            .count();
        let sprayed =
            class == Class::Standard && victims.len() >= self.config.spray_min_victims as usize;
        if brute == 0 && !sprayed {
            return None;
        }
        let top = &victims[0];
        let uniform = top.uniformity >= self.config.min_uniformity;
        let threshold = self.threshold(class, uniform);
        let mut score_value: f64 = 0.0;
        if brute > 0 {
            let bonus = if uniform { 0.05 } else { 0.0 };
            score_value = (score(f64::from(top.attempts), f64::from(threshold)) + bonus).min(0.99);
        }
        if sprayed {
            let spray = score(
                victims.len() as f64,
                f64::from(self.config.spray_min_victims),
            );
            score_value = score_value.max(spray);
        }
        Some(self.build(group, class, &victims, brute, score_value))
    }

    fn build(
        &self,
        group: Group,
        class: Class,
        victims: &[Victim<'_>],
        brute: usize,
        score: f64,
    ) -> Finding {
        let (src, proto, port) = group;
        let attacker = addr_from_bytes(&src).to_string();
        let name = service(proto, port);
        let top = &victims[0];
        let attempts: u32 = victims.iter().map(|v| v.attempts).sum();
        let first = victims.iter().map(|v| v.pair.first_ms).min().unwrap_or(0);
        let last = victims.iter().map(|v| v.pair.last_ms).max().unwrap_or(0);
        let mut builder = AnomalyBuilder::new("auth-bruteforce", score)
            .attacker(&attacker)
            .service(proto, port)
            .seen(first, last)
            .pattern(Pattern::Spike);
        for victim in victims.iter().take(LISTED) {
            builder = builder.victim(&addr_from_bytes(&victim.dst).to_string());
        }
        let flows = victims
            .iter()
            .flat_map(|v| v.pair.evidence_of(self.now_s))
            .take(FLOWS);
        for &flow in flows {
            builder = builder.evidence_flow(FlowEvidence::of(self.batch, flow as usize, score));
        }
        let top_addr = addr_from_bytes(&top.dst).to_string();
        let what = if brute > 0 {
            format!(
                "{attacker} made {} login tries in {} short connections to {name} on {top_addr}{} within {} s (threshold {}), {:.0}% of the last connections near-identical (~{} bytes each)",
                top.attempts,
                top.connections,
                if brute > 1 {
                    format!(" and {} more hosts", brute - 1)
                } else {
                    String::new()
                },
                self.config.span_s,
                self.threshold(class, top.uniformity >= self.config.min_uniformity),
                top.uniformity * 100.0,
                top.median_bytes
            )
        } else {
            format!(
                "{attacker} tried {name} on {} hosts within {} s, {attempts} short connections in all (password spraying; threshold {} hosts)",
                victims.len(),
                self.config.span_s,
                self.config.spray_min_victims
            )
        };
        builder
            .symptom(
                "repeats",
                "short-logins",
                "repeated short connections to an authentication service",
            )
            .measure("attempts", f64::from(attempts))
            .measure("top-victim-attempts", f64::from(top.attempts))
            .measure("top-victim-connections", f64::from(top.connections))
            .measure("victims", victims.len() as f64)
            .measure("brute-forced-victims", brute as f64)
            .measure("uniformity", top.uniformity)
            .measure("median-attempt-bytes", f64::from(top.median_bytes))
            .measure("span-s", self.config.span_s as f64)
            .description(what)
            .finding()
    }
}

/// The groups with an attempt in the window ending at `now_s`, each with its pairs that made
/// an attempt in the span, sorted; `keys` is scratch space.
pub fn groups<'a>(
    pairs: &'a HashMap<PairKey, Pair>,
    touched: &HashSet<Group>,
    keys: &mut Vec<PairKey>,
) -> Vec<(Group, Vec<(&'a PairKey, &'a Pair)>)> {
    keys.clear();
    keys.extend(
        pairs
            .keys()
            .filter(|k| touched.contains(&group(k)))
            .copied(),
    );
    keys.sort_unstable();
    let mut out: Vec<(Group, Vec<(&PairKey, &Pair)>)> = Vec::new();
    for key in keys.iter() {
        let Some((key, pair)) = pairs.get_key_value(key) else {
            continue;
        };
        match out.last_mut() {
            Some((g, members)) if *g == group(key) => members.push((key, pair)),
            _ => out.push((group(key), vec![(key, pair)])),
        }
    }
    out
}
