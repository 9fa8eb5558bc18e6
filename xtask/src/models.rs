//! ONNX Runtime and the models: `cargo xtask setup-ort` puts the runtime library from the PyPI
//! `onnxruntime` wheel under `.ort/` (CPU; `--gpu` takes `onnxruntime-gpu` with CUDA and cuDNN
//! from PyPI into a venv), and `cargo xtask train-gae` makes data, trains in Rust, exports and
//! checks the shipped generic flow graph autoencoder.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::{root, run, target_dir};

/// The ONNX Runtime release `ort` 2.0.0-rc.15 (`api-31`) is built for (the GPU wheel).
const ONNXRUNTIME: &str = "1.31.1";

/// The runtime library `ort` loads under cargo (`.cargo/config.toml` points `ORT_DYLIB_PATH`
/// at it).
pub fn ort_library() -> PathBuf {
    root().join(".ort/libonnxruntime.so")
}

/// `.ort/libonnxruntime.so` (fetched by the host's own `netassure setup` from the PyPI wheel
/// when missing, which builds the CLI of `profile`), copied beside the binaries of `profile`
/// (`debug` or `release`) so they run from any directory.
pub fn ensure_onnxruntime(profile: &str) -> anyhow::Result<PathBuf> {
    let library = ort_library();
    if !library.is_file() {
        let mut build = crate::cargo();
        build.args(["build", "-p", "netassure-cli", "--bin", "netassure"]);
        if profile == "release" {
            build.arg("--release");
        }
        run(&mut build)?;
        run(Command::new(target_dir().join(profile).join("netassure"))
            .args(["setup", "--lib-dir"])
            .arg(library.parent().expect("a folder")))?;
    }
    let beside = target_dir().join(profile).join("libonnxruntime.so");
    let same_size = |a: &Path, b: &Path| {
        std::fs::metadata(a)
            .ok()
            .zip(std::fs::metadata(b).ok())
            .is_some_and(|(a, b)| a.len() == b.len())
    };
    if !same_size(&library, &beside) {
        std::fs::create_dir_all(beside.parent().expect("a folder"))?;
        std::fs::copy(&library, &beside)
            .with_context(|| format!("copying the library to {}", beside.display()))?;
    }
    Ok(library)
}

/// `cargo xtask setup-ort [--gpu]`.
pub fn setup_ort(gpu: bool) -> anyhow::Result<()> {
    let library = ensure_onnxruntime("debug")?;
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

/// `cargo xtask train-gae`: the shipped generic `flow-gae` — one benign day of the synthetic
/// enterprise (`generate-flows --seed 11 --day 1`), trained in Rust (`netassure-gae`, its `fit`
/// example), measured on an attack day (`--seed 13 --day 3`) and through ONNX Runtime, written
/// to `models/` with its reference window; the card marked `scope = "generic"`.
pub fn train_gae(epochs: u32) -> anyhow::Result<()> {
    ensure_onnxruntime("release")?;
    run(crate::cargo().args([
        "build",
        "--release",
        "-p",
        "netassure-cli",
        "--bin",
        "netassure",
    ]))?;
    let cli = target_dir().join("release/netassure");
    let data = target_dir().join("gae-data");
    std::fs::create_dir_all(&data)?;
    for (name, seed, day, attacks) in [("train", "11", "1", "none"), ("test", "13", "3", "all")] {
        run(Command::new(&cli)
            .args([
                "generate-flows",
                "--seed",
                seed,
                "--day",
                day,
                "--attacks",
                attacks,
                "--out",
            ])
            .arg(data.join(format!("{name}.csv"))))?;
    }
    run(crate::cargo()
        .args([
            "run",
            "--release",
            "-p",
            "netassure-gae",
            "--example",
            "fit",
            "--",
        ])
        .arg("--train")
        .arg(data.join("train.csv"))
        .arg("--test")
        .arg(data.join("test.csv"))
        .args(["--epochs", &epochs.to_string(), "--ort", "--out"])
        .arg(root().join("models")))?;
    let card_path = root().join("models/flow-gae.toml");
    let card = std::fs::read_to_string(&card_path).context("training wrote no card")?;
    let card = card.replacen("\nversion = ", "\nscope = \"generic\"\nversion = ", 1).replacen(
        "[training]\n",
        "[training]\ndata = \"netassure generate-flows --seed 11 --day 1 --attacks none (the synthetic enterprise of netassure-flowsynth, benign only); shipped as a generic model: the host uses it only with [models.flow-gae] use_generic = true\"\n",
        1,
    );
    std::fs::write(&card_path, card)?;
    if !root().join("models/flow-gae.onnx").is_file() {
        bail!("training wrote no models/flow-gae.onnx");
    }
    Ok(())
}
