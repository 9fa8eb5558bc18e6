//! Volumetric DDoS: a destination flooded by many sources, far beyond its own normal.
//!
//! **Method.** Per destination and window: packets and bytes per second (each flow's packets
//! over its own duration or the window, whichever is longer), distinct sources (HyperLogLog,
//! Apache DataSketches, 2^`lg_k` registers: 3.3% relative standard error at 10, a fixed 1 KiB
//! however many spoofed sources; sketched only for destinations with a quarter of `min_sources`
//! flows), and the **flood signature**: the share of its packets in failed connection attempts
//! or unsolicited answers (`inbound.rs`). A window's destinations are first only counted; the
//! signature and the sketches are worked out for the few that can be judged, tracked or
//! learned (a quarter of `min_sources` flows, a rate at the floor of the normals, a normal of
//! their own) — most destinations get a flow or two and are none of these. A destination is a candidate only above the floors:
//! `min_sources` sources and `min_pps` packets/s or `min_bps` bits/s. A destination that may be
//! flooded is tracked over the last `span_s` (`recent.rs`): exporters cut long flows at their
//! active timeout, so a ten-second window holds only a few of a long flood's records; over the
//! span its sources, packets (÷ `span_s`) and signature add up. Each destination has a learned
//! **normal** (`normal.rs`): its highest rate and most sources in a window, fading with
//! `half_life_h`, kept for the `max_destinations` busiest (in `host::state`).
//!
//! - Once the detector has watched `learning_s` of flow time, a candidate is a
//!   `volumetric-ddos` when its rate is at least `min_rise` times its normal rate and either
//!   its sources are at least `min_source_rise` times its normal sources or its flood share
//!   reaches `flood_share`. A popular web server or DNS resolver receiving from thousands of
//!   clients is at its normal; a flood is not.
//! - Before that (a network the detector has never seen), a candidate is reported only on the
//!   signature: a flood share of at least `flood_share` (and a rise of `min_rise` over whatever
//!   normal it already has). Completed conversations — however many — are load, not a flood.
//!
//! Windows reported as a flood, or with the signature, are not learned. A
//! **reflection/amplification** flood — answers from many reflectors (DNS, NTP, memcached, ...)
//! to a victim that never asked, whatever port they are aimed at — has the signature
//! (unsolicited answers) and is reported with the reflectors' service; the reflectors only
//! answered, so they are counted (`attacker_count`) but not named attackers.
//!
//! **Evidence.** Attackers: the top sources that started flows to the victim (with the
//! signature, only among the flood's flows: a flooded server's clients are not attackers);
//! `attacker_count`: the distinct sources of the flood over the span (the host then keeps one
//! incident per victim); victim; service; heaviest flows; measures (rates, sources, normal,
//! rise, flood share). **Score**: 0.6, +0.1 with the signature, +0.1 for a rise of twice
//! `min_rise` over a learned normal, +0.1 with ten times `min_sources` sources: 0.9 — an alert
//! on its own — only when all three agree; a flood that lasts three windows alerts anyway.
//!
//! Defaults: 100 sources, 10,000 packets/s or 100 Mbit/s, rise 4 (sources 2), signature 60%,
//! one day of learning, 4,096 normals fading by half in 72 h, a 120-s span for 256 tracked
//! destinations.

mod evidence;
mod inbound;
mod normal;
mod recent;

use netassure_plugin_sdk::collections::HashMap;
use netassure_plugin_sdk::flows::addr_from_u128;
use netassure_plugin_sdk::host::flows::Conversations;
use netassure_plugin_sdk::prelude::*;

pub use inbound::{Closely, Inbound, inbound, window_seconds};
pub use normal::{Normal, Normals};
use recent::Recent;

/// Configuration.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// log2 of the registers of each HyperLogLog sketch (4 ..= 21).
    pub lg_k: u8,
    /// Distinct sources a destination must receive from.
    pub min_sources: u64,
    /// Packets per second that can be a flood.
    pub min_pps: f64,
    /// Bits per second that can be a flood.
    pub min_bps: f64,
    /// Rate ÷ the destination's normal rate that departs from it.
    pub min_rise: f64,
    /// Sources ÷ the destination's normal sources that departs from it.
    pub min_source_rise: f64,
    /// Share of packets in failed attempts or unsolicited answers that is a flood signature.
    pub flood_share: f64,
    /// Flow time the detector watches before it judges by departures, seconds.
    pub learning_s: u64,
    /// Destinations whose normal is kept.
    pub max_destinations: usize,
    /// Hours after which a normal has faded to half.
    pub half_life_h: f64,
    /// Span over which sources, packets and the signature of a possible flood add up, seconds
    /// (at least an exporter's active timeout, so a long flood's records are seen whole).
    pub span_s: u64,
    /// Destinations tracked over the span at most.
    pub max_tracked: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lg_k: 10,
            min_sources: 100,
            min_pps: 10_000.0,
            min_bps: 100e6,
            min_rise: 4.0,
            min_source_rise: 2.0,
            flood_share: 0.6,
            learning_s: 86_400,
            max_destinations: 4_096,
            half_life_h: 72.0,
            span_s: 120,
            max_tracked: 256,
        }
    }
}

/// Why a destination is a flood.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Rate ÷ normal rate (infinite without a normal).
    pub rise: f64,
    /// Sources ÷ normal sources.
    pub source_rise: f64,
    /// The normal it was compared with.
    pub normal: Option<Normal>,
    /// The flood signature was there.
    pub signature: bool,
    /// Learned mode (departures) or not (signature only).
    pub learned: bool,
}

/// The detector.
#[derive(Debug, Default)]
pub struct VolumetricDdos {
    config: Config,
    normals: Option<Normals>,
    recent: Recent,
}

impl VolumetricDdos {
    fn half_life_ms(&self) -> f64 {
        self.config.half_life_h * 3_600_000.0
    }

    /// The verdict on one destination, if it is a flood.
    pub fn judge(&self, destination: u128, received: &Inbound, now_ms: u64) -> Option<Verdict> {
        let config = &self.config;
        let sources = received.source_count();
        if sources < config.min_sources as f64
            || (received.pps < config.min_pps && received.bps < config.min_bps)
        {
            return None;
        }
        let normals = self.normals.as_ref()?;
        let learned = normals.learned.observed_ms >= config.learning_s * 1000;
        let normal = normals.get(destination, now_ms, self.half_life_ms());
        let (rise, source_rise) = match normal {
            Some(n) => (
                (received.pps / n.pps.max(1.0)).max(received.bps / n.bps.max(8.0)),
                sources / n.sources.max(1.0),
            ),
            None => (f64::INFINITY, f64::INFINITY),
        };
        let signature = received.flood_share() >= config.flood_share;
        let departs = rise >= config.min_rise;
        let flood = if learned {
            departs && (source_rise >= config.min_source_rise || signature)
        } else {
            signature && departs
        };
        flood.then_some(Verdict {
            rise,
            source_rise,
            normal,
            signature,
            learned,
        })
    }

    /// Each destination as judged: over the span when it is tracked (see `recent.rs`).
    fn over_span(&mut self, destinations: &mut HashMap<u128, Inbound>, now_ms: u64) {
        let config = &self.config;
        let span_s = config.span_s as f64;
        self.recent.expire(now_ms, config.span_s * 1000);
        for (&destination, window) in destinations.iter_mut() {
            let candidate = window.source_count() * 4.0 >= config.min_sources as f64
                && (window.flood_share() >= config.flood_share
                    || window.pps * 4.0 >= config.min_pps);
            // Most destinations are neither (one look-up each, not three).
            if !candidate && !self.recent.tracks(destination) {
                continue;
            }
            let step = recent::Window {
                received: window,
                end_ms: now_ms,
                span_ms: config.span_s * 1000,
            };
            self.recent
                .add(destination, step, config.max_tracked, config.lg_k);
            if let Some(judged) = self
                .recent
                .over_span(destination, window, span_s, config.lg_k)
            {
                *window = judged;
            }
        }
    }

    /// What the destinations of `flows` that matter received: the ones that may be judged (a
    /// quarter of `min_sources` flows), tracked or learned (a rate at least the floor of the
    /// normals, or a normal of their own). No other can be a flood or become a normal.
    fn received(
        &self,
        flows: &FlowBatch,
        seconds: f64,
        conversations: Option<&Conversations>,
    ) -> HashMap<u128, Inbound> {
        let normals = self.normals.as_ref().expect("loaded");
        let closely = Closely {
            sketch_from: u32::try_from(self.config.min_sources / 4)
                .unwrap_or(u32::MAX)
                .max(1),
            also: |destination: u128, pps: f64| {
                pps >= normals.learned.floor_pps
                    || normals.by_destination.contains_key(&destination)
                    || self.recent.tracks(destination)
            },
        };
        inbound(flows, self.config.lg_k, seconds, conversations, closely)
    }

    /// Learn the destinations' windows (rates and sources).
    fn learn(&mut self, learn: Vec<(u128, (f64, f64, f64))>, now_ms: u64) {
        let (half_life_ms, max) = (self.half_life_ms(), self.config.max_destinations);
        let normals = self.normals.as_mut().expect("loaded");
        for (destination, rates) in learn {
            // Below the floor a destination needs no normal of its own: the floor stands in.
            if rates.0 >= normals.learned.floor_pps
                || normals.by_destination.contains_key(&destination)
            {
                normals.learn(destination, rates, now_ms, half_life_ms);
            }
        }
        normals.prune(max, now_ms, half_life_ms);
        normals.save_now_and_then(now_ms);
    }

    fn score(&self, verdict: &Verdict, sources: f64) -> f64 {
        // In hundredths, so that three agreeing signs make exactly 0.9 (the host's strong
        // score), not 0.8999….
        let mut score: u32 = 60;
        if verdict.signature {
            score += 10;
        }
        if verdict.learned && verdict.rise >= 2.0 * self.config.min_rise {
            score += 10;
        }
        if sources >= 10.0 * self.config.min_sources as f64 {
            score += 10;
        }
        f64::from(score) / 100.0
    }

    fn finding(
        &self,
        batch: &FlowBatch,
        destination: u128,
        received: &Inbound,
        verdict: &Verdict,
        conversations: Option<&Conversations>,
    ) -> Finding {
        let sources = received.source_count();
        let score = self.score(verdict, sources);
        let reflection = verdict.signature && received.reflected_share() >= 0.5;
        let mut parties = evidence::flood(
            batch,
            destination,
            verdict.signature,
            reflection,
            conversations,
        );
        // With the signature the attackers are the flood's sources (over the span), not every
        // client of the flooded server.
        let sources = if verdict.signature {
            received.flood_source_count().max(parties.sources as f64)
        } else {
            sources
        };
        parties.sources = sources.round() as usize;
        let host = addr_from_u128(destination).to_string();
        let how = if reflection {
            format!(
                "answers it never asked for from ~{sources:.0} reflectors (reflection/amplification)"
            )
        } else {
            format!("~{sources:.0} sources")
        };
        let normal = match verdict.normal {
            Some(n) => format!(
                ", {:.1}× its normal {:.0} packets/s from {:.0} sources",
                verdict.rise, n.pps, n.sources
            ),
            None => String::new(),
        };
        let builder = AnomalyBuilder::new("volumetric-ddos", score)
            .pattern(Pattern::Spike)
            .symptom("flooded", "inbound-rate", "many sources send far above the destination's normal")
            .description(format!(
                "{host} flooded: {how}, {:.0} packets/s, {:.1} Mbit/s ({:.0}% failed attempts or unsolicited answers){normal}",
                received.pps,
                received.bps / 1e6,
                received.flood_share() * 100.0
            ));
        let mut builder = parties
            .evidence(builder, batch, destination, score)
            .measure("sources", received.source_count())
            .measure("pps", received.pps)
            .measure("bps", received.bps)
            .measure("flood-share", received.flood_share());
        if reflection {
            builder = builder.measure("reflectors", sources);
        }
        if let Some(n) = verdict.normal {
            builder = builder
                .measure("normal-pps", n.pps)
                .measure("normal-sources", n.sources);
        }
        if verdict.rise.is_finite() {
            builder = builder.measure("rise", verdict.rise);
        }
        builder.finding()
    }
}

impl Detector for VolumetricDdos {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("volumetric-ddos", env!("CARGO_PKG_VERSION"))
            .description("Destinations flooded by many sources far beyond their own learned normal (distinct sources with HyperLogLog; reflection floods by their unsolicited answers)")
            .subscribe(EventKind::Flows)
            .field(ConfigField::integer("lg_k", "log2 registers per HyperLogLog sketch (4..=21)", 10))
            .field(ConfigField::integer("min_sources", "Distinct sources a victim receives from in a window", 100))
            .field(ConfigField::float("min_pps", "Packets per second that can be a flood", 10_000.0))
            .field(ConfigField::float("min_bps", "Bits per second that can be a flood", 100e6))
            .field(ConfigField::float("min_rise", "Rate ÷ the destination's normal rate that departs from it", 4.0))
            .field(ConfigField::float("min_source_rise", "Sources ÷ the destination's normal sources that departs from it", 2.0))
            .field(ConfigField::float("flood_share", "Share (0..1] of packets in failed attempts or unsolicited answers that is a flood signature", 0.6))
            .field(ConfigField::integer("learning_s", "Flow time watched before judging by departures; before, the signature alone (seconds)", 86_400))
            .field(ConfigField::integer("max_destinations", "Destinations whose normal is kept in host::state (the busiest)", 4_096))
            .field(ConfigField::float("half_life_h", "Hours after which a destination's normal has faded to half", 72.0))
            .field(ConfigField::integer("span_s", "Span over which a possible flood's sources, packets and signature add up (at least the exporters' active timeout), seconds", 120))
            .field(ConfigField::integer("max_tracked", "Destinations tracked over the span at most", 256))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        let invalid = |text: String| Err(PluginError::InvalidConfig(text));
        if !(4..=21).contains(&config.lg_k) {
            return invalid(format!("lg_k must be 4 ..= 21, got {}", config.lg_k));
        }
        let positive = |value: f64| value.is_finite() && value > 0.0;
        if config.min_sources == 0 || !positive(config.min_pps) || !positive(config.min_bps) {
            return invalid("min_sources, min_pps and min_bps must be positive".into());
        }
        if !(config.min_rise.is_finite()
            && config.min_rise >= 1.0
            && config.min_source_rise.is_finite()
            && config.min_source_rise >= 1.0)
        {
            return invalid(format!(
                "min_rise and min_source_rise are factors of at least 1, got {} and {}",
                config.min_rise, config.min_source_rise
            ));
        }
        if !(config.flood_share > 0.0 && config.flood_share <= 1.0) {
            return invalid(format!(
                "flood_share must be in (0, 1], got {}",
                config.flood_share
            ));
        }
        if !(16..=8_000).contains(&config.max_destinations) {
            return invalid(format!(
                "max_destinations must be 16 ..= 8000, got {}",
                config.max_destinations
            ));
        }
        if !(positive(config.half_life_h) && config.half_life_h <= 24.0 * 365.0) {
            return invalid(format!(
                "half_life_h must be in (0, 8760], got {}",
                config.half_life_h
            ));
        }
        if !(10..=3_600).contains(&config.span_s) || !(1..=10_000).contains(&config.max_tracked) {
            return invalid(format!(
                "span_s must be 10 ..= 3600 and max_tracked 1 ..= 10000, got {} and {}",
                config.span_s, config.max_tracked
            ));
        }
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(window) = event.payload else {
            return Ok(vec![]);
        };
        let normals = self.normals.get_or_insert_with(Normals::load);
        let seconds = window_seconds(&window);
        let now_ms = window
            .end_ms
            .max(window.flows.end_ms.iter().copied().max().unwrap_or(0));
        normals.learned.observed_ms += (seconds * 1000.0) as u64;
        let conversations = host::flows::conversations();
        let mut destinations = self.received(&window.flows, seconds, conversations.as_ref());
        self.over_span(&mut destinations, now_ms);
        let mut found = Vec::new();
        let mut learn = Vec::with_capacity(destinations.len());
        for (destination, received) in &destinations {
            match self.judge(*destination, received, now_ms) {
                Some(verdict) => found.push((
                    *destination,
                    self.finding(
                        &window.flows,
                        *destination,
                        received,
                        &verdict,
                        conversations.as_ref(),
                    ),
                )),
                // A window with the signature is never normal, even below the floors: a flood
                // that builds up must not teach itself.
                None if received.flood_share() < self.config.flood_share => {
                    learn.push((
                        *destination,
                        (received.pps, received.bps, received.source_count()),
                    ));
                }
                None => {}
            }
        }
        self.learn(learn, now_ms);
        found.sort_unstable_by_key(|(destination, _)| *destination);
        Ok(found.into_iter().map(|(_, finding)| finding).collect())
    }
}

export_detector!(VolumetricDdos);

#[cfg(test)]
mod tests;
