//! A company site on loopback read by [`WebSource`] with a verifier that asks a DNS server on
//! loopback: nothing here touches real DNS or any other host (the fetcher only reaches loopback
//! fixtures, and the verifier only the test server).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use quarry_engine::crawl::CrawlConfig;
use quarry_engine::net::{Fetcher, TargetPolicy};
use quarry_engine::verify::testdns::{Rec, TestDns, Zone};
use quarry_engine::verify::{DnsConfig, EmailVerifier, VerifierOptions};
use serde_json::json;
use url::Url;

use crate::jobs::web::{SiteFindings, WebSource};
use crate::leads::confidence::confidence;
use crate::leads::dedupe::field_paths;
use crate::leads::LeadDraft;
use quarry_ports::clock::Timestamp;

const DOMAIN: &str = "tidewater-labs.de";

fn home() -> String {
    r#"<html><head><title>Tidewater Labs</title>
    <script type="application/ld+json">{"@context": "https://schema.org", "@type": "Organization", "name": "Tidewater Labs"}</script>
    </head><body><h1>Tidewater Labs</h1><p>Write to <a href="mailto:info@tidewater-labs.de">info@tidewater-labs.de</a>.</p>
    <a href="/team">Our team</a></body></html>"#
        .to_string()
}

/// Three people, one with a stated address. Each card nests its name one level deeper, so no
/// card's neighbourhood holds another person's `mailto:`.
fn team() -> String {
    let card = |name: &str, title: &str, mail: &str| {
        format!(r#"<div class="member"><div class="card"><h3>{name}</h3><p>{title}</p>{mail}</div></div>"#)
    };
    format!(
        "<html><body><h1>Team</h1><div class=\"team\">{}{}{}</div></body></html>",
        card("Jane Doe", "CTO", r#"<a href="mailto:jane.doe@tidewater-labs.de">Email Jane</a>"#),
        card("John Smith", "CEO", ""),
        card("Anna Berg", "Head of Marketing", ""),
    )
}

async fn page(State(pages): State<Arc<HashMap<&'static str, String>>>, uri: Uri) -> Response {
    match pages.get(uri.path()) {
        Some(body) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Reads the fixture site with a verifier asking a loopback DNS server that serves `zone`.
async fn read_site(zone: Zone) -> SiteFindings {
    let pages: Arc<HashMap<&'static str, String>> = Arc::new([("/", home()), ("/team", team())].into_iter().collect());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().fallback(page).with_state(pages);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let loopback = Ipv4Addr::LOCALHOST.into();
    let hosts = Arc::new([(DOMAIN.to_string(), loopback), (format!("www.{DOMAIN}"), loopback)].into_iter().collect());
    let fetcher = Fetcher::with_hosts(TargetPolicy::LoopbackOnly, CrawlConfig::default().page_limits, hosts);
    let dns = TestDns::start(zone).await;
    let options = VerifierOptions { timeout: Duration::from_millis(500), ..VerifierOptions::default() };
    let verifier = EmailVerifier::with_options(DnsConfig::Servers(vec![dns.addr]), options).unwrap();
    let web = WebSource::new(fetcher).with_verifier(Arc::new(verifier));
    assert!(web.verifies_emails() && !web.without_verifier().verifies_emails());
    let start = Url::parse(&format!("http://{DOMAIN}:{port}/")).unwrap();
    let findings = web.site(&start, Timestamp::from_unix(1_776_000_000).unwrap()).await;
    assert!(dns.queries() > 0, "the verifier asked the loopback server");
    findings
}

fn person<'a>(findings: &'a SiteFindings, name: &str) -> &'a LeadDraft {
    let found = findings.people.iter().find(|l| l.person.as_ref().and_then(|p| p.full_name.as_deref()) == Some(name));
    found.unwrap_or_else(|| panic!("{name} not among {:?}", findings.people))
}

fn email(lead: &LeadDraft) -> Option<&str> {
    lead.person.as_ref().and_then(|p| p.email.as_deref())
}

/// Every value the lead sets is named by at least one of its sources.
fn assert_grounded(lead: &LeadDraft) {
    for path in field_paths(lead) {
        assert!(lead.sources.iter().any(|s| s.fields.contains(&path)), "{path} has no source in {:?}", lead.sources);
    }
}

fn grounds(lead: &LeadDraft, path: &str) -> Vec<String> {
    lead.sources.iter().filter(|s| s.fields.iter().any(|f| f == path)).filter_map(|s| s.url.clone()).collect()
}

#[tokio::test]
async fn stated_addresses_verify_and_teach_the_pattern_for_the_others() {
    let findings = read_site(Zone::default().with(DOMAIN, Rec::Mx(10, "mx.tidewater-labs.de"))).await;
    assert_eq!(findings.people.len(), 3, "{:?}", findings.people);
    assert_eq!((findings.emails_checked, findings.emails_inferred), (2, 2), "jane.doe@ and info@ checked; John and Anna inferred");

    let jane = person(&findings, "Jane Doe");
    assert_eq!(email(jane), Some("jane.doe@tidewater-labs.de"));
    assert_eq!(jane.fields.get("email_status"), Some(&json!("valid")));
    assert_eq!(
        (jane.fields.get("email_disposable"), jane.fields.get("email_free_mail"), jane.fields.get("email_role_account")),
        (Some(&json!(false)), Some(&json!(false)), Some(&json!(false)))
    );
    assert!(!jane.fields.contains_key("email_inferred"));
    assert_eq!(grounds(jane, "fields.email_status"), grounds(jane, "person.email"), "the status is grounded with the address");
    assert_grounded(jane);

    for (name, address) in [("John Smith", "john.smith@tidewater-labs.de"), ("Anna Berg", "anna.berg@tidewater-labs.de")] {
        let lead = person(&findings, name);
        assert_eq!(email(lead), Some(address));
        assert_eq!(lead.fields.get("email_inferred"), Some(&json!(true)), "{name}");
        assert_eq!(lead.fields.get("email_status"), Some(&json!("risky")), "a guess is never `valid`");
        assert_eq!(lead.fields.get("email_pattern"), Some(&json!("first.last")));
        // One verified address out of one: 0.3 + 0.3 × 1/2.
        assert_eq!(lead.fields.get("email_confidence"), Some(&json!(0.45)));
        assert_eq!(grounds(lead, "person.email"), grounds(lead, "person.full_name"), "the name grounds the address built from it");
        assert_eq!(grounds(lead, "fields.email_pattern"), grounds(jane, "person.email"), "the verified address grounds the pattern");
        assert_grounded(lead);
        assert!(confidence(lead) < confidence(jane), "{name}: {} against {}", confidence(lead), confidence(jane));
    }

    let company = findings.company.as_ref().expect("the home page describes the company");
    assert_eq!(company.fields.get("email_statuses"), Some(&json!({"info@tidewater-labs.de": "risky"})), "a role account");
    assert_grounded(company);
}

#[tokio::test]
async fn without_mx_nothing_is_inferred() {
    // The domain has a web server but no MX (mail would go to its A record: risky), or it does
    // not exist at all in DNS (invalid). Either way no address verified, so none is guessed.
    let web_only = Zone::default().with(DOMAIN, Rec::A(Ipv4Addr::new(192, 0, 2, 1)));
    for (zone, status) in [(web_only, "risky"), (Zone::default(), "invalid")] {
        let findings = read_site(zone).await;
        assert_eq!(findings.emails_inferred, 0);
        let jane = person(&findings, "Jane Doe");
        assert_eq!(email(jane), Some("jane.doe@tidewater-labs.de"));
        assert_eq!(jane.fields.get("email_status"), Some(&json!(status)));
        assert_grounded(jane);
        for name in ["John Smith", "Anna Berg"] {
            let lead = person(&findings, name);
            assert_eq!(email(lead), None, "{name}");
            assert!(!lead.fields.keys().any(|k| k.starts_with("email_")), "{name}: {:?}", lead.fields);
        }
    }
}

#[tokio::test]
async fn free_mail_and_unnamed_addresses_teach_nothing() {
    // Hand-made findings: the only verified address of a named person is at a free-mail domain.
    let dns = TestDns::start(Zone::default().with("gmail.com", Rec::Mx(5, "gmail-smtp-in.l.google.com"))).await;
    let verifier = EmailVerifier::with_options(
        DnsConfig::Servers(vec![dns.addr]),
        VerifierOptions { timeout: Duration::from_millis(500), ..VerifierOptions::default() },
    )
    .unwrap();
    let named = |full: &str, email: Option<&str>| {
        let parts = crate::leads::enrich::split_name(full);
        LeadDraft {
            person: Some(crate::leads::Person {
                full_name: Some(parts.full),
                first_name: parts.first,
                last_name: parts.last,
                email: email.map(str::to_string),
                ..Default::default()
            }),
            ..Default::default()
        }
    };
    let mut findings =
        SiteFindings { people: vec![named("Jane Doe", Some("jane.doe@gmail.com")), named("John Smith", None)], ..SiteFindings::default() };
    super::verify_site(&verifier, &mut findings).await;
    assert_eq!(findings.people[0].fields.get("email_status"), Some(&json!("risky")));
    assert_eq!(findings.people[0].fields.get("email_free_mail"), Some(&json!(true)));
    assert_eq!(findings.emails_inferred, 0);
    assert_eq!(email(&findings.people[1]), None);
}
