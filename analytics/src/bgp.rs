//! BGP route leaks: an AS path is valley-free when, followed from the origin, the route goes
//! up customer→provider links, across at most one peer link, then only down
//! provider→customer links (Gao–Rexford). A path that goes up or across again after going
//! across or down was exported by an AS against its relationships: a leak (RFC 7908).

use std::collections::HashMap;

/// How a route moves over one hop, from the exporting AS to the receiving one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    /// To a provider of the exporter.
    Up,
    /// To a peer.
    Across,
    /// To a customer of the exporter.
    Down,
}

/// Business relationships between ASes.
#[derive(Debug, Clone, Default)]
pub struct Relationships {
    hops: HashMap<(u32, u32), Hop>,
}

impl Relationships {
    /// `customer` buys transit from `provider`.
    pub fn customer_provider(&mut self, customer: u32, provider: u32) {
        self.hops.insert((customer, provider), Hop::Up);
        self.hops.insert((provider, customer), Hop::Down);
    }

    /// `a` and `b` peer.
    pub fn peers(&mut self, a: u32, b: u32) {
        self.hops.insert((a, b), Hop::Across);
        self.hops.insert((b, a), Hop::Across);
    }

    /// The hop from `exporter` to `receiver`, when their relationship is known.
    pub fn hop(&self, exporter: u32, receiver: u32) -> Option<Hop> {
        self.hops.get(&(exporter, receiver)).copied()
    }
}

/// The verdict on one observed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Valley-free.
    ValleyFree,
    /// Not valley-free: `leaker` exported the route to `receiver` against its relationships.
    Leak {
        /// The AS that leaked.
        leaker: u32,
        /// The AS it leaked to.
        receiver: u32,
    },
    /// A hop between ASes with no known relationship: no verdict.
    Unknown {
        /// The exporter of the unknown hop.
        exporter: u32,
        /// The receiver of the unknown hop.
        receiver: u32,
    },
}

/// Judge `path` as seen by `observer`: AS numbers from the neighbour the observer learned the
/// route from to the origin (prepended repeats allowed).
pub fn check_path(relationships: &Relationships, observer: u32, path: &[u32]) -> Verdict {
    let mut route: Vec<u32> = path.iter().rev().copied().collect();
    route.push(observer);
    route.dedup();
    let mut descending = false;
    for hop in route.windows(2) {
        let (exporter, receiver) = (hop[0], hop[1]);
        match relationships.hop(exporter, receiver) {
            None => return Verdict::Unknown { exporter, receiver },
            Some(Hop::Up | Hop::Across) if descending => {
                return Verdict::Leak {
                    leaker: exporter,
                    receiver,
                };
            }
            Some(Hop::Up) => {}
            Some(Hop::Across | Hop::Down) => descending = true,
        }
    }
    Verdict::ValleyFree
}

/// Parse an `as_paths` attribute: `;`-separated paths of space-separated AS numbers. Paths
/// with anything but numbers are skipped.
pub fn parse_paths(attribute: &str) -> Vec<Vec<u32>> {
    attribute
        .split(';')
        .filter_map(|path| {
            let asns: Result<Vec<u32>, _> = path.split_whitespace().map(str::parse).collect();
            asns.ok().filter(|asns| !asns.is_empty())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tier-1 3356; transits 65011, 65012 its customers; stub 64512 customer of both.
    fn relationships() -> Relationships {
        let mut r = Relationships::default();
        r.customer_provider(65011, 3356);
        r.customer_provider(65012, 3356);
        r.customer_provider(64512, 65011);
        r.customer_provider(64512, 65012);
        r.peers(65011, 65012);
        r
    }

    #[test]
    fn a_stub_passing_one_providers_route_to_the_other_is_a_leak() {
        let r = relationships();
        assert_eq!(
            check_path(&r, 65012, &[64512, 65011, 3356]),
            Verdict::Leak {
                leaker: 64512,
                receiver: 65012
            }
        );
        assert_eq!(
            check_path(&r, 3356, &[65011, 64512]),
            Verdict::ValleyFree,
            "up, up"
        );
        assert_eq!(
            check_path(&r, 64512, &[65012, 3356]),
            Verdict::ValleyFree,
            "down, down"
        );
        assert_eq!(
            check_path(&r, 64512, &[65012, 65011]),
            Verdict::ValleyFree,
            "across, down"
        );
        assert_eq!(
            check_path(&r, 3356, &[65012, 65011]),
            Verdict::Leak {
                leaker: 65012,
                receiver: 3356
            },
            "across then up"
        );
        assert_eq!(
            check_path(&r, 3356, &[65011, 65011, 64512]),
            Verdict::ValleyFree,
            "prepends"
        );
        assert!(matches!(check_path(&r, 1, &[2]), Verdict::Unknown { .. }));
        assert_eq!(
            parse_paths("65011 64512;x 1; ;3357"),
            vec![vec![65011, 64512], vec![3357]]
        );
    }
}
