//! Unit tests on small synthetic windows: thresholds, training, scoring, the card.

use super::*;

/// A window of a tiny office: `clients` clients querying DNS (UDP 53, small) and browsing
/// (TCP 443, larger, flags FIN|SYN|PSH|ACK) through two servers and a few public sites.
pub(crate) fn office_window(rng: &mut fastrand::Rng, clients: usize) -> GaeInputs {
    let (dns, proxy, sites) = (clients, clients + 1, clients + 2);
    let hosts_n = clients + 2 + 3;
    let mut w = GaeInputs::default();
    let mut sent = vec![0.0f32; hosts_n];
    let mut received = vec![0.0f32; hosts_n];
    let mut flow = |w: &mut GaeInputs, s: usize, d: usize, row: [f32; 6]| {
        w.flows.extend_from_slice(&row);
        w.src.push(s as i64);
        w.dst.push(d as i64);
        sent[s] += 1.0;
        received[d] += 1.0;
    };
    for c in 0..clients {
        for _ in 0..rng.usize(1..4) {
            let bytes = 60.0 + rng.f32() * 60.0;
            flow(
                &mut w,
                c,
                dns,
                [bytes, 2.0, rng.f32() * 5.0, 17.0, 0.0, 53.0],
            );
        }
        let packets = rng.usize(5..20) as f32;
        let bytes = packets * (400.0 + rng.f32() * 600.0);
        flow(
            &mut w,
            c,
            proxy,
            [bytes, packets, 50.0 + rng.f32() * 500.0, 6.0, 27.0, 443.0],
        );
        flow(
            &mut w,
            proxy,
            sites + rng.usize(0..3),
            [bytes * 1.1, packets + 2.0, 60.0, 6.0, 27.0, 443.0],
        );
    }
    for h in 0..hosts_n {
        w.hosts
            .extend_from_slice(&[sent[h], received[h], f32::from(u8::from(h < sites))]);
    }
    w
}

pub(crate) fn office(seed: u64, windows: usize) -> Vec<GaeInputs> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..windows)
        .map(|_| {
            let clients = rng.usize(5..15);
            office_window(&mut rng, clients)
        })
        .collect()
}

pub(crate) fn quick_config(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_windows: 8,
        learning_rate: 1e-2,
        ..TrainConfig::default()
    }
}

#[test]
fn threshold_for_fpr_flags_at_most_the_share() {
    let scores: Vec<f32> = (1..=100).map(|i| i as f32).collect();
    let t = threshold_for_fpr(&scores, 0.05);
    let flagged = scores.iter().filter(|&&s| s >= t).count();
    assert_eq!(flagged, 5, "threshold {t}");
    assert!(t > 95.0 && t <= 96.0);
    // Ties at the boundary: never more than the share, even if fewer.
    let tied = [1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0];
    let t = threshold_for_fpr(&tied, 0.2);
    assert_eq!(tied.iter().filter(|&&s| s >= t).count(), 0);
    assert_eq!(threshold_for_fpr(&scores, 0.0), 100f32.next_up());
    assert_eq!(
        threshold_for_fpr(&scores, 1.0),
        1.0,
        "everything may be flagged"
    );
    assert_eq!(threshold_for_fpr(&[], 0.01), f32::INFINITY);
}

#[test]
fn training_reduces_the_loss() {
    let windows = office(1, 48);
    let mut losses = Vec::new();
    let model = FlowGae::train(&windows, &quick_config(12), |p| losses.push(p.loss)).unwrap();
    assert_eq!(losses.len(), 12);
    assert!(losses.iter().all(|l| l.is_finite()));
    assert!(losses[11] < 0.6 * losses[0], "loss should fall: {losses:?}");
    let s = model.summary();
    assert_eq!(s.windows + s.holdout_windows, 48);
    assert!(s.holdout_windows >= 4 && s.threshold.is_finite());
    // Trained twice the same way: the same model.
    let again = FlowGae::train(&windows, &quick_config(12), |_| {}).unwrap();
    assert_eq!(again.params, model.params);
}

#[test]
fn scores_are_consistent_and_outliers_score_high() {
    let windows = office(2, 40);
    let model = FlowGae::train(&windows, &quick_config(15), |_| {}).unwrap();
    let mut window = office(3, 1).remove(0);
    // A SYN-only flood flow to the proxy on port 443: tiny, one packet, flags SYN.
    window
        .flows
        .extend_from_slice(&[40.0, 1.0, 0.0, 6.0, 2.0, 443.0]);
    window.src.push(0);
    window.dst.push(window.host_count() as i64 - 4);
    let scores = model.score(&window).unwrap();
    let (f, t) = (window.flow_count(), TARGET_FEATURES.len());
    assert_eq!((scores.score.len(), scores.expected.len()), (f, f * t));
    assert_eq!(scores.deviation.len(), f * t);
    let odd = scores.score[f - 1];
    let mut benign = scores.score[..f - 1].to_vec();
    benign.sort_by(f32::total_cmp);
    assert!(odd > benign[benign.len() - 1], "{odd} vs {benign:?}");
    // score = mean of squared deviations; a volume deviates by (observed − expected) / σ in
    // standardised log units, σ ≥ MIN_SIGMA; probabilities are in [0, 1].
    let observed = model.spec.featurize(&window.flows);
    let width = model.spec.features();
    for i in 0..f {
        let d = &scores.deviation[i * t..(i + 1) * t];
        let mean_sq = d.iter().map(|v| v * v).sum::<f32>() / t as f32;
        assert!((mean_sq - scores.score[i]).abs() <= 1e-4 * mean_sq.max(1.0));
        let e = &scores.expected[i * t..(i + 1) * t];
        let (mean, std) = (model.scaling.mean[0], model.scaling.std[0]);
        let predicted = (e[0].ln_1p() - mean) / std;
        let residual = (observed[i * width] - mean) / std - predicted;
        if d[0].abs() > 1e-2 {
            assert_eq!(residual.signum(), d[0].signum());
            let sigma = residual / d[0];
            assert!(sigma >= 0.99 * model::MIN_SIGMA, "σ = {sigma}");
        }
        assert!(
            e[features::CONTINUOUS..]
                .iter()
                .all(|p| (0.0..=1.0).contains(p))
        );
        assert!(d[t - 1] >= 0.0, "the service deviates upwards only");
    }
}

#[test]
fn a_batch_scores_as_its_windows_do() {
    let windows = office(4, 24);
    let model = FlowGae::train(&windows, &quick_config(3), |_| {}).unwrap();
    let prepared: Vec<train::Prepared> = windows[..3]
        .iter()
        .map(|w| train::Prepared::new(w, &model.spec, &model.scaling))
        .collect();
    let together = train::score_prepared(&model.params, &prepared).unwrap();
    let apart: Vec<f32> = windows[..3]
        .iter()
        .flat_map(|w| model.score(w).unwrap().score)
        .collect();
    assert_eq!(together.len(), apart.len());
    for (a, b) in together.iter().zip(&apart) {
        assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
    }
}

#[test]
fn bad_windows_are_refused() {
    let mut window = office(5, 1).remove(0);
    window.dst[0] = window.host_count() as i64;
    assert!(matches!(
        validate(&window),
        Err(InputError::HostIndex { flow: 0, .. })
    ));
    window.dst[0] = -1;
    assert!(matches!(
        FlowGae::train(&[window.clone()], &quick_config(1), |_| {}),
        Err(TrainError::Input { index: 0, .. })
    ));
    window.flows.pop();
    assert!(matches!(validate(&window), Err(InputError::Shape(_))));
    assert!(matches!(
        FlowGae::train(&[], &quick_config(1), |_| {}),
        Err(TrainError::NoFlows)
    ));
}

#[test]
fn training_can_be_cancelled() {
    let cancel = Arc::new(AtomicBool::new(true));
    let config = TrainConfig {
        cancel: Some(cancel),
        ..quick_config(5)
    };
    assert!(matches!(
        FlowGae::train(&office(6, 10), &config, |_| {}),
        Err(TrainError::Cancelled)
    ));
}

#[test]
fn the_card_is_what_the_host_reads() {
    let model = FlowGae::train(&office(7, 20), &quick_config(2), |_| {}).unwrap();
    let card = model.card();
    let names = |specs: &[TensorSpec]| specs.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&card.inputs), ["flows", "src", "dst", "hosts"]);
    assert_eq!(
        names(&card.outputs),
        ["score", "threshold", "expected", "deviation"]
    );
    assert_eq!(card.scaling["volume_mean"].len(), features::CONTINUOUS);
    assert_eq!(card.scaling["own_ports"], [443.0, 53.0]);
    let text = card.to_toml();
    let back: ModelCard = toml::from_str(&text).unwrap();
    assert_eq!(back, card);
    assert_eq!(card.threshold, Some(f64::from(model.threshold())));
}

/// Windows with what a test of the export should cover: ordinary windows, a flood and a scan
/// flow, a single flow, a host with no flows.
fn export_windows() -> Vec<GaeInputs> {
    let mut windows = office(9, 4);
    let mut odd = office(10, 1).remove(0);
    let proxy = odd.host_count() as i64 - 4;
    odd.flows
        .extend_from_slice(&[40.0, 1.0, 0.0, 6.0, 2.0, 443.0]);
    odd.flows
        .extend_from_slice(&[44.0, 1.0, 0.0, 6.0, 22.0, 6667.0]);
    odd.src.extend([0, 1]);
    odd.dst.extend([proxy, 2]);
    odd.hosts.extend_from_slice(&[0.0, 0.0, 1.0]);
    windows.push(odd);
    windows.push(GaeInputs {
        flows: vec![1500.0, 3.0, 20.0, 17.0, 0.0, 53.0],
        src: vec![0],
        dst: vec![1],
        hosts: vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0],
    });
    windows
}

#[test]
fn the_onnx_file_is_well_formed() {
    use onnx::proto::{DimensionValue, ModelProto};
    use prost::Message;
    let model = FlowGae::train(&office(8, 24), &quick_config(2), |_| {}).unwrap();
    let bytes = model.to_onnx(1.25);
    let proto = ModelProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(proto.ir_version, Some(onnx::IR_VERSION));
    assert_eq!(proto.opset_import[0].version, Some(18));
    let graph = proto.graph.unwrap();
    let dims = |v: &onnx::proto::ValueInfoProto| -> Vec<String> {
        let shape = v
            .r#type
            .as_ref()
            .unwrap()
            .tensor_type
            .as_ref()
            .unwrap()
            .shape
            .as_ref();
        shape
            .unwrap()
            .dim
            .iter()
            .map(|d| match d.value.as_ref().unwrap() {
                DimensionValue::DimValue(n) => n.to_string(),
                DimensionValue::DimParam(s) => s.clone(),
            })
            .collect()
    };
    let io: Vec<(String, Vec<String>)> = graph
        .input
        .iter()
        .chain(&graph.output)
        .map(|v| (v.name.clone().unwrap(), dims(v)))
        .collect();
    let expect = |name: &str, d: &[&str]| {
        (
            name.to_owned(),
            d.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        io,
        [
            expect("flows", &["flows", "6"]),
            expect("src", &["flows"]),
            expect("dst", &["flows"]),
            expect("hosts", &["hosts", "3"]),
            expect("score", &["flows"]),
            expect("threshold", &["1"]),
            expect("expected", &["flows", "10"]),
            expect("deviation", &["flows", "10"]),
        ]
    );
    // Every value is produced once, before it is used (topological order).
    let mut known: std::collections::HashSet<String> = graph
        .input
        .iter()
        .map(|v| v.name.clone().unwrap())
        .chain(graph.initializer.iter().map(|t| t.name.clone().unwrap()))
        .collect();
    for node in &graph.node {
        for input in &node.input {
            assert!(known.contains(input), "{input} used before it is made");
        }
        for output in &node.output {
            assert!(known.insert(output.clone()), "{output} made twice");
        }
    }
    let scatters: Vec<_> = graph
        .node
        .iter()
        .filter(|n| n.op_type.as_deref() == Some("ScatterND"))
        .collect();
    assert!(!scatters.is_empty());
    for node in scatters {
        assert_eq!(node.attribute[0].s.as_deref(), Some(b"add".as_slice()));
    }
}

/// The ONNX Runtime library, if there is one (`ORT_DYLIB_PATH`, as `.cargo/config.toml` sets
/// it, or `.ort/libonnxruntime.so` at the workspace root).
fn onnx_runtime() -> Option<&'static ort::environment::Environment> {
    static ENVIRONMENT: std::sync::OnceLock<Option<ort::environment::Environment>> =
        std::sync::OnceLock::new();
    ENVIRONMENT
        .get_or_init(|| {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            let path = std::env::var_os("ORT_DYLIB_PATH")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| root.join(".ort/libonnxruntime.so"));
            if !path.exists() {
                return None;
            }
            ort::init_from(&path)
                .ok()?
                .with_name("netassure-gae-tests")
                .build()
                .ok()
        })
        .as_ref()
}

#[test]
fn onnx_runtime_computes_what_score_computes() {
    use ort::value::TensorRef;
    let Some(environment) = onnx_runtime() else {
        eprintln!("skipped: no ONNX Runtime library (cargo xtask setup-ort)");
        return;
    };
    let model = FlowGae::train(&office(8, 40), &quick_config(6), |_| {}).unwrap();
    let bytes = model.to_onnx(1.25);
    let mut session = ort::session::Session::builder(environment)
        .unwrap()
        .with_intra_threads(1)
        .unwrap()
        .commit_from_memory(&bytes)
        .unwrap();
    let (mut worst_score, mut worst_expected, mut worst_deviation) = (0f32, 0f32, 0f32);
    for w in export_windows() {
        let (f, n) = (w.flow_count() as i64, w.host_count() as i64);
        let inputs = ort::inputs![
            "flows" => TensorRef::from_array_view(([f, 6], w.flows.as_slice())).unwrap(),
            "src" => TensorRef::from_array_view(([f], w.src.as_slice())).unwrap(),
            "dst" => TensorRef::from_array_view(([f], w.dst.as_slice())).unwrap(),
            "hosts" => TensorRef::from_array_view(([n, 3], w.hosts.as_slice())).unwrap(),
        ];
        let outputs = session.run(inputs).unwrap();
        let get = |name: &str| {
            outputs[name]
                .try_extract_tensor::<f32>()
                .unwrap()
                .1
                .to_vec()
        };
        let rust = model.score(&w).unwrap();
        assert_eq!(get("threshold"), [1.25]);
        let relative = |a: &[f32], b: &[f32]| {
            assert_eq!(a.len(), b.len());
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
                .fold(0f32, f32::max)
        };
        worst_score = worst_score.max(relative(&get("score"), &rust.score));
        worst_expected = worst_expected.max(relative(&get("expected"), &rust.expected));
        // A deviation is a square root: near 0 it magnifies float rounding, so compare it
        // where it is at least 0.01.
        let deviation = get("deviation");
        for (x, y) in deviation.iter().zip(&rust.deviation) {
            if y.abs() >= 0.01 {
                worst_deviation = worst_deviation.max((x - y).abs() / y.abs().max(1.0));
            }
        }
    }
    eprintln!(
        "ONNX Runtime vs Rust: score {worst_score:.1e}, expected {worst_expected:.1e}, deviation {worst_deviation:.1e}"
    );
    assert!(worst_score <= 1e-5, "score differs by {worst_score}");
    assert!(
        worst_expected <= 1e-5,
        "expected differs by {worst_expected}"
    );
    assert!(
        worst_deviation <= 1e-5,
        "deviation differs by {worst_deviation}"
    );
}
