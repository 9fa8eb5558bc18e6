//! What a source's flow records are: one direction each (NetFlow, IPFIX, a capture), where
//! conversations pair them, or both directions summed in one record (NIDS CSV rows, flags
//! ORed), where a record carries its own answer. Judged from how many TCP flows that open a
//! connection have a reverse flow: almost none (under 2%) in bidirectional records.

use crate::{Conversations, FlowSlices};

const TCP: u8 = 6;
const SYN: u8 = 0x02;

/// What the flow records are, as far as the flows counted tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    /// Too few TCP connections counted (under 20): judge either way, whichever reports less.
    Unknown,
    /// One direction each (NetFlow, IPFIX, a capture): conversations pair them.
    Unidirectional,
    /// Both directions summed (NIDS CSV rows): a record carries its own answer.
    Bidirectional,
}

/// A tally of TCP flows with SYN and of those with a reverse flow. A detector keeps one across
/// windows ([`RecordKind::update`]); [`Conversations::build`] judges one window alone.
#[derive(Debug, Default, Clone, Copy)]
pub struct RecordKind {
    opening: u32,
    paired: u32,
}

impl RecordKind {
    /// Count the flows of a window whose reverse flows are `reverse`.
    pub fn add(&mut self, flows: &FlowSlices<'_>, reverse: &[i32]) {
        for (i, &other) in reverse.iter().enumerate() {
            if flows.protocol[i] == TCP && flows.tcp_flags[i] & SYN != 0 {
                self.opening += 1;
                self.paired += u32::from(other >= 0);
            }
        }
    }

    /// What the records are, from the flows counted so far.
    pub fn records(&self) -> Records {
        match (self.opening, self.paired) {
            (opening, _) if opening < 20 => Records::Unknown,
            (opening, paired) if paired * 50 < opening => Records::Bidirectional,
            _ => Records::Unidirectional,
        }
    }

    /// Add a window's flows and say what the records are; the tally halves past 10,000 so it
    /// follows a change of source.
    pub fn update(&mut self, flows: &FlowSlices<'_>, conversations: &Conversations) -> Records {
        self.add(flows, &conversations.reverse);
        if self.opening > 10_000 {
            self.opening /= 2;
            self.paired /= 2;
        }
        self.records()
    }
}
