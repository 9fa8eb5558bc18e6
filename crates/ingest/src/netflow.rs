//! The NetFlow v5/v9/IPFIX collector (`[ingest.netflow] listen = "0.0.0.0:2055"`): one thread
//! receives export datagrams, decodes them straight into flow columns (`netassure-netflow`),
//! and publishes tumbling windows — closed after `window_ms` or `window_flows`, whichever
//! comes first — to the detectors subscribed to flows. Per-exporter counters show in
//! `GET /status` under `ingest.netflow` and in `/metrics`.

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use netassure_netflow::{Collector, CollectorConfig, ExporterStats, FlowColumns};
use serde::{Deserialize, Serialize};

use crate::Publish;

/// `[ingest.netflow]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetflowConfig {
    /// UDP address to receive NetFlow v5, v9 and IPFIX on. Example: `listen = "0.0.0.0:2055"`.
    pub listen: SocketAddr,
    /// A flow window closes this long after its first flow, ms. Example: `window_ms = 10000`.
    #[serde(default = "default_window_ms")]
    pub window_ms: u64,
    /// … or when it holds this many flows. Example: `window_flows = 100000`.
    #[serde(default = "default_window_flows")]
    pub window_flows: usize,
    /// A template not re-sent for this long is forgotten, seconds. Example: `template_timeout_s = 1800`.
    #[serde(default = "default_template_timeout_s")]
    pub template_timeout_s: u64,
    /// Kernel receive buffer of the socket, bytes (bursts wait there). Example: `receive_buffer_bytes = 8388608`.
    #[serde(default = "default_receive_buffer")]
    pub receive_buffer_bytes: usize,
}

fn default_window_ms() -> u64 {
    10_000
}

fn default_window_flows() -> usize {
    100_000
}

fn default_template_timeout_s() -> u64 {
    1_800
}

fn default_receive_buffer() -> usize {
    8 << 20
}

impl NetflowConfig {
    /// Defaults for `listen`.
    pub fn for_listen(listen: SocketAddr) -> Self {
        NetflowConfig {
            listen,
            window_ms: default_window_ms(),
            window_flows: default_window_flows(),
            template_timeout_s: default_template_timeout_s(),
            receive_buffer_bytes: default_receive_buffer(),
        }
    }
}

/// Counters of one exporter, as `/status` shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ExporterCounters {
    /// Flow records decoded.
    pub flows: u64,
    /// Export datagrams received.
    pub packets: u64,
    /// Export packets (v9), flows (v5) or data records (IPFIX) that never arrived, by sequence number.
    pub sequence_lost: u64,
    /// Datagrams that could not be decoded.
    pub malformed: u64,
    /// Data sets dropped because their template never came.
    pub no_template: u64,
    /// Data sets waiting for their template now.
    pub pending: u64,
    /// Templates known.
    pub templates: u64,
    /// Template definitions refused (the exporter already had its maximum).
    pub templates_refused: u64,
}

impl From<ExporterStats> for ExporterCounters {
    fn from(stats: ExporterStats) -> Self {
        ExporterCounters {
            flows: stats.flows,
            packets: stats.packets,
            sequence_lost: stats.sequence_lost,
            malformed: stats.malformed,
            no_template: stats.no_template,
            pending: stats.pending,
            templates: stats.templates,
            templates_refused: stats.templates_refused,
        }
    }
}

/// `ingest.netflow` of `/status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NetflowStatus {
    /// The address listened on.
    pub listen: String,
    /// Flow windows published.
    pub windows: u64,
    /// Flows published.
    pub flows: u64,
    /// Counters per exporter (`address:port`).
    pub exporters: BTreeMap<String, ExporterCounters>,
    /// Exporters kept now (at most the collector's 4,096).
    pub exporters_kept: u64,
    /// Datagrams refused because the collector already kept its maximum of exporters.
    pub exporters_refused: u64,
    /// Exporters forgotten after 30 minutes of silence.
    pub exporters_expired: u64,
    /// Bytes of data waiting for templates, over all exporters (at most 32 MiB).
    pub pending_bytes: u64,
}

/// A running collector.
pub struct NetflowCollector {
    /// Its counters.
    pub status: Arc<Mutex<NetflowStatus>>,
    /// The address it listens on (the port is known even when `listen` said 0).
    pub local_addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn bind(config: &NetflowConfig) -> anyhow::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(
        Domain::for_address(config.listen),
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    if let Err(err) = socket.set_recv_buffer_size(config.receive_buffer_bytes) {
        tracing::warn!("NetFlow collector: cannot set the receive buffer: {err}");
    }
    socket
        .bind(&config.listen.into())
        .with_context(|| format!("NetFlow collector cannot listen on {}", config.listen))?;
    let socket: UdpSocket = socket.into();
    socket.set_read_timeout(Some(Duration::from_millis(50)))?;
    Ok(socket)
}

impl NetflowCollector {
    /// Bind `config.listen` and start receiving into `publisher`.
    pub fn start(
        config: NetflowConfig,
        publisher: Arc<dyn Publish>,
        status: Arc<Mutex<NetflowStatus>>,
    ) -> anyhow::Result<Self> {
        let socket = bind(&config)?;
        let local_addr = socket.local_addr()?;
        tracing::info!("NetFlow/IPFIX collector on udp://{local_addr}");
        status
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .listen = local_addr.to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            socket,
            collector: Collector::new(CollectorConfig {
                template_timeout_ms: config.template_timeout_s.saturating_mul(1000),
                ..CollectorConfig::default()
            }),
            config,
            publisher,
            status: status.clone(),
            stop: stop.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("netflow".into())
            .spawn(move || worker.run())
            .context("spawning the NetFlow collector")?;
        Ok(NetflowCollector {
            status,
            local_addr,
            stop,
            thread: Some(thread),
        })
    }

    /// Publish what is buffered and stop.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for NetflowCollector {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Worker {
    socket: UdpSocket,
    collector: Collector,
    config: NetflowConfig,
    publisher: Arc<dyn Publish>,
    status: Arc<Mutex<NetflowStatus>>,
    stop: Arc<AtomicBool>,
}

impl Worker {
    fn run(mut self) {
        let mut buffer = vec![0u8; 65_536];
        let mut window = FlowColumns::default();
        let mut window_opened: Option<(Instant, u64)> = None;
        let mut last_status = Instant::now();
        let mut last_expiry = Instant::now();
        while !self.stop.load(Ordering::Acquire) {
            match self.socket.recv_from(&mut buffer) {
                Ok((len, from)) => {
                    let now_ms = netassure_model::now_ms();
                    if let Err(err) =
                        self.collector
                            .receive(from, &buffer[..len], now_ms, &mut window)
                    {
                        tracing::debug!(exporter = %from, "NetFlow datagram refused: {err}");
                    }
                    if window_opened.is_none() && !window.is_empty() {
                        window_opened = Some((Instant::now(), now_ms));
                    }
                }
                Err(err)
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(err) => tracing::warn!("NetFlow collector receive failed: {err}"),
            }
            let due = window_opened.is_some_and(|(opened, _)| {
                opened.elapsed() >= Duration::from_millis(self.config.window_ms)
            });
            if window.len() >= self.config.window_flows || due {
                self.publish(&mut window, &mut window_opened);
            }
            if last_expiry.elapsed() >= Duration::from_secs(10) {
                self.collector.expire(netassure_model::now_ms());
                last_expiry = Instant::now();
            }
            if last_status.elapsed() >= Duration::from_millis(200) {
                self.update_status();
                last_status = Instant::now();
            }
        }
        self.publish(&mut window, &mut window_opened);
        self.update_status();
    }

    fn publish(&mut self, window: &mut FlowColumns, opened: &mut Option<(Instant, u64)>) {
        let Some((_, start_ms)) = opened.take() else {
            return;
        };
        let flows = window.len() as u64;
        // Each window names only the exporters of its own flows (a list kept from window to
        // window would grow with every exporter ever seen, past what its 16-bit index holds).
        let columns = std::mem::take(window);
        self.publisher.publish_flows(
            "netflow",
            start_ms,
            netassure_model::now_ms(),
            columns,
            crate::WhenBusy::Skip,
        );
        if let Ok(mut status) = self.status.lock() {
            status.windows += 1;
            status.flows += flows;
        }
    }

    fn update_status(&self) {
        let exporters: BTreeMap<String, ExporterCounters> = self
            .collector
            .stats()
            .into_iter()
            .map(|(name, stats)| (name, stats.into()))
            .collect();
        let collector = self.collector.collector_stats();
        if let Ok(mut status) = self.status.lock() {
            status.exporters = exporters;
            status.exporters_kept = collector.exporters;
            status.exporters_refused = collector.exporters_refused;
            status.exporters_expired = collector.exporters_expired;
            status.pending_bytes = collector.pending_bytes;
        }
    }
}
