//! Maintenance-window alert rule: raises alerts like a severity mapping, except for anomalies
//! on nodes or links inside a declared maintenance window, which stay silent.
//!
//! ```toml
//! [config]
//! min_score = 0.3
//! [[config.windows]]
//! subjects = ["leaf-3", "leaf-3--spine-1"]   # node or link ids; "*" for everything
//! start_ms = 1790000000000                    # window start, ms since the epoch
//! end_ms = 1790003600000                      # window end (exclusive)
//! ```

use netassure_plugin_sdk::prelude::*;

/// One maintenance window.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Node or link ids it covers; `*` covers everything.
    pub subjects: Vec<String>,
    /// Start, ms since the epoch.
    pub start_ms: u64,
    /// End (exclusive), ms since the epoch.
    pub end_ms: u64,
}

impl Window {
    fn covers(&self, anomaly: &Anomaly, now_ms: u64) -> bool {
        let in_time = (self.start_ms..self.end_ms).contains(&now_ms);
        let named = |id: &String| {
            self.subjects
                .iter()
                .any(|subject| subject == "*" || subject == id)
        };
        in_time && (anomaly.nodes.iter().any(named) || anomaly.links.iter().any(named))
    }
}

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Anomalies below this score raise no alert.
    pub min_score: f64,
    /// The maintenance windows.
    pub windows: Vec<Window>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_score: 0.3,
            windows: Vec::new(),
        }
    }
}

/// The rule.
#[derive(Default)]
pub struct MaintenanceWindow {
    config: Config,
}

impl AlertRule for MaintenanceWindow {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::alert_rule("maintenance-window", env!("CARGO_PKG_VERSION"))
            .description("Alerts by score, silent for subjects inside a maintenance window")
            .field(ConfigField::float(
                "min_score",
                "Anomalies below this score raise no alert",
                0.3,
            ))
            .field(ConfigField::required(
                "windows",
                "list<window>",
                "Maintenance windows: subjects, start_ms, end_ms",
            ))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        if let Some(window) = config
            .windows
            .iter()
            .find(|window| window.end_ms <= window.start_ms)
        {
            return Err(PluginError::InvalidConfig(format!(
                "window {:?} ends before it starts",
                window.subjects
            )));
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
        let now = context.detected_at_ms;
        if self
            .config
            .windows
            .iter()
            .any(|window| window.covers(&anomaly, now))
        {
            host::log::debug(&format!(
                "{} silenced by a maintenance window",
                anomaly.kind
            ));
            return Ok(None);
        }
        let subject = anomaly.subject().unwrap_or_default().to_owned();
        Ok(Some(Alert {
            severity: Severity::from_score(anomaly.score),
            node: anomaly.nodes.first().cloned(),
            message: if anomaly.description.is_empty() {
                format!("{} on {subject}", anomaly.kind)
            } else {
                anomaly.description.clone()
            },
            dedup_key: anomaly.dedup_key(),
        }))
    }
}

export_alert_rule!(MaintenanceWindow);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_inside_a_window_only() {
        let mut rule = MaintenanceWindow::default();
        let config: Config = netassure_plugin_sdk::parse_config(
            r#"{"windows": [{"subjects": ["leaf-3"], "start_ms": 1000, "end_ms": 2000}]}"#,
        )
        .unwrap();
        rule.configure(config).unwrap();
        let anomaly = AnomalyBuilder::new("link-down", 0.8)
            .node("leaf-3")
            .link("l1")
            .build();
        let at = |ms| AlertContext {
            detector: "d".into(),
            event_id: 1,
            detected_at_ms: ms,
        };
        assert!(rule.evaluate(anomaly.clone(), at(1500)).unwrap().is_none());
        let alert = rule.evaluate(anomaly.clone(), at(2500)).unwrap().unwrap();
        assert_eq!(
            (alert.severity, alert.dedup_key.as_str()),
            (Severity::Major, "link-down:l1")
        );
        let other = AnomalyBuilder::new("link-down", 0.8).node("leaf-4").build();
        assert!(rule.evaluate(other, at(1500)).unwrap().is_some());
        let bad: Config = netassure_plugin_sdk::parse_config(
            r#"{"windows": [{"subjects": ["*"], "start_ms": 5, "end_ms": 5}]}"#,
        )
        .unwrap();
        assert!(matches!(
            rule.configure(bad),
            Err(PluginError::InvalidConfig(_))
        ));
    }
}
