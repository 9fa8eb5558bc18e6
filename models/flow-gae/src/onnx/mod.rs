//! Writing ONNX models without Python or protoc: [`proto`] declares the messages, [`Graph`]
//! builds a graph one operator at a time (names are generated, constants become initializers),
//! and [`Graph::into_model`] wraps it as an opset-18 model file.

pub mod proto;

use proto::{
    AttributeProto, AttributeType, Dimension, DimensionValue, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, StringStringEntryProto, TensorProto, TensorShapeProto, TypeProto,
    TypeProtoTensor, ValueInfoProto,
};

/// The opset of the default domain the exported models use.
pub const OPSET: i64 = 18;
/// ONNX IR version 8 (the one that goes with opsets 17 and 18).
pub const IR_VERSION: i64 = 8;

/// A dimension of a graph input or output: a size or a symbolic name.
#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    /// A fixed size.
    Fixed(i64),
    /// A size that varies, by name (`flows`, `hosts`).
    Named(&'static str),
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    /// `i`.
    Int(i64),
    /// `s`.
    Str(&'static str),
    /// `t`: a one-element float tensor (for `ConstantOfShape`).
    FloatTensor(f32),
}

/// A graph under construction.
#[derive(Debug, Default)]
pub struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
    next: usize,
}

fn value_info(name: &str, elem_type: i32, shape: &[Dim], doc: &str) -> ValueInfoProto {
    let dim = shape
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Dim::Fixed(size) => DimensionValue::DimValue(*size),
                Dim::Named(name) => DimensionValue::DimParam((*name).to_owned()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: Some(name.to_owned()),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: Some(elem_type),
                shape: Some(TensorShapeProto { dim }),
            }),
        }),
        doc_string: (!doc.is_empty()).then(|| doc.to_owned()),
    }
}

fn attribute(name: &str, value: Attr) -> AttributeProto {
    let mut attr = AttributeProto {
        name: Some(name.to_owned()),
        ..AttributeProto::default()
    };
    let kind = match value {
        Attr::Int(i) => {
            attr.i = Some(i);
            AttributeType::Int
        }
        Attr::Str(s) => {
            attr.s = Some(s.as_bytes().to_vec());
            AttributeType::String
        }
        Attr::FloatTensor(f) => {
            attr.t = Some(tensor(None, &[1], proto::FLOAT, f.to_le_bytes().to_vec()));
            AttributeType::Tensor
        }
    };
    attr.r#type = Some(kind as i32);
    attr
}

fn tensor(name: Option<String>, dims: &[i64], data_type: i32, raw: Vec<u8>) -> TensorProto {
    TensorProto {
        dims: dims.to_vec(),
        data_type: Some(data_type),
        name,
        raw_data: Some(raw),
    }
}

impl Graph {
    /// A float32 or int64 graph input.
    pub fn input(&mut self, name: &str, elem_type: i32, shape: &[Dim], doc: &str) -> String {
        self.inputs.push(value_info(name, elem_type, shape, doc));
        name.to_owned()
    }

    /// Name the value `value` as the graph output `name` (through an `Identity` node).
    pub fn output(&mut self, value: &str, name: &str, elem_type: i32, shape: &[Dim], doc: &str) {
        self.node_named("Identity", &[value], Vec::new(), name);
        self.outputs.push(value_info(name, elem_type, shape, doc));
    }

    fn fresh(&mut self, hint: &str) -> String {
        self.next += 1;
        format!("{hint}_{}", self.next)
    }

    /// A float32 constant of shape `dims`.
    pub fn f32s(&mut self, hint: &str, dims: &[i64], data: &[f32]) -> String {
        debug_assert_eq!(dims.iter().product::<i64>() as usize, data.len());
        let name = self.fresh(hint);
        let raw = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.initializers
            .push(tensor(Some(name.clone()), dims, proto::FLOAT, raw));
        name
    }

    /// A uint8 constant of shape `dims`.
    pub fn u8s(&mut self, hint: &str, dims: &[i64], data: &[u8]) -> String {
        debug_assert_eq!(dims.iter().product::<i64>() as usize, data.len());
        let name = self.fresh(hint);
        self.initializers.push(tensor(
            Some(name.clone()),
            dims,
            proto::UINT8,
            data.to_vec(),
        ));
        name
    }

    /// An int64 constant of shape `dims`.
    pub fn i64s(&mut self, hint: &str, dims: &[i64], data: &[i64]) -> String {
        debug_assert_eq!(dims.iter().product::<i64>() as usize, data.len());
        let name = self.fresh(hint);
        let raw = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.initializers
            .push(tensor(Some(name.clone()), dims, proto::INT64, raw));
        name
    }

    fn node_named(&mut self, op: &str, inputs: &[&str], attrs: Vec<(&str, Attr)>, output: &str) {
        self.node(op, inputs, attrs, vec![output.to_owned()]);
    }

    fn node(&mut self, op: &str, inputs: &[&str], attrs: Vec<(&str, Attr)>, outputs: Vec<String>) {
        let id = self.nodes.len();
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| (*s).to_owned()).collect(),
            output: outputs,
            name: Some(format!("{op}_{id}")),
            op_type: Some(op.to_owned()),
            attribute: attrs
                .into_iter()
                .map(|(name, value)| attribute(name, value))
                .collect(),
            domain: None,
        });
    }

    /// Apply `op` to `inputs` with `attrs`; returns the name of its one output.
    pub fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<(&str, Attr)>) -> String {
        let output = self.fresh(&op.to_lowercase());
        self.node_named(op, inputs, attrs, &output);
        output
    }

    /// Apply `op` with `n` outputs; returns their names.
    pub fn op_n(
        &mut self,
        op: &str,
        inputs: &[&str],
        attrs: Vec<(&str, Attr)>,
        n: usize,
    ) -> Vec<String> {
        let outputs: Vec<String> = (0..n).map(|_| self.fresh(&op.to_lowercase())).collect();
        self.node(op, inputs, attrs, outputs.clone());
        outputs
    }

    /// The model file: this graph, opset [`OPSET`], with `metadata`.
    pub fn into_model(self, name: &str, doc: &str, metadata: &[(&str, String)]) -> ModelProto {
        ModelProto {
            ir_version: Some(IR_VERSION),
            opset_import: vec![OperatorSetIdProto {
                domain: Some(String::new()),
                version: Some(OPSET),
            }],
            producer_name: Some(env!("CARGO_PKG_NAME").to_owned()),
            producer_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            domain: None,
            model_version: Some(1),
            doc_string: Some(doc.to_owned()),
            graph: Some(GraphProto {
                node: self.nodes,
                name: Some(name.to_owned()),
                initializer: self.initializers,
                doc_string: None,
                input: self.inputs,
                output: self.outputs,
            }),
            metadata_props: metadata
                .iter()
                .map(|(key, value)| StringStringEntryProto {
                    key: Some((*key).to_owned()),
                    value: Some(value.clone()),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn encodes_the_official_field_numbers() {
        // A dimension named `flows`: TensorShapeProto.dim (1) → Dimension.dim_param (2).
        let shape = TensorShapeProto {
            dim: vec![Dimension {
                value: Some(DimensionValue::DimParam("flows".into())),
            }],
        };
        assert_eq!(
            shape.encode_to_vec(),
            [0x0a, 7, 0x12, 5, b'f', b'l', b'o', b'w', b's']
        );
        // An INT attribute `axis = 1`: name (1), i (3), type (20, varint 2).
        let attr = attribute("axis", Attr::Int(1));
        assert_eq!(
            attr.encode_to_vec(),
            [0x0a, 4, b'a', b'x', b'i', b's', 0x18, 1, 0xa0, 0x01, 2]
        );
    }
}
