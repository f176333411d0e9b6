//! Metadata: up to 50 string pairs a caller attaches to a thread or a job for its own joining
//! keys (a CRM ID, a campaign). The rules live here once, so every object and every dialect
//! enforces the same limits and merges a change the same way.

use serde_json::{Map, Value};

use crate::error::{ResearchError, ResearchResult};

/// Most metadata pairs on an object.
pub const MAX_METADATA_PAIRS: usize = 50;
/// Longest metadata key, in characters.
pub const MAX_METADATA_KEY_CHARS: usize = 40;
/// Longest metadata value, in characters.
pub const MAX_METADATA_VALUE_CHARS: usize = 500;

/// Checks metadata pairs; `allow_null` admits `null` values (removals in a patch).
pub fn validate(metadata: &Map<String, Value>, allow_null: bool) -> ResearchResult<()> {
    if metadata.len() > MAX_METADATA_PAIRS {
        return Err(ResearchError::invalid(
            "metadata",
            format!("`metadata` holds at most {MAX_METADATA_PAIRS} pairs; got {}.", metadata.len()),
        ));
    }
    for (key, value) in metadata {
        let chars = key.chars().count();
        if chars == 0 || chars > MAX_METADATA_KEY_CHARS {
            return Err(ResearchError::invalid(
                format!("metadata[{key}]"),
                format!("Metadata keys must be 1 to {MAX_METADATA_KEY_CHARS} characters; `{key}` has {chars}."),
            ));
        }
        match value {
            Value::String(s) if s.chars().count() <= MAX_METADATA_VALUE_CHARS => {}
            Value::String(_) => {
                return Err(ResearchError::invalid(
                    format!("metadata[{key}]"),
                    format!("Metadata values must be at most {MAX_METADATA_VALUE_CHARS} characters."),
                ))
            }
            Value::Null if allow_null => {}
            _ => {
                return Err(ResearchError::invalid(
                    format!("metadata[{key}]"),
                    "Metadata values must be strings (in an update, `null` removes a key).",
                ))
            }
        }
    }
    Ok(())
}

/// `current` with `changes` applied: a key set to a string is added or replaced, a key set to
/// `null` is removed, other keys are kept. Both the changes and the result are checked.
pub fn merge(current: &Map<String, Value>, changes: Map<String, Value>) -> ResearchResult<Map<String, Value>> {
    validate(&changes, true)?;
    let mut merged = current.clone();
    for (key, value) in changes {
        match value {
            Value::Null => merged.remove(&key),
            value => merged.insert(key, value),
        };
    }
    validate(&merged, false)?;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_limits_name_the_offending_key() {
        let mut m = Map::new();
        m.insert("k".repeat(41), Value::String("v".into()));
        let ResearchError::Invalid { param, .. } = validate(&m, false).unwrap_err() else { panic!() };
        assert_eq!(param, format!("metadata[{}]", "k".repeat(41)));
        let mut m = Map::new();
        m.insert("n".into(), Value::from(3));
        assert!(validate(&m, false).is_err());
        m.insert("n".into(), Value::Null);
        assert!(validate(&m, true).is_ok() && validate(&m, false).is_err());
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), Value::String("v".into()))).collect();
        let ResearchError::Invalid { param, .. } = validate(&many, false).unwrap_err() else { panic!() };
        assert_eq!(param, "metadata");
    }

    #[test]
    fn a_merge_adds_replaces_removes_and_keeps() {
        let current: Map<String, Value> =
            [("crm".to_string(), Value::from("A-1")), ("team".to_string(), Value::from("emea"))].into_iter().collect();
        let changes: Map<String, Value> =
            [("crm".to_string(), Value::from("A-2")), ("team".to_string(), Value::Null), ("new".to_string(), Value::from("x"))]
                .into_iter()
                .collect();
        let merged = merge(&current, changes).unwrap();
        assert_eq!(Value::Object(merged), serde_json::json!({"crm": "A-2", "new": "x"}));
        let full: Map<String, Value> = (0..50).map(|i| (format!("k{i}"), Value::from("v"))).collect();
        let one_more: Map<String, Value> = [("k50".to_string(), Value::from("v"))].into_iter().collect();
        assert!(merge(&full, one_more).is_err(), "the merged object is checked too");
    }
}
