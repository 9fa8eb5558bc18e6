//! Where anomalies and alerts go: the log, a JSON-lines file, and a readable line on stdout.

use std::io::{LineWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use serde::Serialize;

use crate::model::{AlertRecord, AnomalyRecord};

/// One output line.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum OutputRecord {
    /// An anomaly.
    Anomaly(Box<AnomalyRecord>),
    /// An alert.
    Alert(AlertRecord),
}

/// The configured sinks.
#[derive(Default)]
pub struct Sinks {
    jsonl: Option<Mutex<LineWriter<std::fs::File>>>,
    print: bool,
}

impl Sinks {
    /// Sinks writing JSON lines to `jsonl` (appending) and, when `print`, a summary line per
    /// record to stdout.
    pub fn new(jsonl: Option<&Path>, print: bool) -> anyhow::Result<Self> {
        let jsonl = match jsonl {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("opening output file {}", path.display()))?;
                Some(Mutex::new(LineWriter::new(file)))
            }
            None => None,
        };
        Ok(Sinks { jsonl, print })
    }

    /// Emit one record to every sink.
    pub fn emit(&self, record: &OutputRecord) {
        match record {
            OutputRecord::Anomaly(a) => {
                tracing::info!(detector = %a.detector, kind = %a.kind, score = a.score, nodes = ?a.contributing_node_ids, "anomaly: {}", a.description)
            }
            OutputRecord::Alert(a) => {
                tracing::info!(rule = %a.rule, severity = ?a.severity, node = ?a.node_id, "alert: {}", a.message)
            }
        }
        if self.print {
            println!("{}", summary(record));
        }
        if let Some(writer) = &self.jsonl {
            let mut writer = writer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let line = serde_json::to_string(record).expect("records serialise");
            if let Err(err) = writeln!(writer, "{line}") {
                tracing::error!("writing the output file failed: {err}");
            }
        }
    }
}

fn summary(record: &OutputRecord) -> String {
    match record {
        OutputRecord::Anomaly(a) => format!(
            "ANOMALY  {:<22} score {:.2}  {:<20} {}",
            a.kind,
            a.score,
            format!("[{}]", a.detector),
            a.description
        ),
        OutputRecord::Alert(a) => format!(
            "ALERT    {:<22} {:<9} node {:<12} {}",
            a.dedup_key,
            format!("{:?}", a.severity).to_uppercase(),
            a.node_id.as_deref().unwrap_or("-"),
            a.message
        ),
    }
}
