//! `cargo xtask new-plugin`: scaffold a plugin crate that builds and passes its own test, and
//! the check that proves it for every kind.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::{cargo, root, run};

const CARGO_TOML: &str = r#"[package]
name = "{{NAME}}"
version = "0.1.0"
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
netassure-plugin-sdk.workspace = true
serde.workspace = true

[lints]
workspace = true
"#;

fn template(kind: &str) -> anyhow::Result<&'static str> {
    Ok(match kind {
        "detector" => include_str!("templates/detector.rs"),
        "graph-algorithm" => include_str!("templates/graph-algorithm.rs"),
        "alert-rule" => include_str!("templates/alert-rule.rs"),
        other => bail!("unknown kind `{other}`: use detector, graph-algorithm or alert-rule"),
    })
}

/// Write `DIR/NAME/{Cargo.toml,src/lib.rs}`; returns the crate directory.
pub fn new_plugin(name: &str, kind: &str, dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let valid = !name.is_empty()
        && name.as_bytes()[0].is_ascii_lowercase()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        bail!("invalid plugin name `{name}`: use a-z, 0-9 and `-`, starting with a letter");
    }
    let source = template(kind)?.replace("{{NAME}}", name);
    let crate_dir = dir
        .map(Path::to_owned)
        .unwrap_or_else(|| root().join("plugins"))
        .join(name);
    if crate_dir.exists() {
        bail!("{} already exists", crate_dir.display());
    }
    std::fs::create_dir_all(crate_dir.join("src"))?;
    std::fs::write(
        crate_dir.join("Cargo.toml"),
        CARGO_TOML.replace("{{NAME}}", name),
    )?;
    std::fs::write(crate_dir.join("src/lib.rs"), source)?;
    eprintln!(
        "xtask: created {} ({kind}). Test it with `cargo test -p {name}`, build it with `cargo xtask build-plugins`.",
        crate_dir.display()
    );
    Ok(crate_dir)
}

/// Scaffold one plugin of every kind, run its test and build it for wasm32-wasip2, then
/// remove it again (and put `Cargo.lock` back as it was).
pub fn check_every_kind() -> anyhow::Result<()> {
    let lock_path = root().join("Cargo.lock");
    let lock = std::fs::read(&lock_path).ok();
    let result = check_kinds();
    if let Some(lock) = lock {
        std::fs::write(&lock_path, lock)?;
    }
    result
}

fn check_kinds() -> anyhow::Result<()> {
    for kind in ["detector", "graph-algorithm", "alert-rule"] {
        let name = format!("scaffold-check-{kind}");
        let dir = root().join("plugins").join(&name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        new_plugin(&name, kind, None)?;
        let result = run(cargo().args(["test", "-p", &name]))
            .and_then(|()| run(cargo().args(["build", "--target", "wasm32-wasip2", "-p", &name])));
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        result.with_context(|| format!("the scaffolded {kind} does not build or pass its test"))?;
        eprintln!("xtask: scaffolded {kind} builds and passes its test");
    }
    Ok(())
}
