//! {{NAME}}: a NetAssure alert rule.

use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Anomalies scoring below this raise no alert.
    pub min_score: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { min_score: 0.5 }
    }
}

/// The rule.
#[derive(Default)]
pub struct Plugin {
    config: Config,
}

impl AlertRule for Plugin {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::alert_rule("{{NAME}}", env!("CARGO_PKG_VERSION"))
            .description("Raises a major alert for anomalies above a score")
            .field(ConfigField::float("min_score", "Lowest score that raises an alert", 0.5))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        self.config = config;
        Ok(())
    }

    fn evaluate(&mut self, anomaly: Anomaly, context: AlertContext) -> Result<Option<Alert>, PluginError> {
        if anomaly.score < self.config.min_score {
            return Ok(None);
        }
        Ok(Some(Alert {
            severity: Severity::Major,
            node: anomaly.nodes.first().cloned(),
            message: format!("{} from {}", anomaly.kind, context.detector),
            dedup_key: anomaly.kind,
        }))
    }
}

export_alert_rule!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_above_min_score() {
        let mut plugin = Plugin::default();
        plugin.configure(Config::default()).unwrap();
        let context = AlertContext { detector: "d".into(), event_id: 1, detected_at_ms: 0 };
        assert!(plugin.evaluate(AnomalyBuilder::new("k", 0.2).build(), context.clone()).unwrap().is_none());
        assert!(plugin.evaluate(AnomalyBuilder::new("k", 0.8).build(), context).unwrap().is_some());
    }
}
