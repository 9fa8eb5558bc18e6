//! The simulator's WebSocket server and message producer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

use super::SimulatorConfig;
use netassure_model::files::{read_messages, read_topology};
use netassure_model::{self as model, InputEvent, TopologyChange};
use netassure_topology::TopologyStore;

struct State {
    store: TopologyStore,
    seq: u64,
}

/// A running simulator.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<Mutex<State>>,
    messages: broadcast::Sender<Arc<str>>,
}

impl Simulator {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Number the message, apply it to the simulated topology and send it to every client.
    pub fn emit(&self, mut message: InputEvent) {
        let mut state = self.lock();
        state.seq += 1;
        let seq = Some(state.seq);
        let now = model::now_ms();
        match &mut message {
            InputEvent::Delta {
                seq: s,
                timestamp_ms,
                ..
            }
            | InputEvent::Snapshot {
                seq: s,
                timestamp_ms,
                ..
            } => {
                *s = seq;
                *timestamp_ms = now;
            }
            InputEvent::Telemetry {
                seq: s,
                timestamp_ms,
                ..
            } => {
                *s = seq;
                *timestamp_ms = now;
            }
            _ => {}
        }
        if let Some(delta) = message.topology_delta() {
            state.store.apply(&delta, now);
        } else if let Some(sample) = message.telemetry_sample() {
            state.store.apply_telemetry(&sample);
        }
        let text: Arc<str> = serde_json::to_string(&message)
            .expect("messages serialise")
            .into();
        let _ = self.messages.send(text);
    }

    /// The snapshot message of the current simulated topology.
    pub(crate) fn snapshot_message(&self) -> String {
        let state = self.lock();
        let snapshot = state.store.snapshot();
        let message = InputEvent::Snapshot {
            seq: Some(state.seq),
            timestamp_ms: model::now_ms(),
            nodes: snapshot.nodes().cloned().collect(),
            links: snapshot.links().cloned().collect(),
        };
        serde_json::to_string(&message).expect("messages serialise")
    }

    /// Bind, then serve until the process ends. Returns once the socket is listening, with a
    /// handle and the task running everything.
    pub async fn start(
        config: SimulatorConfig,
    ) -> anyhow::Result<(Simulator, std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
        let (nodes, links) = read_topology(&config.topology)?;
        let events = match &config.events {
            Some(path) => read_messages(path)?,
            None => Vec::new(),
        };
        let store = TopologyStore::new();
        let changes = nodes
            .into_iter()
            .map(|node| TopologyChange::NodeUpsert { node })
            .chain(
                links
                    .into_iter()
                    .map(|link| TopologyChange::LinkUpsert { link }),
            );
        store.apply(
            &model::TopologyDelta {
                sequence: 0,
                snapshot: true,
                changes: changes.collect(),
            },
            model::now_ms(),
        );
        let (messages, _) = broadcast::channel(16_384);
        let simulator = Simulator {
            state: Arc::new(Mutex::new(State { store, seq: 0 })),
            messages,
        };
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let address = listener.local_addr()?;
        tracing::info!("topology simulator on ws://{address}");
        let task = {
            let simulator = simulator.clone();
            tokio::spawn(async move {
                tokio::spawn(simulator.clone().produce(events, config));
                loop {
                    match listener.accept().await {
                        Ok((stream, peer)) => {
                            tokio::spawn(simulator.clone().serve_client(stream, peer));
                        }
                        Err(err) => tracing::warn!("accept failed: {err}"),
                    }
                }
            })
        };
        Ok((simulator, address, task))
    }

    async fn produce(self, events: Vec<InputEvent>, config: SimulatorConfig) {
        let period = (config.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / config.rate));
        let mut rng = fastrand::Rng::with_seed(config.seed);
        let mut next_fault = tokio::time::Instant::now() + config.fault_every;
        let mut index = 0;
        loop {
            if !config.faults.is_empty() && tokio::time::Instant::now() >= next_fault {
                self.inject(config.faults[rng.usize(..config.faults.len())], &mut rng);
                next_fault += config.fault_every;
            }
            if index < events.len() {
                self.emit(events[index].clone());
                index += 1;
                if index == events.len() && config.repeat {
                    index = 0;
                }
            } else if config.faults.is_empty() {
                return;
            }
            match period {
                Some(period) => tokio::time::sleep(period).await,
                None if index % 256 == 0 => tokio::task::yield_now().await,
                None => {}
            }
            if index >= events.len() && period.is_none() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }

    fn inject(&self, fault: super::Fault, rng: &mut fastrand::Rng) {
        let snapshot = self.lock().store.snapshot();
        let Some(injection) = fault.plan(&snapshot, rng) else {
            return;
        };
        tracing::info!("injecting {}", injection.description);
        self.emit(InputEvent::Delta {
            seq: None,
            timestamp_ms: 0,
            changes: injection.now,
        });
        if let Some((delay, changes)) = injection.repair {
            let simulator = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                simulator.emit(InputEvent::Delta {
                    seq: None,
                    timestamp_ms: 0,
                    changes,
                });
            });
        }
    }

    async fn serve_client(self, stream: TcpStream, peer: std::net::SocketAddr) {
        let mut socket = match tokio_tungstenite::accept_async(stream).await {
            Ok(socket) => socket,
            Err(err) => {
                tracing::debug!(%peer, "websocket handshake failed: {err}");
                return;
            }
        };
        let mut updates = self.messages.subscribe();
        if socket
            .send(Message::text(self.snapshot_message()))
            .await
            .is_err()
        {
            return;
        }
        loop {
            tokio::select! {
                update = updates.recv() => {
                    let text = match update {
                        Ok(text) => text.to_string(),
                        Err(broadcast::error::RecvError::Lagged(_)) => self.snapshot_message(),
                        Err(broadcast::error::RecvError::Closed) => return,
                    };
                    if socket.send(Message::text(text)).await.is_err() {
                        return;
                    }
                }
                incoming = socket.next() => match incoming {
                    Some(Ok(Message::Text(text))) if text.contains("\"resync\"") => {
                        if socket.send(Message::text(self.snapshot_message())).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                },
            }
        }
    }
}
