//! Finding and loading the ONNX Runtime library, once per process, and choosing the device.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;

use super::{DevicePreference, InferenceConfig};

/// The loaded runtime.
pub struct Runtime {
    /// The process's one environment.
    pub environment: Environment,
    /// The library file.
    pub library: PathBuf,
    /// True when sessions register the CUDA execution provider.
    pub cuda: bool,
    /// Why CUDA is not used although it was asked for, if so.
    pub note: Option<String>,
}

impl Runtime {
    /// `cuda` or `cpu`.
    pub fn device(&self) -> &'static str {
        if self.cuda { "cuda" } else { "cpu" }
    }

    /// Find the library (see [`candidates`]), load it (once per process) and decide on the
    /// device.
    pub fn load(config: &InferenceConfig, data_dir: Option<&Path>) -> Result<Runtime, String> {
        let library = find_library(config, data_dir)?;
        let environment = environment(&library)?;
        let (cuda, note) = match config.device {
            DevicePreference::Cpu => (false, None),
            DevicePreference::Cuda | DevicePreference::Auto => match cuda_available(&environment) {
                Ok(()) => (true, None),
                Err(reason) if config.device == DevicePreference::Cuda => {
                    return Err(format!(
                        "device = \"cuda\" but CUDA is not usable: {reason}"
                    ));
                }
                Err(reason) => {
                    tracing::info!("inference: CUDA not used, running on CPU: {reason}");
                    (false, Some(format!("CUDA not used: {reason}")))
                }
            },
        };
        Ok(Runtime {
            environment,
            library,
            cuda,
            note,
        })
    }
}

/// The file name of the library in a directory `netassure setup` filled.
pub(crate) const LIBRARY_FILE: &str = "libonnxruntime.so";

/// Where the library may be, in order: `[inference] library`, `ORT_DYLIB_PATH`, beside the
/// executable, `lib/` of the data directory, then `.ort/` of the working directory (a
/// checkout). The host runs from any directory once `netassure setup` (or `cargo xtask setup`)
/// put the library beside the binaries or in the data directory.
pub fn candidates(config: &InferenceConfig, data_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    candidates.extend(config.library.clone());
    candidates.extend(std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from));
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        candidates.push(dir.join(LIBRARY_FILE));
    }
    if let Some(data_dir) = data_dir {
        candidates.push(data_dir.join("lib").join(LIBRARY_FILE));
    }
    candidates.push(PathBuf::from(".ort").join(LIBRARY_FILE));
    candidates
}

fn find_library(config: &InferenceConfig, data_dir: Option<&Path>) -> Result<PathBuf, String> {
    let candidates = candidates(config, data_dir);
    candidates.iter().find(|path| path.is_file()).cloned().ok_or_else(|| {
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        format!(
            "no ONNX Runtime library (tried {}); `netassure setup` (or `cargo xtask setup`) installs it from the PyPI onnxruntime==1.31.1 wheel, or set [inference] library",
            tried.join(", ")
        )
    })
}

/// The one environment of the process (ONNX Runtime allows one).
fn environment(library: &Path) -> Result<Environment, String> {
    static ENVIRONMENT: OnceLock<Result<Environment, String>> = OnceLock::new();
    ENVIRONMENT
        .get_or_init(|| {
            ort::init_from(library)
                .map_err(|err| format!("cannot load {}: {err}", library.display()))?
                .with_name("netassure")
                .build()
                .map_err(|err| format!("cannot start ONNX Runtime: {err}"))
        })
        .clone()
}

/// Whether the CUDA execution provider registers (the library must be the GPU build and the
/// CUDA libraries must load).
fn cuda_available(environment: &Environment) -> Result<(), String> {
    let builder = ort::session::Session::builder(environment).map_err(|e| e.to_string())?;
    builder
        .with_execution_providers([ort::ep::CUDA::default().build().error_on_failure()])
        .map(|_| ())
        .map_err(|e| e.to_string())
}
