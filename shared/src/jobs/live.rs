//! The sources of a live research job: the seed files attached to its thread, the
//! organization's own lead index, and the web engine (company sites, and a web search provider to
//! discover them).
//!
//! A live job works in two phases. First [`LiveSources::gather`] decides which companies the job
//! covers: the rows of its seed CSVs and URL lists when it has any (it enriches those instead of
//! discovering), otherwise the indexed companies that satisfy the plan's criteria, topped up by
//! the open databases the operator enables (Wikidata and OpenStreetMap, `opendata`) and web
//! search (`discovery`) when the index has fewer than the plan wants. The list is saved as the job's snapshot before any row is written, so every
//! later chunk (and every replay of one) works on the same list however the index changes
//! meanwhile. Then [`LiveSources::enrich`] turns one company into leads: the company merged with
//! what its site and the index say about it, and one person per role of the plan from the seed
//! row, the site or the index. Nothing is invented: a role nobody is known for stays empty, a
//! fact no source grounds is left out (a company found by search and whose site says nothing
//! yields no lead at all), and a job with no usable source ends with 0 rows and says which is
//! missing.

mod discovery;
mod opendata;
mod sources;

pub use discovery::{is_directory, search_query, MAX_SEARCH_HITS};
pub use opendata::{cache_key as open_data_cache_key, open_query, record_row, CACHE_SECONDS as OPEN_DATA_CACHE_SECONDS};
pub use sources::{LiveSource, SourceOrder};

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::web::WebSource;
use crate::leads::dedupe;
use crate::leads::index::LeadIndex;
use crate::leads::{seed, Company, LeadDraft, Person};
use quarry_engine::net::{Fetched, Fetcher};
use quarry_engine::opendata::Provider;
use quarry_planner::{read_title, AttachmentKind, Criteria, Department, Role, MAX_ROWS};
use quarry_ports::clock::Timestamp;
use quarry_ports::{StoreResult, Table};
use url::Url;

/// Content types a seed file may be served with (many servers send CSV as plain text or bytes).
const SEED_TYPES: &[&str] =
    &["text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "application/octet-stream", "text/comma-separated-values"];

/// The companies a live job covers, saved before its first row is written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Candidates {
    /// One draft per company (or per seed row), in the order the job works through them.
    pub rows: Vec<LeadDraft>,
    /// How many rows came from seed files.
    pub from_seeds: usize,
    /// How many rows came from the lead index.
    pub from_index: usize,
    /// How many rows came from web search (only their domains: their sites ground the leads).
    /// Absent from snapshots saved before search existed.
    #[serde(default)]
    pub from_search: usize,
    /// How many rows came from Wikidata records (absent from snapshots saved before open data).
    #[serde(default)]
    pub from_wikidata: usize,
    /// How many rows came from OpenStreetMap records.
    #[serde(default)]
    pub from_osm: usize,
    /// What the job could not use, in plain words (fetch failures, refused targets, skipped rows,
    /// missing sources), for its log and summary.
    pub notes: Vec<String>,
}

/// The live sources of one organization's jobs.
pub struct LiveSources<'a> {
    pub table: &'a dyn Table,
    /// The web engine, when this installation runs it: company sites are crawled and read (their
    /// addresses verified when it has a verifier), and [`Self::gather`] tops up the index with
    /// web search when it has a search provider ([`WebSource::with_search`]).
    pub web: Option<&'a WebSource>,
    /// Which of the sources the job reads, in what order (its plan's preferred sources).
    pub order: SourceOrder,
    /// Where the pages that ground leads are kept for audit (none in unit tests of the sources).
    pub archive: Option<&'a dyn quarry_ports::Blobs>,
}

/// What the web engine did for one company, for the job log.
#[derive(Clone, Debug, Default)]
pub struct WebReport {
    pub sites: u64,
    pub pages: u64,
    pub unreadable: u64,
    pub first_problem: Option<String>,
    /// Distinct addresses verified on the sites.
    pub emails_checked: u64,
    /// People given an address inferred from their company's pattern.
    pub emails_inferred: u64,
}

impl<'a> LiveSources<'a> {
    /// The sources of a job with `criteria`, read in the order its preferred sources ask.
    pub fn new(table: &'a dyn Table, web: Option<&'a WebSource>, criteria: &Criteria) -> Self {
        LiveSources { table, web, order: SourceOrder::of(criteria), archive: None }
    }

    /// The same sources, keeping the pages that ground leads in `blobs`.
    pub fn with_archive(mut self, blobs: &'a dyn quarry_ports::Blobs) -> Self {
        self.archive = Some(blobs);
        self
    }

    /// Decides the companies a job with `criteria` covers (see the module docs).
    /// Seed files are fetched with `fetcher` (behind its guard against internal targets).
    pub async fn gather(&self, org_id: &str, criteria: &Criteria, fetcher: &Fetcher, now: Timestamp) -> StoreResult<Candidates> {
        let mut candidates = Candidates::default();
        candidates.notes.extend(self.order.note());
        let mut seeded = false;
        let mut rows = Vec::new();
        let seeds: &[quarry_planner::Attachment] = if self.order.reads(LiveSource::SeedFiles) { &criteria.seed } else { &[] };
        if seeds.len() < criteria.seed.len() {
            candidates.notes.push("The attached seed files were not read: the preferred sources leave seed_files out.".into());
        }
        for attachment in seeds {
            match attachment.kind {
                AttachmentKind::Csv => {
                    seeded = true;
                    match read_seed(fetcher, &attachment.url, now).await {
                        Ok(file) => {
                            rows.extend(file.rows);
                            candidates.notes.extend(file.notes.into_iter().map(|n| format!("{}: {n}", attachment.url)));
                        }
                        Err(note) => candidates.notes.push(note),
                    }
                }
                AttachmentKind::UrlList => {
                    seeded = true;
                    match read_url_list(fetcher, &attachment.url, now).await {
                        Ok((sites, notes)) => {
                            rows.extend(sites);
                            candidates.notes.extend(notes);
                        }
                        Err(note) => candidates.notes.push(note),
                    }
                }
            }
        }
        let cap = criteria.max_rows.map_or(MAX_ROWS, |rows| rows.min(MAX_ROWS)) as usize;
        if seeded {
            // The same company listed twice (or in two files) is one row.
            candidates.rows = dedupe::dedupe(rows);
            if candidates.rows.len() > cap {
                candidates.notes.push(format!("The seed files list {} companies; the job covers the first {cap}.", candidates.rows.len()));
                candidates.rows.truncate(cap);
            }
            candidates.from_seeds = candidates.rows.len();
            if candidates.rows.is_empty() {
                candidates.notes.push("No usable row was read from the attached seed files.".into());
            }
            return Ok(candidates);
        }
        let wanted = quarry_planner::RulePlanner::planned_rows(criteria).min(MAX_ROWS) as usize;
        let search = self.web.and_then(WebSource::search).filter(|_| self.order.reads(LiveSource::WebSearch));
        let enabled = self.web.map(WebSource::discovery).unwrap_or(&[]);
        let discovery = self.order.discovery(enabled);
        for source in discovery.iter().copied() {
            let missing = wanted.saturating_sub(candidates.rows.len());
            if missing == 0 {
                break;
            }
            let known: HashSet<String> = candidates.rows.iter().filter_map(|row| row.company.as_ref()?.domain.clone()).collect();
            match source {
                LiveSource::LeadIndex => {
                    let found = LeadIndex::new(self.table).companies(org_id, criteria, missing, &known).await?;
                    candidates.from_index = found.len();
                    candidates.rows.extend(found);
                }
                LiveSource::WebSearch => {
                    let Some(search) = search else { continue };
                    let found = discovery::discover(search, criteria, missing, &known).await;
                    candidates.from_search = found.rows.len();
                    candidates.rows.extend(found.rows);
                    candidates.notes.extend(found.notes);
                }
                LiveSource::Wikidata | LiveSource::OpenStreetMap => {
                    let Some(web) = self.web else { continue };
                    let provider = if source == LiveSource::Wikidata { Provider::Wikidata } else { Provider::OpenStreetMap };
                    let found = opendata::discover(web.open_data(), self.table, provider, criteria, missing, &known, now).await;
                    if provider == Provider::Wikidata {
                        candidates.from_wikidata = found.rows.len();
                    } else {
                        candidates.from_osm = found.rows.len();
                    }
                    candidates.rows.extend(found.rows);
                    candidates.notes.extend(found.notes);
                }
                LiveSource::SeedFiles | LiveSource::CompanyWebsites => {}
            }
        }
        if candidates.rows.is_empty() {
            let open: Vec<&str> = discovery
                .iter()
                .filter_map(|s| match s {
                    LiveSource::Wikidata => Some("Wikidata"),
                    LiveSource::OpenStreetMap => Some("OpenStreetMap"),
                    _ => None,
                })
                .collect();
            let open_state = if open.is_empty() {
                "no open data source (Wikidata, OpenStreetMap) is turned on".to_string()
            } else {
                format!("{} found none", open.join(" and "))
            };
            let search_state = if search.is_some() { "web search found none either" } else { "no web search provider is configured" };
            candidates.notes.push(format!(
                "The organization's lead index holds no company known to match this request (it grows with every live job), \
                 no seed CSV was attached, {open_state}, and {search_state}."
            ));
        }
        Ok(candidates)
    }

    /// The leads of one company row: one per role of the plan that someone is known for (from
    /// the seed row itself or the index), plus the seed row's own person when it fills no role;
    /// the company alone when nobody is known. Also returns how many of the leads fill a role
    /// (what the row is billed for).
    pub async fn enrich(
        &self,
        org_id: &str,
        row: LeadDraft,
        roles: &[Role],
        at: Timestamp,
        report: &mut WebReport,
    ) -> StoreResult<(Vec<LeadDraft>, u64)> {
        let index = LeadIndex::new(self.table);
        let domain = row.company.as_ref().and_then(|c| c.domain.clone());
        let mut company = company_part(&row);
        let mut people = Vec::new();
        let web = self.web.filter(|_| self.order.reads(LiveSource::CompanyWebsites));
        if let (Some(web), Some(start)) = (web, website_of(&row)) {
            let found = web.site(&start, at).await;
            report.sites += 1;
            report.pages += found.pages as u64;
            if found.pages == 0 {
                report.unreadable += 1;
                report.first_problem = report.first_problem.take().or(found.first_skip);
            }
            if let Some(blobs) = self.archive {
                crate::leads::archive::keep(blobs, org_id, &found.grounding, at).await?;
            }
            report.emails_checked += found.emails_checked as u64;
            report.emails_inferred += found.emails_inferred as u64;
            if let Some(site) = found.company {
                dedupe::merge(&mut company, site);
            }
            people.extend(found.people);
        }
        if let Some(domain) = domain.as_ref().filter(|_| self.order.reads(LiveSource::LeadIndex)) {
            if let Some(known) = index.company(org_id, domain).await? {
                dedupe::merge(&mut company, known);
            }
            people.extend(index.people_at(org_id, domain).await?);
        }
        let mut leads: Vec<LeadDraft> = Vec::new();
        let mut filled = 0;
        let own = row.person.is_some().then_some(row);
        for role in roles {
            let candidates = own.iter().chain(people.iter());
            if let Some(found) = candidates.filter(|p| fills(p.person.as_ref(), role)).find(|p| !leads.iter().any(|l| same_person(l, p))) {
                leads.push(with_company(found.clone(), Some(&role.title), &company));
                filled += 1;
            }
        }
        if let Some(own) = own.filter(|own| !leads.iter().any(|l| same_person(l, own))) {
            leads.push(with_company(own, None, &company));
        }
        // A company no source grounds (found by search, its site silent) is not a lead.
        if leads.is_empty() && !company.sources.is_empty() {
            leads.push(company);
        }
        Ok((dedupe::dedupe(leads), filled))
    }
}

/// Where a row's site starts: the URL a seed file or URL list gave, else its domain's home page.
fn website_of(row: &LeadDraft) -> Option<Url> {
    if let Some(url) = row.fields.get("website").and_then(|v| v.as_str()).and_then(|u| Url::parse(u).ok()) {
        return Some(url);
    }
    let domain = row.company.as_ref()?.domain.as_deref()?;
    Url::parse(&format!("https://{domain}/")).ok()
}

/// Most sites read from one URL list (the artifact's row cap).
const MAX_LIST_URLS: usize = 10_000;

/// Fetches a URL list (one http(s) URL per line; blank lines and `#` comments skipped) and makes
/// one row per site: its domain and start URL, sourced to the list.
async fn read_url_list(fetcher: &Fetcher, url: &str, now: Timestamp) -> Result<(Vec<LeadDraft>, Vec<String>), String> {
    let Fetched { body, .. } = fetcher.get(url).await.map_err(|e| format!("{url}: could not be fetched: {e}"))?;
    let text = String::from_utf8_lossy(&body);
    let (mut rows, mut bad) = (Vec::new(), 0usize);
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let Some(site) = quarry_engine::net::web_url(line) else {
            bad += 1;
            continue;
        };
        if rows.len() == MAX_LIST_URLS {
            break;
        }
        let mut row = LeadDraft {
            company: Some(Company { domain: site.host_str().and_then(quarry_engine::domains::registrable_domain), ..Company::default() }),
            ..LeadDraft::default()
        };
        row.fields.insert("website".into(), serde_json::json!(site.as_str()));
        let fields = crate::leads::dedupe::field_paths(&row);
        row.sources.push(crate::leads::Source {
            kind: crate::leads::SourceKind::Seed,
            url: Some(url.to_string()),
            retrieved_at: now,
            fields,
        });
        rows.push(row);
    }
    let notes = if bad > 0 { vec![format!("{url}: skipped {bad} lines that are not http(s) URLs.")] } else { Vec::new() };
    Ok((rows, notes))
}

/// Fetches and reads one seed file; the error is a note for the job's summary.
async fn read_seed(fetcher: &Fetcher, url: &str, now: Timestamp) -> Result<seed::SeedFile, String> {
    let Fetched { body, content_type, .. } = fetcher.get(url).await.map_err(|e| format!("{url}: could not be fetched: {e}"))?;
    let essence = content_type.as_deref().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !essence.is_empty() && !SEED_TYPES.contains(&essence.as_str()) {
        return Err(format!("{url}: was served as `{essence}`, not as CSV; attach a link to the CSV file itself."));
    }
    seed::parse(&body, url, now).map_err(|e| format!("{url}: could not be read: {e}."))
}

/// The company facts of a row, with the sources that ground them. Fields no source grounds (a
/// search row's start URL) are left out.
fn company_part(row: &LeadDraft) -> LeadDraft {
    let grounded = |name: &String| row.sources.iter().any(|s| s.fields.iter().any(|f| f.strip_prefix("fields.") == Some(name)));
    let fields = if row.person.is_some() {
        serde_json::Map::new()
    } else {
        row.fields.iter().filter(|(name, _)| grounded(name)).map(|(name, value)| (name.clone(), value.clone())).collect()
    };
    let mut company = LeadDraft::default();
    dedupe::merge(&mut company, LeadDraft { company: row.company.clone(), person: None, fields, sources: row.sources.clone() });
    company
}

/// `person` labelled with the role it fills and completed with the company's facts.
fn with_company(mut lead: LeadDraft, role: Option<&str>, company: &LeadDraft) -> LeadDraft {
    if let Some(person) = lead.person.as_mut() {
        person.role = role.map(str::to_string);
    }
    // The role is read from the title, so whatever grounds the title grounds the role.
    for source in lead.sources.iter_mut() {
        let grounds_title = source.fields.iter().any(|f| f == "person.title");
        if role.is_some() && grounds_title && !source.fields.iter().any(|f| f == "person.role") {
            source.fields.push("person.role".into());
        }
    }
    dedupe::merge(&mut lead, company.clone());
    lead
}

/// Whether `person` fills `role`: the same canonical title, or the same seniority and department,
/// in any part of a combined title ("Co-Founder & CTO", "Geschäftsführer und CTO"). A role in no
/// known department ("Head of Developer Relations") is filled by its own title only: another
/// Head of something outside the departments is not it.
fn fills(person: Option<&Person>, role: &Role) -> bool {
    let Some(title) = person.and_then(|p| p.title.as_deref()) else { return false };
    title_parts(title).filter_map(read_title).any(|read| {
        read.title == role.title
            || (role.department != Department::Other && read.seniority == role.seniority && read.department == role.department)
    })
}

/// The parts of a combined title, split at `&`, `/`, `|`, `,` and the words for "and".
fn title_parts(title: &str) -> impl Iterator<Item = &str> {
    title
        .split(['&', '/', '|', ','])
        .flat_map(|part| {
            part.split(" and ")
                .flat_map(|p| p.split(" und "))
                .flat_map(|p| p.split(" et "))
                .flat_map(|p| p.split(" y "))
                .flat_map(|p| p.split(" e "))
        })
        .map(str::trim)
        .filter(|part| !part.is_empty())
}

fn same_person(a: &LeadDraft, b: &LeadDraft) -> bool {
    let key = |l: &LeadDraft| dedupe::dedupe_key(&LeadDraft { sources: Vec::new(), ..l.clone() });
    a.person.is_some() && b.person.is_some() && key(a) == key(b)
}

#[cfg(test)]
mod role_tests {
    use super::*;

    fn titled(title: &str) -> Person {
        Person { title: Some(title.to_string()), ..Person::default() }
    }

    #[test]
    fn an_open_title_is_filled_by_the_same_title_only() {
        let devrel = read_title("Head of Developer Relations").expect("an open title reads");
        assert!(fills(Some(&titled("Head of Developer Relations")), &devrel));
        assert!(fills(Some(&titled("Heads of Developer Relations, EMEA")), &devrel), "a plural, in part of a combined title");
        assert!(fills(Some(&titled("Head of Developer Relations & Community")), &devrel));
        assert!(!fills(Some(&titled("Head of Digital")), &devrel), "another title outside the departments is not it");
        assert!(!fills(Some(&titled("Software Engineer")), &devrel));
        let procurement = read_title("Director of Procurement").expect("reads");
        assert!(fills(Some(&titled("Procurement Director")), &procurement), "the same title in another word order");
    }
}
