//! Hostile plugins are contained: an infinite loop is stopped at its deadline, a 2 GiB
//! allocation fails at the memory cap, a panic is caught, garbage and wrong-world components
//! are refused, a plugin waiting in WASI (a sleep) is stopped at once — and meanwhile the host
//! answers `/status` and other plugins keep working.

use std::time::Duration;

use crate::common::{self, Host, HostDirs, Options, TOKEN, fixture, output, telemetry, wait_until};

const EVENTS: u64 = 12;

fn hostile(dirs: &HostDirs, name: &str, mode: &str) {
    dirs.add(&fixture("hostile"), name);
    dirs.manifest(
        name,
        &format!("[limits]\ndeadline_ms = 50\nmemory_mb = 32\nmax_consecutive_failures = 3\n\n[config]\nmode = \"{mode}\"\n"),
    );
}

#[test]
fn misbehaving_plugins_are_contained_and_quarantined() {
    let dirs = HostDirs::new();
    hostile(&dirs, "looper", "loop");
    hostile(&dirs, "hog", "alloc");
    hostile(&dirs, "panicker", "panic");
    hostile(&dirs, "refuser", "error");
    dirs.add(&fixture("tagger-v1"), "healthy");
    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    );

    for i in 0..EVENTS {
        host.send(&telemetry("l1", i as f64 / 100.0));
        let (status, body) = host.get("/status");
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("ok")),
            "the host keeps answering"
        );
    }
    host.finish_stdin();

    let looper = host.plugin("looper");
    assert_eq!(looper["status"], "quarantined", "{looper}");
    assert_eq!(looper["failures"], 3);
    assert_eq!(
        looper["skipped"],
        EVENTS - 3,
        "a quarantined plugin receives nothing more"
    );
    assert_eq!(
        looper["last_error"]["message"],
        "CPU deadline of 50 ms exceeded"
    );
    // Its calls are measured in CPU time too: each spent its 50 ms before it was stopped.
    let cpu_p50 = looper["p50_call_cpu_us"].as_u64().unwrap();
    assert!((50_000..1_000_000).contains(&cpu_p50), "{looper}");

    let hog = host.plugin("hog");
    assert_eq!(hog["status"], "quarantined");
    assert_eq!(
        hog["last_error"]["message"],
        "memory limit of 32 MiB exceeded"
    );

    let panicker = host.plugin("panicker");
    assert_eq!(panicker["status"], "quarantined");
    let message = panicker["last_error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("plugin panicked:")
            && message.contains("hostile plugin panics on event"),
        "{message}"
    );

    let refuser = host.plugin("refuser");
    assert_eq!(
        refuser["status"], "enabled",
        "errors returned on purpose are not failures"
    );
    assert_eq!(
        (refuser["errors"].as_u64(), refuser["failures"].as_u64()),
        (Some(EVENTS), Some(0))
    );
    assert!(
        refuser["last_error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid input: refusing event")
    );

    let healthy = host.plugin("healthy");
    assert_eq!(
        (healthy["calls"].as_u64(), healthy["failures"].as_u64()),
        (Some(EVENTS), Some(0))
    );
    let tagged = output(&dirs)
        .iter()
        .filter(|r| r["kind"] == "tagged")
        .count();
    assert_eq!(
        tagged as u64, EVENTS,
        "the healthy plugin processed every event"
    );

    let (_, status) = host.get("/status");
    assert_eq!(status["plugins"]["quarantined"], 3);
    let (_, metrics) = host.get("/metrics");
    let metrics = metrics.as_str().unwrap();
    assert!(
        metrics.contains(&format!(
            "netassure_plugin_calls_total{{plugin=\"healthy\"}} {EVENTS}"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("netassure_plugin_failures_total{plugin=\"looper\"} 3"),
        "{metrics}"
    );
    let looper_cpu: f64 = metrics
        .lines()
        .find_map(|line| {
            line.strip_prefix("netassure_plugin_cpu_seconds_total{plugin=\"looper\"} ")
        })
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no CPU time for the looper: {metrics}"));
    assert!(looper_cpu >= 0.15, "three 50 ms calls: {looper_cpu}");

    // Enabling lifts the quarantine; the plugin fails again on the next event.
    let (code, body) = host.post("/plugins/looper/enable", b"", Some(TOKEN));
    assert_eq!(
        (
            code,
            body["status"].as_str(),
            body["consecutive_failures"].as_u64()
        ),
        (200, Some("enabled"), Some(0))
    );
}

#[test]
fn a_plugin_waiting_in_wasi_is_stopped_at_once_wherever_it_waits() {
    let dirs = HostDirs::new();
    hostile(&dirs, "sleeper", "sleep");
    hostile(&dirs, "sleepy-config", "sleep-configure");
    dirs.add(&fixture("tagger-v1"), "healthy");
    // Before plugins were kept from waiting, the host never answered while `configure` slept,
    // and each event waited 20 s in the sleeper (epochs do not interrupt a host call).
    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    );
    for i in 0..EVENTS {
        host.send(&telemetry("l1", i as f64 / 100.0));
    }
    host.finish_stdin();
    let sleeper = host.plugin("sleeper");
    assert_eq!(sleeper["status"], "quarantined", "{sleeper}");
    assert_eq!(
        sleeper["last_error"]["message"],
        "plugin tried to block in WASI poll (a sleep or a timer); plugins may not wait"
    );
    let healthy = host.plugin("healthy");
    assert_eq!(healthy["calls"].as_u64(), Some(EVENTS), "{healthy}");
    let (code, body) = host.get("/plugins/sleepy-config");
    assert!(
        code == 404 || body["status"] != "enabled",
        "a configure that waits is refused: {code} {body}"
    );
}

#[test]
fn garbage_and_wrong_world_components_are_refused_and_change_nothing() {
    let dirs = HostDirs::new();
    dirs.add(&fixture("tagger-v1"), "healthy");
    let host = Host::start(&dirs, Options::default());
    let before = host.get("/plugins").1;
    let cache = dirs.root.path().join("data/cache");
    let artifacts = || std::fs::read_dir(&cache).unwrap().count();
    let cached_before = artifacts();

    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let answer = host.put("/plugins/healthy", &garbage, Some(TOKEN));
    common::assert_error(
        &answer,
        422,
        "invalid_plugin",
        "not a valid WebAssembly component",
    );
    let answer = host.install("wrong", &fixture("wasi-command"));
    common::assert_error(
        &answer,
        422,
        "invalid_plugin",
        "does not implement a netassure:plugin@0.1.x world",
    );

    let (status, body) = host.put("/plugins/empty", b"", Some(TOKEN));
    assert_eq!(status, 422, "{body}");

    assert_eq!(host.get("/plugins").1, before, "nothing changed");
    assert_eq!(host.get("/plugins/wrong").0, 404);
    assert!(
        !dirs.plugins().join("wrong.wasm").exists(),
        "a refused upload is not written"
    );
    assert_eq!(
        artifacts(),
        cached_before,
        "a refused upload leaves no compiled artifact"
    );

    // The same files dropped into the directory are reported in /status, never loaded.
    std::fs::write(dirs.plugins().join("junk.wasm"), &garbage).unwrap();
    dirs.add(&fixture("wasi-command"), "command");
    wait_until(
        Duration::from_secs(30),
        "the load errors in /status",
        || {
            let errors = &host.get("/status").1["plugin_load_errors"];
            errors["junk.wasm"].is_string() && errors["command.wasm"].is_string()
        },
    );
    assert_eq!(host.get("/status").1["plugins"]["total"], 1);
}

/// Removing a plugin answers at once even while the plugin is busy and its queue is full: the
/// stop waits for room in the background, not under the registry's locks (it used to hold
/// `DELETE`, `disable` and the directory watcher for as long as the plugin kept its queue).
#[test]
fn a_busy_plugin_with_a_full_queue_is_removed_at_once() {
    let dirs = HostDirs::new();
    dirs.add(&fixture("hostile"), "slowpoke");
    dirs.manifest(
        "slowpoke",
        "[limits]\ndeadline_ms = 3000\nmax_consecutive_failures = 100\n\n[config]\nmode = \"loop\"\n",
    );
    let extra = dirs.config("[plugins]\nqueue_capacity = 2\n");
    let mut host = Host::start(&dirs, Options::piped(extra));
    // One call running, two waiting, the publisher waiting for room.
    for i in 0..4 {
        host.send(&telemetry("l1", f64::from(i) / 10.0));
    }
    wait_until(Duration::from_secs(30), "the plugin busy", || {
        host.plugin("slowpoke")["calls"].as_u64() >= Some(1)
    });
    let impatient: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(1)))
        .build()
        .into();
    let removed = impatient
        .delete(format!("{}/plugins/slowpoke", host.base))
        .header("Authorization", &format!("Bearer {TOKEN}"))
        .call();
    assert!(
        removed.as_ref().is_ok_and(|answer| answer.status() == 204),
        "DELETE waited for the busy plugin: {removed:?}"
    );
    assert_eq!(host.get("/plugins/slowpoke").0, 404);
    assert_eq!(host.get("/status").0, 200);
}

/// A plugin that overdoes every import is held to its caps: 1,000 anomalies kept per call
/// (the call counts as an error), 256 metric names, no over-long state key; and once removed,
/// its metric series and state go with it (a plugin installed later under its name starts
/// clean).
#[test]
fn a_flooding_plugin_is_held_to_its_caps_and_leaves_nothing_behind_when_removed() {
    let dirs = HostDirs::new();
    hostile(&dirs, "flooder", "flood");
    dirs.manifest(
        "flooder",
        "[limits]\ndeadline_ms = 5000\n\n[config]\nmode = \"flood\"\n",
    );
    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    );
    host.send(&telemetry("l1", 0.1));
    host.send(&telemetry("l1", 0.2));
    wait_until(Duration::from_secs(60), "two flooding calls", || {
        host.plugin("flooder")["calls"].as_u64() == Some(2)
    });
    let plugin = host.plugin("flooder");
    assert!(
        plugin["last_error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("only the first 1000 were kept")),
        "{plugin}"
    );
    wait_until(Duration::from_secs(30), "the anomalies stored", || {
        host.get("/status").1["pipeline"]["anomalies"].as_u64() == Some(2_000)
    });
    let (_, metrics) = host.get("/metrics");
    let series = metrics
        .as_str()
        .unwrap()
        .lines()
        .filter(|line| {
            line.starts_with("netassure_plugin_counter") && line.contains("plugin=\"flooder\"")
        })
        .count();
    assert_eq!(series, 256, "metric names capped");

    let (status, _) = host.delete("/plugins/flooder", Some(TOKEN));
    assert_eq!(status, 204);
    let (_, metrics) = host.get("/metrics");
    assert!(
        !metrics.as_str().unwrap().contains("plugin=\"flooder\""),
        "the removed plugin's series are gone"
    );
    assert_eq!(host.install("flooder", &fixture("hostile")).0, 201);
    let (status, answer) = host.put(
        "/plugins/flooder/config",
        br#"{"mode": "count"}"#,
        Some(TOKEN),
    );
    assert_eq!(status, 200, "{answer}");
    host.send(&telemetry("l1", 0.3));
    wait_until(Duration::from_secs(30), "a fresh count", || {
        host.get("/anomalies?kind=counted")
            .1
            .as_array()
            .is_some_and(|found| {
                found.iter().any(|anomaly| {
                    anomaly["description"]
                        .as_str()
                        .is_some_and(|d| d.starts_with("count=1 "))
                })
            })
    });
}

/// A quarantine survives a restart (the same component starts quarantined) until the
/// operator enables the plugin.
#[test]
fn a_quarantine_survives_a_restart_until_the_plugin_is_enabled() {
    let dirs = HostDirs::new();
    hostile(&dirs, "looper", "loop");
    let mut host = Host::start(
        &dirs,
        Options {
            stdin: true,
            ..Options::default()
        },
    );
    for i in 0..3 {
        host.send(&telemetry("l1", f64::from(i) / 10.0));
    }
    wait_until(Duration::from_secs(30), "the quarantine", || {
        host.plugin("looper")["status"] == "quarantined"
    });
    drop(host);
    let host = Host::start(&dirs, Options::default());
    assert_eq!(
        host.plugin("looper")["status"],
        "quarantined",
        "kept across the restart"
    );
    let (status, answer) = host.post("/plugins/looper/enable", b"", Some(TOKEN));
    assert_eq!(status, 200, "{answer}");
    drop(host);
    let host = Host::start(&dirs, Options::default());
    assert_eq!(
        host.plugin("looper")["status"],
        "enabled",
        "enabling lifted it for good"
    );
}
