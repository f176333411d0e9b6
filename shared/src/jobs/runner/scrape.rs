//! The runner's side of URL scrape jobs: one chunk reads [`URLS_PER_CHUNK`] of the job's URLs side
//! by side, stores what their pages ground as leads, and moves the job's URL counters with its
//! position (so a replayed chunk counts nothing twice).
//!
//! A sitemap scrape first reads its sitemaps and saves the page list as the job's snapshot, so
//! every later chunk (and every replay) works on the same list.
//!
//! A test-mode scrape fetches nothing: like every test-mode job it runs the same chunks, counters
//! and options on plausible synthetic leads (see [`synthetic_reading`]), and costs nothing. A test
//! key is for wiring an integration up; it must not be a free way to read real sites.

use futures_util::future::join_all;
use quarry_engine::crawl::{CrawlConfig, Crawler};
use serde_json::json;
use url::Url;

use super::{Chunk, JobRunner, RESULT_BATCH};
use crate::jobs::log::EntryKind;
use crate::jobs::records::{position, CREDIT_TENTHS, RUN_POSITION};
use crate::jobs::scrape::{
    request_blob, targets_blob, ScrapeOptions, ScrapeRequest, MAX_URLS, PAGES_PER_URL, TENTHS_PER_URL, URLS_PER_CHUNK,
};
use crate::jobs::web::WebSource;
use crate::jobs::{job_key, Job, ScrapeType};
use crate::leads::dedupe::field_paths;
use crate::leads::index::LeadIndex;
use crate::leads::store::{lead_id, ChunkRow};
use crate::leads::{synthetic, LeadDraft};
use crate::plans::Plan;
use quarry_planner::{Criteria, Department, Role, Seniority};
use quarry_ports::clock::Timestamp;
use quarry_ports::{Condition, Item, StoreError, StoreResult, Update};

/// How a chunk moved the job's URL counters.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ScrapeTally {
    pub processed: u64,
    pub successful: u64,
    pub failed: u64,
    /// Leads first stored by this chunk (merges into earlier leads are not new).
    pub new_leads: u64,
    /// The job's URL count, when this chunk learnt it (a sitemap scrape's first chunk).
    pub total: Option<u64>,
}

/// What reading one listed URL gave.
#[derive(Debug, PartialEq)]
struct Reading {
    url: Url,
    pages: usize,
    /// Why nothing could be read, when nothing could.
    failure: Option<String>,
    leads: Vec<LeadDraft>,
    /// The pages (URL, HTML) the leads cite, for the audit archive.
    grounding: Vec<(String, String)>,
}

impl JobRunner {
    /// URLs `offset..` of a scrape job, one chunk's worth. `None` when the job moved on meanwhile.
    pub(super) async fn scrape_chunk(
        &self,
        org_id: &str,
        item: &Item,
        job: &Job,
        plan: &Plan,
        at: &str,
        offset: u64,
    ) -> StoreResult<Option<Chunk>> {
        let request = self.scrape_request(org_id, &job.id).await?;
        let crawler = self.scrape_crawler(request.options.depth);
        let mut entries = Vec::new();
        let mut tally = ScrapeTally::default();
        let targets = match request.kind {
            // A test-mode sitemap is not read: each listed sitemap stands for one page.
            ScrapeType::Sitemap if !job.livemode => {
                if offset == 0 {
                    tally.total = Some(request.urls.len() as u64);
                    let note = "Test mode: sitemaps are not fetched; each listed URL stands for one synthetic page.";
                    entries.push((EntryKind::Log, json!({ "message": note })));
                }
                request.urls.clone()
            }
            ScrapeType::Sitemap => {
                let Some((pages, notes)) = self.sitemap_targets(org_id, job, &request, &crawler, at).await? else { return Ok(None) };
                if offset == 0 {
                    tally.total = Some(pages.len() as u64);
                    entries.extend(notes.into_iter().map(|note| (EntryKind::Log, json!({ "message": note }))));
                }
                pages
            }
            _ => request.urls.clone(),
        };
        let total = targets.len() as u64;
        let end = (offset + URLS_PER_CHUNK).min(total);
        let started = job.started_at.unwrap_or(job.created_at);
        let picked = targets.get(offset as usize..end as usize).unwrap_or_default();
        let readings = if job.livemode {
            let web = self.scrape_reader(request.options);
            join_all(picked.iter().map(|url| read_url(&crawler, &web, url, request.options, started))).await
        } else {
            (offset..).zip(picked).map(|(row, url)| synthetic_reading(&job.id, row, url, request.options, started)).collect()
        };
        for reading in &readings {
            crate::leads::archive::keep(self.records.blobs.as_ref(), org_id, &reading.grounding, started).await?;
        }

        let spent = item.i64(CREDIT_TENTHS).unwrap_or(0).max(0) as u64;
        let budget = job.max_credits.map(|max| (max * 10).saturating_sub(spent));
        let criteria = request.options.qualify_leads.then_some(&plan.criteria);
        let index = LeadIndex::new(self.records.table.as_ref());
        let (mut tenths, mut ceiling, mut rows) = (0, false, Vec::new());
        for (row, reading) in (offset..).zip(readings) {
            let price = if reading.failure.is_none() && job.livemode { TENTHS_PER_URL } else { 0 };
            if budget.is_some_and(|budget| tenths + price > budget) {
                ceiling = true;
                break;
            }
            tally.processed += 1;
            let message = match &reading.failure {
                Some(reason) => {
                    tally.failed += 1;
                    format!("Could not read {}: {reason}.", reading.url)
                }
                None => {
                    tally.successful += 1;
                    if job.livemode {
                        format!("Read {} ({} pages): {} leads.", reading.url, reading.pages, reading.leads.len())
                    } else {
                        format!("Test mode: {} was not fetched; {} synthetic leads.", reading.url, reading.leads.len())
                    }
                }
            };
            entries.push((EntryKind::Log, json!({ "message": message })));
            for (slot, draft) in reading.leads.into_iter().enumerate() {
                if job.livemode {
                    index.absorb(org_id, &draft).await?;
                }
                rows.push(ChunkRow { index: row, slot, draft });
            }
            tenths += price;
        }
        let slots: Vec<(u64, usize)> = rows.iter().map(|r| (r.index, r.slot)).collect();
        let leads = self.lead_writer(org_id, job).store_chunk(criteria, rows, started).await?;
        tally.new_leads += slots.iter().zip(&leads).filter(|((row, slot), lead)| lead.id == lead_id(&job.id, *row, *slot)).count() as u64;
        entries.extend(leads.chunks(RESULT_BATCH).map(|batch| (EntryKind::Result, crate::jobs::log::result_data(batch))));
        let reached = offset + tally.processed;
        let next = if reached < total || ceiling { position(0, reached) } else { position(1, 0) };
        let ceiling = ceiling.then(|| {
            format!("Stopped at the max_credits ceiling of {}: the next URL would have gone over it.", job.max_credits.unwrap_or(0))
        });
        let lead_ids = leads.iter().map(|l| l.id.clone()).collect();
        Ok(Some(Chunk { next, delivered: tally.successful, tenths, entries, ceiling, lead_ids, scrape: Some(tally) }))
    }

    /// The scrape's saved request.
    async fn scrape_request(&self, org_id: &str, job_id: &str) -> StoreResult<ScrapeRequest> {
        let key = request_blob(org_id, job_id)?;
        let blob = self.records.blobs.get(&key).await?.ok_or_else(|| StoreError::Backend(format!("scrape request {key} is missing")))?;
        serde_json::from_slice(&blob.bytes).map_err(|e| StoreError::Backend(format!("scrape request {key}: {e}")))
    }

    /// A crawler reading `depth` pages deep from each URL, through the runner's fetcher.
    fn scrape_crawler(&self, depth: u8) -> Crawler {
        let config =
            CrawlConfig { max_depth: depth.saturating_sub(1), max_pages: PAGES_PER_URL, use_sitemaps: false, ..CrawlConfig::default() };
        Crawler::new(self.fetcher.with_limits(config.page_limits), config)
    }

    /// What turns a scrape's pages into leads: the worker's web source (verifying emails as it is
    /// configured to, when the scrape keeps emails at all).
    fn scrape_reader(&self, options: ScrapeOptions) -> WebSource {
        if options.extract_emails {
            self.web.clone()
        } else {
            self.web.without_verifier()
        }
    }

    /// The pages a sitemap scrape reads: its snapshot, or (first chunk) read from its sitemaps and
    /// saved before any page is read, with notes for the log. `None` when the job moved on.
    async fn sitemap_targets(
        &self,
        org_id: &str,
        job: &Job,
        request: &ScrapeRequest,
        crawler: &Crawler,
        at: &str,
    ) -> StoreResult<Option<(Vec<Url>, Vec<String>)>> {
        let key = targets_blob(org_id, &job.id)?;
        if let Some(blob) = self.records.blobs.get(&key).await? {
            let pages = serde_json::from_slice(&blob.bytes).map_err(|e| StoreError::Backend(format!("sitemap snapshot {key}: {e}")))?;
            return Ok(Some((pages, Vec::new())));
        }
        let mut pages: Vec<Url> = Vec::new();
        let mut notes = Vec::new();
        for sitemap in &request.urls {
            let room = MAX_URLS.saturating_sub(pages.len());
            let (listed, _) = crawler.sitemap_listing(sitemap, room).await;
            notes.push(format!("The sitemap of {sitemap} lists {} pages.", listed.len()));
            for page in listed {
                if !pages.contains(&page) {
                    pages.push(page);
                }
            }
        }
        if pages.len() >= MAX_URLS {
            notes.push(format!("Only the first {MAX_URLS} pages are read."));
        }
        let bytes = serde_json::to_vec(&pages).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.records.blobs.put(&key, bytes.into(), "application/json").await?;
        let update = Update::new().set("total_urls", pages.len() as u64);
        match self.records.table.update(&job_key(org_id, &job.id), update, Condition::equals(RUN_POSITION, at)).await {
            Ok(_) => Ok(Some((pages, notes))),
            Err(StoreError::ConditionFailed) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The counters, percentage and estimated end of a scrape job after a chunk's `tally`.
pub(super) fn scrape_progress(update: Update, job: &Job, tally: &ScrapeTally, now: Timestamp) -> Update {
    let total = tally.total.or(job.total_urls).unwrap_or(0);
    let processed = job.processed_urls.unwrap_or(0) + tally.processed;
    let percent = (processed * 100).checked_div(total).map_or(100, |p| p.min(100) as u32);
    let mut update = update
        .add("processed_urls", tally.processed as i64)
        .add("successful_urls", tally.successful as i64)
        .add("failed_urls", tally.failed as i64)
        .add("leads_found", tally.new_leads as i64)
        .set("progress_percentage", percent);
    if let Some(total) = tally.total {
        update = update.set("total_urls", total);
    }
    // The pace so far, projected over what is left.
    let started = job.started_at.unwrap_or(job.created_at);
    if processed > 0 {
        let elapsed = (now.0 - started.0).num_milliseconds().max(0);
        let left = total.saturating_sub(processed) as i64;
        let eta = now.0 + chrono::Duration::milliseconds(elapsed * left / processed as i64);
        update = update.set("estimated_completion", Timestamp(eta).to_string());
    }
    update
}

/// Reads one listed URL as deep as `crawler` goes and turns what its pages ground into leads (the
/// company first, then its people), keeping only what `options` asks for.
async fn read_url(crawler: &Crawler, web: &WebSource, url: &Url, options: ScrapeOptions, at: Timestamp) -> Reading {
    let crawl = crawler.crawl_site(url).await;
    let failure = crawl.pages.is_empty().then(|| match crawl.skipped.first() {
        Some(skip) => skip.reason.to_string(),
        None => "no HTML page".to_string(),
    });
    let findings = web.findings(&crawl, at).await;
    let grounding = findings.grounding;
    let leads = findings.company.into_iter().chain(findings.people).filter_map(|lead| keep_asked(lead, options)).collect();
    Reading { url: url.clone(), pages: crawl.pages.len(), failure, leads, grounding }
}

/// What a test-mode scrape "reads" at row `row` of job `job_id`, without fetching `url`: one
/// invented company (never the URL's own), as a company lead and as the people a team page
/// typically lists ([`SYNTHETIC_TEAM`]), each fact marked with a synthetic source, then trimmed to
/// `options` like real findings. Pure and deterministic, so a replayed chunk writes the same leads.
fn synthetic_reading(job_id: &str, row: u64, url: &Url, options: ScrapeOptions, at: Timestamp) -> Reading {
    let company = synthetic::company_leads(&Criteria::default(), job_id, row, at);
    let team = Criteria {
        roles: SYNTHETIC_TEAM
            .iter()
            .map(|(title, seniority, department)| Role { title: title.to_string(), seniority: *seniority, department: *department })
            .collect(),
        ..Criteria::default()
    };
    let people = synthetic::company_leads(&team, job_id, row, at);
    let leads = company.into_iter().chain(people).filter_map(|lead| keep_asked(lead, options)).collect();
    Reading { url: url.clone(), pages: 1, failure: None, leads, grounding: Vec::new() }
}

/// The people a synthetic scrape finds at each company: its chief executive and two department
/// heads.
const SYNTHETIC_TEAM: [(&str, Seniority, Department); 3] = [
    ("CEO", Seniority::CLevel, Department::Executive),
    ("Head of Sales", Seniority::Head, Department::Sales),
    ("VP Engineering", Seniority::Vp, Department::Engineering),
];

/// The lead without the kinds of facts the scrape did not ask for (and without the sources'
/// claims on them); `None` when nothing is left.
fn keep_asked(mut lead: LeadDraft, options: ScrapeOptions) -> Option<LeadDraft> {
    if !options.extract_emails {
        if let Some(person) = lead.person.as_mut() {
            person.email = None;
        }
        lead.fields.retain(|name, _| !name.contains("email"));
    }
    if !options.extract_phones {
        if let Some(person) = lead.person.as_mut() {
            person.phone = None;
        }
        if let Some(company) = lead.company.as_mut() {
            company.phone = None;
        }
        lead.fields.retain(|name, _| !name.contains("phone"));
    }
    if !options.extract_social {
        if let Some(person) = lead.person.as_mut() {
            person.linkedin = None;
        }
        if let Some(company) = lead.company.as_mut() {
            company.linkedin = None;
        }
        lead.fields.remove("social");
    }
    let present = field_paths(&lead);
    for source in &mut lead.sources {
        source.fields.retain(|path| present.contains(path));
    }
    lead.sources.retain(|source| !source.fields.is_empty());
    (!lead.sources.is_empty()).then_some(lead)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leads::{Company, Person, Source, SourceKind};

    #[test]
    fn a_synthetic_reading_invents_a_company_and_its_team() {
        let at = Timestamp::parse("2026-11-01T00:00:00Z").unwrap();
        let url = Url::parse("https://acme.example/team").unwrap();
        let all = ScrapeOptions { depth: 1, extract_emails: true, extract_phones: true, extract_social: true, qualify_leads: true };
        let reading = synthetic_reading("job_1", 4, &url, all, at);
        assert_eq!(reading, synthetic_reading("job_1", 4, &url, all, at), "the same row reads the same");
        assert_ne!(reading.leads, synthetic_reading("job_1", 5, &url, all, at).leads, "another row, another company");
        assert!(reading.failure.is_none());
        assert_eq!(reading.leads.len(), 1 + SYNTHETIC_TEAM.len(), "the company, then its team");
        let domains: Vec<_> = reading.leads.iter().map(|l| l.company.as_ref().unwrap().domain.clone().unwrap()).collect();
        assert!(domains.iter().all(|d| d == &domains[0] && d != "acme.example"), "{domains:?}");
        assert!(reading.leads[0].person.is_none());
        assert!(reading.leads[1..].iter().all(|l| l.person.as_ref().is_some_and(|p| p.email.is_some())));
        assert!(reading.leads.iter().flat_map(|l| &l.sources).all(|s| s.kind == SourceKind::Synthetic));
        let no_emails = ScrapeOptions { extract_emails: false, ..all };
        let trimmed = synthetic_reading("job_1", 4, &url, no_emails, at);
        assert!(trimmed.leads.iter().all(|l| l.person.as_ref().is_none_or(|p| p.email.is_none())));
    }

    #[test]
    fn options_remove_facts_and_their_claims() {
        let at = Timestamp::parse("2026-11-01T00:00:00Z").unwrap();
        let mut lead = LeadDraft {
            company: Some(Company {
                name: Some("Acme".into()),
                domain: Some("acme.example".into()),
                phone: Some("+33142000000".into()),
                ..Company::default()
            }),
            person: Some(Person { full_name: Some("Ann Lee".into()), email: Some("ann@acme.example".into()), ..Person::default() }),
            ..LeadDraft::default()
        };
        lead.sources.push(Source {
            kind: SourceKind::Web,
            url: Some("https://acme.example/team".into()),
            retrieved_at: at,
            fields: field_paths(&lead),
        });
        let none = ScrapeOptions { depth: 1, extract_emails: false, extract_phones: false, extract_social: false, qualify_leads: false };
        let kept = keep_asked(lead.clone(), none).unwrap();
        assert_eq!(kept.person.as_ref().unwrap().email, None);
        assert_eq!(kept.company.as_ref().unwrap().phone, None);
        let claims = &kept.sources[0].fields;
        assert!(claims.iter().all(|f| !f.contains("email") && !f.contains("phone")), "{claims:?}");
        assert!(claims.iter().any(|f| f == "person.full_name"), "{claims:?}");
        let all = ScrapeOptions { extract_emails: true, extract_phones: true, extract_social: true, ..none };
        assert_eq!(keep_asked(lead.clone(), all).unwrap(), lead);
    }
}
