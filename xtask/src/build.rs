//! Building plugins: plain `cargo build --target wasm32-wasip2`, then copying each component
//! to `target/plugins/NAME.wasm` (shipped plugins) or `target/test-plugins/` (fixtures).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::{cargo, root, run, target_dir};

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "plugin";

/// Package names of the crates directly under `dir`.
pub fn crates_in(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let manifest = entry?.path().join("Cargo.toml");
        if manifest.exists() {
            let text = std::fs::read_to_string(&manifest)?;
            let value: toml::Table =
                toml::from_str(&text).with_context(|| format!("parsing {}", manifest.display()))?;
            let name = value["package"]["name"]
                .as_str()
                .context("package.name")?
                .to_owned();
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn build(packages: &[String], features: &[&str]) -> anyhow::Result<()> {
    let mut command = cargo();
    command.args(["build", "--target", TARGET, "--profile", PROFILE]);
    for package in packages {
        command.args(["-p", package]);
    }
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    run(&mut command)
}

fn artifact(package: &str) -> PathBuf {
    let dir = target_dir().join(TARGET).join(PROFILE);
    let library = dir.join(format!("{}.wasm", package.replace('-', "_")));
    if library.exists() {
        library
    } else {
        dir.join(format!("{package}.wasm"))
    }
}

fn copy(package: &str, out_dir: &Path, name: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(out_dir)?;
    let from = artifact(package);
    let to = out_dir.join(format!("{name}.wasm"));
    std::fs::copy(&from, &to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    eprintln!(
        "xtask: {} ({} KiB)",
        to.display(),
        std::fs::metadata(&to)?.len() / 1024
    );
    Ok(())
}

/// Build the shipped plugins, and the test fixtures when `fixtures` is set.
pub fn build_plugins(fixtures: bool) -> anyhow::Result<()> {
    let plugins = crates_in(&root().join("plugins"))?;
    build(&plugins, &[])?;
    for package in &plugins {
        copy(package, &target_dir().join("plugins"), package)?;
    }
    if fixtures {
        let out = target_dir().join("test-plugins");
        let fixtures = crates_in(&root().join("tests/fixtures/plugins"))?;
        build(&fixtures, &[])?;
        for package in &fixtures {
            let name = package.trim_start_matches("fixture-");
            let name = if name == "tagger" { "tagger-v1" } else { name };
            copy(package, &out, name)?;
        }
        build(&["fixture-tagger".to_owned()], &["v2"])?;
        copy("fixture-tagger", &out, "tagger-v2")?;
    }
    Ok(())
}
