//! The attacks of a generated flow set as labels: who attacked whom, which services, when —
//! one entry per episode — in the labels format `netassure eval --labels` reads (TOML, see
//! docs/evaluation.md).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use crate::{AttackClass, SynthFlow};

/// Two flows of one class and attacker further apart than this are two episodes.
const EPISODE_GAP_MS: u64 = 15 * 60 * 1000;

/// One attack episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    /// The class.
    pub class: AttackClass,
    /// The hosts that opened its flows.
    pub attackers: BTreeSet<Ipv4Addr>,
    /// The hosts its flows went to.
    pub victims: BTreeSet<Ipv4Addr>,
    /// `tcp/22`, `udp/53`, ...
    pub services: BTreeSet<String>,
    /// First flow start, ms.
    pub start_ms: u64,
    /// Last flow end, ms.
    pub end_ms: u64,
}

/// The episodes of `flows`: attack flows of one class by one attacker (for DDoS, against one
/// victim) with no gap longer than 15 minutes, in start order.
pub fn episodes(flows: &[SynthFlow]) -> Vec<Episode> {
    let mut by_key: BTreeMap<(&'static str, Ipv4Addr), Vec<&SynthFlow>> = BTreeMap::new();
    for flow in flows {
        let Some(class) = flow.attack else { continue };
        let key = if class == AttackClass::Ddos {
            flow.dst
        } else {
            flow.src
        };
        by_key.entry((class.name(), key)).or_default().push(flow);
    }
    let mut episodes: Vec<Episode> = Vec::new();
    for mut group in by_key.into_values() {
        group.sort_by_key(|flow| flow.start_ms);
        let mut current: Option<Episode> = None;
        for flow in group {
            match &mut current {
                Some(episode) if flow.start_ms <= episode.end_ms + EPISODE_GAP_MS => {
                    add(episode, flow)
                }
                _ => {
                    episodes.extend(current.take());
                    let mut episode = Episode {
                        class: flow.attack.expect("attack flows only"),
                        attackers: BTreeSet::new(),
                        victims: BTreeSet::new(),
                        services: BTreeSet::new(),
                        start_ms: flow.start_ms,
                        end_ms: flow.end_ms,
                    };
                    add(&mut episode, flow);
                    current = Some(episode);
                }
            }
        }
        episodes.extend(current);
    }
    episodes.sort_by_key(|episode| episode.start_ms);
    episodes
}

fn add(episode: &mut Episode, flow: &SynthFlow) {
    episode.attackers.insert(flow.src);
    episode.victims.insert(flow.dst);
    let protocol = match flow.protocol {
        6 => "tcp",
        17 => "udp",
        _ => "ip",
    };
    episode
        .services
        .insert(format!("{protocol}/{}", flow.dst_port));
    episode.start_ms = episode.start_ms.min(flow.start_ms);
    episode.end_ms = episode.end_ms.max(flow.end_ms);
}

/// The labels file of `flows` (`description` says how they were made).
pub fn labels_toml(flows: &[SynthFlow], description: &str) -> String {
    let episodes = episodes(flows);
    let bytes: u64 = flows.iter().map(|f| f.in_bytes + f.out_bytes).sum();
    let quoted = |items: &mut dyn Iterator<Item = String>| -> String {
        let items: Vec<String> = items.map(|item| format!("\"{item}\"")).collect();
        format!("[{}]", items.join(", "))
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "[capture]\ndescription = \"{}\"\nbenign = {}\nbytes = {bytes}\n",
        description.replace('"', "'"),
        episodes.is_empty()
    );
    for (n, episode) in episodes.iter().enumerate() {
        let _ = writeln!(
            out,
            "[[attack]]\nname = \"{} {}\"\nclass = \"{}\"\nattackers = {}\nvictims = {}\nservices = {}\nstart = {}\nend = {}\n",
            episode.class.name(),
            n + 1,
            episode.class.label_class(),
            quoted(&mut episode.attackers.iter().map(Ipv4Addr::to_string)),
            quoted(&mut episode.victims.iter().map(Ipv4Addr::to_string)),
            quoted(&mut episode.services.iter().take(20).cloned()),
            episode.start_ms,
            episode.end_ms
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Scenario, generate};

    #[test]
    fn every_attack_flow_falls_in_one_episode_of_its_class() {
        let scenario = Scenario {
            minutes: 90,
            clients: 40,
            episodes: 1,
            ..Scenario::default()
        };
        let flows = generate(&scenario);
        let found = episodes(&flows);
        let classes: BTreeSet<&str> = found.iter().map(|e| e.class.name()).collect();
        let expected: BTreeSet<&str> = flows
            .iter()
            .filter_map(|f| f.attack.map(AttackClass::name))
            .collect();
        assert_eq!(classes, expected);
        for flow in flows.iter().filter(|f| f.attack.is_some()) {
            let holding = found
                .iter()
                .filter(|e| {
                    Some(e.class) == flow.attack
                        && e.attackers.contains(&flow.src)
                        && e.victims.contains(&flow.dst)
                        && (e.start_ms..=e.end_ms).contains(&flow.start_ms)
                })
                .count();
            assert_eq!(holding, 1, "{flow:?}");
        }
        let ddos = found.iter().find(|e| e.class == AttackClass::Ddos).unwrap();
        assert_eq!(ddos.victims.len(), 1, "a DDoS episode is one victim");
        assert!(ddos.attackers.len() > 100);
        let text = labels_toml(&flows, "test");
        assert_eq!(text.matches("[[attack]]").count(), found.len());
    }
}
