//! The real captures hold no beacon; nothing there is one — not the monitoring server polling
//! its hosts every few seconds, not the MQTT sensors publishing every 2 s, not the SIP calls —
//! even when internal hosts count (`external_only` false).

use netassure_plugin_sdk::prelude::*;

use super::replay::{captures, forget_everything, replay};
use super::{BeaconWatch, Config};

#[test]
fn no_capture_holds_a_beacon() {
    let all = captures();
    if all.is_empty() {
        eprintln!("no capture corpus: skipped");
        return;
    }
    for capture in &all {
        assert!(capture.attacks.iter().all(|(class, ..)| class != "beacon"));
        for external_only in [true, false] {
            forget_everything();
            let mut detector = BeaconWatch::default();
            detector
                .configure(Config {
                    external_only,
                    ..Config::default()
                })
                .unwrap();
            let found = replay(&mut detector, &capture.name);
            assert!(
                found.is_empty(),
                "{} (benign: {}): {found:#?}",
                capture.name,
                capture.benign
            );
        }
    }
}
