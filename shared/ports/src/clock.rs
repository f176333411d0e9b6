//! Time: the injectable clock and the API's timestamp format.
//!
//! Everything that reads the time takes a [`Clock`], so tests can move time forward (TTL expiry,
//! rate-limit windows, retry schedules) without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Current Unix time in whole seconds.
    fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// Current Unix time in milliseconds.
    fn unix_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }
}

/// Shared handle to a clock.
pub type SharedClock = Arc<dyn Clock>;

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move (for tests).
#[derive(Debug)]
pub struct ManualClock {
    ms: AtomicI64,
}

impl ManualClock {
    /// A clock frozen at the current wall-clock time.
    pub fn new() -> Arc<Self> {
        Self::at(Utc::now())
    }

    pub fn at(t: DateTime<Utc>) -> Arc<Self> {
        Arc::new(ManualClock { ms: AtomicI64::new(t.timestamp_millis()) })
    }

    pub fn advance(&self, by: std::time::Duration) {
        self.ms.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    pub fn set(&self, t: DateTime<Utc>) {
        self.ms.store(t.timestamp_millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.ms.load(Ordering::SeqCst)).single().expect("valid time")
    }
}

/// An instant as the API shows it: ISO 8601, UTC, millisecond precision
/// (`2026-04-21T14:22:01.430Z`). Parses any RFC 3339 time and converts it to UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    pub fn from_unix(seconds: i64) -> Option<Self> {
        Utc.timestamp_opt(seconds, 0).single().map(Timestamp)
    }

    pub fn unix(&self) -> i64 {
        self.0.timestamp()
    }

    /// Parses an RFC 3339 timestamp (any offset).
    pub fn parse(raw: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(raw).ok().map(|t| Timestamp(t.with_timezone(&Utc)))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp(t)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Timestamp::parse(&raw).ok_or_else(|| serde::de::Error::custom("expected an ISO 8601 timestamp such as 2026-04-21T14:22:01.430Z"))
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::DateTime)))
            .examples([serde_json::json!("2026-04-21T14:22:01.430Z")])
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let t = Timestamp::parse("2026-04-21T16:22:01.43+02:00").unwrap();
        assert_eq!(t.to_string(), "2026-04-21T14:22:01.430Z");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"2026-04-21T14:22:01.430Z\"");
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new();
        let t0 = c.now();
        c.advance(std::time::Duration::from_secs(90));
        assert_eq!((c.now() - t0).num_seconds(), 90);
    }
}
