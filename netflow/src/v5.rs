//! NetFlow v5: a fixed 24-byte header and 48-byte records; no templates.

use crate::collector::ExporterState;
use crate::columns::{FlowColumns, FlowRow, mapped_v4};
use crate::read::{DecodeError, Reader};

const HEADER: usize = 24;
const RECORD: usize = 48;

/// Decode a v5 datagram into `out`; returns the flows added.
pub fn decode(
    bytes: &[u8],
    state: &mut ExporterState,
    out: &mut FlowColumns,
) -> Result<usize, DecodeError> {
    let mut header = Reader::new(bytes);
    let _version = header.u16()?;
    let count = usize::from(header.u16()?);
    let uptime_ms = u64::from(header.u32()?);
    let secs = u64::from(header.u32()?);
    let nsecs = u64::from(header.u32()?);
    let sequence = header.u32()?;
    let engine = u32::from(header.u16()?);
    if bytes.len() < HEADER + count * RECORD {
        return Err(DecodeError::BadLength("v5 count exceeds the datagram"));
    }
    let export_ms = secs * 1000 + nsecs / 1_000_000;
    let absolute =
        |uptime: u64| export_ms.saturating_sub(uptime_ms.wrapping_sub(uptime) & 0xffff_ffff);
    let exporter = out.exporter_index(&state.name);
    for record in bytes[HEADER..HEADER + count * RECORD].chunks_exact(RECORD) {
        let u32_at = |at: usize| {
            u32::from_be_bytes([record[at], record[at + 1], record[at + 2], record[at + 3]])
        };
        let u16_at = |at: usize| u16::from_be_bytes([record[at], record[at + 1]]);
        let row = FlowRow {
            src_addr: mapped_v4([record[0], record[1], record[2], record[3]]),
            dst_addr: mapped_v4([record[4], record[5], record[6], record[7]]),
            input_if: u32::from(u16_at(12)),
            output_if: u32::from(u16_at(14)),
            packets: u64::from(u32_at(16)),
            bytes: u64::from(u32_at(20)),
            start_ms: absolute(u64::from(u32_at(24))),
            end_ms: absolute(u64::from(u32_at(28))),
            src_port: u16_at(32),
            dst_port: u16_at(34),
            tcp_flags: record[37],
            protocol: record[38],
            icmp_type_code: 0,
        };
        out.push(&row, exporter);
    }
    state.check_sequence(5, engine, sequence, count as u32);
    Ok(count)
}
