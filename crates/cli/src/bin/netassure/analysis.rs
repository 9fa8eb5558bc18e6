//! `netassure analysis ...`: run graph-algorithm plugins and the what-if, cascade and
//! capacity analyses. Analyses only read, so they need no admin token.

use serde_json::{Value, json};

use crate::AnalysisCommand;
use crate::client::{Client, parse_param};
use crate::findings::{query, since};

/// Run an analysis command; prints a summary, or the JSON answer with `--json`.
pub fn analysis(client: &Client, command: AnalysisCommand, as_json: bool) -> anyhow::Result<()> {
    let (answer, print): (Value, fn(&Value)) = match command {
        AnalysisCommand::Run {
            plugin,
            params,
            version,
        } => {
            let params: serde_json::Map<String, Value> = params
                .iter()
                .map(|p| parse_param(p))
                .collect::<anyhow::Result<_>>()?;
            let body = json!({ "params": params, "version": version });
            let answer = client.post_open(
                &format!("/analysis/run/{plugin}"),
                body.to_string().as_bytes(),
            )?;
            (answer, print_json)
        }
        AnalysisCommand::WhatIf {
            fail,
            overload_threshold,
            version,
        } => {
            let body = json!({ "fail": fail, "overload_threshold": overload_threshold, "version": version });
            (
                client.post_open("/analysis/what-if", without_nulls(body).as_bytes())?,
                print_what_if,
            )
        }
        AnalysisCommand::Cascade {
            tolerance,
            fail,
            samples,
            version,
        } => {
            let fail = (!fail.is_empty()).then_some(fail);
            let body = json!({ "tolerance": tolerance, "fail": fail, "samples": samples, "version": version });
            (
                client.post_open("/analysis/cascade", without_nulls(body).as_bytes())?,
                print_cascade,
            )
        }
        AnalysisCommand::Capacity {
            threshold,
            since: from,
            horizon_days,
        } => {
            let path = format!(
                "/analysis/capacity{}",
                query(&[
                    ("threshold", threshold.map(|t| t.to_string())),
                    ("since", from.as_deref().map(since).transpose()?),
                    ("horizon_days", horizon_days.map(|h| h.to_string())),
                ])
            );
            (client.get(&path)?, print_capacity)
        }
    };
    if as_json {
        print_json(&answer);
    } else {
        print(&answer);
    }
    Ok(())
}

fn without_nulls(body: Value) -> String {
    let Value::Object(map) = body else {
        return body.to_string();
    };
    Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect()).to_string()
}

fn print_json(answer: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(answer).expect("JSON prints")
    );
}

fn list(value: &Value) -> String {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn print_what_if(answer: &Value) {
    println!(
        "what-if on topology version {}: fail {}",
        answer["topology_version"],
        list(&answer["fail"])
    );
    println!("  lost reachability: {} node pairs", answer["lost_pairs"]);
    for group in answer["cut_off"].as_array().into_iter().flatten() {
        println!("  cut off: {}", list(group));
    }
    for reroute in answer["rerouted"].as_array().into_iter().flatten() {
        println!(
            "  {} rerouted over {}",
            reroute["link_id"].as_str().unwrap_or("?"),
            list(&reroute["path"]).replace(", ", " → ")
        );
    }
    let gbps = |key: &str| answer[key].as_f64().unwrap_or(0.0) / 1e9;
    println!(
        "  rerouted {:.2} Gb/s, lost {:.2} Gb/s",
        gbps("rerouted_bps"),
        gbps("lost_bps")
    );
    println!(
        "  overloaded links: {}",
        match list(&answer["overloaded_links"]) {
            none if none.is_empty() => "none".to_owned(),
            some => some,
        }
    );
}

fn print_cascade(answer: &Value) {
    println!(
        "cascade on topology version {} (tolerance {}): {} node(s) failed, largest component {:.1}% of nodes",
        answer["topology_version"],
        answer["tolerance"],
        answer["failed_total"],
        answer["largest_component_fraction"].as_f64().unwrap_or(0.0) * 100.0
    );
    for step in answer["steps"].as_array().into_iter().flatten() {
        println!("  step {}: {}", step["step"], list(&step["failed"]));
    }
}

fn print_capacity(answer: &Value) {
    println!(
        "{:<40} {:>11} {:>13} {:>10}",
        "LINK", "UTILISATION", "TREND PER DAY", "DAYS LEFT"
    );
    for link in answer["links"].as_array().into_iter().flatten() {
        let days = link["days_to_threshold"]
            .as_f64()
            .map_or("-".to_owned(), |d| format!("{d:.1}"));
        println!(
            "{:<40} {:>10.1}% {:>12.3}% {:>10}",
            link["link_id"].as_str().unwrap_or("?"),
            link["utilisation"].as_f64().unwrap_or(0.0) * 100.0,
            link["trend_per_day"].as_f64().unwrap_or(0.0) * 100.0,
            days
        );
    }
}
