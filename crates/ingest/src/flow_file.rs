//! `netassure-host --flows FILE`: a flow file (NIDS NetFlow CSV, JSON lines, pcap/pcapng) read
//! on its own thread, cut into tumbling windows (`[ingest.files]`) and published to the
//! detectors subscribed to flows, as if an exporter had sent them. Progress and counters show
//! in `GET /status` under `ingest.files`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use netassure_netflow::files::{FlowFile, FlowFileFormat, ProbeConfig, Window};
use serde::{Deserialize, Serialize};

use crate::Publish;

/// `[ingest.files]`: how flow files become windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowFilesConfig {
    /// Window width by flow end time, ms (0: by count only). Example: `window_ms = 10000`.
    pub window_ms: u64,
    /// A window also closes at this many flows. Example: `window_flows = 100000`.
    pub window_flows: usize,
    /// Captures: a flow idle this long ends, seconds. Example: `idle_timeout_s = 300`.
    pub idle_timeout_s: u64,
    /// Captures: a flow this old ends, seconds. Example: `active_timeout_s = 1800`.
    pub active_timeout_s: u64,
}

impl Default for FlowFilesConfig {
    fn default() -> Self {
        FlowFilesConfig {
            window_ms: 10_000,
            window_flows: 100_000,
            idle_timeout_s: 300,
            active_timeout_s: 1_800,
        }
    }
}

impl FlowFilesConfig {
    /// The probe settings for captures.
    pub fn probe(&self) -> ProbeConfig {
        ProbeConfig {
            idle_timeout_ms: self.idle_timeout_s * 1000,
            active_timeout_ms: self.active_timeout_s * 1000,
        }
    }
}

/// One flow file's progress (`GET /status` → `ingest.files`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlowFileStatus {
    /// The file.
    pub file: String,
    /// Its format, once recognised.
    pub format: Option<FlowFileFormat>,
    /// True while it is being read.
    pub running: bool,
    /// Flows published.
    pub flows: u64,
    /// Windows published.
    pub windows: u64,
    /// Records skipped as malformed.
    pub malformed: u64,
    /// Flows that ended before the window they were put in.
    pub late: u64,
    /// IP bytes of the flows published.
    pub flow_bytes: u64,
    /// Earliest flow start, ms since the epoch (0 before the first flow).
    pub first_flow_ms: u64,
    /// Latest flow end, ms since the epoch.
    pub last_flow_ms: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Size of the file.
    pub bytes_total: u64,
    /// Seconds spent.
    pub elapsed_s: f64,
    /// Why reading stopped early, or the first malformed record.
    pub error: Option<String>,
}

/// Read `path` into `publisher`, updating `status` as it goes; returns when the file is done.
pub fn ingest_file(
    publisher: &dyn Publish,
    config: &FlowFilesConfig,
    path: &Path,
    status: &Mutex<FlowFileStatus>,
) {
    let started = Instant::now();
    let update = |change: &dyn Fn(&mut FlowFileStatus)| {
        if let Ok(mut status) = status.lock() {
            change(&mut status);
            status.elapsed_s = started.elapsed().as_secs_f64();
        }
    };
    let mut file = match FlowFile::open_with(path, config.probe()) {
        Ok(file) => file,
        Err(err) => {
            tracing::error!("flow file refused: {err}");
            update(&|s| {
                s.running = false;
                s.error = Some(err.to_string());
            });
            return;
        }
    };
    let format = file.format();
    update(&|s| s.format = Some(format));
    let source = format!("file:{}", file.name());
    let (mut flows, mut published) = (0u64, 0u64);
    let outcome = file.for_each_window(config.window_ms, config.window_flows, |window, file| {
        flows += window.flows.len() as u64;
        published += 1;
        let bytes: u64 = window.flows.bytes.iter().sum();
        let first = window
            .flows
            .start_ms
            .iter()
            .copied()
            .min()
            .unwrap_or(u64::MAX);
        let last = window.flows.end_ms.iter().copied().max().unwrap_or(0);
        publisher.publish_flows(
            &source,
            window.start_ms,
            window.end_ms,
            window.flows,
            crate::WhenBusy::Wait,
        );
        let (read, malformed) = (file.bytes_read(), file.malformed());
        update(&|s| {
            s.flows = flows;
            s.windows = published;
            s.bytes_read = read;
            s.malformed = malformed;
            s.flow_bytes += bytes;
            s.first_flow_ms = if s.first_flow_ms == 0 {
                first
            } else {
                s.first_flow_ms.min(first)
            };
            s.last_flow_ms = s.last_flow_ms.max(last);
        });
        Ok::<(), netassure_netflow::files::FlowFileError>(())
    });
    let (late, error) = match outcome {
        Ok(late) => (late, file.first_error().map(str::to_owned)),
        Err(err) => (0, Some(err.to_string())),
    };
    let (read, malformed) = (file.bytes_read(), file.malformed());
    tracing::info!(
        source,
        flows,
        windows = published,
        malformed,
        "flow file done"
    );
    update(&|s| {
        s.running = false;
        s.flows = flows;
        s.windows = published;
        s.bytes_read = read;
        s.malformed = malformed;
        s.late = late;
        s.error = error.clone();
    });
}

/// Read `paths` one after the other on a thread of their own; `done` runs when all are read.
pub fn spawn(
    publisher: Arc<dyn Publish>,
    config: FlowFilesConfig,
    paths: Vec<PathBuf>,
    statuses: Arc<Mutex<Vec<Arc<Mutex<FlowFileStatus>>>>>,
    done: impl FnOnce() + Send + 'static,
) {
    let entries: Vec<(PathBuf, Arc<Mutex<FlowFileStatus>>)> = paths
        .into_iter()
        .map(|path| {
            let size = std::fs::metadata(&path).map_or(0, |m| m.len());
            let status = Arc::new(Mutex::new(FlowFileStatus {
                file: path.display().to_string(),
                running: true,
                bytes_total: size,
                ..FlowFileStatus::default()
            }));
            (path, status)
        })
        .collect();
    if let Ok(mut all) = statuses.lock() {
        all.extend(entries.iter().map(|(_, status)| status.clone()));
    }
    std::thread::Builder::new()
        .name("flow-files".into())
        .spawn(move || {
            for (path, status) in &entries {
                ingest_file(publisher.as_ref(), &config, path, status);
            }
            done();
        })
        .expect("spawning the flow-file thread");
}

/// What `netassure ingest --flows FILE --dry-run` found in a flow file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlowDryRun {
    /// The file.
    pub file: String,
    /// Its format.
    pub format: Option<FlowFileFormat>,
    /// Flows read.
    pub flows: u64,
    /// Windows they would make.
    pub windows: u64,
    /// Records skipped as malformed.
    pub malformed: u64,
    /// Why the first malformed record was refused.
    pub first_error: Option<String>,
    /// Flows that ended before the window they were put in.
    pub late: u64,
    /// IP bytes of the flows published.
    pub flow_bytes: u64,
    /// Earliest flow start, ms since the epoch (0 before the first flow).
    pub first_flow_ms: u64,
    /// Latest flow end, ms since the epoch.
    pub last_flow_ms: u64,
    /// Bytes of all flows.
    pub bytes: u64,
    /// Packets of all flows.
    pub packets: u64,
    /// Earliest flow start and latest flow end, ms since the epoch.
    pub span_ms: Option<(u64, u64)>,
    /// Flows per IP protocol number.
    pub protocols: std::collections::BTreeMap<u8, u64>,
    /// Flows per label class (NIDS datasets and labelled JSON lines; `Benign` otherwise).
    pub classes: std::collections::BTreeMap<String, u64>,
    /// Largest window, flows.
    pub largest_window: u64,
}

impl FlowDryRun {
    /// Count one window.
    fn add(&mut self, window: &Window) {
        let flows = &window.flows;
        self.windows += 1;
        self.flows += flows.len() as u64;
        self.largest_window = self.largest_window.max(flows.len() as u64);
        self.bytes += flows.bytes.iter().sum::<u64>();
        self.packets += flows.packets.iter().sum::<u64>();
        if let (Some(&first), Some(&last)) =
            (flows.start_ms.iter().min(), flows.end_ms.iter().max())
        {
            let (earliest, latest) = self.span_ms.unwrap_or((u64::MAX, 0));
            self.span_ms = Some((earliest.min(first), latest.max(last)));
        }
        for &protocol in &flows.protocol {
            *self.protocols.entry(protocol).or_default() += 1;
        }
        for label in &window.labels {
            *self.classes.entry(label.class.clone()).or_default() += 1;
        }
    }
}

/// Read `path` as `--flows` would, publish nothing, and summarise it; `progress` is called
/// with (bytes read, file size) after every window.
pub fn dry_run(
    path: &Path,
    config: &FlowFilesConfig,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<FlowDryRun> {
    let mut file = FlowFile::open_with(path, config.probe())?;
    let mut summary = FlowDryRun {
        file: path.display().to_string(),
        format: Some(file.format()),
        ..FlowDryRun::default()
    };
    summary.late =
        file.for_each_window(config.window_ms, config.window_flows, |window, file| {
            summary.add(&window);
            progress(file.bytes_read(), file.size());
            Ok::<(), anyhow::Error>(())
        })?;
    summary.malformed = file.malformed();
    summary.first_error = file.first_error().map(str::to_owned);
    Ok(summary)
}
