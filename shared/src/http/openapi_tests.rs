//! Checks of the OpenAPI document as clients consume it: operation IDs a client generator can
//! name methods after, described path parameters, and the error responses every operation shares.

use std::collections::BTreeMap;

use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `(METHOD path, operation)` of every operation of the document.
fn operations() -> Vec<(String, String, Value)> {
    let doc = serde_json::to_value(super::openapi()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                ops.push((method.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    assert!(!ops.is_empty());
    ops
}

/// `<resource>(.<sub>)*.<verb>`: at least two dot-separated lowercase `snake_case` words.
fn well_formed(id: &str) -> bool {
    let words: Vec<&str> = id.split('.').collect();
    words.len() >= 2
        && words.iter().all(|w| {
            w.starts_with(|c: char| c.is_ascii_lowercase())
                && !w.ends_with('_')
                && !w.contains("__")
                && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// Whether the verb (the last word) fits the method: reads list, retrieve or stream; PATCH
/// updates; DELETE deletes (or revokes); a POST creates or does an action, never a CRUD read or
/// change under another name.
fn verb_fits(method: &str, id: &str) -> bool {
    let verb = id.rsplit('.').next().unwrap_or_default();
    match method {
        "GET" => ["list", "retrieve", "stream"].contains(&verb),
        "PATCH" | "PUT" => verb == "update",
        "DELETE" => ["delete", "revoke"].contains(&verb),
        _ => !["list", "retrieve", "get", "update", "delete"].contains(&verb),
    }
}

#[test]
fn operation_ids_are_explicit_unique_and_dotted() {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut problems = Vec::new();
    for (method, path, op) in operations() {
        let route = format!("{method} {path}");
        let Some(id) = op["operationId"].as_str() else {
            problems.push(format!("{route} has no operationId"));
            continue;
        };
        if !well_formed(id) {
            problems.push(format!("{route}: `{id}` is not `<resource>(.<sub>)*.<verb>` in lowercase snake_case words"));
        } else if !verb_fits(&method, id) {
            problems.push(format!(
                "{route}: the verb of `{id}` does not fit {method} (GET: list|retrieve|stream, PATCH: update, DELETE: delete|revoke)"
            ));
        }
        if let Some(other) = seen.insert(id.to_string(), route.clone()) {
            problems.push(format!("`{id}` names both {other} and {route}"));
        }
    }
    assert!(problems.is_empty(), "operationId problems:\n{}", problems.join("\n"));
}

#[test]
fn checks_reject_what_generators_choke_on() {
    assert!(well_formed("jobs.leads.list") && well_formed("api_keys.create"));
    for bad in ["list_leads", "Jobs.list", "jobs..list", "jobs.list_", "jobs-leads.list", "jobs."] {
        assert!(!well_formed(bad), "{bad}");
    }
    assert!(verb_fits("GET", "jobs.retrieve") && verb_fits("POST", "jobs.approve") && verb_fits("DELETE", "api_keys.revoke"));
    assert!(!verb_fits("GET", "jobs.get") && !verb_fits("POST", "threads.update") && !verb_fits("PATCH", "threads.edit"));
}

/// Every `{placeholder}` of a path is a described path parameter with an example (what the types
/// of `params.rs` give), and there is no path parameter without a placeholder.
#[test]
fn path_parameters_are_described_with_examples() {
    let mut problems = Vec::new();
    for (method, path, op) in operations() {
        let placeholders: Vec<&str> = path.split('{').skip(1).filter_map(|rest| rest.split('}').next()).collect();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let in_path: Vec<&Value> = params.iter().filter(|p| p["in"] == "path").collect();
        for name in &placeholders {
            match in_path.iter().find(|p| p["name"] == *name) {
                None => problems.push(format!("{method} {path}: `{{{name}}}` is not a parameter")),
                Some(p) => {
                    if p["required"] != true || p["description"].as_str().unwrap_or_default().is_empty() || p["example"].is_null() {
                        problems.push(format!("{method} {path}: `{name}` lacks required/description/example: {p}"));
                    }
                }
            }
        }
        for p in in_path {
            if !placeholders.iter().any(|name| p["name"] == *name) {
                problems.push(format!("{method} {path}: path parameter {} has no placeholder", p["name"]));
            }
        }
    }
    assert!(problems.is_empty(), "path parameter problems:\n{}", problems.join("\n"));
}

/// Every error of a `/v1` operation is the envelope; each answers 401, 403, 429 and 500 (the
/// authentication and rate-limit layers run on all of them), and each write also 400 and 409
/// (its `Idempotency-Key`).
#[test]
fn v1_operations_document_the_shared_errors() {
    let envelope = "#/components/schemas/ErrorEnvelope";
    let mut problems = Vec::new();
    for (method, path, op) in operations().into_iter().filter(|(_, path, _)| path.starts_with("/v1/") && !super::is_public_v1_path(path)) {
        let responses = op["responses"].as_object().unwrap();
        let mut required = vec!["401", "403", "429", "500"];
        if method != "GET" {
            required.extend(["400", "409"]);
        }
        for status in required {
            if !responses.contains_key(status) {
                problems.push(format!("{method} {path} does not document {status}"));
            }
        }
        for (status, response) in responses.iter().filter(|(status, _)| status.starts_with('4') || status.starts_with('5')) {
            let schema = &response["content"]["application/json"]["schema"]["$ref"];
            if schema != envelope || response["description"].as_str().unwrap_or_default().is_empty() {
                problems.push(format!("{method} {path} {status} is not a described ErrorEnvelope: {response}"));
            }
        }
    }
    assert!(problems.is_empty(), "error response problems:\n{}", problems.join("\n"));
}

/// Two Rust types of one name publish one schema, and the document silently keeps either: every
/// message then broke the schema of its `role`. Each of the two roles keeps its own name.
#[test]
fn the_two_roles_are_two_schemas() {
    let doc = serde_json::to_value(super::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    assert!(schemas.get("Role").is_none(), "an ambiguous `Role` schema is published");
    let message_role = schemas["MessageRole"]["enum"].as_array().expect("MessageRole is an enum");
    assert_eq!(message_role, &vec![Value::from("user"), Value::from("assistant")]);
    assert!(schemas["TargetRole"]["properties"]["title"].is_object(), "TargetRole is the planner's role object");
    let message = doc["components"]["schemas"]["Message"].to_string();
    assert!(message.contains("#/components/schemas/MessageRole"), "Message.role refers to MessageRole: {message}");
}

/// `/openapi.yaml` is the document `/openapi.json` is: the same version, every path and every
/// operation ID.
#[test]
fn the_yaml_document_is_the_json_one() {
    let yaml = super::openapi::to_yaml(super::openapi());
    assert!(yaml.contains("\nopenapi: 3.1"), "{}", &yaml[..80.min(yaml.len())]);
    for (_, path, op) in operations() {
        assert!(yaml.contains(&format!("\n  {path}:\n")), "{path} is missing from the YAML");
        let id = op["operationId"].as_str().unwrap();
        assert!(yaml.contains(&format!("operationId: {id}\n")), "{id} is missing from the YAML");
    }
}
