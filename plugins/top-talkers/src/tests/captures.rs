//! The real captures: minutes of traffic, no history — nothing is judged, and the hour's top
//! senders are published (the scp exfiltration's workstation first).

use netassure_plugin_sdk::prelude::*;

use super::replay::{captures, forget_everything, replay};
use super::{Config, TopTalkers};

#[test]
fn captures_without_history_are_ranked_not_judged() {
    let all = captures();
    if all.is_empty() {
        eprintln!("no capture corpus: skipped");
        return;
    }
    for capture in &all {
        forget_everything();
        let mut detector = TopTalkers::default();
        detector.configure(Config::default()).unwrap();
        let found = replay(&mut detector, &capture.name);
        assert!(
            found.is_empty(),
            "{} (benign: {}): {found:#?}",
            capture.name,
            capture.benign
        );
        if capture.name == "scp-exfiltration" {
            let engine = detector.engine.as_ref().unwrap();
            let top = engine.kinds[0].top(1);
            assert_eq!(top[0].0.label(), capture.attacks[0].1[0], "{top:?}");
        }
    }
}
