//! On-disk persistence of the topology store: a checkpoint (the whole graph, the retained
//! history and utilisation series) plus an append-only JSON-lines log of what happened since.
//!
//! Durability: a background thread flushes the log to the OS every [`FLUSH_INTERVAL`], and it
//! is flushed on shutdown;
//! a crash can lose the last interval of deltas, which the topology source's next snapshot
//! (resync) restores. A torn last line is ignored on load.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::history::VersionRecord;
use super::utilisation::Point;
use crate::model::{Link, Node};

/// Longest time a logged change waits in memory before it is written to the OS.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LogEntry {
    /// A new version.
    Version(VersionRecord),
    /// A utilisation sample applied in place.
    Utilisation {
        /// Link id.
        link: String,
        /// The point.
        point: Point,
    },
}

/// The whole store at one version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Version.
    pub version: u64,
    /// Time of that version.
    pub timestamp_ms: u64,
    /// Every node.
    pub nodes: Vec<Node>,
    /// Every link.
    pub links: Vec<Link>,
    /// Retained history.
    pub history: Vec<VersionRecord>,
    /// Utilisation series.
    pub utilisation: HashMap<String, Vec<Point>>,
}

/// The files of a persistent store.
pub struct Persistence {
    dir: PathBuf,
    log: Arc<Mutex<BufWriter<File>>>,
    /// Versions logged since the last checkpoint.
    pub since_checkpoint: u64,
}

fn checkpoint_path(dir: &Path) -> PathBuf {
    dir.join("checkpoint.json")
}

fn log_path(dir: &Path) -> PathBuf {
    dir.join("log.jsonl")
}

impl Persistence {
    /// Open the store files in `dir`; returns them with the checkpoint and the log entries.
    pub fn open(dir: &Path) -> anyhow::Result<(Self, Option<Checkpoint>, Vec<LogEntry>)> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let checkpoint = match std::fs::read(checkpoint_path(dir)) {
            Ok(bytes) => Some(
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("reading {}", checkpoint_path(dir).display()))?,
            ),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => return Err(err).context("reading the topology checkpoint"),
        };
        let mut entries = Vec::new();
        if let Ok(file) = File::open(log_path(dir)) {
            for (number, line) in BufReader::new(file).lines().enumerate() {
                let line = line?;
                match serde_json::from_str(&line) {
                    Ok(entry) => entries.push(entry),
                    Err(err) => {
                        tracing::warn!(
                            "topology log line {} unreadable ({err}); ignoring it and the rest",
                            number + 1
                        );
                        break;
                    }
                }
            }
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path(dir))?;
        let log = Arc::new(Mutex::new(BufWriter::new(log)));
        spawn_flusher(Arc::downgrade(&log));
        let persistence = Persistence {
            dir: dir.to_owned(),
            log,
            since_checkpoint: entries.len() as u64,
        };
        Ok((persistence, checkpoint, entries))
    }

    /// Append an entry (written to the OS within [`FLUSH_INTERVAL`]).
    pub fn append(&mut self, entry: &LogEntry) {
        let mut log = lock(&self.log);
        let written = serde_json::to_writer(&mut *log, entry)
            .map_err(std::io::Error::other)
            .and_then(|()| log.write_all(b"\n"));
        if let Err(err) = written {
            tracing::error!("writing the topology log failed: {err}");
        }
        if matches!(entry, LogEntry::Version(_)) {
            self.since_checkpoint += 1;
        }
    }

    /// Write buffered entries to the OS.
    pub fn flush(&mut self) {
        if let Err(err) = lock(&self.log).flush() {
            tracing::error!("flushing the topology log failed: {err}");
        }
    }

    /// Write `checkpoint` (atomically, synced), then start an empty log.
    pub fn checkpoint(&mut self, checkpoint: &Checkpoint) -> anyhow::Result<()> {
        self.flush();
        let bytes = serde_json::to_vec(checkpoint)?;
        crate::fsutil::write_atomic(&checkpoint_path(&self.dir), &bytes)?;
        let log = File::create(log_path(&self.dir))?;
        log.sync_all()?;
        *lock(&self.log) =
            BufWriter::new(OpenOptions::new().append(true).open(log_path(&self.dir))?);
        self.since_checkpoint = 0;
        Ok(())
    }
}

fn lock(log: &Mutex<BufWriter<File>>) -> std::sync::MutexGuard<'_, BufWriter<File>> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Flush the log every [`FLUSH_INTERVAL`] until the store is dropped.
fn spawn_flusher(log: Weak<Mutex<BufWriter<File>>>) {
    let spawned = std::thread::Builder::new()
        .name("topology-log-flush".into())
        .spawn(move || {
            loop {
                std::thread::sleep(FLUSH_INTERVAL);
                let Some(log) = log.upgrade() else { break };
                if let Err(err) = lock(&log).flush() {
                    tracing::error!("flushing the topology log failed: {err}");
                }
            }
        });
    if let Err(err) = spawned {
        tracing::error!("cannot start the topology log flusher: {err}");
    }
}
