//! `netassure model train flow-gae --flows FILE... [--models-dir DIR]`: train a model of this
//! network from its own traffic (NIDS CSV, JSON lines, pcap/pcapng, NetFlow captures), check it
//! with ONNX Runtime, install it (the previous one kept under `previous/`). Flows labelled as
//! attacks are left out of training; windows that hold them make an evaluation report.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use netassure_cli::evaluation;
use netassure_gae::GaeInputs;
use netassure_host::inference::ModelSettings;
use netassure_host::learning::train::train_and_install;
use netassure_netflow::files::FlowFile;

/// `netassure model ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ModelCommand {
    /// Train a model of this network from flow files and install it.
    Train(TrainArgs),
}

/// `netassure model train`
#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    /// The model: `flow-gae`.
    #[arg(value_parser = ["flow-gae"])]
    model: String,
    /// Flow files of this network (NIDS CSV, JSON lines, pcap/pcapng, NetFlow captures).
    #[arg(long, value_name = "FILE", required = true, num_args = 1..)]
    flows: Vec<PathBuf>,
    /// Where to install the model (the host's model directory).
    #[arg(long, default_value = "models")]
    models_dir: PathBuf,
    /// Training passes.
    #[arg(long, default_value_t = ModelSettings::default().epochs)]
    epochs: usize,
    /// False-positive rate the threshold aims at on held-back benign windows.
    #[arg(long, default_value_t = ModelSettings::default().target_fpr)]
    target_fpr: f64,
    /// Share of the windows held back for the threshold.
    #[arg(long, default_value_t = ModelSettings::default().holdout)]
    holdout: f64,
    /// Window width by flow end time, ms (as the host cuts them).
    #[arg(long, default_value_t = 10_000)]
    window_ms: u64,
}

/// Windows read from the files: benign inputs to train on, and the windows that held attack
/// flows with their labels, to report on.
#[derive(Default)]
struct Data {
    train: Vec<GaeInputs>,
    attack_windows: Vec<(GaeInputs, Vec<bool>, Vec<String>)>,
    flows: u64,
    attack_flows: u64,
}

/// `netassure model ...`
pub fn model(command: ModelCommand) -> anyhow::Result<()> {
    match command {
        ModelCommand::Train(args) => train(args),
    }
}

fn train(args: TrainArgs) -> anyhow::Result<()> {
    let settings = ModelSettings {
        epochs: args.epochs,
        target_fpr: args.target_fpr,
        holdout: args.holdout,
        ..ModelSettings::default()
    };
    settings.validate(&args.model).map_err(anyhow::Error::msg)?;
    let data = read(&args)?;
    eprintln!(
        "{} flows in {} windows ({} attack flows left out of training)",
        data.flows,
        data.train.len(),
        data.attack_flows
    );
    let bar = ProgressBar::new(args.epochs as u64);
    bar.set_style(
        ProgressStyle::with_template("training {bar:40} epoch {pos}/{len} {msg}")
            .expect("a valid template"),
    );
    let installed =
        train_and_install(&args.model, &data.train, &settings, &args.models_dir, |p| {
            bar.set_position(p.epoch as u64);
            bar.set_message(format!("loss {:.4} ({:.0} s)", p.loss, p.elapsed_s));
        })?;
    bar.finish_and_clear();
    let summary = installed.model.summary();
    println!(
        "{}: trained on {} windows / {} flows in {:.1} s; threshold {:.4} (aimed at {:.2}% of held-back benign flows); ONNX Runtime within {:.1e} of the trainer on {} windows",
        installed.onnx.display(),
        summary.windows,
        summary.flows,
        summary.seconds,
        installed.threshold,
        summary.target_fpr * 100.0,
        installed.max_difference,
        installed.checked_windows
    );
    if let Some(previous) = &installed.previous {
        println!("previous model kept: {}", previous.display());
    }
    if !data.attack_windows.is_empty() {
        report(&installed.model, &data.attack_windows, installed.threshold)?;
    }
    Ok(())
}

/// Every window of every file: benign flows to train on, windows with attacks kept aside.
fn read(args: &TrainArgs) -> anyhow::Result<Data> {
    let mut data = Data::default();
    for path in &args.flows {
        let mut file =
            FlowFile::open(path).with_context(|| format!("opening {}", path.display()))?;
        file.for_each_window(args.window_ms, 100_000, |window, _| {
            data.flows += window.flows.len() as u64;
            let attack: Vec<bool> = window.labels.iter().map(|l| l.attack).collect();
            if attack.iter().any(|&a| a) {
                data.attack_flows += attack.iter().filter(|&&a| a).count() as u64;
                let benign = window.flows.filtered(|i| !attack[i]);
                if !benign.is_empty() {
                    data.train.push(netassure_gae::data::gae_inputs(&benign));
                }
                let class = window.labels.into_iter().map(|l| l.class).collect();
                data.attack_windows.push((
                    netassure_gae::data::gae_inputs(&window.flows),
                    attack,
                    class,
                ));
            } else {
                data.train
                    .push(netassure_gae::data::gae_inputs(&window.flows));
            }
            Ok::<(), netassure_netflow::files::FlowFileError>(())
        })
        .with_context(|| format!("reading {}", path.display()))?;
    }
    if data.train.is_empty() {
        bail!("no benign flows to train on");
    }
    Ok(data)
}

/// How the new model scores the labelled attack windows (with the benign flows around them).
fn report(
    model: &netassure_gae::FlowGae,
    windows: &[(GaeInputs, Vec<bool>, Vec<String>)],
    threshold: f32,
) -> anyhow::Result<()> {
    let (mut scores, mut attack, mut class) = (Vec::new(), Vec::new(), Vec::new());
    for (inputs, labels, classes) in windows {
        scores.extend(model.score(inputs)?.score);
        attack.extend_from_slice(labels);
        class.extend_from_slice(classes);
    }
    let report = evaluation::evaluate(&scores, &attack, &class, f64::from(threshold));
    println!("on the windows with labelled attacks:");
    crate::eval::print::flow_report("flow-gae", &report, windows.len() as u64, None, None);
    Ok(())
}
