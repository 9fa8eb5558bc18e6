//! The committed softflowd export (`tests/fixtures/flows/softflowd-v*.dgrams`), shared by the
//! tests and the decode benchmark.

use std::path::PathBuf;

/// A flow fixture's path.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/flows")
        .join(name)
}

/// The datagrams softflowd exported as NetFlow `version` (each stored as a 4-byte big-endian
/// length and the datagram).
pub fn datagrams(version: u8) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(fixture(&format!("softflowd-v{version}.dgrams"))).unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        out.push(bytes[at + 4..at + 4 + len].to_vec());
        at += 4 + len;
    }
    out
}
