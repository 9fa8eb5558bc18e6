//! `cargo xtask`: the project's automation.
//!
//! - `cargo xtask demo` — set up (wasm target), build host and plugins, run the demo.
//! - `cargo xtask test` — build everything and run every test.
//! - `cargo xtask setup` — wasm target, plugins, release host, ONNX Runtime beside it.
//! - `cargo xtask build-plugins [--fixtures]` — build the plugins for `wasm32-wasip2`.
//! - `cargo xtask new-plugin NAME --kind detector|graph-algorithm|alert-rule` — scaffold a plugin.
//! - `cargo xtask bench` — run the benchmarks (release build).
//! - `cargo xtask bench-detection` — detection on unseen networks, per flow and per incident.
//! - `cargo xtask graph-fixtures [NAME...]` — re-make the networkx fixtures (needs PyPI).
//! - `cargo xtask setup-ort [--gpu]` — fetch the ONNX Runtime library (PyPI wheel) into `.ort/`.
//! - `cargo xtask train-gae` — data, training (Rust) and export of the shipped generic flow GAE.

mod build;
mod demo;
mod detection;
mod models;
mod scaffold;
mod test_report;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Build the plugins (and with --fixtures the test fixtures) for wasm32-wasip2.
    BuildPlugins {
        /// Also build the test fixtures into target/test-plugins/.
        #[arg(long)]
        fixtures: bool,
    },
    /// Scaffold a plugin crate under plugins/ (or --dir).
    NewPlugin {
        /// Crate and plugin name (a-z, 0-9, `-`).
        name: String,
        /// Which world the plugin implements.
        #[arg(long, value_parser = ["detector", "graph-algorithm", "alert-rule"])]
        kind: String,
        /// Parent directory (default: plugins/).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Set up, build, and run the host on the shipped example with the shipped plugins.
    Demo {
        /// Exit when the example has been processed instead of serving until Ctrl-C.
        #[arg(long)]
        once: bool,
        /// REST API address of the demo host.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Set up a fresh machine: the wasm target, the plugins, the host (release) and the ONNX
    /// Runtime library beside it (the host then runs from any directory).
    Setup,
    /// Build everything and run every test.
    Test,
    /// Run the benchmarks (release build); results go to stdout and BENCHMARKS.md by hand.
    Bench,
    /// Detection on networks the shipped model never saw: train on a benign day, evaluate an
    /// attack day per flow and per incident (release build; not in CI: about an hour).
    BenchDetection,
    /// Fetch the ONNX Runtime library from the PyPI onnxruntime wheel into .ort/.
    SetupOrt {
        /// Also install onnxruntime-gpu with CUDA and cuDNN from PyPI (a venv under target/).
        #[arg(long)]
        gpu: bool,
    },
    /// Generate data, train (in Rust) and export the shipped generic flow graph autoencoder
    /// into models/ (about a minute in release).
    TrainGae {
        /// Training epochs.
        #[arg(long, default_value_t = 20)]
        epochs: u32,
    },
    /// Re-make the networkx fixtures of tests/fixtures/graphs/ (a venv under target/; not in CI).
    GraphFixtures {
        /// Only these graphs (file stems), e.g. `clos-fabric random-gnm-300`.
        only: Vec<String>,
    },
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

/// The cargo target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// The cargo binary that runs us.
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

/// Run `command`, failing with its description when it fails.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    eprintln!("xtask: running {command:?}");
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

/// Install the wasm32-wasip2 target with rustup when it is missing.
pub fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match installed {
        Ok(output)
            if String::from_utf8_lossy(&output.stdout)
                .lines()
                .any(|line| line.trim() == "wasm32-wasip2") =>
        {
            Ok(())
        }
        Ok(_) => run(Command::new("rustup").args(["target", "add", "wasm32-wasip2"])),
        Err(_) => {
            eprintln!("xtask: rustup not found; assuming the wasm32-wasip2 target is installed");
            Ok(())
        }
    }
}

/// The real peers the tests use: (program, Debian package).
const TEST_TOOLS: [(&str, &str); 5] = [
    ("yanglint", "libyang2-tools"),
    ("nats-server", "nats-server"),
    ("softflowd", "softflowd"),
    ("nfcapd", "nfdump"),
    ("nfdump", "nfdump"),
];

/// True when `program` is on the `PATH` (or in `/usr/sbin`, where Debian puts daemons).
fn on_path(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .any(|dir| dir.join(program).is_file())
}

/// Install the real peers the tests use (Debian packages) when they are missing.
fn ensure_test_tools() -> anyhow::Result<()> {
    let mut missing: Vec<&str> = TEST_TOOLS
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(_, package)| *package)
        .collect();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing {} (Debian packages)", missing.join(", "));
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
    };
    if !install().is_ok_and(|status| status.success()) {
        let _ = Command::new("apt-get").arg("update").status();
        run(Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
    Ok(())
}

/// Build the two binaries, `netassure-host` (the daemon) and `netassure` (the CLI, crate
/// `netassure-cli`), in `profile` (`debug` or `release`).
pub fn build_binaries(profile: &str) -> anyhow::Result<()> {
    let mut build = cargo();
    build.args([
        "build",
        "-p",
        "netassure-host",
        "-p",
        "netassure-cli",
        "--bins",
    ]);
    if profile == "release" {
        build.arg("--release");
    }
    run(&mut build)
}

fn setup() -> anyhow::Result<()> {
    ensure_wasm_target()?;
    build::build_plugins(false)?;
    build_binaries("release")?;
    let library = models::ensure_onnxruntime("release")?;
    println!(
        "ready: {} (plugins in {}, ONNX Runtime {} beside the binaries)",
        target_dir().join("release/netassure-host").display(),
        target_dir().join("plugins").display(),
        library.display()
    );
    Ok(())
}

fn test() -> anyhow::Result<()> {
    ensure_wasm_target()?;
    ensure_test_tools()?;
    build::build_plugins(true)?;
    build_binaries("debug")?;
    models::ensure_onnxruntime("debug")?;
    let target = target_dir();
    test_report::run_reporting_failures(
        cargo()
            .args(["test", "--workspace", "--no-fail-fast"])
            .env("NETASSURE_HOST_BIN", target.join("debug/netassure-host"))
            .env("NETASSURE_CLI_BIN", target.join("debug/netassure"))
            .env("NETASSURE_PLUGINS_DIR", target.join("plugins"))
            .env("NETASSURE_TEST_PLUGINS_DIR", target.join("test-plugins")),
    )?;
    scaffold::check_every_kind()
}

fn bench() -> anyhow::Result<()> {
    ensure_wasm_target()?;
    models::ensure_onnxruntime("release")?;
    build::build_plugins(true)?;
    let target = target_dir();
    run(cargo()
        .args([
            "bench",
            "-p",
            "netassure-host",
            "--bench",
            "runtime",
            "--bench",
            "topology",
            "--bench",
            "findings",
            "--bench",
            "feed",
            "--bench",
            "analytics",
            "--bench",
            "flow_pipeline",
            "--bench",
            "inference",
        ])
        .env("NETASSURE_PLUGINS_DIR", target.join("plugins"))
        .env("NETASSURE_TEST_PLUGINS_DIR", target.join("test-plugins")))
}

/// Python venv under target/ with `requirements`; returns its python.
pub fn venv(name: &str, requirements: &Path) -> anyhow::Result<PathBuf> {
    let dir = target_dir().join(name);
    let python = dir.join("bin/python");
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&dir))?;
    }
    run(Command::new(&python)
        .args(["-m", "pip", "install", "-q", "-r"])
        .arg(requirements))?;
    Ok(python)
}

fn graph_fixtures(only: &[String]) -> anyhow::Result<()> {
    let fixtures = root().join("tests/fixtures/graphs");
    let python = venv("graphs-venv", &fixtures.join("requirements.txt"))?;
    run(Command::new(python)
        .arg(fixtures.join("make_fixtures.py"))
        .args(only))
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Task::BuildPlugins { fixtures } => {
            ensure_wasm_target()?;
            build::build_plugins(fixtures)
        }
        Task::NewPlugin { name, kind, dir } => {
            scaffold::new_plugin(&name, &kind, dir.as_deref()).map(|_| ())
        }
        Task::Demo { once, listen } => demo::demo(once, &listen),
        Task::Test => test(),
        Task::Setup => setup(),
        Task::Bench => bench(),
        Task::BenchDetection => detection::bench_detection(),
        Task::GraphFixtures { only } => graph_fixtures(&only),
        Task::SetupOrt { gpu } => models::setup_ort(gpu),
        Task::TrainGae { epochs } => models::train_gae(epochs),
    }
}
