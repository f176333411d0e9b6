//! Companies found by web search, for a live job the lead index cannot fill: a query built from
//! the plan's company criteria, hits reduced to registrable domains, and directories, social
//! networks, news and wikis dropped, because they are about companies rather than companies.
//!
//! A search hit is not evidence. Its title and snippet are a search engine's summary, and its URL
//! only says that a site exists at a domain. So a row from search carries its domain and the URL
//! to start reading at (`fields.website`) and no source: the lead is grounded by what the site
//! then says when the web engine reads it, and a row whose site says nothing grounds nothing and
//! yields no lead (see `LiveSources::enrich`).

use std::collections::HashSet;

use quarry_engine::domains::registrable_domain;
use quarry_engine::extract::country_english_name;
use quarry_engine::search::WebSearch;
use url::Url;

use crate::leads::{Company, LeadDraft};
use quarry_planner::{region_name, Criteria};

/// Most hits asked for in one search. A SearXNG page holds about ten, and directories and
/// duplicates take a share, so a job asks for three hits per company it still needs, up to this.
pub const MAX_SEARCH_HITS: usize = 100;

/// Most places named in one query; more (a region of 27 countries) make a query no engine
/// answers well, so the query then names no place.
const MAX_PLACES: usize = 3;

/// Sites that list, rank, review, discuss or report on companies, or host profiles of them,
/// rather than being one. An entry without a dot is a brand on any public suffix
/// (`glassdoor.de`, `glassdoor.co.uk`); one with a dot is that registrable domain only (short
/// names such as `x` would otherwise catch unrelated companies).
const NOT_COMPANY_SITES: &[&str] = &[
    // Networks and company profiles.
    "linkedin",
    "xing",
    "facebook",
    "instagram",
    "twitter",
    "x.com",
    "youtube",
    "tiktok",
    "reddit",
    "quora",
    "medium",
    "github",
    "crunchbase",
    "pitchbook",
    "dealroom.co",
    "tracxn",
    "zoominfo",
    "owler",
    "wellfound",
    "angel.co",
    "northdata",
    "f6s",
    // Reviews, rankings and job boards.
    "g2.com",
    "capterra",
    "trustpilot",
    "clutch.co",
    "producthunt",
    "glassdoor",
    "indeed",
    "kununu",
    "stepstone",
    "welcometothejungle",
    "yelp",
    // Encyclopedias, news and business press.
    "wikipedia",
    "wikidata",
    "techcrunch",
    "bloomberg",
    "reuters",
    "forbes",
    "businessinsider",
    "handelsblatt",
    "sifted.eu",
    "ft.com",
    "wsj.com",
    "eu-startups",
    "statista",
];

/// Whether `domain` (registrable, lowercase) is a directory, network, review site, news site or
/// wiki rather than a company's own site.
pub fn is_directory(domain: &str) -> bool {
    let brand = domain.split('.').next().unwrap_or(domain);
    NOT_COMPANY_SITES.iter().any(|entry| if entry.contains('.') { *entry == domain } else { *entry == brand })
}

/// The search query for the company criteria of a plan: its industries and technologies, and
/// its cities (else its states or provinces with the other countries, else its countries) when
/// there are at most three: "fintech companies in Berlin",
/// "healthcare saas companies in Germany or Austria using snowflake". Roles, seniority and the
/// like describe people, not companies, and stay out. `None` when the criteria name no industry
/// or technology: "companies in Berlin" finds lists, not companies.
pub fn search_query(criteria: &Criteria) -> Option<String> {
    if criteria.industries.is_empty() && criteria.technologies.is_empty() {
        return None;
    }
    let mut query: Vec<String> = criteria.industries.iter().map(|slug| slug.replace('_', " ")).collect();
    query.push("companies".into());
    let country_name = |code: &String| country_english_name(code).map_or_else(|| code.clone(), title_case);
    let places: Vec<String> = if !criteria.cities.is_empty() {
        criteria.cities.clone()
    } else if !criteria.regions.is_empty() {
        // A state narrows its country: "in Texas or Germany", not "in Texas or United States".
        let narrowed = |code: &String| criteria.regions.iter().any(|region| region.get(..2) == Some(code.as_str()));
        let regions = criteria.regions.iter().map(|code| region_name(code).map_or_else(|| code.clone(), str::to_string));
        regions.chain(criteria.countries.iter().filter(|code| !narrowed(code)).map(country_name)).collect()
    } else {
        criteria.countries.iter().map(country_name).collect()
    };
    if !places.is_empty() && places.len() <= MAX_PLACES {
        query.push(format!("in {}", places.join(" or ")));
    }
    if !criteria.technologies.is_empty() {
        query.push(format!("using {}", criteria.technologies.join(" ")));
    }
    Some(query.join(" "))
}

fn title_case(name: &str) -> String {
    let word = |w: &str| {
        let mut chars = w.chars();
        chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
    };
    name.split(' ').map(word).collect::<Vec<_>>().join(" ")
}

/// What a search added to a job.
#[derive(Debug, Default)]
pub(super) struct Discovered {
    /// One row per new company: its domain and where to start reading its site.
    pub rows: Vec<LeadDraft>,
    /// What happened, in plain words, for the job's log and summary.
    pub notes: Vec<String>,
}

/// Up to `wanted` companies for `criteria` that `search` finds and whose domains are not in
/// `known`. Never fails: a failed search is a note, and the job goes on with what it has.
pub(super) async fn discover(search: &dyn WebSearch, criteria: &Criteria, wanted: usize, known: &HashSet<String>) -> Discovered {
    let mut found = Discovered::default();
    if wanted == 0 {
        return found;
    }
    let Some(query) = search_query(criteria) else {
        found.notes.push("No web search was made: the request names no industry or technology to search for.".into());
        return found;
    };
    let hits = match search.search(&query, (wanted * 3).min(MAX_SEARCH_HITS)).await {
        Ok(hits) => hits,
        Err(e) => {
            found.notes.push(format!("The web search '{query}' failed: {e}."));
            return found;
        }
    };
    let (mut seen, mut directories, mut already) = (HashSet::new(), 0usize, 0usize);
    for hit in &hits {
        if found.rows.len() == wanted {
            break;
        }
        let Some(domain) = hit.url.host_str().and_then(registrable_domain) else { continue };
        if !seen.insert(domain.clone()) {
            continue;
        }
        if is_directory(&domain) {
            directories += 1;
        } else if known.contains(&domain) {
            already += 1;
        } else {
            found.rows.push(company_row(domain, &hit.url));
        }
    }
    let mut note = format!("{} companies from the web search '{query}'", found.rows.len());
    if directories > 0 {
        note.push_str(&format!("; {directories} results skipped as directories, networks or news"));
    }
    if already > 0 {
        note.push_str(&format!("; {already} already among the job's companies"));
    }
    found.notes.push(note + ".");
    found
}

/// A row for the company at `domain`, read from the root of the host the hit was on (the hit may
/// be a deep page; `www.` and the bare domain are one site to the crawler).
fn company_row(domain: String, hit: &Url) -> LeadDraft {
    let mut start = hit.clone();
    start.set_path("/");
    start.set_query(None);
    start.set_fragment(None);
    // Credentials in a hit would be refused by the fetcher; the site itself needs none.
    let _ = start.set_username("");
    let _ = start.set_password(None);
    let mut row = LeadDraft { company: Some(Company { domain: Some(domain), ..Company::default() }), ..LeadDraft::default() };
    row.fields.insert("website".into(), serde_json::json!(start.as_str()));
    row
}

#[cfg(test)]
mod tests;
