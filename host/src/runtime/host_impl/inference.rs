//! `inference`: not available until the ONNX inference service lands; every call says so.

use crate::runtime::PluginState;
use crate::runtime::bindings::inference::{Host, InferenceError, Tensor};

impl Host for PluginState {
    fn run(
        &mut self,
        _model: String,
        _inputs: Vec<Tensor>,
    ) -> wasmtime::Result<Result<Vec<Tensor>, InferenceError>> {
        Ok(Err(InferenceError::NotAvailable))
    }
}
