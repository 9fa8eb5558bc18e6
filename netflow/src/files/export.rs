//! NetFlow v5/v9 and IPFIX export inside a capture: a capture taken where an exporter sends
//! its datagrams (a collector's port) holds flow records, not traffic. Such datagrams are
//! decoded as the collector decodes them (templates per exporter and domain), and their flows
//! take the place of the UDP flow the datagrams themselves would make.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use etherparse::{LaxNetSlice, LaxSlicedPacket, TransportSlice};

use crate::collector::Collector;
use crate::columns::{FlowColumns, FlowRow};

/// UDP ports collectors listen on: NetFlow (2055, 2056, 9995, 9996) and IPFIX (4739, 4740).
pub const EXPORT_PORTS: [u16; 6] = [2055, 2056, 4739, 4740, 9995, 9996];

/// Decodes the export datagrams of one capture.
#[derive(Default)]
pub struct ExportDecoder {
    collector: Collector,
    columns: FlowColumns,
    /// Export datagrams seen.
    pub datagrams: u64,
    /// Export datagrams that could not be decoded.
    pub malformed: u64,
}

impl ExportDecoder {
    /// The export datagram `packet` carries, with its sender: UDP to a collector port whose
    /// payload starts with NetFlow version 5 or 9, or IPFIX (10).
    pub fn datagram<'a>(packet: &LaxSlicedPacket<'a>) -> Option<(SocketAddr, &'a [u8])> {
        let Some(TransportSlice::Udp(udp)) = &packet.transport else {
            return None;
        };
        if !EXPORT_PORTS.contains(&udp.destination_port()) {
            return None;
        }
        let payload = udp.payload();
        let version = u16::from_be_bytes([*payload.first()?, *payload.get(1)?]);
        if !matches!(version, 5 | 9 | 10) {
            return None;
        }
        let source: IpAddr = match &packet.net {
            Some(LaxNetSlice::Ipv4(ip)) => ip.header().source_addr().into(),
            Some(LaxNetSlice::Ipv6(ip)) => ip.header().source_addr().into(),
            _ => return None,
        };
        Some((SocketAddr::new(source, udp.source_port()), payload))
    }

    /// Decode one datagram from `from`, captured at `ts_ms`; its flows go to `out`.
    pub fn decode(
        &mut self,
        from: SocketAddr,
        datagram: &[u8],
        ts_ms: u64,
        out: &mut VecDeque<FlowRow>,
    ) {
        self.datagrams += 1;
        self.columns.clear();
        if self
            .collector
            .receive(from, datagram, ts_ms, &mut self.columns)
            .is_err()
        {
            self.malformed += 1;
        }
        out.extend((0..self.columns.len()).map(|i| self.columns.row(i)));
    }
}
