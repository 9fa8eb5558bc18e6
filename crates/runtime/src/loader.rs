//! Turning component bytes into a validated [`LoadedComponent`]: compile (or load from the
//! cache), check the imports against the linker and the exports against our three worlds,
//! then instantiate once and call `describe()` and `configure()`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use wasmtime::component::Component;

use super::bindings::{alert_rule, detector, graph_algorithm, plugin as wp};
use super::{CacheOutcome, CallError, Limits, PluginInstance, Runtime, content_hash, convert};

/// Why a component was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Not a valid WebAssembly component for this engine.
    #[error("not a valid WebAssembly component: {0}")]
    NotAComponent(String),
    /// It imports something the host does not provide.
    #[error("component imports something the host does not provide: {0}")]
    UnsupportedImports(String),
    /// It exports none of the three worlds.
    #[error(
        "component does not implement a netassure:plugin@0.1.x world (detector, graph-algorithm or alert-rule)"
    )]
    WrongWorld,
    /// `describe()` claims another kind than the world the component exports.
    #[error("describe() says kind `{claimed}` but the component exports the `{world}` world")]
    KindMismatch {
        /// Kind returned by `describe()`.
        claimed: super::PluginKind,
        /// World the component exports.
        world: super::PluginKind,
    },
    /// Instantiation, `describe()` or `configure()` failed.
    #[error("{stage} failed: {error}")]
    Call {
        /// Which step.
        stage: &'static str,
        /// The failure.
        error: CallError,
    },
    /// `configure()` rejected the configuration.
    #[error("configure() rejected the configuration: {0}")]
    Config(String),
}

/// What `describe()` returned, in the host's JSON form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginInfoRecord {
    /// Plugin's own name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `detector`, `graph-algorithm` or `alert-rule`.
    pub kind: super::PluginKind,
    /// Description.
    pub description: String,
    /// Event kinds subscribed to.
    pub subscriptions: Vec<netassure_model::EventKind>,
    /// Configuration fields.
    pub config: Vec<ConfigFieldRecord>,
}

/// One configuration field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigFieldRecord {
    /// Name.
    pub name: String,
    /// Value type.
    pub value_type: String,
    /// Description.
    pub description: String,
    /// Default as JSON text.
    pub default_value: Option<String>,
    /// Required.
    pub required: bool,
}

impl From<&wp::PluginInfo> for PluginInfoRecord {
    fn from(info: &wp::PluginInfo) -> Self {
        PluginInfoRecord {
            name: info.name.clone(),
            version: info.version.clone(),
            kind: info.kind.into(),
            description: info.description.clone(),
            subscriptions: info
                .subscriptions
                .iter()
                .map(|kind| convert::event_kind(*kind))
                .collect(),
            config: info
                .config
                .iter()
                .map(|field| ConfigFieldRecord {
                    name: field.name.clone(),
                    value_type: field.value_type.clone(),
                    description: field.description.clone(),
                    default_value: field.default_value.clone(),
                    required: field.required,
                })
                .collect(),
        }
    }
}

/// The pre-instantiated world a component implements.
#[derive(Clone)]
pub(crate) enum WorldPre {
    /// `detector`.
    Detector(detector::DetectorPre<super::PluginState>),
    /// `graph-algorithm`.
    GraphAlgorithm(graph_algorithm::GraphAlgorithmPre<super::PluginState>),
    /// `alert-rule`.
    AlertRule(alert_rule::AlertRulePre<super::PluginState>),
}

impl WorldPre {
    /// The world's kind.
    pub fn kind(&self) -> wp::PluginKind {
        match self {
            WorldPre::Detector(_) => wp::PluginKind::Detector,
            WorldPre::GraphAlgorithm(_) => wp::PluginKind::GraphAlgorithm,
            WorldPre::AlertRule(_) => wp::PluginKind::AlertRule,
        }
    }
}

/// A compiled, validated component, ready to instantiate any number of times.
pub struct LoadedComponent {
    /// SHA-256 of the component bytes.
    pub hash: String,
    /// Size of the component in bytes.
    pub size: usize,
    /// The world it implements.
    pub(crate) pre: WorldPre,
    /// The `netassure:plugin` version it was built against (the newest its imports name).
    pub wit_version: String,
    /// What `describe()` returned.
    pub info: PluginInfoRecord,
    /// Whether compiling hit the artifact cache.
    pub cache: CacheOutcome,
    /// Time to compile or load the artifact.
    pub compile_time: Duration,
    /// Time to validate (instantiate, describe, configure).
    pub validate_time: Duration,
}

impl Runtime {
    /// Compile `bytes` (or load them from the cache) and find the world they implement.
    fn prepare(
        &self,
        bytes: &[u8],
    ) -> Result<(String, Component, CacheOutcome, WorldPre), LoadError> {
        // Imports of another `netassure:plugin` version resolve to ours when semver-compatible
        // (wasmtime's `Linker` is semver-aware); anything else fails `instantiate_pre` below.
        if !has_component_header(bytes) {
            return Err(LoadError::NotAComponent(
                "missing the component-model header (core modules and other files are refused)"
                    .into(),
            ));
        }
        let hash = content_hash(bytes);
        let (component, cache) = self
            .cache
            .load(&self.engine, &hash, bytes)
            .map_err(|err| LoadError::NotAComponent(format!("{err:#}")))?;
        match self.world(&component) {
            Ok(world) => Ok((hash, component, cache, world)),
            Err(err) => {
                self.forget_refused(&hash, cache);
                Err(err)
            }
        }
    }

    /// Which of our worlds `component` implements, with its imports linked.
    fn world(&self, component: &Component) -> Result<WorldPre, LoadError> {
        let pre = self
            .linker
            .instantiate_pre(component)
            .map_err(|err| LoadError::UnsupportedImports(format!("{err:#}")))?;
        if let Ok(pre) = detector::DetectorPre::new(pre.clone()) {
            Ok(WorldPre::Detector(pre))
        } else if let Ok(pre) = graph_algorithm::GraphAlgorithmPre::new(pre.clone()) {
            Ok(WorldPre::GraphAlgorithm(pre))
        } else if let Ok(pre) = alert_rule::AlertRulePre::new(pre) {
            Ok(WorldPre::AlertRule(pre))
        } else {
            Err(LoadError::WrongWorld)
        }
    }

    /// A component compiled for this load was refused: its new artifact goes.
    fn forget_refused(&self, hash: &str, cache: CacheOutcome) {
        if cache == CacheOutcome::Miss {
            self.cache.forget(hash);
        }
    }

    /// Load and validate a component that will run as `name` with `config` (a JSON object).
    pub fn load(
        &self,
        name: &str,
        bytes: &[u8],
        config: &str,
        limits: Limits,
    ) -> Result<Arc<LoadedComponent>, LoadError> {
        let started = Instant::now();
        let (hash, component, cache, pre) = self.prepare(bytes)?;
        let validated = self.validate(
            name,
            bytes.len(),
            (hash.clone(), component, cache, pre),
            config,
            limits,
            started,
        );
        if validated.is_err() {
            self.forget_refused(&hash, cache);
        }
        validated
    }

    /// Instantiate, describe and configure a prepared component.
    fn validate(
        &self,
        name: &str,
        size: usize,
        (hash, component, cache, pre): (String, Component, CacheOutcome, WorldPre),
        config: &str,
        limits: Limits,
        started: Instant,
    ) -> Result<Arc<LoadedComponent>, LoadError> {
        let wit_version = wit_version(&component, &self.engine);
        let compile_time = started.elapsed();
        let world = pre.kind();
        let placeholder = PluginInfoRecord {
            name: name.to_owned(),
            version: String::new(),
            kind: world.into(),
            description: String::new(),
            subscriptions: vec![],
            config: vec![],
        };
        let mut loaded = LoadedComponent {
            hash,
            size,
            pre,
            wit_version,
            info: placeholder,
            cache,
            compile_time,
            validate_time: Duration::ZERO,
        };
        let mut instance =
            PluginInstance::new(self, &loaded, name.into(), limits).map_err(|error| {
                LoadError::Call {
                    stage: "instantiation",
                    error,
                }
            })?;
        let info = instance.describe().map_err(|error| LoadError::Call {
            stage: "describe()",
            error,
        })?;
        if info.kind != world {
            return Err(LoadError::KindMismatch {
                claimed: info.kind.into(),
                world: world.into(),
            });
        }
        instance
            .configure(config)
            .map_err(|error| LoadError::Call {
                stage: "configure()",
                error,
            })?
            .map_err(|error| LoadError::Config(convert::plugin_error(&error)))?;
        loaded.info = PluginInfoRecord::from(&info);
        loaded.validate_time = started.elapsed() - compile_time;
        Ok(Arc::new(loaded))
    }
}

/// The newest `netassure:plugin` version among the component's imports (a plugin that imports
/// none of our interfaces fits every version: it gets the host's).
fn wit_version(component: &Component, engine: &wasmtime::Engine) -> String {
    let parse = |version: &str| -> Option<(u64, u64, u64)> {
        let mut parts = version.split('.').map(|part| part.parse::<u64>().ok());
        Some((parts.next()??, parts.next()??, parts.next()??))
    };
    component
        .component_type()
        .imports(engine)
        .filter_map(|(name, _)| name.strip_prefix("netassure:plugin/"))
        .filter_map(|name| name.split_once('@').map(|(_, version)| version))
        .filter_map(|version| parse(version).map(|parsed| (parsed, version.to_owned())))
        .max()
        .map(|(_, version)| version)
        .unwrap_or_else(|| super::WIT_VERSION.to_owned())
}

/// True when `bytes` start with the component-model preamble (`\0asm`, layer 1).
fn has_component_header(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] == [0x01, 0x00]
}
