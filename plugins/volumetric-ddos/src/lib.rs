//! Volumetric DDoS: a destination receiving traffic from many distinct sources at a high rate
//! within one flow window.
//!
//! Per destination host the detector sums packets and bytes exactly and counts distinct
//! sources with a HyperLogLog sketch (Apache DataSketches, 2^`lg_k` registers; 3.3% relative
//! standard error at the default 10), so a flood from millions of spoofed sources costs a fixed
//! 1 KiB per destination. A destination with at least `min_sources` sources and a rate of at
//! least `min_pps` packets/s or `min_bps` bits/s over the window is a `volumetric-ddos`.

use std::collections::HashMap;

use datasketches::hll::{HllSketch, HllType};
use netassure_plugin_sdk::flows::addr_from_u128;
use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// log2 of the registers of each HyperLogLog sketch (4 ..= 21).
    pub lg_k: u8,
    /// Distinct sources a destination must receive from.
    pub min_sources: u64,
    /// Packets per second over the window that count as a flood.
    pub min_pps: f64,
    /// Bits per second over the window that count as a flood.
    pub min_bps: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lg_k: 10,
            min_sources: 100,
            min_pps: 10_000.0,
            min_bps: 100e6,
        }
    }
}

/// What one destination received in a window.
#[derive(Clone)]
pub struct Inbound {
    /// Distinct sources.
    pub sources: HllSketch,
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
}

/// Every destination of `batch` with what it received.
pub fn inbound(batch: &FlowBatch, lg_k: u8) -> HashMap<u128, Inbound> {
    let empty = HllSketch::new(lg_k, HllType::Hll8).expect("lg_k was checked");
    let mut destinations: HashMap<u128, Inbound> = HashMap::new();
    for i in 0..batch.len() {
        let entry = destinations
            .entry(batch.dst_u128(i))
            .or_insert_with(|| Inbound {
                sources: empty.clone(),
                packets: 0,
                bytes: 0,
            });
        entry.sources.update(batch.src_u128(i));
        entry.packets += batch.packets[i];
        entry.bytes += batch.bytes[i];
    }
    destinations
}

/// The window's length in seconds: its bounds, or else the span of its flows (at least 1 ms).
fn window_seconds(window: &FlowWindow) -> f64 {
    let span = window.end_ms.saturating_sub(window.start_ms);
    let span = if span > 0 {
        span
    } else {
        let first = window.flows.start_ms.iter().min().copied().unwrap_or(0);
        let last = window.flows.end_ms.iter().max().copied().unwrap_or(0);
        last.saturating_sub(first)
    };
    span.max(1) as f64 / 1000.0
}

/// The detector.
#[derive(Default)]
pub struct VolumetricDdos {
    config: Config,
}

impl VolumetricDdos {
    fn judge(&self, destination: u128, inbound: &Inbound, seconds: f64) -> Option<Anomaly> {
        let sources = inbound.sources.estimate();
        let pps = inbound.packets as f64 / seconds;
        let bps = inbound.bytes as f64 * 8.0 / seconds;
        let config = &self.config;
        if sources < config.min_sources as f64 || (pps < config.min_pps && bps < config.min_bps) {
            return None;
        }
        let excess = (pps / config.min_pps).max(bps / config.min_bps);
        let score = 0.5 + 0.5 * (1.0 - 1.0 / excess.max(1.0));
        let host = addr_from_u128(destination).to_string();
        Some(
            AnomalyBuilder::new("volumetric-ddos", score)
                .node(&host)
                .pattern(Pattern::Spike)
                .symptom(
                    "flooded",
                    "inbound-rate",
                    "many sources send at a high rate",
                )
                .description(format!(
                    "{host} receives from ~{sources:.0} sources: {pps:.0} packets/s, {:.1} Mbit/s",
                    bps / 1e6
                ))
                .build(),
        )
    }
}

impl Detector for VolumetricDdos {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("volumetric-ddos", env!("CARGO_PKG_VERSION"))
            .description("Destinations flooded by many sources (distinct sources with HyperLogLog)")
            .subscribe(EventKind::Flows)
            .field(ConfigField::integer(
                "lg_k",
                "log2 registers per HyperLogLog sketch (4..=21)",
                10,
            ))
            .field(ConfigField::integer(
                "min_sources",
                "Distinct sources a victim receives from",
                100,
            ))
            .field(ConfigField::float(
                "min_pps",
                "Packets per second that make a flood",
                10_000.0,
            ))
            .field(ConfigField::float(
                "min_bps",
                "Bits per second that make a flood",
                100e6,
            ))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        if !(4..=21).contains(&config.lg_k) {
            return Err(PluginError::InvalidConfig(format!(
                "lg_k must be 4 ..= 21, got {}",
                config.lg_k
            )));
        }
        let positive = |value: f64| value.is_finite() && value > 0.0;
        if config.min_sources == 0 || !positive(config.min_pps) || !positive(config.min_bps) {
            return Err(PluginError::InvalidConfig(
                "min_sources, min_pps and min_bps must be positive".into(),
            ));
        }
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(window) = event.payload else {
            return Ok(vec![]);
        };
        let seconds = window_seconds(&window);
        let mut destinations: Vec<(u128, Inbound)> = inbound(&window.flows, self.config.lg_k)
            .into_iter()
            .collect();
        destinations.sort_unstable_by_key(|(destination, _)| *destination);
        Ok(destinations
            .iter()
            .filter_map(|(destination, inbound)| self.judge(*destination, inbound, seconds))
            .map(Finding::from)
            .collect())
    }
}

export_detector!(VolumetricDdos);

#[cfg(test)]
mod tests;
