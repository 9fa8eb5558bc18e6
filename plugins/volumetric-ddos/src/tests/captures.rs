//! The real captures. At the defaults nothing there is a volumetric DDoS (the floods run at
//! 1,000 packets/s for two seconds). Scaled to the lab (100 sources, 100 packets/s), the SYN
//! flood from random spoofed sources is found — its victim, its service, its 2,000 sources —
//! while the busy web site, the other benign captures, the single-source floods and the
//! 32-bot HTTP flood (completed requests: load, not a volumetric flood) are not.

use netassure_plugin_sdk::prelude::*;

use super::replay::{captures, forget_everything, replay};
use super::{Config, VolumetricDdos};

fn detector(config: Config) -> VolumetricDdos {
    forget_everything();
    let mut detector = VolumetricDdos::default();
    detector.configure(config).unwrap();
    detector
}

fn lab() -> Config {
    Config {
        min_sources: 100,
        min_pps: 100.0,
        min_bps: 1e6,
        ..Config::default()
    }
}

#[test]
fn the_spoofed_syn_flood_is_found_and_nothing_else() {
    let all = captures();
    if all.is_empty() {
        eprintln!("no capture corpus: skipped");
        return;
    }
    for capture in &all {
        assert!(
            replay(&mut detector(Config::default()), &capture.name).is_empty(),
            "{}",
            capture.name
        );
        let found = replay(&mut detector(lab()), &capture.name);
        if capture.benign || capture.name != "hping3-syn-flood-rand-source" {
            assert!(found.is_empty(), "{}: {found:#?}", capture.name);
            continue;
        }
        let (class, _, victims) = &capture.attacks[0];
        assert_eq!(class, "ddos");
        assert!(!found.is_empty(), "{}: missed", capture.name);
        for finding in &found {
            let evidence = finding.evidence.as_ref().unwrap();
            assert_eq!(&evidence.victims, victims);
            assert_eq!(evidence.services, ["tcp/443"]);
            assert!(
                evidence.attacker_count > 1_500,
                "{}",
                evidence.attacker_count
            );
            assert!(
                evidence.attackers.iter().all(|a| a.starts_with("185.112.")),
                "{:?}",
                evidence.attackers
            );
            println!(
                "{}: {:.2} {}",
                capture.name, finding.score, finding.description
            );
        }
    }
}
