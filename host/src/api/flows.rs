//! `GET /flows`: the stored flows (the flow history, `crate::flow_history`) that a filter
//! selects in a time range, oldest first (docs/flow-queries.md).

use std::net::{IpAddr, Ipv6Addr};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use netassure_flowstore::Query as StoreQuery;
use netassure_netflow::FlowColumns;
use serde::{Deserialize, Serialize};

use super::findings::query;
use super::{ApiError, AppState};

/// Most flows one call returns.
const MAX_FLOWS: usize = 10_000;

/// Query of `GET /flows`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlowsQuery {
    filter: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<usize>,
}

/// One stored flow.
#[derive(Debug, Serialize)]
pub struct StoredFlow {
    src: String,
    dst: String,
    sport: u16,
    dport: u16,
    proto: u8,
    flags: u8,
    bytes: u64,
    packets: u64,
    start_ms: u64,
    end_ms: u64,
    in_if: u32,
    out_if: u32,
    exporter: String,
}

/// What `GET /flows` answers.
#[derive(Debug, Serialize)]
pub struct FlowsReply {
    /// The flows, oldest first.
    items: Vec<StoredFlow>,
    /// The range asked, ms since the epoch (flows that ended in `since..until`).
    since: u64,
    until: u64,
    /// The filter as read (written back in its canonical form).
    filter: String,
}

/// `GET /flows?filter=&since=&until=&limit=`: `since` and `until` are RFC 3339, ms since the
/// epoch, or a time back from now (`15m`, `1h`, `7d`); `since` defaults to an hour ago
/// (`0`: everything stored), `until` to now; `limit` to 100 (at most 10,000).
pub async fn flows(
    State(state): State<AppState>,
    params: Result<Query<FlowsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<FlowsReply>, ApiError> {
    let params = query(params)?;
    let Some(history) = state.pipeline.history().cloned() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_flow_history",
            "the flow history is off ([store] enabled = false)",
        ));
    };
    let filter = netassure_flowfilter::parse(params.filter.as_deref().unwrap_or(""))
        .map_err(|err| ApiError::bad_request(format!("filter: {err}")))?;
    let now = crate::model::now_ms();
    let since = match params.since.as_deref() {
        None => now.saturating_sub(3_600_000),
        Some(text) => instant("since", text, now)?,
    };
    let until = match params.until.as_deref() {
        None => now.saturating_add(1),
        Some(text) => instant("until", text, now)?,
    };
    let limit = match params.limit {
        None => 100,
        Some(0) => return Err(ApiError::bad_request("`limit` must be at least 1")),
        Some(limit) => limit.min(MAX_FLOWS),
    };
    let written = filter.to_string();
    let store_query = StoreQuery {
        since_ms: since,
        until_ms: until,
        filter,
        limit,
    };
    let found = tokio::task::spawn_blocking(move || history.scan(&store_query))
        .await?
        .map_err(|err| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "flow_store",
                err.to_string(),
            )
        })?;
    Ok(Json(FlowsReply {
        items: stored_flows(&found),
        since,
        until,
        filter: written,
    }))
}

/// `text` as ms since the epoch: digits are ms, a number and a unit a time back from `now`,
/// anything else RFC 3339.
fn instant(name: &str, text: &str, now: u64) -> Result<u64, ApiError> {
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    let back = |unit: char, ms: u64| {
        text.strip_suffix(unit)
            .and_then(|n| n.parse::<u64>().ok())
            .map(|n| now.saturating_sub(n.saturating_mul(ms)))
    };
    let relative = back('s', 1_000)
        .or_else(|| back('m', 60_000))
        .or_else(|| back('h', 3_600_000))
        .or_else(|| back('d', 86_400_000));
    if let Some(ms) = relative {
        return Ok(ms);
    }
    text.parse::<jiff::Timestamp>()
        .map(|stamp| stamp.as_millisecond().max(0) as u64)
        .map_err(|_| {
            ApiError::bad_request(format!(
                "`{name}` must be RFC 3339 (2026-12-01T10:00:00Z), ms since the epoch, or a time back from now (15m, 1h, 7d); got `{text}`"
            ))
        })
}

fn stored_flows(flows: &FlowColumns) -> Vec<StoredFlow> {
    let address = |bytes: [u8; 16]| {
        let v6 = Ipv6Addr::from(bytes);
        v6.to_ipv4_mapped()
            .map_or(IpAddr::V6(v6), IpAddr::V4)
            .to_string()
    };
    (0..flows.len())
        .map(|i| StoredFlow {
            src: address(flows.src_addr[i]),
            dst: address(flows.dst_addr[i]),
            sport: flows.src_port[i],
            dport: flows.dst_port[i],
            proto: flows.protocol[i],
            flags: flows.tcp_flags[i],
            bytes: flows.bytes[i],
            packets: flows.packets[i],
            start_ms: flows.start_ms[i],
            end_ms: flows.end_ms[i],
            in_if: flows.input_if[i],
            out_if: flows.output_if[i],
            exporter: flows
                .exporters
                .get(usize::from(flows.exporter[i]))
                .cloned()
                .unwrap_or_default(),
        })
        .collect()
}
