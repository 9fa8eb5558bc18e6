//! A checked filter: tests of known fields against values of their kind, joined by `and`,
//! `or` and `not`. It writes itself back as text that reads as the same filter.

use std::fmt;

use crate::field::Field;
use crate::value::Value;

/// A filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Every flow (the empty filter).
    All,
    /// Every one of these.
    And(Vec<Filter>),
    /// Any of these.
    Or(Vec<Filter>),
    /// Not this.
    Not(Box<Filter>),
    /// One test.
    Test(Test),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=` (also `==`, or a value alone after the field): equal, in the network, all flags set.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `in (a, b, ...)`: equal to one of them.
    In,
    /// `not in (a, b, ...)`.
    NotIn,
}

impl Op {
    /// The operator with the opposite meaning's positive form: `!=` tests `=` and negates.
    pub(crate) fn positive(self) -> (Op, bool) {
        match self {
            Op::Ne => (Op::Eq, true),
            Op::NotIn => (Op::In, true),
            op => (op, false),
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "in",
            Op::NotIn => "not in",
        }
    }
}

/// What a field is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// A value, or the list of `in` and `not in`.
    Values(Vec<Value>),
    /// Another field of the same kind (`sport = dport`).
    Field(Field),
}

/// One test: `field op operand`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Test {
    /// The field tested (for `host`, `port`, `as`, `country`, `if`: either end).
    pub field: Field,
    /// How.
    pub op: Op,
    /// Against what.
    pub operand: Operand,
}

impl fmt::Display for Test {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.field.kind();
        write!(f, "{} {} ", self.field, self.op.symbol())?;
        match &self.operand {
            Operand::Field(other) => write!(f, "{other}"),
            Operand::Values(values) if matches!(self.op, Op::In | Op::NotIn) => {
                let shown: Vec<String> = values.iter().map(|v| v.show(kind)).collect();
                write!(f, "({})", shown.join(", "))
            }
            Operand::Values(values) => {
                let shown: Vec<String> = values.iter().map(|v| v.show(kind)).collect();
                f.write_str(&shown.join(", "))
            }
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::All => Ok(()),
            Filter::Test(test) => write!(f, "{test}"),
            Filter::Not(inner) => match inner.as_ref() {
                Filter::Test(test) => write!(f, "not {test}"),
                other => write!(f, "not ({other})"),
            },
            Filter::And(parts) => join(f, parts, " and ", |part| matches!(part, Filter::Or(_))),
            Filter::Or(parts) => join(f, parts, " or ", |_| false),
        }
    }
}

/// Write `parts` separated by `separator`, in parentheses where `grouped` says.
fn join(
    f: &mut fmt::Formatter<'_>,
    parts: &[Filter],
    separator: &str,
    grouped: impl Fn(&Filter) -> bool,
) -> fmt::Result {
    for (n, part) in parts.iter().enumerate() {
        if n > 0 {
            f.write_str(separator)?;
        }
        if grouped(part) {
            write!(f, "({part})")?;
        } else {
            write!(f, "{part}")?;
        }
    }
    Ok(())
}
