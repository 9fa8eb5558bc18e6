//! [`FlowView`] of one flow of the collector's columns ([`FlowColumns`]).

use std::net::{IpAddr, Ipv6Addr};

use netassure_netflow::FlowColumns;

use crate::eval::{FlowView, Observed};
use crate::field::Field;
use crate::filter::Filter;

/// Flow `index` of `columns`.
#[derive(Debug, Clone, Copy)]
pub struct ColumnsRow<'a> {
    /// The columns.
    pub columns: &'a FlowColumns,
    /// The flow.
    pub index: usize,
}

impl FlowView for ColumnsRow<'_> {
    fn observe(&self, field: Field) -> Option<Observed<'_>> {
        let (c, i) = (self.columns, self.index);
        let number = |n: u64| Some(Observed::Number(n));
        match field {
            Field::Src => Some(Observed::Address(address(c.src_addr[i]))),
            Field::Dst => Some(Observed::Address(address(c.dst_addr[i]))),
            Field::SrcPort => number(u64::from(c.src_port[i])),
            Field::DstPort => number(u64::from(c.dst_port[i])),
            Field::Protocol => number(u64::from(c.protocol[i])),
            Field::Flags => number(u64::from(c.tcp_flags[i])),
            Field::Bytes => number(c.bytes[i]),
            Field::Packets => number(c.packets[i]),
            Field::Duration => number(c.end_ms[i].saturating_sub(c.start_ms[i])),
            Field::InIf => c.input_if.get(i).and_then(|&n| number(u64::from(n))),
            Field::OutIf => c.output_if.get(i).and_then(|&n| number(u64::from(n))),
            Field::Exporter => c
                .exporter
                .get(i)
                .and_then(|&n| c.exporters.get(usize::from(n)))
                .map(|name| Observed::Text(name)),
            // Not in the collector's columns (enrichment adds them).
            Field::SrcAs | Field::DstAs | Field::SrcCountry | Field::DstCountry => None,
            Field::Host | Field::Port | Field::Interface | Field::As | Field::Country => None,
        }
    }
}

fn address(bytes: [u8; 16]) -> IpAddr {
    IpAddr::V6(Ipv6Addr::from(bytes))
}

impl Filter {
    /// The indexes of the flows of `columns` that pass, in order.
    pub fn select(&self, columns: &FlowColumns) -> Vec<usize> {
        (0..columns.src_addr.len())
            .filter(|&index| self.matches(&ColumnsRow { columns, index }))
            .collect()
    }
}
