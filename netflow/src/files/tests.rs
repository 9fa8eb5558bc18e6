//! Format detection, JSON lines, windows, and a capture turned into the flows softflowd
//! exported for it (the committed nfdump reference).

use std::io::Write;
use std::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/flows")
        .join(name)
}

fn temp_file(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netassure-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(content)
        .unwrap();
    path
}

fn address(bytes: [u8; 16]) -> IpAddr {
    let v6 = Ipv6Addr::from(bytes);
    v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)
}

fn all_flows(file: &mut FlowFile) -> Vec<(FlowRow, Label)> {
    let mut flows = Vec::new();
    while let Some(flow) = file.next_flow().unwrap() {
        flows.push(flow);
    }
    flows
}

#[test]
fn formats_are_recognised_by_content_first() {
    let detect = |name: &str, head: &[u8]| FlowFileFormat::detect(Path::new(name), head);
    assert_eq!(
        detect("x.bin", &[0xd4, 0xc3, 0xb2, 0xa1]),
        Some(FlowFileFormat::Pcap)
    );
    assert_eq!(
        detect("x.csv", &[0x0a, 0x0d, 0x0d, 0x0a]),
        Some(FlowFileFormat::Pcap)
    );
    assert_eq!(
        detect("x.txt", b"  {\"src\":\"1.2.3.4\"}"),
        Some(FlowFileFormat::JsonLines)
    );
    assert_eq!(
        detect("x.txt", b"IPV4_SRC_ADDR,L4_SRC_PORT\n"),
        Some(FlowFileFormat::NidsCsv)
    );
    assert_eq!(detect("x.csv", b"a,b\n"), Some(FlowFileFormat::NidsCsv));
    assert_eq!(detect("x.txt", b"hello"), None);
}

#[test]
fn an_unknown_file_is_a_clear_error() {
    let path = temp_file("notes.txt", b"hello");
    let error = FlowFile::open(&path).err().unwrap().to_string();
    assert!(error.contains("not a flow file"), "{error}");
}

#[test]
fn json_lines_become_flows_and_bad_lines_are_counted() {
    let text = b"# a comment\n\
{\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"dst_port\":443,\"protocol\":6,\"bytes\":1500,\"packets\":3,\"start_ms\":1000,\"end_ms\":1200}\n\
\n\
{\"src\":\"2001:db8::1\",\"dst\":\"2001:db8::2\",\"bytes\":100,\"label\":true,\"attack\":\"DoS\"}\n\
{\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"byts\":1}\n\
not json\n";
    let mut file = FlowFile::open(&temp_file("flows.jsonl", text)).unwrap();
    assert_eq!(file.format(), FlowFileFormat::JsonLines);
    let flows = all_flows(&mut file);
    assert_eq!(flows.len(), 2);
    assert_eq!(
        address(flows[0].0.src_addr),
        "10.0.0.1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(
        (flows[0].0.dst_port, flows[0].0.bytes, flows[0].0.end_ms),
        (443, 1500, 1200)
    );
    assert_eq!(
        flows[1].1,
        Label {
            attack: true,
            class: "DoS".into()
        }
    );
    assert_eq!(file.malformed(), 2);
    let first = file.first_error().unwrap();
    assert!(
        first.starts_with("line 5:") && first.contains("byts"),
        "{first}"
    );
    assert_eq!(file.bytes_read(), file.size());
}

#[test]
fn windows_go_by_end_time_and_count() {
    let flow = |end_ms| FlowRow {
        end_ms,
        start_ms: end_ms,
        bytes: 1,
        ..FlowRow::default()
    };
    let benign = || Label {
        attack: false,
        class: "Benign".into(),
    };
    let mut windows = FlowWindows::new(1_000, 3, "f");
    let mut closed = Vec::new();
    for end in [100, 200, 999, 1_000, 1_001, 1_002, 1_003, 500, 5_000] {
        closed.extend(windows.push(&flow(end), benign()));
    }
    closed.extend(windows.finish());
    let spans: Vec<(u64, u64, usize)> = closed
        .iter()
        .map(|w| (w.start_ms, w.end_ms, w.flows.len()))
        .collect();
    // [0,1000): 3 flows; [1000,2000): 3 (count), then 1 + the late 500; [5000,6000): 1.
    assert_eq!(
        spans,
        [
            (0, 1_000, 3),
            (1_000, 2_000, 3),
            (1_000, 2_000, 2),
            (5_000, 6_000, 1)
        ]
    );
    assert_eq!(windows.late, 1);
    assert_eq!(closed[0].flows.exporters, ["f"]);
    assert_eq!(closed[0].labels.len(), 3);
}

/// Flows as the committed nfdump decodings list them, sorted.
fn nfdump_lines(flows: &[(FlowRow, Label)]) -> Vec<String> {
    let mut lines: Vec<String> = flows
        .iter()
        .map(|(flow, _)| {
            let port = if matches!(flow.protocol, 1 | 58) {
                format!("{}.{}", flow.dst_port >> 8, flow.dst_port & 0xff)
            } else {
                flow.dst_port.to_string()
            };
            format!(
                "{} {} {} {} {} {} {}",
                flow.protocol,
                address(flow.src_addr),
                flow.src_port,
                address(flow.dst_addr),
                port,
                flow.packets,
                flow.bytes
            )
        })
        .collect();
    lines.sort();
    lines
}

/// nfdump's decoding of softflowd's export (version 5, 9 or 10) of `mixed.pcap`.
fn nfdump_expected(version: u8) -> Vec<String> {
    std::fs::read_to_string(fixture(&format!("softflowd-v{version}.nfdump.txt")))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_capture_becomes_the_flows_softflowd_exported_for_it() {
    let mut file = FlowFile::open(&fixture("mixed.pcap")).unwrap();
    assert_eq!(file.format(), FlowFileFormat::Pcap);
    let flows = all_flows(&mut file);
    let lines = nfdump_lines(&flows);
    let expected = nfdump_expected(9);
    assert_eq!(lines, expected);
    let counters = file.pcap_counters().unwrap();
    assert_eq!(counters.packets, 1_372);
    assert_eq!((counters.malformed, counters.unsupported_link), (0, 0));
    assert!(
        flows
            .iter()
            .all(|(flow, _)| flow.start_ms >= 1_790_000_000_000 && flow.end_ms >= flow.start_ms)
    );
}

#[test]
fn a_truncated_capture_keeps_its_flows_and_counts_the_cut() {
    let bytes = std::fs::read(fixture("mixed.pcap")).unwrap();
    let cut = &bytes[..bytes.len() - 30];
    let mut file = FlowFile::open(&temp_file("cut.pcap", cut)).unwrap();
    let flows = all_flows(&mut file);
    let packets: u64 = flows.iter().map(|(flow, _)| flow.packets).sum();
    assert_eq!(packets, 1_371);
    assert_eq!(file.pcap_counters().unwrap().malformed, 1);
}

/// `pcap` (classic format, little-endian) with every packet cut to `snap` bytes, as
/// `tcpdump -s SNAP` writes it: the record keeps the length the packet had on the wire.
fn with_snap_length(pcap: &[u8], snap: usize) -> Vec<u8> {
    assert_eq!(
        &pcap[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian classic pcap"
    );
    let mut out = pcap[..24].to_vec();
    out[16..20].copy_from_slice(&(snap as u32).to_le_bytes());
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let captured = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        let kept = captured.min(snap);
        out.extend_from_slice(&pcap[at..at + 8]);
        out.extend_from_slice(&(kept as u32).to_le_bytes());
        out.extend_from_slice(&pcap[at + 12..at + 16]);
        out.extend_from_slice(&pcap[at + 16..at + 16 + kept]);
        at += 16 + captured;
    }
    out
}

#[test]
fn a_capture_cut_at_a_snap_length_gives_the_same_flows() {
    let full = std::fs::read(fixture("mixed.pcap")).unwrap();
    let whole = all_flows(&mut FlowFile::open(&fixture("mixed.pcap")).unwrap());
    let mut file = FlowFile::open(&temp_file("snap96.pcap", &with_snap_length(&full, 96))).unwrap();
    let cut = all_flows(&mut file);
    assert_eq!(cut, whole, "headers suffice: bytes come from the IP length");
    assert_eq!(file.pcap_counters().unwrap().malformed, 0);
}

/// softflowd's committed export datagrams (4-byte big-endian length, then the datagram) as a
/// capture of their way from 192.0.2.1:40000 to a collector on UDP 2055.
fn export_capture(version: u8) -> Vec<u8> {
    let dgrams = std::fs::read(fixture(&format!("softflowd-v{version}.dgrams"))).unwrap();
    // Classic pcap header: magic, version 2.4, zone, accuracy, snap length, Ethernet.
    let mut pcap = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    pcap.extend_from_slice(&2u16.to_le_bytes());
    pcap.extend_from_slice(&4u16.to_le_bytes());
    for word in [0u32, 0, 65_535, 1] {
        pcap.extend_from_slice(&word.to_le_bytes());
    }
    let mut at = 0;
    let mut second = 1_790_000_000u32;
    while at + 4 <= dgrams.len() {
        let len = u32::from_be_bytes(dgrams[at..at + 4].try_into().unwrap()) as usize;
        let datagram = &dgrams[at + 4..at + 4 + len];
        at += 4 + len;
        let mut frame = Vec::new();
        etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
            .udp(40_000, 2055)
            .write(&mut frame, datagram)
            .unwrap();
        second += 1;
        for word in [second, 0, frame.len() as u32, frame.len() as u32] {
            pcap.extend_from_slice(&word.to_le_bytes());
        }
        pcap.extend_from_slice(&frame);
    }
    pcap
}

#[test]
fn a_capture_of_netflow_export_gives_the_exported_flows() {
    for version in [5, 9, 10] {
        let name = format!("export-v{version}.pcap");
        let mut file = FlowFile::open(&temp_file(&name, &export_capture(version))).unwrap();
        let flows = all_flows(&mut file);
        assert_eq!(nfdump_lines(&flows), nfdump_expected(version), "v{version}");
        let counters = file.pcap_counters().unwrap();
        assert!(counters.export_datagrams > 0);
        assert_eq!((counters.packets, counters.malformed), (0, 0), "v{version}");
    }
}
