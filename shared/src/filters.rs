//! Values the list endpoints' filters share, parsed once for all of them: an ISO 8601 time bound
//! (`created_after`, `created_before`), and the form of a URL input (webhooks, scrapes,
//! attachments). A bad value is an [`ResearchError::Invalid`] naming the parameter, so every
//! endpoint answers the same 400 for the same mistake.

use crate::error::{ResearchError, ResearchResult};
use quarry_ports::clock::Timestamp;

/// Parses an optional time bound named `param`; absent (or empty) stays `None`.
pub fn parse_time(param: &str, raw: Option<&str>) -> ResearchResult<Option<Timestamp>> {
    raw.filter(|r| !r.is_empty())
        .map(|r| {
            Timestamp::parse(r)
                .ok_or_else(|| ResearchError::invalid(param, format!("`{param}` must be an ISO 8601 time such as 2026-04-21T14:22:01Z.")))
        })
        .transpose()
}

/// A time bound (`created_after`, `created_before`) as the OpenAPI document states it: an ISO 8601
/// date-time, or empty, which [`parse_time`] reads as no bound (what a form sends for a blank
/// field).
pub struct TimeText;

impl utoipa::PartialSchema for TimeText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
        let time = ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)));
        let blank = ObjectBuilder::new().schema_type(Type::String).max_length(Some(0));
        let schema = OneOfBuilder::new()
            .item(time)
            .item(blank)
            .description(Some("An ISO 8601 time such as 2026-04-21T14:22:01Z; empty is no bound."));
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::OneOf(schema.build()))
    }
}

impl utoipa::ToSchema for TimeText {}

/// A day bound (`from`, `to` of a usage report) as the OpenAPI document states it: an ISO 8601
/// date (`2026-12-01`), or empty for the default.
pub struct DateText;

impl utoipa::PartialSchema for DateText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
        let date = ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)));
        let blank = ObjectBuilder::new().schema_type(Type::String).max_length(Some(0));
        let schema =
            OneOfBuilder::new().item(date).item(blank).description(Some("An ISO 8601 date such as 2026-12-01; empty is the default."));
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::OneOf(schema.build()))
    }
}

impl utoipa::ToSchema for DateText {}

/// A date or a time bound (`start_date`, `end_date` of the credit ledger): an ISO 8601 date, an
/// ISO 8601 date-time, or empty for no bound.
pub struct DateOrTimeText;

impl utoipa::PartialSchema for DateOrTimeText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
        let of = |format| ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(format)));
        let blank = ObjectBuilder::new().schema_type(Type::String).max_length(Some(0));
        let schema = OneOfBuilder::new()
            .item(of(KnownFormat::Date))
            .item(of(KnownFormat::DateTime))
            .item(blank)
            .description(Some("An ISO 8601 date (2026-12-01) or time (2026-12-01T09:30:00Z); empty is no bound."));
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::OneOf(schema.build()))
    }
}

impl utoipa::ToSchema for DateOrTimeText {}

/// Reads a `start_date`/`end_date` bound: a date is its first instant (`start`) or the first
/// instant of the next day (`end`, so the day is included); a time is itself (`end` includes
/// it). Empty is no bound; anything else is a 400 naming `param`.
pub fn parse_date_bound(raw: Option<&str>, param: &str, end: bool) -> ResearchResult<Option<Timestamp>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    if let Some(time) = Timestamp::parse(raw) {
        return Ok(Some(if end { Timestamp(time.0 + chrono::Duration::milliseconds(1)) } else { time }));
    }
    match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(day) => {
            let day = if end { day.succ_opt().unwrap_or(day) } else { day };
            Ok(Some(Timestamp(day.and_hms_opt(0, 0, 0).expect("midnight").and_utc())))
        }
        Err(_) => Err(ResearchError::invalid(
            param,
            format!("`{param}` must be an ISO 8601 date (2026-12-01) or time (2026-12-01T09:30:00Z); got `{raw}`."),
        )),
    }
}

/// An http(s) URL field as the OpenAPI document states it: text starting `http://` or
/// `https://` (any case), at most [`quarry_engine::net::MAX_URL_CHARS`] characters. What passes
/// that and still cannot be used (unparsable, no host, an address that is not allowed) is a 422
/// ([`url_error`]).
pub struct UrlText;

impl utoipa::PartialSchema for UrlText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let schema = utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(quarry_engine::net::MAX_URL_CHARS))
            .pattern(Some("^[hH][tT][tT][pP][sS]?://"))
            .description(Some("An absolute http or https URL."));
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(schema.build()))
    }
}

impl utoipa::ToSchema for UrlText {}

/// The error for URL input `raw` of `param` that could not be used: a 400 when it does not have
/// the documented form ([`UrlText`]), a 422 when it has it and is still unusable.
pub fn url_error(raw: &str, param: &str, message: String) -> ResearchError {
    let scheme = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    let documented =
        (scheme.starts_with("http://") || scheme.starts_with("https://")) && raw.chars().count() <= quarry_engine::net::MAX_URL_CHARS;
    if documented {
        ResearchError::unprocessable(param, message)
    } else {
        ResearchError::invalid(param, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_time_names_its_parameter() {
        assert!(parse_time("created_after", None).unwrap().is_none());
        assert!(parse_time("created_after", Some("2026-04-21T14:22:01Z")).unwrap().is_some());
        match parse_time("filters.created_before", Some("yesterday")) {
            Err(ResearchError::Invalid { param, message }) => {
                assert_eq!(param, "filters.created_before");
                assert!(message.contains("ISO 8601"), "{message}");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
}
