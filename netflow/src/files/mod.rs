//! Flow files: NIDS-dataset NetFlow CSV, JSON lines and packet captures, read one flow at a
//! time into [`FlowRow`]s with their labels, with progress for long files; [`FlowWindows`] cuts
//! the flows into tumbling windows by time or count.
//!
//! The format is recognised from the content (pcap and pcapng magic numbers, a `{` first, a
//! NIDS header line) and only then from the extension.

mod export;
mod jsonl;
mod pcap;
mod probe;
mod window;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use jsonl::{JsonFlow, JsonLinesReader};
pub use pcap::{PcapCounters, PcapFlows};
pub use probe::{FlowProbe, ProbeConfig};
pub use window::{FlowWindows, Window};

use crate::columns::FlowRow;
use crate::nids::{Label, NidsError, NidsReader};

/// Why a flow file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FlowFileError {
    /// Opening or reading failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
    /// Not a format we read.
    #[error("{0}: not a flow file we read (NIDS NetFlow CSV, JSON lines of flows, pcap or pcapng)")]
    UnknownFormat(String),
    /// A NIDS CSV file that cannot be read.
    #[error("{path}: {source}")]
    Nids {
        /// The file.
        path: String,
        /// The failure.
        source: NidsError,
    },
    /// A capture that cannot be read.
    #[error("{path}: pcap: {reason}")]
    Pcap {
        /// The file.
        path: String,
        /// The failure.
        reason: String,
    },
}

/// The formats of flow files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowFileFormat {
    /// NetFlow CSV in the schema of the UQ NIDS datasets.
    NidsCsv,
    /// One JSON object per line ([`JsonFlow`]).
    JsonLines,
    /// A packet capture (pcap or pcapng), turned into flows as a probe would.
    Pcap,
}

impl FlowFileFormat {
    /// The format of a file starting with `head`, named `path`.
    pub fn detect(path: &Path, head: &[u8]) -> Option<FlowFileFormat> {
        let magic = head
            .get(..4)
            .map(|m| u32::from_le_bytes(m.try_into().expect("4 bytes")));
        if matches!(
            magic,
            Some(0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 | 0x0a0d_0d0a)
        ) {
            return Some(FlowFileFormat::Pcap);
        }
        let text = String::from_utf8_lossy(head);
        let text = text.trim_start_matches('\u{feff}').trim_start();
        if text.starts_with('{') {
            return Some(FlowFileFormat::JsonLines);
        }
        if text
            .lines()
            .next()
            .is_some_and(|line| line.contains("IPV4_SRC_ADDR"))
        {
            return Some(FlowFileFormat::NidsCsv);
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => Some(FlowFileFormat::NidsCsv),
            Some("jsonl" | "ndjson" | "json") => Some(FlowFileFormat::JsonLines),
            Some("pcap" | "pcapng" | "cap") => Some(FlowFileFormat::Pcap),
            _ => None,
        }
    }
}

/// A reader that counts the bytes it has read, for progress.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

type Input = BufReader<Counting<File>>;

enum Reader {
    Nids(Box<NidsReader<Input>>),
    Json(JsonLinesReader<Input>),
    Pcap(Box<PcapFlows>),
}

/// An open flow file.
pub struct FlowFile {
    format: FlowFileFormat,
    reader: Reader,
    read: Arc<AtomicU64>,
    size: u64,
    name: String,
}

impl FlowFile {
    /// Open `path` and recognise its format.
    pub fn open(path: &Path) -> Result<FlowFile, FlowFileError> {
        Self::open_with(path, ProbeConfig::default())
    }

    /// Open `path`; a capture is turned into flows with `probe`.
    pub fn open_with(path: &Path, probe: ProbeConfig) -> Result<FlowFile, FlowFileError> {
        let shown = path.display().to_string();
        let io = |source| FlowFileError::Io {
            path: shown.clone(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        let mut head = vec![0u8; 4096];
        let n = read_head(&mut file, &mut head).map_err(io)?;
        head.truncate(n);
        let format = FlowFileFormat::detect(path, &head)
            .ok_or_else(|| FlowFileError::UnknownFormat(shown.clone()))?;
        let file = File::open(path).map_err(io)?;
        let read = Arc::new(AtomicU64::new(0));
        let input = BufReader::with_capacity(
            1 << 16,
            Counting {
                inner: file,
                read: read.clone(),
            },
        );
        let reader = match format {
            FlowFileFormat::NidsCsv => {
                Reader::Nids(Box::new(NidsReader::new(input).map_err(|source| {
                    FlowFileError::Nids {
                        path: shown.clone(),
                        source,
                    }
                })?))
            }
            FlowFileFormat::JsonLines => Reader::Json(JsonLinesReader::new(input)),
            FlowFileFormat::Pcap => Reader::Pcap(Box::new(PcapFlows::new(input, probe).map_err(
                |reason| FlowFileError::Pcap {
                    path: shown.clone(),
                    reason,
                },
            )?)),
        };
        let name = path
            .file_name()
            .map_or_else(|| shown.clone(), |name| name.to_string_lossy().into_owned());
        Ok(FlowFile {
            format,
            reader,
            read,
            size,
            name,
        })
    }

    /// The next flow with its label; `Ok(None)` at the end. Malformed records are counted and
    /// skipped ([`malformed`](Self::malformed)); an error means the rest cannot be read.
    pub fn next_flow(&mut self) -> Result<Option<(FlowRow, Label)>, FlowFileError> {
        match &mut self.reader {
            Reader::Nids(reader) => reader.next_flow().map_err(|source| FlowFileError::Nids {
                path: self.name.clone(),
                source,
            }),
            Reader::Json(reader) => reader.next_flow().map_err(|source| FlowFileError::Io {
                path: self.name.clone(),
                source,
            }),
            Reader::Pcap(reader) => reader.next_flow().map_err(|reason| FlowFileError::Pcap {
                path: self.name.clone(),
                reason,
            }),
        }
    }

    /// Read every flow, cut the flows into windows (see [`FlowWindows`]) and hand each closed
    /// window to `each` with the file (for progress and counters); returns the number of late
    /// flows. When reading fails part-way, the window open at that moment is still handed
    /// over before the error is returned; an error from `each` stops at once.
    pub fn for_each_window<E: From<FlowFileError>>(
        &mut self,
        window_ms: u64,
        window_flows: usize,
        mut each: impl FnMut(Window, &FlowFile) -> Result<(), E>,
    ) -> Result<u64, E> {
        let mut windows = FlowWindows::new(window_ms, window_flows, &self.name);
        let outcome = loop {
            match self.next_flow() {
                Ok(Some((flow, label))) => {
                    if let Some(window) = windows.push(&flow, label) {
                        each(window, self)?;
                    }
                }
                Ok(None) => break Ok(windows.late),
                Err(err) => break Err(E::from(err)),
            }
        };
        if let Some(window) = windows.finish() {
            each(window, self)?;
        }
        outcome
    }

    /// Records (rows, lines, packets) that could not be read and were skipped.
    pub fn malformed(&self) -> u64 {
        match &self.reader {
            Reader::Nids(reader) => reader.malformed,
            Reader::Json(reader) => reader.malformed,
            Reader::Pcap(reader) => reader.counters().malformed,
        }
    }

    /// Why the first malformed record was refused (JSON lines and NIDS CSV).
    pub fn first_error(&self) -> Option<&str> {
        match &self.reader {
            Reader::Json(reader) => reader.first_error.as_deref(),
            _ => None,
        }
    }

    /// The capture counters, for a pcap file.
    pub fn pcap_counters(&self) -> Option<PcapCounters> {
        match &self.reader {
            Reader::Pcap(reader) => Some(reader.counters()),
            _ => None,
        }
    }

    /// The format.
    pub fn format(&self) -> FlowFileFormat {
        self.format
    }

    /// The file name (the exporter name of its flows).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// Size of the file in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
}

fn read_head(file: &mut File, head: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests;
