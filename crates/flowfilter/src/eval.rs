//! Evaluating a filter on one flow, whatever holds it ([`FlowView`]).
//!
//! A test of a value the flow does not have (no AS database, no interface names) is false,
//! `=` and `!=` alike, as in SQL; `not (...)` of it is true. A test of either end (`host`,
//! `port`, ...) holds when it holds for one end; its `!=` and `not in` when it holds for
//! neither (`host != 10.0.0.1`: neither address is 10.0.0.1).

use std::net::IpAddr;

use crate::field::Field;
use crate::filter::{Filter, Op, Operand, Test};
use crate::value::Value;

/// A flow's field as a filter reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed<'a> {
    /// An address.
    Address(IpAddr),
    /// A number (port, protocol, flags, bytes, packets, milliseconds, interface index, AS).
    Number(u64),
    /// A name (exporter, interface name, upper-case country code).
    Text(&'a str),
}

/// A flow, as a filter sees it.
pub trait FlowView {
    /// The value of `field` — never an either-end field (`host`, `port`, ...), which the
    /// filter splits into its two ends — or `None` when the flow does not have it.
    fn observe(&self, field: Field) -> Option<Observed<'_>>;

    /// The interface's name, for `in_if` and `out_if` tested against names (`None` when
    /// unknown).
    fn interface_name(&self, field: Field) -> Option<&str> {
        let _ = field;
        None
    }
}

impl Filter {
    /// True when `flow` passes.
    pub fn matches(&self, flow: &impl FlowView) -> bool {
        match self {
            Filter::All => true,
            Filter::And(parts) => parts.iter().all(|part| part.matches(flow)),
            Filter::Or(parts) => parts.iter().any(|part| part.matches(flow)),
            Filter::Not(inner) => !inner.matches(flow),
            Filter::Test(test) => test.matches(flow),
        }
    }
}

impl Test {
    /// True when `flow` passes this test.
    pub fn matches(&self, flow: &impl FlowView) -> bool {
        let (op, negated) = self.op.positive();
        let verdicts = self
            .field
            .ends()
            .iter()
            .map(|&end| holds(flow, end, op, &self.operand));
        if negated {
            // Known at every end, and true at none.
            let mut verdicts = verdicts;
            verdicts.all(|verdict| verdict == Some(false))
        } else {
            let mut verdicts = verdicts;
            verdicts.any(|verdict| verdict == Some(true))
        }
    }
}

/// Whether `field op operand` holds for `flow` (`op` positive); `None` when the flow lacks a
/// value the test needs.
fn holds(flow: &impl FlowView, field: Field, op: Op, operand: &Operand) -> Option<bool> {
    let observed = flow.observe(field);
    match operand {
        Operand::Field(other) => {
            let (left, right) = (observed?, flow.observe(*other)?);
            Some(match (left, right) {
                (Observed::Number(a), Observed::Number(b)) => ordered(op, a.cmp(&b)),
                (a, b) => (op == Op::Eq) == (a == b),
            })
        }
        Operand::Values(values) => {
            let mut known = false;
            for value in values {
                if let Some(verdict) = against(flow, field, observed, op, value) {
                    known = true;
                    if verdict {
                        return Some(true);
                    }
                }
            }
            known.then_some(false)
        }
    }
}

/// `observed op value`, `None` when not comparable (the flow lacks it).
fn against(
    flow: &impl FlowView,
    field: Field,
    observed: Option<Observed<'_>>,
    op: Op,
    value: &Value,
) -> Option<bool> {
    match (value, observed) {
        (Value::Network(network), Some(Observed::Address(address))) => {
            Some(network.contains(&unmapped(address)))
        }
        (Value::Number(wanted), Some(Observed::Number(have))) if field == Field::Flags => {
            Some(have & wanted == *wanted)
        }
        (Value::Number(wanted), Some(Observed::Number(have))) => {
            Some(ordered(op, have.cmp(wanted)))
        }
        (Value::Text(wanted), Some(Observed::Text(have))) => Some(have == wanted),
        (Value::Text(wanted), _) => flow.interface_name(field).map(|name| name == wanted),
        _ => None,
    }
}

/// Whether `ordering` (flow against value) satisfies `op` (positive).
fn ordered(op: Op, ordering: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match op {
        Op::Lt => ordering == Less,
        Op::Le => ordering != Greater,
        Op::Gt => ordering == Greater,
        Op::Ge => ordering != Less,
        Op::Eq | Op::In | Op::Ne | Op::NotIn => ordering == Equal,
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`, how flows carry them) as IPv4, so that
/// `10.0.0.0/8` contains it.
fn unmapped(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}
