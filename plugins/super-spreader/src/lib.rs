//! Super-spreaders and port scans: sources that reach unusually many distinct destinations, or
//! unusually many distinct destination ports, within one flow window.
//!
//! Per source host, two HyperLogLog sketches (Apache DataSketches, 2^`lg_k` registers, relative
//! standard error 1.04 / √2^`lg_k`: 3.3% at the default 10) count distinct destination hosts and
//! distinct destination ports, so a scanner touching millions of targets costs a fixed 1 KiB per
//! sketch (small counts stay exact in the sketch's list mode). A source reaching
//! `min_destinations` is a `super-spreader`, one reaching `min_ports` a `port-scan`.

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
    /// Distinct destination hosts that make a source a super-spreader.
    pub min_destinations: u64,
    /// Distinct destination ports that make a source a port scanner.
    pub min_ports: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lg_k: 10,
            min_destinations: 100,
            min_ports: 100,
        }
    }
}

/// Distinct destinations and ports of one source.
#[derive(Clone)]
pub struct Spread {
    /// Distinct destination hosts.
    pub destinations: HllSketch,
    /// Distinct destination ports.
    pub ports: HllSketch,
    /// Flows from the source.
    pub flows: u64,
}

/// Every source of `batch` with its spread.
pub fn spreads(batch: &FlowBatch, lg_k: u8) -> HashMap<u128, Spread> {
    let empty = HllSketch::new(lg_k, HllType::Hll8).expect("lg_k was checked");
    let mut sources: HashMap<u128, Spread> = HashMap::new();
    for i in 0..batch.len() {
        let spread = sources.entry(batch.src_u128(i)).or_insert_with(|| Spread {
            destinations: empty.clone(),
            ports: empty.clone(),
            flows: 0,
        });
        spread.destinations.update(batch.dst_u128(i));
        spread.ports.update(batch.dst_port[i]);
        spread.flows += 1;
    }
    sources
}

/// Score from how far `estimate` is past `threshold`: 0.5 at it, towards 1 far beyond.
fn score(estimate: f64, threshold: u64) -> f64 {
    0.5 + 0.5 * (1.0 - threshold as f64 / estimate.max(1.0)).clamp(0.0, 1.0)
}

/// The detector.
#[derive(Default)]
pub struct SuperSpreader {
    config: Config,
}

impl SuperSpreader {
    fn judge(&self, source: u128, spread: &Spread, found: &mut Vec<Anomaly>) {
        let host = addr_from_u128(source).to_string();
        let destinations = spread.destinations.estimate();
        if destinations >= self.config.min_destinations as f64 {
            found.push(
                AnomalyBuilder::new(
                    "super-spreader",
                    score(destinations, self.config.min_destinations),
                )
                .node(&host)
                .pattern(Pattern::Spike)
                .symptom(
                    "exceeded",
                    "distinct-destinations",
                    "contacts unusually many hosts",
                )
                .description(format!(
                    "{host} reached ~{destinations:.0} distinct hosts in {} flows (threshold {})",
                    spread.flows, self.config.min_destinations
                ))
                .build(),
            );
        }
        let ports = spread.ports.estimate();
        if ports >= self.config.min_ports as f64 {
            found.push(
                AnomalyBuilder::new("port-scan", score(ports, self.config.min_ports))
                    .node(&host)
                    .pattern(Pattern::Spike)
                    .symptom("exceeded", "distinct-ports", "probes unusually many ports")
                    .description(format!(
                        "{host} probed ~{ports:.0} distinct destination ports in {} flows (threshold {})",
                        spread.flows, self.config.min_ports
                    ))
                    .build(),
            );
        }
    }
}

impl Detector for SuperSpreader {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("super-spreader", env!("CARGO_PKG_VERSION"))
            .description("Sources reaching many distinct hosts (super-spreaders) or ports (port scans), with HyperLogLog")
            .subscribe(EventKind::Flows)
            .field(ConfigField::integer("lg_k", "log2 registers per HyperLogLog sketch (4..=21)", 10))
            .field(ConfigField::integer(
                "min_destinations",
                "Distinct destination hosts that make a super-spreader",
                100,
            ))
            .field(ConfigField::integer("min_ports", "Distinct destination ports that make a port scan", 100))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        if !(4..=21).contains(&config.lg_k) {
            return Err(PluginError::InvalidConfig(format!(
                "lg_k must be 4 ..= 21, got {}",
                config.lg_k
            )));
        }
        if config.min_destinations == 0 || config.min_ports == 0 {
            return Err(PluginError::InvalidConfig(
                "min_destinations and min_ports must be at least 1".into(),
            ));
        }
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(window) = event.payload else {
            return Ok(vec![]);
        };
        let mut sources: Vec<(u128, Spread)> = spreads(&window.flows, self.config.lg_k)
            .into_iter()
            .collect();
        sources.sort_unstable_by_key(|(source, _)| *source);
        let mut found = Vec::new();
        for (source, spread) in &sources {
            self.judge(*source, spread, &mut found);
        }
        Ok(found.into_iter().map(Finding::from).collect())
    }
}

export_detector!(SuperSpreader);

#[cfg(test)]
mod tests;
