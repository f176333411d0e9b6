//! The template routes every endpoint of the API to a function, and nothing else: each
//! `(method, path)` of `/openapi.json` is an `HttpApi` event of `template.yaml` (the job stream,
//! served by its function URL behind CloudFront, excepted), and each event is an endpoint.

use std::collections::BTreeSet;

/// `(METHOD, path)` of every `HttpApi` event in the template.
fn template_routes() -> BTreeSet<(String, String)> {
    let template = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).expect("template.yaml");
    template
        .lines()
        // The `$default` route (no path) answers unknown routes with the envelope's 404.
        .filter(|line| line.contains("ApiId: !Ref HttpApi") && line.contains("Path: "))
        .map(|line| {
            let field = |name: &str| {
                let rest = line.split(&format!("{name}: ")).nth(1).unwrap_or_else(|| panic!("no {name} in {line:?}")).trim_start();
                match rest.strip_prefix('"') {
                    Some(quoted) => quoted.split('"').next().unwrap().to_string(),
                    None => rest.split([',', '}']).next().unwrap().trim().to_string(),
                }
            };
            (field("Method").to_uppercase(), field("Path"))
        })
        .collect()
}

#[test]
fn every_endpoint_has_an_event_and_every_event_an_endpoint() {
    let doc = serde_json::to_value(quarry_shared::http::openapi()).unwrap();
    let mut api = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|m| ["get", "post", "patch", "put", "delete"].contains(&m.as_str())) {
            api.insert((method.to_uppercase(), path.clone()));
        }
    }
    let streamed = ("GET".to_string(), "/v1/jobs/{job_id}/stream".to_string());
    assert!(api.remove(&streamed), "the stream endpoint exists");
    let template = template_routes();
    let missing: Vec<_> = api.difference(&template).collect();
    let extra: Vec<_> = template.difference(&api).collect();
    assert!(missing.is_empty() && extra.is_empty(), "endpoints without an event: {missing:?}; events without an endpoint: {extra:?}");
}
