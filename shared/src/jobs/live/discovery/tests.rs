//! Discovery by web search: the query, the directory filter, and [`LiveSources::gather`] and
//! [`LiveSources::enrich`] with a fake SearXNG and a company site on loopback over an SQLite
//! table, and discovery from open data with fake Wikidata and Overpass endpoints. Only loopback
//! is ever reached: the fetcher allows nothing else.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use quarry_engine::crawl::CrawlConfig;
use quarry_engine::net::{Fetcher, TargetPolicy};
use quarry_engine::search::{SearchConfig, SearxngSearch};
use serde_json::json;

use super::*;
use crate::jobs::live::{Candidates, LiveSource, LiveSources, WebReport};
use crate::jobs::web::WebSource;
use crate::leads::dedupe::field_paths;
use crate::leads::index::LeadIndex;
use crate::leads::{Source, SourceKind};
use quarry_planner::{read_title, Attachment, AttachmentKind};
use quarry_ports::clock::{ManualClock, SharedClock, Timestamp};
use quarry_store::sqlite::{SqliteDb, SqliteTable};

const ORG: &str = "org_discovery";

fn at() -> Timestamp {
    Timestamp::from_unix(1_776_000_000).unwrap()
}

fn criteria(max_rows: u32) -> Criteria {
    Criteria {
        industries: vec!["fintech".into()],
        countries: vec!["DE".into()],
        cities: vec!["Berlin".into()],
        roles: vec![read_title("CTO").unwrap()],
        max_rows: Some(max_rows),
        ..Criteria::default()
    }
}

#[test]
fn queries_name_company_facts_only() {
    assert_eq!(search_query(&criteria(5)).as_deref(), Some("fintech companies in Berlin"), "roles stay out");
    let countries = Criteria {
        industries: vec!["ai_infra".into(), "saas".into()],
        countries: vec!["AT".into(), "DE".into(), "GB".into()],
        technologies: vec!["kubernetes".into(), "snowflake".into()],
        ..Criteria::default()
    };
    assert_eq!(
        search_query(&countries).as_deref(),
        Some("ai infra saas companies in Austria or Germany or United Kingdom using kubernetes snowflake")
    );
    let region = Criteria {
        industries: vec!["healthcare".into()],
        countries: vec!["AT".into(), "CH".into(), "DE".into(), "LI".into()],
        ..Criteria::default()
    };
    assert_eq!(search_query(&region).as_deref(), Some("healthcare companies"), "too many places name none");
    let unknown_code = Criteria { industries: vec!["fintech".into()], countries: vec!["LI".into()], ..Criteria::default() };
    assert_eq!(search_query(&unknown_code).as_deref(), Some("fintech companies in LI"));
    let texas_or_germany = Criteria {
        industries: vec!["fintech".into()],
        countries: vec!["DE".into(), "US".into()],
        regions: vec!["US-TX".into()],
        ..Criteria::default()
    };
    assert_eq!(search_query(&texas_or_germany).as_deref(), Some("fintech companies in Texas or Germany"), "a state stands for its country");
    let austin = Criteria { cities: vec!["Austin".into()], ..texas_or_germany };
    assert_eq!(search_query(&austin).as_deref(), Some("fintech companies in Austin"), "a city is narrower still");
    let place_only = Criteria { cities: vec!["Berlin".into()], roles: vec![read_title("CTO").unwrap()], ..Criteria::default() };
    assert_eq!(search_query(&place_only), None);
}

#[test]
fn directories_networks_and_news_are_not_companies() {
    for domain in ["linkedin.com", "glassdoor.co.uk", "crunchbase.com", "wikipedia.org", "x.com", "g2.com", "kununu.com", "techcrunch.com"]
    {
        assert!(is_directory(domain), "{domain}");
    }
    for domain in ["kassenwerk.de", "x.ai", "g2-consulting.de", "linkedinsight.io", "mediumhaus.de"] {
        assert!(!is_directory(domain), "{domain}");
    }
}

/// A fake SearXNG: answers every first page with `results`, later pages with none, and records
/// the queries. With `status` other than 200 it answers that status instead.
#[derive(Clone)]
struct FakeSearxng {
    results: serde_json::Value,
    status: u16,
    queries: Arc<Mutex<Vec<String>>>,
}

async fn searxng(State(fake): State<FakeSearxng>, uri: Uri) -> Response {
    let params: HashMap<String, String> = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    fake.queries.lock().unwrap().push(params.get("q").cloned().unwrap_or_default());
    if fake.status != 200 {
        return StatusCode::from_u16(fake.status).unwrap().into_response();
    }
    let results = if params.get("pageno").map(String::as_str) == Some("1") { fake.results.clone() } else { json!([]) };
    ([(header::CONTENT_TYPE, "application/json")], json!({ "results": results }).to_string()).into_response()
}

/// The company site every fixture host is served from, and a URL list for seeded jobs.
async fn company_site(State(()): State<()>, uri: Uri) -> Response {
    let body = match uri.path() {
        "/" => {
            r#"<html><head><script type="application/ld+json">{"@type": "Organization", "name": "Kassenwerk"}</script></head>
            <body><a href="/team">Team</a></body></html>"#
        }
        "/team" => r#"<html><body><div><div><h3>Lena Vogt</h3><p>CTO</p></div></div></body></html>"#,
        "/list.txt" => "http://kassenwerk.de/\n",
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, "text/html")], body).into_response()
}

async fn serve<S: Clone + Send + Sync + 'static>(router: axum::Router<S>, state: S) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = router.with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

struct World {
    _dir: tempfile::TempDir,
    table: SqliteTable,
    web: WebSource,
    fetcher: Fetcher,
    queries: Arc<Mutex<Vec<String>>>,
    site_port: u16,
}

/// An SQLite table whose index knows one Berlin fintech, the company site on loopback, and a
/// fake SearXNG answering `results` (given the site's port) with `status`.
async fn world(results: impl FnOnce(u16) -> serde_json::Value, status: u16) -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock: SharedClock = ManualClock::new();
    let table = SqliteTable::new(SqliteDb::open(&dir.path().join("q.db")).unwrap(), clock);
    let mut known = LeadDraft {
        company: Some(Company {
            name: Some("Indexed Pay".into()),
            domain: Some("indexed-pay.de".into()),
            industry: Some("fintech".into()),
            hq_country: Some("DE".into()),
            hq_city: Some("Berlin".into()),
            ..Company::default()
        }),
        ..LeadDraft::default()
    };
    let fields = field_paths(&known);
    known.sources.push(Source { kind: SourceKind::Seed, url: Some("https://files.example/seed.csv".into()), retrieved_at: at(), fields });
    LeadIndex::new(&table).absorb(ORG, &known).await.unwrap();

    let site_port = serve(axum::Router::new().fallback(company_site), ()).await;
    let queries = Arc::new(Mutex::new(Vec::new()));
    let fake = FakeSearxng { results: results(site_port), status, queries: queries.clone() };
    let search_port = serve(axum::Router::new().fallback(searxng), fake).await;
    let config = SearchConfig::from_lookup(|name| (name == SearchConfig::ENV_URL).then(|| format!("http://127.0.0.1:{search_port}")));
    let search = SearxngSearch::new(config.unwrap().unwrap()).unwrap();

    let loopback: IpAddr = Ipv4Addr::LOCALHOST.into();
    let hosts = Arc::new([("kassenwerk.de".to_string(), loopback), ("www.kassenwerk.de".to_string(), loopback)].into_iter().collect());
    let fetcher = Fetcher::with_hosts(TargetPolicy::LoopbackOnly, CrawlConfig::default().page_limits, hosts);
    let web = WebSource::new(fetcher.clone()).with_search(Arc::new(search));
    World { _dir: dir, table, web, fetcher, queries, site_port }
}

fn hits(site_port: u16) -> serde_json::Value {
    json!([
        {"url": "https://de.linkedin.com/company/kassenwerk", "title": "Kassenwerk | LinkedIn"},
        {"url": format!("http://kassenwerk.de:{site_port}/about?ref=search#team"), "title": "Kassenwerk", "content": "Payments"},
        {"url": format!("http://www.kassenwerk.de:{site_port}/"), "title": "Kassenwerk home"},
        {"url": "https://www.crunchbase.com/organization/kassenwerk"},
        {"url": "https://www.indexed-pay.de/"},
        {"url": "https://silent-ledger.de/products?id=3"},
        {"url": "https://en.wikipedia.org/wiki/Financial_technology"},
        {"url": "https://zahlwerk.de/"},
        {"url": "https://later-pay.de/"},
    ])
}

fn domain(row: &LeadDraft) -> &str {
    row.company.as_ref().and_then(|c| c.domain.as_deref()).unwrap_or_default()
}

#[tokio::test]
async fn search_tops_up_what_the_index_knows() {
    let w = world(hits, 200).await;
    let sources = LiveSources::new(&w.table, Some(&w.web), &criteria(4));
    let found = sources.gather(ORG, &criteria(4), &w.fetcher, at()).await.unwrap();

    assert_eq!(*w.queries.lock().unwrap(), ["fintech companies in Berlin"], "one page had all it needed");
    let domains: Vec<&str> = found.rows.iter().map(domain).collect();
    assert_eq!(domains, ["indexed-pay.de", "kassenwerk.de", "silent-ledger.de", "zahlwerk.de"], "three wanted beyond the index");
    assert_eq!((found.from_seeds, found.from_index, found.from_search), (0, 1, 3));
    assert_eq!(
        found.notes,
        ["3 companies from the web search 'fintech companies in Berlin'; 3 results skipped as directories, networks or news; \
          1 already among the job's companies."]
    );
    // A search row is only a domain and where to start reading: no source, nothing grounded.
    let kassenwerk = &found.rows[1];
    assert_eq!(kassenwerk.fields.get("website"), Some(&json!(format!("http://kassenwerk.de:{}/", w.site_port))));
    assert!(kassenwerk.sources.is_empty() && kassenwerk.person.is_none());
    assert_eq!(found.rows[2].fields.get("website"), Some(&json!("https://silent-ledger.de/")));

    // The snapshot of a job gathered before search existed still reads.
    let old: Candidates = serde_json::from_value(json!({"rows": [], "from_seeds": 0, "from_index": 2, "notes": []})).unwrap();
    assert_eq!(old.from_search, 0);
}

#[tokio::test]
async fn a_search_row_becomes_a_lead_only_through_its_site() {
    let w = world(hits, 200).await;
    let sources = LiveSources::new(&w.table, Some(&w.web), &criteria(4));
    let found = sources.gather(ORG, &criteria(4), &w.fetcher, at()).await.unwrap();
    let roles = criteria(4).roles;

    let mut report = WebReport::default();
    let (leads, filled) = sources.enrich(ORG, found.rows[1].clone(), &roles, at(), &mut report).await.unwrap();
    assert_eq!((leads.len(), filled, report.sites), (1, 1, 1));
    let lead = &leads[0];
    assert_eq!(lead.person.as_ref().and_then(|p| p.full_name.as_deref()), Some("Lena Vogt"));
    assert_eq!(lead.company.as_ref().and_then(|c| c.name.as_deref()), Some("Kassenwerk"));
    assert!(!lead.fields.contains_key("website"), "the start URL is no finding");
    for path in field_paths(lead) {
        assert!(lead.sources.iter().any(|s| s.kind == SourceKind::Web && s.fields.contains(&path)), "{path}: {:?}", lead.sources);
    }

    // The fetcher reaches no silent-ledger.de: its site says nothing, so there is no lead.
    let mut report = WebReport::default();
    let (leads, filled) = sources.enrich(ORG, found.rows[2].clone(), &roles, at(), &mut report).await.unwrap();
    assert_eq!((leads.len(), filled, report.unreadable), (0, 0, 1), "{leads:?}");
}

#[tokio::test]
async fn no_search_when_seeded_or_the_index_suffices() {
    let w = world(hits, 200).await;
    let sources = LiveSources::new(&w.table, Some(&w.web), &criteria(4));
    let enough = sources.gather(ORG, &criteria(1), &w.fetcher, at()).await.unwrap();
    assert_eq!((enough.from_index, enough.from_search), (1, 0));

    let mut seeded = criteria(4);
    seeded.seed = vec![Attachment { kind: AttachmentKind::UrlList, url: format!("http://127.0.0.1:{}/list.txt", w.site_port) }];
    let from_list = sources.gather(ORG, &seeded, &w.fetcher, at()).await.unwrap();
    assert_eq!((from_list.from_seeds, from_list.from_search), (1, 0), "{:?}", from_list.notes);

    let without_search = WebSource::new(w.fetcher.clone());
    let unconfigured = LiveSources::new(&w.table, Some(&without_search), &criteria(4));
    let index_only = unconfigured.gather(ORG, &criteria(4), &w.fetcher, at()).await.unwrap();
    assert_eq!((index_only.from_index, index_only.from_search), (1, 0));
    assert!(w.queries.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_search_is_a_note_and_the_job_goes_on() {
    let w = world(hits, 500).await;
    let sources = LiveSources::new(&w.table, Some(&w.web), &criteria(4));
    let found = sources.gather(ORG, &criteria(4), &w.fetcher, at()).await.unwrap();
    assert_eq!((found.from_index, found.from_search), (1, 0));
    assert_eq!(
        found.notes,
        ["The web search 'fintech companies in Berlin' failed: the search provider at 127.0.0.1 answered with HTTP status 500."]
    );

    // Nothing in the index either: the note says what was tried.
    let nowhere = Criteria { industries: vec!["healthcare".into()], ..criteria(4) };
    let found = sources.gather(ORG, &nowhere, &w.fetcher, at()).await.unwrap();
    assert!(found.rows.is_empty());
    assert!(
        found.notes.last().unwrap().contains("lead index holds no company")
            && found.notes.last().unwrap().contains("web search found none")
    );
}

#[tokio::test]
async fn preferred_sources_choose_and_order_the_discovery() {
    let w = world(hits, 200).await;
    let preferring = |names: &[&str]| {
        let mut c = criteria(4);
        c.preferred_sources = names.iter().map(|n| n.to_string()).collect();
        c
    };
    // The index only: no search is made, and the note says what was read.
    let index_only = preferring(&["leadindex"]);
    let found = LiveSources::new(&w.table, Some(&w.web), &index_only).gather(ORG, &index_only, &w.fetcher, at()).await.unwrap();
    assert_eq!((found.from_index, found.from_search), (1, 0));
    assert!(w.queries.lock().unwrap().is_empty(), "web search was left out");
    assert_eq!(found.notes[0], "The job reads lead_index, in that order.");

    // Search first, then the index: search fills the job, the index adds nothing it already has.
    let search_first = preferring(&["websearch", "leadindex", "linkedin"]);
    let found = LiveSources::new(&w.table, Some(&w.web), &search_first).gather(ORG, &search_first, &w.fetcher, at()).await.unwrap();
    assert_eq!(found.from_search, 4, "{:?}", found.notes);
    assert_eq!(found.from_index, 0);
    assert!(found.notes[0].starts_with("Quarry does not read linkedin"), "{:?}", found.notes);

    // Without company_websites, enrichment reads no site.
    let mut report = WebReport::default();
    let sources = LiveSources::new(&w.table, Some(&w.web), &search_first);
    let row = found.rows.iter().find(|r| domain(r) == "kassenwerk.de").unwrap().clone();
    let (leads, _) = sources.enrich(ORG, row, &search_first.roles, at(), &mut report).await.unwrap();
    assert_eq!((report.sites, leads.len()), (0, 0), "a search row whose site is not read grounds nothing");
}

/// One request to a fake provider: its path, its query (`query` or `data`), `Accept` and `User-Agent`.
type Asked = (String, String, String, String);

/// What the fake open data providers saw.
#[derive(Clone, Default)]
struct FakeOpenData {
    site_port: u16,
    seen: Arc<Mutex<Vec<Asked>>>,
    /// Answers 429 (with `Retry-After: 0`) to this many Overpass requests first.
    busy: Arc<Mutex<usize>>,
}

async fn open_data(State(fake): State<FakeOpenData>, uri: Uri, headers: axum::http::HeaderMap) -> Response {
    let params: HashMap<String, String> = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    let header = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let asked = params.get("query").or(params.get("data")).cloned().unwrap_or_default();
    fake.seen.lock().unwrap().push((uri.path().to_string(), asked, header(header::ACCEPT), header(header::USER_AGENT)));
    let port = fake.site_port;
    match uri.path() {
        "/sparql" => {
            let answer = json!({"head": {"vars": ["item", "itemLabel", "website", "countryCode", "hqLabel", "employees", "inception"]},
            "results": {"bindings": [
                {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q900001"},
                 "itemLabel": {"type": "literal", "xml:lang": "en", "value": "Kassenwerk"},
                 "website": {"type": "uri", "value": format!("http://kassenwerk.de:{port}/")},
                 "countryCode": {"type": "literal", "value": "US"},
                 "hqLabel": {"type": "literal", "xml:lang": "en", "value": "Austin"},
                 "employees": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#decimal", "value": "40"},
                 "inception": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#dateTime", "value": "2015-03-01T00:00:00Z"}},
                {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q900002"},
                 "itemLabel": {"type": "literal", "xml:lang": "en", "value": "Indexed Pay"},
                 "website": {"type": "uri", "value": "https://www.indexed-pay.de/"}}
            ]}});
            ([(header::CONTENT_TYPE, "application/sparql-results+json")], answer.to_string()).into_response()
        }
        "/api/interpreter" => {
            {
                let mut busy = fake.busy.lock().unwrap();
                if *busy > 0 {
                    *busy -= 1;
                    return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "0")]).into_response();
                }
            }
            let answer = json!({"version": 0.6, "elements": [
                {"type": "node", "id": 4242, "lat": 30.26, "lon": -97.74, "tags": {"amenity": "dentist", "name": "Barton Creek Dental",
                 "phone": "+1 512 555 0142", "addr:street": "South Lamar Boulevard", "addr:housenumber": "1200", "addr:city": "Austin",
                 "addr:country": "US", "opening_hours": "Mo-Fr 08:00-17:00"}}
            ]});
            ([(header::CONTENT_TYPE, "application/json")], answer.to_string()).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::test]
async fn open_data_finds_companies_grounded_by_their_records_and_sites() {
    let w = world(|_| json!([]), 200).await;
    let fake = FakeOpenData { site_port: w.site_port, busy: Arc::new(Mutex::new(1)), ..FakeOpenData::default() };
    let port = serve(axum::Router::new().fallback(open_data), fake.clone()).await;
    let endpoints = quarry_engine::opendata::Endpoints {
        wikidata: format!("http://127.0.0.1:{port}/sparql").parse().unwrap(),
        overpass: format!("http://127.0.0.1:{port}/api/interpreter").parse().unwrap(),
    };
    let web = w.web.clone().with_discovery(vec![LiveSource::Wikidata, LiveSource::OpenStreetMap, LiveSource::WebSearch], endpoints);
    let wanted = Criteria {
        industries: vec!["robotics".into(), "dental_clinics".into()],
        countries: vec!["US".into()],
        regions: vec!["US-TX".into()],
        cities: vec!["Austin".into()],
        roles: vec![read_title("CTO").unwrap()],
        max_rows: Some(4),
        ..Criteria::default()
    };
    let sources = LiveSources::new(&w.table, Some(&web), &wanted);
    // The table's clock is the wall clock, and it hides expired cache items by it.
    let now = Timestamp(chrono::Utc::now());
    let found = sources.gather(ORG, &wanted, &w.fetcher, now).await.unwrap();

    let names: Vec<&str> = found.rows.iter().filter_map(|r| r.company.as_ref()?.name.as_deref()).collect();
    assert_eq!(names, ["Kassenwerk", "Indexed Pay", "Barton Creek Dental"], "{:?}", found.notes);
    assert_eq!((found.from_index, found.from_wikidata, found.from_osm, found.from_search), (0, 2, 1, 0));
    assert_eq!(found.notes[..2], ["2 companies from Wikidata.".to_string(), "1 companies from OpenStreetMap.".to_string()]);
    {
        let seen = fake.seen.lock().unwrap();
        // Wikidata once; Overpass twice: busy, then answered after the wait it asked for.
        assert_eq!(seen.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), ["/sparql", "/api/interpreter", "/api/interpreter"]);
        let (_, sparql, accept, agent) = &seen[0];
        assert!(sparql.contains("wd:Q170978") && sparql.contains("\"US\"") && sparql.contains("\"Austin\"@en"), "{sparql}");
        assert_eq!(accept, "application/sparql-results+json");
        assert!(agent.starts_with("Quarry/") && agent.contains("github.com/quarry-leads/quarry"), "{agent}");
        assert!(seen[2].1.contains("[\"amenity\"=\"dentist\"]") && seen[2].1.contains("out center tags"), "{}", seen[2].1);
    }

    // The record grounds what it states; the site read from its website grounds the rest.
    let mut report = WebReport::default();
    let (leads, filled) = sources.enrich(ORG, found.rows[0].clone(), &wanted.roles, at(), &mut report).await.unwrap();
    assert_eq!((leads.len(), filled, report.sites), (1, 1, 1), "{leads:?}");
    let lead = &leads[0];
    assert_eq!(lead.person.as_ref().and_then(|p| p.full_name.as_deref()), Some("Lena Vogt"));
    let company = lead.company.as_ref().unwrap();
    assert_eq!((company.hq_city.as_deref(), company.employee_count), (Some("Austin"), Some(40)));
    let record = lead.sources.iter().find(|s| s.kind == SourceKind::OpenData).expect("the record is a source");
    assert_eq!(record.url.as_deref(), Some("https://www.wikidata.org/wiki/Q900001"));
    assert!(record.fields.iter().any(|f| f == "company.employee_count") && record.fields.iter().any(|f| f == "fields.founded_year"));
    assert!(lead.sources.iter().any(|s| s.kind == SourceKind::Web && s.fields.iter().any(|f| f == "person.full_name")));
    for path in field_paths(lead) {
        assert!(lead.sources.iter().any(|s| s.fields.contains(&path)), "{path} is grounded: {:?}", lead.sources);
    }

    // A record without a website is a company lead grounded by the record alone.
    let mut report = WebReport::default();
    let (leads, _) = sources.enrich(ORG, found.rows[2].clone(), &wanted.roles, at(), &mut report).await.unwrap();
    assert_eq!((leads.len(), report.sites), (1, 0), "{leads:?}");
    assert_eq!(leads[0].company.as_ref().and_then(|c| c.phone.as_deref()), Some("+15125550142"));
    assert_eq!(leads[0].fields.get("opening_hours"), Some(&json!("Mo-Fr 08:00-17:00")));
    assert!(leads[0].sources.iter().all(|s| s.kind == SourceKind::OpenData));

    // The same query within a day is answered from the table, not sent again.
    let again = sources.gather(ORG, &wanted, &w.fetcher, now).await.unwrap();
    assert_eq!((again.from_wikidata, again.from_osm), (2, 1));
    assert_eq!(fake.seen.lock().unwrap().len(), 3, "nothing new was sent");
    assert!(again.notes[0].contains("kept from the last day"), "{:?}", again.notes);
    let later = Timestamp::from_unix(now.unix() + crate::jobs::live::OPEN_DATA_CACHE_SECONDS + 1).unwrap();
    sources.gather(ORG, &wanted, &w.fetcher, later).await.unwrap();
    assert_eq!(fake.seen.lock().unwrap().len(), 5, "a day later the providers are asked again");

    // Turned off by the operator: neither is asked, and the note says so.
    let off = w.web.clone().with_discovery(Vec::new(), quarry_engine::opendata::Endpoints::default());
    let nothing = LiveSources::new(&w.table, Some(&off), &wanted).gather(ORG, &wanted, &w.fetcher, now).await.unwrap();
    assert!(nothing.rows.is_empty());
    assert!(nothing.notes.last().unwrap().contains("no open data source (Wikidata, OpenStreetMap) is turned on"), "{:?}", nothing.notes);
}
