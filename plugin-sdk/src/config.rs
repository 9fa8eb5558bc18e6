//! Typed configuration: the host passes a JSON object, plugins receive their own struct.

use serde::de::DeserializeOwned;

use crate::PluginError;

/// Parse the JSON configuration the host passes to `configure` into `T`.
///
/// An empty string counts as `{}`. Errors name the offending field and become
/// [`PluginError::InvalidConfig`], which the host reports to whoever set the configuration.
pub fn parse_config<T: DeserializeOwned>(json: &str) -> Result<T, PluginError> {
    let json = if json.trim().is_empty() { "{}" } else { json };
    serde_json::from_str(json).map_err(|err| PluginError::InvalidConfig(err.to_string()))
}

/// The configuration of a plugin that takes none: accepts only an empty object.
#[derive(Debug, Default, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoConfig {}
