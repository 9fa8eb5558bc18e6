//! Version history: one record per applied delta, bounded by count and age, and diffs between
//! any two retained versions.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::AppliedChange;
use netassure_model::{Link, Node};

/// What one version changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRecord {
    /// The version this record made.
    pub version: u64,
    /// When, ms since the epoch.
    pub timestamp_ms: u64,
    /// Source sequence number (0 when the source has none).
    pub seq: u64,
    /// True when the delta was a full snapshot.
    pub snapshot: bool,
    /// Effects, in order.
    pub changes: Vec<AppliedChange>,
}

/// A version as `GET /topology/versions` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionSummary {
    /// Version.
    pub version: u64,
    /// RFC 3339 time.
    pub timestamp: String,
    /// Source sequence number.
    pub seq: u64,
    /// Whether it was a snapshot.
    pub snapshot: bool,
    /// Number of node and link changes.
    pub changes: usize,
}

/// A node or link that changed between two versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changed<T> {
    /// Id.
    pub id: String,
    /// Value at the first version.
    pub before: T,
    /// Value at the second version.
    pub after: T,
}

/// What differs between two versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Diff {
    /// Older version.
    pub from: u64,
    /// Newer version.
    pub to: u64,
    /// Nodes present only in `to`.
    pub nodes_added: Vec<Node>,
    /// Nodes present only in `from`.
    pub nodes_removed: Vec<Node>,
    /// Nodes in both, with other attributes.
    pub nodes_changed: Vec<Changed<Node>>,
    /// Links present only in `to`.
    pub links_added: Vec<Link>,
    /// Links present only in `from`.
    pub links_removed: Vec<Link>,
    /// Links in both, with other attributes.
    pub links_changed: Vec<Changed<Link>>,
}

/// Why a diff cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// `from` is after `to`.
    #[error("`from` ({from}) must not be after `to` ({to})")]
    Order {
        /// From.
        from: u64,
        /// To.
        to: u64,
    },
    /// A version that does not exist yet.
    #[error("version {0} does not exist yet (current is {1})")]
    Future(u64, u64),
    /// A version older than the retained history.
    #[error("version {0} is no longer in the history (oldest diffable version is {1})")]
    Expired(u64, u64),
}

/// The retained records.
#[derive(Debug, Clone, Default)]
pub struct History {
    records: VecDeque<VersionRecord>,
}

impl History {
    /// Add a record.
    pub fn push(&mut self, record: VersionRecord) {
        self.records.push_back(record);
    }

    /// Drop records beyond `max_versions` or older than `min_timestamp_ms`.
    pub fn trim(&mut self, max_versions: usize, min_timestamp_ms: u64) {
        while self.records.len() > max_versions
            || self.records.front().is_some_and(|record| {
                record.timestamp_ms < min_timestamp_ms && self.records.len() > 1
            })
        {
            self.records.pop_front();
        }
    }

    /// Every retained record, oldest first.
    pub fn records(&self) -> impl DoubleEndedIterator<Item = &VersionRecord> {
        self.records.iter()
    }

    /// The oldest version a diff can start from.
    pub(crate) fn oldest_base(&self, current: u64) -> u64 {
        self.records
            .front()
            .map_or(current, |record| record.version - 1)
    }

    /// The newest `limit` versions, newest first.
    pub fn summaries(&self, limit: usize) -> Vec<VersionSummary> {
        self.records
            .iter()
            .rev()
            .take(limit)
            .map(|record| VersionSummary {
                version: record.version,
                timestamp: netassure_model::timefmt::ms_to_rfc3339(record.timestamp_ms),
                seq: record.seq,
                snapshot: record.snapshot,
                changes: record.changes.len(),
            })
            .collect()
    }

    /// The diff from version `from` to version `to` (current is the newest version).
    pub fn diff(&self, from: u64, to: u64, current: u64) -> Result<Diff, HistoryError> {
        if from > to {
            return Err(HistoryError::Order { from, to });
        }
        if to > current {
            return Err(HistoryError::Future(to, current));
        }
        let oldest = self.oldest_base(current);
        if from < oldest {
            return Err(HistoryError::Expired(from, oldest));
        }
        let mut nodes: BTreeMap<&str, (Option<&Node>, Option<&Node>)> = BTreeMap::new();
        let mut links: BTreeMap<&str, (Option<&Link>, Option<&Link>)> = BTreeMap::new();
        for record in self
            .records
            .iter()
            .filter(|record| record.version > from && record.version <= to)
        {
            for change in &record.changes {
                match change {
                    AppliedChange::Node { id, before, after } => {
                        nodes.entry(id).or_insert((before.as_deref(), None)).1 = after.as_deref();
                    }
                    AppliedChange::Link { id, before, after } => {
                        links.entry(id).or_insert((before.as_deref(), None)).1 = after.as_deref();
                    }
                }
            }
        }
        let mut diff = Diff {
            from,
            to,
            ..Diff::default()
        };
        classify(
            nodes,
            &mut diff.nodes_added,
            &mut diff.nodes_removed,
            &mut diff.nodes_changed,
        );
        classify(
            links,
            &mut diff.links_added,
            &mut diff.links_removed,
            &mut diff.links_changed,
        );
        Ok(diff)
    }
}

fn classify<T: Clone + PartialEq>(
    net: BTreeMap<&str, (Option<&T>, Option<&T>)>,
    added: &mut Vec<T>,
    removed: &mut Vec<T>,
    changed: &mut Vec<Changed<T>>,
) {
    for (id, (before, after)) in net {
        match (before, after) {
            (None, Some(after)) => added.push(after.clone()),
            (Some(before), None) => removed.push(before.clone()),
            (Some(before), Some(after)) if before != after => changed.push(Changed {
                id: id.to_owned(),
                before: before.clone(),
                after: after.clone(),
            }),
            _ => {}
        }
    }
}
