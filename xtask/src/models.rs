//! ONNX Runtime and the models: `cargo xtask setup-ort` puts the runtime library from the PyPI
//! `onnxruntime` wheel under `.ort/` (CPU; `--gpu` takes `onnxruntime-gpu` with CUDA and cuDNN
//! from PyPI into a venv), and `cargo xtask train-gae` makes data, trains, exports and checks the
//! flow graph autoencoder (torch: not in CI).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::{root, run, target_dir};

/// The ONNX Runtime release `ort` 2.0.0-rc.15 (`api-31`) is built for.
const ONNXRUNTIME: &str = "1.31.1";

/// The runtime library `ort` loads (`.cargo/config.toml` points `ORT_DYLIB_PATH` at it).
pub fn ort_library() -> PathBuf {
    root().join(".ort/libonnxruntime.so")
}

/// Fetch `libonnxruntime.so` from the PyPI wheel unless it is there (a download of the wheel,
/// no venv, seconds).
pub fn ensure_onnxruntime() -> anyhow::Result<PathBuf> {
    let library = ort_library();
    if library.is_file() {
        return Ok(library);
    }
    let download = target_dir().join("ort-wheel");
    std::fs::create_dir_all(&download)?;
    run(Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
        ])
        .arg(format!("onnxruntime=={ONNXRUNTIME}"))
        .arg("-d")
        .arg(&download))?;
    let wheel = std::fs::read_dir(&download)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| {
            path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&format!("onnxruntime-{ONNXRUNTIME}-")) && n.ends_with(".whl")
            })
        })
        .context("pip downloaded no onnxruntime wheel")?;
    extract_library(&wheel, &library)?;
    eprintln!("xtask: ONNX Runtime {ONNXRUNTIME} → {}", library.display());
    Ok(library)
}

/// Copy `onnxruntime/capi/libonnxruntime.so.<version>` out of the wheel (a zip) to `to`.
fn extract_library(wheel: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to.parent().expect("a folder"))?;
    let script = format!(
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nname = 'onnxruntime/capi/libonnxruntime.so.{ONNXRUNTIME}'\nopen(sys.argv[2], 'wb').write(z.read(name))\n"
    );
    run(Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(wheel)
        .arg(to))
}

/// `cargo xtask setup-ort [--gpu]`.
pub fn setup_ort(gpu: bool) -> anyhow::Result<()> {
    let library = ensure_onnxruntime()?;
    println!("CPU runtime: {}", library.display());
    if gpu {
        let venv = crate::venv("ort-gpu-venv", &root().join("models/requirements-gpu.txt"))?;
        println!(
            "GPU runtime: installed in {} (set [inference] library to its onnxruntime/capi/libonnxruntime.so.{ONNXRUNTIME} and LD_LIBRARY_PATH to its nvidia/*/lib)",
            venv.parent()
                .and_then(Path::parent)
                .unwrap_or(&venv)
                .display()
        );
    }
    Ok(())
}

/// `cargo xtask train-gae`: data from `netassure generate-flows`, training and export in a torch
/// venv, the model, its card numbers and reference outputs written to `models/`.
pub fn train_gae(epochs: u32) -> anyhow::Result<()> {
    let python = crate::venv(
        "models-venv",
        &root().join("models/flow-gae/requirements.txt"),
    )?;
    run(crate::cargo().args([
        "build",
        "--release",
        "-p",
        "netassure-host",
        "--bin",
        "netassure",
    ]))?;
    let cli = target_dir().join("release/netassure");
    let data = target_dir().join("gae-data");
    std::fs::create_dir_all(&data)?;
    for (name, day, attacks) in [("train", 1, "none"), ("val", 2, "all"), ("test", 3, "all")] {
        run(Command::new(&cli)
            .args([
                "generate-flows",
                "--seed",
                &(10 + day).to_string(),
                "--day",
                &day.to_string(),
            ])
            .args(["--attacks", attacks, "--out"])
            .arg(data.join(format!("{name}.csv"))))?;
    }
    run(Command::new(&python)
        .arg(root().join("models/flow-gae/train.py"))
        .arg("--train")
        .arg(data.join("train.csv"))
        .arg("--val")
        .arg(data.join("val.csv"))
        .args(["--out", "models", "--epochs", &epochs.to_string()])
        .current_dir(root()))?;
    if !root().join("models/flow-gae.onnx").is_file() {
        bail!("training wrote no models/flow-gae.onnx");
    }
    Ok(())
}
