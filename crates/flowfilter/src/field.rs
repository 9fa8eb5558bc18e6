//! The fields a filter tests, their names and their kinds.

/// A field of a flow, or of either of its ends (`host`, `port`, `as`, `country`, `if`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Source address (`src`).
    Src,
    /// Destination address (`dst`).
    Dst,
    /// Either address (`host`).
    Host,
    /// Source port (`sport`).
    SrcPort,
    /// Destination port (`dport`).
    DstPort,
    /// Either port (`port`).
    Port,
    /// IP protocol (`proto`).
    Protocol,
    /// Cumulative TCP flags (`flags`).
    Flags,
    /// Bytes (`bytes`).
    Bytes,
    /// Packets (`packets`).
    Packets,
    /// Last packet minus first packet, milliseconds (`duration`).
    Duration,
    /// The exporter that sent the flow (`exporter`).
    Exporter,
    /// Input interface, index or name (`in_if`).
    InIf,
    /// Output interface, index or name (`out_if`).
    OutIf,
    /// Either interface (`if`).
    Interface,
    /// Source AS number (`src_as`).
    SrcAs,
    /// Destination AS number (`dst_as`).
    DstAs,
    /// Either AS number (`as`).
    As,
    /// Source country, ISO 3166-1 alpha-2 (`src_country`).
    SrcCountry,
    /// Destination country (`dst_country`).
    DstCountry,
    /// Either country (`country`).
    Country,
}

/// What a field holds, which decides the values and operators it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An IP address: tested against addresses and networks (`=`, `!=`, `in`).
    Address,
    /// A transport port, 0–65535.
    Port,
    /// An IP protocol: a number or a name (`tcp`, `udp`, `icmp`, ...).
    Protocol,
    /// TCP flags: letters of `FSRPAUEC` or a number; `=` means all of them set.
    Flags,
    /// A count, with an optional decimal suffix (`1.5M` = 1,500,000).
    Count,
    /// Milliseconds, or a number with `ms`, `s`, `m` or `h`.
    Duration,
    /// A name (compared exactly).
    Name,
    /// An interface: its index (a number) or its name.
    Interface,
    /// An AS number, with or without `AS` (`AS64496`).
    Asn,
    /// A country code (`FR`, any case).
    Country,
}

impl Kind {
    /// True when `<`, `<=`, `>` and `>=` mean something for this kind.
    pub fn ordered(self) -> bool {
        matches!(
            self,
            Kind::Port
                | Kind::Protocol
                | Kind::Count
                | Kind::Duration
                | Kind::Interface
                | Kind::Asn
        )
    }
}

/// Every field with its name in the language, in the order the documentation lists them.
pub const FIELDS: [(Field, &str); 21] = [
    (Field::Src, "src"),
    (Field::Dst, "dst"),
    (Field::Host, "host"),
    (Field::SrcPort, "sport"),
    (Field::DstPort, "dport"),
    (Field::Port, "port"),
    (Field::Protocol, "proto"),
    (Field::Flags, "flags"),
    (Field::Bytes, "bytes"),
    (Field::Packets, "packets"),
    (Field::Duration, "duration"),
    (Field::Exporter, "exporter"),
    (Field::InIf, "in_if"),
    (Field::OutIf, "out_if"),
    (Field::Interface, "if"),
    (Field::SrcAs, "src_as"),
    (Field::DstAs, "dst_as"),
    (Field::As, "as"),
    (Field::SrcCountry, "src_country"),
    (Field::DstCountry, "dst_country"),
    (Field::Country, "country"),
];

impl Field {
    /// The field called `name` (any case).
    pub fn named(name: &str) -> Option<Field> {
        FIELDS
            .iter()
            .find(|(_, known)| known.eq_ignore_ascii_case(name))
            .map(|&(field, _)| field)
    }

    /// Its name in the language.
    pub fn name(self) -> &'static str {
        FIELDS
            .iter()
            .find(|&&(field, _)| field == self)
            .map(|&(_, name)| name)
            .expect("every field is listed")
    }

    /// What it holds.
    pub fn kind(self) -> Kind {
        match self {
            Field::Src | Field::Dst | Field::Host => Kind::Address,
            Field::SrcPort | Field::DstPort | Field::Port => Kind::Port,
            Field::Protocol => Kind::Protocol,
            Field::Flags => Kind::Flags,
            Field::Bytes | Field::Packets => Kind::Count,
            Field::Duration => Kind::Duration,
            Field::Exporter => Kind::Name,
            Field::InIf | Field::OutIf | Field::Interface => Kind::Interface,
            Field::SrcAs | Field::DstAs | Field::As => Kind::Asn,
            Field::SrcCountry | Field::DstCountry | Field::Country => Kind::Country,
        }
    }

    /// The fields of a flow it stands for: both ends for `host`, `port`, `as`, `country` and
    /// `if`, itself for the others.
    pub fn ends(self) -> &'static [Field] {
        match self {
            Field::Host => &[Field::Src, Field::Dst],
            Field::Port => &[Field::SrcPort, Field::DstPort],
            Field::Interface => &[Field::InIf, Field::OutIf],
            Field::As => &[Field::SrcAs, Field::DstAs],
            Field::Country => &[Field::SrcCountry, Field::DstCountry],
            Field::Src => &[Field::Src],
            Field::Dst => &[Field::Dst],
            Field::SrcPort => &[Field::SrcPort],
            Field::DstPort => &[Field::DstPort],
            Field::Protocol => &[Field::Protocol],
            Field::Flags => &[Field::Flags],
            Field::Bytes => &[Field::Bytes],
            Field::Packets => &[Field::Packets],
            Field::Duration => &[Field::Duration],
            Field::Exporter => &[Field::Exporter],
            Field::InIf => &[Field::InIf],
            Field::OutIf => &[Field::OutIf],
            Field::SrcAs => &[Field::SrcAs],
            Field::DstAs => &[Field::DstAs],
            Field::SrcCountry => &[Field::SrcCountry],
            Field::DstCountry => &[Field::DstCountry],
        }
    }

    /// Every name, comma-separated (for error messages).
    pub(crate) fn all_names() -> String {
        FIELDS
            .iter()
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
