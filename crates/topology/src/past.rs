//! Past versions: the topology as it was at any version the history still covers, rebuilt
//! from the current graph by undoing the diff between that version and now. Utilisation is
//! not versioned (telemetry makes no version), so a past snapshot shows current utilisation
//! on the links that exist in both.

use std::sync::Arc;

use super::{HistoryError, TopologySnapshot, TopologyStore};
use netassure_model::TopologyChange;

impl TopologyStore {
    /// The topology at `version`; the current one when `version` is the current version.
    pub fn snapshot_at(&self, version: u64) -> Result<Arc<TopologySnapshot>, HistoryError> {
        let current = self.snapshot();
        if version == current.version() {
            return Ok(current);
        }
        let diff = self.diff(version, current.version())?;
        let mut graph = current.graph.clone();
        let mut undo = Vec::new();
        undo.extend(
            diff.links_added
                .iter()
                .map(|link| TopologyChange::LinkRemove {
                    id: link.id.to_string(),
                }),
        );
        undo.extend(
            diff.nodes_added
                .iter()
                .map(|node| TopologyChange::NodeRemove {
                    id: node.id.to_string(),
                }),
        );
        undo.extend(
            diff.nodes_removed
                .iter()
                .chain(diff.nodes_changed.iter().map(|changed| &changed.before))
                .map(|node| TopologyChange::NodeUpsert { node: node.clone() }),
        );
        undo.extend(
            diff.links_removed
                .iter()
                .chain(diff.links_changed.iter().map(|changed| &changed.before))
                .map(|link| TopologyChange::LinkUpsert { link: link.clone() }),
        );
        let mut applied = Vec::new();
        for change in &undo {
            // Every change undoes one recorded by the history, so it applies.
            let _ = graph.apply(change, &mut applied);
        }
        Ok(Arc::new(TopologySnapshot {
            version,
            revision: 0,
            timestamp_ms: 0,
            graph,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::TopologyStore;
    use netassure_model::{Link, Node, OperState, TopologyChange, TopologyDelta};

    fn node(id: &str) -> Node {
        serde_json::from_value(serde_json::json!({"id": id})).unwrap()
    }

    fn link(id: &str, source: &str, target: &str) -> Link {
        serde_json::from_value(serde_json::json!({"id": id, "source": source, "target": target}))
            .unwrap()
    }

    fn apply(store: &TopologyStore, snapshot: bool, changes: Vec<TopologyChange>) {
        let delta = TopologyDelta {
            sequence: 0,
            snapshot,
            changes,
        };
        store.apply(&delta, 1);
    }

    #[test]
    fn past_versions_are_rebuilt_exactly() {
        let store = TopologyStore::new();
        apply(
            &store,
            true,
            vec![
                TopologyChange::NodeUpsert { node: node("a") },
                TopologyChange::NodeUpsert { node: node("b") },
                TopologyChange::LinkUpsert {
                    link: link("ab", "a", "b"),
                },
            ],
        );
        let version_1 = store.snapshot();
        apply(
            &store,
            false,
            vec![TopologyChange::LinkState {
                id: "ab".into(),
                state: OperState::Down,
            }],
        );
        apply(
            &store,
            false,
            vec![
                TopologyChange::NodeUpsert { node: node("c") },
                TopologyChange::LinkUpsert {
                    link: link("bc", "b", "c"),
                },
                TopologyChange::NodeRemove { id: "a".into() },
            ],
        );
        let rebuilt = store.snapshot_at(1).unwrap();
        assert_eq!(rebuilt.version(), 1);
        let ids = |s: &crate::TopologySnapshot| {
            let mut nodes: Vec<String> = s.nodes().map(|n| n.id.to_string()).collect();
            let mut links: Vec<(String, OperState)> =
                s.links().map(|l| (l.id.to_string(), l.state)).collect();
            nodes.sort();
            links.sort_by(|a, b| a.0.cmp(&b.0));
            (nodes, links)
        };
        assert_eq!(ids(&rebuilt), ids(&version_1));
        let version_2 = store.snapshot_at(2).unwrap();
        assert_eq!(ids(&version_2).1, vec![("ab".to_owned(), OperState::Down)]);
        assert!(store.snapshot_at(99).is_err());
        assert_eq!(store.snapshot_at(3).unwrap().version(), 3);
    }
}
