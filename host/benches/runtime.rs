//! Plugin-runtime benchmark (`cargo xtask bench`): a minimal plugin call, a columnar batch of
//! 1M flows into a detector vs the same loop native in the host, cold compile vs cached load,
//! and upload-to-live time of a hot swap. Results are recorded in BENCHMARKS.md.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use netassure_host::metrics::Metrics;
use netassure_host::model::{FlowRecord, FlowWindowInput, InputEvent};
use netassure_host::pipeline::{Pipeline, Sinks};
use netassure_host::registry::Registry;
use netassure_host::runtime::{
    HostServices, Limits, LoadedComponent, PluginInstance, Runtime, convert,
};
use netassure_host::state_store::StateStore;
use netassure_host::topology::TopologyStore;

fn fixture(name: &str) -> Vec<u8> {
    let dir = std::env::var_os("NETASSURE_TEST_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-plugins")
        });
    std::fs::read(dir.join(format!("{name}.wasm")))
        .expect("run `cargo xtask bench` (it builds the fixtures)")
}

fn services(dir: &std::path::Path) -> Arc<HostServices> {
    Arc::new(HostServices {
        topology: Arc::new(TopologyStore::new()),
        state: Arc::new(StateStore::open(&dir.join("state.redb")).unwrap()),
        metrics: Arc::new(Metrics::new()),
        inference: None,
        health: Default::default(),
    })
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn limits() -> Limits {
    Limits {
        deadline_ms: 10_000,
        deadline_us_per_flow: 0,
        run_deadline_ms: 600_000,
        memory_mb: 1024,
        max_consecutive_failures: 5,
    }
}

fn compile_vs_cached(bytes: &[u8]) {
    let mut cold = Vec::new();
    let mut cached = Vec::new();
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let runtime = Runtime::new(&dir.path().join("cache"), services(dir.path())).unwrap();
        let loaded = runtime.load("probe", bytes, "{}", limits()).unwrap();
        cold.push(loaded.compile_time);
        for _ in 0..5 {
            let again = runtime.load("probe", bytes, "{}", limits()).unwrap();
            cached.push(again.compile_time);
        }
    }
    let (cold, cached) = (median(cold), median(cached));
    println!(
        "compile (cold, cranelift)         {:>10.2} ms",
        cold.as_secs_f64() * 1e3
    );
    println!(
        "load precompiled artifact (cache) {:>10.3} ms   ({:.0}x faster)",
        cached.as_secs_f64() * 1e3,
        cold.as_secs_f64() / cached.as_secs_f64()
    );
}

fn instance(runtime: &Runtime, loaded: &LoadedComponent, config: &str) -> PluginInstance {
    let mut instance = PluginInstance::new(runtime, loaded, "probe".into(), limits()).unwrap();
    instance.configure(config).unwrap().unwrap();
    instance
}

fn call_cost(probe: &mut PluginInstance, subject: &str, source: &str) -> Duration {
    let input = InputEvent::Telemetry {
        seq: None,
        subject: subject.into(),
        metric: subject.into(),
        value: 1.0,
        timestamp_ms: 1,
    };
    let event = convert::event(1, source, 1, &input).expect("telemetry is delivered");
    const CALLS: u32 = 1_000_000;
    for _ in 0..10_000 {
        probe.on_event(&event).unwrap().unwrap();
    }
    median(
        (0..3)
            .map(|_| {
                let started = Instant::now();
                for _ in 0..CALLS {
                    probe.on_event(&event).unwrap().unwrap();
                }
                started.elapsed() / CALLS
            })
            .collect(),
    )
}

fn minimal_call(runtime: &Runtime, loaded: &LoadedComponent) {
    let mut probe = instance(runtime, loaded, r#"{"mode":"noop"}"#);
    let empty = call_cost(&mut probe, "", "");
    let small = call_cost(&mut probe, "leaf-1--spine-1", "replay:events.jsonl");
    println!(
        "empty call (on-event, event without strings, no anomalies) {:>5} ns",
        empty.as_nanos()
    );
    println!(
        "small call (on-event, telemetry with 3 strings, no anomalies) {:>3} ns",
        small.as_nanos()
    );
}

fn flows(n: usize) -> InputEvent {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let records = (0..n)
        .map(|_| {
            let r = next();
            FlowRecord {
                src: std::net::Ipv4Addr::from((r >> 32) as u32).into(),
                dst: std::net::Ipv4Addr::from(r as u32).into(),
                src_port: (r >> 16) as u16,
                dst_port: (r >> 48) as u16,
                protocol: 6,
                tcp_flags: 0x18,
                bytes: r % 1_500_000,
                packets: r % 1000 + 1,
                start_ms: 1_790_000_000_000,
                end_ms: 1_790_000_001_000,
                input_if: 1,
                output_if: 2,
                exporter: Some("10.0.0.1".into()),
                label: false,
                attack: None,
                unknown: Default::default(),
            }
        })
        .collect();
    InputEvent::Flows(FlowWindowInput {
        start_ms: 1_790_000_000_000,
        end_ms: 1_790_000_060_000,
        flows: records,
    })
}

fn native_flow_sum(batch: &netassure_host::runtime::bindings::flows::FlowBatch) -> (u64, u64, u16) {
    let bytes = batch.bytes.iter().copied().fold(0u64, u64::wrapping_add);
    let packets = batch.packets.iter().copied().fold(0u64, u64::wrapping_add);
    let port = batch.dst_port.iter().copied().max().unwrap_or(0);
    (bytes, packets, port)
}

fn flow_batch(runtime: &Runtime, loaded: &LoadedComponent) {
    const FLOWS: usize = 1_000_000;
    const ROUNDS: usize = 10;
    let event = convert::event(1, "bench", 1, &flows(FLOWS)).expect("flows are delivered");
    let netassure_host::runtime::EventPayload::Flows(window) = &event.payload else {
        unreachable!()
    };
    let batch_bytes = window.flows.src_addr.len() * 2
        + window.flows.len as usize * (2 + 2 + 1 + 1 + 8 + 8 + 8 + 8 + 4 + 4 + 2);
    let mut summer = instance(runtime, loaded, r#"{"mode":"flow-sum"}"#);
    let mut ignorer = instance(runtime, loaded, r#"{"mode":"noop"}"#);
    let expected = native_flow_sum(&window.flows);
    let answer = summer.on_event(&event).unwrap().unwrap();
    assert_eq!(
        answer[0].description,
        format!("{} {} {}", expected.0, expected.1, expected.2),
        "same result in the guest"
    );
    ignorer.on_event(&event).unwrap().unwrap();
    let time = |f: &mut dyn FnMut()| {
        median(
            (0..ROUNDS)
                .map(|_| {
                    let started = Instant::now();
                    f();
                    started.elapsed()
                })
                .collect(),
        )
    };
    let guest = time(&mut || {
        summer.on_event(&event).unwrap().unwrap();
    });
    let copy_only = time(&mut || {
        ignorer.on_event(&event).unwrap().unwrap();
    });
    let native = time(&mut || {
        std::hint::black_box(native_flow_sum(std::hint::black_box(&window.flows)));
    });
    println!(
        "1M flows ({:.1} MB columnar) into a detector:",
        batch_bytes as f64 / 1e6
    );
    println!(
        "  copy into the guest (plugin ignores the batch) {:>8.2} ms",
        copy_only.as_secs_f64() * 1e3
    );
    println!(
        "  copy + flow-sum in the guest                   {:>8.2} ms",
        guest.as_secs_f64() * 1e3
    );
    println!(
        "  same flow-sum native in the host               {:>8.2} ms",
        native.as_secs_f64() * 1e3
    );
    println!(
        "  guest / native                                 {:>8.1}x",
        guest.as_secs_f64() / native.as_secs_f64()
    );
    println!(
        "  guest compute only (copy subtracted) / native  {:>8.1}x",
        (guest - copy_only.min(guest)).as_secs_f64() / native.as_secs_f64()
    );
}

fn hot_swap() {
    let dir = tempfile::tempdir().unwrap();
    let services = services(dir.path());
    let runtime = Arc::new(Runtime::new(&dir.path().join("cache"), services.clone()).unwrap());
    let pipeline = Arc::new(Pipeline::new(
        services.topology.clone(),
        services.metrics.clone(),
        Sinks::default(),
    ));
    let registry = Registry::new(
        runtime,
        pipeline,
        &dir.path().join("plugins"),
        Limits::default(),
        netassure_host::registry::QueueLimits::default(),
    )
    .unwrap();
    let versions = [fixture("tagger-v1"), fixture("tagger-v2")];
    registry.install_bytes("tagger", &versions[0]).unwrap();
    let mut first = Duration::ZERO;
    let mut later = Vec::new();
    for swap in 1..=20 {
        let started = Instant::now();
        registry
            .install_bytes("tagger", &versions[swap % 2])
            .unwrap();
        if swap == 1 {
            first = started.elapsed()
        } else {
            later.push(started.elapsed())
        }
    }
    println!("hot swap, upload to live (validate + persist + swap):");
    println!(
        "  new version, not compiled before  {:>8.2} ms",
        first.as_secs_f64() * 1e3
    );
    println!(
        "  version already in the cache (p50) {:>7.2} ms",
        median(later).as_secs_f64() * 1e3
    );
    registry.shutdown();
}

fn main() {
    let probe = fixture("probe");
    println!(
        "netassure plugin runtime benchmark ({} cores)\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    compile_vs_cached(&probe);
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(&dir.path().join("cache"), services(dir.path())).unwrap();
    let loaded = runtime.load("probe", &probe, "{}", limits()).unwrap();
    minimal_call(&runtime, &loaded);
    flow_batch(&runtime, &loaded);
    hot_swap();
}
