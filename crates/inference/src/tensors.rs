//! Named tensors as the service takes and gives them (the WIT `tensor`, without WIT types), and
//! their conversion to and from ONNX Runtime values. Inputs are passed as views: no copy.

use std::borrow::Cow;

use ort::session::{SessionInputValue, SessionOutputs};
use ort::value::{TensorElementType, TensorRef, ValueType};

use super::InferenceError;

/// Tensor elements, row-major.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 64-bit floats.
    F64(Vec<f64>),
    /// 32-bit integers.
    I32(Vec<i32>),
    /// 64-bit integers.
    I64(Vec<i64>),
}

impl TensorData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            TensorData::F32(v) => v.len(),
            TensorData::F64(v) => v.len(),
            TensorData::I32(v) => v.len(),
            TensorData::I64(v) => v.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A named tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    /// Input or output name in the model.
    pub name: String,
    /// Dimensions.
    pub shape: Vec<i64>,
    /// Elements.
    pub data: TensorData,
}

impl NamedTensor {
    /// A float tensor.
    pub fn f32(name: &str, shape: Vec<i64>, data: Vec<f32>) -> Self {
        NamedTensor {
            name: name.into(),
            shape,
            data: TensorData::F32(data),
        }
    }

    /// A 64-bit integer tensor.
    pub fn i64(name: &str, shape: Vec<i64>, data: Vec<i64>) -> Self {
        NamedTensor {
            name: name.into(),
            shape,
            data: TensorData::I64(data),
        }
    }

    /// The float elements, if that is the type.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            TensorData::F32(v) => Some(v),
            _ => None,
        }
    }

    fn view(&self) -> Result<SessionInputValue<'_>, InferenceError> {
        if self.shape.iter().any(|&d| d < 0) {
            return Err(InferenceError::InvalidInput(format!(
                "`{}` has a negative dimension",
                self.name
            )));
        }
        let elements: i64 = self.shape.iter().product();
        if elements as usize != self.data.len() {
            return Err(InferenceError::InvalidInput(format!(
                "`{}` has shape {:?} ({elements} elements) but {} elements",
                self.name,
                self.shape,
                self.data.len()
            )));
        }
        let shape = self.shape.clone();
        let value: Result<SessionInputValue<'_>, ort::Error> = match &self.data {
            TensorData::F32(v) => TensorRef::from_array_view((shape, v.as_slice())).map(Into::into),
            TensorData::F64(v) => TensorRef::from_array_view((shape, v.as_slice())).map(Into::into),
            TensorData::I32(v) => TensorRef::from_array_view((shape, v.as_slice())).map(Into::into),
            TensorData::I64(v) => TensorRef::from_array_view((shape, v.as_slice())).map(Into::into),
        };
        value.map_err(|err| InferenceError::InvalidInput(format!("`{}`: {err}", self.name)))
    }
}

impl TensorData {
    /// The ONNX element type.
    pub(crate) fn element_type(&self) -> TensorElementType {
        match self {
            TensorData::F32(_) => TensorElementType::Float32,
            TensorData::F64(_) => TensorElementType::Float64,
            TensorData::I32(_) => TensorElementType::Int32,
            TensorData::I64(_) => TensorElementType::Int64,
        }
    }
}

/// Every input the model declares is given once with its element type, and nothing else:
/// ONNX Runtime itself reports a missing input only as a failure deep in the graph.
pub(crate) fn check_inputs(
    declared: &[ort::value::Outlet],
    inputs: &[NamedTensor],
) -> Result<(), InferenceError> {
    for outlet in declared {
        let Some(tensor) = inputs.iter().find(|t| t.name == outlet.name()) else {
            return Err(InferenceError::InvalidInput(format!(
                "missing input `{}`",
                outlet.name()
            )));
        };
        if let ValueType::Tensor { ty, .. } = outlet.dtype()
            && *ty != tensor.data.element_type()
        {
            return Err(InferenceError::InvalidInput(format!(
                "`{}` must be {ty:?}, not {:?}",
                tensor.name,
                tensor.data.element_type()
            )));
        }
    }
    if let Some(extra) = inputs
        .iter()
        .find(|t| !declared.iter().any(|o| o.name() == t.name))
    {
        let known: Vec<&str> = declared.iter().map(|o| o.name()).collect();
        return Err(InferenceError::InvalidInput(format!(
            "the model has no input `{}` (inputs: {})",
            extra.name,
            known.join(", ")
        )));
    }
    Ok(())
}

/// The inputs as ONNX Runtime session inputs (views of the tensors' data).
pub(crate) fn session_inputs(
    inputs: &[NamedTensor],
) -> Result<Vec<(Cow<'_, str>, SessionInputValue<'_>)>, InferenceError> {
    inputs
        .iter()
        .map(|tensor| Ok((Cow::from(tensor.name.as_str()), tensor.view()?)))
        .collect()
}

/// Every output, copied out of ONNX Runtime.
pub fn outputs(outputs: &SessionOutputs<'_>) -> Result<Vec<NamedTensor>, InferenceError> {
    let other = |err: ort::Error| InferenceError::Other(err.to_string());
    outputs
        .iter()
        .map(|(name, value)| {
            let ValueType::Tensor { ty, .. } = value.dtype() else {
                return Err(InferenceError::Other(format!(
                    "output `{name}` is not a tensor"
                )));
            };
            let (shape, data) = match ty {
                TensorElementType::Float32 => {
                    let (shape, data) = value.try_extract_tensor::<f32>().map_err(other)?;
                    (shape.to_vec(), TensorData::F32(data.to_vec()))
                }
                TensorElementType::Float64 => {
                    let (shape, data) = value.try_extract_tensor::<f64>().map_err(other)?;
                    (shape.to_vec(), TensorData::F64(data.to_vec()))
                }
                TensorElementType::Int32 => {
                    let (shape, data) = value.try_extract_tensor::<i32>().map_err(other)?;
                    (shape.to_vec(), TensorData::I32(data.to_vec()))
                }
                TensorElementType::Int64 => {
                    let (shape, data) = value.try_extract_tensor::<i64>().map_err(other)?;
                    (shape.to_vec(), TensorData::I64(data.to_vec()))
                }
                other => {
                    return Err(InferenceError::Other(format!(
                        "output `{name}` has element type {other:?}, which plugins cannot receive"
                    )));
                }
            };
            Ok(NamedTensor {
                name: name.to_owned(),
                shape,
                data,
            })
        })
        .collect()
}
