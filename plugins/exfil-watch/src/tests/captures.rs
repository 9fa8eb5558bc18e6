//! The real captures: the scp exfiltration is found, with its parties; nothing in the benign
//! captures nor in the other attacks (all from internet hosts, or internal).

use netassure_plugin_sdk::prelude::*;

use super::replay::{captures, forget_everything, replay};
use super::{Config, ExfilWatch};

/// A capture lasts minutes: nothing to learn first, every address is new.
fn detector() -> ExfilWatch {
    forget_everything();
    let mut detector = ExfilWatch::default();
    detector
        .configure(Config {
            learning_s: 0,
            ..Config::default()
        })
        .unwrap();
    detector
}

#[test]
fn the_scp_exfiltration_is_found_and_nothing_else() {
    let all = captures();
    if all.is_empty() {
        eprintln!("no capture corpus: skipped");
        return;
    }
    let mut exfiltrations = 0;
    for capture in &all {
        let found = replay(&mut detector(), &capture.name);
        let truth: Vec<_> = capture
            .attacks
            .iter()
            .filter(|(class, ..)| class == "exfiltration")
            .collect();
        if capture.benign || truth.is_empty() {
            assert!(found.is_empty(), "{}: {found:#?}", capture.name);
            continue;
        }
        exfiltrations += 1;
        assert!(
            !found.is_empty(),
            "{}: the exfiltration is missed",
            capture.name
        );
        for finding in &found {
            let evidence = finding.evidence.as_ref().unwrap();
            let (_, attackers, victims) = truth[0];
            assert_eq!(&evidence.attackers, attackers, "{}", capture.name);
            assert_eq!(&evidence.victims, victims, "{}", capture.name);
            assert_eq!(evidence.services, ["tcp/22"]);
            assert!(evidence.alerting && finding.score >= 0.6, "{finding:#?}");
            println!(
                "{}: {:.2} {}",
                capture.name, finding.score, finding.description
            );
        }
    }
    assert_eq!(exfiltrations, 1, "the corpus has one exfiltration");
}
