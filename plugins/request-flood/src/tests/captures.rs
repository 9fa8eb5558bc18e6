//! The real captures of `tests/fixtures/captures/` (nmap, hydra, ab, hping3, curl bots,
//! slowhttptest, iodine and benign software): every flood's attacker is reported, nobody else is,
//! and the benign captures raise nothing. Skipped when the captures are not there.
//!
//! `campusgen_day` (ignored) replays a campusgen CSV named by `CAMPUSGEN_CSV`.

use super::RequestFlood as Plugin;
use super::replay::{self, Capture};

/// The attack classes this detector finds.
const CLASSES: [&str; 3] = ["flood", "ddos", "slow-dos"];

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

/// `CAMPUSGEN_CSV=/tmp/day.csv cargo test -p request-flood campusgen -- --ignored --nocapture`
#[test]
#[ignore = "needs a campusgen CSV in CAMPUSGEN_CSV"]
fn campusgen_day() {
    replay::campusgen_day(&CLASSES, run);
}
