//! Replay of event files and stdin: JSON lines, a JSON array of messages, or one message
//! (a topology file). Each message is decoded tolerantly, published, and counted; a bad
//! message is reported with its position and skipped, never fatal. With a speed factor the
//! replay follows the messages' own timestamps (1.0 = as recorded, 10 = ten times faster).

use std::io::{BufRead, Read};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::Pipeline;
use crate::model::decode::{Decoded, decode, decode_value};

/// What a replay did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ReplaySummary {
    /// Messages published.
    pub published: u64,
    /// Messages that could not be decoded.
    pub malformed: u64,
    /// Well-formed messages of unknown type (ignored).
    pub unknown_types: u64,
    /// Fields not in the schema (ignored).
    pub unknown_fields: u64,
    /// Blank or comment (`#`) lines.
    pub skipped: u64,
}

/// Pacing of a replay.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pace {
    /// 0: as fast as possible; otherwise the factor applied to the recorded time gaps.
    pub speed: f64,
    last_ms: Option<u64>,
}

impl Pace {
    /// Replay at `speed` (0 for as fast as possible).
    pub fn new(speed: f64) -> Self {
        Pace {
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                0.0
            },
            last_ms: None,
        }
    }

    fn wait(&mut self, timestamp_ms: u64) {
        if self.speed == 0.0 || timestamp_ms == 0 {
            return;
        }
        if let Some(last) = self.last_ms.filter(|last| timestamp_ms > *last) {
            let gap = Duration::from_secs_f64((timestamp_ms - last) as f64 / 1000.0 / self.speed);
            std::thread::sleep(gap.min(Duration::from_secs(3600)));
        }
        self.last_ms = Some(timestamp_ms.max(self.last_ms.unwrap_or(0)));
    }
}

struct Replayer<'a> {
    pipeline: &'a Pipeline,
    source: &'a str,
    pace: Pace,
    summary: ReplaySummary,
}

impl Replayer<'_> {
    fn handle(&mut self, decoded: Decoded, position: &str) {
        match decoded {
            Decoded::Event {
                event,
                unknown_fields,
            } => {
                if !unknown_fields.is_empty() {
                    self.summary.unknown_fields += unknown_fields.len() as u64;
                    tracing::debug!(
                        source = self.source,
                        position,
                        ?unknown_fields,
                        "unknown fields ignored"
                    );
                }
                self.pace.wait(event.timestamp_ms());
                self.pipeline.publish(self.source, &event);
                self.summary.published += 1;
            }
            Decoded::UnknownType(kind) => {
                self.summary.unknown_types += 1;
                tracing::debug!(
                    source = self.source,
                    position,
                    "message of unknown type `{kind}` ignored"
                );
            }
            Decoded::Malformed(reason) => {
                self.summary.malformed += 1;
                tracing::warn!(
                    source = self.source,
                    position,
                    "malformed message skipped: {reason}"
                );
            }
        }
    }
}

/// Publish every message of a JSON-lines stream (stdin, or a file that is not all UTF-8); a
/// line that is not UTF-8 or not a message is counted as malformed and skipped.
pub fn replay_lines(
    pipeline: &Pipeline,
    source: &str,
    reader: impl BufRead,
    pace: Pace,
) -> std::io::Result<ReplaySummary> {
    let mut replayer = Replayer {
        pipeline,
        source,
        pace,
        summary: ReplaySummary::default(),
    };
    let mut reader = reader;
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let position = format!("line {number}");
        // A line that is not UTF-8 is one malformed message, not the end of the stream.
        let Ok(text) = std::str::from_utf8(&line) else {
            replayer.handle(
                Decoded::Malformed("the line is not UTF-8".into()),
                &position,
            );
            continue;
        };
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            replayer.summary.skipped += 1;
            continue;
        }
        replayer.handle(decode(trimmed), &position);
    }
    Ok(replayer.summary)
}

/// Publish every message of the file at `path`. JSON lines are streamed (memory stays flat
/// whatever the file's size); a file that is one JSON array, or one multi-line message, is
/// read whole.
pub fn replay_file(
    pipeline: &Pipeline,
    source: &str,
    path: &std::path::Path,
    pace: Pace,
) -> std::io::Result<ReplaySummary> {
    let mut reader = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut first = Vec::new();
    while first.iter().all(u8::is_ascii_whitespace) {
        first.clear();
        if reader.read_until(b'\n', &mut first)? == 0 {
            break;
        }
    }
    let head = first.trim_ascii_start();
    let whole_document = head.starts_with(b"[")
        || (head.starts_with(b"{")
            && serde_json::from_slice::<serde::de::IgnoredAny>(&first).is_err());
    if !whole_document {
        let lines = std::io::Cursor::new(first).chain(reader);
        return replay_lines(pipeline, source, lines, pace);
    }
    let mut bytes = first;
    reader.read_to_end(&mut bytes)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(replay_text(pipeline, source, &text, pace)),
        Err(err) => replay_lines(pipeline, source, err.as_bytes(), pace),
    }
}

/// Publish every message of a file's text: a JSON array of messages, one (possibly
/// multi-line) message, or JSON lines.
pub fn replay_text(pipeline: &Pipeline, source: &str, text: &str, pace: Pace) -> ReplaySummary {
    let trimmed = text.trim_start();
    let whole = if trimmed.starts_with('[') || trimmed.starts_with('{') {
        serde_json::from_str::<Value>(text).ok()
    } else {
        None
    };
    match whole {
        Some(Value::Array(messages)) => {
            let mut replayer = Replayer {
                pipeline,
                source,
                pace,
                summary: ReplaySummary::default(),
            };
            for (index, message) in messages.into_iter().enumerate() {
                replayer.handle(decode_value(message), &format!("message {index}"));
            }
            replayer.summary
        }
        Some(message @ Value::Object(_)) if text.trim().lines().count() > 1 => {
            let mut replayer = Replayer {
                pipeline,
                source,
                pace,
                summary: ReplaySummary::default(),
            };
            replayer.handle(decode_value(message), "message 0");
            replayer.summary
        }
        _ => replay_lines(pipeline, source, text.as_bytes(), pace)
            .expect("reading from memory cannot fail"),
    }
}
