//! The committed `flow-gae` model through the service: its reference outputs (computed by
//! onnxruntime in Python at export) bit for bit within 1e-5, and clear errors for bad calls.

use std::path::PathBuf;

use super::*;

fn service() -> Arc<InferenceService> {
    let models_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
    InferenceService::start(
        InferenceConfig {
            models_dir,
            sessions: 1,
            ..InferenceConfig::default()
        },
        None,
    )
}

#[derive(serde::Deserialize)]
struct Reference {
    flows: Vec<Vec<f32>>,
    src: Vec<i64>,
    dst: Vec<i64>,
    hosts: Vec<Vec<f32>>,
    score: Vec<f32>,
}

fn reference() -> (Vec<NamedTensor>, Vec<f32>) {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/flow-gae.reference.json");
    let reference: Reference =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (f, n) = (reference.flows.len() as i64, reference.hosts.len() as i64);
    let inputs = vec![
        NamedTensor::f32("flows", vec![f, 6], reference.flows.concat()),
        NamedTensor::i64("src", vec![f], reference.src),
        NamedTensor::i64("dst", vec![f], reference.dst),
        NamedTensor::f32("hosts", vec![n, 3], reference.hosts.concat()),
    ];
    (inputs, reference.score)
}

#[test]
fn the_committed_model_reproduces_its_reference_outputs() {
    let service = service();
    let status = service.status();
    assert!(status.available, "{:?}", status.note);
    assert_eq!(status.device.as_deref(), Some("cpu"));
    let models = service.models();
    assert_eq!(models.len(), 1, "{:?}", service.model_errors());
    assert_eq!(models[0].name, "flow-gae");
    assert!(models[0].card.threshold.is_some());
    let (inputs, expected) = reference();
    let outputs = service.run("flow-gae", &inputs).unwrap();
    let scores = outputs
        .iter()
        .find(|t| t.name == "score")
        .and_then(NamedTensor::as_f32)
        .unwrap();
    assert_eq!(scores.len(), expected.len());
    let worst = scores
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
        .fold(0.0f32, f32::max);
    assert!(worst <= 1e-5, "largest relative difference {worst}");
    let threshold = outputs
        .iter()
        .find(|t| t.name == "threshold")
        .and_then(NamedTensor::as_f32)
        .unwrap();
    assert!((f64::from(threshold[0]) - models[0].card.threshold.unwrap()).abs() < 1e-4);
}

#[test]
fn bad_calls_get_clear_errors() {
    let service = service();
    let (mut inputs, _) = reference();
    assert_eq!(
        service.run("nope", &inputs),
        Err(InferenceError::UnknownModel("nope".into()))
    );
    inputs[0].shape = vec![3, 6];
    let error = service.run("flow-gae", &inputs).unwrap_err();
    assert!(
        matches!(&error, InferenceError::InvalidInput(text) if text.contains("`flows`")),
        "{error}"
    );
    let (mut inputs, _) = reference();
    inputs.pop();
    let error = service.run("flow-gae", &inputs).unwrap_err();
    assert!(
        matches!(error, InferenceError::InvalidInput(_)),
        "a missing `hosts`: {error}"
    );
    let (mut inputs, _) = reference();
    inputs[1].data = TensorData::F32(vec![0.0; inputs[1].data.len()]);
    let error = service.run("flow-gae", &inputs).unwrap_err();
    assert!(
        matches!(error, InferenceError::InvalidInput(_)),
        "a float `src`: {error}"
    );
}

#[test]
fn a_missing_model_directory_is_an_empty_registry() {
    let service = InferenceService::start(
        InferenceConfig {
            models_dir: PathBuf::from("/nonexistent"),
            ..InferenceConfig::default()
        },
        None,
    );
    assert!(service.models().is_empty());
}

#[test]
fn auto_falls_back_to_cpu_and_says_why_when_cuda_does_not_register() {
    let service = InferenceService::start(
        InferenceConfig {
            models_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"),
            device: DevicePreference::Auto,
            sessions: 1,
            ..InferenceConfig::default()
        },
        None,
    );
    let status = service.status();
    assert!(status.available);
    if status.device.as_deref() == Some("cpu") {
        let note = status.note.unwrap_or_default();
        assert!(note.contains("CUDA"), "{note}");
        // And the model still runs, on CPU.
        let (inputs, expected) = reference();
        let outputs = service.run("flow-gae", &inputs).unwrap();
        assert_eq!(outputs[0].as_f32().unwrap().len(), expected.len());
    }
}
