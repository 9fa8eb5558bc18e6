//! JSON lines of flows: one object per line with the fields of [`JsonFlow`]; blank lines and
//! `#` comments are skipped, a line that is not a flow is counted and skipped.

use std::io::BufRead;
use std::net::IpAddr;

use serde::Deserialize;

use crate::columns::{FlowRow, mapped_v4};
use crate::nids::Label;

/// One flow as a JSON object. Addresses are required; every other field defaults to 0 (or
/// benign). Unknown fields are refused, so a misspelt field is an error, not a silent 0.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Exporter name (ignored: a file's flows are exported by the file).
    #[serde(default)]
    pub exporter: Option<String>,
    /// True for attack traffic (labelled data).
    #[serde(default)]
    pub label: bool,
    /// The attack class (labelled data); `Benign` when absent.
    #[serde(default)]
    pub attack: Option<String>,
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
        let row = FlowRow {
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
        };
        let class = self.attack.unwrap_or_else(|| {
            if self.label {
                "Attack".into()
            } else {
                "Benign".into()
            }
        });
        (
            row,
            Label {
                attack: self.label,
                class,
            },
        )
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
            match serde_json::from_str::<JsonFlow>(text) {
                Ok(flow) => return Ok(Some(flow.into_row())),
                Err(err) => {
                    self.malformed += 1;
                    if self.first_error.is_none() {
                        self.first_error = Some(format!("line {}: {err}", self.number));
                    }
                }
            }
        }
    }
}
