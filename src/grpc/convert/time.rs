//! Instants and durations: `google.protobuf.Timestamp` and `google.protobuf.Duration`
//! from the wire (range-checked, fractions of a second truncated, `time_or` defaulting to
//! now) and back.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use prost_types::Timestamp;

use crate::grpc::error::ApiError;

type Result<T> = std::result::Result<T, ApiError>;

/// A required instant. Fractions of a second are truncated.
pub fn time(ts: &Option<Timestamp>, field: &str) -> Result<DateTime<Utc>> {
    opt_time(ts, field)?.ok_or_else(|| ApiError::required(field))
}

/// The range of `google.protobuf.Timestamp`: 0001-01-01T00:00:00Z ..=
/// 9999-12-31T23:59:59Z, in seconds since the epoch.
const TIMESTAMP_SECONDS: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

/// An optional instant, within the range `google.protobuf.Timestamp` defines.
pub fn opt_time(ts: &Option<Timestamp>, field: &str) -> Result<Option<DateTime<Utc>>> {
    let Some(ts) = ts else { return Ok(None) };
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(ApiError::field(field, "nanos must be in 0..999999999"));
    }
    if !TIMESTAMP_SECONDS.contains(&ts.seconds) {
        return Err(ApiError::field(
            field,
            "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
        ));
    }
    DateTime::from_timestamp(ts.seconds, 0)
        .map(Some)
        .ok_or_else(|| ApiError::field(field, "is out of range"))
}

/// An optional instant that defaults to `now`.
pub fn time_or(ts: &Option<Timestamp>, field: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    Ok(opt_time(ts, field)?.unwrap_or(now))
}

/// An instant on the wire.
pub fn ts(t: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// An optional instant on the wire.
pub fn opt_ts(t: Option<DateTime<Utc>>) -> Option<Timestamp> {
    t.map(ts)
}

/// A non-negative duration. Fractions of a second are truncated.
pub fn duration(d: &Option<prost_types::Duration>, field: &str) -> Result<Option<Duration>> {
    let Some(d) = d else { return Ok(None) };
    if d.seconds < 0 || d.nanos < 0 {
        return Err(ApiError::field(field, "must not be negative"));
    }
    if d.nanos >= 1_000_000_000 {
        return Err(ApiError::field(field, "nanos must be in 0..999999999"));
    }
    Ok(Some(Duration::from_secs(d.seconds as u64)))
}

/// A duration on the wire.
pub fn pb_duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        nanos: 0,
    }
}

/// A signed duration on the wire.
pub fn pb_delta(d: TimeDelta) -> prost_types::Duration {
    prost_types::Duration {
        seconds: d.num_seconds(),
        nanos: 0,
    }
}
