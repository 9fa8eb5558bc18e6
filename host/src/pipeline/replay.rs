//! Replay of JSON-lines event files (or stdin): each line is parsed, published, and counted.
//! A bad line is reported with its line number and skipped; it never stops the replay.

use std::io::BufRead;

use serde::Serialize;

use super::Pipeline;
use crate::model::InputEvent;

/// What a replay did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ReplaySummary {
    /// Events published.
    pub published: u64,
    /// Lines that were not valid events.
    pub malformed: u64,
    /// Blank or comment (`#`) lines.
    pub skipped: u64,
}

/// Publish every event of `reader` as coming from `source`.
pub fn replay_lines(
    pipeline: &Pipeline,
    source: &str,
    reader: impl BufRead,
) -> std::io::Result<ReplaySummary> {
    let mut summary = ReplaySummary::default();
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            summary.skipped += 1;
            continue;
        }
        match serde_json::from_str::<InputEvent>(trimmed) {
            Ok(event) => {
                pipeline.publish(source, &event);
                summary.published += 1;
            }
            Err(err) => {
                summary.malformed += 1;
                tracing::warn!(source, line = number + 1, "malformed event skipped: {err}");
            }
        }
    }
    Ok(summary)
}
