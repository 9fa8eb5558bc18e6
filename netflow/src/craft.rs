//! Hand-made NetFlow v9 datagrams, for tests and floods of the collector: a header and the
//! flowsets given, and template sets of simple one-field templates.

/// A NetFlow v9 datagram of `sets` (each `(flowset id, body)`), sequence number `sequence`.
pub fn v9_datagram(sequence: u32, sets: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut datagram = Vec::new();
    datagram.extend(9u16.to_be_bytes());
    datagram.extend((sets.len() as u16).to_be_bytes());
    datagram.extend(1_000u32.to_be_bytes());
    datagram.extend(1_790_000_000u32.to_be_bytes());
    datagram.extend(sequence.to_be_bytes());
    datagram.extend(0u32.to_be_bytes());
    for (id, body) in sets {
        datagram.extend(id.to_be_bytes());
        datagram.extend(((body.len() + 4) as u16).to_be_bytes());
        datagram.extend(body);
    }
    datagram
}

/// A template set (flowset 0) defining templates `ids`, each one 4-byte IN_BYTES field.
pub fn v9_template_set(ids: std::ops::Range<u16>) -> (u16, Vec<u8>) {
    let mut body = Vec::new();
    for id in ids {
        for value in [id, 1, 1, 4] {
            body.extend(value.to_be_bytes());
        }
    }
    (0, body)
}
