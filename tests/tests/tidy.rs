//! Tidy checks: what the docs and the interface files say agrees with the code, both ways.
//! They read the repository's files (and the host's own types), start nothing, and fail with
//! the list of what disagrees.
//!
//! - ARCHITECTURE.md's code map names every workspace crate and every module of the host and
//!   of the crates under it (`crates/`);
//! - released WIT versions are frozen: `wit/RELEASED.sha256` holds the hash of each of their
//!   files, and a changed or added file in a released version fails (add a new version);
//! - `netassure.example.toml` sets every field of the configuration it shows;
//! - the OpenAPI document and the router list the same paths and methods;
//! - docs/metrics.md lists every metric the host registers, and nothing else;
//! - every file of `tests/tests/` is a module of the one test binary (`main.rs`): with
//!   `autotests = false` a file that is not is never compiled, and its tests never run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_owned());
            }
        }
    }
    out.sort();
    out
}

/// Every workspace crate's folder: the members, with `crates/*` expanded (other globs, such
/// as `plugins/*`, stand for their folder, which has its own section).
fn workspace_crates() -> Vec<String> {
    let manifest: toml::Value = toml::from_str(&read("Cargo.toml")).unwrap();
    let mut crates = Vec::new();
    for member in manifest["workspace"]["members"].as_array().unwrap() {
        let member = member.as_str().unwrap();
        if member == "crates/*" {
            for entry in std::fs::read_dir(root().join("crates")).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                crates.push(format!("crates/{name}"));
            }
        } else {
            crates.push(member.trim_end_matches("/*").to_owned());
        }
    }
    crates.sort();
    crates
}

/// The Rust sources the code map describes file by file: the host's and those of the crates
/// under it.
fn mapped_sources() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("host/src")];
    for krate in workspace_crates() {
        if krate.starts_with("crates/") {
            dirs.push(Path::new(&krate).join("src"));
        }
    }
    dirs
}

#[test]
fn the_code_map_names_every_crate_and_every_module_of_the_host_crates() {
    let map = read("ARCHITECTURE.md");
    let mut missing = Vec::new();
    for krate in workspace_crates() {
        if !map.contains(&format!("`{krate}/`")) && !map.contains(&format!("`{krate}`")) {
            missing.push(format!("crate {krate}"));
        }
    }
    for src in mapped_sources() {
        for file in files_under(&root().join(&src)) {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let entry_point = ["mod.rs", "lib.rs", "main.rs"].contains(&name.as_str());
            if name.ends_with(".rs") && !entry_point && !map.contains(&format!("`{name}`")) {
                missing.push(format!("{}", src.join(&file).display()));
            }
            for dir in file.parent().unwrap().iter() {
                let dir = dir.to_string_lossy();
                if dir != "bin" && !map.contains(&format!("`{dir}/`")) {
                    missing.push(format!("{}/.../{dir}/", src.display()));
                }
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not name: {missing:#?}"
    );
}

#[test]
fn released_wit_versions_are_never_edited() {
    let frozen = read("wit/RELEASED.sha256");
    let mut recorded = BTreeSet::new();
    let mut versions = BTreeSet::new();
    for line in frozen
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (hash, file) = line.split_once("  ").expect("`HASH  VERSION/FILE` lines");
        let bytes = std::fs::read(root().join("wit").join(file))
            .unwrap_or_else(|err| panic!("released file {file} is gone: {err}"));
        assert_eq!(
            hex(&Sha256::digest(&bytes)),
            hash,
            "wit/{file} of a released version was edited: released versions are frozen, add a new version instead"
        );
        recorded.insert(file.to_owned());
        versions.insert(file.split('/').next().unwrap().to_owned());
    }
    for version in &versions {
        for file in files_under(&root().join("wit").join(version)) {
            let file = format!("{version}/{}", file.display());
            assert!(
                recorded.contains(&file),
                "wit/{file} was added to the released version {version}: add a new version instead"
            );
        }
    }
    let current = format!("plugin@{}", netassure_host::runtime::WIT_VERSION);
    assert!(
        versions.contains(&current),
        "the version the host implements ({current}) is recorded in wit/RELEASED.sha256"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key path (`a.b.c`) of every value of a TOML table that is not itself a table (an
/// optional section left out serializes as an empty table: nothing to show).
fn key_paths(value: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let toml::Value::Table(table) = value {
        for (key, value) in table {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            if value.is_table() {
                key_paths(value, &path, out);
            } else {
                out.insert(path);
            }
        }
    }
}

#[test]
fn the_example_configuration_sets_every_field_of_what_it_shows() {
    let example = read("netassure.example.toml");
    let config = netassure_host::config::Config::from_toml(&example).unwrap();
    let mut full = BTreeSet::new();
    key_paths(&toml::Value::try_from(&config).unwrap(), "", &mut full);
    let mut written = BTreeSet::new();
    key_paths(&toml::from_str(&example).unwrap(), "", &mut written);
    let missing: Vec<_> = full.difference(&written).collect();
    assert!(
        missing.is_empty(),
        "netassure.example.toml leaves out (documented defaults belong in it): {missing:#?}"
    );
}

/// (path, method) of every `.route(...)` in the router's source.
fn router_routes() -> BTreeSet<(String, String)> {
    let source = read("host/src/api/mod.rs");
    let mut routes = BTreeSet::new();
    for call in source.split(".route(").skip(1) {
        let call = call.trim_start();
        let Some(rest) = call.strip_prefix('"') else {
            continue;
        };
        let (path, rest) = rest.split_once('"').unwrap();
        // The handlers up to the end of this `.route(...)`: balanced parentheses.
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(rest.len(), |(i, _)| i);
        let handlers = &rest[..end];
        for method in ["get", "post", "put", "delete", "patch"] {
            let starts = [format!(" {method}("), format!(".{method}(")];
            let called = starts.iter().any(|s| handlers.contains(s.as_str()))
                || handlers
                    .trim_start_matches([',', ' ', '\n'])
                    .starts_with(&format!("{method}("));
            if called {
                routes.insert((path.to_owned(), method.to_owned()));
            }
        }
    }
    routes
}

#[test]
fn the_openapi_document_and_the_router_agree_both_ways() {
    let openapi: serde_json::Value =
        serde_json::from_str(&read("host/src/api/openapi.json")).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in openapi["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((path.clone(), method.clone()));
        }
    }
    let routed = router_routes();
    assert!(
        routed.len() > 20,
        "the router's routes were read: {routed:?}"
    );
    assert_same(&routed, "routed", &documented, "openapi.json");
}

/// (exposed name, type) of every metric `crates/metrics/src/lib.rs` registers: each
/// `registry.register("name", "help", variable.clone())` and the `let variable =
/// Family::<Labels, Type>` it registers. (An empty family is not in the exposition, so the
/// source, not `/metrics`, says what exists.)
fn registered_metrics() -> BTreeSet<String> {
    let source = read("crates/metrics/src/lib.rs");
    let mut names = BTreeSet::new();
    for call in source.split("registry.register(").skip(1) {
        let call = &call[..call.find(");").unwrap()];
        let name = call.split('"').nth(1).unwrap();
        let variable = call
            .trim_end()
            .trim_end_matches(',')
            .rsplit(',')
            .next()
            .unwrap()
            .trim()
            .trim_end_matches(".clone()");
        let declaration = source
            .split(&format!("let {variable} = "))
            .nth(1)
            .unwrap_or_else(|| panic!("no `let {variable} = ...` for metric {name}"));
        let declaration = &declaration[..declaration.find(';').unwrap()];
        // `Counter` or a counter of another value type (`Counter<f64, AtomicU64>`).
        let exposed = if declaration.contains(", Counter>") || declaration.contains(", Counter<") {
            format!("netassure_{name}_total")
        } else {
            format!("netassure_{name}")
        };
        names.insert(exposed);
    }
    names
}

#[test]
fn docs_metrics_lists_every_metric_and_nothing_else() {
    let registered = registered_metrics();
    let docs = read("docs/metrics.md");
    let documented: BTreeSet<String> = docs
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(name, _)| name.to_owned()))
        .filter(|name| name.starts_with("netassure_"))
        .collect();
    assert!(
        registered.len() > 10,
        "the registrations were read: {registered:?}"
    );
    assert_same(&registered, "registered", &documented, "docs/metrics.md");
}

/// Fail unless `code` (what the source `does`) and `doc` (what `document` lists) hold the same
/// items, naming what each lacks.
fn assert_same<T: Ord + std::fmt::Debug>(
    code: &BTreeSet<T>,
    does: &str,
    doc: &BTreeSet<T>,
    document: &str,
) {
    let missing: Vec<_> = code.difference(doc).collect();
    let extra: Vec<_> = doc.difference(code).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{does} but not in {document}: {missing:#?}\nin {document} but not {does}: {extra:#?}"
    );
}

#[test]
fn every_test_file_is_a_module_of_the_test_binary() {
    let main = read("tests/tests/main.rs");
    let declared: BTreeSet<String> = main
        .lines()
        .filter_map(|line| line.trim().strip_prefix("mod "))
        .filter_map(|rest| rest.strip_suffix(';'))
        .map(str::to_owned)
        .collect();
    let mut files = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("tests/tests")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() && path.join("mod.rs").is_file() {
            files.insert(name);
        } else if let Some(module) = name.strip_suffix(".rs")
            && module != "main"
        {
            files.insert(module.to_owned());
        }
    }
    assert!(files.len() > 10, "the test files were read: {files:?}");
    let left_out: Vec<_> = files.difference(&declared).collect();
    let no_file: Vec<_> = declared.difference(&files).collect();
    assert!(
        left_out.is_empty() && no_file.is_empty(),
        "not a `mod` of tests/tests/main.rs (never compiled): {left_out:#?}\n`mod` of main.rs without a file: {no_file:#?}"
    );
}
