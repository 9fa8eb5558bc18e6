//! Mirroring the plugin directory: every `NAME.wasm` (with its optional `NAME.toml`) is a
//! plugin called `NAME`. A rescan is idempotent: unchanged files cause no work.
//!
//! A changed file is validated without holding the directory lock (validation compiles and
//! calls the plugin, which takes time); under the lock the file is read again and deployed
//! only if it is still what was validated — if the API wrote a newer version meanwhile, that
//! write's own rescan handles it. So a slow component never holds up the API's installs.

use std::collections::BTreeSet;

use super::{InstallOutcome, Manifest, Registry, valid_name};

/// What one rescan did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanReport {
    /// Plugins created.
    pub created: Vec<String>,
    /// Plugins swapped or reconfigured.
    pub changed: Vec<String>,
    /// Plugins unloaded because their file is gone.
    pub removed: Vec<String>,
    /// Files that failed to load.
    pub failed: Vec<String>,
}

impl Registry {
    /// Bring the registry in line with the plugin directory.
    pub fn scan_directory(&self) -> ScanReport {
        let _scan = self.scanning.lock().expect("registry lock");
        let mut report = ScanReport::default();
        let mut present = BTreeSet::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) => {
                tracing::error!("reading plugin dir {}: {err}", self.dir.display());
                return report;
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let path = entry.path();
                let stem = path.file_stem()?.to_str()?.to_owned();
                (path.extension()? == "wasm" && !stem.starts_with('.')).then_some(stem)
            })
            .collect();
        names.sort();
        for name in names {
            let file = format!("{name}.wasm");
            if !valid_name(&name) {
                self.record_load_error(
                    &file,
                    format!("invalid plugin name `{name}` (use a-z, 0-9, `-`, `_`)"),
                );
                report.failed.push(file);
                continue;
            }
            present.insert(name.clone());
            match self.sync_one(&name) {
                Ok(InstallOutcome::Created) => report.created.push(name),
                Ok(InstallOutcome::Swapped) => report.changed.push(name),
                Ok(InstallOutcome::Unchanged) => {}
                Err(reason) => {
                    tracing::error!(plugin = %name, "cannot load {file}: {reason}; the running version (if any) is kept");
                    self.record_load_error(&file, reason);
                    report.failed.push(file);
                }
            }
        }
        let _files = self.files.lock().expect("registry lock");
        for entry in self.list() {
            // Gone from the directory, and not just written by the API since the listing.
            if !present.contains(&*entry.name) && !self.wasm_path(&entry.name).exists() {
                self.unload(&entry.name);
                report.removed.push(entry.name.to_string());
            }
        }
        report
    }

    fn record_load_error(&self, file: &str, reason: String) {
        self.load_errors
            .lock()
            .expect("registry lock")
            .insert(file.to_owned(), reason);
    }

    fn sync_one(&self, name: &str) -> Result<InstallOutcome, String> {
        let bytes = std::fs::read(self.wasm_path(name)).map_err(|err| err.to_string())?;
        let manifest =
            Manifest::read(&self.manifest_path(name)).map_err(|err| format!("{err:#}"))?;
        if let Ok(entry) = self.get(name) {
            let current = entry.deployment.load();
            if current.loaded.hash == crate::runtime::content_hash(&bytes)
                && current.manifest == manifest
            {
                return Ok(InstallOutcome::Unchanged);
            }
        }
        let loaded = self
            .validate(name, &bytes, &manifest)
            .map_err(|err| err.to_string())?;
        let _files = self.files.lock().expect("registry lock");
        let still_there = std::fs::read(self.wasm_path(name))
            .is_ok_and(|now| crate::runtime::content_hash(&now) == loaded.hash)
            && Manifest::read(&self.manifest_path(name)).is_ok_and(|now| now == manifest);
        if !still_there {
            return Ok(InstallOutcome::Unchanged);
        }
        Ok(self.deploy(name, loaded, manifest, false).0)
    }
}
