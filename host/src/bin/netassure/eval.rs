//! `netassure eval --model flow-gae --flows labelled.csv`: how well a flow model separates
//! the attacks of a labelled flow file from its benign flows (runs the model in-process with
//! the host's inference service; no host needed).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use netassure_host::evaluation::{self, Report};
use netassure_host::inference::{DevicePreference, InferenceConfig, InferenceService};
use netassure_host::ingest::FlowFilesConfig;

/// `netassure eval`
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The model (`NAME.onnx` + `NAME.toml` in --models-dir).
    #[arg(long, default_value = "flow-gae")]
    model: String,
    /// A labelled flow file: NIDS NetFlow CSV (`Label`, `Attack`) or JSON lines with
    /// `label`/`attack`.
    #[arg(long, value_name = "FILE")]
    flows: PathBuf,
    /// The model directory.
    #[arg(long, default_value = "models")]
    models_dir: PathBuf,
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

/// Score the file, print the report, write the curves.
pub fn eval(args: EvalArgs, json: bool) -> anyhow::Result<()> {
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
    let bar = ProgressBar::new(std::fs::metadata(&args.flows).map_or(0, |m| m.len()));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {binary_bytes}/{binary_total_bytes} eta {eta}",
        )
        .expect("a valid template"),
    );
    let scored = evaluation::score_file(&service, &args.model, &args.flows, &config, |read, _| {
        bar.set_position(read)
    })
    .with_context(|| format!("scoring {}", args.flows.display()))?;
    bar.finish_and_clear();
    let threshold = args
        .threshold
        .or(scored.model_threshold.map(f64::from))
        .context("the model has no threshold output: pass --threshold")?;
    let report = evaluation::evaluate(&scored.scores, &scored.attack, &scored.class, threshold);
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
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(
            &args.model,
            &report,
            scored.windows,
            scored.model_seconds,
            status.device.as_deref(),
        );
        println!("curves: {} {}", roc_path.display(), pr_path.display());
    }
    Ok(())
}

fn print_report(model: &str, report: &Report, windows: u64, seconds: f64, device: Option<&str>) {
    println!(
        "{model} on {} flows ({} attack) in {windows} windows; model time {seconds:.2} s on {} ({:.0} flows/s)",
        report.flows,
        report.attacks,
        device.unwrap_or("?"),
        report.flows as f64 / seconds.max(1e-9)
    );
    println!("  ROC-AUC            {:.4}", report.roc_auc);
    println!("  average precision  {:.4}", report.average_precision);
    println!(
        "  at threshold {:.4}: TPR {:.2}%  FPR {:.2}%  precision {:.2}%",
        report.threshold,
        report.tpr * 100.0,
        report.fpr * 100.0,
        report.precision * 100.0
    );
    let [[tn, fp], [fn_, tp]] = report.confusion;
    println!("  confusion            predicted benign  predicted attack");
    println!("    benign            {tn:>16}  {fp:>16}");
    println!("    attack            {fn_:>16}  {tp:>16}");
    println!(
        "  {:<18} {:>8} {:>9} {:>8} {:>8}",
        "class", "flows", "detected", "TPR", "ROC-AUC"
    );
    for class in &report.classes {
        println!(
            "  {:<18} {:>8} {:>9} {:>7.2}% {:>8.4}",
            class.class,
            class.flows,
            class.detected,
            class.tpr * 100.0,
            class.roc_auc
        );
    }
}
