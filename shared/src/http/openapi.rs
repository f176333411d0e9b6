//! What every operation of the OpenAPI document shares, added in one place after the route
//! definitions are collected, so the document cannot forget it for one route:
//!
//! - every response carries `X-Request-Id`; `/v1` answers that passed the rate limit (2xx, and
//!   429) carry `X-RateLimit-Limit`, `-Remaining` and `-Reset`;
//! - every operation with a body can answer 400 (malformed JSON), 413 (over 5 MiB) and 415 (not
//!   JSON), in the error envelope; every `/v1` operation with a body or a query can answer 422
//!   (a value of the documented form that the rules still refuse);
//! - every `/v1` write takes an optional `Idempotency-Key` header, and its success may carry
//!   `Idempotent-Replayed: true`;
//! - an empty query value means the parameter is left out, so every query parameter's schema
//!   also takes `""`;
//! - links from the operations that create objects to the ones that read and change them, so a
//!   client generator (or a stateful fuzzer) can follow an object's lifecycle.

use serde_json::{json, Value};
use utoipa::openapi::OpenApi as OpenApiDoc;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
const WRITES: [&str; 4] = ["post", "put", "patch", "delete"];

/// `doc` with the shared parts added (see the module docs), as JSON.
pub(super) fn complete(doc: &OpenApiDoc) -> Value {
    let mut value = serde_json::to_value(doc).expect("the document serializes");
    for (name, schema) in super::schema::exact() {
        value["components"]["schemas"][name] = schema;
    }
    for (component, property, schema) in super::schema::refinements() {
        value["components"]["schemas"][component]["properties"][property] = schema;
    }
    add_shared_parts(&mut value);
    add_links(&mut value);
    value
}

/// The document as YAML.
pub(super) fn to_yaml(doc: &Value) -> String {
    serde_norway::to_string(doc).expect("a JSON value serializes as YAML")
}

fn header(description: &str, schema: Value, required: bool) -> Value {
    json!({"description": description, "required": required, "schema": schema})
}

fn envelope_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}})
}

fn add_shared_parts(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        // A public `/v1` path (no key) has no rate limit, scope or idempotency layer.
        let v1 = path.starts_with("/v1/") && !super::is_public_v1_path(path);
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut().filter(|(m, _)| METHODS.contains(&m.as_str())) {
            let write = v1 && WRITES.contains(&method.as_str());
            let has_body = op.get("requestBody").is_some();
            let has_query = op.get("parameters").and_then(Value::as_array).is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            let responses = op["responses"].as_object_mut().expect("every operation has responses");
            if v1 && (has_body || has_query) {
                responses.entry("422").or_insert_with(|| {
                    envelope_response("`invalid_request_error`: a value has the documented form but cannot be used (a blank text, a time that must be in the future, a URL that is not allowed, bounds that exclude each other); `param` names it.")
                });
            }
            if has_body {
                for (status, description) in [
                    ("400", "`invalid_request_error`: the body is not one well-formed JSON value of the documented shape; `param` names the field."),
                    ("413", "`invalid_request_error`: the body is over the 5 MiB limit."),
                    ("415", "`invalid_request_error`: the body is not sent as `Content-Type: application/json`."),
                ] {
                    responses.entry(status).or_insert_with(|| envelope_response(description));
                }
            }
            for (status, response) in responses.iter_mut() {
                add_response_headers(status, response, v1, write);
            }
            for parameter in op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
                if parameter["in"] == "query" {
                    allow_empty(&mut parameter["schema"]);
                }
            }
            if write {
                let parameters = op.as_object_mut().unwrap().entry("parameters").or_insert_with(|| json!([]));
                parameters.as_array_mut().unwrap().push(json!({
                    "name": "Idempotency-Key", "in": "header", "required": false,
                    "description": "Makes the write safe to retry: the first answer is stored for 24 hours and replayed to a repeat with the same key; the same key with another request is a 409.",
                    "schema": {"type": "string", "minLength": 1, "maxLength": crate::idempotency::MAX_KEY_LEN, "pattern": "^[\\x21-\\x7e]+$"}
                }));
            }
        }
    }
}

/// An empty query value is the same as leaving the parameter out (`ApiQuery`): the schema of a
/// query parameter says so.
fn allow_empty(schema: &mut Value) {
    let typed = |t: &str| schema["type"] == t || schema["type"].as_array().is_some_and(|ts| ts.iter().any(|x| x == t));
    if typed("string") {
        if let Some(pattern) = schema["pattern"].as_str().filter(|p| !p.starts_with("^$|")) {
            schema["pattern"] = format!("^$|{pattern}").into();
        }
        return;
    }
    if typed("integer") || typed("number") || typed("boolean") {
        let original = schema.take();
        *schema = json!({"anyOf": [original, {"type": "string", "maxLength": 0}]});
    }
}

fn add_response_headers(status: &str, response: &mut Value, v1: bool, write: bool) {
    let Some(response) = response.as_object_mut() else { return };
    let headers = response.entry("headers").or_insert_with(|| json!({})).as_object_mut().expect("headers are a map");
    headers.insert(
        "X-Request-Id".into(),
        header(
            "The request's ID (the caller's own when it sent a sane one); quote it when reporting a problem.",
            json!({"type": "string"}),
            true,
        ),
    );
    let passed_rate_limit = status.starts_with('2') || status == "429";
    if v1 && passed_rate_limit {
        for (name, description) in [
            ("X-RateLimit-Limit", "Requests the organization may make per minute."),
            ("X-RateLimit-Remaining", "Requests left in the current minute."),
            ("X-RateLimit-Reset", "When the current minute's window ends (Unix seconds)."),
        ] {
            headers.insert(name.into(), header(description, json!({"type": "integer", "minimum": 0}), true));
        }
    }
    if write && status.starts_with('2') {
        headers.insert(
            "Idempotent-Replayed".into(),
            header(
                "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.",
                json!({"type": "string", "enum": ["true"]}),
                false,
            ),
        );
    }
}

/// `(operation, status, link name, target operation, parameter, where its value is)`.
const LINKS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("threads.create", "201", "GetThread", "threads.retrieve", "thread_id", "$response.body#/id"),
    ("threads.create", "201", "UpdateThread", "threads.update", "thread_id", "$response.body#/id"),
    ("threads.create", "201", "DeleteThread", "threads.delete", "thread_id", "$response.body#/id"),
    ("threads.create", "201", "ListMessages", "messages.list", "thread_id", "$response.body#/id"),
    ("threads.create", "201", "PostMessage", "messages.create", "thread_id", "$response.body#/id"),
    ("messages.create", "201", "GetPlan", "plans.retrieve", "plan_id", "$response.body#/plan/id"),
    ("messages.create", "201", "Replan", "plans.replan", "plan_id", "$response.body#/plan/id"),
    ("messages.create", "201", "GetJob", "jobs.retrieve", "job_id", "$response.body#/job/id"),
    ("messages.create", "201", "ApproveJob", "jobs.approve", "job_id", "$response.body#/job/id"),
    ("messages.create", "201", "UpdateJob", "jobs.update", "job_id", "$response.body#/job/id"),
    ("messages.create", "201", "StopJob", "jobs.stop", "job_id", "$response.body#/job/id"),
    ("jobs.approve", "200", "JobSummary", "jobs.summary.retrieve", "job_id", "$response.body#/id"),
    ("jobs.approve", "200", "JobLogs", "jobs.logs.list", "job_id", "$response.body#/id"),
    ("jobs.approve", "200", "JobLeads", "jobs.leads.list", "job_id", "$response.body#/id"),
    ("webhooks.create", "201", "GetWebhook", "webhooks.retrieve", "webhook_id", "$response.body#/id"),
    ("webhooks.create", "201", "UpdateWebhook", "webhooks.update", "webhook_id", "$response.body#/id"),
    ("webhooks.create", "201", "RotateWebhook", "webhooks.rotate", "webhook_id", "$response.body#/id"),
    ("webhooks.create", "201", "TestWebhook", "webhooks.test", "webhook_id", "$response.body#/id"),
    ("webhooks.create", "201", "ListDeliveries", "webhooks.deliveries.list", "webhook_id", "$response.body#/id"),
    ("webhooks.create", "201", "DeleteWebhook", "webhooks.delete", "webhook_id", "$response.body#/id"),
    ("api_keys.create", "201", "RevokeKey", "api_keys.revoke", "key_id", "$response.body#/id"),
    ("search.create", "202", "GetSearchJob", "jobs.retrieve", "job_id", "$response.body#/job_id"),
    ("search.create", "202", "StreamSearchJob", "jobs.stream", "job_id", "$response.body#/job_id"),
    ("search.create", "202", "CancelSearchJob", "jobs.cancel", "job_id", "$response.body#/job_id"),
    ("search.create", "200", "SearchJobLeads", "jobs.leads.list", "job_id", "$response.body#/job_id"),
    ("search.create", "200", "SearchJobSummary", "jobs.summary.retrieve", "job_id", "$response.body#/job_id"),
    ("jobs.leads.list", "200", "GetLead", "leads.retrieve", "lead_id", "$response.body#/data/0/id"),
    ("jobs.leads.list", "200", "UpdateLead", "leads.update", "lead_id", "$response.body#/data/0/id"),
    ("jobs.leads.list", "200", "LeadSourcePage", "leads.sources.retrieve", "lead_id", "$response.body#/data/0/id"),
    ("jobs.leads.list", "200", "DeleteLead", "leads.delete", "lead_id", "$response.body#/data/0/id"),
    ("leads.exports.create", "202", "GetExport", "exports.retrieve", "export_id", "$response.body#/id"),
];

fn add_links(doc: &mut Value) {
    let mut located: std::collections::BTreeMap<String, (String, String)> = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                located.insert(id.to_string(), (path.clone(), method.clone()));
            }
        }
    }
    for (from, status, name, to, parameter, expression) in LINKS {
        let Some((path, method)) = located.get(*from).filter(|_| located.contains_key(*to)) else {
            debug_assert!(false, "link {name}: {from} or {to} is not an operation of the document");
            continue;
        };
        let Some(response) = doc["paths"][path.as_str()][method.as_str()]["responses"][*status].as_object_mut() else { continue };
        let links = response.entry("links").or_insert_with(|| json!({}));
        links[*name] = json!({"operationId": to, "parameters": {*parameter: expression}});
    }
}
