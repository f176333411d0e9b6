//! What the lead endpoints accept, parsed into domain values: the filters of a list or an export,
//! the sort, a patch of the user's own fields and the export request. Each constructor is the
//! rule; a bad value is an [`ResearchError::Invalid`] naming the parameter as the client sent it
//! (`filters.score_min` inside an export body), so every dialect answers the same mistake alike.

use serde_json::Value;

use super::export::{ExportFormat, EXPORT_FIELDS};
use super::score::LeadStatus;
use super::store::{LeadFilter, LeadPatch, LeadSort, MAX_NOTES_CHARS, MAX_SEARCH_CHARS, MAX_TAGS, MAX_TAG_CHARS};
use crate::error::{ResearchError, ResearchResult};
use crate::filters::parse_time;

/// The filters as a request carries them: text, or for scores a number or its text.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeadFilterInput<'a> {
    pub job_id: Option<&'a str>,
    pub score_min: Option<&'a Value>,
    pub score_max: Option<&'a Value>,
    pub status: Option<&'a str>,
    pub search: Option<&'a str>,
    pub created_after: Option<&'a str>,
    pub created_before: Option<&'a str>,
}

impl LeadFilter {
    /// The filter the input asks for; `prefix` names the object the fields sit in (`""` for a
    /// query string, `"filters."` in an export body).
    pub fn parse(input: LeadFilterInput<'_>, prefix: &str) -> ResearchResult<LeadFilter> {
        let name = |field: &str| format!("{prefix}{field}");
        let score = |field: &str, raw: Option<&Value>| parse_score(&name(field), raw);
        let status = match input.status {
            None | Some("") => None,
            Some("hot") => Some(LeadStatus::Hot),
            Some("warm") => Some(LeadStatus::Warm),
            Some("cold") => Some(LeadStatus::Cold),
            Some(other) => {
                return Err(ResearchError::invalid(name("status"), format!("`status` must be hot, warm or cold; got `{other}`.")))
            }
        };
        if input.search.is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS) {
            return Err(ResearchError::invalid(name("search"), format!("`search` is at most {MAX_SEARCH_CHARS} characters.")));
        }
        let search = input.search.map(str::trim).filter(|s| !s.is_empty());
        let job_id = input.job_id.filter(|j| !j.is_empty());
        if job_id.is_some_and(|j| !crate::ids::has_prefix(j, crate::ids::prefix::JOB)) {
            return Err(ResearchError::invalid(name("job_id"), "`job_id` must be a job ID such as job_01HXA5R2D4E6G8J0K2M4N6P8Q0."));
        }
        let filter = LeadFilter {
            job_id: job_id.map(str::to_string),
            score_min: score("score_min", input.score_min)?,
            score_max: score("score_max", input.score_max)?,
            status,
            search: search.map(str::to_string),
            created_after: parse_time(&name("created_after"), input.created_after)?,
            created_before: parse_time(&name("created_before"), input.created_before)?,
        };
        if let (Some(low), Some(high)) = (filter.score_min, filter.score_max) {
            if low > high {
                return Err(ResearchError::unprocessable(name("score_min"), "`score_min` must not be above `score_max`."));
            }
        }
        Ok(filter)
    }
}

/// A score bound: an integer 0–100, as a JSON number (a body) or its digits (a query string,
/// where every value is text).
fn parse_score(param: &str, raw: Option<&Value>) -> ResearchResult<Option<u8>> {
    let Some(raw) = raw else { return Ok(None) };
    let number = match raw {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse::<u64>().ok(),
        _ => None,
    };
    match number {
        Some(n) if n <= 100 => Ok(Some(n as u8)),
        _ => Err(ResearchError::invalid(param, format!("`{param}` must be an integer from 0 to 100."))),
    }
}

impl LeadSort {
    /// The `sort` parameter; absent or empty is newest first by `created_at`.
    pub fn parse_param(raw: Option<&str>) -> ResearchResult<LeadSort> {
        match raw {
            None | Some("") => Ok(LeadSort::CreatedAt),
            Some(raw) => LeadSort::parse(raw)
                .ok_or_else(|| ResearchError::invalid("sort", format!("`sort` must be created_at, score or company; got `{raw}`."))),
        }
    }
}

impl LeadPatch {
    /// A patch of `custom_notes` (text, or `null` to clear; absent keeps them) and `tags` (they
    /// replace the lead's tags; trimmed, duplicates dropped).
    pub fn parse(custom_notes: Option<&Value>, tags: Option<&Value>) -> ResearchResult<LeadPatch> {
        let custom_notes = match custom_notes {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(notes)) if notes.chars().count() <= MAX_NOTES_CHARS => Some(Some(notes.clone())),
            Some(_) => {
                let message = format!("`custom_notes` must be text of at most {MAX_NOTES_CHARS} characters, or null.");
                return Err(ResearchError::invalid("custom_notes", message));
            }
        };
        let tags = tags.map(parse_tags).transpose()?;
        Ok(LeadPatch { custom_notes, tags })
    }
}

fn parse_tags(raw: &Value) -> ResearchResult<Vec<String>> {
    let Value::Array(items) = raw else {
        return Err(ResearchError::invalid("tags", format!("`tags` must be a list of at most {MAX_TAGS} strings.")));
    };
    if items.len() > MAX_TAGS {
        return Err(ResearchError::invalid("tags", format!("`tags` must be a list of at most {MAX_TAGS} strings.")));
    }
    let mut tags: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let tag = item.as_str().filter(|t| !t.is_empty() && t.chars().count() <= MAX_TAG_CHARS);
        let Some(tag) = tag else {
            return Err(ResearchError::invalid(format!("tags[{i}]"), format!("Each tag must be text of 1 to {MAX_TAG_CHARS} characters.")));
        };
        let tag = tag.trim();
        if tag.is_empty() {
            return Err(ResearchError::unprocessable(format!("tags[{i}]"), "A tag is blank; remove it or write a label."));
        }
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
    }
    Ok(tags)
}

impl ExportFormat {
    /// The required `format` of an export request.
    pub fn parse_param(raw: Option<&str>) -> ResearchResult<ExportFormat> {
        match raw {
            None => Err(ResearchError::invalid("format", "`format` is required: `csv` or `json`.")),
            Some(raw) => ExportFormat::parse(raw)
                .ok_or_else(|| ResearchError::invalid("format", format!("`format` must be csv or json; got `{raw}`."))),
        }
    }
}

/// The columns of an export, in order: every column when absent, else the named ones, each an
/// export column named once (so a file is never wider than every column once).
pub fn parse_export_fields(fields: Option<Vec<String>>) -> ResearchResult<Vec<String>> {
    let Some(fields) = fields else { return Ok(EXPORT_FIELDS.iter().map(|f| f.to_string()).collect()) };
    if fields.is_empty() {
        return Err(ResearchError::invalid("fields", "`fields` must name at least one column, or be left out for all."));
    }
    if fields.len() > EXPORT_FIELDS.len() {
        let message =
            format!("`fields` names {} columns; an export has {} columns, each named at most once.", fields.len(), EXPORT_FIELDS.len());
        return Err(ResearchError::invalid("fields", message));
    }
    for (i, field) in fields.iter().enumerate() {
        if !EXPORT_FIELDS.contains(&field.as_str()) {
            let message = format!("`{field}` is not an export column. Use any of: {}.", EXPORT_FIELDS.join(", "));
            return Err(ResearchError::invalid(format!("fields[{i}]"), message));
        }
        if fields[..i].contains(field) {
            return Err(ResearchError::invalid(format!("fields[{i}]"), format!("`{field}` is named twice; name each column once.")));
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn invalid_param<T: std::fmt::Debug>(result: ResearchResult<T>) -> String {
        match result {
            Err(ResearchError::Invalid { param, .. }) => param,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_filter_names_the_bad_field_with_its_prefix() {
        let high = json!(101);
        let input = LeadFilterInput { score_min: Some(&high), ..Default::default() };
        assert_eq!(invalid_param(LeadFilter::parse(input, "filters.")), "filters.score_min");
        let (low, high) = (json!("60"), json!(40));
        let crossed = LeadFilterInput { score_min: Some(&low), score_max: Some(&high), ..Default::default() };
        match LeadFilter::parse(crossed, "") {
            Err(ResearchError::Unprocessable { param, .. }) => assert_eq!(param, "score_min", "crossed bounds are a 422"),
            other => panic!("{other:?}"),
        }
        let padded = LeadFilterInput { status: Some(" warm "), ..Default::default() };
        assert_eq!(invalid_param(LeadFilter::parse(padded, "")), "status", "the schema's enumeration, exactly");
        let fine = LeadFilterInput { score_min: Some(&high), status: Some("warm"), job_id: Some(""), ..Default::default() };
        let filter = LeadFilter::parse(fine, "").unwrap();
        assert_eq!((filter.score_min, filter.status, filter.job_id), (Some(40), Some(LeadStatus::Warm), None));
    }

    #[test]
    fn a_patch_keeps_clears_or_replaces() {
        assert_eq!(LeadPatch::parse(None, None).unwrap(), LeadPatch::default());
        assert_eq!(LeadPatch::parse(Some(&Value::Null), None).unwrap().custom_notes, Some(None));
        let tags = json!([" vip ", "vip", "q3"]);
        assert_eq!(LeadPatch::parse(None, Some(&tags)).unwrap().tags, Some(vec!["vip".to_string(), "q3".to_string()]));
        assert_eq!(invalid_param(LeadPatch::parse(None, Some(&json!(["ok", ""])))), "tags[1]");
        assert_eq!(invalid_param(LeadPatch::parse(Some(&json!(5)), None)), "custom_notes");
    }

    #[test]
    fn export_fields_default_to_every_column() {
        assert_eq!(parse_export_fields(None).unwrap().len(), EXPORT_FIELDS.len());
        assert_eq!(invalid_param(parse_export_fields(Some(vec![]))), "fields");
        assert_eq!(invalid_param(parse_export_fields(Some(vec!["email".into(), "shoe_size".into()]))), "fields[1]");
        assert_eq!(invalid_param(ExportFormat::parse_param(None)), "format");
        assert_eq!(invalid_param(parse_export_fields(Some(vec!["email".into(), "phone".into(), "email".into()]))), "fields[2]");
        assert_eq!(invalid_param(parse_export_fields(Some(vec!["email".to_string(); 10_000]))), "fields");
    }
}
