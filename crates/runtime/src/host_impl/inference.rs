//! `inference`: run the host's ONNX models by name (`crate::inference`), converting the WIT
//! tensors to the service's and back.

use crate::PluginState;
use crate::bindings::inference::{Host, InferenceError, Tensor, TensorData as WitData};
use crate::health::HealthState;
use netassure_inference::{InferenceError as ServiceError, NamedTensor, TensorData};

fn to_service(tensor: Tensor) -> NamedTensor {
    NamedTensor {
        name: tensor.name,
        shape: tensor
            .shape
            .iter()
            .map(|&d| d.min(i64::MAX as u64) as i64)
            .collect(),
        data: match tensor.data {
            WitData::Float32(v) => TensorData::F32(v),
            WitData::Float64(v) => TensorData::F64(v),
            WitData::Int32(v) => TensorData::I32(v),
            WitData::Int64(v) => TensorData::I64(v),
        },
    }
}

fn to_wit(tensor: NamedTensor) -> Tensor {
    Tensor {
        name: tensor.name,
        shape: tensor.shape.iter().map(|&d| d.max(0) as u64).collect(),
        data: match tensor.data {
            TensorData::F32(v) => WitData::Float32(v),
            TensorData::F64(v) => WitData::Float64(v),
            TensorData::I32(v) => WitData::Int32(v),
            TensorData::I64(v) => WitData::Int64(v),
        },
    }
}

impl Host for PluginState {
    fn run(
        &mut self,
        model: String,
        inputs: Vec<Tensor>,
    ) -> wasmtime::Result<Result<Vec<Tensor>, InferenceError>> {
        let Some(service) = &self.services.inference else {
            self.services.health.set(
                &self.plugin,
                HealthState::Degraded,
                Some("the host has no inference service".into()),
            );
            return Ok(Err(InferenceError::NotAvailable));
        };
        let inputs: Vec<NamedTensor> = inputs.into_iter().map(to_service).collect();
        let result = service.serve(&model, &inputs);
        self.record_health(&model, &result);
        Ok(match result {
            Ok(outputs) => Ok(outputs.into_iter().map(to_wit).collect()),
            Err(ServiceError::NotAvailable(_) | ServiceError::Learning(_)) => {
                Err(InferenceError::NotAvailable)
            }
            Err(ServiceError::UnknownModel(name)) => Err(InferenceError::UnknownModel(name)),
            Err(ServiceError::InvalidInput(reason)) => Err(InferenceError::InvalidInput(reason)),
            Err(ServiceError::Other(reason)) => Err(InferenceError::Other(reason)),
        })
    }
}

impl PluginState {
    /// What a model call says about the plugin's health: ok, learning, or degraded (no
    /// runtime, no model) — the plugin itself only learns that inference is not available.
    fn record_health(&self, model: &str, result: &Result<Vec<NamedTensor>, ServiceError>) {
        let (state, reason) = match result {
            Ok(_) | Err(ServiceError::InvalidInput(_) | ServiceError::Other(_)) => {
                (HealthState::Ok, None)
            }
            Err(ServiceError::Learning(status)) => (
                HealthState::Learning,
                Some(format!(
                    "model `{model}` is learning this network: {status}"
                )),
            ),
            Err(err @ (ServiceError::NotAvailable(_) | ServiceError::UnknownModel(_))) => {
                (HealthState::Degraded, Some(err.to_string()))
            }
        };
        self.services.health.set(&self.plugin, state, reason);
    }
}
