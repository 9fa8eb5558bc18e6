//! GNN inference throughput (`cargo xtask bench`): flows in → scores out with the committed
//! `flow-gae` ONNX model on ONNX Runtime (CPU, one intra-op thread per session), for windows
//! of 10k and 100k flows: host graph + model inputs + the model, on one core and on two (two
//! sessions side by side). Set `NETASSURE_BENCH_DEVICE=cuda` to measure the CUDA path where
//! the GPU runtime is installed, and `NETASSURE_BENCH_COMPARE=DIR` to measure another
//! `flow-gae` (DIR holding its `.onnx` and `.toml`, e.g. an earlier version) in the same run,
//! as a ratio. Results go to BENCHMARKS.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use netassure_host::inference::{DevicePreference, InferenceConfig, InferenceService};
use netassure_host::learning::train::gae_tensors;
use netassure_netflow::FlowColumns;
use netassure_netflow::files::FlowWindows;

/// Windows of `size` flows from an office hour of 3,000 clients with every attack class.
fn windows(size: usize) -> Vec<FlowColumns> {
    let scenario = netassure_flowsynth::Scenario {
        start_ms: netassure_flowsynth::Scenario::default().start_ms + 9 * 3_600_000,
        minutes: 60,
        clients: 3_000,
        ..netassure_flowsynth::Scenario::default()
    };
    let mut csv = Vec::new();
    netassure_flowsynth::write_nids_csv(&netassure_flowsynth::generate(&scenario), &mut csv)
        .unwrap();
    let mut reader = netassure_netflow::nids::NidsReader::new(csv.as_slice()).unwrap();
    let mut cutter = FlowWindows::new(0, size, "bench");
    let mut out = Vec::new();
    while let Some((flow, label)) = reader.next_flow().unwrap() {
        out.extend(cutter.push(&flow, label).map(|w| w.flows));
    }
    out
}

/// Graph, inputs and model for one window; returns the flows scored.
fn score(service: &InferenceService, columns: &FlowColumns) -> usize {
    let outputs = service
        .run("flow-gae", &gae_tensors(columns))
        .expect("the model runs");
    outputs[0].as_f32().map_or(0, <[f32]>::len)
}

/// Flows/s over `threads` threads, each scoring every window in turn for at least `time`.
fn throughput(
    service: &Arc<InferenceService>,
    windows: &Arc<Vec<FlowColumns>>,
    threads: usize,
    time: Duration,
) -> f64 {
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (service, windows) = (service.clone(), windows.clone());
            std::thread::spawn(move || {
                let mut scored = 0usize;
                let mut i = t;
                while started.elapsed() < time {
                    scored += score(&service, &windows[i % windows.len()]);
                    i += threads;
                }
                scored
            })
        })
        .collect();
    let scored: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    scored as f64 / started.elapsed().as_secs_f64()
}

/// The inference service over the models of `dir` on `device`.
fn service(dir: std::path::PathBuf, device: DevicePreference) -> Arc<InferenceService> {
    let service = InferenceService::start(
        InferenceConfig {
            models_dir: dir,
            device,
            sessions: 2,
            ..InferenceConfig::default()
        },
        None,
    );
    let status = service.status();
    assert!(status.available, "{:?}", status.note);
    println!(
        "flow-gae on {} ({})",
        status.device.unwrap_or_default(),
        status.library.unwrap_or_default()
    );
    service
}

fn main() {
    let device = match std::env::var("NETASSURE_BENCH_DEVICE").as_deref() {
        Ok("cuda") => DevicePreference::Cuda,
        _ => DevicePreference::Cpu,
    };
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let mut models = vec![("committed", service(committed, device))];
    // Another `flow-gae` (a directory with its .onnx and .toml) measured in the same run.
    if let Some(dir) = std::env::var_os("NETASSURE_BENCH_COMPARE") {
        models.push(("compared", service(dir.into(), device)));
    }
    for size in [10_000, 100_000] {
        let windows = Arc::new(windows(size));
        let started = Instant::now();
        let (mut built, mut rounds) = (0usize, 0);
        while started.elapsed() < Duration::from_secs(3) {
            let window = &windows[rounds % windows.len()];
            std::hint::black_box(gae_tensors(window));
            built += window.len();
            rounds += 1;
        }
        println!(
            "  {size:>7}-flow windows, 1 thread(s): {:>10.0} flows/s (graph + inputs alone)",
            built as f64 / started.elapsed().as_secs_f64()
        );
        for threads in [1, 2] {
            let mut rates = Vec::new();
            for (name, service) in &models {
                let rate = throughput(service, &windows, threads, Duration::from_secs(6));
                println!(
                    "  {size:>7}-flow windows, {threads} thread(s): {:>10.0} flows/s (graph + inputs + model; {name})",
                    rate
                );
                rates.push(rate);
            }
            if let [committed, compared] = rates[..] {
                println!("    committed / compared: {:.2}", committed / compared);
            }
        }
    }
}
