//! {{NAME}}: a NetAssure detector.

use netassure_plugin_sdk::prelude::*;

/// Configuration, from the `[config]` table of `{{NAME}}.toml` or `PUT /plugins/{{NAME}}/config`.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Utilisation at or above which a sample is reported.
    pub threshold: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { threshold: 0.9 }
    }
}

/// The detector; its fields keep state between events.
#[derive(Default)]
pub struct Plugin {
    config: Config,
}

impl Detector for Plugin {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("{{NAME}}", env!("CARGO_PKG_VERSION"))
            .description("Reports utilisation samples above a threshold")
            .subscribe(EventKind::Telemetry)
            .field(ConfigField::float("threshold", "Utilisation that is reported", 0.9))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Telemetry(sample) = event.payload else { return Ok(vec![]) };
        if sample.metric != "utilisation" || sample.value < self.config.threshold {
            return Ok(vec![]);
        }
        host::log::info(&format!("{} is at {:.0}%", sample.subject, sample.value * 100.0));
        Ok(vec![AnomalyBuilder::new("{{NAME}}", sample.value).link(&sample.subject).build().into()])
    }
}

export_detector!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::telemetry_event;

    #[test]
    fn reports_only_above_threshold() {
        let mut plugin = Plugin::default();
        plugin.configure(Config { threshold: 0.5 }).unwrap();
        assert!(plugin.on_event(telemetry_event(1, "l1", "utilisation", 0.4)).unwrap().is_empty());
        assert_eq!(plugin.on_event(telemetry_event(2, "l1", "utilisation", 0.6)).unwrap().len(), 1);
    }
}
