//! `graph`: read-only topology snapshots as a host-owned resource.

use std::sync::Arc;

use wasmtime::component::Resource;

use crate::bindings::graph::{Csr, Host, HostSnapshot};
use crate::bindings::topology::{Link, Node};
use crate::{PluginState, convert};
use netassure_topology::TopologySnapshot;

/// What a `snapshot` handle points to: one immutable topology version.
pub struct SnapshotHandle(pub Arc<TopologySnapshot>);

impl PluginState {
    fn snapshot(&self, handle: &Resource<SnapshotHandle>) -> wasmtime::Result<&TopologySnapshot> {
        Ok(&self.table.get(handle)?.0)
    }
}

impl PluginState {
    /// The topology a `graph.current()` call sees: during an event, the version the event left
    /// behind (rebuilt from the history when the store has moved on, and kept for the next
    /// call); otherwise the newest.
    fn current_snapshot(&mut self) -> Arc<TopologySnapshot> {
        let store = &self.services.topology;
        let newest = store.snapshot();
        let Some(version) = self
            .delivering
            .as_ref()
            .map(|delivered| delivered.topology_version)
            .filter(|&v| v != newest.version())
        else {
            return newest;
        };
        if let Some(past) = self
            .past_snapshot
            .as_ref()
            .filter(|p| p.version() == version)
        {
            return past.clone();
        }
        match store.snapshot_at(version) {
            Ok(past) => {
                self.past_snapshot = Some(past.clone());
                past
            }
            // Older than the retained history: the newest is the best there is.
            Err(_) => newest,
        }
    }
}

impl Host for PluginState {
    fn current(&mut self) -> wasmtime::Result<Resource<SnapshotHandle>> {
        let snapshot = self.current_snapshot();
        Ok(self.table.push(SnapshotHandle(snapshot))?)
    }
}

impl HostSnapshot for PluginState {
    fn version(&mut self, this: Resource<SnapshotHandle>) -> wasmtime::Result<u64> {
        Ok(self.snapshot(&this)?.version())
    }

    fn node_count(&mut self, this: Resource<SnapshotHandle>) -> wasmtime::Result<u32> {
        Ok(self.snapshot(&this)?.node_count() as u32)
    }

    fn link_count(&mut self, this: Resource<SnapshotHandle>) -> wasmtime::Result<u32> {
        Ok(self.snapshot(&this)?.link_count() as u32)
    }

    fn node(
        &mut self,
        this: Resource<SnapshotHandle>,
        id: String,
    ) -> wasmtime::Result<Option<Node>> {
        Ok(self.snapshot(&this)?.node(&id).map(convert::node))
    }

    fn link(
        &mut self,
        this: Resource<SnapshotHandle>,
        id: String,
    ) -> wasmtime::Result<Option<Link>> {
        Ok(self.snapshot(&this)?.link(&id).map(convert::link))
    }

    fn nodes(&mut self, this: Resource<SnapshotHandle>) -> wasmtime::Result<Vec<Node>> {
        Ok(self.snapshot(&this)?.nodes().map(convert::node).collect())
    }

    fn links(&mut self, this: Resource<SnapshotHandle>) -> wasmtime::Result<Vec<Link>> {
        Ok(self.snapshot(&this)?.links().map(convert::link).collect())
    }

    fn neighbours(
        &mut self,
        this: Resource<SnapshotHandle>,
        id: String,
    ) -> wasmtime::Result<Vec<String>> {
        Ok(self.snapshot(&this)?.neighbours(&id))
    }

    fn links_of(
        &mut self,
        this: Resource<SnapshotHandle>,
        id: String,
    ) -> wasmtime::Result<Vec<Link>> {
        Ok(self
            .snapshot(&this)?
            .links_of(&id)
            .into_iter()
            .map(convert::link)
            .collect())
    }

    fn to_csr(&mut self, this: Resource<SnapshotHandle>) -> wasmtime::Result<Csr> {
        let csr = self.snapshot(&this)?.to_csr();
        Ok(Csr {
            node_ids: csr.node_ids,
            offsets: csr.offsets,
            targets: csr.targets,
            link_ids: csr.link_ids,
            capacity_bps: csr.capacity_bps,
            utilisation: csr.utilisation,
        })
    }

    fn drop(&mut self, this: Resource<SnapshotHandle>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}
