//! The real captures of `tests/fixtures/captures/` (nmap, hydra, ab, hping3, slowhttptest,
//! iodine and benign software): every scan and sweep's attacker is reported, nobody else is,
//! and the benign captures raise nothing. Skipped when the captures are not there.
//!
//! `campusgen_day` (ignored) replays a campusgen CSV named by `CAMPUSGEN_CSV`.

use super::SuperSpreader as Plugin;
use super::replay::{self, Capture};

/// The attack classes this detector finds.
const CLASSES: [&str; 2] = ["port-scan", "host-sweep"];

fn run(capture: &Capture) -> Vec<netassure_plugin_sdk::Finding> {
    use netassure_plugin_sdk::Detector;
    let mut detector = Plugin::default();
    detector.configure(replay::config_from_env()).unwrap();
    replay::replay(&mut detector, &capture.path)
}

#[test]
fn real_captures() {
    replay::check_real_captures(&CLASSES, run);
}

/// `CAMPUSGEN_CSV=/tmp/day.csv cargo test -p super-spreader campusgen -- --ignored --nocapture`
#[test]
#[ignore = "needs a campusgen CSV in CAMPUSGEN_CSV"]
fn campusgen_day() {
    replay::campusgen_day(&CLASSES, run);
}

/// `DUMP_FLOWS=FILE cargo test -p super-spreader dump -- --ignored --nocapture`: every flow
/// of FILE with what its attempt came to.
#[test]
#[ignore = "a tool: needs DUMP_FLOWS"]
fn dump() {
    let Ok(path) = std::env::var("DUMP_FLOWS") else {
        return;
    };
    let mut file = netassure_netflow::files::FlowFile::open(path.as_ref()).unwrap();
    file.for_each_window(replay::WINDOW_MS, 1_000_000, |window, _| {
        let batch = replay::batch_of(&window.flows);
        let slices = netassure_flowgraph::flow_slices!(batch);
        let conversations = netassure_flowgraph::Conversations::build(&slices);
        println!("window {}", window.start_ms);
        for (i, r) in batch.records().enumerate() {
            let attempt = conversations.attempt(&slices, i);
            println!(
                "  {}:{} -> {}:{} p{} f{:#04x} {}B {}pk {}ms {:?}",
                r.src,
                r.src_port,
                r.dst,
                r.dst_port,
                r.protocol,
                r.tcp_flags,
                r.bytes,
                r.packets,
                r.end_ms - r.start_ms,
                attempt
            );
        }
        Ok::<(), netassure_netflow::files::FlowFileError>(())
    })
    .unwrap();
}
