//! The flow filter language: what `filter=` takes in the flow queries and `--filter` on the
//! command line (docs/flow-queries.md).
//!
//! ```text
//! src = 10.0.0.0/8 and dport in (22, 3389) and proto = tcp and bytes > 1M
//! host 192.0.2.7 and not (port 53 or proto icmp)
//! sport = dport or src_as in (64496, AS64511) and dst_country != FR
//! ```
//!
//! A filter is tests on flow fields joined by `and`, `or` and `not` (also `&&`, `||`, `!`),
//! grouped with parentheses; `and` binds tighter than `or`. A test is a field, an operator and
//! a value (`bytes > 1M`), a list (`dport in (22, 3389)`) or another field of the same kind
//! (`sport = dport`); a field followed by a value alone means `=` (`host 10.1.2.3`, `proto
//! tcp`). `host`, `port`, `as`, `country` and `if` test either end of the flow.
//!
//! Parsing is in two steps: [`syntax`] reads the text into tests of named fields with raw
//! values (winnow), [`check`] resolves the names and reads the values as the field's kind
//! ([`field`], [`value`]); either step's error says at which column of the text it is
//! ([`FilterError`]). [`Filter::matches`] evaluates a filter on anything that shows a flow's
//! fields ([`FlowView`]; [`ColumnsRow`] for the collector's columns).

mod check;
mod columns;
mod eval;
mod field;
mod filter;
mod syntax;
mod value;

pub use columns::ColumnsRow;
pub use eval::{FlowView, Observed};
pub use field::{Field, Kind};
pub use filter::{Filter, Op, Operand, Test};
pub use value::Value;

/// A filter that could not be read: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct FilterError {
    /// Column of the offending text, counted in characters from 1.
    pub column: usize,
    /// What is wrong there.
    pub message: String,
}

impl FilterError {
    /// An error at byte `offset` of `text`.
    pub(crate) fn at(text: &str, offset: usize, message: impl Into<String>) -> FilterError {
        let offset = offset.min(text.len());
        let column = text
            .char_indices()
            .take_while(|&(at, _)| at < offset)
            .count()
            + 1;
        FilterError {
            column,
            message: message.into(),
        }
    }
}

/// Read a filter; an empty (or blank) text is [`Filter::All`].
pub fn parse(text: &str) -> Result<Filter, FilterError> {
    match syntax::parse(text)? {
        None => Ok(Filter::All),
        Some(raw) => check::check(raw, text),
    }
}

impl std::str::FromStr for Filter {
    type Err = FilterError;

    fn from_str(text: &str) -> Result<Filter, FilterError> {
        parse(text)
    }
}

#[cfg(test)]
mod tests;
