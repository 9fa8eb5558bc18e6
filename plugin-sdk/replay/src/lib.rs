//! Test support for flow detector plugins (a dev-dependency, built natively): flow files and
//! the labelled real captures of `tests/fixtures/captures/` read as the host reads them and
//! replayed through a detector in 10-s windows.
//!
//! - [`windows`]: any flow file (pcap, NetFlow capture, NIDS or campusgen CSV) with labels
//!   per attack (attackers as addresses or networks), and scoring findings against them.
//! - [`captures`]: the corpus by capture name, with (class, attackers, victims) per attack,
//!   and a reset of the native persistent state between captures.

pub mod captures;
pub mod windows;
