//! NetFlow CSV in the schema of the UQ NIDS datasets (NF-UNSW-NB15, NF-CICIDS, NF-ToN-IoT,
//! NF-BoT-IoT, v1 and v2): one bidirectional flow per row, read into [`FlowColumns`] with its
//! label beside it.
//!
//! Required columns: `IPV4_SRC_ADDR, L4_SRC_PORT, IPV4_DST_ADDR, L4_DST_PORT, PROTOCOL,
//! IN_BYTES, OUT_BYTES, IN_PKTS, OUT_PKTS`; used when present: `TCP_FLAGS`,
//! `FLOW_DURATION_MILLISECONDS`, `FLOW_START_MILLISECONDS`, `FLOW_END_MILLISECONDS`,
//! `INPUT_SNMP`, `OUTPUT_SNMP`, `Label`, `Attack`; every other column (`L7_PROTO` and the
//! v2 extended columns) is accepted and skipped. A row's bytes and packets are both
//! directions (`IN_*` + `OUT_*`). Rows without times get `start_ms` = `FLOW_START_MILLISECONDS`,
//! else the row number (the datasets' v1 files carry no times, so windows go by count).

use std::io::Read;
use std::net::IpAddr;

use crate::columns::{FlowColumns, FlowRow, mapped_v4};

/// Why a NIDS CSV file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum NidsError {
    /// The CSV itself is broken.
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// A required column is missing from the header.
    #[error("missing column `{0}`")]
    MissingColumn(&'static str),
}

/// The label columns of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// `Label`: true for an attack.
    pub attack: bool,
    /// `Attack`: the attack class (`Benign` for normal traffic).
    pub class: String,
}

const REQUIRED: [&str; 9] = [
    "IPV4_SRC_ADDR",
    "L4_SRC_PORT",
    "IPV4_DST_ADDR",
    "L4_DST_PORT",
    "PROTOCOL",
    "IN_BYTES",
    "OUT_BYTES",
    "IN_PKTS",
    "OUT_PKTS",
];

/// Column positions of the header.
struct Columns {
    required: [usize; 9],
    tcp_flags: Option<usize>,
    duration: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
    input_if: Option<usize>,
    output_if: Option<usize>,
    label: Option<usize>,
    attack: Option<usize>,
}

impl Columns {
    fn of(header: &csv::StringRecord) -> Result<Columns, NidsError> {
        let find = |name: &str| header.iter().position(|column| column.trim() == name);
        let mut required = [0; 9];
        for (slot, name) in required.iter_mut().zip(REQUIRED) {
            *slot = find(name).ok_or(NidsError::MissingColumn(name))?;
        }
        Ok(Columns {
            required,
            tcp_flags: find("TCP_FLAGS"),
            duration: find("FLOW_DURATION_MILLISECONDS"),
            start: find("FLOW_START_MILLISECONDS"),
            end: find("FLOW_END_MILLISECONDS"),
            input_if: find("INPUT_SNMP"),
            output_if: find("OUTPUT_SNMP"),
            label: find("Label"),
            attack: find("Attack"),
        })
    }
}

/// Reads rows in chunks.
pub struct NidsReader<R: Read> {
    csv: csv::Reader<R>,
    columns: Columns,
    record: csv::StringRecord,
    row: u64,
    /// Rows that could not be read as a flow (counted, skipped).
    pub malformed: u64,
}

impl<R: Read> NidsReader<R> {
    /// A reader of NIDS CSV from `input`; fails when required columns are missing.
    pub fn new(input: R) -> Result<Self, NidsError> {
        let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let columns = Columns::of(csv.headers()?)?;
        Ok(NidsReader {
            csv,
            columns,
            record: csv::StringRecord::new(),
            row: 0,
            malformed: 0,
        })
    }

    /// Append up to `max` flows to `out` (exporter `exporter`) and their labels to `labels`;
    /// returns how many were appended (0 at the end of the file).
    pub fn read_chunk(
        &mut self,
        max: usize,
        out: &mut FlowColumns,
        exporter: u16,
        labels: &mut Vec<Label>,
    ) -> Result<usize, NidsError> {
        let mut added = 0;
        while added < max {
            let Some((row, label)) = self.next_flow()? else {
                break;
            };
            out.push(&row, exporter);
            labels.push(label);
            added += 1;
        }
        Ok(added)
    }

    /// The next flow and its label; `Ok(None)` at the end of the file. Rows that are not a
    /// flow are counted in [`malformed`](Self::malformed) and skipped.
    pub fn next_flow(&mut self) -> Result<Option<(FlowRow, Label)>, NidsError> {
        while self.csv.read_record(&mut self.record)? {
            self.row += 1;
            match self.flow() {
                Some(flow) => return Ok(Some(flow)),
                None => self.malformed += 1,
            }
        }
        Ok(None)
    }

    fn flow(&self) -> Option<(FlowRow, Label)> {
        let field = |index: usize| self.record.get(index).map(str::trim);
        let number = |index: usize| field(index)?.parse::<f64>().ok().map(|v| v as u64);
        let optional = |index: Option<usize>| index.and_then(number);
        let [
            src,
            src_port,
            dst,
            dst_port,
            protocol,
            in_bytes,
            out_bytes,
            in_pkts,
            out_pkts,
        ] = self.columns.required;
        let address = |index: usize| -> Option<[u8; 16]> {
            match field(index)?.parse::<IpAddr>().ok()? {
                IpAddr::V4(v4) => Some(mapped_v4(v4.octets())),
                IpAddr::V6(v6) => Some(v6.octets()),
            }
        };
        let start_ms = optional(self.columns.start).unwrap_or(self.row);
        let end_ms = optional(self.columns.end)
            .or_else(|| optional(self.columns.duration).map(|d| start_ms + d))
            .unwrap_or(start_ms);
        let row = FlowRow {
            src_addr: address(src)?,
            dst_addr: address(dst)?,
            src_port: number(src_port)? as u16,
            dst_port: number(dst_port)? as u16,
            protocol: number(protocol)? as u8,
            tcp_flags: optional(self.columns.tcp_flags).unwrap_or(0) as u8,
            bytes: number(in_bytes)? + number(out_bytes)?,
            packets: number(in_pkts)? + number(out_pkts)?,
            start_ms,
            end_ms,
            input_if: optional(self.columns.input_if).unwrap_or(0) as u32,
            output_if: optional(self.columns.output_if).unwrap_or(0) as u32,
            icmp_type_code: 0,
        };
        let label = Label {
            attack: optional(self.columns.label).is_some_and(|label| label != 0),
            class: self
                .columns
                .attack
                .and_then(field)
                .unwrap_or("Benign")
                .to_owned(),
        };
        Some((row, label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "\
IPV4_SRC_ADDR,L4_SRC_PORT,IPV4_DST_ADDR,L4_DST_PORT,PROTOCOL,L7_PROTO,IN_BYTES,OUT_BYTES,IN_PKTS,OUT_PKTS,TCP_FLAGS,FLOW_DURATION_MILLISECONDS,Label,Attack
149.171.126.0,62073,59.166.0.5,56082,6,0.0,9672,416,11,8,25,15,0,Benign
175.45.176.3,65249,149.171.126.18,80,6,7.0,1240,2072,10,6,27,1,1,Exploits
not-an-address,1,2.2.2.2,2,6,0.0,1,1,1,1,0,0,0,Benign
";

    #[test]
    fn rows_become_flows_with_labels_and_bad_rows_are_counted() {
        let mut reader = NidsReader::new(V1.as_bytes()).unwrap();
        let mut out = FlowColumns::default();
        let mut labels = Vec::new();
        assert_eq!(reader.read_chunk(1, &mut out, 0, &mut labels).unwrap(), 1);
        assert_eq!(reader.read_chunk(10, &mut out, 0, &mut labels).unwrap(), 1);
        assert_eq!(reader.read_chunk(10, &mut out, 0, &mut labels).unwrap(), 0);
        assert_eq!(reader.malformed, 1);
        assert_eq!(
            (out.bytes[0], out.packets[0], out.dst_port[1]),
            (10_088, 19, 80)
        );
        assert_eq!(
            (out.start_ms[0], out.end_ms[0]),
            (1, 16),
            "row number, plus the duration"
        );
        assert_eq!(
            labels[1],
            Label {
                attack: true,
                class: "Exploits".into()
            }
        );
        assert!(matches!(
            NidsReader::new("IPV4_SRC_ADDR,Label\n".as_bytes()),
            Err(NidsError::MissingColumn("L4_SRC_PORT"))
        ));
    }
}
