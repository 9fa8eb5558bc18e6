//! Lookup tables that let the ONNX graph find a flow's context columns and service class by
//! indexing instead of comparing its port with every listed port: a flow's context depends
//! only on its protocol's class (TCP, UDP, other) and its port, so the exporter computes the
//! context of every (class, port) pair once, with [`FeatureSpec::featurize_flow`] itself, and
//! the graph gathers it. The tables are therefore equal to the Rust features by construction
//! for whole protocol and port numbers (a flow record has no other kind); a protocol outside
//! 0..=255 or a port outside 0..=65535 is clamped into range first.

use std::collections::HashMap;

use crate::features::{FeatureSpec, GROUPS, OBSERVED, PROTOCOLS};

/// Port numbers: the table has a block of this many entries per protocol class.
pub const PORTS: usize = 1 << 16;
/// Protocol numbers.
pub const PROTOCOL_NUMBERS: usize = 1 << 8;

/// The tables the graph indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextTables {
    /// For each protocol number, where its class's block starts in `row_of` (class × [`PORTS`]).
    pub protocol_base: Vec<i64>,
    /// For each protocol class and port (`class × PORTS + port`), the index of its context row.
    pub row_of: Vec<u8>,
    /// The distinct context rows, `[rows, context]` row-major.
    pub rows: Vec<f32>,
    /// The service class (protocol × group) of each row, `[rows, 1]`.
    pub class: Vec<i64>,
}

impl ContextTables {
    /// The tables of `spec`'s features.
    pub fn new(spec: &FeatureSpec) -> ContextTables {
        let mut out = vec![0.0; spec.features()];
        let mut featurize = |protocol: usize, port: usize| -> Vec<f32> {
            let raw = [0.0, 0.0, 0.0, protocol as f32, 0.0, port as f32];
            spec.featurize_flow(&raw, &mut out);
            out[OBSERVED..].to_vec()
        };
        // One protocol number standing for each class, found by asking the features.
        let mut representative = [None; PROTOCOLS];
        let mut class_of_protocol = Vec::with_capacity(PROTOCOL_NUMBERS);
        for protocol in 0..PROTOCOL_NUMBERS {
            let class = one_hot(&featurize(protocol, 0)[..PROTOCOLS]);
            representative[class].get_or_insert(protocol);
            class_of_protocol.push(class);
        }
        let mut tables = ContextTables {
            protocol_base: class_of_protocol
                .iter()
                .map(|&class| (class * PORTS) as i64)
                .collect(),
            row_of: Vec::with_capacity(PROTOCOLS * PORTS),
            rows: Vec::new(),
            class: Vec::new(),
        };
        let mut ids: HashMap<Vec<u32>, u8> = HashMap::new();
        for protocol in representative {
            // A class no protocol number falls in keeps a block nobody indexes.
            let protocol = protocol.unwrap_or(0);
            for port in 0..PORTS {
                let context = featurize(protocol, port);
                let key = context.iter().map(|v| v.to_bits()).collect();
                let id = *ids.entry(key).or_insert_with(|| tables.push_row(&context));
                tables.row_of.push(id);
            }
        }
        tables
    }

    fn push_row(&mut self, context: &[f32]) -> u8 {
        let protocol = one_hot(&context[..PROTOCOLS]);
        let group = one_hot(&context[PROTOCOLS..PROTOCOLS + GROUPS]);
        self.rows.extend_from_slice(context);
        self.class.push((protocol * GROUPS + group) as i64);
        u8::try_from(self.class.len() - 1).expect("fewer than 256 distinct contexts")
    }

    /// Distinct context rows.
    pub fn row_count(&self) -> usize {
        self.class.len()
    }
}

/// The position of the 1 of a one-hot slice.
fn one_hot(values: &[f32]) -> usize {
    values
        .iter()
        .position(|&v| v == 1.0)
        .expect("a one-hot feature")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{MAX_PORTS, SERVICES};

    #[test]
    fn every_protocol_and_port_finds_the_context_the_features_compute() {
        // Own ports inside and outside the service groups, as many as a model may have.
        let mut ports = vec![443, 22];
        ports.extend((0..MAX_PORTS as u16 - 2).map(|i| 40_000 + i));
        let spec = FeatureSpec { ports };
        let tables = ContextTables::new(&spec);
        // Per protocol class: nine groups (ssh's only port has its own column), 443 and 22,
        // the fourteen other own ports, other low and other high ports.
        assert_eq!(tables.row_count(), PROTOCOLS * (9 + 2 + 14 + 2));
        // At most a row per listed port, own port and the two others: always fits a u8.
        let listed: usize = SERVICES.iter().map(|(_, l)| l.len()).sum();
        assert!(PROTOCOLS * (listed + MAX_PORTS + 2) < 256);
        let width = spec.context();
        let mut out = vec![0.0; spec.features()];
        for protocol in [0usize, 1, 6, 17, 47, 255] {
            for port in (0..PORTS).step_by(7).chain([22, 443, 40_003, 65_535]) {
                let raw = [0.0, 0.0, 0.0, protocol as f32, 0.0, port as f32];
                spec.featurize_flow(&raw, &mut out);
                let flat = tables.protocol_base[protocol] as usize + port;
                let row = usize::from(tables.row_of[flat]);
                assert_eq!(
                    &tables.rows[row * width..(row + 1) * width],
                    &out[OBSERVED..],
                    "protocol {protocol} port {port}"
                );
            }
        }
        let tcp_ssh = tables.row_of[tables.protocol_base[6] as usize + 22];
        let ssh = SERVICES.iter().position(|(n, _)| *n == "ssh").unwrap();
        assert_eq!(tables.class[usize::from(tcp_ssh)], ssh as i64);
    }
}
