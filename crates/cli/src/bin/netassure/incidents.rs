//! `netassure incidents [--status S --alerting --since 1h] | show ID`.

use clap::{Args, Subcommand};
use serde_json::Value;

use crate::client::Client;
use crate::findings::{print, query, since, text};

/// `netassure incidents [filters] | show ID`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct IncidentsArgs {
    #[command(subcommand)]
    action: Option<IncidentAction>,
    /// Only this status: open, closed.
    #[arg(long)]
    status: Option<String>,
    /// Only incidents that opened an alert.
    #[arg(long)]
    alerting: bool,
    /// Last seen since: RFC 3339, or a duration back from now (`1h`, `30m`, `2d`).
    #[arg(long)]
    since: Option<String>,
    /// At most this many.
    #[arg(long)]
    limit: Option<usize>,
}

#[derive(Debug, Subcommand)]
enum IncidentAction {
    /// One incident with its evidence.
    Show {
        /// Incident id.
        id: String,
    },
}

fn print_incidents(incidents: &Value) {
    println!(
        "{:<36} {:<7} {:<5} {:>5} {:<24} SUMMARY",
        "INCIDENT", "STATUS", "ALERT", "SCORE", "LAST SEEN"
    );
    for incident in incidents.as_array().into_iter().flatten() {
        println!(
            "{:<36} {:<7} {:<5} {:>5.2} {:<24} {}",
            text(incident, "incident_id"),
            text(incident, "status"),
            if incident["alerting"].as_bool() == Some(true) {
                "yes"
            } else {
                "no"
            },
            incident["score"].as_f64().unwrap_or(0.0),
            text(incident, "last_seen"),
            text(incident, "summary")
        );
    }
}

/// `netassure incidents ...`
pub fn incidents(client: &Client, args: IncidentsArgs, json: bool) -> anyhow::Result<()> {
    let answer = match args.action {
        Some(IncidentAction::Show { id }) => client.get(&format!("/incidents/{id}"))?,
        None => {
            let since = args.since.as_deref().map(since).transpose()?;
            let query = query(&[
                ("status", args.status),
                ("alerting", args.alerting.then(|| "true".to_owned())),
                ("since", since),
                ("limit", args.limit.map(|limit| limit.to_string())),
            ]);
            client.get(&format!("/incidents{query}"))?
        }
    };
    print(&answer, json, print_incidents)
}
