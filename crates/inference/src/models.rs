//! The model registry: `NAME.onnx` + `NAME.toml` (the model card's machine part) in the model
//! directory, each loaded into a few single-threaded sessions; reloaded when files change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ort::session::Session;
use serde::{Deserialize, Serialize};

use super::library::Runtime;
use super::tensors::{NamedTensor, check_inputs, outputs, session_inputs};
use super::{InferenceConfig, InferenceError};

/// One input or output of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    /// Name in the graph. Example: `name = "flows"`.
    pub name: String,
    /// Element type: `float32`, `float64`, `int32`, `int64`. Example: `dtype = "float32"`.
    pub dtype: String,
    /// Dimensions: a number, or a name for a dimension that varies. Example:
    /// `shape = ["flows", 6]`.
    pub shape: Vec<toml::Value>,
    /// What it holds.
    #[serde(default)]
    pub description: String,
}

/// Which network a model was trained on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelScope {
    /// Elsewhere (the shipped model, trained on synthetic traffic): served to plugins only
    /// with `[models.NAME] use_generic = true`.
    #[default]
    Generic,
    /// This network's own traffic (`netassure model train`, or the host's learning period).
    Network,
}

/// `NAME.toml`: what the host and clients need to know about a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    /// Model version. Example: `version = "1.0.0"`.
    pub version: String,
    /// `network` when trained on this network's traffic, else `generic` (the default).
    /// Example: `scope = "network"`.
    #[serde(default)]
    pub scope: ModelScope,
    /// What it does.
    pub description: String,
    /// Inputs, in order.
    pub inputs: Vec<TensorSpec>,
    /// Outputs, in order.
    pub outputs: Vec<TensorSpec>,
    /// Score at or above which an output counts as anomalous. Example: `threshold = 0.5`.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Feature scaling constants baked into the model, by name (for reference).
    #[serde(default)]
    pub scaling: BTreeMap<String, Vec<f64>>,
    /// What it was trained on and how well it did (free-form, shown by `GET /models`).
    #[serde(default)]
    pub training: BTreeMap<String, toml::Value>,
}

/// A model as `GET /models` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    /// Name (the file stem).
    pub name: String,
    /// The card.
    pub card: ModelCard,
    /// Size of the ONNX file.
    pub size_bytes: u64,
    /// SHA-256 of the ONNX file.
    pub sha256: String,
    /// Sessions.
    pub sessions: usize,
    /// `cuda` or `cpu`.
    pub device: String,
}

/// A loaded model.
pub(crate) struct ModelHandle {
    info: ModelInfo,
    sessions: Vec<Mutex<Session>>,
    next: AtomicUsize,
    modified: Option<std::time::SystemTime>,
}

impl ModelHandle {
    fn load(
        runtime: &Runtime,
        config: &InferenceConfig,
        name: &str,
        onnx: &Path,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;
        let card_path = onnx.with_extension("toml");
        let card_text = std::fs::read_to_string(&card_path)
            .with_context(|| format!("{}: a model needs its card", card_path.display()))?;
        let card: ModelCard =
            toml::from_str(&card_text).with_context(|| format!("{}", card_path.display()))?;
        let bytes = std::fs::read(onnx).with_context(|| format!("reading {}", onnx.display()))?;
        let sessions = (0..config.sessions.max(1))
            .map(|_| session(runtime, &bytes))
            .collect::<anyhow::Result<Vec<_>>>()
            .with_context(|| format!("loading {}", onnx.display()))?;
        let declared: Vec<&str> = card.inputs.iter().map(|spec| spec.name.as_str()).collect();
        let actual: Vec<&str> = sessions[0].inputs().iter().map(|o| o.name()).collect();
        anyhow::ensure!(
            declared == actual,
            "{}: the card names inputs {declared:?}, the model {actual:?}",
            card_path.display()
        );
        use sha2::Digest;
        Ok(ModelHandle {
            info: ModelInfo {
                name: name.to_owned(),
                card,
                size_bytes: bytes.len() as u64,
                sha256: format!("{:x}", sha2::Sha256::digest(&bytes)),
                sessions: sessions.len(),
                device: runtime.device().to_owned(),
            },
            sessions: sessions.into_iter().map(Mutex::new).collect(),
            next: AtomicUsize::new(0),
            modified: modified(onnx),
        })
    }

    /// Which network it was trained on.
    pub fn scope(&self) -> ModelScope {
        self.info.card.scope
    }

    /// Run on a free session (or wait for the next one).
    pub fn run(&self, inputs: &[NamedTensor]) -> Result<Vec<NamedTensor>, InferenceError> {
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.sessions.len();
        let mut session = (0..count)
            .find_map(|i| self.sessions[(first + i) % count].try_lock().ok())
            .unwrap_or_else(|| self.sessions[first % count].lock().expect("session lock"));
        check_inputs(session.inputs(), inputs)?;
        let values = session_inputs(inputs)?;
        let result = session.run(values).map_err(|err| {
            // ONNX Runtime says INVALID_ARGUMENT for missing, unknown, mistyped or misshapen
            // inputs; anything else is the model's or the runtime's problem.
            match err.code() {
                ort::ErrorCode::InvalidArgument => InferenceError::InvalidInput(err.to_string()),
                _ => InferenceError::Other(err.to_string()),
            }
        })?;
        outputs(&result)
    }
}

fn session(runtime: &Runtime, bytes: &[u8]) -> anyhow::Result<Session> {
    let error = |err: ort::Error<ort::session::builder::SessionBuilder>| anyhow::anyhow!("{err}");
    let mut builder = Session::builder(&runtime.environment)?
        .with_intra_threads(1)
        .map_err(error)?;
    if runtime.cuda {
        builder = builder
            .with_execution_providers([ort::ep::CUDA::default().build().error_on_failure()])
            .map_err(error)?;
    }
    Ok(builder.commit_from_memory(bytes)?)
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Every model of the directory.
#[derive(Default)]
pub struct Models {
    loaded: BTreeMap<String, Arc<ModelHandle>>,
    errors: BTreeMap<String, String>,
}

impl Models {
    /// Load new and changed models, drop removed ones; a model that fails keeps its previous
    /// version (if any) and its error is kept for `/status`.
    pub fn reload(&mut self, runtime: &Runtime, config: &InferenceConfig) {
        let files = onnx_files(&config.models_dir);
        self.loaded
            .retain(|name, _| files.iter().any(|(n, _)| n == name));
        self.errors
            .retain(|name, _| files.iter().any(|(n, _)| n == name));
        for (name, path) in files {
            let unchanged = self
                .loaded
                .get(&name)
                .is_some_and(|m| m.modified == modified(&path) && m.modified.is_some());
            if unchanged {
                continue;
            }
            match ModelHandle::load(runtime, config, &name, &path) {
                Ok(handle) => {
                    tracing::info!(model = name, device = runtime.device(), "model loaded");
                    self.errors.remove(&name);
                    self.loaded.insert(name, Arc::new(handle));
                }
                Err(err) => {
                    tracing::warn!(model = name, "model not loaded: {err:#}");
                    self.errors.insert(name, format!("{err:#}"));
                }
            }
        }
    }

    /// The model named `name`.
    pub fn get(&self, name: &str) -> Option<Arc<ModelHandle>> {
        self.loaded.get(name).cloned()
    }

    /// Every loaded model.
    pub(crate) fn infos(&self) -> Vec<ModelInfo> {
        self.loaded.values().map(|m| m.info.clone()).collect()
    }

    /// Models that failed to load.
    pub fn errors(&self) -> Vec<(String, String)> {
        self.errors
            .iter()
            .map(|(n, e)| (n.clone(), e.clone()))
            .collect()
    }

    /// How many are loaded.
    pub fn len(&self) -> usize {
        self.loaded.len()
    }
}

/// `(name, path)` of every `*.onnx` in `dir`, by name.
fn onnx_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, PathBuf)> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "onnx"))
        .filter_map(|path| Some((path.file_stem()?.to_str()?.to_owned(), path)))
        .collect();
    files.sort();
    files
}
