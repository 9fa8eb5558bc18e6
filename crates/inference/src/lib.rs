//! The inference service: ONNX Runtime (through `ort`, the runtime library loaded at start from
//! a file) running the models of the model directory, on CUDA when configured and available, on
//! CPU otherwise. Plugins reach it through the `inference` import; `GET /models` lists it.
//!
//! One `ort` environment per process. Each model has a few sessions with one intra-op thread
//! each (ONNX Runtime's CPU ScatterND with `add`, which our graph models use, races with more:
//! onnxruntime issue 18048); parallelism comes from running sessions side by side.

pub mod library;
mod models;
pub mod settings;
pub mod setup;
mod tensors;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

pub use models::{ModelCard, ModelInfo, ModelScope, TensorSpec};
pub use settings::{ModelSettings, ModelsConfig};
pub use tensors::{NamedTensor, TensorData};

/// `[inference]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InferenceConfig {
    /// Models: `NAME.onnx` with `NAME.toml` beside it; learned models are written here, as
    /// `netassure model train` writes them by default. Example: `models_dir = "models"`.
    pub models_dir: PathBuf,
    /// The ONNX Runtime library (`libonnxruntime.so.1.31.1` from the PyPI wheel); default: the
    /// `ORT_DYLIB_PATH` environment variable, else `libonnxruntime.so` beside the executable,
    /// else `.ort/libonnxruntime.so`. Example: `library = "/opt/ort/libonnxruntime.so"`.
    pub library: Option<PathBuf>,
    /// `cpu`, `cuda` (CUDA or fail), or `auto` (CUDA when it registers, else CPU).
    /// Example: `device = "auto"`.
    pub device: DevicePreference,
    /// Sessions per model (each with one intra-op thread); default: one per core.
    /// Example: `sessions = 2`.
    pub sessions: usize,
}

impl Default for InferenceConfig {
    fn default() -> Self {
        InferenceConfig {
            models_dir: PathBuf::from("models"),
            library: None,
            device: DevicePreference::Cpu,
            sessions: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// Where models should run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DevicePreference {
    /// CPU only.
    Cpu,
    /// CUDA, or no inference at all.
    Cuda,
    /// CUDA when it registers, CPU otherwise.
    Auto,
}

/// Why a model did not run (the WIT `inference-error`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InferenceError {
    /// No inference service: no runtime library, or it failed to load.
    #[error("inference is not available: {0}")]
    NotAvailable(String),
    /// No model of that name.
    #[error("no model named `{0}`")]
    UnknownModel(String),
    /// Inputs that do not fit the model.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Anything else ONNX Runtime reported.
    #[error("{0}")]
    Other(String),
    /// No model of this network yet: it is being learned.
    #[error("learning: {0}")]
    Learning(String),
}

/// Where the host is with learning a model of this network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearningStatus {
    /// `collecting` windows, `training` (and checking), `failed`, or `done`.
    pub stage: String,
    /// 0 to 1: of the learning period while collecting, of the epochs while training.
    pub progress: f64,
    /// Windows kept so far.
    pub windows: u64,
    /// Flows in those windows.
    pub flows: u64,
    /// Flow time learning started, RFC 3339.
    pub started: Option<String>,
    /// Flow time learning ends, RFC 3339.
    pub ends: Option<String>,
    /// What happened last (the failure, the model written).
    pub message: Option<String>,
}

impl LearningStatus {
    /// One line for a person: `collecting 35% (12,000 windows)`.
    pub fn describe(&self) -> String {
        let mut text = format!("{} {:.0}%", self.stage, self.progress * 100.0);
        if self.windows > 0 {
            text.push_str(&format!(" ({} windows)", self.windows));
        }
        if let Some(message) = &self.message {
            text.push_str(&format!(": {message}"));
        }
        text
    }
}

/// What `/status` shows of the service.
#[derive(Debug, Clone, Serialize)]
pub struct InferenceStatus {
    /// True when the runtime library is loaded.
    pub available: bool,
    /// `cuda` or `cpu` (where sessions run), when available.
    pub device: Option<String>,
    /// The file name of the runtime library in use.
    pub library: Option<String>,
    /// Why inference is not available, or why CUDA was not used.
    pub note: Option<String>,
    /// Models loaded.
    pub models: usize,
    /// Models being learned, by name.
    pub learning: BTreeMap<String, LearningStatus>,
}

/// The service.
pub struct InferenceService {
    runtime: Result<library::Runtime, String>,
    config: InferenceConfig,
    models: RwLock<models::Models>,
    settings: RwLock<ModelsConfig>,
    learning: Mutex<BTreeMap<String, LearningStatus>>,
}

impl InferenceService {
    /// Load the runtime library and every model of `config.models_dir`. A missing library or a
    /// bad model is logged (an error: detectors that need a model cannot work) and shown in
    /// `/status`, never fatal. `data_dir` is searched for the library too (`lib/`).
    pub fn start(config: InferenceConfig, data_dir: Option<&std::path::Path>) -> Arc<Self> {
        let runtime = library::Runtime::load(&config, data_dir);
        match &runtime {
            Ok(runtime) => tracing::info!(
                device = runtime.device(),
                library = %runtime.library.display(),
                "inference: ONNX Runtime loaded"
            ),
            Err(reason) => tracing::error!("inference not available: {reason}"),
        }
        let service = Arc::new(InferenceService {
            runtime,
            config,
            models: RwLock::new(models::Models::default()),
            settings: RwLock::new(ModelsConfig::new()),
            learning: Mutex::new(BTreeMap::new()),
        });
        service.reload();
        service
    }

    /// Re-read the model directory: new and changed models load, removed ones go.
    pub fn reload(&self) {
        let Ok(runtime) = &self.runtime else {
            return;
        };
        let mut models = self.models.write().expect("models lock");
        models.reload(runtime, &self.config);
    }

    /// Run `model` on `inputs`; every output comes back.
    pub fn run(
        &self,
        model: &str,
        inputs: &[NamedTensor],
    ) -> Result<Vec<NamedTensor>, InferenceError> {
        if let Err(reason) = &self.runtime {
            return Err(InferenceError::NotAvailable(reason.clone()));
        }
        let handle = self
            .models
            .read()
            .expect("models lock")
            .get(model)
            .ok_or_else(|| InferenceError::UnknownModel(model.to_owned()))?;
        handle.run(inputs)
    }

    /// Run `model` for a plugin: only a model of this network, or a generic one that
    /// `[models.NAME] use_generic` allows; otherwise the model is learning or missing.
    pub fn serve(
        &self,
        model: &str,
        inputs: &[NamedTensor],
    ) -> Result<Vec<NamedTensor>, InferenceError> {
        if let Err(reason) = &self.runtime {
            return Err(InferenceError::NotAvailable(reason.clone()));
        }
        let handle = self.models.read().expect("models lock").get(model);
        let learning = || {
            self.learning(model)
                .filter(|status| status.stage != "failed")
                .map(|status| status.describe())
        };
        match handle {
            Some(handle)
                if handle.scope() == ModelScope::Network || self.settings(model).use_generic =>
            {
                handle.run(inputs)
            }
            Some(_) => Err(match learning() {
                Some(status) => InferenceError::Learning(status),
                None => InferenceError::NotAvailable(format!(
                    "model `{model}` was not trained on this network: train one with `netassure model train {model} --flows FILE`, let the host learn (`[models.{model}] learn`), or set `[models.{model}] use_generic = true`"
                )),
            }),
            None => Err(match learning() {
                Some(status) => InferenceError::Learning(status),
                None => InferenceError::UnknownModel(model.to_owned()),
            }),
        }
    }

    /// Use `settings` from now on.
    pub fn configure(&self, settings: ModelsConfig) {
        *self.settings.write().expect("settings lock") = settings;
    }

    /// The settings of `model`.
    pub fn settings(&self, model: &str) -> ModelSettings {
        settings::settings_for(&self.settings.read().expect("settings lock"), model)
    }

    /// The model directory.
    pub fn models_dir(&self) -> &std::path::Path {
        &self.config.models_dir
    }

    /// True when `model` of this network is loaded.
    pub fn has_network_model(&self, model: &str) -> bool {
        self.models
            .read()
            .expect("models lock")
            .get(model)
            .is_some_and(|handle| handle.scope() == ModelScope::Network)
    }

    /// Record where learning `model` is (`None`: not learning).
    pub fn set_learning(&self, model: &str, status: Option<LearningStatus>) {
        let mut learning = self.learning.lock().expect("learning lock");
        match status {
            Some(status) => learning.insert(model.to_owned(), status),
            None => learning.remove(model),
        };
    }

    /// Where learning `model` is, when it is learning.
    pub fn learning(&self, model: &str) -> Option<LearningStatus> {
        self.learning
            .lock()
            .expect("learning lock")
            .get(model)
            .cloned()
    }

    /// Every model being learned.
    pub(crate) fn learning_all(&self) -> BTreeMap<String, LearningStatus> {
        self.learning.lock().expect("learning lock").clone()
    }

    /// The models, for `GET /models`.
    pub fn models(&self) -> Vec<ModelInfo> {
        self.models.read().expect("models lock").infos()
    }

    /// The models that failed to load, with the reason.
    pub fn model_errors(&self) -> Vec<(String, String)> {
        self.models.read().expect("models lock").errors()
    }

    /// For `/status`.
    pub fn status(&self) -> InferenceStatus {
        match &self.runtime {
            Ok(runtime) => InferenceStatus {
                available: true,
                device: Some(runtime.device().to_owned()),
                // The file name only: readers of `/status` need not learn the host's paths
                // (the full path is in the log at start).
                library: Some(runtime.library.file_name().map_or_else(
                    || runtime.library.display().to_string(),
                    |name| name.to_string_lossy().into_owned(),
                )),
                note: runtime.note.clone(),
                models: self.models.read().expect("models lock").len(),
                learning: self.learning_all(),
            },
            Err(reason) => InferenceStatus {
                available: false,
                device: None,
                library: None,
                note: Some(reason.clone()),
                models: 0,
                learning: self.learning_all(),
            },
        }
    }
}

#[cfg(test)]
mod tests;
