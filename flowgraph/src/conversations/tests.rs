//! Hand-made conversations: what scans, clients and servers look like in flow records.

use super::*;

const S: u8 = SYN;
const A: u8 = ACK;
const R: u8 = RST;
const F: u8 = 0x01;
const P: u8 = 0x08;

/// One flow: (src, dst, src port, dst port, protocol, flags, bytes, packets, start ms).
type Row = (u8, u8, u16, u16, u8, u8, u64, u64, u64);

struct Window {
    src: Vec<u8>,
    dst: Vec<u8>,
    src_port: Vec<u16>,
    dst_port: Vec<u16>,
    protocol: Vec<u8>,
    tcp_flags: Vec<u8>,
    bytes: Vec<u64>,
    packets: Vec<u64>,
    start_ms: Vec<u64>,
    end_ms: Vec<u64>,
}

fn v4(last: u8) -> [u8; 16] {
    let mut address = [0u8; 16];
    address[10] = 0xff;
    address[11] = 0xff;
    address[12..].copy_from_slice(&[10, 0, 0, last]);
    address
}

impl Window {
    fn of(rows: &[Row]) -> Window {
        let mut w = Window {
            src: vec![],
            dst: vec![],
            src_port: vec![],
            dst_port: vec![],
            protocol: vec![],
            tcp_flags: vec![],
            bytes: vec![],
            packets: vec![],
            start_ms: vec![],
            end_ms: vec![],
        };
        for &(src, dst, sp, dp, proto, flags, bytes, packets, start) in rows {
            w.src.extend_from_slice(&v4(src));
            w.dst.extend_from_slice(&v4(dst));
            w.src_port.push(sp);
            w.dst_port.push(dp);
            w.protocol.push(proto);
            w.tcp_flags.push(flags);
            w.bytes.push(bytes);
            w.packets.push(packets);
            w.start_ms.push(start);
            w.end_ms.push(start + 5);
        }
        w
    }

    fn slices(&self) -> FlowSlices<'_> {
        FlowSlices {
            src_addr: &self.src,
            dst_addr: &self.dst,
            src_port: &self.src_port,
            dst_port: &self.dst_port,
            protocol: &self.protocol,
            tcp_flags: &self.tcp_flags,
            bytes: &self.bytes,
            packets: &self.packets,
            start_ms: &self.start_ms,
            end_ms: &self.end_ms,
        }
    }

    fn attempts(&self) -> Vec<Attempt> {
        let flows = self.slices();
        let conversations = Conversations::build(&flows);
        (0..flows.len())
            .map(|flow| conversations.attempt(&flows, flow))
            .collect()
    }
}

#[test]
fn a_syn_scan_fails_on_closed_open_and_filtered_ports() {
    let window = Window::of(&[
        (1, 2, 50_000, 22, TCP, S, 44, 1, 100), // 0: closed port ...
        (2, 1, 22, 50_000, TCP, R | A, 40, 1, 101), // 1: ... reset
        (1, 2, 50_000, 80, TCP, S | R, 84, 2, 100), // 2: open port: SYN, then our RST
        (2, 1, 80, 50_000, TCP, S | A, 44, 1, 101), // 3: ... SYN+ACK
        (1, 2, 50_000, 443, TCP, S, 44, 1, 100), // 4: filtered: nothing back
    ]);
    assert_eq!(
        window.attempts(),
        [
            Attempt::Refused,
            Attempt::Answer,
            Attempt::HalfOpen,
            Attempt::Answer,
            Attempt::HalfOpen
        ]
    );
    assert!(window.attempts().iter().filter(|a| a.is_failed()).count() == 3);
}

#[test]
fn a_server_answering_clients_never_attempts_anything() {
    // Three clients fetch a page from server 9; each answer goes to an ephemeral port.
    let mut rows = Vec::new();
    for client in 1..=3u8 {
        let port = 40_000 + u16::from(client);
        rows.push((client, 9, port, 443, TCP, S | A | P | F, 1_200, 10, 100));
        rows.push((9, client, 443, port, TCP, S | A | P | F, 30_000, 25, 101));
    }
    // An answer whose request is outside the window is still an answer.
    rows.push((9, 7, 443, 51_000, TCP, A | P | F, 9_000, 8, 90));
    let window = Window::of(&rows);
    let attempts = window.attempts();
    for (flow, attempt) in attempts.iter().enumerate() {
        let expected = if rows[flow].0 == 9 {
            Attempt::Answer
        } else {
            Attempt::Completed
        };
        assert_eq!(*attempt, expected, "flow {flow}");
    }
}

#[test]
fn a_connect_scan_and_an_empty_connection_have_no_payload() {
    let window = Window::of(&[
        (1, 2, 50_001, 8080, TCP, S | A | R, 132, 3, 100),
        (2, 1, 8080, 50_001, TCP, S | A, 60, 1, 100),
    ]);
    assert_eq!(window.attempts(), [Attempt::NoPayload, Attempt::Answer]);
}

#[test]
fn bidirectional_records_are_judged_from_their_own_flags() {
    // NIDS rows: both directions summed, flags OR-ed, no reverse flow.
    let window = Window::of(&[
        (1, 2, 50_000, 22, TCP, S | R | A, 84, 2, 100), // closed port
        (1, 2, 50_001, 23, TCP, S, 44, 1, 100),         // unanswered
        (1, 2, 50_002, 443, TCP, S | A | P | F, 5_000, 12, 100), // a real exchange
    ]);
    assert_eq!(
        window.attempts(),
        [Attempt::Refused, Attempt::HalfOpen, Attempt::Completed]
    );
}

#[test]
fn udp_probes_fail_with_unreachable_or_silence_and_echo_pairs() {
    let window = Window::of(&[
        (1, 2, 40_000, 161, UDP, 0, 29, 1, 100), // 0: closed: unreachable back
        (2, 1, 0, 0x0303, ICMP, 0, 56, 1, 101),  // 1: port unreachable
        (1, 3, 40_000, 53, UDP, 0, 70, 1, 100),  // 2: DNS query answered
        (3, 1, 53, 40_000, UDP, 0, 200, 1, 101), // 3: the answer
        (1, 4, 40_000, 5_000, UDP, 0, 28, 1, 100), // 4: silence
        (1, 5, 0, 0x0800, ICMP, 0, 84, 1, 100),  // 5: ping answered
        (5, 1, 0, 0x0000, ICMP, 0, 84, 1, 101),  // 6: echo reply
        (1, 6, 0, 0x0800, ICMP, 0, 84, 1, 100),  // 7: ping into the void
    ]);
    assert_eq!(
        window.attempts(),
        [
            Attempt::Unreachable,
            Attempt::Answer,
            Attempt::Completed,
            Attempt::Answer,
            Attempt::Unanswered,
            Attempt::Completed,
            Attempt::Answer,
            Attempt::Unanswered,
        ]
    );
}

#[test]
fn paired_flows_know_their_reverse_even_with_repeated_keys() {
    // The same 5-tuple twice (port reuse): each pairs with the answer closest in time.
    let window = Window::of(&[
        (1, 2, 40_000, 80, TCP, S | A | P | F, 900, 6, 100),
        (2, 1, 80, 40_000, TCP, S | A | P | F, 9_000, 9, 101),
        (1, 2, 40_000, 80, TCP, S | A | P | F, 900, 6, 5_000),
        (2, 1, 80, 40_000, TCP, S | A | P | F, 9_000, 9, 5_001),
    ]);
    let conversations = Conversations::build(&window.slices());
    assert_eq!(conversations.reverse, [1, 0, 3, 2]);
    assert_eq!(conversations.initiator, [true, false, true, false]);
}

#[test]
fn a_lone_syn_ack_answers_and_never_attempts() {
    // The scanner's SYN is not in the window; the scanned port's SYN+ACK is.
    let window = Window::of(&[(2, 1, 8081, 50_000, TCP, S | A, 44, 1, 100)]);
    assert_eq!(window.attempts(), [Attempt::Answer]);
}

#[test]
fn a_bidirectional_syn_ack_record_is_started_by_its_source() {
    // NIDS rows (no reverse flows): web sessions, and a scan probe to an open port whose SYN
    // and SYN+ACK are ORed into one record, to a port above the scanner's.
    let mut rows: Vec<_> = (0..30u16)
        .map(|i| (3, 2, 40_000 + i, 443, TCP, S | A | P | F, 4_000, 12, 100))
        .collect();
    rows.push((1, 2, 50_000, 62_711, TCP, S | A, 88, 2, 100));
    let window = Window::of(&rows);
    assert_ne!(window.attempts()[30], Attempt::Answer);
}
