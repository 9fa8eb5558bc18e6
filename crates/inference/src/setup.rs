//! `netassure setup`: install the ONNX Runtime library the host loads, from the PyPI
//! `onnxruntime` wheel (the only place it is published for Linux that this project may fetch
//! from): `pip download` of the wheel, then its `libonnxruntime.so.<version>` copied out as
//! `libonnxruntime.so` into a directory the host searches (see `library::candidates`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use super::library::LIBRARY_FILE;

/// The ONNX Runtime release `ort` 2.0.0-rc.15 (`api-31`) is built for.
pub const ONNXRUNTIME: &str = "1.31.1";

/// Put `libonnxruntime.so` into `dir` unless it is there; returns its path. Needs `python3`
/// with `pip` (for the download and to read the wheel, a zip file) and the PyPI registry.
pub fn install_library(dir: &Path) -> anyhow::Result<PathBuf> {
    let library = dir.join(LIBRARY_FILE);
    if library.is_file() {
        return Ok(library);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let download = tempfile_dir(dir)?;
    let status = Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps"])
        .arg("--only-binary=:all:")
        .arg(format!("onnxruntime=={ONNXRUNTIME}"))
        .arg("-d")
        .arg(&download)
        .status()
        .context("running python3 -m pip (python3 with pip is needed to fetch the wheel)")?;
    if !status.success() {
        bail!("pip download of onnxruntime=={ONNXRUNTIME} failed ({status})");
    }
    let wheel = std::fs::read_dir(&download)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.extension().is_some_and(|e| e == "whl"))
        .context("pip downloaded no onnxruntime wheel")?;
    let partial = dir.join(format!("{LIBRARY_FILE}.partial"));
    let script = format!(
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nopen(sys.argv[2], 'wb').write(z.read('onnxruntime/capi/libonnxruntime.so.{ONNXRUNTIME}'))\n"
    );
    let status = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&wheel)
        .arg(&partial)
        .status()?;
    let _ = std::fs::remove_dir_all(&download);
    if !status.success() {
        bail!("reading {} failed ({status})", wheel.display());
    }
    std::fs::rename(&partial, &library)?;
    Ok(library)
}

/// A fresh download folder inside `dir`.
fn tempfile_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    let download = dir.join(format!(".onnxruntime-download-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&download);
    std::fs::create_dir_all(&download)?;
    Ok(download)
}

/// Where `netassure setup` installs by default: beside the running executable when that
/// directory is writable, else `lib/` of `data_dir`.
pub fn default_dir(data_dir: &Path) -> PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    match beside {
        Some(dir) if writable(&dir) => dir,
        _ => data_dir.join("lib"),
    }
}

fn writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".netassure-write-test-{}", std::process::id()));
    let ok = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}
