//! The language against the examples of docs/flow-queries.md, its errors, and its reading
//! of the collector's columns.

use std::net::IpAddr;

use netassure_netflow::FlowColumns;

use super::*;

/// One flow of the tests: src, sport, dst, dport, protocol, flags, bytes, packets, ms.
#[derive(Clone, Copy)]
struct Flow(&'static str, u16, &'static str, u16, u8, u8, u64, u64, u64);

const FLOWS: [Flow; 6] = [
    Flow(
        "10.0.0.5",
        51000,
        "192.0.2.7",
        22,
        6,
        0x1b,
        2_000_000,
        1_500,
        60_000,
    ),
    Flow("10.0.0.5", 51001, "192.0.2.8", 3389, 6, 0x02, 60, 1, 0),
    Flow("10.9.9.9", 53, "10.0.0.5", 53, 17, 0, 120, 1, 5),
    Flow(
        "172.16.0.1",
        443,
        "10.0.0.5",
        40000,
        6,
        0x18,
        900_000,
        700,
        1_500,
    ),
    Flow("2001:db8::1", 5353, "2001:db8::2", 5353, 17, 0, 300, 2, 10),
    Flow("198.51.100.23", 0, "10.0.0.9", 0, 1, 0, 84, 1, 0),
];

fn columns() -> FlowColumns {
    let mut columns = FlowColumns {
        exporters: vec!["192.0.2.1:2055".into(), "edge-2".into()],
        ..FlowColumns::default()
    };
    for (n, f) in FLOWS.iter().enumerate() {
        let bytes = |text: &str| match text.parse::<IpAddr>().unwrap() {
            IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
            IpAddr::V6(v6) => v6.octets(),
        };
        columns.src_addr.push(bytes(f.0));
        columns.src_port.push(f.1);
        columns.dst_addr.push(bytes(f.2));
        columns.dst_port.push(f.3);
        columns.protocol.push(f.4);
        columns.tcp_flags.push(f.5);
        columns.bytes.push(f.6);
        columns.packets.push(f.7);
        columns.start_ms.push(1_000_000);
        columns.end_ms.push(1_000_000 + f.8);
        columns.input_if.push(n as u32 % 2 + 1);
        columns.output_if.push(7);
        columns.exporter.push(n as u16 % 2);
    }
    columns
}

/// The flows `text` selects.
fn selected(text: &str) -> Vec<usize> {
    parse(text)
        .unwrap_or_else(|error| panic!("{text}: {error}"))
        .select(&columns())
}

#[test]
fn the_examples_select_what_they_say() {
    let cases: [(&str, &[usize]); 22] = [
        ("", &[0, 1, 2, 3, 4, 5]),
        (
            "src = 10.0.0.0/8 and dport in (22, 3389) and proto = tcp and bytes > 1M",
            &[0],
        ),
        (
            "src = 10.0.0.0/8 and dport in (22, 3389) and proto = tcp",
            &[0, 1],
        ),
        ("host 10.0.0.5", &[0, 1, 2, 3]),
        ("host 10.0.0.5 and not (port 53 or proto icmp)", &[0, 1, 3]),
        ("not host 10.0.0.5", &[4, 5]),
        ("host != 10.0.0.5", &[4, 5]),
        ("sport = dport", &[2, 4, 5]),
        ("bytes > packets and packets >= 700", &[0, 3]),
        ("dst = 2001:db8::/32", &[4]),
        ("proto udp || proto 1", &[2, 4, 5]),
        ("flags S", &[0, 1]),
        ("flags = SA and not flags R", &[0]),
        ("flags != A", &[1, 2, 4, 5]),
        ("duration >= 1.5s", &[0, 3]),
        ("bytes >= 0.9m && bytes < 2M", &[3]),
        ("port not in (53, 5353, 0)", &[0, 1, 3]),
        ("exporter = edge-2", &[1, 3, 5]),
        ("exporter = \"192.0.2.1:2055\" and in_if = 1", &[0, 2, 4]),
        ("if 7 and in_if != 7", &[0, 1, 2, 3, 4, 5]),
        (
            "src = 10.0.0.5 or dst = 10.0.0.9 and proto icmp",
            &[0, 1, 5],
        ),
        ("(src = 10.0.0.5 or dst = 10.0.0.9) and proto icmp", &[5]),
    ];
    for (text, expected) in cases {
        assert_eq!(selected(text), expected, "{text}");
    }
}

#[test]
fn keywords_and_fields_take_any_case_and_spacing() {
    assert_eq!(
        selected("SRC=10.0.0.0/8 AND DPORT IN(22,3389)AND Proto=TCP"),
        selected("src = 10.0.0.0/8 and dport in (22, 3389) and proto = tcp")
    );
    assert_eq!(selected("!(proto tcp)"), selected("not proto tcp"));
}

#[test]
fn data_a_flow_lacks_passes_no_test_of_it() {
    // The collector's columns have no AS numbers or countries.
    assert_eq!(selected("src_as = 64496"), Vec::<usize>::new());
    assert_eq!(selected("src_as != 64496"), Vec::<usize>::new());
    assert_eq!(selected("not src_as = AS64496"), vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(selected("country in (FR, us)"), Vec::<usize>::new());
    assert_eq!(selected("in_if = \"ge-0/0/1\""), Vec::<usize>::new());
}

#[test]
fn a_filter_writes_itself_back_as_text_that_reads_the_same() {
    for text in [
        "src = 10.0.0.0/8 and dport in (22, 3389) and proto = tcp and bytes > 1M",
        "host 10.0.0.5 and not (port 53 or proto icmp) or flags SA",
        "sport = dport or exporter = \"edge 2\" and duration < 2m",
        "src_as in (64496, AS64511) and dst_country != fr and in_if not in (1, wan)",
    ] {
        let filter = parse(text).unwrap();
        let written = filter.to_string();
        assert_eq!(parse(&written).unwrap(), filter, "{text} → {written}");
    }
    assert_eq!(
        parse("proto 6 and flags 18 and host 10.1.2.3/32")
            .unwrap()
            .to_string(),
        "proto = tcp and flags = SA and host = 10.1.2.3"
    );
}

#[test]
fn errors_point_at_the_offending_column() {
    let cases = [
        ("srcc = 10.0.0.1", 1, "unknown field `srcc`"),
        ("src = 10.0.0.300", 7, "not an address or a network"),
        ("dport > 70000", 9, "not a port"),
        ("proto = tcpp", 9, "not a protocol"),
        ("bytes > 1X", 9, "not a count"),
        ("flags = SX", 9, "not TCP flags"),
        ("src > 10.0.0.1", 5, "has no order"),
        ("flags in (S, A)", 7, "takes = and !="),
        ("sport = src", 9, "different kinds"),
        ("host = src", 8, "either end"),
        ("country = FRA", 11, "not a country code"),
        ("src = 10.0.0.1 and", 19, "expected a field"),
        ("(src = 10.0.0.1", 16, "expected `)`"),
        (
            "src = 10.0.0.1 dst = 10.0.0.2",
            16,
            "expected `and`, `or` or the end",
        ),
        ("dport in (22,", 14, "expected a value"),
        ("dport in 22", 10, "`(`"),
        ("src =", 6, "expected a value"),
        ("exporter = \"edge", 17, "closing"),
        ("é = 1 and ) ", 11, "expected"),
    ];
    for (text, column, message) in cases {
        let error = parse(text).expect_err(text);
        assert_eq!(error.column, column, "{text}: {error}");
        assert!(error.message.contains(message), "{text}: {error}");
    }
}

#[test]
fn numbers_read_as_nfdump_reads_them() {
    let bytes = |text: &str| match parse(&format!("bytes = {text}")).unwrap() {
        Filter::Test(Test {
            operand: Operand::Values(values),
            ..
        }) => values[0].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(bytes("1500"), Value::Number(1_500));
    assert_eq!(bytes("1.5k"), Value::Number(1_500));
    assert_eq!(bytes("10M"), Value::Number(10_000_000));
    assert_eq!(bytes("2g"), Value::Number(2_000_000_000));
    assert_eq!(bytes("1T"), Value::Number(1_000_000_000_000));
    assert!(parse("bytes = 99999999999999999999T").is_err());
    assert!(parse("bytes = -1").is_err());
}

/// The text blocks of docs/flow-queries.md under `heading`.
fn documented(heading: &str) -> Vec<String> {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/flow-queries.md"),
    )
    .unwrap();
    let section = doc.split(heading).nth(1).expect("the section is there");
    let block = section.split("```text\n").nth(1).expect("a text block");
    let block = block.split("```").next().unwrap();
    block.lines().map(str::to_string).collect()
}

#[test]
fn the_documented_examples_read_and_the_documented_errors_are_the_errors() {
    for example in documented("# Flow filters") {
        assert!(parse(&example).is_ok(), "{example}: {:?}", parse(&example));
    }
    for line in documented("## Errors") {
        let (filter, said) = line.split_once("  ").unwrap();
        let said = said.trim().trim_end_matches("...");
        let error = parse(filter.trim()).expect_err(filter).to_string();
        assert!(
            error.starts_with(said),
            "{filter}: documented `{said}`, got `{error}`"
        );
    }
}
