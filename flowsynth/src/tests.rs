//! Reproducibility, labels and the daily rhythm.

use crate::{AttackClass, Scenario, generate, write_nids_csv};

/// Three office hours (09:00–12:00) of 40 clients, one episode of each attack.
fn small() -> Scenario {
    Scenario {
        start_ms: Scenario::default().start_ms + 9 * 3_600_000,
        minutes: 180,
        clients: 40,
        episodes: 1,
        ..Scenario::default()
    }
}

#[test]
fn the_same_seed_gives_the_same_flows_and_another_does_not() {
    let a = generate(&small());
    assert_eq!(a, generate(&small()));
    assert_ne!(a, generate(&Scenario { seed: 8, ..small() }));
    assert!(
        a.windows(2).all(|w| w[0].start_ms <= w[1].start_ms),
        "in start order"
    );
}

#[test]
fn every_class_is_injected_and_labelled() {
    let flows = generate(&small());
    for class in AttackClass::ALL {
        let count = flows.iter().filter(|f| f.attack == Some(class)).count();
        assert!(count > 0, "{class:?}");
    }
    let benign = flows.iter().filter(|f| f.attack.is_none()).count();
    assert!(benign > flows.len() / 3, "{benign} of {}", flows.len());
    let clean = generate(&Scenario {
        attacks: vec![],
        ..small()
    });
    assert!(clean.iter().all(|f| f.attack.is_none()));
}

#[test]
fn office_hours_are_busier_than_nights() {
    let day = generate(&Scenario {
        minutes: 24 * 60,
        clients: 30,
        attacks: vec![],
        ..Scenario::default()
    });
    let in_hour = |hour: u64| {
        day.iter()
            .filter(|f| (f.start_ms / 3_600_000) % 24 == hour)
            .count()
    };
    assert!(
        in_hour(10) > 5 * in_hour(3),
        "10:00 {} vs 03:00 {}",
        in_hour(10),
        in_hour(3)
    );
}

#[test]
fn the_csv_has_the_nids_columns_and_one_row_per_flow() {
    let flows = generate(&small());
    let mut out = Vec::new();
    write_nids_csv(&flows, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("IPV4_SRC_ADDR,L4_SRC_PORT,IPV4_DST_ADDR")
    );
    assert_eq!(lines.count(), flows.len());
}
