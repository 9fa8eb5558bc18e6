//! The realistic configuration: every shipped flow detector on its defaults, with
//! `severity-mapping`, the collector's default windows, paced NetFlow v9 at 0.25 / 0.5 / 1 /
//! 2 M flows/s (`NETASSURE_BENCH_RATES=250000,...` picks others); nfcapd gets the same
//! datagrams at the same pace in the same run.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{HostProcess, nfcapd_run, send};

/// Every shipped flow detector.
const DETECTORS: [&str; 6] = [
    "flow-gae",
    "heavy-hitters",
    "top-talkers",
    "super-spreader",
    "volumetric-ddos",
    "beacon-watch",
];

/// The alert rule a user runs them with.
const ALERT_RULE: &str = "severity-mapping";

/// Run every pace; print one table per pace.
pub fn run(plugins: &Path) {
    let seconds: u64 = std::env::var("NETASSURE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    println!(
        "\nRealistic: every shipped flow detector on its defaults + severity-mapping, default windows (10 s / 100k flows){}",
        if super::gae_scores() {
            "; flow-gae scoring with the shipped generic model (its cost after learning)"
        } else {
            "; flow-gae learning (its first day)"
        }
    );
    let rates: Vec<u64> = std::env::var("NETASSURE_BENCH_RATES")
        .ok()
        .map(|list| {
            list.split(',')
                .filter_map(|r| r.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![250_000, 500_000, 1_000_000, 2_000_000]);
    for rate in rates {
        let length = match (seconds, rate) {
            (0, 1_000_000) => 60,
            (0, _) => 20,
            (s, _) => s,
        };
        pace(plugins, rate, length);
    }
}

/// One pace: the host, then nfcapd.
fn pace(plugins: &Path, rate: u64, seconds: u64) {
    let flows = rate * seconds;
    let names: Vec<&str> = DETECTORS.iter().copied().chain([ALERT_RULE]).collect();
    let host = HostProcess::start(plugins, &names, "");
    let cpu_before = cpu_times();
    let started = Instant::now();
    let sending = send(host.netflow, flows, rate);
    // The last window closes at most 10 s after its first flow; wait until every detector
    // has handled or skipped every window the collector published.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut settled = None;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
        let status = host.get("/status").unwrap_or_default();
        let windows = status["ingest"]["netflow"]["windows"].as_u64().unwrap_or(0);
        let done = DETECTORS.iter().all(|name| {
            let plugin = host.get(&format!("/plugins/{name}")).unwrap_or_default();
            let seen = plugin["calls"].as_u64().unwrap_or(0)
                + plugin["skipped"].as_u64().unwrap_or(0)
                + plugin["windows_skipped"].as_u64().unwrap_or(0);
            seen >= windows && plugin["queued_flows"].as_u64() == Some(0)
        });
        if started.elapsed() > sending + Duration::from_secs(11) && done {
            settled = Some(started.elapsed());
            break;
        }
    }
    let status = host.get("/status").unwrap_or_default();
    let accepted = status["ingest"]["netflow"]["flows"].as_u64().unwrap_or(0);
    let peak_mb = peak_memory_mb(host.child.id());
    let steal = steal_share(&cpu_before, &cpu_times());
    println!(
        "\n{:.2} M flows/s for {seconds} s: sent {flows} in {:.1} s; host accepted {accepted} \
         (loss {:.3}%), {} windows, peak memory {peak_mb} MB, settled {}; CPU stolen by the \
         hypervisor meanwhile {:.1}%",
        rate as f64 / 1e6,
        sending.as_secs_f64(),
        (1.0 - accepted as f64 / flows as f64) * 100.0,
        status["ingest"]["netflow"]["windows"],
        settled.map_or("no (2 min)".into(), |at| format!(
            "{:.1} s after the first datagram",
            at.as_secs_f64()
        )),
        steal * 100.0,
    );
    println!(
        "  {:<16} {:>8} {:>8} {:>12} {:>8} {:>8} {:>8} {:>8} {:>12}",
        "detector",
        "handled",
        "skipped",
        "flows skip.",
        "p50 ms",
        "p99 ms",
        "cpu p50",
        "cpu p99",
        "status"
    );
    for name in DETECTORS {
        let plugin = host.get(&format!("/plugins/{name}")).unwrap_or_default();
        if std::env::var_os("NETASSURE_BENCH_DEBUG").is_some() {
            eprintln!("{name}: {plugin}");
        }
        let ms = |key: &str| {
            plugin[key]
                .as_u64()
                .map_or("-".into(), |us| format!("{:.1}", us as f64 / 1000.0))
        };
        println!(
            "  {:<16} {:>8} {:>8} {:>12} {:>8} {:>8} {:>8} {:>8} {:>12}",
            name,
            plugin["calls"].as_u64().unwrap_or(0) - plugin["failures"].as_u64().unwrap_or(0),
            plugin["windows_skipped"],
            plugin["flows_skipped"],
            ms("p50_call_us"),
            ms("p99_call_us"),
            ms("p50_call_cpu_us"),
            ms("p99_call_cpu_us"),
            plugin["status"].as_str().unwrap_or("?"),
        );
        if plugin["status"] != "enabled" || plugin["failures"].as_u64() > Some(0) {
            println!(
                "    {name}: {} failures, last error: {}",
                plugin["failures"], plugin["last_error"]
            );
        }
    }
    drop(host);
    match nfcapd_run(flows, rate) {
        Some((got, loss, _)) => println!(
            "  nfcapd (same datagrams, same pace): {got} flows (loss {:.3}%); host / nfcapd {:.3}",
            loss * 100.0,
            accepted as f64 / got.max(1) as f64
        ),
        None => println!("  nfcapd: not installed"),
    }
}

/// The process's peak resident memory, MB (0 where /proc has no answer).
fn peak_memory_mb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// The machine's CPU time counters (the `cpu` line of /proc/stat), empty where there is none.
fn cpu_times() -> Vec<u64> {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|stat| {
            stat.lines().next().map(|line| {
                line.split_whitespace()
                    .skip(1)
                    .filter_map(|n| n.parse().ok())
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// Share of the CPU time between two readings that the hypervisor gave to other guests
/// (`steal`, the 8th counter): a shared machine's noise, reported beside the figures.
fn steal_share(before: &[u64], after: &[u64]) -> f64 {
    let delta: Vec<u64> = after
        .iter()
        .zip(before)
        .map(|(a, b)| a.saturating_sub(*b))
        .collect();
    let total: u64 = delta.iter().sum();
    delta
        .get(7)
        .map_or(0.0, |&steal| steal as f64 / total.max(1) as f64)
}
