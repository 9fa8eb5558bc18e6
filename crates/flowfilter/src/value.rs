//! Values as each kind of field reads them: networks, ports, protocols by name, TCP flags by
//! letter, counts with decimal suffixes, durations with units, AS numbers, country codes.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::field::Kind;

/// A value a field is tested against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A network (an address alone is a network of one).
    Network(IpNet),
    /// A number: port, protocol, flags, count, milliseconds, interface index or AS number.
    Number(u64),
    /// A name: exporter or interface name, or an upper-case country code.
    Text(String),
}

/// IP protocols by name.
const PROTOCOLS: [(&str, u8); 10] = [
    ("icmp", 1),
    ("igmp", 2),
    ("tcp", 6),
    ("udp", 17),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("icmp6", 58),
    ("ospf", 89),
    ("sctp", 132),
];

/// TCP flag letters, lowest bit first (FIN, SYN, RST, PSH, ACK, URG, ECE, CWR).
const FLAG_LETTERS: &str = "FSRPAUEC";

impl Value {
    /// `text` read as a value of `kind`; the reason when it is not one.
    pub(crate) fn read(kind: Kind, text: &str) -> Result<Value, String> {
        match kind {
            Kind::Address => network(text).map(Value::Network),
            Kind::Port => bounded(text, u64::from(u16::MAX), "a port (0–65535)"),
            Kind::Protocol => protocol(text),
            Kind::Flags => flags(text),
            Kind::Count => count(text).map(Value::Number),
            Kind::Duration => duration(text).map(Value::Number),
            Kind::Name => Ok(Value::Text(text.to_string())),
            Kind::Interface => Ok(match text.parse::<u32>() {
                Ok(index) => Value::Number(u64::from(index)),
                Err(_) => Value::Text(text.to_string()),
            }),
            Kind::Asn => {
                let digits = text
                    .strip_prefix("AS")
                    .or_else(|| text.strip_prefix("as"))
                    .unwrap_or(text);
                bounded(
                    digits,
                    u64::from(u32::MAX),
                    "an AS number (64496 or AS64496)",
                )
            }
            Kind::Country => country(text),
        }
    }
}

fn network(text: &str) -> Result<IpNet, String> {
    if let Ok(network) = text.parse::<IpNet>() {
        return Ok(network.trunc());
    }
    text.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("`{text}` is not an address or a network (10.0.0.0/8, 2001:db8::/32)"))
}

fn bounded(text: &str, max: u64, what: &str) -> Result<Value, String> {
    match text.parse::<u64>() {
        Ok(number) if number <= max => Ok(Value::Number(number)),
        _ => Err(format!("`{text}` is not {what}")),
    }
}

fn protocol(text: &str) -> Result<Value, String> {
    if let Some(&(_, number)) = PROTOCOLS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
    {
        return Ok(Value::Number(u64::from(number)));
    }
    let names: Vec<&str> = PROTOCOLS.iter().map(|(name, _)| *name).collect();
    bounded(text, 255, "a protocol").map_err(|_| {
        format!(
            "`{text}` is not a protocol: a number (0–255) or one of {}",
            names.join(", ")
        )
    })
}

fn flags(text: &str) -> Result<Value, String> {
    if let Ok(number) = text.parse::<u8>() {
        return Ok(Value::Number(u64::from(number)));
    }
    let mut bits = 0u64;
    for letter in text.chars() {
        let Some(bit) = FLAG_LETTERS.find(letter.to_ascii_uppercase()) else {
            return Err(format!(
                "`{text}` is not TCP flags: letters of {FLAG_LETTERS} (FIN SYN RST PSH ACK URG ECE CWR) or a number"
            ));
        };
        bits |= 1 << bit;
    }
    Ok(Value::Number(bits))
}

/// A count: digits with an optional fraction and a decimal suffix (`k`, `M`, `G`, `T`, any
/// case), as nfdump reads them.
fn count(text: &str) -> Result<u64, String> {
    let invalid = || format!("`{text}` is not a count (1500, 1.5k, 10M, 2G)");
    let (digits, scale) = match text.char_indices().last() {
        Some((at, suffix)) if suffix.is_ascii_alphabetic() => {
            let scale = match suffix.to_ascii_lowercase() {
                'k' => 1e3,
                'm' => 1e6,
                'g' => 1e9,
                't' => 1e12,
                _ => return Err(invalid()),
            };
            (&text[..at], scale)
        }
        _ => (text, 1.0),
    };
    if let Ok(whole) = digits.parse::<u64>()
        && scale == 1.0
    {
        return Ok(whole);
    }
    match digits.parse::<f64>() {
        Ok(number) if number.is_finite() && number >= 0.0 && number * scale < u64::MAX as f64 => {
            Ok((number * scale).round() as u64)
        }
        _ => Err(invalid()),
    }
}

/// Milliseconds: a count, or a number with `ms`, `s`, `m` or `h`.
fn duration(text: &str) -> Result<u64, String> {
    let invalid = || format!("`{text}` is not a duration (250, 250ms, 1.5s, 5m, 2h)");
    let units: [(&str, f64); 4] = [("ms", 1.0), ("s", 1e3), ("m", 60e3), ("h", 3_600e3)];
    for (unit, scale) in units {
        if let Some(number) = text.strip_suffix(unit) {
            return match number.parse::<f64>() {
                Ok(n) if n.is_finite() && n >= 0.0 && n * scale < u64::MAX as f64 => {
                    Ok((n * scale).round() as u64)
                }
                _ => Err(invalid()),
            };
        }
    }
    text.parse::<u64>().map_err(|_| invalid())
}

fn country(text: &str) -> Result<Value, String> {
    if text.len() == 2 && text.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(Value::Text(text.to_ascii_uppercase()))
    } else {
        Err(format!(
            "`{text}` is not a country code (two letters: FR, us)"
        ))
    }
}

impl Value {
    /// How `kind` writes this value back (a value read and written reads the same).
    pub(crate) fn show(&self, kind: Kind) -> String {
        match (self, kind) {
            (Value::Network(network), _) if network.prefix_len() == network.max_prefix_len() => {
                network.addr().to_string()
            }
            (Value::Network(network), _) => network.to_string(),
            (Value::Number(number), Kind::Protocol) => PROTOCOLS
                .iter()
                .find(|&&(_, n)| u64::from(n) == *number)
                .map_or_else(|| number.to_string(), |(name, _)| name.to_string()),
            (Value::Number(0), Kind::Flags) => "0".to_string(),
            (Value::Number(bits), Kind::Flags) => FLAG_LETTERS
                .chars()
                .enumerate()
                .filter(|(bit, _)| bits & (1 << bit) != 0)
                .map(|(_, letter)| letter)
                .collect(),
            (Value::Number(number), _) => number.to_string(),
            (Value::Text(text), _) => quoted(text),
        }
    }
}

/// `text` as a bare word when it reads as one, else in double quotes.
fn quoted(text: &str) -> String {
    if !text.is_empty() && text.chars().all(crate::syntax::is_word_char) {
        text.to_string()
    } else {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Network(network) => write!(f, "{network}"),
            Value::Number(number) => write!(f, "{number}"),
            Value::Text(text) => f.write_str(&quoted(text)),
        }
    }
}
