//! JSON lines of flows: one object per line with the fields of [`JsonFlow`]; blank lines and
//! `#` comments are skipped, a line that is not a flow is counted and skipped.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::columns::{FlowRow, mapped_v4};
use crate::nids::Label;

/// One flow as a JSON object: a line of a JSON-lines flow file, and a flow of a `flows` event
/// in replay files. Addresses are required; every other field defaults to 0 (or benign).
/// Fields we do not know are kept in `unknown`: the flow-file reader refuses such a line (a
/// misspelt field is an error, not a silent 0); replay counts them as unknown fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonFlow {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Source port.
    #[serde(default)]
    pub src_port: u16,
    /// Destination port (ICMP: type × 256 + code).
    #[serde(default)]
    pub dst_port: u16,
    /// IP protocol.
    #[serde(default)]
    pub protocol: u8,
    /// Cumulative TCP flags.
    #[serde(default)]
    pub tcp_flags: u8,
    /// Bytes.
    #[serde(default)]
    pub bytes: u64,
    /// Packets.
    #[serde(default)]
    pub packets: u64,
    /// First packet, ms since the epoch.
    #[serde(default)]
    pub start_ms: u64,
    /// Last packet, ms since the epoch.
    #[serde(default)]
    pub end_ms: u64,
    /// Input interface.
    #[serde(default)]
    pub input_if: u32,
    /// Output interface.
    #[serde(default)]
    pub output_if: u32,
    /// Exporter name (a flow file's flows are all exported by the file).
    #[serde(default)]
    pub exporter: Option<String>,
    /// True for attack traffic (labelled data).
    #[serde(default)]
    pub label: bool,
    /// The attack class (labelled data); `Benign` when absent.
    #[serde(default)]
    pub attack: Option<String>,
    /// Fields we do not know, by name.
    #[serde(flatten, skip_serializing)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

fn address(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(v4) => mapped_v4(v4.octets()),
        IpAddr::V6(v6) => v6.octets(),
    }
}

impl JsonFlow {
    /// The flow as a row and its label.
    pub fn into_row(self) -> (FlowRow, Label) {
        let row = self.row();
        let class = self
            .attack
            .unwrap_or_else(|| if self.label { "Attack" } else { "Benign" }.to_owned());
        (
            row,
            Label {
                attack: self.label,
                class,
            },
        )
    }

    /// The flow as a row.
    pub fn row(&self) -> FlowRow {
        FlowRow {
            src_addr: address(self.src),
            dst_addr: address(self.dst),
            src_port: self.src_port,
            dst_port: self.dst_port,
            protocol: self.protocol,
            tcp_flags: self.tcp_flags,
            bytes: self.bytes,
            packets: self.packets,
            start_ms: self.start_ms,
            end_ms: self.end_ms.max(self.start_ms),
            input_if: self.input_if,
            output_if: self.output_if,
            icmp_type_code: 0,
        }
    }
}

/// Reads flows line by line.
pub struct JsonLinesReader<R> {
    input: R,
    line: String,
    number: u64,
    /// Lines that were not a flow.
    pub malformed: u64,
    /// Why the first of them was refused, with its line number.
    pub first_error: Option<String>,
}

impl<R: BufRead> JsonLinesReader<R> {
    /// A reader of `input`.
    pub fn new(input: R) -> Self {
        JsonLinesReader {
            input,
            line: String::new(),
            number: 0,
            malformed: 0,
            first_error: None,
        }
    }

    /// The next flow; `Ok(None)` at the end of the input.
    pub fn next_flow(&mut self) -> std::io::Result<Option<(FlowRow, Label)>> {
        loop {
            self.line.clear();
            if self.input.read_line(&mut self.line)? == 0 {
                return Ok(None);
            }
            self.number += 1;
            let text = self.line.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let refused = match serde_json::from_str::<JsonFlow>(text) {
                Ok(flow) if flow.unknown.is_empty() => return Ok(Some(flow.into_row())),
                Ok(flow) => {
                    let names: Vec<&str> = flow.unknown.keys().map(String::as_str).collect();
                    format!("unknown field `{}`", names.join("`, `"))
                }
                Err(err) => err.to_string(),
            };
            self.malformed += 1;
            if self.first_error.is_none() {
                self.first_error = Some(format!("line {}: {refused}", self.number));
            }
        }
    }
}
