//! Link-utilisation threshold detector.
//!
//! Watches link utilisation — from telemetry samples (`metric = "utilisation"`, subject a link
//! id) and from topology deltas that set or upsert a link's utilisation — and reports a
//! `link-over-utilised` anomaly when a link crosses `threshold`. To avoid repeating itself it
//! reports a link once when it crosses and again only after it has dropped below
//! `threshold - hysteresis`. A link that goes down while it was hot is not reported here.

use std::collections::HashSet;

use netassure_plugin_sdk::prelude::*;

/// Configuration (JSON object; TOML `[config]` table in the plugin's manifest).
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Utilisation (fraction of capacity) at or above which a link is over-utilised.
    pub threshold: f64,
    /// How far below `threshold` a link must fall before it can be reported again.
    pub hysteresis: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threshold: 0.8,
            hysteresis: 0.05,
        }
    }
}

/// The detector.
#[derive(Default)]
pub struct LinkUtilisation {
    config: Config,
    hot: HashSet<String>,
}

impl LinkUtilisation {
    fn observe(&mut self, link_id: &str, utilisation: f64) -> Option<Anomaly> {
        let Config {
            threshold,
            hysteresis,
        } = self.config;
        if utilisation < threshold {
            if utilisation < threshold - hysteresis {
                self.hot.remove(link_id);
            }
            return None;
        }
        if !self.hot.insert(link_id.to_owned()) {
            return None;
        }
        let link = host::graph::current().link(link_id);
        // Score: 0.5 at the threshold, rising to 1.0 at full utilisation.
        let score = 0.5 + 0.5 * ((utilisation - threshold) / (1.0 - threshold).max(1e-9)).min(1.0);
        let mut anomaly = AnomalyBuilder::new("link-over-utilised", score)
            .link(link_id)
            .pattern(Pattern::Spike)
            .symptom("exceeded", "link", "utilisation above threshold")
            .description(format!(
                "link {link_id} at {:.1}% utilisation (threshold {:.1}%)",
                utilisation * 100.0,
                threshold * 100.0
            ));
        if let Some(link) = link {
            anomaly = anomaly.node(&link.source).node(&link.target);
        }
        Some(anomaly.build())
    }
}

impl Detector for LinkUtilisation {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("link-utilisation", env!("CARGO_PKG_VERSION"))
            .description("Reports links whose utilisation crosses a threshold")
            .subscribe(EventKind::Telemetry)
            .subscribe(EventKind::Topology)
            .field(ConfigField::float(
                "threshold",
                "Utilisation (0..1) that counts as over-utilised",
                0.8,
            ))
            .field(ConfigField::float(
                "hysteresis",
                "Drop below threshold - hysteresis to re-arm",
                0.05,
            ))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        if !(0.0..=10.0).contains(&config.threshold) {
            return Err(PluginError::InvalidConfig(format!(
                "threshold must be between 0 and 10, got {}",
                config.threshold
            )));
        }
        if config.hysteresis < 0.0 {
            return Err(PluginError::InvalidConfig(
                "hysteresis must not be negative".into(),
            ));
        }
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let mut found = Vec::new();
        match event.payload {
            EventPayload::Telemetry(sample) if sample.metric == "utilisation" => {
                found.extend(self.observe(&sample.subject, sample.value));
            }
            EventPayload::Topology(delta) => {
                for change in delta.changes {
                    let update = match change {
                        TopologyChange::LinkUtilisation(change) => {
                            Some((change.link_id, change.utilisation))
                        }
                        TopologyChange::LinkUpsert(link) => link.utilisation.map(|u| (link.id, u)),
                        TopologyChange::LinkRemove(id) => {
                            self.hot.remove(&id);
                            None
                        }
                        _ => None,
                    };
                    if let Some((link_id, utilisation)) = update {
                        found.extend(self.observe(&link_id, utilisation));
                    }
                }
            }
            _ => {}
        }
        Ok(found.into_iter().map(Finding::from).collect())
    }
}

export_detector!(LinkUtilisation);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node, set_graph, telemetry_event};

    fn detector() -> LinkUtilisation {
        set_graph(
            1,
            vec![node("a", "router"), node("b", "router")],
            vec![link("a-b", "a", "b", 10_000_000_000)],
        );
        let mut detector = LinkUtilisation::default();
        detector
            .configure(Config {
                threshold: 0.8,
                hysteresis: 0.1,
            })
            .unwrap();
        detector
    }

    #[test]
    fn reports_crossing_once_then_rearms_below_hysteresis() {
        let mut detector = detector();
        assert!(
            detector
                .on_event(telemetry_event(1, "a-b", "utilisation", 0.5))
                .unwrap()
                .is_empty()
        );
        let found = detector
            .on_event(telemetry_event(2, "a-b", "utilisation", 0.9))
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].nodes, vec!["a", "b"]);
        assert!((found[0].score - 0.75).abs() < 1e-9);
        assert!(
            detector
                .on_event(telemetry_event(3, "a-b", "utilisation", 0.95))
                .unwrap()
                .is_empty()
        );
        assert!(
            detector
                .on_event(telemetry_event(4, "a-b", "utilisation", 0.75))
                .unwrap()
                .is_empty()
        );
        assert!(
            detector
                .on_event(telemetry_event(5, "a-b", "utilisation", 0.9))
                .unwrap()
                .is_empty()
        );
        assert!(
            detector
                .on_event(telemetry_event(6, "a-b", "utilisation", 0.6))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            detector
                .on_event(telemetry_event(7, "a-b", "utilisation", 0.85))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn rejects_bad_threshold() {
        let mut detector = LinkUtilisation::default();
        let err = detector
            .configure(Config {
                threshold: -1.0,
                hysteresis: 0.0,
            })
            .unwrap_err();
        assert!(matches!(err, PluginError::InvalidConfig(_)));
    }
}
