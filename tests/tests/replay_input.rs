//! Bad bytes in a replay file: a line that is not UTF-8 is one malformed message, skipped and
//! counted; every other line of the file is still replayed. A JSON-lines file is streamed,
//! never held in memory whole.

use crate::common::{self, HostDirs, Options, fixture, output, telemetry};

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

#[test]
fn a_large_replay_file_is_streamed_not_read_whole() {
    use std::io::Write;
    const COMMENTS: usize = 200_000;
    let dirs = HostDirs::new();
    dirs.add(&fixture("tagger-v1"), "tagger");
    let path = dirs.root.path().join("large.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(file, "{}", telemetry("l1", 0.1)).unwrap();
    let comment = format!("# {}\n", "x".repeat(1_000));
    for _ in 0..COMMENTS {
        file.write_all(comment.as_bytes()).unwrap();
    }
    writeln!(file, "{}", telemetry("l1", 0.2)).unwrap();
    drop(file);
    let size = std::fs::metadata(&path).unwrap().len();
    let host = common::Host::start(
        &dirs,
        Options {
            replay: Some(&path),
            ..Options::default()
        },
    );
    common::wait_until(
        std::time::Duration::from_secs(120),
        "the replay done",
        || host.get("/status").1["ingest"]["replay"][0]["running"] == false,
    );
    let (_, status) = host.get("/status");
    let summary = &status["ingest"]["replay"][0]["summary"];
    assert_eq!(
        (summary["published"].as_u64(), summary["skipped"].as_u64()),
        (Some(2), Some(COMMENTS as u64)),
        "{summary}"
    );
    // The host's whole memory, at its peak, stayed below the file's size (about 80 MB for
    // a 200 MB file; read whole, the file alone would be more).
    let peak = host.peak_rss_bytes();
    assert!(
        peak < size,
        "replaying a {size}-byte file took the host to {peak} bytes"
    );
}
