//! Builders for what `describe()` returns: the plugin's identity and its configuration shape.

use crate::{ConfigField, EventKind, PluginInfo, PluginKind};

/// Builds a [`PluginInfo`].
///
/// ```
/// use netassure_plugin_sdk::prelude::*;
/// let info = Describe::detector("hot-links", "0.1.0")
///     .description("Links above a utilisation threshold")
///     .subscribe(EventKind::Telemetry)
///     .field(ConfigField::float("threshold", "Utilisation that counts as hot", 0.9))
///     .build();
/// assert_eq!(info.kind, PluginKind::Detector);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Describe {
    info: PluginInfo,
}

impl Describe {
    fn new(kind: PluginKind, name: &str, version: &str) -> Self {
        Describe {
            info: PluginInfo {
                name: name.to_owned(),
                version: version.to_owned(),
                kind,
                description: String::new(),
                subscriptions: Vec::new(),
                config: Vec::new(),
            },
        }
    }

    /// A detector called `name`.
    pub fn detector(name: &str, version: &str) -> Self {
        Self::new(PluginKind::Detector, name, version)
    }

    /// A graph algorithm called `name`.
    pub fn graph_algorithm(name: &str, version: &str) -> Self {
        Self::new(PluginKind::GraphAlgorithm, name, version)
    }

    /// An alert rule called `name`.
    pub fn alert_rule(name: &str, version: &str) -> Self {
        Self::new(PluginKind::AlertRule, name, version)
    }

    /// One sentence on what the plugin does.
    pub fn description(mut self, text: &str) -> Self {
        self.info.description = text.to_owned();
        self
    }

    /// Subscribe a detector to an event kind.
    pub fn subscribe(mut self, kind: EventKind) -> Self {
        self.info.subscriptions.push(kind);
        self
    }

    /// Declare a configuration field.
    pub fn field(mut self, field: ConfigField) -> Self {
        self.info.config.push(field);
        self
    }

    /// The finished description.
    pub fn build(self) -> PluginInfo {
        self.info
    }
}

impl ConfigField {
    fn with_default(name: &str, value_type: &str, description: &str, default: String) -> Self {
        ConfigField {
            name: name.to_owned(),
            value_type: value_type.to_owned(),
            description: description.to_owned(),
            default_value: Some(default),
            required: false,
        }
    }

    /// A floating-point field with a default.
    pub fn float(name: &str, description: &str, default: f64) -> Self {
        Self::with_default(name, "float", description, default.to_string())
    }

    /// An integer field with a default.
    pub fn integer(name: &str, description: &str, default: i64) -> Self {
        Self::with_default(name, "integer", description, default.to_string())
    }

    /// A boolean field with a default.
    pub fn boolean(name: &str, description: &str, default: bool) -> Self {
        Self::with_default(name, "bool", description, default.to_string())
    }

    /// A string field with a default.
    pub fn string(name: &str, description: &str, default: &str) -> Self {
        let json = format!("\"{}\"", default.replace('\\', "\\\\").replace('"', "\\\""));
        Self::with_default(name, "string", description, json)
    }

    /// A list-of-strings field with a default.
    pub fn strings(name: &str, description: &str, default: &[&str]) -> Self {
        let json = serde_json::to_string(default).expect("strings serialise");
        Self::with_default(name, "list<string>", description, json)
    }

    /// A field of any type (`value_type` names it) that may be left out and has no default.
    pub fn optional(name: &str, value_type: &str, description: &str) -> Self {
        ConfigField {
            name: name.to_owned(),
            value_type: value_type.to_owned(),
            description: description.to_owned(),
            default_value: None,
            required: false,
        }
    }

    /// A field of any type (`value_type` names it) that `configure` requires.
    pub fn required(name: &str, value_type: &str, description: &str) -> Self {
        ConfigField {
            name: name.to_owned(),
            value_type: value_type.to_owned(),
            description: description.to_owned(),
            default_value: None,
            required: true,
        }
    }
}
