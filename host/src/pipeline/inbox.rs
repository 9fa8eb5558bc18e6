//! Where the pipeline hands a plugin its work: the plugin's queue, as the registry keeps it.
//! The pipeline only sees this trait, so it depends on no registry type (the registry depends
//! on the pipeline, not the other way round).

use std::sync::Arc;

use super::{AnomalyJob, DeliveredEvent};

/// What became of an offer made without waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Queued.
    Taken,
    /// The queue was full; nothing was queued.
    Full,
    /// The plugin is gone (stopped or removed).
    Gone,
}

/// A plugin's queue.
pub trait PluginInbox: Send + Sync {
    /// Queue an event for a detector, waiting for room; false when the plugin is gone.
    fn event(&self, event: Arc<DeliveredEvent>) -> bool;
    /// Queue an event for a detector if there is room now.
    fn offer_event(&self, event: Arc<DeliveredEvent>) -> Offer;
    /// Queue an anomaly for an alert rule, waiting for room; false when the plugin is gone.
    fn anomaly(&self, job: Arc<AnomalyJob>) -> bool;
}
