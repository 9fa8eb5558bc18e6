//! The live feed of analytics events (`GET /ws/events`): anomalies, alerts opened or changed,
//! topology versions and plugin changes, fanned out through a bounded broadcast channel.
//! Publishing never waits: a subscriber that falls more than the buffer behind loses the
//! oldest events and is told how many (`{"type": "lagged", "missed": N}`).
//!
//! Outbound sinks (webhook, NATS) do not read that shared buffer: each has a [`SinkQueue`] of
//! its own, filled with the events it carries, in order. It loses nothing while it holds
//! fewer than its capacity (65,536 by default); past that, new events are refused and counted,
//! never silently skipped.

use std::sync::{Arc, OnceLock, RwLock};

use prometheus_client::metrics::counter::Counter;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};

use crate::model::{AlertRecord, AnomalyRecord};

/// One feed event.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FeedEvent {
    /// A detector reported an anomaly.
    Anomaly {
        /// The anomaly.
        anomaly: Box<AnomalyRecord>,
        /// True when a false positive silenced it (no alert follows).
        suppressed: bool,
        /// False when the findings database refused it (`GET /anomalies/{id}` will not know it).
        stored: bool,
    },
    /// An alert rule raised an alert (new, or a repeat of an open one).
    AlertOpened {
        /// The decision, with the stored alert id.
        alert: Box<AlertRecord>,
        /// False when the findings database refused it (`GET /alerts/{id}` will not know it).
        stored: bool,
    },
    /// An operator changed an alert (ack, resolve, feedback).
    AlertChanged {
        /// Alert id.
        alert_id: String,
        /// New status.
        status: String,
    },
    /// The topology has a new version.
    TopologyChanged {
        /// The version.
        version: u64,
    },
    /// A plugin was installed, swapped, reconfigured, enabled, disabled or removed.
    PluginChanged {
        /// Registry name.
        plugin: String,
        /// What happened.
        change: String,
    },
}

impl FeedEvent {
    /// The `type` name, for filters.
    pub fn kind(&self) -> &'static str {
        match self {
            FeedEvent::Anomaly { .. } => "anomaly",
            FeedEvent::AlertOpened { .. } => "alert-opened",
            FeedEvent::AlertChanged { .. } => "alert-changed",
            FeedEvent::TopologyChanged { .. } => "topology-changed",
            FeedEvent::PluginChanged { .. } => "plugin-changed",
        }
    }
}

/// An event as subscribers receive it: the event and its JSON text, made once by the first
/// subscriber that needs it and shared by all others (100 WebSocket clients cost one
/// serialisation, not 100).
#[derive(Debug)]
pub struct Published {
    event: FeedEvent,
    json: OnceLock<String>,
}

impl Published {
    /// The event.
    pub fn event(&self) -> &FeedEvent {
        &self.event
    }

    /// The event as JSON text.
    pub fn json(&self) -> &str {
        self.json
            .get_or_init(|| serde_json::to_string(&self.event).expect("feed events serialise"))
    }
}

/// Which events a sink carries.
pub type SinkFilter = fn(&FeedEvent) -> bool;

/// The publishing side of a sink's queue.
#[derive(Debug)]
struct SinkSender {
    wants: SinkFilter,
    sender: mpsc::Sender<Arc<Published>>,
    refused: Counter,
}

/// A sink's own queue of feed events.
pub type SinkQueue = mpsc::Receiver<Arc<Published>>;

/// The feed.
#[derive(Debug, Clone)]
pub struct Feed {
    sender: broadcast::Sender<Arc<Published>>,
    sinks: Arc<RwLock<Vec<SinkSender>>>,
}

impl Feed {
    /// A feed keeping at most `buffer` events per subscriber.
    pub fn new(buffer: usize) -> Self {
        Feed {
            sender: broadcast::channel(buffer.max(1)).0,
            sinks: Arc::new(RwLock::new(Vec::new())),
        }
    }

    /// A queue of every event `wants` accepts from now on, holding up to `capacity`; an event
    /// arriving when it is full is refused and counted in `refused`.
    pub(crate) fn sink_queue(
        &self,
        wants: SinkFilter,
        capacity: usize,
        refused: Counter,
    ) -> SinkQueue {
        let (sender, queue) = mpsc::channel(capacity.max(1));
        self.sinks
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(SinkSender {
                wants,
                sender,
                refused,
            });
        queue
    }

    fn offer_to_sinks(&self, published: &Arc<Published>) {
        let sinks = self
            .sinks
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for sink in sinks.iter().filter(|sink| (sink.wants)(&published.event)) {
            if let Err(mpsc::error::TrySendError::Full(_)) = sink.sender.try_send(published.clone())
            {
                sink.refused.inc();
            }
        }
    }

    /// Clients currently subscribed.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Publish an event (never waits; dropped when nobody listens).
    pub fn publish(&self, event: FeedEvent) {
        let published = Arc::new(Published {
            event,
            json: OnceLock::new(),
        });
        self.offer_to_sinks(&published);
        let _ = self.sender.send(published);
    }

    /// A new subscriber.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.sender.subscribe()
    }
}
