//! The web engine as a source of live jobs: a company's site crawled politely (robots.txt,
//! sitemaps, per-host limits), every page's facts extracted, and the findings turned into leads
//! grounded by the pages that state them, resolved across pages into one company and its people.
//!
//! Optionally, the addresses a site states are verified and its people's missing addresses
//! inferred ([`WebSource::with_verifier`], see `emails`), and a web search provider discovers
//! company sites for jobs the lead index cannot fill ([`WebSource::with_search`], used by
//! [`super::live::LiveSources::gather`]). [`WebSettings`] reads both from the environment.

mod emails;
mod settings;

pub use settings::{
    discovery_from_lookup, email_verifier_from_lookup, WebSettings, DEFAULT_DISCOVERY, ENV_DISCOVERY_SOURCES, ENV_DNS_SERVERS,
    ENV_OVERPASS_URL, ENV_VERIFY_EMAILS, ENV_WIKIDATA_URL,
};

use std::sync::Arc;

use quarry_engine::crawl::{CrawlConfig, Crawler, SiteCrawl};
use quarry_engine::domains::registrable_domain;
use quarry_engine::extract::{extract, Extracted, Network, ProfileKind};
use quarry_engine::net::Fetcher;
use quarry_engine::opendata::{Endpoints, OpenDataClient};
use quarry_engine::search::WebSearch;
use quarry_engine::verify::EmailVerifier;
use serde_json::{json, Map, Value};
use url::Url;

use crate::leads::dedupe::{field_paths, fold_ascii};
use crate::leads::enrich::{read_seniority, split_name};
use crate::leads::resolve::resolve;
use crate::leads::{Company, LeadDraft, Person, Source, SourceKind};
use quarry_ports::clock::Timestamp;

/// Pages read per company site: the home page, and what it links to (team, about, contact,
/// imprint) or the sitemap lists, within the crawler's caps.
pub const PAGES_PER_SITE: usize = 12;

/// What one site yielded.
#[derive(Clone, Debug, Default)]
pub struct SiteFindings {
    /// The company as the site describes it (resolved across its pages), if it says anything.
    pub company: Option<LeadDraft>,
    /// The people the site names, each with the company's domain.
    pub people: Vec<LeadDraft>,
    /// Pages read.
    pub pages: usize,
    /// Pages skipped (robots.txt, caps, errors), with the first reason, for the job log.
    pub skipped: usize,
    pub first_skip: Option<String>,
    /// Distinct addresses verified (0 without a verifier).
    pub emails_checked: usize,
    /// People given an inferred address.
    pub emails_inferred: usize,
    /// The pages (URL, HTML) the company or a person cites as a source: what the audit archive
    /// keeps ([`crate::leads::archive`]).
    pub grounding: Vec<(String, String)>,
}

/// Crawls and reads company sites.
#[derive(Clone)]
pub struct WebSource {
    crawler: Crawler,
    /// Verifies the addresses sites state and infers missing ones, when set.
    verifier: Option<Arc<EmailVerifier>>,
    /// Discovers company sites for live jobs, when set.
    search: Option<Arc<dyn WebSearch>>,
    /// Asks Wikidata and OpenStreetMap for companies (through the crawler's guarded fetcher).
    open_data: OpenDataClient,
    /// The discovery sources the operator enables, in order (`QUARRY_DISCOVERY_SOURCES`).
    discovery: Vec<super::live::LiveSource>,
}

impl WebSource {
    /// A source fetching through `fetcher` (its guard and host overrides apply to every request),
    /// without verification or search.
    pub fn new(fetcher: Fetcher) -> Self {
        let config = CrawlConfig { max_depth: 1, max_pages: PAGES_PER_SITE, ..CrawlConfig::default() };
        let open_data = OpenDataClient::new(&fetcher, Endpoints::default());
        let discovery = WebSettings::default().discovery;
        WebSource { crawler: Crawler::new(fetcher, config), verifier: None, search: None, open_data, discovery }
    }

    /// Verifies every address a site states with `verifier` and infers the addresses of the
    /// site's people who have none from the ones that verified (see `web::emails`).
    pub fn with_verifier(mut self, verifier: Arc<EmailVerifier>) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Lets live jobs discover company sites through `search`.
    pub fn with_search(mut self, search: Arc<dyn WebSearch>) -> Self {
        self.search = Some(search);
        self
    }

    /// Lets live jobs discover companies from `sources` (in that order), asking the open data
    /// providers at `endpoints`.
    pub fn with_discovery(mut self, sources: Vec<super::live::LiveSource>, endpoints: Endpoints) -> Self {
        self.open_data = OpenDataClient::new(self.crawler.fetcher(), endpoints);
        self.discovery = sources;
        self
    }

    /// Applies what the environment configures (verifier, search provider, discovery sources).
    pub fn with_settings(self, settings: &WebSettings) -> Self {
        WebSource { verifier: settings.verifier.clone(), search: settings.search.clone(), ..self }
            .with_discovery(settings.discovery.clone(), settings.open_data.clone())
    }

    /// The discovery sources the operator enables, in order.
    pub fn discovery(&self) -> &[super::live::LiveSource] {
        &self.discovery
    }

    /// The client for Wikidata and OpenStreetMap.
    pub fn open_data(&self) -> &OpenDataClient {
        &self.open_data
    }

    /// Whether [`Self::site`] verifies addresses (a verifier is set).
    pub fn verifies_emails(&self) -> bool {
        self.verifier.is_some()
    }

    /// This source without its verifier, sharing its crawler (robots.txt cache, per-host
    /// politeness): for a job whose plan turned email verification off.
    pub fn without_verifier(&self) -> WebSource {
        WebSource { verifier: None, ..self.clone() }
    }

    /// The search provider, if one is configured.
    pub fn search(&self) -> Option<&dyn WebSearch> {
        self.search.as_deref()
    }

    /// Reads the site that starts at `start`, verifying its addresses when a verifier is set.
    pub async fn site(&self, start: &Url, at: Timestamp) -> SiteFindings {
        let crawl = self.crawler.crawl_site(start).await;
        self.findings(&crawl, at).await
    }

    /// What the pages of `crawl` say, resolved into one company and its people, with emails
    /// verified when this source verifies them. URL scrapes crawl with their own depth and read
    /// their pages here.
    pub async fn findings(&self, crawl: &SiteCrawl, at: Timestamp) -> SiteFindings {
        let mut drafts = Vec::new();
        for page in &crawl.pages {
            drafts.extend(page_leads(&page.url, &extract(&page.url, &page.html), at));
        }
        let mut findings = SiteFindings {
            pages: crawl.pages.len(),
            skipped: crawl.skipped.len(),
            first_skip: crawl.skipped.first().map(|s| format!("{}: {}", s.url, s.reason)),
            ..SiteFindings::default()
        };
        for lead in resolve(drafts) {
            if lead.person.is_some() {
                findings.people.push(lead);
            } else if findings.company.is_none() {
                findings.company = Some(lead);
            } else if let Some(company) = findings.company.as_mut() {
                crate::leads::dedupe::merge(company, lead);
            }
        }
        if let Some(verifier) = &self.verifier {
            emails::verify_site(verifier, &mut findings).await;
        }
        let leads: Vec<&LeadDraft> = findings.company.iter().chain(findings.people.iter()).collect();
        findings.grounding = crate::leads::archive::grounding(crawl.pages.iter().map(|p| (&p.url, p.html.as_str())), &leads);
        findings
    }
}

/// The leads one page grounds: its company (when the page says anything about it) and the people
/// it names. Every fact is sourced to the page.
pub fn page_leads(url: &Url, found: &Extracted, at: Timestamp) -> Vec<LeadDraft> {
    let domain = url.host_str().and_then(registrable_domain);
    let mut leads = Vec::new();
    if let Some(company) = company_lead(domain.as_deref(), found) {
        leads.push(company);
    }
    let company_ref = Company { name: company_name(found), domain: domain.clone(), ..Company::default() };
    for mention in &found.people {
        let parts = split_name(&mention.name);
        let (seniority, department) = mention.title.as_deref().map(read_seniority).unwrap_or((None, None));
        let email = mention.email.clone().or_else(|| email_for(&parts.first, &parts.last, found));
        let linkedin = person_profile(&parts.last, found);
        let person = Person {
            full_name: Some(parts.full.clone()),
            first_name: parts.first.clone(),
            last_name: parts.last.clone(),
            title: mention.title.clone(),
            seniority: seniority.map(str::to_string),
            department: department.map(str::to_string),
            email,
            linkedin,
            ..Person::default()
        };
        leads.push(LeadDraft { company: Some(company_ref.clone()), person: Some(person), ..LeadDraft::default() });
    }
    for lead in &mut leads {
        let fields = field_paths(lead);
        lead.sources.push(Source { kind: SourceKind::Web, url: Some(url.to_string()), retrieved_at: at, fields });
    }
    leads
}

fn company_name(found: &Extracted) -> Option<String> {
    found.organization.as_ref().and_then(|o| o.name.clone()).or_else(|| found.company.name.clone())
}

/// The company as the page describes it, or `None` when it states nothing beyond its address.
fn company_lead(domain: Option<&str>, found: &Extracted) -> Option<LeadDraft> {
    let org = found.organization.as_ref();
    let address = org.and_then(|o| o.address.as_ref());
    let company = Company {
        name: company_name(found),
        domain: domain.map(str::to_string),
        linkedin: found.social.iter().find(|s| s.network == Network::Linkedin && s.kind == ProfileKind::Company).map(|s| s.url.clone()),
        hq_city: address.and_then(|a| a.city.clone()).or_else(|| found.company.city.clone()),
        hq_country: address.and_then(|a| a.country.clone()).or_else(|| found.company.country.clone()),
        industry: None,
        employee_count: org.and_then(|o| o.employees).or(found.company.headcount),
        funding_stage: found.company.funding.iter().find_map(|f| f.stage.clone()),
        phone: org.and_then(|o| o.phones.first().cloned()).or_else(|| found.phones.first().map(|p| p.e164.clone())),
    };
    let mut fields = Map::new();
    if !found.company.technologies.is_empty() {
        fields.insert("tech_stack".into(), json!(found.company.technologies));
    }
    if !found.job_postings.is_empty() {
        fields.insert("open_roles".into(), json!(found.job_postings.len()));
        fields.insert("job_postings".into(), json!(found.job_postings.iter().map(|j| j.title.clone()).collect::<Vec<_>>()));
    }
    if let Some(amount) = found.company.funding.iter().find_map(|f| f.amount.clone()) {
        fields.insert("funding_amount".into(), json!(amount));
    }
    let social: Map<String, Value> = found
        .social
        .iter()
        .filter(|s| s.kind != ProfileKind::Person && s.network != Network::Linkedin)
        .map(|s| (format!("{:?}", s.network).to_lowercase(), json!(s.url)))
        .collect();
    if !social.is_empty() {
        fields.insert("social".into(), Value::Object(social));
    }
    // Addresses no person is named for (info@, sales@): the company's, not anyone's.
    let generic: Vec<&str> =
        found.emails.iter().map(|e| e.address.as_str()).filter(|a| !found.people.iter().any(|p| p.email.as_deref() == Some(*a))).collect();
    if !generic.is_empty() {
        fields.insert("emails".into(), json!(generic));
    }
    let describes = company.name.is_some() || company.phone.is_some() || company.employee_count.is_some() || !fields.is_empty();
    describes.then(|| LeadDraft { company: Some(company), fields, ..LeadDraft::default() })
}

/// An address on the page whose local part is the person's name in a common pattern.
fn email_for(first: &Option<String>, last: &Option<String>, found: &Extracted) -> Option<String> {
    let (Some(first), Some(last)) = (first.as_deref(), last.as_deref()) else { return None };
    let (f, l) = (ascii_word(first), ascii_word(last));
    if f.is_empty() || l.is_empty() {
        return None;
    }
    let initial = &f[..1];
    let candidates =
        [format!("{f}.{l}"), format!("{initial}{l}"), format!("{initial}.{l}"), format!("{f}{l}"), format!("{f}_{l}"), format!("{l}.{f}")];
    found
        .emails
        .iter()
        .map(|e| &e.address)
        .find(|a| a.split_once('@').is_some_and(|(local, _)| candidates.iter().any(|c| c == local)))
        .cloned()
}

/// A person profile on the page whose slug carries the last name.
fn person_profile(last: &Option<String>, found: &Extracted) -> Option<String> {
    let last = ascii_word(last.as_deref()?);
    (!last.is_empty()).then_some(())?;
    found
        .social
        .iter()
        .find(|s| s.network == Network::Linkedin && s.kind == ProfileKind::Person && s.url.to_lowercase().replace('-', "").contains(&last))
        .map(|s| s.url.clone())
}

/// Lowercase ASCII letters of a name part ("Müller-Lüdenscheidt" → `mullerludenscheidt`).
fn ascii_word(word: &str) -> String {
    fold_ascii(word).chars().filter(char::is_ascii_alphanumeric).collect()
}
