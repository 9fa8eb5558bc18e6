//! The information elements NetAssure decodes (the same numbers in NetFlow v9 and IPFIX) and
//! what each sets in a flow.

use crate::columns::{FlowRow, mapped_v4};
use crate::read::uint;

/// Seconds from the NTP era (1900) to the Unix epoch.
const NTP_TO_UNIX_S: u64 = 2_208_988_800;

/// What a template field means to NetAssure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `sourceIPv4Address` (8).
    SrcV4,
    /// `destinationIPv4Address` (12).
    DstV4,
    /// `sourceIPv6Address` (27).
    SrcV6,
    /// `destinationIPv6Address` (28).
    DstV6,
    /// `sourceTransportPort` (7).
    SrcPort,
    /// `destinationTransportPort` (11).
    DstPort,
    /// `protocolIdentifier` (4).
    Protocol,
    /// `tcpControlBits` (6).
    TcpFlags,
    /// `octetDeltaCount` (1), `octetTotalCount` (85).
    Bytes,
    /// `packetDeltaCount` (2), `packetTotalCount` (86).
    Packets,
    /// `ingressInterface` (10).
    InputIf,
    /// `egressInterface` (14).
    OutputIf,
    /// `icmpTypeCodeIPv4` (32), `icmpTypeCodeIPv6` (139): kept in the destination port, as
    /// NetFlow v5 and nfdump keep them (`type * 256 + code`).
    IcmpTypeCode,
    /// `flowStartSysUpTime` / v9 `FIRST_SWITCHED` (22), ms of exporter uptime.
    StartUptime,
    /// `flowEndSysUpTime` / v9 `LAST_SWITCHED` (21).
    EndUptime,
    /// `flowStartSeconds` (150).
    StartSeconds,
    /// `flowEndSeconds` (151).
    EndSeconds,
    /// `flowStartMilliseconds` (152).
    StartMillis,
    /// `flowEndMilliseconds` (153).
    EndMillis,
    /// `flowStartMicroseconds` (154), NTP format.
    StartNtp,
    /// `flowEndMicroseconds` (155), `flowEndNanoseconds` (157): NTP format.
    EndNtp,
    /// Anything else, enterprise-specific elements included: skipped.
    Skip,
}

impl Target {
    /// The meaning of information element `id` (`enterprise` elements are always skipped).
    pub fn of(id: u16, enterprise: bool) -> Target {
        if enterprise {
            return Target::Skip;
        }
        match id {
            1 | 85 => Target::Bytes,
            2 | 86 => Target::Packets,
            4 => Target::Protocol,
            6 => Target::TcpFlags,
            7 => Target::SrcPort,
            8 => Target::SrcV4,
            10 => Target::InputIf,
            11 => Target::DstPort,
            12 => Target::DstV4,
            14 => Target::OutputIf,
            21 => Target::EndUptime,
            22 => Target::StartUptime,
            27 => Target::SrcV6,
            28 => Target::DstV6,
            32 | 139 => Target::IcmpTypeCode,
            150 => Target::StartSeconds,
            151 => Target::EndSeconds,
            152 => Target::StartMillis,
            153 => Target::EndMillis,
            154 | 156 => Target::StartNtp,
            155 | 157 => Target::EndNtp,
            _ => Target::Skip,
        }
    }
}

/// The export datagram's clock, to turn relative times into ms since the epoch.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Export time, ms since the epoch.
    pub export_ms: u64,
    /// Exporter uptime at export, ms (v5 and v9 headers; IPFIX has none).
    pub uptime_ms: Option<u64>,
}

impl Clock {
    fn at_uptime(&self, at_uptime_ms: u64) -> u64 {
        match self.uptime_ms {
            // Uptime counters wrap at 2^32 ms (49.7 days).
            Some(now) => self
                .export_ms
                .saturating_sub(now.wrapping_sub(at_uptime_ms) & 0xffff_ffff),
            None => self.export_ms,
        }
    }
}

fn ntp_ms(value: &[u8]) -> u64 {
    if value.len() != 8 {
        return 0;
    }
    let seconds = uint(&value[..4]);
    let fraction = uint(&value[4..]);
    seconds.saturating_sub(NTP_TO_UNIX_S) * 1000 + ((fraction * 1000) >> 32)
}

/// Set what `target` means in `row` from the field's bytes. Returns false for a value of a
/// length the element cannot have (the field is then ignored).
pub fn apply(row: &mut FlowRow, target: Target, value: &[u8], clock: &Clock) -> bool {
    match target {
        Target::SrcV4 | Target::DstV4 => {
            let Ok(octets) = <[u8; 4]>::try_from(value) else {
                return false;
            };
            let address = mapped_v4(octets);
            if target == Target::SrcV4 {
                row.src_addr = address;
            } else {
                row.dst_addr = address;
            }
        }
        Target::SrcV6 | Target::DstV6 => {
            let Ok(address) = <[u8; 16]>::try_from(value) else {
                return false;
            };
            if target == Target::SrcV6 {
                row.src_addr = address;
            } else {
                row.dst_addr = address;
            }
        }
        Target::SrcPort => row.src_port = uint(value) as u16,
        Target::DstPort => row.dst_port = uint(value) as u16,
        Target::Protocol => row.protocol = uint(value) as u8,
        Target::TcpFlags => row.tcp_flags = uint(value) as u8,
        Target::Bytes => row.bytes = uint(value),
        Target::Packets => row.packets = uint(value),
        Target::IcmpTypeCode => row.icmp_type_code = uint(value) as u16,
        Target::InputIf => row.input_if = uint(value) as u32,
        Target::OutputIf => row.output_if = uint(value) as u32,
        Target::StartUptime => row.start_ms = clock.at_uptime(uint(value)),
        Target::EndUptime => row.end_ms = clock.at_uptime(uint(value)),
        Target::StartSeconds => row.start_ms = uint(value) * 1000,
        Target::EndSeconds => row.end_ms = uint(value) * 1000,
        Target::StartMillis => row.start_ms = uint(value),
        Target::EndMillis => row.end_ms = uint(value),
        Target::StartNtp => row.start_ms = ntp_ms(value),
        Target::EndNtp => row.end_ms = ntp_ms(value),
        Target::Skip => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_and_ntp_times_become_epoch_milliseconds() {
        let clock = Clock {
            export_ms: 1_790_000_000_000,
            uptime_ms: Some(100_000),
        };
        let mut row = FlowRow::default();
        apply(
            &mut row,
            Target::StartUptime,
            &90_000u32.to_be_bytes(),
            &clock,
        );
        assert_eq!(row.start_ms, 1_790_000_000_000 - 10_000);
        let ntp = ((1_790_000_000u64 + NTP_TO_UNIX_S) << 32) | (1u64 << 31);
        apply(&mut row, Target::EndNtp, &ntp.to_be_bytes(), &clock);
        assert_eq!(row.end_ms, 1_790_000_000_500);
        assert!(
            !apply(&mut row, Target::SrcV4, &[1, 2, 3], &clock),
            "wrong length"
        );
        apply(&mut row, Target::SrcV4, &[10, 0, 0, 1], &clock);
        assert_eq!(&row.src_addr[10..], &[0xff, 0xff, 10, 0, 0, 1]);
    }
}
