//! Flow files → model inputs, exactly as the host cuts and builds them: `FlowFile` reads the
//! file (NIDS CSV, JSON lines, pcap), `for_each_window` cuts tumbling windows by flow end time,
//! and each window's host graph gives [`GaeInputs`] (as `netassure eval` and the detector
//! plugin do).

use std::path::Path;

use netassure_flowgraph::gae::GaeInputs;
use netassure_flowgraph::{FlowSlices, HostGraph};
use netassure_netflow::FlowColumns;
use netassure_netflow::files::{FlowFile, FlowFileError};

/// One window: the model's inputs and each flow's label.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelledWindow {
    /// The inputs.
    pub inputs: GaeInputs,
    /// Per flow: true for an attack.
    pub attack: Vec<bool>,
    /// Per flow: attack class (`Benign` for benign flows).
    pub class: Vec<String>,
}

/// The model's inputs for a window of flows: its host graph, then [`GaeInputs::new`].
pub fn gae_inputs(columns: &FlowColumns) -> GaeInputs {
    let slices = FlowSlices {
        src_addr: columns.src_addr.as_flattened(),
        dst_addr: columns.dst_addr.as_flattened(),
        src_port: &columns.src_port,
        dst_port: &columns.dst_port,
        protocol: &columns.protocol,
        tcp_flags: &columns.tcp_flags,
        bytes: &columns.bytes,
        packets: &columns.packets,
        start_ms: &columns.start_ms,
        end_ms: &columns.end_ms,
    };
    let graph = HostGraph::build(slices);
    GaeInputs::new(&graph, &slices)
}

/// Every window of the flow file `path` (`window_ms` wide by end time, at most `window_flows`
/// flows; the host's defaults are 10,000 and 100,000).
pub fn read_windows(
    path: &Path,
    window_ms: u64,
    window_flows: usize,
) -> Result<Vec<LabelledWindow>, FlowFileError> {
    let mut file = FlowFile::open(path)?;
    let mut windows = Vec::new();
    file.for_each_window(window_ms, window_flows, |window, _| {
        windows.push(LabelledWindow {
            inputs: gae_inputs(&window.flows),
            attack: window.labels.iter().map(|l| l.attack).collect(),
            class: window.labels.into_iter().map(|l| l.class).collect(),
        });
        Ok::<(), FlowFileError>(())
    })?;
    Ok(windows)
}
