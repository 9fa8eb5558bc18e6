//! Bad bytes in a replay file: a line that is not UTF-8 is one malformed message, skipped and
//! counted; every other line of the file is still replayed.

mod common;

use common::{HostDirs, Options, fixture, output, telemetry};

#[test]
fn a_line_that_is_not_utf8_is_skipped_and_the_rest_replayed() {
    let dirs = HostDirs::new();
    dirs.add(&fixture("tagger-v1"), "tagger");
    let mut file = Vec::new();
    for i in 0..10 {
        if i == 3 {
            file.extend_from_slice(b"{\"type\": \"telemetry\", \"subject\": \"l\xff\xfe\"}\n");
        }
        file.extend_from_slice(telemetry("l1", f64::from(i) / 100.0).to_string().as_bytes());
        file.push(b'\n');
    }
    let path = dirs.root.path().join("events.jsonl");
    std::fs::write(&path, &file).unwrap();
    let mut host = common::Host::start(
        &dirs,
        Options {
            replay: Some(&path),
            once: true,
            ..Options::default()
        },
    );
    assert!(host.wait_exit().success());
    let tagged = output(&dirs)
        .iter()
        .filter(|r| r["kind"] == "tagged")
        .count();
    assert_eq!(tagged, 10, "every UTF-8 line was replayed");
}
