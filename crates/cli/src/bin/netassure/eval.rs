//! `netassure eval`: measure detection on labelled traffic.
//!
//! - Per flow (`--model`, default `flow-gae`, when `--models-dir` holds it): how well the
//!   model's scores separate attack flows from benign ones — ROC-AUC, average precision, rates
//!   at the threshold, per class, curves as PNG. Labels come from the file (NIDS CSV `Label`,
//!   labelled JSON lines) or from `--labels`.
//! - Per incident (`--labels`): the whole detection stack — every plugin of `--plugins` on its
//!   configuration (`--config`), incidents, alert rules — run on the files in-process, its
//!   incidents matched against the labels: recall, precision, time to detect, false alerts per
//!   benign hour and per 100 MB, victims named as attackers.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use netassure_cli::evaluation::incidents::IncidentReport;
use netassure_cli::evaluation::labels::Labels;
use netassure_cli::evaluation::{self, Report};
use netassure_host::inference::{DevicePreference, InferenceConfig, InferenceService};
use netassure_host::ingest::FlowFilesConfig;

pub mod print;

/// `netassure eval`
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Flow files: NIDS NetFlow CSV, JSON lines, pcap/pcapng (traffic or NetFlow/IPFIX
    /// export); repeat for several.
    #[arg(long, value_name = "FILE", required = true, num_args = 1..)]
    flows: Vec<PathBuf>,
    /// Labels: attackers, victims and a time span per attack (TOML or CSV, see
    /// docs/evaluation.md). Turns on the incident-level evaluation.
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// Flow files of the days before (a benign day, say), read first through the whole stack
    /// so the plugins learn their baselines as a running host would; their incidents and
    /// traffic are not counted. Repeat for several.
    #[arg(long = "warm-up", value_name = "FILE")]
    warm_up: Vec<PathBuf>,
    /// The model (`NAME.onnx` + `NAME.toml` in --models-dir) for the per-flow figures.
    #[arg(long, default_value = "flow-gae")]
    model: String,
    /// The model directory (also what the detection run's plugins are served).
    #[arg(long, default_value = "models")]
    models_dir: PathBuf,
    /// Plugin directory for the detection run.
    #[arg(long, default_value = "plugins")]
    plugins: PathBuf,
    /// Host configuration for the detection run (plugin limits, incidents, models...).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Score that counts as anomalous (default: the model's own threshold).
    #[arg(long)]
    threshold: Option<f64>,
    /// Window width by flow end time, ms (as `[ingest.files] window_ms`).
    #[arg(long, default_value_t = 10_000)]
    window_ms: u64,
    /// Where to write `MODEL-roc.png` and `MODEL-pr.png`.
    #[arg(long, default_value = ".")]
    plots: PathBuf,
    /// `cpu`, `cuda` or `auto`.
    #[arg(long, default_value = "cpu", value_parser = ["cpu", "cuda", "auto"])]
    device: String,
}

/// The best operating point with at most 1% of benign flows flagged.
#[derive(Debug, serde::Serialize)]
struct AtOnePercent {
    threshold: f32,
    tpr: f64,
    fpr: f64,
}

/// Everything measured, for `--json`.
#[derive(Debug, serde::Serialize)]
struct EvalReport {
    /// Per flow, when the model was there.
    flows: Option<Report>,
    /// Per flow: the best TPR at FPR ≤ 1%.
    flows_at_1pct_fpr: Option<AtOnePercent>,
    /// Per incident, with `--labels`.
    incidents: Option<IncidentReport>,
}

/// Evaluate, print the report, write the curves.
pub fn eval(args: EvalArgs, json: bool) -> anyhow::Result<()> {
    let labels = args.labels.as_deref().map(Labels::read).transpose()?;
    let flows = if args
        .models_dir
        .join(format!("{}.onnx", args.model))
        .is_file()
    {
        Some(per_flow(&args, labels.as_ref(), json)?)
    } else if labels.is_none() {
        anyhow::bail!(
            "no model {} in {} and no --labels: nothing to evaluate",
            args.model,
            args.models_dir.display()
        );
    } else {
        None
    };
    let incidents = match &labels {
        Some(labels) => Some(per_incident(&args, labels, json)?),
        None => None,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&EvalReport {
                flows_at_1pct_fpr: flows.as_ref().map(|(_, at)| AtOnePercent {
                    threshold: at.0,
                    tpr: at.1,
                    fpr: at.2,
                }),
                flows: flows.map(|(report, _)| report),
                incidents
            })?
        );
    }
    Ok(())
}

fn per_flow(
    args: &EvalArgs,
    labels: Option<&Labels>,
    json: bool,
) -> anyhow::Result<(Report, (f32, f64, f64))> {
    let device = match args.device.as_str() {
        "cuda" => DevicePreference::Cuda,
        "auto" => DevicePreference::Auto,
        _ => DevicePreference::Cpu,
    };
    let service = InferenceService::start(
        InferenceConfig {
            models_dir: args.models_dir.clone(),
            device,
            ..InferenceConfig::default()
        },
        None,
    );
    let status = service.status();
    anyhow::ensure!(status.available, "{}", status.note.unwrap_or_default());
    if let Some((_, reason)) = service
        .model_errors()
        .into_iter()
        .find(|(name, _)| *name == args.model)
    {
        anyhow::bail!("model `{}` did not load: {reason}", args.model);
    }
    let config = FlowFilesConfig {
        window_ms: args.window_ms,
        ..FlowFilesConfig::default()
    };
    let mut scored = evaluation::Scored::default();
    for file in &args.flows {
        let bar = print::progress_bar(file);
        let part =
            evaluation::score_file(&service, &args.model, file, &config, labels, |read, _| {
                bar.set_position(read)
            })
            .with_context(|| format!("scoring {}", file.display()))?;
        bar.finish_and_clear();
        scored.append(part);
    }
    let threshold = args
        .threshold
        .or(scored.model_threshold.map(f64::from))
        .context("the model has no threshold output: pass --threshold")?;
    let report = evaluation::evaluate(&scored.scores, &scored.attack, &scored.class, threshold);
    let at_one_percent = evaluation::tpr_at_fpr(&scored.scores, &scored.attack, 0.01);
    std::fs::create_dir_all(&args.plots)?;
    let roc_path = args.plots.join(format!("{}-roc.png", args.model));
    let pr_path = args.plots.join(format!("{}-pr.png", args.model));
    evaluation::plot_roc(
        &roc_path,
        &args.model,
        report.roc_auc,
        &evaluation::roc_curve(&scored.scores, &scored.attack),
    )?;
    evaluation::plot_pr(
        &pr_path,
        &args.model,
        report.average_precision,
        &evaluation::pr_curve(&scored.scores, &scored.attack),
    )?;
    if !json {
        print::flow_report(
            &args.model,
            &report,
            scored.windows,
            Some(scored.model_seconds),
            status.device.as_deref(),
        );
        println!(
            "  best TPR at FPR <= 1%: {:.2}% (FPR {:.2}%, threshold {:.4})",
            at_one_percent.1 * 100.0,
            at_one_percent.2 * 100.0,
            at_one_percent.0
        );
        println!("curves: {} {}", roc_path.display(), pr_path.display());
    }
    Ok((report, at_one_percent))
}

fn per_incident(args: &EvalArgs, labels: &Labels, json: bool) -> anyhow::Result<IncidentReport> {
    let mut config = match &args.config {
        Some(path) => netassure_host::config::Config::from_file(path)?,
        None => netassure_host::config::Config::default(),
    };
    let data = std::env::temp_dir().join(format!("netassure-eval-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    config.data.dir = data.clone();
    if config.data.cache_dir.is_none() {
        // Compiled plugins are keyed by content and engine: every evaluation shares them.
        config.data.cache_dir = Some(std::env::temp_dir().join("netassure-eval-cache"));
    }
    config.plugins.dir = args.plugins.clone();
    config.inference.models_dir = args.models_dir.clone();
    config.ingest.files.window_ms = args.window_ms;
    // Measure the models given, never learn (and install) one from the evaluated traffic.
    for name in netassure_host::inference::settings::LEARNABLE {
        config
            .models
            .entry((*name).to_owned())
            .or_insert_with(|| {
                netassure_host::inference::settings::settings_for(&Default::default(), name)
            })
            .learn = "0".into();
    }
    let run = evaluation::detection::run(&config, &args.warm_up, &args.flows);
    let _ = std::fs::remove_dir_all(&data);
    let run = run?;
    let report = evaluation::incidents::evaluate(labels, &run.incidents, run.traffic, 60_000);
    if !json {
        print::incident_report(&report, &run);
    }
    Ok(report)
}
