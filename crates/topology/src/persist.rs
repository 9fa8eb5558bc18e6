//! On-disk persistence of the topology store: a checkpoint (the whole graph, the retained
//! history and utilisation series) plus an append-only JSON-lines log of what happened since.
//!
//! Durability: a background thread flushes the log to the OS every [`FLUSH_INTERVAL`], and it
//! is flushed on shutdown;
//! a crash can lose the last interval of deltas, which the topology source's next snapshot
//! (resync) restores. On load the log is read up to its first unreadable line (a torn write,
//! bad UTF-8) and cut there, what followed set aside in `log.torn.jsonl`, so that new entries
//! are never appended behind a line that stops every later load. An unreadable checkpoint is
//! set aside with its log and the store starts empty.

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
use netassure_model::{Link, Node};

/// Longest time a logged change waits in memory before it is written to the OS.
pub(crate) const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum LogEntry {
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
pub(crate) struct Persistence {
    dir: PathBuf,
    log: Arc<Mutex<BufWriter<File>>>,
    /// Versions logged since the last checkpoint.
    pub since_checkpoint: u64,
    /// Log entries of any kind (telemetry included) since the last checkpoint.
    pub lines_since_checkpoint: u64,
}

fn checkpoint_path(dir: &Path) -> PathBuf {
    dir.join("checkpoint.json")
}

fn log_path(dir: &Path) -> PathBuf {
    dir.join("log.jsonl")
}

/// Where torn or unreadable log lines are set aside (appended) before the log is cut.
fn torn_path(dir: &Path) -> PathBuf {
    dir.join("log.torn.jsonl")
}

/// What the log held: its readable entries, where the last of them ends, and whether that
/// last line lacks its newline.
struct LogRead {
    entries: Vec<LogEntry>,
    good_len: u64,
    unterminated: bool,
}

/// The log's entries up to the first line that does not parse (a torn write, bad UTF-8, or
/// anything else); what follows it is not read.
fn read_log(path: &Path) -> anyhow::Result<LogRead> {
    let mut read = LogRead {
        entries: Vec::new(),
        good_len: 0,
        unterminated: false,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(read),
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let length = reader.read_until(b'\n', &mut line)?;
        if length == 0 {
            break;
        }
        let terminated = line.last() == Some(&b'\n');
        match serde_json::from_slice::<LogEntry>(&line) {
            Ok(entry) => {
                read.entries.push(entry);
                read.good_len += length as u64;
                read.unterminated = !terminated;
            }
            Err(err) => {
                tracing::warn!(
                    "topology log line {number} unreadable ({err}): the log is cut before it"
                );
                break;
            }
        }
    }
    Ok(read)
}

/// Cut the log at `good_len`, setting what follows aside in [`torn_path`], so that new entries
/// follow the last readable one (appended behind a torn line they would never be read).
fn cut_log(dir: &Path, good_len: u64) -> anyhow::Result<()> {
    let path = log_path(dir);
    let Ok(length) = std::fs::metadata(&path).map(|m| m.len()) else {
        return Ok(());
    };
    if length <= good_len {
        return Ok(());
    }
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut aside = OpenOptions::new()
        .create(true)
        .append(true)
        .open(torn_path(dir))?;
    aside.write_all(&bytes[good_len as usize..])?;
    aside.sync_all()?;
    let log = OpenOptions::new().write(true).open(&path)?;
    log.set_len(good_len)?;
    log.sync_all()?;
    tracing::warn!(
        "topology log cut after its last readable entry: {} bytes set aside in {}",
        length - good_len,
        torn_path(dir).display()
    );
    Ok(())
}

/// The checkpoint, if there is a readable one. An unreadable checkpoint is renamed aside with
/// the log that continues it (its entries are changes to that checkpoint): the store starts
/// empty and the topology source's next snapshot rebuilds it.
fn read_checkpoint(dir: &Path) -> anyhow::Result<Option<Checkpoint>> {
    let path = checkpoint_path(dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).context("reading the topology checkpoint"),
    };
    match serde_json::from_slice(&bytes) {
        Ok(checkpoint) => Ok(Some(checkpoint)),
        Err(err) => {
            std::fs::rename(&path, dir.join("checkpoint.unreadable.json"))?;
            if log_path(dir).exists() {
                std::fs::rename(log_path(dir), dir.join("log.unreadable.jsonl"))?;
            }
            tracing::error!(
                "topology checkpoint {} unreadable ({err}): set aside with its log; the store starts empty until the topology source's next snapshot",
                path.display()
            );
            Ok(None)
        }
    }
}

impl Persistence {
    /// Open the store files in `dir`; returns them with the checkpoint and the log entries.
    /// A log is cut after its last readable entry before anything is appended.
    pub fn open(dir: &Path) -> anyhow::Result<(Self, Option<Checkpoint>, Vec<LogEntry>)> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let checkpoint = read_checkpoint(dir)?;
        let read = read_log(&log_path(dir))?;
        cut_log(dir, read.good_len)?;
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path(dir))?;
        if read.unterminated {
            log.write_all(b"\n")?;
        }
        let log = Arc::new(Mutex::new(BufWriter::new(log)));
        spawn_flusher(Arc::downgrade(&log));
        let persistence = Persistence {
            dir: dir.to_owned(),
            log,
            since_checkpoint: read.entries.len() as u64,
            lines_since_checkpoint: read.entries.len() as u64,
        };
        Ok((persistence, checkpoint, read.entries))
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
        self.lines_since_checkpoint += 1;
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
        netassure_fsutil::write_atomic(&checkpoint_path(&self.dir), &bytes)?;
        let log = File::create(log_path(&self.dir))?;
        log.sync_all()?;
        *lock(&self.log) =
            BufWriter::new(OpenOptions::new().append(true).open(log_path(&self.dir))?);
        self.since_checkpoint = 0;
        self.lines_since_checkpoint = 0;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(link: &str, t: u64) -> LogEntry {
        LogEntry::Utilisation {
            link: link.into(),
            point: Point {
                timestamp_ms: t,
                utilisation: 0.5,
            },
        }
    }

    /// Open `dir`, append `entries`, close it; what the next open reads.
    fn append_and_reopen(dir: &Path, entries: &[LogEntry]) -> Vec<LogEntry> {
        {
            let (mut persistence, _, _) = Persistence::open(dir).unwrap();
            entries.iter().for_each(|e| persistence.append(e));
            persistence.flush();
        }
        Persistence::open(dir).unwrap().2
    }

    fn tear(dir: &Path, bytes: &[u8]) {
        let mut log = OpenOptions::new().append(true).open(log_path(dir)).unwrap();
        log.write_all(bytes).unwrap();
    }

    #[test]
    fn entries_written_after_a_torn_line_are_read_on_every_later_start() {
        let dir = tempfile::tempdir().unwrap();
        let first: Vec<LogEntry> = (0..3).map(|t| sample("ab", t)).collect();
        assert_eq!(append_and_reopen(dir.path(), &first), first);
        // A crash tore the last line; ten more entries follow the restart.
        tear(dir.path(), br#"{"kind":"utilisation","link":"ab","po"#);
        let later: Vec<LogEntry> = (10..20).map(|t| sample("cd", t)).collect();
        let read = append_and_reopen(dir.path(), &later);
        assert_eq!(read.len(), 13, "{read:?}");
        assert_eq!(read[3..], later[..]);
        let aside = std::fs::read(torn_path(dir.path())).unwrap();
        assert_eq!(aside, br#"{"kind":"utilisation","link":"ab","po"#);
    }

    #[test]
    fn a_tear_inside_a_utf8_character_is_a_torn_line_not_a_failed_start() {
        let dir = tempfile::tempdir().unwrap();
        let first = [sample("ab", 1)];
        append_and_reopen(dir.path(), &first);
        // "é" is two bytes; only the first was written.
        tear(dir.path(), b"{\"kind\":\"utilisation\",\"link\":\"\xc3");
        let read = append_and_reopen(dir.path(), &[sample("é", 2)]);
        assert_eq!(read, [sample("ab", 1), sample("é", 2)]);
    }

    #[test]
    fn a_complete_last_line_without_its_newline_is_kept_and_ended() {
        let dir = tempfile::tempdir().unwrap();
        append_and_reopen(dir.path(), &[sample("ab", 1)]);
        let line = serde_json::to_vec(&sample("ab", 2)).unwrap();
        tear(dir.path(), &line);
        let read = append_and_reopen(dir.path(), &[sample("ab", 3)]);
        assert_eq!(read, [sample("ab", 1), sample("ab", 2), sample("ab", 3)]);
    }

    #[test]
    fn an_unreadable_checkpoint_is_set_aside_with_its_log() {
        let dir = tempfile::tempdir().unwrap();
        append_and_reopen(dir.path(), &[sample("ab", 1)]);
        std::fs::write(checkpoint_path(dir.path()), b"{\"version\": 7, \"nod").unwrap();
        let (_, checkpoint, entries) = Persistence::open(dir.path()).unwrap();
        assert!(checkpoint.is_none() && entries.is_empty());
        assert!(dir.path().join("checkpoint.unreadable.json").is_file());
        assert!(dir.path().join("log.unreadable.jsonl").is_file());
    }
}
