//! Heavy hitters of each flow window with a Count-Min sketch, in fixed memory.
//!
//! For each kind of key (`src`, `dst`, `pair`) the window's bytes or packets go into a Count-Min
//! sketch of `width` × `depth` 64-bit counters (Apache DataSketches). A key whose estimate reaches
//! `min_share` of the traffic seen so far becomes a candidate (a true heavy hitter always does:
//! its estimate never undercounts); when the window closes, candidates whose estimate reaches
//! `min_share` of the whole window are reported as `heavy-hitter` anomalies with the estimate and
//! its error bound. The estimate overcounts by at most e / `width` of the window's traffic with
//! probability 1 − e^−`depth`; the defaults (16,384 × 5, 640 KiB per key kind) bound it at
//! 0.017%.

mod sketch;

use netassure_plugin_sdk::flows::addr_from_u128;
use netassure_plugin_sdk::prelude::*;

pub use sketch::{HeavyHitters, Key};

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Count `bytes` or `packets`.
    pub metric: String,
    /// Keys to sketch: any of `src`, `dst`, `pair`.
    pub by: Vec<String>,
    /// Counters per row (the error bound is e / width of the traffic).
    pub width: u32,
    /// Rows (the bound holds with probability 1 − e^−depth).
    pub depth: u8,
    /// Share of the window's traffic (0..1] that makes a heavy hitter.
    pub min_share: f64,
    /// Windows with less traffic than this (in `metric` units) are not judged.
    pub min_total: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            metric: "bytes".into(),
            by: vec!["src".into(), "dst".into()],
            width: 16_384,
            depth: 5,
            min_share: 0.05,
            min_total: 1_000_000,
        }
    }
}

/// The detector.
#[derive(Default)]
pub struct HeavyHitterDetector {
    config: Config,
    by: Vec<&'static str>,
}

impl HeavyHitterDetector {
    fn sketch_window(&self, batch: &FlowBatch, by: &str) -> HeavyHitters {
        let mut sketch =
            HeavyHitters::new(self.config.width, self.config.depth, self.config.min_share);
        let weights = if self.config.metric == "packets" {
            &batch.packets
        } else {
            &batch.bytes
        };
        for (i, &weight) in weights.iter().enumerate() {
            let key = match by {
                "src" => Key::Host(batch.src_u128(i)),
                "dst" => Key::Host(batch.dst_u128(i)),
                _ => Key::Pair(batch.src_u128(i), batch.dst_u128(i)),
            };
            sketch.add(key, weight);
        }
        sketch
    }

    fn report(&self, sketch: &HeavyHitters, by: &str) -> Vec<Anomaly> {
        let total = sketch.total();
        let unit = &self.config.metric;
        sketch
            .heavy_hitters()
            .into_iter()
            .map(|(key, estimate)| {
                let hosts: Vec<String> = match key {
                    Key::Host(host) => vec![addr_from_u128(host).to_string()],
                    Key::Pair(src, dst) => {
                        vec![addr_from_u128(src).to_string(), addr_from_u128(dst).to_string()]
                    }
                };
                let share = estimate as f64 / total as f64;
                let mut anomaly = AnomalyBuilder::new("heavy-hitter", share.min(1.0))
                    .pattern(Pattern::Spike)
                    .symptom("exceeded", by, "estimated share of the window's traffic above min_share")
                    .description(format!(
                        "{by} heavy hitter {}: ~{estimate} {unit} ({:.2}% of {total}, overcount at most {})",
                        hosts.join(" → "),
                        share * 100.0,
                        sketch.error_bound()
                    ));
                for host in &hosts {
                    anomaly = anomaly.node(host);
                }
                anomaly.build()
            })
            .collect()
    }
}

impl Detector for HeavyHitterDetector {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("heavy-hitters", env!("CARGO_PKG_VERSION"))
            .description("Heavy hitters of each flow window with a Count-Min sketch")
            .subscribe(EventKind::Flows)
            .field(ConfigField::string(
                "metric",
                "Count bytes or packets",
                "bytes",
            ))
            .field(ConfigField::strings(
                "by",
                "Keys to sketch: src, dst, pair",
                &["src", "dst"],
            ))
            .field(ConfigField::integer(
                "width",
                "Counters per row (error e/width)",
                16_384,
            ))
            .field(ConfigField::integer(
                "depth",
                "Rows (confidence 1 - e^-depth)",
                5,
            ))
            .field(ConfigField::float(
                "min_share",
                "Share (0..1] that makes a heavy hitter",
                0.05,
            ))
            .field(ConfigField::integer(
                "min_total",
                "Windows with less traffic (in metric units) are not judged",
                1_000_000,
            ))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        let invalid = |text: String| Err(PluginError::InvalidConfig(text));
        if config.metric != "bytes" && config.metric != "packets" {
            return invalid(format!(
                "metric is bytes or packets, not `{}`",
                config.metric
            ));
        }
        if !(16..=1 << 24).contains(&config.width) {
            return invalid(format!(
                "width must be 16 ..= 16777216, got {}",
                config.width
            ));
        }
        if !(1..=20).contains(&config.depth) {
            return invalid(format!("depth must be 1 ..= 20, got {}", config.depth));
        }
        if !(config.min_share > 0.0 && config.min_share <= 1.0) {
            return invalid(format!(
                "min_share must be in (0, 1], got {}",
                config.min_share
            ));
        }
        self.by = Vec::new();
        for name in &config.by {
            self.by.push(match name.as_str() {
                "src" => "src",
                "dst" => "dst",
                "pair" => "pair",
                other => return invalid(format!("`by` takes src, dst and pair, not `{other}`")),
            });
        }
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(window) = event.payload else {
            return Ok(vec![]);
        };
        let mut found = Vec::new();
        for by in &self.by {
            let sketch = self.sketch_window(&window.flows, by);
            if sketch.total() > 0 && sketch.total() >= self.config.min_total {
                found.extend(self.report(&sketch, by));
            }
        }
        Ok(found.into_iter().map(Finding::from).collect())
    }
}

export_detector!(HeavyHitterDetector);

#[cfg(test)]
mod tests;
