//! [`PcapFlows`]: a pcap or pcapng capture read block by block (pcap-parser) and turned into
//! flows by a [`FlowProbe`] — or, for NetFlow/IPFIX export datagrams captured on their way to
//! a collector, decoded by an [`ExportDecoder`].

use std::collections::VecDeque;
use std::io::Read;

use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{Block, PcapBlockOwned, PcapError};

use super::export::ExportDecoder;
use super::probe::{FlowProbe, Link, ProbeConfig, ProbeCounters, slice};
use crate::columns::FlowRow;
use crate::nids::Label;

/// The read buffer; it grows for larger records, up to [`MAX_RECORD`].
const BUFFER: usize = 1 << 16;

/// The largest record we read (pcapng allows more; no real capture needs it).
const MAX_RECORD: usize = 1 << 24;

/// What reading a capture counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PcapCounters {
    /// Packets that became part of a flow.
    pub packets: u64,
    /// Packets that were not IP.
    pub not_ip: u64,
    /// Packets on a link type we do not read.
    pub unsupported_link: u64,
    /// Packets whose headers could not be parsed, a truncated last record, and NetFlow/IPFIX
    /// export datagrams that could not be decoded.
    pub malformed: u64,
    /// NetFlow/IPFIX export datagrams in the capture (their flow records were read).
    pub export_datagrams: u64,
}

/// Flows from a capture.
pub struct PcapFlows {
    reader: Box<dyn PcapReaderIterator + Send>,
    capacity: usize,
    state: State,
}

struct State {
    probe: FlowProbe,
    exports: ExportDecoder,
    /// Link type per pcapng interface, or the one of a legacy pcap file.
    links: Vec<(Option<Link>, u64)>,
    nanoseconds: bool,
    unsupported_link: u64,
    truncated: u64,
    ended: Vec<FlowRow>,
    ready: VecDeque<FlowRow>,
    done: bool,
}

impl PcapFlows {
    /// Start reading the capture in `input`.
    pub fn new(input: impl Read + Send + 'static, probe: ProbeConfig) -> Result<Self, String> {
        let reader = pcap_parser::create_reader(BUFFER, input).map_err(|err| format!("{err:?}"))?;
        Ok(PcapFlows {
            reader,
            capacity: BUFFER,
            state: State {
                probe: FlowProbe::new(probe),
                exports: ExportDecoder::default(),
                links: Vec::new(),
                nanoseconds: false,
                unsupported_link: 0,
                truncated: 0,
                ended: Vec::new(),
                ready: VecDeque::new(),
                done: false,
            },
        })
    }

    /// The counters so far.
    pub fn counters(&self) -> PcapCounters {
        let ProbeCounters {
            packets,
            not_ip,
            malformed,
        } = self.state.probe.counters;
        PcapCounters {
            packets,
            not_ip,
            unsupported_link: self.state.unsupported_link,
            malformed: malformed + self.state.truncated + self.state.exports.malformed,
            export_datagrams: self.state.exports.datagrams,
        }
    }

    /// The next flow (labelled benign: a capture carries no labels); `Ok(None)` at the end.
    pub fn next_flow(&mut self) -> Result<Option<(FlowRow, Label)>, String> {
        let benign = || Label {
            attack: false,
            class: "Benign".into(),
        };
        loop {
            if let Some(flow) = self.state.ready.pop_front() {
                return Ok(Some((flow, benign())));
            }
            if self.state.done {
                return Ok(None);
            }
            self.read_block()?;
        }
    }

    fn read_block(&mut self) -> Result<(), String> {
        let state = &mut self.state;
        match self.reader.next() {
            Ok((offset, block)) => {
                state.block(block);
                self.reader.consume(offset);
            }
            Err(PcapError::Eof) => state.finish(),
            Err(PcapError::UnexpectedEof) => {
                state.truncated += 1;
                state.finish();
            }
            Err(PcapError::Incomplete(_)) => {
                if self.reader.reader_exhausted() {
                    // A partial record at the end: the capture was cut short.
                    if !self.reader.data().is_empty() {
                        state.truncated += 1;
                    }
                    state.finish();
                    return Ok(());
                }
                let available = self.reader.data().len();
                match self.reader.refill() {
                    Ok(()) => {}
                    Err(PcapError::UnexpectedEof) => {
                        state.truncated += 1;
                        state.finish();
                        return Ok(());
                    }
                    Err(err) => return Err(format!("{err:?}")),
                }
                if self.reader.data().len() == available {
                    // The buffer is full and the record still does not fit: make room.
                    self.capacity *= 2;
                    if self.capacity > MAX_RECORD || !self.reader.grow(self.capacity) {
                        return Err(format!("a record larger than {MAX_RECORD} bytes"));
                    }
                }
            }
            Err(err) => return Err(format!("{err:?}")),
        }
        Ok(())
    }
}

impl State {
    fn block(&mut self, block: PcapBlockOwned<'_>) {
        match block {
            PcapBlockOwned::LegacyHeader(header) => {
                self.nanoseconds = header.is_nanosecond_precision();
                self.links = vec![(Link::from_linktype(header.network.0), 0)];
            }
            PcapBlockOwned::Legacy(packet) => {
                let fraction = u64::from(packet.ts_usec);
                let ms = u64::from(packet.ts_sec) * 1000
                    + if self.nanoseconds {
                        fraction / 1_000_000
                    } else {
                        fraction / 1000
                    };
                self.packet(0, ms, packet.data);
            }
            PcapBlockOwned::NG(Block::SectionHeader(_)) => self.links.clear(),
            PcapBlockOwned::NG(Block::InterfaceDescription(interface)) => {
                let resolution = interface.ts_resolution().unwrap_or(1_000_000);
                self.links
                    .push((Link::from_linktype(interface.linktype.0), resolution));
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(packet)) => {
                let resolution = self
                    .links
                    .get(packet.if_id as usize)
                    .map_or(1_000_000, |l| l.1);
                let (seconds, fraction) = packet.decode_ts(0, resolution.max(1));
                let ms = u64::from(seconds) * 1000 + u64::from(fraction) * 1000 / resolution.max(1);
                self.packet(packet.if_id as usize, ms, packet.data);
            }
            PcapBlockOwned::NG(_) => {}
        }
    }

    fn packet(&mut self, interface: usize, ts_ms: u64, data: &[u8]) {
        match self.links.get(interface).and_then(|link| link.0) {
            Some(link) => {
                let sliced = slice(link, data);
                match sliced.as_ref().and_then(ExportDecoder::datagram) {
                    Some((from, datagram)) => {
                        self.exports.decode(from, datagram, ts_ms, &mut self.ready)
                    }
                    None => {
                        self.probe.sliced(ts_ms, sliced.as_ref(), &mut self.ended);
                        self.ready.extend(self.ended.drain(..));
                    }
                }
            }
            None => self.unsupported_link += 1,
        }
    }

    fn finish(&mut self) {
        self.probe.finish(&mut self.ended);
        self.ready.extend(self.ended.drain(..));
        self.done = true;
    }
}
