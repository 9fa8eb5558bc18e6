//! [`FlowColumns`]: flows as columns, the layout of the WIT `flow-batch`.

/// Flows as columns, one entry per flow in every column. Addresses are 16 bytes (IPv4 mapped
/// into IPv6, `::ffff:a.b.c.d`); `exporter` indexes `exporters`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowColumns {
    /// Source addresses.
    pub src_addr: Vec<[u8; 16]>,
    /// Destination addresses.
    pub dst_addr: Vec<[u8; 16]>,
    /// Source ports.
    pub src_port: Vec<u16>,
    /// Destination ports.
    pub dst_port: Vec<u16>,
    /// IP protocol numbers.
    pub protocol: Vec<u8>,
    /// Cumulative TCP flags.
    pub tcp_flags: Vec<u8>,
    /// Bytes.
    pub bytes: Vec<u64>,
    /// Packets.
    pub packets: Vec<u64>,
    /// First packet, ms since the epoch.
    pub start_ms: Vec<u64>,
    /// Last packet, ms since the epoch.
    pub end_ms: Vec<u64>,
    /// Input interface indexes.
    pub input_if: Vec<u32>,
    /// Output interface indexes.
    pub output_if: Vec<u32>,
    /// Index into `exporters` of the exporter of each flow.
    pub exporter: Vec<u16>,
    /// Exporter names (`address:port` of the sender).
    pub exporters: Vec<String>,
}

/// One flow being assembled from a record's fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowRow {
    /// Source address.
    pub src_addr: [u8; 16],
    /// Destination address.
    pub dst_addr: [u8; 16],
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Protocol.
    pub protocol: u8,
    /// TCP flags.
    pub tcp_flags: u8,
    /// Bytes.
    pub bytes: u64,
    /// Packets.
    pub packets: u64,
    /// Start, ms since the epoch.
    pub start_ms: u64,
    /// End, ms since the epoch.
    pub end_ms: u64,
    /// Input interface.
    pub input_if: u32,
    /// Output interface.
    pub output_if: u32,
    /// ICMP type and code (`type * 256 + code`), when the record carried them apart.
    pub icmp_type_code: u16,
}

/// An IPv4 address as 16 bytes (IPv4-mapped IPv6).
pub fn mapped_v4(octets: [u8; 4]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[10] = 0xff;
    out[11] = 0xff;
    out[12..].copy_from_slice(&octets);
    out
}

impl FlowColumns {
    /// Number of flows.
    pub fn len(&self) -> usize {
        self.src_port.len()
    }

    /// True when every column has one entry per flow (what decoding must always leave).
    pub fn is_consistent(&self) -> bool {
        let n = self.len();
        [
            self.src_addr.len(),
            self.dst_addr.len(),
            self.dst_port.len(),
            self.protocol.len(),
            self.tcp_flags.len(),
            self.bytes.len(),
            self.packets.len(),
            self.start_ms.len(),
            self.end_ms.len(),
            self.input_if.len(),
            self.output_if.len(),
            self.exporter.len(),
        ]
        .iter()
        .all(|&len| len == n)
    }

    /// True when there are no flows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index of exporter `name`, added when new.
    pub fn exporter_index(&mut self, name: &str) -> u16 {
        match self.exporters.iter().position(|known| known == name) {
            Some(index) => index as u16,
            None => {
                self.exporters.push(name.to_owned());
                (self.exporters.len() - 1) as u16
            }
        }
    }

    /// Append one flow from exporter `exporter` (an index from [`exporter_index`](Self::exporter_index)).
    pub fn push(&mut self, row: &FlowRow, exporter: u16) {
        self.src_addr.push(row.src_addr);
        self.dst_addr.push(row.dst_addr);
        self.src_port.push(row.src_port);
        self.dst_port.push(row.dst_port);
        self.protocol.push(row.protocol);
        self.tcp_flags.push(row.tcp_flags);
        self.bytes.push(row.bytes);
        self.packets.push(row.packets);
        self.start_ms.push(row.start_ms);
        self.end_ms.push(row.end_ms);
        self.input_if.push(row.input_if);
        self.output_if.push(row.output_if);
        self.exporter.push(exporter);
    }

    /// Flow `i` as a row.
    pub fn row(&self, i: usize) -> FlowRow {
        FlowRow {
            src_addr: self.src_addr[i],
            dst_addr: self.dst_addr[i],
            src_port: self.src_port[i],
            dst_port: self.dst_port[i],
            protocol: self.protocol[i],
            tcp_flags: self.tcp_flags[i],
            bytes: self.bytes[i],
            packets: self.packets[i],
            start_ms: self.start_ms[i],
            end_ms: self.end_ms[i],
            input_if: self.input_if[i],
            output_if: self.output_if[i],
            icmp_type_code: 0,
        }
    }

    /// The flows for which `keep` says true, in order (exporter names kept).
    pub fn filtered(&self, keep: impl Fn(usize) -> bool) -> FlowColumns {
        let mut out = FlowColumns {
            exporters: self.exporters.clone(),
            ..FlowColumns::default()
        };
        for i in (0..self.len()).filter(|&i| keep(i)) {
            out.push(&self.row(i), self.exporter[i]);
        }
        out
    }

    /// Remove every flow, keeping the allocations (and the exporter names).
    pub fn clear(&mut self) {
        self.src_addr.clear();
        self.dst_addr.clear();
        self.src_port.clear();
        self.dst_port.clear();
        self.protocol.clear();
        self.tcp_flags.clear();
        self.bytes.clear();
        self.packets.clear();
        self.start_ms.clear();
        self.end_ms.clear();
        self.input_if.clear();
        self.output_if.clear();
        self.exporter.clear();
    }
}
