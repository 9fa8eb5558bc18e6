//! The store against what it promises: flows back as they went in, a file per hour, time
//! ranges, filters and limits, the buffer scanned, files cut short set aside, hours expired.

use std::time::Duration;

use netassure_flowfilter::parse;
use netassure_netflow::{FlowColumns, FlowRow};

use super::*;

/// 2026-12-01 10:00:00 UTC.
const TEN: u64 = 1_796_119_200_000;

/// `count` flows ending one second apart from `first_end_ms`, ports 22 and 443 in turn.
fn flows(first_end_ms: u64, count: u64) -> FlowColumns {
    let mut columns = FlowColumns::default();
    let exporters = [
        columns.exporter_index("192.0.2.1:2055"),
        columns.exporter_index("edge-2"),
    ];
    for n in 0..count {
        let row = FlowRow {
            src_addr: mapped_v4([10, 0, (n / 250) as u8, (n % 250) as u8]),
            dst_addr: mapped_v4([192, 0, 2, 7]),
            src_port: 40_000 + n as u16,
            dst_port: if n % 2 == 0 { 22 } else { 443 },
            protocol: 6,
            tcp_flags: 0x1b,
            bytes: 1_000 + n,
            packets: 10,
            start_ms: first_end_ms + n * 1_000 - 500,
            end_ms: first_end_ms + n * 1_000,
            input_if: 1,
            output_if: 2,
            icmp_type_code: 0,
        };
        columns.push(&row, exporters[(n % 2) as usize]);
    }
    columns
}

/// An IPv4 address as the collector keeps it (mapped into IPv6).
fn mapped_v4(octets: [u8; 4]) -> [u8; 16] {
    std::net::Ipv4Addr::from(octets).to_ipv6_mapped().octets()
}

fn store(dir: &std::path::Path) -> FlowStore {
    FlowStore::open(StoreConfig::new(dir)).unwrap()
}

fn everything() -> Query {
    Query {
        since_ms: 0,
        until_ms: u64::MAX,
        filter: parse("").unwrap(),
        limit: usize::MAX,
    }
}

#[test]
fn flows_come_back_as_they_went_in_from_a_file_per_hour() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    // 10:59:00 to 11:00:59: two hours.
    let written = flows(TEN + 59 * 60_000, 120);
    store.append(&written).unwrap();
    store.flush().unwrap();
    let stats = store.stats();
    assert_eq!(
        (stats.stored_flows, stats.buffered_flows, stats.files),
        (120, 0, 2)
    );
    for hour in ["10", "11"] {
        let folder = dir.path().join("raw/2026-12-01").join(hour);
        let files: Vec<_> = std::fs::read_dir(&folder).unwrap().collect();
        assert_eq!(files.len(), 1, "{}", folder.display());
    }
    let read = store.scan(&everything()).unwrap();
    assert_eq!(read.len(), 120);
    for i in 0..120 {
        assert_eq!(read.row(i), written.row(i), "flow {i}");
        let name = |c: &FlowColumns| c.exporters[usize::from(c.exporter[i])].clone();
        assert_eq!(name(&read), name(&written));
    }
    // A store opened again finds the files.
    drop(store);
    let again = self::store(dir.path());
    assert_eq!(again.stats().files, 2);
    assert_eq!(again.scan(&everything()).unwrap().len(), 120);
}

#[test]
fn a_query_gets_its_time_range_its_filter_and_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    store.append(&flows(TEN, 7_200)).unwrap();
    store.flush().unwrap();
    let query = |since_ms, until_ms, filter: &str, limit| Query {
        since_ms,
        until_ms,
        filter: parse(filter).unwrap(),
        limit,
    };
    let in_range = store
        .scan(&query(TEN + 3_600_000, TEN + 3_610_000, "", usize::MAX))
        .unwrap();
    assert_eq!(in_range.len(), 10);
    assert!(
        in_range
            .end_ms
            .iter()
            .all(|&end| (TEN + 3_600_000..TEN + 3_610_000).contains(&end))
    );
    let ssh = store
        .scan(&query(
            0,
            u64::MAX,
            "dport = 22 and bytes >= 2k",
            usize::MAX,
        ))
        .unwrap();
    assert_eq!(ssh.len(), (1_000..7_200).filter(|n| n % 2 == 0).count());
    let first = store
        .scan(&query(0, u64::MAX, "exporter = edge-2", 5))
        .unwrap();
    assert_eq!(first.src_port, vec![40_001, 40_003, 40_005, 40_007, 40_009]);
}

#[test]
fn flows_not_yet_written_are_found_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    store.append(&flows(TEN, 10)).unwrap();
    assert_eq!(store.stats().buffered_flows, 10);
    assert_eq!(store.stats().stored_flows, 0);
    assert_eq!(store.scan(&everything()).unwrap().len(), 10);
}

#[test]
fn the_buffer_is_written_when_full_or_old() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = StoreConfig::new(dir.path());
    config.flush_flows = 100;
    config.flush_after = Duration::from_millis(50);
    let mut store = FlowStore::open(config).unwrap();
    store.append(&flows(TEN, 150)).unwrap();
    assert_eq!(
        (store.stats().stored_flows, store.stats().buffered_flows),
        (150, 0)
    );
    store.append(&flows(TEN + 200_000, 10)).unwrap();
    store.flush_if_due().unwrap();
    assert_eq!(store.stats().buffered_flows, 10, "not old yet");
    std::thread::sleep(Duration::from_millis(60));
    store.flush_if_due().unwrap();
    assert_eq!(
        (store.stats().stored_flows, store.stats().buffered_flows),
        (160, 0)
    );
}

#[test]
fn a_file_cut_short_by_a_crash_is_set_aside_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    store.append(&flows(TEN, 50)).unwrap();
    store.flush().unwrap();
    drop(store);
    // What `kill -9` leaves while a file is being written: a partial file, half a Parquet file.
    let folder = dir.path().join("raw/2026-12-01/10");
    let complete = std::fs::read_dir(&folder)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let bytes = std::fs::read(&complete).unwrap();
    let partial = folder.join("1796119300000-1796119400000-7.parquet.partial");
    std::fs::write(&partial, &bytes[..bytes.len() / 2]).unwrap();
    let store = self::store(dir.path());
    assert_eq!(store.stats().set_aside, 1);
    assert!(!partial.exists());
    assert!(
        dir.path()
            .join("set-aside/1796119300000-1796119400000-7.parquet.partial")
            .exists()
    );
    assert_eq!(store.scan(&everything()).unwrap().len(), 50);
}

#[test]
fn files_written_before_the_retention_are_removed_with_their_folders() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    store.append(&flows(TEN, 3 * 3_600)).unwrap();
    store.flush().unwrap();
    assert_eq!(store.stats().files, 3);
    // The 10:00 hour was written eight days ago.
    let now = std::time::SystemTime::now();
    let eight_days = Duration::from_secs(8 * 86_400);
    let folder = dir.path().join("raw/2026-12-01/10");
    for entry in std::fs::read_dir(&folder).unwrap() {
        let file = std::fs::File::options()
            .write(true)
            .open(entry.unwrap().path())
            .unwrap();
        file.set_modified(now - eight_days).unwrap();
    }
    let week = Duration::from_secs(7 * 86_400);
    assert_eq!(store.expire(now - week).unwrap(), 1);
    let left = store.scan(&everything()).unwrap();
    assert_eq!(left.len(), 2 * 3_600);
    assert!(left.end_ms.iter().all(|&end| end >= TEN + 3_600_000));
    assert!(!folder.exists());
}
