//! The versioned store: applies deltas and telemetry, keeps history, persists, and hands out
//! snapshots.
//!
//! The writer holds the live graph under a mutex; readers get an `Arc` snapshot from a cache.
//! A snapshot is made (one clone of the graph) the first time a reader asks after a change and
//! then shared by every reader of that revision, so a burst of deltas costs one clone, not one
//! per delta.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};

use super::TopologySnapshot;
use super::graph::{AppliedChange, TopologyGraph};
use super::history::{Diff, History, HistoryError, VersionRecord, VersionSummary};
use super::persist::{Checkpoint, LogEntry, Persistence};
use super::utilisation::{Point, UtilisationHistory};
use netassure_model::{self as model, TelemetrySample, TopologyChange, TopologyDelta};

/// How often (in log lines) telemetry compaction is considered.
pub(crate) const COMPACTION_CHECK_EVERY: u64 = 10_000;

/// `[topology]` of `netassure.toml`: how much history the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Versions kept for diffs. Example: `max_versions = 10000`.
    pub max_versions: usize,
    /// Oldest version kept, in seconds behind the newest. Example: `max_age_s = 86400`.
    pub max_age_s: u64,
    /// Utilisation points kept per link. Example: `utilisation_points = 2880`.
    pub utilisation_points: usize,
    /// Versions between two checkpoints of the persistent store. Example: `checkpoint_every = 100000`.
    pub checkpoint_every: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            max_versions: 10_000,
            max_age_s: 86_400,
            utilisation_points: 2_880,
            checkpoint_every: 100_000,
        }
    }
}

/// What applying a delta did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// Version after the delta.
    pub version: u64,
    /// Node and link changes it made.
    pub applied: usize,
    /// Changes that named unknown nodes or links, with the reason.
    pub rejected: Vec<String>,
    /// False when the delta made no version (a snapshot equal to the current topology).
    pub new_version: bool,
}

struct Live {
    graph: TopologyGraph,
    version: u64,
    revision: u64,
    timestamp_ms: u64,
    history: History,
    utilisation: UtilisationHistory,
    persistence: Option<Persistence>,
    config: StoreConfig,
}

/// The store.
pub struct TopologyStore {
    live: Mutex<Live>,
    cache: ArcSwap<TopologySnapshot>,
    revision: AtomicU64,
    /// The current version, readable without the lock (every event carries it).
    version: AtomicU64,
}

impl Default for TopologyStore {
    fn default() -> Self {
        Self::new()
    }
}

impl TopologyStore {
    /// An empty in-memory store with the default configuration.
    pub fn new() -> Self {
        Self::in_memory(StoreConfig::default())
    }

    /// An empty in-memory store.
    pub(crate) fn in_memory(config: StoreConfig) -> Self {
        Self::from_live(Live::empty(config))
    }

    fn from_live(live: Live) -> Self {
        let revision = live.revision;
        let version = live.version;
        let snapshot = TopologySnapshot {
            version,
            revision,
            timestamp_ms: live.timestamp_ms,
            graph: live.graph.clone(),
        };
        TopologyStore {
            live: Mutex::new(live),
            cache: ArcSwap::from_pointee(snapshot),
            revision: AtomicU64::new(revision),
            version: AtomicU64::new(version),
        }
    }

    /// A store persisted in `dir`: what was there is loaded (checkpoint, then log).
    pub fn open(dir: &Path, config: StoreConfig) -> anyhow::Result<Self> {
        let (persistence, checkpoint, entries) = Persistence::open(dir)?;
        let mut live = Live::empty(config);
        if let Some(checkpoint) = checkpoint {
            live.graph.replace_all(
                &checkpoint.nodes,
                &checkpoint.links,
                &mut Vec::new(),
                &mut Vec::new(),
            );
            live.version = checkpoint.version;
            live.timestamp_ms = checkpoint.timestamp_ms;
            checkpoint
                .history
                .into_iter()
                .for_each(|record| live.history.push(record));
            for (link, points) in checkpoint.utilisation {
                points
                    .into_iter()
                    .for_each(|point| live.utilisation.record(&link, point));
            }
        }
        let replayed = entries.len();
        for entry in entries {
            live.replay(entry);
        }
        live.revision = live.version;
        live.persistence = Some(persistence);
        tracing::info!(
            version = live.version,
            nodes = live.graph.node_count(),
            links = live.graph.link_count(),
            replayed,
            "topology store loaded from {}",
            dir.display()
        );
        Ok(Self::from_live(live))
    }

    fn lock(&self) -> MutexGuard<'_, Live> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Apply `delta` (at `timestamp_ms`; 0 means now) as one new version.
    pub fn apply(&self, delta: &TopologyDelta, timestamp_ms: u64) -> ApplyReport {
        let mut live = self.lock();
        let report = live.apply(
            delta,
            if timestamp_ms == 0 {
                model::now_ms()
            } else {
                timestamp_ms
            },
        );
        self.revision.store(live.revision, Ordering::Release);
        self.version.store(live.version, Ordering::Release);
        report
    }

    /// Apply a telemetry sample: a `utilisation` sample of a known link updates the link in
    /// place and its utilisation history (no new version). True when it applied.
    pub fn apply_telemetry(&self, sample: &TelemetrySample) -> bool {
        if sample.metric != "utilisation" {
            return false;
        }
        let mut live = self.lock();
        if !live.graph.set_utilisation(&sample.subject, sample.value) {
            return false;
        }
        let timestamp_ms = if sample.timestamp_ms == 0 {
            model::now_ms()
        } else {
            sample.timestamp_ms
        };
        let point = Point {
            timestamp_ms,
            utilisation: sample.value,
        };
        live.utilisation.record(&sample.subject, point);
        live.revision += 1;
        if let Some(persistence) = &mut live.persistence {
            persistence.append(&LogEntry::Utilisation {
                link: sample.subject.clone(),
                point,
            });
        }
        live.compact_telemetry();
        self.revision.store(live.revision, Ordering::Release);
        true
    }

    /// The current topology; made once per revision and shared.
    pub fn snapshot(&self) -> Arc<TopologySnapshot> {
        let cached = self.cache.load_full();
        if cached.revision == self.revision.load(Ordering::Acquire) {
            return cached;
        }
        let live = self.lock();
        let cached = self.cache.load_full();
        if cached.revision == live.revision {
            return cached;
        }
        let snapshot = Arc::new(TopologySnapshot {
            version: live.version,
            revision: live.revision,
            timestamp_ms: live.timestamp_ms,
            graph: live.graph.clone(),
        });
        self.cache.store(snapshot.clone());
        snapshot
    }

    /// The current version.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The newest `limit` versions, newest first.
    pub fn versions(&self, limit: usize) -> Vec<VersionSummary> {
        self.lock().history.summaries(limit)
    }

    /// The oldest version a diff can start from.
    pub fn oldest_diffable(&self) -> u64 {
        let live = self.lock();
        live.history.oldest_base(live.version)
    }

    /// What changed from version `from` to version `to`.
    pub fn diff(&self, from: u64, to: u64) -> Result<Diff, HistoryError> {
        let live = self.lock();
        live.history.diff(from, to, live.version)
    }

    /// Utilisation points of `link` since `since_ms`; `None` for a link never measured.
    pub fn link_history(&self, link: &str, since_ms: u64) -> Option<Vec<Point>> {
        self.lock().utilisation.since(link, since_ms)
    }

    /// Write a checkpoint now (persistent stores; a no-op in memory).
    pub fn checkpoint(&self) -> anyhow::Result<()> {
        self.lock().checkpoint()
    }

    /// Flush the log to the OS.
    pub fn flush(&self) {
        if let Some(persistence) = &mut self.lock().persistence {
            persistence.flush();
        }
    }
}

impl Live {
    fn empty(config: StoreConfig) -> Self {
        Live {
            graph: TopologyGraph::default(),
            version: 0,
            revision: 0,
            timestamp_ms: 0,
            history: History::default(),
            utilisation: UtilisationHistory::new(config.utilisation_points),
            persistence: None,
            config,
        }
    }

    fn apply(&mut self, delta: &TopologyDelta, timestamp_ms: u64) -> ApplyReport {
        let mut changes = Vec::new();
        let mut rejected = Vec::new();
        let mut rest: &[TopologyChange] = &delta.changes;
        if delta.snapshot {
            let nodes: Vec<model::Node> = delta
                .changes
                .iter()
                .filter_map(|c| match c {
                    TopologyChange::NodeUpsert { node } => Some(node.clone()),
                    _ => None,
                })
                .collect();
            let links: Vec<model::Link> = delta
                .changes
                .iter()
                .filter_map(|c| match c {
                    TopologyChange::LinkUpsert { link } => Some(link.clone()),
                    _ => None,
                })
                .collect();
            self.graph
                .replace_all(&nodes, &links, &mut changes, &mut rejected);
            rest = &[];
            for change in delta.changes.iter().filter(|c| {
                !matches!(
                    c,
                    TopologyChange::NodeUpsert { .. } | TopologyChange::LinkUpsert { .. }
                )
            }) {
                if let Err(reason) = self.graph.apply(change, &mut changes) {
                    rejected.push(reason);
                }
            }
        }
        for change in rest {
            if let Err(reason) = self.graph.apply(change, &mut changes) {
                rejected.push(reason);
            }
        }
        if delta.snapshot && changes.is_empty() && rejected.is_empty() {
            // The same topology again (a reconnect's snapshot): no version, so repeated
            // reconnects cannot push real history out.
            return ApplyReport {
                version: self.version,
                applied: 0,
                rejected,
                new_version: false,
            };
        }
        self.version += 1;
        self.revision += 1;
        self.timestamp_ms = timestamp_ms;
        for change in &changes {
            if let AppliedChange::Link {
                id,
                before,
                after: Some(after),
            } = change
                && let Some(utilisation) = after
                    .utilisation
                    .filter(|u| before.as_ref().map(|b| b.utilisation) != Some(Some(*u)))
            {
                let point = Point {
                    timestamp_ms,
                    utilisation,
                };
                self.utilisation.record(id, point);
            }
        }
        let applied = changes.len();
        let record = VersionRecord {
            version: self.version,
            timestamp_ms,
            seq: delta.sequence,
            snapshot: delta.snapshot,
            changes,
        };
        if let Some(persistence) = &mut self.persistence {
            persistence.append(&LogEntry::Version(record.clone()));
        }
        self.history.push(record);
        let oldest = timestamp_ms.saturating_sub(self.config.max_age_s.saturating_mul(1000));
        self.history.trim(self.config.max_versions, oldest);
        if self
            .persistence
            .as_ref()
            .is_some_and(|p| p.since_checkpoint >= self.config.checkpoint_every)
            && let Err(err) = self.checkpoint()
        {
            tracing::error!("topology checkpoint failed: {err:#}");
        }
        ApplyReport {
            version: self.version,
            applied,
            rejected,
            new_version: true,
        }
    }

    /// Re-apply a logged entry at load time.
    fn replay(&mut self, entry: LogEntry) {
        match entry {
            LogEntry::Version(record) if record.version > self.version => {
                for change in &record.changes {
                    let change = match change {
                        AppliedChange::Node {
                            after: Some(node), ..
                        } => TopologyChange::NodeUpsert {
                            node: (**node).clone(),
                        },
                        AppliedChange::Node {
                            id, after: None, ..
                        } => TopologyChange::NodeRemove { id: id.to_string() },
                        AppliedChange::Link {
                            after: Some(link), ..
                        } => TopologyChange::LinkUpsert {
                            link: (**link).clone(),
                        },
                        AppliedChange::Link {
                            id, after: None, ..
                        } => TopologyChange::LinkRemove { id: id.to_string() },
                    };
                    let _ = self.graph.apply(&change, &mut Vec::new());
                }
                self.version = record.version;
                self.timestamp_ms = record.timestamp_ms;
                self.history.push(record);
            }
            LogEntry::Version(_) => {}
            LogEntry::Utilisation { link, point } => {
                self.graph.set_utilisation(&link, point.utilisation);
                self.utilisation.record(&link, point);
            }
        }
    }

    /// Checkpoint when the log holds more lines than the checkpoint would hold points (and at
    /// least `checkpoint_every`): a stream of telemetry alone keeps the log no larger than the
    /// state it describes, at an amortised constant cost per line. Checked every
    /// [`COMPACTION_CHECK_EVERY`] lines.
    fn compact_telemetry(&mut self) {
        let Some(lines) = self
            .persistence
            .as_ref()
            .map(|persistence| persistence.lines_since_checkpoint)
        else {
            return;
        };
        if lines == 0 || lines % COMPACTION_CHECK_EVERY != 0 {
            return;
        }
        let held: usize = self
            .utilisation
            .all()
            .values()
            .map(|points| points.len())
            .sum();
        if lines >= self.config.checkpoint_every.max(held as u64)
            && let Err(err) = self.checkpoint()
        {
            tracing::error!("topology checkpoint failed: {err:#}");
        }
    }

    fn checkpoint(&mut self) -> anyhow::Result<()> {
        let Some(persistence) = &mut self.persistence else {
            return Ok(());
        };
        let checkpoint = Checkpoint {
            version: self.version,
            timestamp_ms: self.timestamp_ms,
            nodes: self.graph.nodes().cloned().collect(),
            links: self.graph.links().cloned().collect(),
            history: self.history.records().cloned().collect(),
            utilisation: self
                .utilisation
                .all()
                .iter()
                .map(|(link, points)| (link.to_string(), points.iter().copied().collect()))
                .collect(),
        };
        persistence.checkpoint(&checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_model::{Link, Node, OperState};

    fn node(id: &str) -> Node {
        serde_json::from_value(serde_json::json!({"id": id})).unwrap()
    }

    fn link(id: &str, source: &str, target: &str) -> Link {
        serde_json::from_value(serde_json::json!({"id": id, "source": source, "target": target}))
            .unwrap()
    }

    fn delta(snapshot: bool, changes: Vec<TopologyChange>) -> TopologyDelta {
        TopologyDelta {
            sequence: 0,
            snapshot,
            changes,
        }
    }

    fn fabric() -> TopologyDelta {
        delta(
            true,
            vec![
                TopologyChange::NodeUpsert { node: node("a") },
                TopologyChange::NodeUpsert { node: node("b") },
                TopologyChange::LinkUpsert {
                    link: link("ab", "a", "b"),
                },
                TopologyChange::LinkUpsert {
                    link: link("ax", "a", "x"),
                },
            ],
        )
    }

    #[test]
    fn versions_are_immutable_snapshots() {
        let store = TopologyStore::new();
        let report = store.apply(&fabric(), 1);
        assert_eq!(report.rejected, ["link ax: unknown node x"]);
        let before = store.snapshot();
        store.apply(
            &delta(false, vec![TopologyChange::NodeRemove { id: "b".into() }]),
            2,
        );
        assert_eq!(
            (
                before.version(),
                before.link_count(),
                before.neighbours("a")
            ),
            (1, 1, vec!["b".to_owned()])
        );
        let after = store.snapshot();
        assert_eq!((after.version(), after.link_count()), (2, 0));
        assert!(
            Arc::ptr_eq(&after, &store.snapshot()),
            "one snapshot per revision"
        );
    }

    #[test]
    fn a_snapshot_delta_replaces_everything_and_diffs_compose() {
        let store = TopologyStore::new();
        store.apply(&fabric(), 1);
        store.apply(
            &delta(
                false,
                vec![TopologyChange::LinkState {
                    id: "ab".into(),
                    state: OperState::Down,
                }],
            ),
            2,
        );
        store.apply(
            &delta(
                true,
                vec![
                    TopologyChange::NodeUpsert { node: node("a") },
                    TopologyChange::NodeUpsert { node: node("c") },
                ],
            ),
            3,
        );
        let diff = store.diff(1, 3).unwrap();
        let ids = |nodes: &[Node]| nodes.iter().map(|n| n.id.to_string()).collect::<Vec<_>>();
        assert_eq!(
            (ids(&diff.nodes_added), ids(&diff.nodes_removed)),
            (vec!["c".into()], vec!["b".into()])
        );
        assert_eq!(diff.links_removed.len(), 1);
        assert_eq!(
            diff.links_removed[0].state,
            OperState::Up,
            "as it was at version 1"
        );
        assert!(diff.nodes_changed.is_empty());
        assert_eq!(
            store.diff(3, 1),
            Err(HistoryError::Order { from: 3, to: 1 })
        );
        assert_eq!(store.diff(1, 9), Err(HistoryError::Future(9, 3)));
    }

    #[test]
    fn history_is_bounded_and_telemetry_makes_no_version() {
        let config = StoreConfig {
            max_versions: 3,
            ..StoreConfig::default()
        };
        let store = TopologyStore::in_memory(config);
        store.apply(&fabric(), 1);
        for i in 0..5 {
            store.apply(
                &delta(
                    false,
                    vec![TopologyChange::LinkUtilisation {
                        id: "ab".into(),
                        utilisation: i as f64 / 10.0,
                    }],
                ),
                10 + i,
            );
        }
        assert_eq!(store.version(), 6);
        assert_eq!(store.oldest_diffable(), 3);
        assert_eq!(store.diff(2, 6), Err(HistoryError::Expired(2, 3)));
        let sample = TelemetrySample {
            subject: "ab".into(),
            metric: "utilisation".into(),
            value: 0.9,
            timestamp_ms: 100,
        };
        assert!(store.apply_telemetry(&sample));
        assert_eq!(store.version(), 6);
        assert_eq!(store.snapshot().link("ab").unwrap().utilisation, Some(0.9));
        let points = store.link_history("ab", 12).unwrap();
        let values: Vec<f64> = points.iter().map(|p| p.utilisation).collect();
        assert_eq!(values, [0.2, 0.3, 0.4, 0.9]);
    }

    #[test]
    fn a_persistent_store_comes_back_from_checkpoint_and_log() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = TopologyStore::open(dir.path(), StoreConfig::default()).unwrap();
            store.apply(&fabric(), 1);
            store.checkpoint().unwrap();
            store.apply(
                &delta(false, vec![TopologyChange::NodeUpsert { node: node("c") }]),
                2,
            );
            let sample = TelemetrySample {
                subject: "ab".into(),
                metric: "utilisation".into(),
                value: 0.5,
                timestamp_ms: 3,
            };
            store.apply_telemetry(&sample);
            store.flush();
        }
        let store = TopologyStore::open(dir.path(), StoreConfig::default()).unwrap();
        assert_eq!(store.version(), 2);
        let snapshot = store.snapshot();
        assert_eq!(
            (
                snapshot.node_count(),
                snapshot.link("ab").unwrap().utilisation
            ),
            (3, Some(0.5))
        );
        assert_eq!(store.diff(0, 2).unwrap().nodes_added.len(), 3);
        assert_eq!(store.link_history("ab", 0).unwrap().len(), 1);
    }

    #[test]
    fn a_stream_of_telemetry_alone_is_compacted_into_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig {
            utilisation_points: 100,
            checkpoint_every: 10,
            ..StoreConfig::default()
        };
        let samples = 5 * COMPACTION_CHECK_EVERY + 7;
        {
            let store = TopologyStore::open(dir.path(), config).unwrap();
            store.apply(&fabric(), 1);
            for n in 0..samples {
                store.apply_telemetry(&TelemetrySample {
                    subject: "ab".into(),
                    metric: "utilisation".into(),
                    value: (n % 100) as f64 / 100.0,
                    timestamp_ms: 10 + n,
                });
            }
            store.flush();
        }
        let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
        assert!(
            log.lines().count() <= COMPACTION_CHECK_EVERY as usize,
            "{} lines after {samples} samples",
            log.lines().count()
        );
        let store = TopologyStore::open(dir.path(), config).unwrap();
        let history = store.link_history("ab", 0).unwrap();
        assert_eq!(history.len(), 100, "the last 100 points survive");
        assert_eq!(history.last().unwrap().timestamp_ms, 10 + samples - 1);
    }
}
