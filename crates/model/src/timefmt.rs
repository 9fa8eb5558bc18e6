//! RFC 3339 timestamps.

/// Now, as RFC 3339 UTC with milliseconds (`2026-11-22T03:15:00.123Z`).
pub fn now_rfc3339() -> String {
    format!("{:.3}", jiff::Timestamp::now())
}

/// Milliseconds since the epoch as RFC 3339 UTC with milliseconds.
pub fn ms_to_rfc3339(ms: u64) -> String {
    match jiff::Timestamp::from_millisecond(ms as i64) {
        Ok(timestamp) => format!("{timestamp:.3}"),
        Err(_) => now_rfc3339(),
    }
}
