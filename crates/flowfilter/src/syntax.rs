//! The grammar (winnow): the text read into tests of named fields with raw values, each with
//! the byte offset it starts at so that [`check`](crate::check) can point at it.
//!
//! ```text
//! filter := or? EOF
//! or     := and (("or" | "||") and)*
//! and    := not (("and" | "&&") not)*
//! not    := ("not" | "!") not | "(" or ")" | test
//! test   := word (op value | "in" list | "not" "in" list | value)
//! op     := "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
//! list   := "(" value ("," value)* ")"
//! value  := word | "double-quoted text"
//! word   := letters, digits and . : / _ -
//! ```

use winnow::LocatingSlice;
use winnow::ascii::{Caseless, multispace0};
use winnow::combinator::{alt, cut_err, delimited, eof, not, opt, preceded, terminated};
use winnow::error::{ContextError, ErrMode, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::stream::Location;
use winnow::token::{none_of, take_while};

use crate::FilterError;
use crate::filter::Op;

type Input<'s> = LocatingSlice<&'s str>;
type Parsed<T> = winnow::ModalResult<T>;

/// A filter as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Raw<'s> {
    Or(Vec<Raw<'s>>),
    And(Vec<Raw<'s>>),
    Not(Box<Raw<'s>>),
    Test(RawTest<'s>),
}

/// A test as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawTest<'s> {
    pub field: RawValue<'s>,
    pub op: Op,
    pub values: Vec<RawValue<'s>>,
    /// Where the operator (or the value standing for `=`) starts.
    pub op_at: usize,
}

/// A word or a quoted text, and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawValue<'s> {
    pub text: std::borrow::Cow<'s, str>,
    pub quoted: bool,
    pub at: usize,
}

/// True for the characters of a bare word.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | ':' | '/' | '_' | '-')
}

/// Read `text`; `None` when it holds nothing but blanks.
pub(crate) fn parse(text: &str) -> Result<Option<Raw<'_>>, FilterError> {
    let end = cut_err(eof).context(expected("`and`, `or` or the end of the filter"));
    let body = alt((eof.value(None), cut_err(or).map(Some)));
    let mut whole = (multispace0, body, end).map(|(_, raw, _)| raw);
    whole.parse(LocatingSlice::new(text)).map_err(|error| {
        let offset = error.offset().min(text.len());
        FilterError::at(text, offset, describe(error.inner(), &text[offset..]))
    })
}

/// What the parser expected where it stopped (the most specific expectation), in words.
fn describe(error: &ContextError, rest: &str) -> String {
    let expected = error.context().find_map(|context| match context {
        StrContext::Expected(StrContextValue::Description(what)) => Some(what.to_string()),
        StrContext::Expected(other) => Some(other.to_string()),
        _ => None,
    });
    let found = if rest.is_empty() {
        "the end of the filter".to_string()
    } else {
        let token: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace())
            .take(20)
            .collect();
        format!("`{token}`")
    };
    match expected {
        Some(what) => format!("expected {what}, found {found}"),
        None => format!("unexpected {found}"),
    }
}

/// `item (separator item)*`: an item must follow each separator (an error there is the
/// filter's error, not the end of the list).
fn joined<'s, T>(
    i: &mut Input<'s>,
    mut item: impl Parser<Input<'s>, T, ErrMode<ContextError>>,
    mut separator: impl Parser<Input<'s>, (), ErrMode<ContextError>>,
    what: &'static str,
) -> Parsed<Vec<T>> {
    let mut items = vec![item.parse_next(i)?];
    while opt(separator.by_ref()).parse_next(i)?.is_some() {
        items.push(
            cut_err(item.by_ref())
                .context(expected(what))
                .parse_next(i)?,
        );
    }
    Ok(items)
}

fn expected(what: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::Description(what))
}

/// A keyword (any case) that is not the start of a longer word, and the blanks after it.
fn keyword<'s>(word: &'static str) -> impl Parser<Input<'s>, (), ErrMode<ContextError>> {
    terminated(
        Caseless(word),
        (not(take_while(1, is_word_char)), multispace0),
    )
    .void()
}

/// A symbol and the blanks after it.
fn symbol<'s>(text: &'static str) -> impl Parser<Input<'s>, (), ErrMode<ContextError>> {
    terminated(text, multispace0).void()
}

fn or<'s>(i: &mut Input<'s>) -> Parsed<Raw<'s>> {
    let separator = alt((keyword("or"), symbol("||")));
    let mut parts = joined(i, and, separator, "a field, `not` or `(`")?;
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Raw::Or(parts)
    })
}

fn and<'s>(i: &mut Input<'s>) -> Parsed<Raw<'s>> {
    let separator = alt((keyword("and"), symbol("&&")));
    let mut parts = joined(i, negation, separator, "a field, `not` or `(`")?;
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Raw::And(parts)
    })
}

fn negation<'s>(i: &mut Input<'s>) -> Parsed<Raw<'s>> {
    let not_word = alt((
        keyword("not"),
        terminated("!", (not("="), multispace0)).void(),
    ));
    alt((
        preceded(
            not_word,
            cut_err(negation).context(expected("a test or `(`")),
        )
        .map(|inner| Raw::Not(Box::new(inner))),
        delimited(
            symbol("("),
            cut_err(or),
            cut_err(symbol(")")).context(expected("`)`")),
        ),
        test,
    ))
    .parse_next(i)
}

fn test<'s>(i: &mut Input<'s>) -> Parsed<Raw<'s>> {
    let field = word
        .context(expected("a field, `not` or `(`"))
        .parse_next(i)?;
    let op_at = i.current_token_start();
    let (op, values) = cut_err(alt((
        (operator, cut_err(value).context(expected("a value"))).map(|(op, v)| (op, vec![v])),
        preceded(keyword("in"), cut_err(list)).map(|values| (Op::In, values)),
        preceded((keyword("not"), cut_err(keyword("in"))), cut_err(list))
            .map(|values| (Op::NotIn, values)),
        value.map(|v| (Op::Eq, vec![v])),
    )))
    .context(expected("an operator (= != < <= > >= in) or a value"))
    .parse_next(i)?;
    Ok(Raw::Test(RawTest {
        field,
        op,
        values,
        op_at,
    }))
}

fn operator(i: &mut Input<'_>) -> Parsed<Op> {
    terminated(
        alt((
            "==".value(Op::Eq),
            "!=".value(Op::Ne),
            "<=".value(Op::Le),
            ">=".value(Op::Ge),
            "=".value(Op::Eq),
            "<".value(Op::Lt),
            ">".value(Op::Gt),
        )),
        multispace0,
    )
    .parse_next(i)
}

fn list<'s>(i: &mut Input<'s>) -> Parsed<Vec<RawValue<'s>>> {
    symbol("(")
        .context(expected("`(` and a list of values"))
        .parse_next(i)?;
    let values = cut_err(|i: &mut Input<'s>| joined(i, value, symbol(","), "a value"))
        .context(expected("a value"))
        .parse_next(i)?;
    cut_err(symbol(")"))
        .context(expected("`,` or `)`"))
        .parse_next(i)?;
    Ok(values)
}

fn value<'s>(i: &mut Input<'s>) -> Parsed<RawValue<'s>> {
    alt((word, quoted)).parse_next(i)
}

fn word<'s>(i: &mut Input<'s>) -> Parsed<RawValue<'s>> {
    terminated(take_while(1.., is_word_char).with_span(), multispace0)
        .map(|(text, span): (&str, _)| RawValue {
            text: text.into(),
            quoted: false,
            at: span.start,
        })
        .parse_next(i)
}

/// `"text"` with `\"` and `\\` inside.
fn quoted<'s>(i: &mut Input<'s>) -> Parsed<RawValue<'s>> {
    let at = i.current_token_start();
    let inner = alt((preceded('\\', alt(('"', '\\'))), none_of(['"', '\\'])));
    let text: String = delimited(
        '"',
        winnow::combinator::repeat(0.., inner),
        cut_err('"').context(expected("the closing `\"`")),
    )
    .parse_next(i)?;
    multispace0.parse_next(i)?;
    Ok(RawValue {
        text: text.into(),
        quoted: true,
        at,
    })
}
