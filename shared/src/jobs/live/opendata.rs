//! Companies found in open databases, for a live job the lead index cannot fill: Wikidata for
//! businesses by industry and place, OpenStreetMap for local businesses (see
//! [`quarry_engine::opendata`] for the queries and the providers' rules).
//!
//! Unlike a search hit, a record is evidence: it states a name, a place, a headcount, a website,
//! and cites its page. So a row from open data carries those facts with a source
//! `{kind: open_data, url: <the record's page>}`; the crawler then reads the website the record
//! names, and the lead is the record merged with what the site says. A record without a website
//! is still a company lead, grounded by the record alone.
//!
//! Answers are kept in the table for a day (an item keyed by a hash of the provider and the
//! query, with a TTL), so the same query is not sent twice in a day by any job or any Lambda
//! instance: the providers ask for that, and their data changes slowly.

use std::collections::HashSet;

use quarry_engine::domains::registrable_domain;
use quarry_engine::opendata::{overpass, wikidata, OpenDataClient, OpenQuery, OpenRecord, Provider};
use quarry_planner::Criteria;
use quarry_ports::clock::Timestamp;
use quarry_ports::table::{Condition, Item, Key};
use quarry_ports::Table;
use sha2::{Digest, Sha256};

use super::discovery::{is_directory, Discovered};
use crate::leads::dedupe::field_paths;
use crate::leads::{Company, LeadDraft, Source, SourceKind};

/// How long an answer is kept: a day.
pub const CACHE_SECONDS: i64 = 24 * 60 * 60;
/// Largest answer kept (a DynamoDB item holds 400 KB); a larger one is used but not cached.
const MAX_CACHED_BYTES: usize = 300 * 1024;

/// The query of a job's criteria.
pub fn open_query(criteria: &Criteria, wanted: usize) -> OpenQuery {
    OpenQuery {
        industries: criteria.industries.clone(),
        countries: criteria.countries.iter().map(|c| c.to_uppercase()).collect(),
        regions: criteria.regions.clone(),
        cities: criteria.cities.clone(),
        // Some records have been seen already or turn out to be duplicates.
        limit: wanted.saturating_mul(2).max(1),
    }
}

/// The cache item of `provider`'s answer to `text` (the SPARQL or Overpass QL itself).
pub fn cache_key(provider: Provider, text: &str) -> Key {
    let digest = hex::encode(Sha256::digest(format!("{}\n{text}", provider.label()).as_bytes()));
    Key::new(format!("OPENDATA#{digest}"), "OPENDATA")
}

/// Up to `wanted` companies from `provider` whose domains are not in `known`. Never fails: a
/// provider that cannot be asked is a note, and the job goes on with what it has.
pub(super) async fn discover(
    client: &OpenDataClient,
    table: &dyn Table,
    provider: Provider,
    criteria: &Criteria,
    wanted: usize,
    known: &HashSet<String>,
    now: Timestamp,
) -> Discovered {
    let mut found = Discovered::default();
    if wanted == 0 {
        return found;
    }
    let query = open_query(criteria, wanted);
    let label = provider.label();
    let text = match provider {
        Provider::Wikidata => wikidata::sparql(&query),
        Provider::OpenStreetMap => overpass::query(&query),
    };
    let Some(text) = text else {
        found.notes.push(match provider {
            Provider::Wikidata => {
                format!("Wikidata was not asked: Quarry maps none of the industries {} to a Wikidata class.", words(&criteria.industries))
            }
            Provider::OpenStreetMap if criteria.cities.is_empty() && criteria.regions.is_empty() => {
                "OpenStreetMap was not asked: it is searched within a city, state or province, and the request names none.".to_string()
            }
            Provider::OpenStreetMap => {
                format!("OpenStreetMap was not asked: Quarry knows no map tag for the industries {}.", words(&criteria.industries))
            }
        });
        return found;
    };
    let key = cache_key(provider, &text);
    let cached = match table.get(&key).await {
        Ok(Some(item)) if !item.is_expired(now.unix()) => {
            item.attrs.get("records").and_then(|v| serde_json::from_value::<Vec<OpenRecord>>(v.clone()).ok())
        }
        _ => None,
    };
    let from_cache = cached.is_some();
    let records = match cached {
        Some(records) => records,
        None => {
            let asked = match provider {
                Provider::Wikidata => client.wikidata(&query).await,
                Provider::OpenStreetMap => client.overpass(&query).await,
            };
            match asked {
                Ok(records) => {
                    keep(table, &key, &records, now).await;
                    records
                }
                Err(e) => {
                    found.notes.push(format!("{label} could not be asked for companies: {e}."));
                    return found;
                }
            }
        }
    };
    let (mut seen, mut already) = (HashSet::new(), 0usize);
    for record in &records {
        if found.rows.len() == wanted {
            break;
        }
        let row = record_row(record, now);
        let domain = row.company.as_ref().and_then(|c| c.domain.clone());
        let identity = domain.clone().unwrap_or_else(|| record.url.clone());
        if !seen.insert(identity) {
            continue;
        }
        if domain.as_ref().is_some_and(|d| known.contains(d)) {
            already += 1;
            continue;
        }
        found.rows.push(row);
    }
    let mut note = format!("{} companies from {label}", found.rows.len());
    if from_cache {
        note.push_str(" (its answer to the same query, kept from the last day)");
    }
    if already > 0 {
        note.push_str(&format!("; {already} already among the job's companies"));
    }
    found.notes.push(note + ".");
    found
}

fn words(industries: &[String]) -> String {
    if industries.is_empty() {
        "(none named)".to_string()
    } else {
        industries.iter().map(|s| s.replace('_', " ")).collect::<Vec<_>>().join(", ")
    }
}

/// Keeps `records` for a day. A failed write only costs a repeated query later.
async fn keep(table: &dyn Table, key: &Key, records: &[OpenRecord], now: Timestamp) {
    let Ok(value) = serde_json::to_value(records) else { return };
    if value.to_string().len() > MAX_CACHED_BYTES {
        return;
    }
    let item = Item::new(key.clone()).with("records", value).with("cached_at", now.unix()).expires_at(now.unix() + CACHE_SECONDS);
    if let Err(e) = table.put(item, Condition::None).await {
        tracing::warn!(error = %e, "could not keep an open data answer");
    }
}

/// The row of one record: the facts it states, sourced to its page, and its website (when it
/// names one that is a company's own site) as where the crawler starts.
pub fn record_row(record: &OpenRecord, now: Timestamp) -> LeadDraft {
    let website = record.website.as_deref().and_then(|w| url::Url::parse(w).ok());
    let domain = website.as_ref().and_then(|u| u.host_str()).and_then(registrable_domain).filter(|d| !is_directory(d));
    let company = Company {
        name: Some(record.name.clone()),
        domain: domain.clone(),
        hq_city: record.city.clone(),
        hq_country: record.country.clone(),
        employee_count: record.employees,
        phone: record.phone.as_deref().and_then(crate::leads::seed::e164),
        ..Company::default()
    };
    let mut row = LeadDraft { company: Some(company), ..LeadDraft::default() };
    if let (Some(site), Some(_)) = (&website, &domain) {
        row.fields.insert("website".into(), serde_json::json!(site.as_str()));
    }
    if let Some(year) = record.founded {
        row.fields.insert("founded_year".into(), serde_json::json!(year));
    }
    if let Some(public) = record.public {
        row.fields.insert("public".into(), serde_json::json!(public));
    }
    if let Some(email) = &record.email {
        row.fields.insert("emails".into(), serde_json::json!([email]));
    }
    if let Some(address) = &record.address {
        row.fields.insert("address".into(), serde_json::json!(address));
    }
    if let Some(hours) = &record.opening_hours {
        row.fields.insert("opening_hours".into(), serde_json::json!(hours));
    }
    let fields = field_paths(&row);
    row.sources.push(Source { kind: SourceKind::OpenData, url: Some(record.url.clone()), retrieved_at: now, fields });
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_becomes_a_row_grounded_by_its_page() {
        let now = Timestamp::from_unix(1_790_000_000).unwrap();
        let record = OpenRecord {
            url: "https://www.openstreetmap.org/node/4242".into(),
            name: "Barton Creek Dental".into(),
            website: Some("https://www.bartoncreekdental.com/".into()),
            city: Some("Austin".into()),
            phone: Some("+1 512-555-0142".into()),
            email: Some("hello@bartoncreekdental.com".into()),
            opening_hours: Some("Mo-Fr 08:00-17:00".into()),
            ..OpenRecord::default()
        };
        let row = record_row(&record, now);
        let company = row.company.as_ref().unwrap();
        assert_eq!(company.domain.as_deref(), Some("bartoncreekdental.com"));
        assert_eq!(company.phone.as_deref(), Some("+15125550142"));
        assert_eq!(row.fields["website"], "https://www.bartoncreekdental.com/");
        assert_eq!(row.sources.len(), 1);
        let source = &row.sources[0];
        assert_eq!((source.kind.clone(), source.url.as_deref()), (SourceKind::OpenData, Some("https://www.openstreetmap.org/node/4242")));
        for path in [
            "company.name",
            "company.domain",
            "company.phone",
            "company.hq_city",
            "fields.website",
            "fields.emails",
            "fields.opening_hours",
        ] {
            assert!(source.fields.iter().any(|f| f == path), "{path}: {:?}", source.fields);
        }
        // A national number is not given a country code; a directory is not the company's site.
        let row = record_row(
            &OpenRecord { phone: Some("(512) 555-0142".into()), website: Some("https://www.facebook.com/bcd".into()), ..record },
            now,
        );
        let company = row.company.as_ref().unwrap();
        assert_eq!((company.phone.as_deref(), company.domain.as_deref()), (None, None));
        assert!(!row.fields.contains_key("website"));
    }

    #[test]
    fn the_cache_key_is_the_provider_and_the_query() {
        let a = cache_key(Provider::Wikidata, "SELECT 1");
        assert_eq!(a, cache_key(Provider::Wikidata, "SELECT 1"));
        assert_ne!(a, cache_key(Provider::OpenStreetMap, "SELECT 1"));
        assert_ne!(a, cache_key(Provider::Wikidata, "SELECT 2"));
        assert!(a.pk.starts_with("OPENDATA#") && a.sk == "OPENDATA", "{a:?}");
    }
}
