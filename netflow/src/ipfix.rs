//! IPFIX (RFC 7011): a 16-byte message header, then sets — templates (2), options templates
//! (3) and data (≥ 256). Templates may carry enterprise-specific and variable-length fields.

use crate::collector::ExporterState;
use crate::columns::FlowColumns;
use crate::fields::Clock;
use crate::read::{DecodeError, Reader};
use crate::template::ipfix_templates;

/// Decode an IPFIX message into `out`; returns the flows added.
pub fn decode(
    bytes: &[u8],
    state: &mut ExporterState,
    now_ms: u64,
    out: &mut FlowColumns,
) -> Result<usize, DecodeError> {
    let mut reader = Reader::new(bytes);
    let _version = reader.u16()?;
    let length = usize::from(reader.u16()?);
    if length < 16 || length > bytes.len() {
        return Err(DecodeError::BadLength("IPFIX message length"));
    }
    let export_s = u64::from(reader.u32()?);
    let sequence = reader.u32()?;
    let domain = reader.u32()?;
    let clock = Clock {
        export_ms: export_s * 1000,
        uptime_ms: None,
    };
    let mut reader = Reader::new(&bytes[16..length]);
    let (mut flows, mut records) = (0, 0u32);
    let mut complete = true;
    while reader.remaining() >= 4 {
        let id = reader.u16()?;
        let len = usize::from(reader.u16()?);
        if len < 4 {
            return Err(DecodeError::BadLength("IPFIX set shorter than its header"));
        }
        let body = reader.take(len - 4)?;
        match id {
            2 | 3 => {
                let announced = ipfix_templates(body, id == 3)?;
                flows += state.announce(domain, announced, now_ms, out);
            }
            0..=255 => {} // reserved
            template => {
                let before = state.records_decoded;
                let added = state.data_set(domain, template, body, clock, now_ms, out);
                flows += added;
                let decoded = state.records_decoded - before;
                if decoded == 0 && !body.is_empty() && !state.knows(domain, template) {
                    complete = false;
                }
                records += decoded as u32;
            }
        }
    }
    // The sequence number counts data records, so it can only be checked when every set of
    // this message was decoded.
    if complete {
        state.check_sequence(10, domain, sequence, records);
    } else {
        state.forget_sequence(10, domain);
    }
    Ok(flows)
}
