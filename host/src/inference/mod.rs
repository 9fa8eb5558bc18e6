//! The inference service: ONNX Runtime (through `ort`, the runtime library loaded at start from
//! a file) running the models of the model directory, on CUDA when configured and available, on
//! CPU otherwise. Plugins reach it through the `inference` import; `GET /models` lists it.
//!
//! One `ort` environment per process. Each model has a few sessions with one intra-op thread
//! each (ONNX Runtime's CPU ScatterND with `add`, which our graph models use, races with more:
//! onnxruntime issue 18048); parallelism comes from running sessions side by side.

mod library;
mod models;
mod tensors;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

pub use models::{ModelCard, ModelInfo, TensorSpec};
pub use tensors::{NamedTensor, TensorData};

/// `[inference]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InferenceConfig {
    /// Models: `NAME.onnx` with `NAME.toml` beside it. Example: `models_dir = "models"`.
    pub models_dir: PathBuf,
    /// The ONNX Runtime library (`libonnxruntime.so.1.31.1` from the PyPI wheel); default: the
    /// `ORT_DYLIB_PATH` environment variable, else `libonnxruntime.so` beside the executable,
    /// else `.ort/libonnxruntime.so`. Example: `library = "/opt/ort/libonnxruntime.so"`.
    pub library: Option<PathBuf>,
    /// `cpu`, `cuda` (CUDA or fail), or `auto` (CUDA when it registers, else CPU).
    /// Example: `device = "auto"`.
    pub device: DevicePreference,
    /// Sessions per model (each with one intra-op thread). Example: `sessions = 2`.
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
}

/// What `/status` shows of the service.
#[derive(Debug, Clone, Serialize)]
pub struct InferenceStatus {
    /// True when the runtime library is loaded.
    pub available: bool,
    /// `cuda` or `cpu` (where sessions run), when available.
    pub device: Option<String>,
    /// The runtime library in use.
    pub library: Option<String>,
    /// Why inference is not available, or why CUDA was not used.
    pub note: Option<String>,
    /// Models loaded.
    pub models: usize,
}

/// The service.
pub struct InferenceService {
    runtime: Result<library::Runtime, String>,
    config: InferenceConfig,
    models: RwLock<models::Models>,
}

impl InferenceService {
    /// Load the runtime library and every model of `config.models_dir`. A missing library or a
    /// bad model is logged and shown in `/status`, never fatal.
    pub fn start(config: InferenceConfig) -> Arc<Self> {
        let runtime = library::Runtime::load(&config);
        match &runtime {
            Ok(runtime) => tracing::info!(
                device = runtime.device(),
                library = %runtime.library.display(),
                "inference: ONNX Runtime loaded"
            ),
            Err(reason) => tracing::warn!("inference not available: {reason}"),
        }
        let service = Arc::new(InferenceService {
            runtime,
            config,
            models: RwLock::new(models::Models::default()),
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
                library: Some(runtime.library.display().to_string()),
                note: runtime.note.clone(),
                models: self.models.read().expect("models lock").len(),
            },
            Err(reason) => InferenceStatus {
                available: false,
                device: None,
                library: None,
                note: Some(reason.clone()),
                models: 0,
            },
        }
    }
}

#[cfg(test)]
mod tests;
