//! [`FlowWindows`]: flows cut into tumbling windows by their end time, and by count.

use crate::columns::{FlowColumns, FlowRow};
use crate::nids::Label;

/// One closed window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    /// Start, ms since the epoch (inclusive).
    pub start_ms: u64,
    /// End, ms since the epoch (exclusive).
    pub end_ms: u64,
    /// The flows.
    pub flows: FlowColumns,
    /// Their labels, one per flow.
    pub labels: Vec<Label>,
}

/// Cuts flows into windows: a flow belongs to the window `[k·window_ms, (k+1)·window_ms)` that
/// holds its end time, and a window also closes when it reaches `window_flows` flows (the next
/// one then covers the same span). Flows should come roughly in time order, as files and
/// exporters give them: a flow that ends before the open window is put in it and counted as
/// `late`. With `window_ms` = 0, windows go by count only.
pub struct FlowWindows {
    window_ms: u64,
    window_flows: usize,
    exporter: String,
    open: Option<Window>,
    /// Flows that ended before the window they were put in.
    pub late: u64,
}

impl FlowWindows {
    /// Windows of `window_ms` and at most `window_flows` flows, all from `exporter`.
    pub fn new(window_ms: u64, window_flows: usize, exporter: &str) -> Self {
        FlowWindows {
            window_ms,
            window_flows: window_flows.max(1),
            exporter: exporter.to_owned(),
            open: None,
            late: 0,
        }
    }

    fn span(&self, end_ms: u64) -> (u64, u64) {
        match self.window_ms {
            0 => (end_ms, end_ms),
            width => {
                let start = end_ms - end_ms % width;
                (start, start + width)
            }
        }
    }

    /// Add a flow; returns the window it closed, if any.
    pub fn push(&mut self, flow: &FlowRow, label: Label) -> Option<Window> {
        let (start_ms, end_ms) = self.span(flow.end_ms);
        let crosses = self.open.as_ref().is_some_and(|open| {
            (self.window_ms > 0 && start_ms >= open.end_ms) || open.flows.len() >= self.window_flows
        });
        let closed = if crosses { self.open.take() } else { None };
        let exporter = self.exporter.clone();
        let window = self.open.get_or_insert_with(|| {
            let mut flows = FlowColumns::default();
            flows.exporter_index(&exporter);
            Window {
                start_ms,
                end_ms,
                flows,
                labels: Vec::new(),
            }
        });
        if self.window_ms > 0 && flow.end_ms < window.start_ms {
            self.late += 1;
        }
        if self.window_ms == 0 {
            window.start_ms = window.start_ms.min(flow.start_ms);
            window.end_ms = window.end_ms.max(flow.end_ms + 1);
        }
        window.flows.push(flow, 0);
        window.labels.push(label);
        closed
    }

    /// Close the open window, if it has flows.
    pub fn finish(&mut self) -> Option<Window> {
        self.open.take().filter(|window| !window.flows.is_empty())
    }
}
