//! The optional sidecar manifest `NAME.toml` beside `NAME.wasm` in the plugin directory.
//!
//! ```toml
//! # plugins/link-utilisation.toml
//! enabled = true            # false: loaded but receives nothing
//!
//! [limits]                  # each field overrides [plugins.limits] of netassure.toml
//! deadline_ms = 50
//! memory_mb = 32
//! max_consecutive_failures = 3
//!
//! [config]                  # passed to the plugin's configure() as a JSON object
//! threshold = 0.85
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::runtime::LimitOverrides;

/// A plugin manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Whether the plugin receives events. Example: `enabled = true`.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Limit overrides. Example: `[limits] deadline_ms = 50`.
    #[serde(default, skip_serializing_if = "is_default_limits")]
    pub limits: LimitOverrides,
    /// The plugin's configuration. Example: `[config] threshold = 0.85`.
    #[serde(default = "empty_table")]
    pub config: toml::Table,
}

fn enabled_by_default() -> bool {
    true
}

fn empty_table() -> toml::Table {
    toml::Table::new()
}

fn is_default_limits(limits: &LimitOverrides) -> bool {
    *limits == LimitOverrides::default()
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            enabled: true,
            limits: LimitOverrides::default(),
            config: toml::Table::new(),
        }
    }
}

impl Manifest {
    /// Read the manifest at `path`; a missing file is the default manifest.
    pub fn read(path: &Path) -> anyhow::Result<Manifest> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str(&text).map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(err) => Err(anyhow::anyhow!("{}: {err}", path.display())),
        }
    }

    /// Write the manifest to `path` atomically (temporary file, then rename).
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = toml::to_string_pretty(self)?;
        crate::fsutil::write_atomic(path, text.as_bytes())
    }

    /// The configuration as the JSON text `configure()` receives.
    pub(crate) fn config_json(&self) -> String {
        serde_json::to_string(&self.config).unwrap_or_else(|_| "{}".into())
    }

    /// Replace the configuration with a JSON object; TOML cannot hold `null`, so nulls are
    /// refused with the path of the offending value.
    pub(crate) fn set_config_json(&mut self, config: &serde_json::Value) -> Result<(), String> {
        if !config.is_object() {
            return Err("the configuration must be a JSON object".into());
        }
        self.config = serde_json::from_value(config.clone())
            .map_err(|err| format!("not representable in TOML: {err}"))?;
        Ok(())
    }
}
