//! The topology stream client (`[ingest.topology]`, `--topology-ws URL`): connects to a
//! topology engine's WebSocket, applies the snapshot and the deltas that follow in sequence,
//! and recovers on its own.
//!
//! - Unknown message types and unknown fields are counted and logged, never fatal; so are
//!   malformed messages.
//! - A sequence gap sends `{"type":"resync"}` and drops messages until the next snapshot; no
//!   snapshot within `resync_timeout_ms` means reconnect.
//! - Disconnects reconnect with exponential backoff (from `reconnect_min_ms`, doubling, capped
//!   at `reconnect_max_ms`) with ±20% jitter; the backoff starts over only after a session
//!   that lasted [`STABLE_SESSION`], so an engine that drops every connection at once (a
//!   message over `max_message_mb`, say) is not hammered.
//! - An engine that sends nothing (nor answers pings) for `idle_timeout_ms` is taken for
//!   frozen: the client reconnects.
//!
//! The protocol is in `docs/topology-stream.md`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use super::TopologyStreamConfig;
use crate::Publish;
use netassure_model::InputEvent;
use netassure_model::decode::{Decoded, decode};

/// A session at least this long resets the reconnect backoff.
pub(crate) const STABLE_SESSION: Duration = Duration::from_secs(10);

/// Counters and state of the client, as `/status` shows them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StreamStats {
    /// The stream's URL.
    pub url: String,
    /// `connecting`, `connected`, `resyncing`, `backoff` or `stopped`.
    pub state: &'static str,
    /// Successful connections.
    pub connects: u64,
    /// Connections lost or closed.
    pub disconnects: u64,
    /// Failed connection attempts.
    pub connect_failures: u64,
    /// Messages received.
    pub messages: u64,
    /// Snapshots applied.
    pub snapshots: u64,
    /// Deltas applied.
    pub deltas: u64,
    /// Telemetry samples applied.
    pub telemetry: u64,
    /// Heartbeats received.
    pub heartbeats: u64,
    /// Sequence gaps seen.
    pub gaps: u64,
    /// Resync requests sent.
    pub resyncs: u64,
    /// Messages older than the last applied one (ignored).
    pub stale: u64,
    /// Messages dropped while waiting for a snapshot.
    pub dropped_waiting_for_snapshot: u64,
    /// Messages of unknown type (ignored).
    pub unknown_types: u64,
    /// Unknown fields (ignored).
    pub unknown_fields: u64,
    /// Messages that could not be decoded.
    pub malformed: u64,
    /// Last applied sequence number.
    pub last_seq: Option<u64>,
    /// Last error.
    pub last_error: Option<String>,
}

/// The client.
pub struct TopologyStreamClient {
    config: TopologyStreamConfig,
    publisher: Arc<dyn Publish>,
    stats: Arc<Mutex<StreamStats>>,
}

/// Where the session stands on sequence numbers.
enum Sync {
    /// No snapshot yet, or a resync was requested at this instant.
    AwaitingSnapshot(Option<Instant>),
    /// Applying; the next message must carry this number (when messages carry numbers).
    Expecting(Option<u64>),
}

impl Sync {
    /// After a message numbered `seq`: expect the next number; after `u64::MAX` no number can
    /// follow in sequence, so the next message (unless a snapshot) asks for a resync instead
    /// of wrapping to 0.
    fn after(seq: Option<u64>) -> Sync {
        match seq.map(|seq| seq.checked_add(1)) {
            None => Sync::Expecting(None),
            Some(Some(next)) => Sync::Expecting(Some(next)),
            Some(None) => Sync::AwaitingSnapshot(None),
        }
    }
}

impl TopologyStreamClient {
    /// A client publishing into `publisher`.
    pub fn new(config: TopologyStreamConfig, publisher: Arc<dyn Publish>) -> Self {
        let stats = StreamStats {
            url: config.url.clone(),
            state: "connecting",
            ..StreamStats::default()
        };
        TopologyStreamClient {
            config,
            publisher,
            stats: Arc::new(Mutex::new(stats)),
        }
    }

    /// The live counters.
    pub fn stats(&self) -> Arc<Mutex<StreamStats>> {
        self.stats.clone()
    }

    fn update(&self, change: impl FnOnce(&mut StreamStats)) {
        change(
            &mut self
                .stats
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
    }

    fn count(&self, outcome: &str, n: u64) {
        let labels = netassure_metrics::KindLabels {
            kind: outcome.to_owned(),
        };
        self.publisher
            .metrics()
            .topology_stream
            .get_or_create(&labels)
            .inc_by(n);
    }

    /// Run on a thread of its own until `stop` turns true.
    pub fn spawn(self, stop: watch::Receiver<bool>) -> std::thread::JoinHandle<()> {
        std::thread::Builder::new()
            .name("topology-stream".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                runtime.block_on(self.run(stop));
            })
            .expect("spawning the topology stream client")
    }

    /// Connect, apply, reconnect — until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut backoff = Duration::from_millis(self.config.reconnect_min_ms.max(1));
        let max_backoff = Duration::from_millis(
            self.config
                .reconnect_max_ms
                .max(self.config.reconnect_min_ms),
        );
        while !*stop.borrow() {
            self.update(|stats| stats.state = "connecting");
            let limit = self.config.max_message_mb.max(1) << 20;
            let websocket = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
                .max_message_size(Some(limit))
                .max_frame_size(Some(limit));
            let connected = tokio_tungstenite::connect_async_with_config(
                self.config.url.as_str(),
                Some(websocket),
                false,
            )
            .await;
            match connected {
                Ok((socket, _)) => {
                    tracing::info!(url = %self.config.url, "topology stream connected");
                    self.update(|stats| {
                        stats.connects += 1;
                        stats.state = "connected";
                    });
                    self.count("connect", 1);
                    let started = Instant::now();
                    let reason = self.session(socket, &mut stop).await;
                    if started.elapsed() >= STABLE_SESSION {
                        backoff = Duration::from_millis(self.config.reconnect_min_ms.max(1));
                    }
                    tracing::warn!(url = %self.config.url, "topology stream disconnected: {reason}");
                    self.update(|stats| {
                        stats.disconnects += 1;
                        stats.last_error = Some(reason);
                    });
                    self.count("disconnect", 1);
                }
                Err(err) => {
                    tracing::debug!(url = %self.config.url, "topology stream connect failed: {err}");
                    self.update(|stats| {
                        stats.connect_failures += 1;
                        stats.last_error = Some(format!("connect: {err}"));
                    });
                    self.count("connect_failure", 1);
                }
            }
            if *stop.borrow() {
                break;
            }
            self.update(|stats| stats.state = "backoff");
            let jitter = 0.8 + 0.4 * fastrand::f64();
            tokio::select! {
                _ = tokio::time::sleep(backoff.mul_f64(jitter)) => {}
                _ = stop.changed() => {}
            }
            backoff = (backoff * 2).min(max_backoff);
        }
        self.update(|stats| stats.state = "stopped");
    }

    /// One connection; returns why it ended.
    async fn session<S>(&self, mut socket: S, stop: &mut watch::Receiver<bool>) -> String
    where
        S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
            + futures_util::Sink<Message, Error = tokio_tungstenite::tungstenite::Error>
            + Unpin,
    {
        let mut sync = Sync::AwaitingSnapshot(None);
        let resync_timeout = Duration::from_millis(self.config.resync_timeout_ms.max(1));
        let idle_timeout = Duration::from_millis(self.config.idle_timeout_ms.max(3));
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        let ping_every = idle_timeout / 3;
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
        let mut heard = Instant::now();
        loop {
            let message = tokio::select! {
                message = socket.next() => message,
                _ = tick.tick() => {
                    if let Sync::AwaitingSnapshot(Some(asked)) = sync
                        && asked.elapsed() > resync_timeout
                    {
                        return format!("no snapshot within {} ms of a resync request", resync_timeout.as_millis());
                    }
                    if heard.elapsed() > idle_timeout {
                        return format!("nothing from the engine for {} ms (frozen?)", idle_timeout.as_millis());
                    }
                    continue;
                }
                _ = ping.tick() => {
                    if let Err(err) = socket.send(Message::Ping(Default::default())).await {
                        return format!("write error: {err}");
                    }
                    continue;
                }
                _ = stop.changed() => return "stopping".into(),
            };
            heard = Instant::now();
            let text = match message {
                None => return "connection closed".into(),
                Some(Err(err)) => return format!("read error: {err}"),
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(frame))) => {
                    return format!("closed by the server ({frame:?})");
                }
                Some(Ok(Message::Binary(_))) => {
                    self.update(|stats| {
                        stats.messages += 1;
                        stats.malformed += 1;
                    });
                    self.count("malformed", 1);
                    continue;
                }
                Some(Ok(_)) => continue,
            };
            if let Some(request) = self.handle(text.as_str(), &mut sync)
                && let Err(err) = socket.send(Message::text(request)).await
            {
                return format!("write error: {err}");
            }
        }
    }

    /// Handle one text message; returns a message to send back (a resync request).
    fn handle(&self, text: &str, sync: &mut Sync) -> Option<&'static str> {
        self.update(|stats| stats.messages += 1);
        let event = match decode(text) {
            Decoded::Event {
                event,
                unknown_fields,
            } => {
                if !unknown_fields.is_empty() {
                    tracing::debug!(?unknown_fields, "topology stream: unknown fields ignored");
                    self.update(|stats| stats.unknown_fields += unknown_fields.len() as u64);
                    self.count("unknown_field", unknown_fields.len() as u64);
                }
                event
            }
            Decoded::UnknownType(kind) => {
                tracing::debug!("topology stream: message type `{kind}` ignored");
                self.update(|stats| stats.unknown_types += 1);
                self.count("unknown_type", 1);
                return None;
            }
            Decoded::Malformed(reason) => {
                tracing::warn!("topology stream: malformed message ignored: {reason}");
                self.update(|stats| stats.malformed += 1);
                self.count("malformed", 1);
                return None;
            }
        };
        let seq = event.seq();
        match (&*sync, event.as_ref()) {
            (_, InputEvent::Heartbeat { .. }) => {
                self.update(|stats| stats.heartbeats += 1);
                self.count("heartbeat", 1);
                return None;
            }
            (_, InputEvent::Snapshot { .. }) => *sync = Sync::after(seq),
            (Sync::AwaitingSnapshot(asked), _) => {
                self.update(|stats| stats.dropped_waiting_for_snapshot += 1);
                self.count("dropped_waiting_for_snapshot", 1);
                if asked.is_none() {
                    *sync = Sync::AwaitingSnapshot(Some(Instant::now()));
                    self.update(|stats| {
                        stats.resyncs += 1;
                        stats.state = "resyncing";
                    });
                    self.count("resync", 1);
                    return Some(r#"{"type":"resync"}"#);
                }
                return None;
            }
            (Sync::Expecting(expected), _) => match (seq, *expected) {
                (Some(seq), Some(expected)) if seq < expected => {
                    self.update(|stats| stats.stale += 1);
                    self.count("stale", 1);
                    return None;
                }
                (Some(seq), Some(expected)) if seq > expected => {
                    tracing::warn!(
                        expected,
                        got = seq,
                        "topology stream: sequence gap, asking for a resync"
                    );
                    *sync = Sync::AwaitingSnapshot(Some(Instant::now()));
                    self.update(|stats| {
                        stats.gaps += 1;
                        stats.resyncs += 1;
                        stats.state = "resyncing";
                    });
                    self.count("gap", 1);
                    self.count("resync", 1);
                    return Some(r#"{"type":"resync"}"#);
                }
                _ => *sync = Sync::after(seq),
            },
        }
        self.publisher.publish("topology-stream", &event);
        self.count("applied", 1);
        self.update(|stats| {
            stats.state = "connected";
            if seq.is_some() {
                stats.last_seq = seq;
            }
            match event.as_ref() {
                InputEvent::Snapshot { .. } => stats.snapshots += 1,
                InputEvent::Delta { .. } => stats.deltas += 1,
                InputEvent::Telemetry { .. } => stats.telemetry += 1,
                _ => {}
            }
        });
        None
    }
}
