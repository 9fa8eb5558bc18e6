//! Stream files: a topology file (a snapshot message) or an events file — a JSON array of
//! messages, one message, or JSON lines (`#` comments allowed) — read into input events.

use std::path::Path;

use anyhow::{Context, bail};

use crate::decode::{Decoded, decode_value};
use crate::{InputEvent, Link, Node};

/// Read every message of a stream file: a JSON array, one message, or JSON lines.
pub fn read_messages(path: &Path) -> anyhow::Result<Vec<InputEvent>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let trimmed = text.trim_start();
    let values: Vec<serde_json::Value> = if trimmed.starts_with('[') {
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
    } else if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        vec![value]
    } else {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .with_context(|| format!("parsing {}", path.display()))?
    };
    let mut messages = Vec::with_capacity(values.len());
    for (index, value) in values.into_iter().enumerate() {
        match decode_value(value) {
            Decoded::Event { event, .. } => messages.push(*event),
            Decoded::UnknownType(kind) => tracing::warn!(
                "{}: message {index} has unknown type `{kind}`",
                path.display()
            ),
            Decoded::Malformed(reason) => bail!("{}: message {index}: {reason}", path.display()),
        }
    }
    Ok(messages)
}

/// The nodes and links of a topology file.
pub fn read_topology(path: &Path) -> anyhow::Result<(Vec<Node>, Vec<Link>)> {
    match read_messages(path)?.into_iter().next() {
        Some(InputEvent::Snapshot { nodes, links, .. }) => Ok((nodes, links)),
        _ => bail!("{} does not start with a snapshot message", path.display()),
    }
}
