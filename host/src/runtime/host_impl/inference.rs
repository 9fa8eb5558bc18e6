//! `inference`: run the host's ONNX models by name (`crate::inference`), converting the WIT
//! tensors to the service's and back.

use crate::inference::{InferenceError as ServiceError, NamedTensor, TensorData};
use crate::runtime::PluginState;
use crate::runtime::bindings::inference::{Host, InferenceError, Tensor, TensorData as WitData};

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
            return Ok(Err(InferenceError::NotAvailable));
        };
        let inputs: Vec<NamedTensor> = inputs.into_iter().map(to_service).collect();
        Ok(match service.run(&model, &inputs) {
            Ok(outputs) => Ok(outputs.into_iter().map(to_wit).collect()),
            Err(ServiceError::NotAvailable(_)) => Err(InferenceError::NotAvailable),
            Err(ServiceError::UnknownModel(name)) => Err(InferenceError::UnknownModel(name)),
            Err(ServiceError::InvalidInput(reason)) => Err(InferenceError::InvalidInput(reason)),
            Err(ServiceError::Other(reason)) => Err(InferenceError::Other(reason)),
        })
    }
}
