//! Templates (NetFlow v9 and IPFIX): parsed from template sets, compiled into a list of
//! (meaning, length) fields, and used to decode data records into flows.

use crate::columns::FlowRow;
use crate::fields::{Clock, Target, apply};
use crate::read::{DecodeError, Reader};

/// Variable-length field marker (IPFIX).
const VARIABLE: u16 = 65_535;
/// More fields than any real template has.
const MAX_FIELDS: u16 = 512;

/// One field of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// What it means.
    pub target: Target,
    /// Its length in bytes, or [`VARIABLE`].
    pub len: u16,
}

/// A compiled template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The fields in record order.
    pub fields: Vec<Field>,
    /// Length of every record when no field is variable-length.
    pub fixed_len: Option<usize>,
    /// An options template: its records describe the exporter, not flows.
    pub options: bool,
}

impl Template {
    fn new(fields: Vec<Field>, options: bool) -> Result<Template, DecodeError> {
        let fixed_len = fields.iter().try_fold(0usize, |sum, field| {
            (field.len != VARIABLE).then(|| sum + usize::from(field.len))
        });
        if fixed_len == Some(0) {
            return Err(DecodeError::BadTemplate("records of zero length"));
        }
        Ok(Template {
            fields,
            fixed_len,
            options,
        })
    }

    /// Decode every record of a data set body; `emit` gets each flow (never called for an
    /// options template). Returns the number of records. Trailing bytes too short for a record
    /// are padding.
    pub fn decode(
        &self,
        body: &[u8],
        clock: &Clock,
        mut emit: impl FnMut(&FlowRow),
    ) -> Result<usize, DecodeError> {
        let mut records = 0;
        match self.fixed_len {
            Some(len) => {
                for record in body.chunks_exact(len) {
                    if !self.options {
                        emit(&self.fixed_record(record, clock));
                    }
                    records += 1;
                }
            }
            None => {
                let mut reader = Reader::new(body);
                // At least one byte per field: anything shorter is padding.
                while reader.remaining() >= self.fields.len().max(1) {
                    let row = self.variable_record(&mut reader, clock)?;
                    if !self.options {
                        emit(&row);
                    }
                    records += 1;
                }
            }
        }
        Ok(records)
    }

    fn fixed_record(&self, record: &[u8], clock: &Clock) -> FlowRow {
        let mut row = FlowRow::default();
        let mut at = 0;
        for field in &self.fields {
            let len = usize::from(field.len);
            if field.target != Target::Skip {
                apply(&mut row, field.target, &record[at..at + len], clock);
            }
            at += len;
        }
        finish(&mut row, clock);
        row
    }

    fn variable_record(
        &self,
        reader: &mut Reader<'_>,
        clock: &Clock,
    ) -> Result<FlowRow, DecodeError> {
        let mut row = FlowRow::default();
        for field in &self.fields {
            let len = match field.len {
                VARIABLE => match reader.u8()? {
                    255 => usize::from(reader.u16()?),
                    short => usize::from(short),
                },
                fixed => usize::from(fixed),
            };
            let value = reader.take(len)?;
            apply(&mut row, field.target, value, clock);
        }
        finish(&mut row, clock);
        Ok(row)
    }
}

/// Times a record did not carry default to the export time; an ICMP type and code go into
/// the destination port.
fn finish(row: &mut FlowRow, clock: &Clock) {
    if matches!(row.protocol, 1 | 58) && row.icmp_type_code != 0 {
        row.dst_port = row.icmp_type_code;
    }
    if row.end_ms == 0 {
        row.end_ms = clock.export_ms;
    }
    if row.start_ms == 0 {
        row.start_ms = row.end_ms;
    }
}

/// A template announcement: a new or refreshed template, or (IPFIX) a withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announcement {
    /// Template `id` is now this.
    Define(u16, Template),
    /// Template `id` is withdrawn.
    Withdraw(u16),
}

/// The templates of a NetFlow v9 template flowset (id 0) or options template flowset (id 1).
pub fn v9_templates(body: &[u8], options: bool) -> Result<Vec<Announcement>, DecodeError> {
    let mut reader = Reader::new(body);
    let mut found = Vec::new();
    while reader.remaining() >= 4 {
        let id = reader.u16()?;
        let fields = if options {
            let scope_len = reader.u16()?;
            let option_len = reader.u16()?;
            if scope_len % 4 != 0 || option_len % 4 != 0 {
                return Err(DecodeError::BadTemplate(
                    "options lengths are not multiples of 4",
                ));
            }
            let count = (scope_len + option_len) / 4;
            read_fields(&mut reader, count, false)?
        } else {
            let count = reader.u16()?;
            read_fields(&mut reader, count, false)?
        };
        check_id(id)?;
        found.push(Announcement::Define(id, Template::new(fields, options)?));
    }
    Ok(found)
}

/// The templates of an IPFIX template set (id 2) or options template set (id 3).
pub fn ipfix_templates(body: &[u8], options: bool) -> Result<Vec<Announcement>, DecodeError> {
    let mut reader = Reader::new(body);
    let mut found = Vec::new();
    while reader.remaining() >= 4 {
        let id = reader.u16()?;
        let count = reader.u16()?;
        check_id(id)?;
        if count == 0 {
            found.push(Announcement::Withdraw(id));
            continue;
        }
        if options {
            let _scope_count = reader.u16()?;
        }
        let fields = read_fields(&mut reader, count, true)?;
        found.push(Announcement::Define(id, Template::new(fields, options)?));
    }
    Ok(found)
}

fn check_id(id: u16) -> Result<(), DecodeError> {
    if id < 256 {
        return Err(DecodeError::BadTemplate("template id below 256"));
    }
    Ok(())
}

fn read_fields(
    reader: &mut Reader<'_>,
    count: u16,
    ipfix: bool,
) -> Result<Vec<Field>, DecodeError> {
    if count > MAX_FIELDS {
        return Err(DecodeError::BadTemplate("too many fields"));
    }
    (0..count)
        .map(|_| {
            let id = reader.u16()?;
            let len = reader.u16()?;
            let enterprise = ipfix && id & 0x8000 != 0;
            if enterprise {
                reader.u32()?;
            }
            if !ipfix && len == VARIABLE {
                return Err(DecodeError::BadTemplate("variable length in NetFlow v9"));
            }
            Ok(Field {
                target: Target::of(id & 0x7fff, enterprise),
                len,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Clock {
            export_ms: 5_000,
            uptime_ms: None,
        }
    }

    #[test]
    fn an_ipfix_template_with_enterprise_and_variable_fields_decodes() {
        // id 300, 4 fields: srcIPv4, an enterprise field (4 bytes, PEN 9), a variable-length
        // field, packetDeltaCount (reduced to 2 bytes).
        let mut body = vec![
            1, 44, 0, 4, 0, 8, 0, 4, 0x80, 1, 0, 4, 0, 0, 0, 9, 0, 96, 0xff, 0xff, 0, 2, 0, 2,
        ];
        let announced = ipfix_templates(&body, false).unwrap();
        let Announcement::Define(300, template) = &announced[0] else {
            panic!("{announced:?}");
        };
        assert_eq!(template.fixed_len, None);
        body.clear();
        // record: 10.0.0.1, enterprise 4 bytes, variable 3 bytes "abc", 7 packets; then padding.
        body.extend([10, 0, 0, 1, 9, 9, 9, 9, 3, b'a', b'b', b'c', 0, 7, 0, 0, 0]);
        let mut rows = Vec::new();
        let records = template
            .decode(&body, &clock(), |row| rows.push(*row))
            .unwrap();
        assert_eq!(records, 1);
        assert_eq!(
            (rows[0].packets, rows[0].src_addr[15], rows[0].end_ms),
            (7, 1, 5_000)
        );
        assert_eq!(
            ipfix_templates(&[1, 44, 0, 0], false).unwrap(),
            vec![Announcement::Withdraw(300)]
        );
    }

    #[test]
    fn bad_templates_are_refused() {
        assert!(
            v9_templates(&[0, 5, 0, 1, 0, 8, 0, 4], false).is_err(),
            "id below 256"
        );
        assert!(
            v9_templates(&[1, 0, 0, 1, 0, 8, 0, 0], false).is_err(),
            "zero-length records"
        );
        assert!(
            v9_templates(&[1, 0, 0, 2, 0, 8, 0, 4], false).is_err(),
            "truncated"
        );
        assert!(
            v9_templates(&[1, 0, 0xff, 0xff], false).is_err(),
            "too many fields"
        );
    }
}
