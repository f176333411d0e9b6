//! Values the list endpoints' filters share, parsed once for all of them: an ISO 8601 time bound
//! (`created_after`, `created_before`). A bad value is an [`ResearchError::Invalid`] naming the
//! parameter, so every list answers the same 400 for the same mistake.

use crate::error::{ResearchError, ResearchResult};
use quarry_ports::clock::Timestamp;

/// Parses an optional time bound named `param`; absent stays `None`.
pub fn parse_time(param: &str, raw: Option<&str>) -> ResearchResult<Option<Timestamp>> {
    raw.map(|r| {
        Timestamp::parse(r)
            .ok_or_else(|| ResearchError::invalid(param, format!("`{param}` must be an ISO 8601 time such as 2026-04-21T14:22:01Z.")))
    })
    .transpose()
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
