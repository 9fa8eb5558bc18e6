//! Tolerant decoding of input messages: malformed JSON, unknown message types and unknown
//! fields are told apart, so a source can count them and go on.

use serde_json::Value;

use super::InputEvent;

/// The outcome of decoding one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// A message we understand, and the paths of fields in it we do not know (ignored).
    Event {
        /// The message.
        event: Box<InputEvent>,
        /// Unknown fields, as JSON paths (`links[3].colour`).
        unknown_fields: Vec<String>,
    },
    /// A well-formed message of a type we do not know.
    UnknownType(String),
    /// Not a message: the reason.
    Malformed(String),
}

const MESSAGE_FIELDS: &[(&str, &[&str])] = &[
    (
        "snapshot",
        &["type", "seq", "timestamp_ms", "nodes", "links"],
    ),
    ("delta", &["type", "seq", "timestamp_ms", "changes"]),
    (
        "telemetry",
        &["type", "seq", "subject", "metric", "value", "timestamp_ms"],
    ),
    ("flows", &["type", "start_ms", "end_ms", "flows"]),
    ("heartbeat", &["type", "timestamp_ms"]),
];
const NODE_FIELDS: &[&str] = &["id", "kind", "asn", "state", "attributes"];
const LINK_FIELDS: &[&str] = &[
    "id",
    "source",
    "target",
    "kind",
    "capacity_bps",
    "utilisation",
    "state",
    "attributes",
];
const FLOW_FIELDS: &[&str] = &[
    "src",
    "dst",
    "src_port",
    "dst_port",
    "protocol",
    "tcp_flags",
    "bytes",
    "packets",
    "start_ms",
    "end_ms",
    "input_if",
    "output_if",
    "label",
    "attack",
    "exporter",
];
const CHANGE_FIELDS: &[(&str, &[&str])] = &[
    ("node-upsert", &["op", "node"]),
    ("node-remove", &["op", "id"]),
    ("link-upsert", &["op", "link"]),
    ("link-remove", &["op", "id"]),
    ("link-state", &["op", "id", "state"]),
    ("link-utilisation", &["op", "id", "utilisation"]),
];

fn unknown_keys(value: &Value, known: &[&str], path: &str, out: &mut Vec<String>) {
    if let Some(object) = value.as_object() {
        for key in object.keys().filter(|key| !known.contains(&key.as_str())) {
            out.push(if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            });
        }
    }
}

fn unknown_in_list(value: &Value, list: &str, known: &[&str], out: &mut Vec<String>) {
    for (i, item) in value
        .get(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        unknown_keys(item, known, &format!("{list}[{i}]"), out);
    }
}

/// Paths of the fields of `message` (of type `kind`) that the schema does not define.
pub fn unknown_fields(kind: &str, message: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((_, known)) = MESSAGE_FIELDS.iter().find(|(name, _)| *name == kind) {
        unknown_keys(message, known, "", &mut out);
    }
    unknown_in_list(message, "nodes", NODE_FIELDS, &mut out);
    unknown_in_list(message, "links", LINK_FIELDS, &mut out);
    unknown_in_list(message, "flows", FLOW_FIELDS, &mut out);
    for (i, change) in message
        .get("changes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let op = change.get("op").and_then(Value::as_str).unwrap_or_default();
        if let Some((_, known)) = CHANGE_FIELDS.iter().find(|(name, _)| *name == op) {
            let path = format!("changes[{i}]");
            unknown_keys(change, known, &path, &mut out);
            unknown_keys(
                &change["node"],
                NODE_FIELDS,
                &format!("{path}.node"),
                &mut out,
            );
            unknown_keys(
                &change["link"],
                LINK_FIELDS,
                &format!("{path}.link"),
                &mut out,
            );
        }
    }
    out
}

/// Decode one message from its JSON text.
pub fn decode(text: &str) -> Decoded {
    match serde_json::from_str(text) {
        Ok(value) => decode_value(value),
        Err(err) => Decoded::Malformed(format!("not JSON: {err}")),
    }
}

/// Decode one message from parsed JSON.
pub fn decode_value(value: Value) -> Decoded {
    let Some(kind) = value.get("type").and_then(Value::as_str).map(str::to_owned) else {
        return Decoded::Malformed("no string field `type`".into());
    };
    if !MESSAGE_FIELDS.iter().any(|(name, _)| *name == kind) {
        return Decoded::UnknownType(kind);
    }
    let unknown_fields = unknown_fields(&kind, &value);
    match serde_json::from_value::<InputEvent>(value) {
        Ok(event) => Decoded::Event {
            event: Box::new(event),
            unknown_fields,
        },
        Err(err) => Decoded::Malformed(format!("invalid `{kind}` message: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_malformed_unknown_types_and_unknown_fields_apart() {
        assert!(matches!(decode("{oops"), Decoded::Malformed(_)));
        assert!(matches!(decode(r#"{"no_type": 1}"#), Decoded::Malformed(_)));
        assert_eq!(
            decode(r#"{"type": "weather", "sunny": true}"#),
            Decoded::UnknownType("weather".into())
        );
        assert!(matches!(
            decode(r#"{"type": "delta", "seq": "x", "changes": []}"#),
            Decoded::Malformed(_)
        ));
        let text = r#"{"type": "delta", "seq": 4, "colour": "red", "changes": [
            {"op": "link-upsert", "link": {"id": "l", "source": "a", "target": "b", "vendor": "x"}, "why": 1},
            {"op": "node-remove", "id": "n"}]}"#;
        let Decoded::Event {
            event,
            unknown_fields,
        } = decode(text)
        else {
            panic!("decodes")
        };
        assert_eq!(event.seq(), Some(4));
        assert_eq!(
            unknown_fields,
            ["colour", "changes[0].why", "changes[0].link.vendor"]
        );
    }
}
