//! NetFlow v9 (RFC 3954): a 20-byte header, then flowsets — templates (id 0), options
//! templates (id 1) and data (id ≥ 256) — in any order and number.

use crate::collector::ExporterState;
use crate::columns::FlowColumns;
use crate::fields::Clock;
use crate::read::{DecodeError, Reader};
use crate::template::v9_templates;

/// Decode a v9 datagram into `out`; returns the flows added.
pub fn decode(
    bytes: &[u8],
    state: &mut ExporterState,
    now_ms: u64,
    out: &mut FlowColumns,
) -> Result<usize, DecodeError> {
    let mut reader = Reader::new(bytes);
    let _version = reader.u16()?;
    let _count = reader.u16()?;
    let uptime_ms = u64::from(reader.u32()?);
    let secs = u64::from(reader.u32()?);
    let sequence = reader.u32()?;
    let source_id = reader.u32()?;
    let clock = Clock {
        export_ms: secs * 1000,
        uptime_ms: Some(uptime_ms),
    };
    let mut flows = 0;
    while reader.remaining() >= 4 {
        let id = reader.u16()?;
        let len = usize::from(reader.u16()?);
        if len < 4 {
            return Err(DecodeError::BadLength("v9 flowset shorter than its header"));
        }
        let body = reader.take(len - 4)?;
        flows += match id {
            0 | 1 => {
                let announced = v9_templates(body, id == 1)?;
                state.announce(source_id, announced, now_ms, out)
            }
            2..=255 => 0, // reserved
            template => state.data_set(source_id, template, body, clock, now_ms, out),
        };
    }
    state.check_sequence(9, source_id, sequence, 1);
    Ok(flows)
}
