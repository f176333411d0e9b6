//! The organization's own lead index: every company and person its live jobs have grounded,
//! merged across jobs, so a later job starts from what the organization already knows (a seed
//! list enriched last month answers this month's "CTOs of French fintechs").
//!
//! Only live, real facts enter it: test-mode (synthetic) leads never do, and facts a job read
//! from the index itself are not written back as new evidence. Records keep the sources that
//! grounded them (the seed file or the web page), so a lead built from the index still says
//! where each fact came from. Merging uses the same rules as dedupe within a job, and writing
//! the same facts twice changes nothing, so a replayed chunk is harmless.
//!
//! Layout (one partition per organization, see `shared/store/TABLE_LAYOUT.md`):
//! `LIDX#<org_id>` / `CO#<domain>` for companies, `PE#<domain>#<key hash>` for people (`~` for
//! people without a company domain), each item holding the merged draft and a `version` for
//! optimistic concurrency.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::dedupe::{self, fold_ascii};
use super::{LeadDraft, SourceKind};
use quarry_planner::{region_of_city, Criteria};
use quarry_ports::{table::query_matching, Condition, Item, Key, Query, StoreError, StoreResult, Table};

/// Most index records one discovery query examines: a selective filter over a large index stops
/// there rather than scan without end (the job's summary then says fewer rows were found).
pub const MAX_EXAMINED: usize = 20_000;
/// Most people read for one company.
const MAX_PEOPLE_PER_COMPANY: usize = 200;
/// Retries of an upsert that lost a race with another writer.
const UPSERT_ATTEMPTS: usize = 8;

const COMPANY_SK: &str = "CO#";
const PERSON_SK: &str = "PE#";
const VERSION: &str = "version";

fn partition(org_id: &str) -> String {
    format!("LIDX#{org_id}")
}

/// What one index item stores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Record {
    lead: LeadDraft,
}

/// The lead index of every organization, over the table port.
pub struct LeadIndex<'a> {
    table: &'a dyn Table,
}

impl<'a> LeadIndex<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        LeadIndex { table }
    }

    /// Merges what `lead` grounds into the index: its company under its domain and, when it
    /// names a person, the person too. Facts grounded only by the index or by the synthetic
    /// generator are not taken; a lead without a company domain or email is not indexed
    /// (nothing would find it again reliably).
    pub async fn absorb(&self, org_id: &str, lead: &LeadDraft) -> StoreResult<()> {
        let Some(lead) = evidence(lead) else { return Ok(()) };
        let domain = lead.company.as_ref().and_then(|c| c.domain.clone());
        if let Some(domain) = &domain {
            let company =
                LeadDraft { company: lead.company.clone(), person: None, fields: company_fields(&lead), sources: lead.sources.clone() };
            // Merge keeps only the sources still vouching for a company fact.
            let mut company_only = LeadDraft::default();
            dedupe::merge(&mut company_only, company);
            self.upsert(Key::new(partition(org_id), format!("{COMPANY_SK}{domain}")), company_only).await?;
        }
        if lead.person.is_some() {
            let Some(key) = dedupe::dedupe_key(&lead) else { return Ok(()) };
            let hash = dedupe::key_digest(&key, 12);
            let sk = format!("{PERSON_SK}{}#{hash}", domain.as_deref().unwrap_or("~"));
            self.upsert(Key::new(partition(org_id), sk), lead).await?;
        }
        Ok(())
    }

    /// Up to `limit` indexed companies whose known facts satisfy every company criterion of
    /// `criteria` (see [`fits`]), skipping the domains in `exclude`, in domain order.
    pub async fn companies(
        &self,
        org_id: &str,
        criteria: &Criteria,
        limit: usize,
        exclude: &HashSet<String>,
    ) -> StoreResult<Vec<LeadDraft>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let query = Query::partition(partition(org_id)).prefix(COMPANY_SK);
        let (found, _) = query_matching(self.table, query, limit, MAX_EXAMINED, |item| {
            let record: Record = item.to_record()?;
            let domain = record.lead.company.as_ref().and_then(|c| c.domain.as_deref()).unwrap_or_default();
            Ok((fits(&record.lead, criteria) && !exclude.contains(domain)).then_some(record.lead))
        })
        .await?;
        Ok(found)
    }

    /// The indexed company at `domain`, if any.
    pub async fn company(&self, org_id: &str, domain: &str) -> StoreResult<Option<LeadDraft>> {
        let key = Key::new(partition(org_id), format!("{COMPANY_SK}{domain}"));
        Ok(match self.table.get(&key).await? {
            Some(item) => Some(item.to_record::<Record>()?.lead),
            None => None,
        })
    }

    /// The people indexed at `domain` (at most 200), in key order.
    pub async fn people_at(&self, org_id: &str, domain: &str) -> StoreResult<Vec<LeadDraft>> {
        let query = Query::partition(partition(org_id)).prefix(format!("{PERSON_SK}{domain}#"));
        let (people, _) = query_matching(self.table, query, MAX_PEOPLE_PER_COMPANY, MAX_PEOPLE_PER_COMPANY, |item| {
            Ok(Some(item.to_record::<Record>()?.lead))
        })
        .await?;
        Ok(people)
    }

    /// Read, merge, write back on the version read; retried when another writer got there first.
    async fn upsert(&self, key: Key, lead: LeadDraft) -> StoreResult<()> {
        for _ in 0..UPSERT_ATTEMPTS {
            let existing = self.table.get(&key).await?;
            let (merged, condition, version) = match &existing {
                None => (lead.clone(), Condition::Absent, 1),
                Some(item) => {
                    let mut merged = item.to_record::<Record>()?.lead;
                    let before = merged.clone();
                    dedupe::merge(&mut merged, lead.clone());
                    if merged == before {
                        return Ok(()); // nothing new: a replay, or facts already known
                    }
                    let version = item.i64(VERSION).unwrap_or(0);
                    (merged, Condition::equals(VERSION, version), version + 1)
                }
            };
            let item = Item::from_record(key.clone(), &Record { lead: merged })?.with(VERSION, version);
            match self.table.put(item, condition).await {
                Ok(()) => return Ok(()),
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Backend(format!("lead index record {key} kept changing; gave up after {UPSERT_ATTEMPTS} attempts")))
    }
}

/// The part of `lead` that is new evidence: its sources other than the index and the synthetic
/// generator, and only when one is left.
fn evidence(lead: &LeadDraft) -> Option<LeadDraft> {
    let sources: Vec<_> = lead.sources.iter().filter(|s| !matches!(s.kind, SourceKind::Index | SourceKind::Synthetic)).cloned().collect();
    if sources.is_empty() {
        return None;
    }
    let has_key = lead.company.as_ref().is_some_and(|c| c.domain.is_some()) || lead.person.as_ref().is_some_and(|p| p.email.is_some());
    has_key.then(|| LeadDraft { sources, ..lead.clone() })
}

/// Extra fields that describe the company rather than a person: on a company-only lead all of
/// them; on a person's lead none (a seed row's "notes" may be about the person).
fn company_fields(lead: &LeadDraft) -> serde_json::Map<String, serde_json::Value> {
    if lead.person.is_some() {
        serde_json::Map::new()
    } else {
        lead.fields.clone()
    }
}

/// Whether the company of `lead` is known to satisfy every company criterion: industries,
/// countries, states or provinces (by the company's city), cities, funding stages, headcount
/// range, department headcounts and technologies.
/// A fact the index does not hold satisfies nothing, so the index never offers a company it
/// cannot vouch for. Signals (hiring, recent funding) need dated evidence the index does not keep
/// yet, so a request with signals matches no indexed company.
pub fn fits(lead: &LeadDraft, criteria: &Criteria) -> bool {
    let Some(company) = &lead.company else { return false };
    let within = |values: &[String], value: Option<&String>| values.is_empty() || value.is_some_and(|v| values.contains(v));
    let city_ok = criteria.cities.is_empty()
        || company.hq_city.as_deref().is_some_and(|city| criteria.cities.iter().any(|c| fold_ascii(c) == fold_ascii(city)));
    // A state or province narrows its own country. Leads carry no region, so the company's city
    // places it, and a city the planner cannot place in one region vouches for none.
    let region_ok = company.hq_country.as_deref().is_none_or(|country| {
        let asked: Vec<&str> =
            criteria.regions.iter().map(String::as_str).filter(|r| r.get(..2).is_some_and(|c| c.eq_ignore_ascii_case(country))).collect();
        asked.is_empty()
            || company.hq_city.as_deref().and_then(|city| region_of_city(country, city)).is_some_and(|region| asked.contains(&region))
    });
    let stage_ok = criteria.funding_stages.is_empty()
        || company.funding_stage.as_deref().is_some_and(|stage| {
            criteria
                .funding_stages
                .iter()
                .any(|s| serde_json::to_value(s).ok().and_then(|v| v.as_str().map(|v| v == stage)).unwrap_or(false))
        });
    let size_ok = criteria.company_headcount.as_ref().is_none_or(|range| {
        company.employee_count.is_some_and(|n| range.min.is_none_or(|min| n >= min) && range.max.is_none_or(|max| n <= max))
    });
    let departments_ok = criteria.department_headcounts.iter().all(|wanted| {
        let department = serde_json::to_value(wanted.department).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let count = lead.fields.get(&format!("{department}_headcount")).and_then(serde_json::Value::as_u64);
        count.is_some_and(|n| {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            wanted.min.is_none_or(|min| n >= min) && wanted.max.is_none_or(|max| n <= max)
        })
    });
    let stack: Vec<String> = lead
        .fields
        .get("tech_stack")
        .and_then(serde_json::Value::as_array)
        .map(|items| items.iter().filter_map(|t| t.as_str().map(str::to_lowercase)).collect())
        .unwrap_or_default();
    let tech_ok = criteria.technologies.iter().all(|t| stack.contains(t));
    within(&criteria.industries, company.industry.as_ref())
        && within(&criteria.countries, company.hq_country.as_ref())
        && region_ok
        && city_ok
        && stage_ok
        && size_ok
        && departments_ok
        && tech_ok
        && criteria.signals.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leads::{Company, Person, Source};
    use quarry_planner::{Criteria, HeadcountRange};
    use quarry_ports::clock::{ManualClock, SharedClock, Timestamp};
    use quarry_store::sqlite::{SqliteDb, SqliteTable};

    fn table(dir: &std::path::Path) -> SqliteTable {
        let clock: SharedClock = ManualClock::new();
        SqliteTable::new(SqliteDb::open(&dir.join("q.db")).unwrap(), clock)
    }

    fn sourced(mut lead: LeadDraft, kind: SourceKind, url: &str) -> LeadDraft {
        let fields = dedupe::field_paths(&lead);
        lead.sources.push(Source { kind, url: Some(url.into()), retrieved_at: Timestamp::from_unix(1_776_000_000).unwrap(), fields });
        lead
    }

    fn company(domain: &str, country: &str, employees: u32) -> LeadDraft {
        LeadDraft {
            company: Some(Company {
                name: Some(domain.split('.').next().unwrap().to_string()),
                domain: Some(domain.into()),
                hq_country: Some(country.into()),
                industry: Some("fintech".into()),
                employee_count: Some(employees),
                ..Company::default()
            }),
            ..LeadDraft::default()
        }
    }

    fn person(domain: &str, name: &str, title: &str) -> LeadDraft {
        let mut lead = company(domain, "FR", 80);
        lead.person = Some(Person {
            full_name: Some(name.into()),
            title: Some(title.into()),
            email: Some(format!("{}@{domain}", name.to_lowercase().replace(' ', "."))),
            ..Person::default()
        });
        lead
    }

    #[tokio::test]
    async fn absorbs_companies_and_people_and_finds_them_by_criteria() {
        let dir = tempfile::tempdir().unwrap();
        let table = table(dir.path());
        let index = LeadIndex::new(&table);
        for lead in [company("alpha.fr", "FR", 80), company("beta.de", "DE", 300), company("gamma.fr", "FR", 5000)] {
            index.absorb("org_1", &sourced(lead, SourceKind::Seed, "https://f/seed.csv")).await.unwrap();
        }
        index.absorb("org_1", &sourced(person("alpha.fr", "Ana Roy", "CTO"), SourceKind::Seed, "https://f/seed.csv")).await.unwrap();

        let criteria = Criteria {
            countries: vec!["FR".into()],
            industries: vec!["fintech".into()],
            company_headcount: Some(HeadcountRange { min: Some(50), max: Some(1000) }),
            ..Criteria::default()
        };
        let found = index.companies("org_1", &criteria, 10, &HashSet::new()).await.unwrap();
        let domains: Vec<_> = found.iter().map(|l| l.company.as_ref().unwrap().domain.clone().unwrap()).collect();
        assert_eq!(domains, ["alpha.fr"]);
        assert!(found[0].person.is_none(), "company records hold no person");
        assert_eq!(found[0].sources[0].url.as_deref(), Some("https://f/seed.csv"), "provenance is kept");

        let people = index.people_at("org_1", "alpha.fr").await.unwrap();
        assert_eq!(people.len(), 1);
        assert_eq!(people[0].person.as_ref().unwrap().full_name.as_deref(), Some("Ana Roy"));
        assert!(
            index.companies("org_2", &Criteria::default(), 10, &HashSet::new()).await.unwrap().is_empty(),
            "one index per organization"
        );
        assert_eq!(index.companies("org_1", &Criteria::default(), 10, &HashSet::from(["beta.de".to_string()])).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn merging_keeps_every_source_and_replays_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let table = table(dir.path());
        let index = LeadIndex::new(&table);
        let first = sourced(company("alpha.fr", "FR", 80), SourceKind::Seed, "https://f/a.csv");
        let mut second = company("alpha.fr", "FR", 80);
        second.company.as_mut().unwrap().hq_city = Some("Paris".into());
        let second = sourced(second, SourceKind::Web, "https://alpha.fr/contact");
        index.absorb("org_1", &first).await.unwrap();
        index.absorb("org_1", &second).await.unwrap();
        let key = Key::new(partition("org_1"), "CO#alpha.fr");
        let version = table.get(&key).await.unwrap().unwrap().i64(VERSION);
        index.absorb("org_1", &second).await.unwrap();
        assert_eq!(table.get(&key).await.unwrap().unwrap().i64(VERSION), version, "a replay writes nothing");

        let stored = index.company("org_1", "alpha.fr").await.unwrap().unwrap();
        assert_eq!(stored.company.as_ref().unwrap().hq_city.as_deref(), Some("Paris"));
        let urls: Vec<_> = stored.sources.iter().map(|s| s.url.clone().unwrap()).collect();
        assert_eq!(urls, ["https://f/a.csv", "https://alpha.fr/contact"]);
    }

    #[tokio::test]
    async fn synthetic_and_index_only_facts_never_enter() {
        let dir = tempfile::tempdir().unwrap();
        let table = table(dir.path());
        let index = LeadIndex::new(&table);
        index.absorb("org_1", &sourced(company("fake.fr", "FR", 80), SourceKind::Synthetic, "synthetic")).await.unwrap();
        index.absorb("org_1", &sourced(company("echo.fr", "FR", 80), SourceKind::Index, "index")).await.unwrap();
        let unsourced = company("bare.fr", "FR", 80);
        index.absorb("org_1", &unsourced).await.unwrap();
        assert!(index.companies("org_1", &Criteria::default(), 10, &HashSet::new()).await.unwrap().is_empty());
    }

    #[test]
    fn unknown_facts_satisfy_no_criterion() {
        let known = company("alpha.fr", "FR", 80);
        let mut unknown = known.clone();
        unknown.company.as_mut().unwrap().employee_count = None;
        let sized = Criteria { company_headcount: Some(HeadcountRange { min: Some(10), max: None }), ..Criteria::default() };
        assert!(fits(&known, &sized));
        assert!(!fits(&unknown, &sized));
        let stack = Criteria { technologies: vec!["snowflake".into()], ..Criteria::default() };
        assert!(!fits(&known, &stack));
        let mut with_stack = known.clone();
        with_stack.fields.insert("tech_stack".into(), serde_json::json!(["Snowflake", "dbt"]));
        assert!(fits(&with_stack, &stack));
        let mut austin = company("alpha.com", "US", 80);
        austin.company.as_mut().unwrap().hq_city = Some("Austin".into());
        let mut portland = austin.clone();
        portland.company.as_mut().unwrap().hq_city = Some("Portland".into());
        let texas_or_france = Criteria { countries: vec!["FR".into(), "US".into()], regions: vec!["US-TX".into()], ..Criteria::default() };
        assert!(fits(&austin, &texas_or_france), "Austin is in Texas");
        assert!(fits(&known, &texas_or_france), "a region narrows its own country only");
        assert!(!fits(&portland, &texas_or_france));
        let oregon = Criteria { countries: vec!["US".into()], regions: vec!["US-OR".into()], ..Criteria::default() };
        assert!(!fits(&portland, &oregon), "Portland is in Oregon and in Maine: no region is vouched for");
        let mut cityless = austin.clone();
        cityless.company.as_mut().unwrap().hq_city = None;
        assert!(!fits(&cityless, &texas_or_france));
        let berlin = Criteria { cities: vec!["Berlin".into()], ..Criteria::default() };
        assert!(!fits(&known, &berlin));
        assert!(!fits(&LeadDraft::default(), &Criteria::default()), "a lead without a company is not a company");
    }
}
