//! Request schemas utoipa cannot derive exactly (key rules, enumerations built from the domain's
//! constants), written as JSON Schema from the same constants the domain checks, so the OpenAPI
//! document states the rule the code enforces. Each type stands in a body's field as
//! `#[schema(value_type = Option<super::schema::Metadata>)]`; [`exact`] gives the exact schema the
//! document's components get (see `openapi::complete`).

use serde_json::{json, Value};
use utoipa::openapi::{ObjectBuilder, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::events::EventType;
use crate::leads::store::{MAX_TAGS, MAX_TAG_CHARS};
use crate::metadata::{MAX_METADATA_KEY_CHARS, MAX_METADATA_PAIRS, MAX_METADATA_VALUE_CHARS};
use crate::webhooks::endpoints::ALL_EVENTS;

macro_rules! stand_in {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        pub struct $name;
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                // Replaced by the exact schema when the document is completed.
                RefOr::T(Schema::Object(ObjectBuilder::new().description(Some($doc)).build()))
            }
        }
        impl ToSchema for $name {}
    };
}

stand_in!(Metadata, "Up to 50 pairs of text: keys of 1 to 40 characters, values of at most 500.");
stand_in!(MetadataPatch, "Metadata changes: keys to add or replace (text values), or to remove (`null`).");
stand_in!(Tags, "Up to 20 tags of 1 to 50 characters (repeats are kept once).");
stand_in!(EventTypes, "Event types, or `*` for every type (repeats are kept once).");
stand_in!(ExportColumns, "Export columns, in order, each once.");

/// Properties of derived schemas refined where a derive cannot say it: `(component, property,
/// schema)`.
pub(super) fn refinements() -> Vec<(&'static str, &'static str, Value)> {
    vec![(
        "Hints",
        "preferred_sources",
        json!({"type": "array", "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 100}}),
    )]
}

/// The exact schemas of the stand-ins, by component name.
pub(super) fn exact() -> Vec<(&'static str, Value)> {
    let metadata = |values: Value| {
        json!({
            "type": "object",
            "maxProperties": MAX_METADATA_PAIRS,
            "propertyNames": {"minLength": 1, "maxLength": MAX_METADATA_KEY_CHARS},
            "additionalProperties": values,
        })
    };
    let text = json!({"type": "string", "maxLength": MAX_METADATA_VALUE_CHARS});
    let mut events: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    events.push(ALL_EVENTS);
    let columns = crate::leads::export::EXPORT_FIELDS;
    vec![
        ("Metadata", metadata(text.clone())),
        ("MetadataPatch", metadata(json!({"oneOf": [text, {"type": "null"}]}))),
        ("Tags", json!({"type": "array", "maxItems": MAX_TAGS, "items": {"type": "string", "minLength": 1, "maxLength": MAX_TAG_CHARS}})),
        ("EventTypes", json!({"type": "array", "minItems": 1, "maxItems": events.len(), "items": {"type": "string", "enum": events}})),
        (
            "ExportColumns",
            json!({"type": "array", "minItems": 1, "maxItems": columns.len(), "uniqueItems": true, "items": {"type": "string", "enum": columns}}),
        ),
    ]
}
