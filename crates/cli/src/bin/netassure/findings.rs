//! `netassure alerts` and `netassure anomalies`.

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::Value;

use crate::client::Client;

/// `netassure alerts [filters] | ack ID | resolve ID | feedback ID ...`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct AlertsArgs {
    #[command(subcommand)]
    action: Option<AlertAction>,
    /// Only this status: active, acknowledged, resolved, suppressed.
    #[arg(long)]
    status: Option<String>,
    /// Only alerts about this node.
    #[arg(long)]
    node: Option<String>,
    /// Only this severity: info, warning, minor, major, critical.
    #[arg(long)]
    severity: Option<String>,
    /// Created since: RFC 3339, or a duration back from now (`1h`, `30m`, `2d`).
    #[arg(long)]
    since: Option<String>,
    /// At most this many.
    #[arg(long)]
    limit: Option<usize>,
}

#[derive(Debug, Subcommand)]
enum AlertAction {
    /// Acknowledge an alert.
    Ack {
        /// Alert id.
        id: String,
    },
    /// Resolve an alert.
    Resolve {
        /// Alert id.
        id: String,
    },
    /// Label an alert: a real problem, or a false positive (`--false-positive`).
    Feedback {
        /// Alert id.
        id: String,
        /// The alert was a false positive.
        #[arg(long)]
        false_positive: bool,
        /// Notes.
        #[arg(long)]
        notes: Option<String>,
    },
}

/// `netassure anomalies [filters]`
#[derive(Debug, Args)]
pub(crate) struct AnomaliesArgs {
    /// Detected since: RFC 3339, or a duration back from now (`1h`, `30m`, `2d`).
    #[arg(long)]
    since: Option<String>,
    /// Only this kind.
    #[arg(long)]
    kind: Option<String>,
    /// Only scores at or above.
    #[arg(long)]
    min_score: Option<f64>,
    /// At most this many.
    #[arg(long)]
    limit: Option<usize>,
}

/// RFC 3339 as is; a duration (`1h`) as the time that long ago.
pub fn since(text: &str) -> anyhow::Result<String> {
    if text.parse::<jiff::Timestamp>().is_ok() || text.parse::<u64>().is_ok() {
        return Ok(text.to_owned());
    }
    let ago: jiff::SignedDuration = text
        .parse()
        .with_context(|| format!("`{text}` is neither RFC 3339 nor a duration like 1h"))?;
    Ok(format!("{:.3}", jiff::Timestamp::now() - ago))
}

pub fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(key, value)| {
            value
                .as_ref()
                .map(|value| format!("{key}={}", encode(value)))
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~:".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("-")
}

fn print_alerts(alerts: &Value) {
    println!(
        "{:<36} {:<12} {:<8} {:<12} {:>5} {:<24} MESSAGE",
        "ALERT", "STATUS", "SEVERITY", "NODE", "COUNT", "CREATED"
    );
    for alert in alerts.as_array().into_iter().flatten() {
        println!(
            "{:<36} {:<12} {:<8} {:<12} {:>5} {:<24} {}",
            text(alert, "alert_id"),
            text(alert, "status"),
            text(alert, "severity"),
            text(alert, "node_id"),
            alert["count"],
            text(alert, "created_at"),
            text(alert, "message")
        );
    }
}

fn print_anomalies(anomalies: &Value) {
    println!(
        "{:<36} {:<22} {:>5} {:<20} {:<24} NODES",
        "ANOMALY", "KIND", "SCORE", "STAGE", "DETECTED"
    );
    for anomaly in anomalies.as_array().into_iter().flatten() {
        let nodes: Vec<&str> = anomaly["contributing_node_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        println!(
            "{:<36} {:<22} {:>5.2} {:<20} {:<24} {}",
            text(anomaly, "anomaly_id"),
            text(anomaly, "kind"),
            anomaly["score"].as_f64().unwrap_or(0.0),
            text(anomaly, "stage"),
            text(anomaly, "detected_at"),
            nodes.join(",")
        );
    }
}

pub fn print(value: &Value, json: bool, table: fn(&Value)) -> anyhow::Result<()> {
    if json || !value.is_array() {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        table(value);
    }
    Ok(())
}

/// `netassure alerts ...`
pub fn alerts(client: &Client, args: AlertsArgs, json: bool) -> anyhow::Result<()> {
    let answer = match args.action {
        Some(AlertAction::Ack { id }) => client.post_operator(&format!("/alerts/{id}/ack"), b"")?,
        Some(AlertAction::Resolve { id }) => {
            client.post_operator(&format!("/alerts/{id}/resolve"), b"")?
        }
        Some(AlertAction::Feedback {
            id,
            false_positive,
            notes,
        }) => {
            let body = serde_json::json!({ "is_false_positive": false_positive, "notes": notes });
            client.post_operator(
                &format!("/alerts/{id}/feedback"),
                body.to_string().as_bytes(),
            )?
        }
        None => {
            let since = args.since.as_deref().map(since).transpose()?;
            let query = query(&[
                ("status", args.status),
                ("node", args.node),
                ("severity", args.severity),
                ("since", since),
                ("limit", args.limit.map(|limit| limit.to_string())),
            ]);
            client.get(&format!("/alerts{query}"))?
        }
    };
    print(&answer, json, print_alerts)
}

/// `netassure anomalies ...`
pub fn anomalies(client: &Client, args: AnomaliesArgs, json: bool) -> anyhow::Result<()> {
    let since = args.since.as_deref().map(since).transpose()?;
    let query = query(&[
        ("since", since),
        ("kind", args.kind),
        ("min_score", args.min_score.map(|score| score.to_string())),
        ("limit", args.limit.map(|limit| limit.to_string())),
    ]);
    print(
        &client.get(&format!("/anomalies{query}"))?,
        json,
        print_anomalies,
    )
}
