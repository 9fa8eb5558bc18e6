//! Flow records in their JSON row form; the runtime turns a window of them into the columnar
//! `flow-batch` of the WIT.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// One flow record (JSON row form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowRecord {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Source port.
    #[serde(default)]
    pub src_port: u16,
    /// Destination port.
    #[serde(default)]
    pub dst_port: u16,
    /// IP protocol number.
    #[serde(default)]
    pub protocol: u8,
    /// Cumulative TCP flags.
    #[serde(default)]
    pub tcp_flags: u8,
    /// Bytes.
    #[serde(default)]
    pub bytes: u64,
    /// Packets.
    #[serde(default)]
    pub packets: u64,
    /// First packet, ms since the epoch.
    #[serde(default)]
    pub start_ms: u64,
    /// Last packet, ms since the epoch.
    #[serde(default)]
    pub end_ms: u64,
    /// Input interface index.
    #[serde(default)]
    pub input_if: u32,
    /// Output interface index.
    #[serde(default)]
    pub output_if: u32,
    /// Exporter (address or file name).
    #[serde(default)]
    pub exporter: String,
}

/// A window of flows as it appears in an event file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowWindowInput {
    /// Window start, ms since the epoch.
    #[serde(default)]
    pub start_ms: u64,
    /// Window end (exclusive), ms since the epoch.
    #[serde(default)]
    pub end_ms: u64,
    /// The flows.
    pub flows: Vec<FlowRecord>,
}
