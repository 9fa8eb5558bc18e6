//! Severity-mapping alert rule: turns anomalies into alerts with a severity taken from the
//! anomaly score, dropping anomalies below `min_score`.
//!
//! Default bands: score ≥ 0.9 critical, ≥ 0.75 major, ≥ 0.6 minor, ≥ 0.4 warning, else info.
//! Per-kind overrides (`overrides = { "link-down" = "critical" }`) pin a kind to a severity.
//! The dedup key is `kind:first-link-or-node`, so repeats of one problem are one alert.

use std::collections::BTreeMap;

use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Anomalies scoring below this never become alerts.
    pub min_score: f64,
    /// Lowest scores for critical, major, minor and warning, in that order.
    pub bands: [f64; 4],
    /// Severity per anomaly kind, overriding the bands.
    pub overrides: BTreeMap<String, SeverityName>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_score: 0.3,
            bands: [0.9, 0.75, 0.6, 0.4],
            overrides: BTreeMap::new(),
        }
    }
}

/// A severity as written in configuration.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum SeverityName {
    Info,
    Warning,
    Minor,
    Major,
    Critical,
}

impl From<SeverityName> for Severity {
    fn from(name: SeverityName) -> Self {
        match name {
            SeverityName::Info => Severity::Info,
            SeverityName::Warning => Severity::Warning,
            SeverityName::Minor => Severity::Minor,
            SeverityName::Major => Severity::Major,
            SeverityName::Critical => Severity::Critical,
        }
    }
}

/// The rule.
#[derive(Default)]
pub struct SeverityMapping {
    config: Config,
}

impl SeverityMapping {
    fn severity(&self, anomaly: &Anomaly) -> Severity {
        if let Some(&pinned) = self.config.overrides.get(&anomaly.kind) {
            return pinned.into();
        }
        Severity::from_score_bands(anomaly.score, self.config.bands)
    }
}

impl AlertRule for SeverityMapping {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::alert_rule("severity-mapping", env!("CARGO_PKG_VERSION"))
            .description("Maps anomaly scores to alert severities")
            .field(ConfigField::float(
                "min_score",
                "Anomalies below this score raise no alert",
                0.3,
            ))
            .field(ConfigField::required(
                "bands",
                "list<float>",
                "Lowest score for critical, major, minor, warning",
            ))
            .field(ConfigField::required(
                "overrides",
                "map<string, severity>",
                "Severity per anomaly kind",
            ))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        if config.bands.windows(2).any(|pair| pair[0] < pair[1]) {
            return Err(PluginError::InvalidConfig(
                "bands must be in descending order".into(),
            ));
        }
        self.config = config;
        Ok(())
    }

    fn evaluate(
        &mut self,
        anomaly: Anomaly,
        context: AlertContext,
    ) -> Result<Option<Alert>, PluginError> {
        if anomaly.score < self.config.min_score {
            return Ok(None);
        }
        let subject = anomaly.subject().unwrap_or_default().to_owned();
        let message = if anomaly.description.is_empty() {
            format!(
                "{} on {subject} (detector {})",
                anomaly.kind, context.detector
            )
        } else {
            anomaly.description.clone()
        };
        Ok(Some(Alert {
            severity: self.severity(&anomaly),
            node: anomaly.nodes.first().cloned(),
            message,
            dedup_key: anomaly.dedup_key(),
        }))
    }
}

export_alert_rule!(SeverityMapping);

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> AlertContext {
        AlertContext {
            detector: "test".into(),
            event_id: 1,
            detected_at_ms: 0,
        }
    }

    #[test]
    fn maps_scores_to_bands_and_drops_low_scores() {
        let mut rule = SeverityMapping::default();
        rule.configure(Config::default()).unwrap();
        let high = AnomalyBuilder::new("link-over-utilised", 0.95)
            .link("l1")
            .node("r1")
            .build();
        let alert = rule.evaluate(high, context()).unwrap().unwrap();
        assert_eq!(alert.severity, Severity::Critical);
        assert_eq!(alert.node.as_deref(), Some("r1"));
        assert_eq!(alert.dedup_key, "link-over-utilised:l1");
        let mid = AnomalyBuilder::new("x", 0.65).build();
        assert_eq!(
            rule.evaluate(mid, context()).unwrap().unwrap().severity,
            Severity::Minor
        );
        assert!(
            rule.evaluate(AnomalyBuilder::new("x", 0.1).build(), context())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn overrides_pin_a_kind() {
        let mut rule = SeverityMapping::default();
        let config: Config =
            netassure_plugin_sdk::parse_config(r#"{"overrides": {"link-down": "critical"}}"#)
                .unwrap();
        rule.configure(config).unwrap();
        let alert = rule
            .evaluate(AnomalyBuilder::new("link-down", 0.35).build(), context())
            .unwrap();
        assert_eq!(alert.unwrap().severity, Severity::Critical);
    }
}
