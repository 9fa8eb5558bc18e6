//! Id → index lookup that stores no key: the id lives once, in the node or link itself, and
//! the table holds only the 4-byte graph index (about 90 bytes a link less than a
//! `HashMap<String, _>` on the test topology).

use std::hash::BuildHasher;

use hashbrown::DefaultHashBuilder;
use hashbrown::HashTable;

/// Graph indices by the id of what they point to.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdIndex<I> {
    table: HashTable<I>,
    hasher: DefaultHashBuilder,
}

impl<I: Copy> IdIndex<I> {
    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(id)
    }

    /// The index of `id`; `key_of` gives the id stored at an index.
    pub fn get<'a>(&self, id: &str, key_of: impl Fn(I) -> &'a str) -> Option<I> {
        self.table
            .find(self.hash(id), |&index| key_of(index) == id)
            .copied()
    }

    /// Add `id` at `index`; `id` must not be present (use [`IdIndex::remove`] first).
    pub fn insert<'a>(&mut self, id: &str, index: I, key_of: impl Fn(I) -> &'a str) {
        let hasher = self.hasher.clone();
        self.table.insert_unique(self.hash(id), index, |&existing| {
            hasher.hash_one(key_of(existing))
        });
    }

    /// Remove `id`, returning its index. Call it while the id is still stored at that index.
    pub fn remove<'a>(&mut self, id: &str, key_of: impl Fn(I) -> &'a str) -> Option<I> {
        match self
            .table
            .find_entry(self.hash(id), |&index| key_of(index) == id)
        {
            Ok(entry) => Some(entry.remove().0),
            Err(_) => None,
        }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.table.len()
    }
}
