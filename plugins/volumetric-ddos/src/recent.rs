//! The last `span_s` of the destinations that may be flooded. A flow record arrives when its
//! flow ends or an exporter's active timeout cuts it, so the records of a long flood from a few
//! hundred reflectors are spread over the timeout: each ten-second window holds a few dozen of
//! them. Over the span the flood is whole — all its sources, all its packets.
//!
//! Destinations are tracked once a window shows a quarter of `min_sources` and either the flood
//! signature or a quarter of `min_pps`; at most `max_tracked` (the ones not seen longest are
//! dropped first). A tracked destination keeps one step per twelfth of the span (`STEPS`): the
//! windows that end in the same twelfth add up in one step (their sources as the union of
//! their HyperLogLog sketches), and the steps are merged over the span when judged. However
//! short the windows — a collector cuts one every 100k flows, ten a second at 1 M flows/s — a
//! destination costs at most 13 steps of memory and of merging; a step leaves when its last
//! window is older than the span, so the span reaches back up to a twelfth further.

use std::collections::VecDeque;

use netassure_plugin_sdk::collections::HashMap;

use crate::inbound::Inbound;

/// Steps per span.
const STEPS: u64 = 12;

/// The windows of a tracked destination that end in one twelfth of the span.
#[derive(Clone)]
struct Step {
    end_ms: u64,
    received: Inbound,
}

/// One window of a destination, as `Recent::add` takes it.
pub struct Window<'a> {
    /// What the destination received.
    pub received: &'a Inbound,
    /// When the window ended, ms.
    pub end_ms: u64,
    /// The span, ms.
    pub span_ms: u64,
}

/// The tracked destinations.
#[derive(Default)]
pub struct Recent {
    by_destination: HashMap<u128, VecDeque<Step>>,
}

impl std::fmt::Debug for Recent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Recent({} destinations)", self.by_destination.len())
    }
}

impl Recent {
    /// True when `destination` is tracked.
    pub fn tracks(&self, destination: u128) -> bool {
        self.by_destination.contains_key(&destination)
    }

    /// Add the window ending `end_ms` of `destination` (tracking it, within `max`) to the step
    /// of its twelfth of `span_ms`.
    pub fn add(&mut self, destination: u128, window: Window<'_>, max: usize, lg_k: u8) {
        if !self.tracks(destination) && self.by_destination.len() >= max {
            return;
        }
        let steps = self.by_destination.entry(destination).or_default();
        let twelfth = (window.span_ms / STEPS).max(1);
        match steps.back_mut() {
            Some(last) if last.end_ms / twelfth == window.end_ms / twelfth => {
                last.end_ms = last.end_ms.max(window.end_ms);
                last.received.absorb(window.received, lg_k);
            }
            _ => steps.push_back(Step {
                end_ms: window.end_ms,
                received: window.received.clone(),
            }),
        }
    }

    /// `destination` over the span: rates the larger of the window's and the span's (its
    /// packets over `span_s`), sources over the span, the signature of the window or the span,
    /// whichever is stronger. `None` when not tracked.
    pub fn over_span(
        &self,
        destination: u128,
        window: &Inbound,
        span_s: f64,
        lg_k: u8,
    ) -> Option<Inbound> {
        let steps = self.by_destination.get(&destination)?;
        let mut total = Inbound::default();
        for step in steps {
            total.absorb(&step.received, lg_k);
        }
        if window.flood_share() > total.flood_share() {
            // A flood that has just begun is clearer in its own window than over the span.
            (total.packets, total.flood_packets) = (window.packets, window.flood_packets);
            total.unsolicited_packets = window.unsolicited_packets;
        }
        total.pps = window.pps.max(total.packets as f64 / span_s);
        total.bps = window.bps.max(total.bytes as f64 * 8.0 / span_s);
        Some(total)
    }

    /// Steps kept for `destination`.
    #[cfg(test)]
    pub fn steps(&self, destination: u128) -> usize {
        self.by_destination
            .get(&destination)
            .map_or(0, VecDeque::len)
    }

    /// Forget steps that ended `span_ms` or more before `now_ms`, and destinations left with
    /// none.
    pub fn expire(&mut self, now_ms: u64, span_ms: u64) {
        let oldest = now_ms.saturating_sub(span_ms);
        self.by_destination.retain(|_, steps| {
            while steps.front().is_some_and(|step| step.end_ms <= oldest) {
                steps.pop_front();
            }
            !steps.is_empty()
        });
    }
}
