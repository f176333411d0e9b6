//! Live discovery from open data, end to end: a live job whose plan names an industry and a place
//! and has no seed file, no index match and no search provider asks loopback stand-ins for
//! Wikidata and Overpass (answering in their documented JSON), reads the website a record gives,
//! and delivers leads grounded by the record and the site. The stand-ins' answers are kept in the
//! table for a day, so a second job sends nothing.

use quarry_engine::opendata::Endpoints;
use quarry_shared::accounts::{KeyKind, Mode, Scope, Tier};
use quarry_shared::jobs::live::LiveSource;
use quarry_shared::jobs::web::WebSettings;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::api::{json_of, post};
use super::jobs::{all_leads, until_ended};
use crate::fixtures::{FixtureSite, FixtureWeb, Page};
use crate::server::{Backend, TestServer};

/// SPARQL JSON results naming one company with a website (a fixture site) and one without.
fn wikidata_answer(web: &FixtureWeb) -> String {
    json!({
        "head": {"vars": ["item", "itemLabel", "website", "countryCode", "hqLabel", "employees", "inception", "exchange"]},
        "results": {"bindings": [
            {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q190000001"},
             "itemLabel": {"type": "literal", "xml:lang": "en", "value": "Halyard Robotics"},
             "website": {"type": "uri", "value": web.home("halyardrobotics.com")},
             "countryCode": {"type": "literal", "value": "US"},
             "hqLabel": {"type": "literal", "xml:lang": "en", "value": "Austin"},
             "inception": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#dateTime", "value": "2017-01-01T00:00:00Z"},
             "exchange": {"type": "uri", "value": "http://www.wikidata.org/entity/Q82059"}},
            {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q190000002"},
             "itemLabel": {"type": "literal", "xml:lang": "en", "value": "Quiet Harbor Robotics"},
             "countryCode": {"type": "literal", "value": "US"},
             "employees": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#decimal", "value": "12"}}
        ]}
    })
    .to_string()
}

async fn live_job(s: &TestServer, key: &str, prompt: &str) -> (Value, Vec<Value>) {
    let thread = json_of(post(s, key, "/v1/threads", json!({})).await, StatusCode::CREATED).await["id"].as_str().unwrap().to_string();
    let message = json!({"content": prompt, "hints": {"max_rows": 5}});
    let posted = json_of(post(s, key, &format!("/v1/threads/{thread}/messages"), message).await, StatusCode::CREATED).await;
    let job_id = posted["job"]["id"].as_str().unwrap_or_else(|| panic!("{posted}")).to_string();
    json_of(post(s, key, &format!("/v1/jobs/{job_id}/approve"), json!({})).await, StatusCode::OK).await;
    let job = until_ended(s, key, &job_id).await;
    let leads = all_leads(s, key, &job_id, "").await;
    (job, leads)
}

pub async fn live_jobs_discover_companies_in_open_data(backend: Backend) {
    let web = FixtureWeb::serve().await;
    let wikidata =
        FixtureSite::serve(vec![("sparql", Page { content_type: "application/sparql-results+json", body: wikidata_answer(&web) })]).await;
    let overpass =
        FixtureSite::serve(vec![("api/interpreter", Page { content_type: "application/json", body: r#"{"elements": []}"#.into() })]).await;
    let settings = WebSettings {
        discovery: vec![LiveSource::Wikidata, LiveSource::OpenStreetMap, LiveSource::WebSearch],
        open_data: Endpoints {
            wikidata: wikidata.url("sparql").parse().unwrap(),
            overpass: overpass.url("api/interpreter").parse().unwrap(),
        },
        ..WebSettings::default()
    };
    let s = TestServer::with_web(backend, settings).await;
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;

    let (job, leads) = live_job(&s, &key, "Find robotics companies in Austin, Texas. Pull the CTO.").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let summary = job["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("Wikidata (2)"), "{summary}");
    assert_eq!(wikidata.hit_count(), 1);
    assert_eq!(overpass.hit_count(), 0, "robotics has no map tag: OpenStreetMap is not asked");

    let cto = leads.iter().find(|l| l["person"]["full_name"] == "Daniel Reyes").unwrap_or_else(|| panic!("{leads:?}"));
    assert_eq!(cto["person"]["role"], "CTO", "{cto}");
    assert_eq!(cto["company"]["domain"], "halyardrobotics.com", "{cto}");
    assert_eq!(cto["company"]["hq_city"], "Austin", "{cto}");
    assert_eq!(cto["fields"]["public"], true, "the record names a stock exchange: {cto}");
    let sources = cto["sources"].as_array().unwrap();
    let record = sources.iter().find(|s| s["kind"] == "open_data").unwrap_or_else(|| panic!("{cto}"));
    assert_eq!(record["url"], "https://www.wikidata.org/wiki/Q190000001");
    assert!(record["fields"].to_string().contains("fields.founded_year"), "{record}");
    let person_source = sources.iter().find(|s| s["fields"].to_string().contains("person.full_name")).unwrap();
    assert_eq!(person_source["kind"], "web", "only the company's own pages name its people: {cto}");
    assert!(person_source["url"].as_str().unwrap().starts_with(&web.home("halyardrobotics.com")), "{cto}");

    let quiet = leads.iter().find(|l| l["company"]["name"] == "Quiet Harbor Robotics").unwrap_or_else(|| panic!("{leads:?}"));
    assert!(quiet["person"].is_null(), "no site, so nobody is known there: {quiet}");
    assert_eq!(quiet["company"]["employee_count"], 12);
    assert!(quiet["sources"].as_array().unwrap().iter().all(|s| s["kind"] == "open_data"), "{quiet}");
    let open_data_confidence = quiet["confidence"].as_f64().unwrap();
    assert!(open_data_confidence > 0.0 && open_data_confidence < cto["confidence"].as_f64().unwrap(), "{quiet} vs {cto}");

    // A second job with the same request within the day: the answer comes from the table. (The
    // lead index now knows Halyard, so Wikidata tops it up with the rest.)
    let (again, _) = live_job(&s, &key, "Find robotics companies in Austin, Texas. Pull the CTO.").await;
    assert_eq!(again["status"], "succeeded", "{again}");
    assert_eq!(wikidata.hit_count(), 1, "the same query is not sent twice in a day");
}
