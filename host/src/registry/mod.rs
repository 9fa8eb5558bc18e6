//! The plugin registry: every plugin by name, the directory it is mirrored to, and the
//! operations of the REST API and the directory watcher (install, hot-swap, configure,
//! enable, disable, reload, remove).
//!
//! Invariants:
//! - A new version is compiled, instantiated, described and configured *before* it replaces
//!   the old one; on any failure the old version keeps running.
//! - The plugin directory is the source of truth across restarts: the API writes `NAME.wasm`
//!   and `NAME.toml` there, and the watcher's rescans are idempotent (same hash and manifest:
//!   nothing happens), so a change made through the API is applied once.
//! - Each plugin's queue outlives its versions, so swaps neither drop nor repeat events.

mod directory;
mod entry;
mod manifest;
mod pool;
mod quarantine;
mod runs;
mod watch;
mod worker;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use arc_swap::ArcSwap;

pub use entry::{Deployment, LastError, PluginDetail, PluginEntry, PluginStats, Status};
pub use manifest::Manifest;
pub use pool::JobSender;
pub use quarantine::QuarantineBook;
pub use runs::{MAX_PENDING_RUNS, RunSlot};
pub use watch::DirectoryWatcher;
pub use worker::{Job, RunError};

use crate::pipeline::{FeedEvent, Pipeline, Route, Routes};
use crate::runtime::bindings::algorithms::{AlgorithmResult, Param};
use crate::runtime::{Limits, LoadError, LoadedComponent, PluginKind, Runtime};

/// Errors of registry operations, each mapped to an HTTP status by the API.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No plugin has this name.
    #[error("no plugin named `{0}`")]
    NotFound(String),
    /// The name is not a valid plugin name.
    #[error(
        "invalid plugin name `{0}`: use 1-64 characters a-z, 0-9, `-` or `_`, starting with a letter or digit"
    )]
    InvalidName(String),
    /// The component or its configuration was refused.
    #[error(transparent)]
    Invalid(#[from] LoadError),
    /// The configuration body was not acceptable.
    #[error("{0}")]
    InvalidConfig(String),
    /// The plugin is not of the kind the operation needs.
    #[error("plugin `{name}` is a {kind}, not a {wanted}")]
    WrongKind {
        /// Plugin name.
        name: String,
        /// Its kind.
        kind: PluginKind,
        /// Kind needed.
        wanted: PluginKind,
    },
    /// The run failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// Every analysis slot is taken.
    #[error(
        "{MAX_PENDING_RUNS} analyses are already running or waiting; retry when one has finished"
    )]
    Busy,
    /// Filesystem or other host failure.
    #[error("{0:#}")]
    Internal(#[from] anyhow::Error),
}

/// Whether an install created a plugin or replaced one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InstallOutcome {
    /// A new plugin.
    Created,
    /// A new version of an existing plugin.
    Swapped,
    /// The same component and manifest were already running.
    Unchanged,
}

/// The registry.
pub struct Registry {
    runtime: Arc<Runtime>,
    pipeline: Arc<Pipeline>,
    dir: PathBuf,
    defaults: Limits,
    queues: QueueLimits,
    pool: pool::DetectorPool,
    plugins: RwLock<BTreeMap<String, Arc<PluginEntry>>>,
    /// Serialises changes to the set of plugins and their deployments.
    changes: Mutex<u64>,
    /// Held while the directory is written and applied (API) or a rescan's validated file is
    /// checked again and applied, so a rescan never deploys over a newer API write.
    files: Mutex<()>,
    /// Serialises rescans (the watcher's and the one at start).
    scanning: Mutex<()>,
    /// Files in the plugin directory that failed to load, with the reason.
    load_errors: Mutex<BTreeMap<String, String>>,
    closed: AtomicBool,
    runs: runs::RunSlots,
    quarantines: std::sync::OnceLock<Arc<QuarantineBook>>,
}

/// How much work a plugin may have waiting (`[plugins] queue_capacity`, `max_queued_flows`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Jobs a plugin may have waiting before publishers wait for it.
    pub jobs: usize,
    /// Flows a flow detector may have waiting; a live source's windows past it are skipped
    /// for that detector and counted.
    pub flows: u64,
    /// Threads the detectors share (0: one per core).
    pub detector_threads: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits {
            jobs: 1024,
            flows: 1_000_000,
            detector_threads: 0,
        }
    }
}

/// Where a new plugin's jobs are taken from.
enum Queue {
    /// By the detector pool.
    Pooled(Arc<pool::Mailbox>),
    /// By a thread of its own.
    Dedicated(crossbeam_channel::Receiver<Job>),
}

/// True for names a plugin may have (also safe as a file stem).
pub(crate) fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_')
}

impl Registry {
    /// A registry mirroring `dir` (created if missing).
    pub fn new(
        runtime: Arc<Runtime>,
        pipeline: Arc<Pipeline>,
        dir: &Path,
        defaults: Limits,
        queues: QueueLimits,
    ) -> anyhow::Result<Arc<Self>> {
        std::fs::create_dir_all(dir)
            .map_err(|err| anyhow::anyhow!("creating plugin dir {}: {err}", dir.display()))?;
        Ok(Arc::new(Registry {
            runtime,
            pipeline,
            dir: dir.to_owned(),
            defaults,
            queues: QueueLimits {
                jobs: queues.jobs.max(1),
                ..queues
            },
            pool: {
                let pool = pool::DetectorPool::start(queues.detector_threads);
                tracing::info!("detectors share {} threads", pool.threads());
                pool
            },
            plugins: RwLock::new(BTreeMap::new()),
            changes: Mutex::new(0),
            files: Mutex::new(()),
            scanning: Mutex::new(()),
            load_errors: Mutex::new(BTreeMap::new()),
            closed: AtomicBool::new(false),
            runs: runs::RunSlots::default(),
            quarantines: std::sync::OnceLock::new(),
        }))
    }

    /// Keep quarantines in `path` across restarts (call before loading plugins).
    pub(crate) fn keep_quarantines_in(&self, path: PathBuf) {
        let _ = self.quarantines.set(Arc::new(QuarantineBook::open(path)));
    }

    /// The plugin directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn wasm_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.wasm"))
    }

    fn manifest_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.toml"))
    }

    /// The plugin called `name`.
    pub fn get(&self, name: &str) -> Result<Arc<PluginEntry>, RegistryError> {
        self.plugins
            .read()
            .expect("registry lock")
            .get(name)
            .cloned()
            .ok_or_else(|| RegistryError::NotFound(name.to_owned()))
    }

    /// Every plugin, by name.
    pub fn list(&self) -> Vec<Arc<PluginEntry>> {
        self.plugins
            .read()
            .expect("registry lock")
            .values()
            .cloned()
            .collect()
    }

    /// Files that failed to load, with the reason.
    pub(crate) fn load_errors(&self) -> BTreeMap<String, String> {
        self.load_errors.lock().expect("registry lock").clone()
    }

    fn check_name(name: &str) -> Result<(), RegistryError> {
        if valid_name(name) {
            Ok(())
        } else {
            Err(RegistryError::InvalidName(name.to_owned()))
        }
    }

    /// Validate `bytes` as plugin `name` with `manifest` (compile, describe, configure).
    pub fn validate(
        &self,
        name: &str,
        bytes: &[u8],
        manifest: &Manifest,
    ) -> Result<Arc<LoadedComponent>, RegistryError> {
        Self::check_name(name)?;
        let limits = self.defaults.with(&manifest.limits);
        Ok(self
            .runtime
            .load(name, bytes, &manifest.config_json(), limits)?)
    }

    /// Install or hot-swap plugin `name` from component bytes (the `PUT /plugins/{name}` path):
    /// validate, persist to the plugin directory, then go live. The manifest already in the
    /// directory (if any) is kept.
    pub fn install_bytes(
        &self,
        name: &str,
        bytes: &[u8],
    ) -> Result<(InstallOutcome, Arc<PluginEntry>), RegistryError> {
        Self::check_name(name)?;
        let manifest = Manifest::read(&self.manifest_path(name))
            .map_err(|err| RegistryError::InvalidConfig(format!("{err:#}")))?;
        let loaded = self.validate(name, bytes, &manifest)?;
        let _files = self.files.lock().expect("registry lock");
        crate::fsutil::write_atomic(&self.wasm_path(name), bytes)?;
        Ok(self.deploy(name, loaded, manifest, false))
    }

    /// Make `loaded` with `manifest` the live version of `name`. `fresh` forces a new instance
    /// even when the component is unchanged (reload).
    fn deploy(
        &self,
        name: &str,
        loaded: Arc<LoadedComponent>,
        manifest: Manifest,
        fresh: bool,
    ) -> (InstallOutcome, Arc<PluginEntry>) {
        let mut changes = self.changes.lock().expect("registry lock");
        *changes += 1;
        let limits = self.defaults.with(&manifest.limits);
        let existing = self
            .plugins
            .read()
            .expect("registry lock")
            .get(name)
            .cloned();
        self.load_errors
            .lock()
            .expect("registry lock")
            .remove(&format!("{name}.wasm"));
        let outcome = match existing {
            // Another kind of plugin under the same name: its queue is drained elsewhere (the
            // detector pool, or a thread of its own), so it gets a new entry; the old one
            // finishes what it has queued.
            Some(entry) if entry.deployment.load().loaded.info.kind != loaded.info.kind => {
                stop_worker(&entry);
                let entry = self.add_entry(name, loaded, manifest, limits);
                entry.stats.swaps.fetch_add(1, Ordering::Relaxed);
                tracing::info!(plugin = name, "plugin swapped to a version of another kind");
                (InstallOutcome::Swapped, entry)
            }
            Some(entry) => {
                let current = entry.deployment.load_full();
                let same_component = current.loaded.hash == loaded.hash;
                if same_component && current.manifest == manifest && !fresh {
                    return (InstallOutcome::Unchanged, entry);
                }
                let generation = if same_component && !fresh {
                    current.generation
                } else {
                    current.generation + 1
                };
                entry.deployment.store(Arc::new(Deployment {
                    loaded,
                    limits,
                    generation,
                    config_generation: current.config_generation + 1,
                    deployed_at: if same_component {
                        current.deployed_at.clone()
                    } else {
                        crate::timefmt::now_rfc3339()
                    },
                    manifest: manifest.clone(),
                }));
                entry.enabled.store(manifest.enabled, Ordering::Release);
                if !same_component || fresh {
                    entry.clear_quarantine();
                }
                if !same_component {
                    entry.stats.swaps.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(plugin = name, "plugin swapped to a new version");
                }
                (InstallOutcome::Swapped, entry)
            }
            None => {
                let entry = self.add_entry(name, loaded, manifest, limits);
                tracing::info!(plugin = name, "plugin installed");
                (InstallOutcome::Created, entry)
            }
        };
        self.refresh_routes();
        let change = if outcome.0 == InstallOutcome::Created {
            "installed"
        } else {
            "changed"
        };
        self.plugin_changed(name, change);
        outcome
    }

    fn plugin_changed(&self, name: &str, change: &str) {
        let event = FeedEvent::PluginChanged {
            plugin: name.to_owned(),
            change: change.to_owned(),
        };
        self.pipeline.feed().publish(event);
    }

    /// A new entry for `name`, with its worker started, in the registry (replacing any).
    fn add_entry(
        &self,
        name: &str,
        loaded: Arc<LoadedComponent>,
        manifest: Manifest,
        limits: Limits,
    ) -> Arc<PluginEntry> {
        let entry = self.spawn(name, loaded, manifest, limits);
        self.plugins
            .write()
            .expect("registry lock")
            .insert(name.to_owned(), entry.clone());
        entry
    }

    fn spawn(
        &self,
        name: &str,
        loaded: Arc<LoadedComponent>,
        manifest: Manifest,
        limits: Limits,
    ) -> Arc<PluginEntry> {
        let enabled = manifest.enabled;
        let (jobs, queue) = self.queue_for(loaded.info.kind);
        let quarantines = self.quarantines.get().cloned();
        let quarantined = quarantines
            .as_ref()
            .is_some_and(|book| book.holds(name, &loaded.hash));
        if quarantined {
            tracing::warn!(
                plugin = name,
                "plugin starts quarantined, as it was when the host stopped; enable or reload it to try again"
            );
        }
        let entry = Arc::new(PluginEntry {
            name: Arc::from(name),
            deployment: ArcSwap::from_pointee(Deployment {
                loaded,
                manifest,
                limits,
                generation: 0,
                config_generation: 0,
                deployed_at: crate::timefmt::now_rfc3339(),
            }),
            enabled: AtomicBool::new(enabled),
            quarantined: AtomicBool::new(quarantined),
            stats: PluginStats::default(),
            backlog: Arc::new(crate::pipeline::Backlog::new(self.queues.flows)),
            jobs,
            quarantines,
        });
        let worker =
            worker::Worker::new(entry.clone(), self.runtime.clone(), self.pipeline.clone());
        match queue {
            Queue::Pooled(mailbox) => mailbox.install(worker),
            Queue::Dedicated(queue) => {
                std::thread::Builder::new()
                    .name(format!("plugin-{name}"))
                    .spawn(move || worker.run(queue))
                    .expect("spawning a plugin worker");
            }
        }
        entry
    }

    /// The queue of a new plugin of `kind`: on the detector pool for a detector, drained by
    /// a thread of its own otherwise.
    fn queue_for(&self, kind: PluginKind) -> (JobSender, Queue) {
        if kind == PluginKind::Detector {
            let (jobs, mailbox) = self.pool.mailbox(self.queues.jobs);
            return (jobs, Queue::Pooled(mailbox));
        }
        let (jobs, queue) = crossbeam_channel::bounded(self.queues.jobs);
        (JobSender::dedicated(jobs), Queue::Dedicated(queue))
    }

    /// Rebuild the pipeline's routing table from the registered plugins.
    fn refresh_routes(&self) {
        let mut routes = Routes::default();
        for entry in self.plugins.read().expect("registry lock").values() {
            let deployment = entry.deployment.load();
            let route = Route {
                plugin: entry.name.clone(),
                kinds: deployment.loaded.info.subscriptions.clone(),
                inbox: Arc::new(entry.jobs.clone()),
                backlog: entry.backlog.clone(),
            };
            match deployment.loaded.info.kind {
                PluginKind::Detector => routes.detectors.push(route),
                PluginKind::AlertRule => routes.alert_rules.push(route),
                PluginKind::GraphAlgorithm => {}
            }
        }
        self.pipeline.set_routes(routes);
    }

    /// Remove plugin `name`, its files, its state and its metric series, at once. Jobs already
    /// queued for it are finished first, in the background.
    pub fn remove(&self, name: &str) -> Result<(), RegistryError> {
        let _files = self.files.lock().expect("registry lock");
        let _changes = self.changes.lock().expect("registry lock");
        let entry = self
            .plugins
            .write()
            .expect("registry lock")
            .remove(name)
            .ok_or_else(|| RegistryError::NotFound(name.to_owned()))?;
        self.refresh_routes();
        stop_worker(&entry);
        crate::fsutil::remove_if_exists(&self.wasm_path(name))?;
        crate::fsutil::remove_if_exists(&self.manifest_path(name))?;
        // A removed plugin's state and metric series go with it (a new plugin of the same
        // name starts clean).
        if let Some(book) = self.quarantines.get() {
            book.forget(name);
        }
        let services = self.runtime.services();
        services.metrics.remove_plugin(name);
        if let Err(err) = services.state.remove_plugin(name) {
            tracing::warn!(plugin = name, "removing the plugin's state failed: {err}");
        }
        tracing::info!(plugin = name, "plugin removed");
        self.plugin_changed(name, "removed");
        Ok(())
    }

    /// Unload plugin `name` without touching its files (its file disappeared).
    fn unload(&self, name: &str) {
        let _changes = self.changes.lock().expect("registry lock");
        if let Some(entry) = self.plugins.write().expect("registry lock").remove(name) {
            stop_worker(&entry);
            tracing::info!(plugin = name, "plugin unloaded (file removed)");
            self.plugin_changed(name, "removed");
        }
        self.refresh_routes();
    }

    /// Enable or disable plugin `name` (persisted in its manifest). Enabling lifts a quarantine.
    pub(crate) fn set_enabled(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<Arc<PluginEntry>, RegistryError> {
        let entry = self.get(name)?;
        let current = entry.deployment.load_full();
        let mut manifest = current.manifest.clone();
        manifest.enabled = enabled;
        let _files = self.files.lock().expect("registry lock");
        manifest.write(&self.manifest_path(name))?;
        if enabled {
            entry.clear_quarantine();
        }
        self.deploy(name, current.loaded.clone(), manifest, false);
        Ok(entry)
    }

    /// Replace the configuration of plugin `name` after checking it on a fresh instance.
    pub fn configure(
        &self,
        name: &str,
        config: &serde_json::Value,
    ) -> Result<Arc<PluginEntry>, RegistryError> {
        let entry = self.get(name)?;
        let current = entry.deployment.load_full();
        let mut manifest = current.manifest.clone();
        manifest
            .set_config_json(config)
            .map_err(RegistryError::InvalidConfig)?;
        let bytes = std::fs::read(self.wasm_path(name))
            .map_err(|err| anyhow::anyhow!("reading {name}.wasm: {err}"))?;
        let loaded = self.validate(name, &bytes, &manifest)?;
        let _files = self.files.lock().expect("registry lock");
        manifest.write(&self.manifest_path(name))?;
        self.deploy(name, loaded, manifest, false);
        Ok(entry)
    }

    /// Reload plugin `name` from its file with a fresh instance; lifts a quarantine.
    pub fn reload(&self, name: &str) -> Result<Arc<PluginEntry>, RegistryError> {
        let entry = self.get(name)?;
        let bytes = std::fs::read(self.wasm_path(name))
            .map_err(|err| anyhow::anyhow!("reading {name}.wasm: {err}"))?;
        let manifest = Manifest::read(&self.manifest_path(name))
            .map_err(|err| RegistryError::InvalidConfig(format!("{err:#}")))?;
        let loaded = self.validate(name, &bytes, &manifest)?;
        self.deploy(name, loaded, manifest, true);
        Ok(entry)
    }

    /// A place for one analysis run, taken before its snapshot is built; `Busy` when
    /// [`MAX_PENDING_RUNS`] runs are running or waiting.
    pub(crate) fn reserve_run(&self) -> Result<RunSlot, RegistryError> {
        self.runs.try_take().ok_or(RegistryError::Busy)
    }

    /// Run graph-algorithm `name` with `params` on `snapshot` in the place `slot`.
    pub async fn run_algorithm(
        &self,
        slot: RunSlot,
        name: &str,
        params: Vec<Param>,
        snapshot: Arc<crate::topology::TopologySnapshot>,
    ) -> Result<AlgorithmResult, RegistryError> {
        let entry = self.get(name)?;
        let kind = entry.deployment.load().loaded.info.kind;
        if kind != PluginKind::GraphAlgorithm {
            return Err(RegistryError::WrongKind {
                name: name.to_owned(),
                kind,
                wanted: PluginKind::GraphAlgorithm,
            });
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job::Run {
            slot,
            snapshot,
            params,
            reply,
        };
        let jobs = entry.jobs.clone();
        tokio::task::spawn_blocking(move || jobs.send(job))
            .await
            .map_err(|err| anyhow::anyhow!("queueing the run: {err}"))?
            .map_err(|_| anyhow::anyhow!("the plugin's worker has stopped"))?;
        let result = answer
            .await
            .map_err(|_| anyhow::anyhow!("the plugin's worker dropped the run"))?;
        Ok(result?)
    }

    /// Wait until every job queued so far has been processed: detectors first, then the alert
    /// rules (which the detectors may just have fed).
    pub fn flush(&self) {
        for kind in PluginKind::ALL {
            let waits: Vec<_> = self
                .list()
                .into_iter()
                .filter(|entry| entry.deployment.load().loaded.info.kind == kind)
                .filter_map(|entry| {
                    let (done, wait) = crossbeam_channel::bounded(1);
                    entry.jobs.send(Job::Flush(done)).ok().map(|_| wait)
                })
                .collect();
            for wait in waits {
                let _ = wait.recv();
            }
        }
    }

    /// Stop every worker after its queued jobs.
    pub fn shutdown(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        for entry in self.list() {
            stop_worker(&entry);
        }
    }
}

/// Ask `entry`'s worker to stop after the jobs already queued, without waiting: when its
/// queue is full (a busy or stuck plugin), a helper thread waits for the room, so no caller
/// (`DELETE`, the directory watcher, shutdown) ever blocks on a plugin while holding the
/// registry's locks.
fn stop_worker(entry: &PluginEntry) {
    match entry.jobs.try_send(Job::Stop) {
        Ok(()) | Err(crossbeam_channel::TrySendError::Disconnected(_)) => {}
        Err(crossbeam_channel::TrySendError::Full(stop)) => {
            let jobs = entry.jobs.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("stop-{}", entry.name))
                .spawn(move || {
                    let _ = jobs.send(stop);
                });
            if let Err(err) = spawned {
                tracing::warn!(
                    plugin = &*entry.name,
                    "cannot queue the stop of a busy plugin: {err}"
                );
            }
        }
    }
}
