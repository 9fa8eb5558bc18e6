//! Hash maps and sets for plugins: hashbrown's tables with foldhash (fast on the short keys
//! flow detectors use: addresses, ports, pairs), keyed with a random secret drawn once per
//! plugin instance.
//!
//! In WebAssembly foldhash and hashbrown's default hasher seed themselves from addresses,
//! which are the same in every deployment of a plugin: anyone could compute, offline, flows
//! whose keys all collide and slow a detector down to its CPU deadline. The secret here comes
//! from the standard library's randomly keyed hasher (WASI `random` in a plugin), so the
//! collisions cannot be worked out in advance.
//!
//! Use them as hashbrown's, with `default()` for `new()` and `with_capacity_and_hasher` for
//! `with_capacity`:
//!
//! ```
//! use netassure_plugin_sdk::collections::{HashMap, HashSet};
//!
//! let mut bytes: HashMap<u128, u64> = HashMap::default();
//! *bytes.entry(7).or_default() += 1_500;
//! let mut seen: HashSet<u16> = HashSet::with_capacity_and_hasher(16, Default::default());
//! seen.insert(443);
//! assert_eq!((bytes[&7], seen.len()), (1_500, 1));
//! ```

use std::hash::BuildHasher;
use std::sync::OnceLock;

/// A hash map keyed with this instance's secret.
pub type HashMap<K, V> = hashbrown::HashMap<K, V, RandomlySeeded>;

/// A hash set keyed with this instance's secret.
pub type HashSet<T> = hashbrown::HashSet<T, RandomlySeeded>;

/// foldhash with a seed drawn at random once per instance.
#[derive(Debug, Clone)]
pub struct RandomlySeeded(foldhash::fast::FixedState);

impl Default for RandomlySeeded {
    fn default() -> Self {
        static SEED: OnceLock<u64> = OnceLock::new();
        let seed = *SEED.get_or_init(|| {
            std::collections::hash_map::RandomState::new().hash_one(0x6e65_7461_7373_7572_u64)
        });
        RandomlySeeded(foldhash::fast::FixedState::with_seed(seed))
    }
}

impl BuildHasher for RandomlySeeded {
    type Hasher = foldhash::fast::FoldHasher<'static>;

    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}
