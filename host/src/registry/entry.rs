//! One registered plugin: what it runs now (its deployment), its status and its statistics.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use hdrhistogram::Histogram;
use serde::Serialize;

use super::manifest::Manifest;
use crate::runtime::{Limits, LoadedComponent, PluginInfoRecord};

/// What a plugin runs: a component, its configuration and its limits. Replaced as a whole on
/// every install, swap, reload or configuration change; workers notice by the generations.
pub struct Deployment {
    /// The validated component.
    pub loaded: Arc<LoadedComponent>,
    /// The manifest it was deployed with.
    pub manifest: Manifest,
    /// Effective limits (defaults with the manifest's overrides).
    pub limits: Limits,
    /// Bumped when the component instance must be replaced (new version, reload).
    pub generation: u64,
    /// Bumped when only the configuration changed.
    pub config_generation: u64,
    /// When it was deployed, RFC 3339.
    pub deployed_at: String,
}

/// Plugin status as the API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Receiving events.
    Enabled,
    /// Switched off by an operator.
    Disabled,
    /// Switched off by the host after too many consecutive failures.
    Quarantined,
}

/// The last failure of a plugin.
#[derive(Debug, Clone, Serialize)]
pub struct LastError {
    /// What happened.
    pub message: String,
    /// When, RFC 3339.
    pub at: String,
}

/// Counters and latency of one plugin.
pub struct PluginStats {
    /// Calls made (including failed ones).
    pub calls: AtomicU64,
    /// Calls that trapped (deadline, memory, panic, other trap).
    pub failures: AtomicU64,
    /// Calls where the plugin returned an error on purpose.
    pub errors: AtomicU64,
    /// Failures since the last successful call.
    pub consecutive_failures: AtomicU64,
    /// Jobs not delivered because the plugin was disabled or quarantined.
    pub skipped: AtomicU64,
    /// Analysis runs dropped unstarted because their client had gone.
    pub runs_abandoned: AtomicU64,
    /// Anomalies or alerts the plugin produced.
    pub outputs: AtomicU64,
    /// Times the component was replaced by another version.
    pub swaps: AtomicU64,
    /// The last failure or error.
    pub last_error: Mutex<Option<LastError>>,
    /// Call latency in nanoseconds.
    pub latency: Mutex<Histogram<u64>>,
    /// CPU time of each call on its thread in nanoseconds (what the plugin costs, whatever
    /// else wanted the cores meanwhile).
    pub cpu: Mutex<Histogram<u64>>,
}

impl Default for PluginStats {
    fn default() -> Self {
        PluginStats {
            calls: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            consecutive_failures: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            runs_abandoned: AtomicU64::new(0),
            outputs: AtomicU64::new(0),
            swaps: AtomicU64::new(0),
            last_error: Mutex::new(None),
            latency: Mutex::new(call_histogram()),
            cpu: Mutex::new(call_histogram()),
        }
    }
}

/// A histogram of call times from 1 ns to an hour: `saturating_record` clamps and never
/// resizes, so the bounds must hold every call (an auto-resizing histogram starts at 2 ns and
/// stays there).
fn call_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid bounds")
}

/// The median and 99th percentile of `histogram` in microseconds (none before the first call).
fn quantiles_us(histogram: &Mutex<Histogram<u64>>) -> (Option<u64>, Option<u64>) {
    let histogram = histogram
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if histogram.is_empty() {
        return (None, None);
    }
    (
        Some(histogram.value_at_quantile(0.5) / 1000),
        Some(histogram.value_at_quantile(0.99) / 1000),
    )
}

/// A registered plugin.
pub struct PluginEntry {
    /// Registry name.
    pub name: Arc<str>,
    /// What it runs now.
    pub deployment: ArcSwap<Deployment>,
    /// Operator switch (mirrors the manifest's `enabled`).
    pub enabled: AtomicBool,
    /// Host switch after repeated failures.
    pub quarantined: AtomicBool,
    /// Statistics.
    pub stats: PluginStats,
    /// Flows waiting for it, and flow windows it never saw.
    pub backlog: Arc<crate::pipeline::Backlog>,
    /// The worker's queue.
    pub(super) jobs: super::JobSender,
    /// Where quarantines are kept across restarts, when they are.
    pub(super) quarantines: Option<Arc<super::QuarantineBook>>,
}

impl PluginEntry {
    /// Current status.
    pub fn status(&self) -> Status {
        if self.quarantined.load(Ordering::Acquire) {
            Status::Quarantined
        } else if self.enabled.load(Ordering::Acquire) {
            Status::Enabled
        } else {
            Status::Disabled
        }
    }

    /// True when the plugin should be called.
    pub(crate) fn accepting(&self) -> bool {
        self.status() == Status::Enabled
    }

    /// Record a failed call; returns true when this failure quarantined the plugin.
    pub(crate) fn record_failure(&self, message: String, max_consecutive: u32) -> bool {
        self.stats.failures.fetch_add(1, Ordering::Relaxed);
        let consecutive = self
            .stats
            .consecutive_failures
            .fetch_add(1, Ordering::AcqRel)
            + 1;
        let reached = consecutive >= u64::from(max_consecutive.max(1));
        // On record (on disk) and with its reason before anyone can see the quarantine: a
        // host stopped right after `/plugins` showed it still starts the plugin quarantined.
        if reached
            && !self.quarantined.load(Ordering::Acquire)
            && let Some(book) = &self.quarantines
        {
            book.record(&self.name, &self.deployment.load().loaded.hash, &message);
        }
        self.set_last_error(message);
        reached && !self.quarantined.swap(true, Ordering::AcqRel)
    }

    /// Record an error the plugin returned on purpose.
    pub(crate) fn record_error(&self, message: String) {
        self.stats.errors.fetch_add(1, Ordering::Relaxed);
        self.set_last_error(message);
    }

    fn set_last_error(&self, message: String) {
        let record = LastError {
            message,
            at: crate::timefmt::now_rfc3339(),
        };
        *self
            .stats
            .last_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(record);
    }

    /// Record one call's latency and the CPU time it spent, nanoseconds.
    pub(crate) fn record_call_time(&self, wall_nanos: u64, cpu_nanos: u64) {
        for (histogram, nanos) in [
            (&self.stats.latency, wall_nanos),
            (&self.stats.cpu, cpu_nanos),
        ] {
            histogram
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .saturating_record(nanos.max(1));
        }
    }

    /// Lift a quarantine and forget the failure streak.
    pub(crate) fn clear_quarantine(&self) {
        self.stats.consecutive_failures.store(0, Ordering::Release);
        if self.quarantined.swap(false, Ordering::AcqRel)
            && let Some(book) = &self.quarantines
        {
            book.forget(&self.name);
        }
    }

    /// The plugin as the API shows it.
    pub fn detail(&self) -> PluginDetail {
        let deployment = self.deployment.load();
        let (p50, p99) = quantiles_us(&self.stats.latency);
        let (cpu_p50, cpu_p99) = quantiles_us(&self.stats.cpu);
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        PluginDetail {
            name: self.name.to_string(),
            kind: deployment.loaded.info.kind,
            world: format!(
                "netassure:plugin/{}@{}",
                deployment.loaded.info.kind, deployment.loaded.wit_version
            ),
            version: deployment.loaded.info.version.clone(),
            status: self.status(),
            info: deployment.loaded.info.clone(),
            subscriptions: deployment.loaded.info.subscriptions.clone(),
            limits: deployment.limits,
            config: serde_json::to_value(&deployment.manifest.config).unwrap_or_default(),
            hash: deployment.loaded.hash.clone(),
            size_bytes: deployment.loaded.size,
            deployed_at: deployment.deployed_at.clone(),
            calls: load(&self.stats.calls),
            failures: load(&self.stats.failures),
            errors: load(&self.stats.errors),
            consecutive_failures: load(&self.stats.consecutive_failures),
            skipped: load(&self.stats.skipped),
            windows_skipped: self.backlog.windows_skipped(),
            flows_skipped: self.backlog.flows_skipped(),
            queued_flows: self.backlog.queued_flows(),
            queued_jobs: self.jobs.len(),
            runs_abandoned: load(&self.stats.runs_abandoned),
            outputs: load(&self.stats.outputs),
            swaps: load(&self.stats.swaps),
            last_error: self
                .stats
                .last_error
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
            p50_call_us: p50,
            p99_call_us: p99,
            p50_call_cpu_us: cpu_p50,
            p99_call_cpu_us: cpu_p99,
        }
    }
}

/// Everything `GET /plugins/{name}` returns.
#[derive(Debug, Clone, Serialize)]
pub struct PluginDetail {
    /// Registry name.
    pub name: String,
    /// `detector`, `graph-algorithm` or `alert-rule`.
    pub kind: crate::runtime::PluginKind,
    /// The WIT world it implements.
    pub world: String,
    /// Version from `describe()`.
    pub version: String,
    /// `enabled`, `disabled` or `quarantined`.
    pub status: Status,
    /// What `describe()` returned.
    pub info: PluginInfoRecord,
    /// Event kinds it receives.
    pub subscriptions: Vec<crate::model::EventKind>,
    /// Effective limits.
    pub limits: Limits,
    /// Configuration.
    pub config: serde_json::Value,
    /// SHA-256 of the component.
    pub hash: String,
    /// Component size.
    pub size_bytes: usize,
    /// When the current version was deployed.
    pub deployed_at: String,
    /// Calls made.
    pub calls: u64,
    /// Calls that trapped.
    pub failures: u64,
    /// Errors returned by the plugin.
    pub errors: u64,
    /// Current failure streak.
    pub consecutive_failures: u64,
    /// Jobs skipped while disabled or quarantined.
    pub skipped: u64,
    /// Flow windows it never handled: its backlog was full (live collector), it was
    /// quarantined, or its call failed (a disabled detector skips by choice, uncounted).
    pub windows_skipped: u64,
    /// Flows in those windows.
    pub flows_skipped: u64,
    /// Flows waiting in its queue now.
    pub queued_flows: u64,
    /// Jobs waiting in the plugin's queue now (events, flow windows, anomalies, analysis runs;
    /// the one running is not counted).
    pub queued_jobs: usize,
    /// Analysis runs dropped unstarted because their client had gone.
    pub runs_abandoned: u64,
    /// Anomalies or alerts produced.
    pub outputs: u64,
    /// Version swaps.
    pub swaps: u64,
    /// Last failure or error.
    pub last_error: Option<LastError>,
    /// Median call time, microseconds.
    pub p50_call_us: Option<u64>,
    /// 99th percentile call time, microseconds.
    pub p99_call_us: Option<u64>,
    /// Median CPU time of a call on its thread (host imports it called included, the host's
    /// handling of its results not), microseconds: what the plugin costs, whatever else
    /// wanted the cores meanwhile.
    pub p50_call_cpu_us: Option<u64>,
    /// 99th percentile CPU time of a call, microseconds.
    pub p99_call_cpu_us: Option<u64>,
}
