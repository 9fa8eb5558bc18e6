//! Alert-throttle rule: at most one alert per dedup key per `window_s` seconds (a suppression
//! window kept inside the plugin), severity from the anomaly score, and a minimum score.
//! Useful in front of paging systems that should hear about a problem once, not on every sample.

use std::collections::HashMap;

use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// One alert per key per this many seconds.
    pub window_s: u64,
    /// Anomalies below this score raise no alert.
    pub min_score: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            window_s: 600,
            min_score: 0.5,
        }
    }
}

/// The rule.
#[derive(Default)]
pub struct AlertThrottle {
    config: Config,
    last_alert_ms: HashMap<String, u64>,
}

impl AlertRule for AlertThrottle {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::alert_rule("alert-throttle", env!("CARGO_PKG_VERSION"))
            .description("At most one alert per key per window")
            .field(ConfigField::integer(
                "window_s",
                "Seconds between two alerts of one key",
                600,
            ))
            .field(ConfigField::float(
                "min_score",
                "Anomalies below this score raise no alert",
                0.5,
            ))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
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
        let key = anomaly.dedup_key();
        let now = context.detected_at_ms;
        let window_ms = self.config.window_s.saturating_mul(1000);
        if self
            .last_alert_ms
            .get(&key)
            .is_some_and(|last| now < last.saturating_add(window_ms))
        {
            host::metrics::counter_add("throttled", 1);
            return Ok(None);
        }
        self.last_alert_ms.insert(key.clone(), now);
        self.last_alert_ms
            .retain(|_, last| now < last.saturating_add(window_ms));
        let severity = if anomaly.score >= 0.9 {
            Severity::Critical
        } else if anomaly.score >= 0.7 {
            Severity::Major
        } else {
            Severity::Minor
        };
        Ok(Some(Alert {
            severity,
            node: anomaly.nodes.first().cloned(),
            message: anomaly.description.clone(),
            dedup_key: key,
        }))
    }
}

export_alert_rule!(AlertThrottle);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_alert_per_key_per_window() {
        let mut rule = AlertThrottle::default();
        rule.configure(Config {
            window_s: 10,
            min_score: 0.5,
        })
        .unwrap();
        let at = |ms| AlertContext {
            detector: "d".into(),
            event_id: 1,
            detected_at_ms: ms,
        };
        let anomaly = AnomalyBuilder::new("link-down", 0.95).link("l1").build();
        assert!(rule.evaluate(anomaly.clone(), at(1_000)).unwrap().is_some());
        assert!(rule.evaluate(anomaly.clone(), at(5_000)).unwrap().is_none());
        let other = AnomalyBuilder::new("link-down", 0.95).link("l2").build();
        assert!(
            rule.evaluate(other, at(5_000)).unwrap().is_some(),
            "keys are throttled apart"
        );
        let alert = rule.evaluate(anomaly, at(11_000)).unwrap().unwrap();
        assert_eq!(alert.severity, Severity::Critical);
        assert!(
            rule.evaluate(AnomalyBuilder::new("x", 0.2).build(), at(20_000))
                .unwrap()
                .is_none()
        );
    }
}
