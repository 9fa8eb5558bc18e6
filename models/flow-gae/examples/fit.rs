//! Train `flow-gae` on benign flow files and measure it on labelled ones, natively:
//!
//! ```sh
//! cargo run -p netassure-gae --release --example fit -- \
//!     --train target/gae-data/train.csv --test target/gae-data/test.csv \
//!     [--test MORE.csv] [--epochs 20] [--threads 1] [--out DIR] [--ort] [--bench]
//!     [--bench-model FILE.onnx] [--dump DIR] [--flow-dropout 0.5] [--target-fpr 0.005]
//! ```
//!
//! Training windows with any attack flow are left out (train on benign days). The threshold
//! comes from the held-back benign training windows (`TrainConfig::target_fpr`). Each test
//! file is scored with the Rust forward pass (`FlowGae::score`) and reported: ROC-AUC, average
//! precision, TPR/FPR at the threshold, the best TPR at FPR ≤ 1%, per attack class. `--out`
//! writes `flow-gae.onnx`, `flow-gae.toml` and `flow-gae.reference.json` there; `--ort` runs
//! every test window through ONNX Runtime (one intra-op thread; `ORT_DYLIB_PATH`) and reports
//! the largest difference from the Rust forward pass; `--bench` measures ONNX Runtime
//! throughput on 10,000-flow windows of a 3,000-client office hour, as `cargo xtask bench` does.

use std::path::{Path, PathBuf};
use std::time::Instant;

use netassure_gae::data::{LabelledWindow, read_windows};
use netassure_gae::metrics::{evaluate, tpr_at_fpr};
use netassure_gae::{FlowGae, GaeInputs, TrainConfig};

type Error = Box<dyn std::error::Error>;

#[derive(Default)]
struct Args {
    train: Vec<PathBuf>,
    test: Vec<PathBuf>,
    out: Option<PathBuf>,
    config: TrainConfig,
    ort: bool,
    bench: bool,
    dump: Option<PathBuf>,
    bench_models: Vec<PathBuf>,
}

fn args() -> Result<Args, Error> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--train" => args.train.push(value()?.into()),
            "--test" => args.test.push(value()?.into()),
            "--out" => args.out = Some(value()?.into()),
            "--epochs" => args.config.epochs = value()?.parse()?,
            "--threads" => args.config.threads = value()?.parse()?,
            "--seed" => args.config.seed = value()?.parse()?,
            "--lr" => args.config.learning_rate = value()?.parse()?,
            "--batch" => args.config.batch_windows = value()?.parse()?,
            "--batch-flows" => args.config.batch_flows = value()?.parse()?,
            "--flow-dropout" => args.config.flow_dropout = value()?.parse()?,
            "--target-fpr" => args.config.target_fpr = value()?.parse()?,
            "--ort" => args.ort = true,
            "--dump" => args.dump = Some(value()?.into()),
            "--bench" => args.bench = true,
            "--bench-model" => args.bench_models.push(value()?.into()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(args)
}

fn load(path: &Path) -> Result<Vec<LabelledWindow>, Error> {
    let started = Instant::now();
    let windows = read_windows(path, 10_000, 100_000)?;
    let flows: usize = windows.iter().map(|w| w.attack.len()).sum();
    eprintln!(
        "{}: {} windows, {flows} flows ({:.1} s)",
        path.display(),
        windows.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(windows)
}

fn main() -> Result<(), Error> {
    let args = args()?;
    let mut benign = Vec::new();
    for path in &args.train {
        let windows = load(path)?;
        benign.extend(
            windows
                .into_iter()
                .filter(|w| !w.attack.iter().any(|&a| a))
                .map(|w| w.inputs),
        );
    }
    let model = if benign.is_empty() {
        None
    } else {
        Some(train(&benign, &args.config)?)
    };
    let mut ort = args.ort.then(ort_runtime::Runtime::new).transpose()?;
    for path in &args.test {
        let windows = load(path)?;
        if let Some(model) = &model {
            report(model, &windows, path)?;
            if let Some(dump_dir) = &args.dump {
                dump(
                    model,
                    &windows,
                    &dump_dir.join(path.file_name().unwrap_or_default()),
                )?;
            }
            if let Some(ort) = &mut ort {
                let bytes = model.to_onnx(model.threshold());
                let worst = ort.compare(&bytes, model, &windows)?;
                println!(
                    "ONNX Runtime vs Rust forward pass, {} windows: {worst}",
                    windows.len()
                );
            }
        }
    }
    if let (Some(model), Some(out)) = (&model, &args.out) {
        write_model(model, out, &benign)?;
    }
    if args.bench {
        let ort = ort.get_or_insert(ort_runtime::Runtime::new()?);
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flow-gae.onnx");
        let models: Vec<(String, Vec<u8>)> = model
            .iter()
            .map(|m| ("trained".to_owned(), m.to_onnx(m.threshold())))
            .chain(
                std::fs::read(&committed)
                    .ok()
                    .map(|b| ("committed".to_owned(), b)),
            )
            .chain(
                args.bench_models
                    .iter()
                    .filter_map(|p| Some((p.display().to_string(), std::fs::read(p).ok()?))),
            )
            .collect();
        ort.bench(&models)?;
    }
    Ok(())
}

fn train(benign: &[GaeInputs], config: &TrainConfig) -> Result<FlowGae, Error> {
    let flows: usize = benign.iter().map(GaeInputs::flow_count).sum();
    eprintln!("training on {} benign windows, {flows} flows", benign.len());
    let started = Instant::now();
    let mut last = 0.0;
    let model = FlowGae::train(benign, config, |p| {
        eprintln!(
            "epoch {:>3}/{}: loss {:.4} ({:.2} s/epoch)",
            p.epoch,
            p.epochs,
            p.loss,
            p.elapsed_s - last
        );
        last = p.elapsed_s;
    })?;
    let s = model.summary();
    println!(
        "trained: {} windows, {} flows, {} epochs, {:.1} s in all ({:.2} s/epoch), loss {:.4}, held-back loss {:.4}, threshold {:.4} ({} held-back flows at FPR {:.1}%)",
        s.windows,
        s.flows,
        s.epochs,
        started.elapsed().as_secs_f64(),
        last / s.epochs.max(1) as f64,
        s.loss,
        s.holdout_loss,
        s.threshold,
        s.holdout_flows,
        s.target_fpr * 100.0
    );
    Ok(model)
}

fn report(model: &FlowGae, windows: &[LabelledWindow], path: &Path) -> Result<(), Error> {
    let (mut scores, mut attack, mut class) = (Vec::new(), Vec::new(), Vec::new());
    for w in windows {
        scores.extend(model.score(&w.inputs)?.score);
        attack.extend_from_slice(&w.attack);
        class.extend(w.class.iter().cloned());
    }
    let threshold = f64::from(model.threshold());
    let r = evaluate(&scores, &attack, &class, threshold);
    let benign: Vec<f32> = scores
        .iter()
        .zip(&attack)
        .filter(|(_, a)| !**a)
        .map(|(s, _)| *s)
        .collect();
    let rates: Vec<String> = model
        .summary()
        .thresholds
        .iter()
        .map(|&(fpr, t)| {
            let flagged =
                benign.iter().filter(|&&s| s >= t).count() as f64 / benign.len().max(1) as f64;
            let caught = scores
                .iter()
                .zip(&attack)
                .filter(|(s, a)| **a && **s >= t)
                .count() as f64
                / r.attacks.max(1) as f64;
            format!(
                "{:.2}%→FPR {:.2}% TPR {:.1}%",
                fpr * 100.0,
                flagged * 100.0,
                caught * 100.0
            )
        })
        .collect();
    println!("  held-back FPR → here: {}", rates.join(" | "));
    let (t1, tpr1, fpr1) = tpr_at_fpr(&scores, &attack, 0.01);
    println!(
        "{}: {} flows, {} attack | ROC-AUC {:.4} | AP {:.4} | at the threshold {:.4}: TPR {:.2}% FPR {:.2}% | best at FPR <= 1%: TPR {:.2}% (FPR {:.2}%, threshold {:.4})",
        path.display(),
        r.flows,
        r.attacks,
        r.roc_auc,
        r.average_precision,
        threshold,
        r.tpr * 100.0,
        r.fpr * 100.0,
        tpr1 * 100.0,
        fpr1 * 100.0,
        t1
    );
    println!(
        "  {:<16} {:>7} {:>9} {:>10} {:>12}",
        "class", "flows", "ROC-AUC", "TPR@thr", "TPR@FPR1%"
    );
    for c in &r.classes {
        let at_1 = scores
            .iter()
            .zip(&class)
            .filter(|(s, k)| **k == c.class && **s >= t1)
            .count() as f64
            / c.flows as f64;
        println!(
            "  {:<16} {:>7} {:>9.4} {:>9.2}% {:>11.2}%",
            c.class,
            c.flows,
            c.roc_auc,
            c.tpr * 100.0,
            at_1 * 100.0
        );
    }
    Ok(())
}

/// Every flow with its score, deviations and what was expected, as CSV (for analysis).
fn dump(model: &FlowGae, windows: &[LabelledWindow], path: &Path) -> Result<(), Error> {
    use std::io::Write;
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let t = netassure_gae::TARGET_FEATURES;
    let dev: Vec<String> = t.iter().map(|n| format!("dev_{n}")).collect();
    let exp: Vec<String> = t.iter().map(|n| format!("exp_{n}")).collect();
    writeln!(
        out,
        "window,class,score,bytes,packets,duration,protocol,flags,port,src_out,src_in,src_private,dst_out,dst_in,dst_private,{},{}",
        dev.join(","),
        exp.join(",")
    )?;
    for (i, w) in windows.iter().enumerate() {
        let s = model.score(&w.inputs)?;
        for f in 0..w.inputs.flow_count() {
            let row = |v: &[f32], k: usize| -> String {
                v[f * k..(f + 1) * k]
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let host = |h: i64| -> String {
                let h = h as usize;
                w.inputs.hosts[h * 3..h * 3 + 3]
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            writeln!(
                out,
                "{i},{},{},{},{},{},{},{}",
                w.class[f],
                s.score[f],
                row(&w.inputs.flows, 6),
                host(w.inputs.src[f]),
                host(w.inputs.dst[f]),
                row(&s.deviation, t.len()),
                row(&s.expected, t.len())
            )?;
        }
    }
    Ok(())
}

fn write_model(model: &FlowGae, out: &Path, benign: &[GaeInputs]) -> Result<(), Error> {
    std::fs::create_dir_all(out)?;
    let bytes = model.to_onnx(model.threshold());
    std::fs::write(out.join("flow-gae.onnx"), &bytes)?;
    std::fs::write(out.join("flow-gae.toml"), model.card().to_toml())?;
    // The reference window the host's tests check: the largest of 100–400 flows.
    let reference = benign
        .iter()
        .filter(|w| (100..=400).contains(&w.flow_count()))
        .max_by_key(|w| w.flow_count())
        .or_else(|| benign.first())
        .ok_or("no window for the reference")?;
    let score = model.score(reference)?.score;
    let rows = |v: &[f32], width: usize| -> Vec<Vec<f32>> {
        v.chunks(width).map(<[f32]>::to_vec).collect()
    };
    let json = format!(
        "{{\"flows\": {:?}, \"src\": {:?}, \"dst\": {:?}, \"hosts\": {:?}, \"score\": {:?}}}",
        rows(&reference.flows, 6),
        reference.src,
        reference.dst,
        rows(&reference.hosts, 3),
        score
    );
    std::fs::write(out.join("flow-gae.reference.json"), json)?;
    println!(
        "wrote {} ({} bytes), flow-gae.toml, flow-gae.reference.json",
        out.join("flow-gae.onnx").display(),
        bytes.len()
    );
    Ok(())
}

mod ort_runtime {
    //! ONNX Runtime through `ort` (load-dynamic; one environment per process).

    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use netassure_gae::data::{LabelledWindow, gae_inputs};
    use netassure_gae::{FlowGae, GaeInputs};
    use ort::environment::Environment;
    use ort::session::Session;
    use ort::value::TensorRef;

    use super::Error;

    pub struct Runtime {
        environment: Environment,
    }

    fn library() -> String {
        std::env::var("ORT_DYLIB_PATH").unwrap_or_else(|_| ".ort/libonnxruntime.so".into())
    }

    /// Largest differences per output.
    #[derive(Default, Debug)]
    pub struct Worst {
        score_abs: f32,
        score_rel: f32,
        expected_rel: f32,
        deviation_abs: f32,
    }

    impl std::fmt::Display for Worst {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(
                f,
                "score: largest |diff| {:.2e}, largest |diff|/max(1,|score|) {:.2e}; expected: largest |diff|/max(1,|e|) {:.2e}; deviation: largest |diff|/max(1,|d|) {:.2e}",
                self.score_abs, self.score_rel, self.expected_rel, self.deviation_abs
            )
        }
    }

    fn rel(a: f32, b: f32) -> f32 {
        (a - b).abs() / b.abs().max(1.0)
    }

    impl Runtime {
        pub fn new() -> Result<Runtime, Error> {
            let environment = ort::init_from(library())?.with_name("fit").build()?;
            Ok(Runtime { environment })
        }

        pub fn session(&self, bytes: &[u8]) -> Result<Session, Error> {
            Ok(Session::builder(&self.environment)?
                .with_intra_threads(1)
                .map_err(|e| e.to_string())?
                .commit_from_memory(bytes)?)
        }

        /// `score`, `expected`, `deviation` (the latter two empty if the model lacks them).
        pub fn run(session: &mut Session, w: &GaeInputs) -> Result<[Vec<f32>; 3], Error> {
            let (f, n) = (w.flow_count() as i64, w.host_count() as i64);
            let inputs = ort::inputs![
                "flows" => TensorRef::from_array_view(([f, 6], w.flows.as_slice()))?,
                "src" => TensorRef::from_array_view(([f], w.src.as_slice()))?,
                "dst" => TensorRef::from_array_view(([f], w.dst.as_slice()))?,
                "hosts" => TensorRef::from_array_view(([n, 3], w.hosts.as_slice()))?,
            ];
            let outputs = session.run(inputs)?;
            let get = |name: &str| -> Result<Vec<f32>, Error> {
                match outputs.get(name) {
                    Some(v) => Ok(v.try_extract_tensor::<f32>()?.1.to_vec()),
                    None => Ok(Vec::new()),
                }
            };
            Ok([get("score")?, get("expected")?, get("deviation")?])
        }

        pub fn compare(
            &mut self,
            bytes: &[u8],
            model: &FlowGae,
            windows: &[LabelledWindow],
        ) -> Result<Worst, Error> {
            let mut session = self.session(bytes)?;
            let mut worst = Worst::default();
            for w in windows.iter().filter(|w| w.inputs.flow_count() > 0) {
                let [score, expected, deviation] = Self::run(&mut session, &w.inputs)?;
                let rust = model.score(&w.inputs)?;
                for (i, (a, b)) in score.iter().zip(&rust.score).enumerate() {
                    worst.score_abs = worst.score_abs.max((a - b).abs());
                    if rel(*a, *b) > worst.score_rel && std::env::var_os("GAE_DEBUG").is_some() {
                        let t = netassure_gae::TARGET_FEATURES.len();
                        eprintln!(
                            "worst so far: ort {a} rust {b}\n  ort dev {:?}\n rust dev {:?}\n flow {:?}",
                            &deviation[i * t..(i + 1) * t],
                            &rust.deviation[i * t..(i + 1) * t],
                            &w.inputs.flows[i * 6..i * 6 + 6]
                        );
                    }
                    worst.score_rel = worst.score_rel.max(rel(*a, *b));
                }
                for (a, b) in expected.iter().zip(&rust.expected) {
                    worst.expected_rel = worst.expected_rel.max(rel(*a, *b));
                }
                for (a, b) in deviation.iter().zip(&rust.deviation) {
                    worst.deviation_abs = worst.deviation_abs.max(rel(*a, *b));
                }
            }
            Ok(worst)
        }

        /// Flows/s (graph + inputs + model) on 10,000-flow windows of a 3,000-client office
        /// hour with every attack class, one and two threads, a session each.
        pub fn bench(&self, models: &[(String, Vec<u8>)]) -> Result<(), Error> {
            let windows = Arc::new(office_hour(10_000)?);
            for (name, bytes) in models {
                for threads in [1usize, 2] {
                    let sessions: Vec<Session> = (0..threads)
                        .map(|_| self.session(bytes))
                        .collect::<Result<_, _>>()?;
                    let started = Instant::now();
                    let time = Duration::from_secs(6);
                    let handles: Vec<_> = sessions
                        .into_iter()
                        .enumerate()
                        .map(|(t, mut session)| {
                            let windows = windows.clone();
                            std::thread::spawn(move || {
                                let (mut scored, mut i) = (0usize, t);
                                while started.elapsed() < time {
                                    let inputs = gae_inputs(&windows[i % windows.len()]);
                                    let [score, ..] =
                                        Runtime::run(&mut session, &inputs).expect("runs");
                                    scored += score.len();
                                    i += threads;
                                }
                                scored
                            })
                        })
                        .collect();
                    let scored: usize =
                        handles.into_iter().map(|h| h.join().expect("thread")).sum();
                    println!(
                        "{name} model ({} bytes), 10,000-flow windows, {threads} thread(s): {:.2} M flows/s (graph + inputs + model)",
                        bytes.len(),
                        scored as f64 / started.elapsed().as_secs_f64() / 1e6
                    );
                }
            }
            Ok(())
        }
    }

    fn office_hour(size: usize) -> Result<Vec<netassure_netflow::FlowColumns>, Error> {
        let scenario = netassure_flowsynth::Scenario {
            start_ms: netassure_flowsynth::Scenario::default().start_ms + 9 * 3_600_000,
            minutes: 60,
            clients: 3_000,
            ..netassure_flowsynth::Scenario::default()
        };
        let mut csv = Vec::new();
        netassure_flowsynth::write_nids_csv(&netassure_flowsynth::generate(&scenario), &mut csv)?;
        let mut reader = netassure_netflow::nids::NidsReader::new(csv.as_slice())?;
        let mut cutter = netassure_netflow::files::FlowWindows::new(0, size, "bench");
        let mut out = Vec::new();
        while let Some((flow, label)) = reader.next_flow()? {
            out.extend(cutter.push(&flow, label).map(|w| w.flows));
        }
        Ok(out)
    }
}
