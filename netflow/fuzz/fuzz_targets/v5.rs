//! Fuzz target: any bytes after a version-5 header must decode or be refused, never
//! panic, and a refused datagram must be counted as malformed
//! (`netassure_netflow::fuzzing::decode_twice`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut datagram = vec![0, 5];
    datagram.extend_from_slice(data);
    netassure_netflow::fuzzing::decode_twice(&datagram);
});
