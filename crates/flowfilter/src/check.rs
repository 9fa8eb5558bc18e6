//! From the text's tests to a [`Filter`]: field names resolved, values read as their field's
//! kind, operators checked against it. Errors point at the name, operator or value at fault.

use crate::FilterError;
use crate::field::{Field, Kind};
use crate::filter::{Filter, Op, Operand, Test};
use crate::syntax::{Raw, RawTest, RawValue};
use crate::value::Value;

/// Check `raw`, read from `text`.
pub(crate) fn check(raw: Raw<'_>, text: &str) -> Result<Filter, FilterError> {
    Ok(match raw {
        Raw::Or(parts) => Filter::Or(all(parts, text)?),
        Raw::And(parts) => Filter::And(all(parts, text)?),
        Raw::Not(inner) => Filter::Not(Box::new(check(*inner, text)?)),
        Raw::Test(test) => Filter::Test(checked_test(test, text)?),
    })
}

fn all(parts: Vec<Raw<'_>>, text: &str) -> Result<Vec<Filter>, FilterError> {
    parts.into_iter().map(|part| check(part, text)).collect()
}

fn checked_test(test: RawTest<'_>, text: &str) -> Result<Test, FilterError> {
    let field = Field::named(&test.field.text).ok_or_else(|| {
        FilterError::at(
            text,
            test.field.at,
            format!(
                "unknown field `{}`; the fields are {}",
                test.field.text,
                Field::all_names()
            ),
        )
    })?;
    let kind = field.kind();
    if let Err(reason) = allowed(field, test.op) {
        return Err(FilterError::at(text, test.op_at, reason));
    }
    if let [single] = test.values.as_slice()
        && let Some(other) = field_named(single)
    {
        return compared_fields(field, test.op, other, single.at, text);
    }
    let values = test
        .values
        .iter()
        .map(|raw| {
            Value::read(kind, &raw.text)
                .map_err(|reason| FilterError::at(text, raw.at, format!("{field}: {reason}")))
        })
        .collect::<Result<Vec<Value>, FilterError>>()?;
    Ok(Test {
        field,
        op: test.op,
        operand: Operand::Values(values),
    })
}

/// The field a bare (unquoted) value names, if any.
fn field_named(value: &RawValue<'_>) -> Option<Field> {
    (!value.quoted).then(|| Field::named(&value.text)).flatten()
}

/// `field op other`: both of one end and of the same kind.
fn compared_fields(
    field: Field,
    op: Op,
    other: Field,
    at: usize,
    text: &str,
) -> Result<Test, FilterError> {
    if field.ends().len() > 1 || other.ends().len() > 1 {
        return Err(FilterError::at(
            text,
            at,
            "fields of either end (host, port, as, country, if) cannot be compared with a field",
        ));
    }
    if field.kind() != other.kind() {
        return Err(FilterError::at(
            text,
            at,
            format!("`{field}` and `{other}` hold different kinds of value"),
        ));
    }
    Ok(Test {
        field,
        op,
        operand: Operand::Field(other),
    })
}

/// Whether `op` means something for `field`; why not.
fn allowed(field: Field, op: Op) -> Result<(), String> {
    let kind = field.kind();
    match op {
        Op::Lt | Op::Le | Op::Gt | Op::Ge if !kind.ordered() => Err(format!(
            "`{field}` has no order: it takes =, !=, in and not in"
        )),
        Op::In | Op::NotIn if kind == Kind::Flags => {
            Err("`flags` takes = and != (all of the flags set, or not)".to_string())
        }
        _ => Ok(()),
    }
}
