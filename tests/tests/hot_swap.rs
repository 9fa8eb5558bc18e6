//! Hot swap under load: events stream in while a plugin is replaced 20 times through REST,
//! alternating two versions that tag their output; every event is processed exactly once,
//! by exactly one version.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{self, Host, HostDirs, Options, fixture, output, telemetry, wait_until};

const SWAPS: usize = 20;

#[test]
fn every_event_is_processed_exactly_once_across_twenty_swaps() {
    let dirs = HostDirs::new();
    dirs.add(&fixture("tagger-v1"), "tagger");
    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    );
    let stdin = host.stdin.take().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(Mutex::new(0u64));
    let feeder = {
        let (stop, sent) = (stop.clone(), sent.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut stdin = stdin;
            let mut count = 0u64;
            // Keep streaming until the swaps are done, then a tail so the last version works too.
            while !stop.load(Ordering::Acquire) || !count.is_multiple_of(1000) {
                writeln!(stdin, "{}", telemetry("l1", (count % 100) as f64 / 100.0)).unwrap();
                count += 1;
                if count.is_multiple_of(200) {
                    stdin.flush().unwrap();
                    // Pacing: a steady stream, not the pipe's whole capacity at once.
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            *sent.lock().unwrap() = count;
        })
    };
    let versions = [fixture("tagger-v2"), fixture("tagger-v1")];
    for swap in 0..SWAPS {
        // Each version takes events before the next swap: the calls made since the last swap
        // go past the one that may have been under way on the version swapped out.
        let calls = host.plugin("tagger")["calls"].as_u64().unwrap();
        wait_until(
            Duration::from_secs(60),
            "events processed by the version installed last",
            || host.plugin("tagger")["calls"].as_u64().unwrap() > calls + 1,
        );
        let (status, body) = host.install("tagger", &versions[swap % 2]);
        assert_eq!(status, 200, "swap {swap}: {body}");
        assert_eq!(body["outcome"], "swapped");
    }
    stop.store(true, Ordering::Release);
    feeder.join().unwrap();
    host.finish_stdin();
    let sent = *sent.lock().unwrap();

    let mut seen: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for record in output(&dirs).iter().filter(|r| r["kind"] == "tagged") {
        let (tag, id) = record["description"]
            .as_str()
            .unwrap()
            .split_once(':')
            .unwrap();
        seen.entry(id.parse().unwrap())
            .or_default()
            .push(tag.to_owned());
    }
    let ids: Vec<u64> = seen.keys().copied().collect();
    assert_eq!(
        ids,
        (1..=sent).collect::<Vec<_>>(),
        "every event id exactly once ({sent} sent)"
    );
    assert!(
        seen.values().all(|tags| tags.len() == 1),
        "no event was processed twice"
    );
    let v1 = seen.values().filter(|tags| tags[0] == "v1").count();
    let v2 = seen.values().filter(|tags| tags[0] == "v2").count();
    assert!(
        v1 > 0 && v2 > 0,
        "both versions processed events (v1 {v1}, v2 {v2})"
    );
    let plugin = host.plugin("tagger");
    assert_eq!(plugin["swaps"], SWAPS as u64);
    assert_eq!(plugin["calls"], sent);
    assert_eq!(plugin["failures"], 0);
    assert_eq!(plugin["version"], "1.0.0", "the last swap installed v1");
}

/// A plugin replaced by one of another kind under the same name (a detector by an alert rule,
/// and back): its work is taken elsewhere (the detector pool, or a thread of its own), so the
/// host gives it a new entry of its new kind (counted as a swap), never a second plugin.
#[test]
fn a_plugin_replaced_by_one_of_another_kind_gets_an_entry_of_that_kind() {
    let dirs = HostDirs::new();
    let host = Host::start(&dirs, Options::default());
    let install = |component: &std::path::Path| {
        let (status, body) = host.install("shifty", component);
        assert!(status == 200 || status == 201, "{status} {body}");
    };
    install(&fixture("tagger-v1"));
    assert_eq!(host.plugin("shifty")["kind"], "detector");
    install(&common::plugin("severity-mapping"));
    let shifted = host.plugin("shifty");
    assert_eq!(
        (shifted["kind"].as_str(), shifted["swaps"].as_u64()),
        (Some("alert-rule"), Some(1)),
        "{shifted}"
    );
    install(&fixture("tagger-v1"));
    assert_eq!(host.plugin("shifty")["kind"], "detector");
    assert_eq!(host.get("/status").1["plugins"]["total"], 1);
}
