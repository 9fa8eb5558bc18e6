//! Where flows lie on disk: `raw/YYYY-MM-DD/HH/FIRST-LAST-SEQ.parquet` under the store's
//! folder, one folder per hour (UTC) of the flows' end, each file named by the first and last
//! end time it holds (milliseconds) — a query opens only the files whose span meets its own.
//! A file is written as `NAME.parquet.partial` and renamed when complete: a `.partial` file
//! found at start is one a crash cut short, and is moved to `set-aside/`. Files expire by when
//! they were written.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// An hour, in milliseconds.
pub const HOUR_MS: u64 = 3_600_000;

/// The raw tier's folder.
const RAW: &str = "raw";
/// Where files cut short are moved.
const SET_ASIDE: &str = "set-aside";
/// The suffix of a file being written.
pub(crate) const PARTIAL: &str = ".partial";

/// One stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub path: PathBuf,
    pub first_ms: u64,
    pub last_ms: u64,
}

/// The folder of the hour that starts at `hour_ms`.
pub(crate) fn hour_dir(root: &Path, hour_ms: u64) -> PathBuf {
    let (day, hour) = day_and_hour(hour_ms);
    root.join(RAW).join(day).join(hour)
}

/// `YYYY-MM-DD` and `HH` (UTC) of `ms`.
fn day_and_hour(ms: u64) -> (String, String) {
    let stamp = jiff::Timestamp::from_millisecond(i64::try_from(ms).unwrap_or(i64::MAX))
        .unwrap_or(jiff::Timestamp::MAX);
    let utc = stamp.to_zoned(jiff::tz::TimeZone::UTC);
    (
        utc.strftime("%Y-%m-%d").to_string(),
        utc.strftime("%H").to_string(),
    )
}

/// The start (ms) of the hour named by day folder `day` and hour folder `hour`.
fn hour_start(day: &str, hour: &str) -> Option<u64> {
    let date: jiff::civil::Date = day.parse().ok()?;
    let hour: i8 = hour.parse().ok().filter(|h| (0..24).contains(h))?;
    let stamp = date
        .at(hour, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp();
    u64::try_from(stamp.as_millisecond()).ok()
}

/// The name of a file holding flows that end from `first_ms` to `last_ms`.
pub(crate) fn part_name(first_ms: u64, last_ms: u64, sequence: u64) -> String {
    format!("{first_ms}-{last_ms}-{sequence}.parquet")
}

fn parse_part(path: PathBuf) -> Option<Part> {
    let name = path.file_name()?.to_str()?.strip_suffix(".parquet")?;
    let mut fields = name.splitn(3, '-');
    let first_ms = fields.next()?.parse().ok()?;
    let last_ms = fields.next()?.parse().ok()?;
    fields.next()?.parse::<u64>().ok()?;
    Some(Part {
        path,
        first_ms,
        last_ms,
    })
}

/// The hour folders (start ms, path), oldest first.
fn hours(root: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for day in entries(&root.join(RAW))? {
        let Some(day_name) = day.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        for hour in entries(&day)? {
            let start = hour
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|h| hour_start(&day_name, h));
            if let Some(start) = start {
                found.push((start, hour));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The folders and files in `dir` (none when it does not exist).
fn entries(dir: &Path) -> io::Result<Vec<PathBuf>> {
    match std::fs::read_dir(dir) {
        Ok(read) => read.map(|entry| entry.map(|e| e.path())).collect(),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(err) => Err(err),
    }
}

/// The stored files holding flows that end in `since_ms..until_ms`, oldest first.
pub(crate) fn parts(root: &Path, since_ms: u64, until_ms: u64) -> io::Result<Vec<Part>> {
    let mut found = Vec::new();
    for (start, dir) in hours(root)? {
        if start >= until_ms || start + HOUR_MS <= since_ms {
            continue;
        }
        found.extend(
            entries(&dir)?
                .into_iter()
                .filter_map(parse_part)
                .filter(|part| part.first_ms < until_ms && part.last_ms >= since_ms),
        );
    }
    found.sort_by_key(|part| (part.first_ms, part.last_ms));
    Ok(found)
}

/// Every stored file (for counting at start).
pub(crate) fn all_parts(root: &Path) -> io::Result<Vec<Part>> {
    parts(root, 0, u64::MAX)
}

/// Move the files a crash cut short to `set-aside/`; how many.
pub(crate) fn set_aside_partials(root: &Path) -> io::Result<usize> {
    let mut moved = 0;
    for (_, dir) in hours(root)? {
        for path in entries(&dir)? {
            let partial = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(PARTIAL));
            if partial {
                let aside = root.join(SET_ASIDE);
                std::fs::create_dir_all(&aside)?;
                let name = path.file_name().expect("a file").to_owned();
                std::fs::rename(&path, aside.join(name))?;
                tracing::warn!(file = %path.display(), "a flow file cut short (the host stopped while writing it) was set aside");
                moved += 1;
            }
        }
    }
    Ok(moved)
}

/// Remove the files written before `written_before` (and the hour and day folders left
/// empty); the files and bytes removed. Retention counts from when flows were stored, so
/// flows replayed from an old capture are kept as long as live ones.
pub(crate) fn expire(root: &Path, written_before: SystemTime) -> io::Result<(usize, u64)> {
    let (mut files, mut bytes) = (0, 0);
    for (_, dir) in hours(root)? {
        for path in entries(&dir)? {
            let metadata = std::fs::metadata(&path)?;
            if metadata.modified()? < written_before {
                std::fs::remove_file(&path)?;
                files += 1;
                bytes += metadata.len();
            }
        }
        if entries(&dir)?.is_empty() {
            std::fs::remove_dir(&dir)?;
        }
        if let Some(day) = dir.parent()
            && entries(day)?.is_empty()
        {
            std::fs::remove_dir(day)?;
        }
    }
    Ok((files, bytes))
}
