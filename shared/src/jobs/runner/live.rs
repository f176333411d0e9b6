//! Chunks of a live job: the companies its sources gave (seed files, the lead index, web search),
//! snapshotted before the first row, then enriched a few at a time (their sites read by the web
//! engine) and billed per company and role filled, within the job's `max_credits`.

use serde_json::json;

use super::{Chunk, JobRunner, RESULT_BATCH, WEB_CHUNK_ROWS};
use crate::jobs::live::{Candidates, LiveSources, WebReport};
use crate::jobs::log::EntryKind;
use crate::jobs::records::{position, CREDIT_TENTHS, LIVE_SOURCES, RUN_POSITION};
use crate::jobs::{job_key, Job};
use crate::leads::index::LeadIndex;
use crate::leads::store::ChunkRow;
use crate::leads::{Lead, LeadDraft};
use crate::ownership::BLOB_KEYS;
use crate::plans::Plan;
use quarry_planner::{Intent, RulePlanner};
use quarry_ports::{BlobKey, Condition, Item, StoreError, StoreResult, Update};

/// What [`JobRunner::write_live_rows`] stored.
#[derive(Default)]
struct LiveRows {
    /// What the web engine read for these rows.
    web: WebReport,
    leads: Vec<Lead>,
    /// Companies written.
    rows: u64,
    tenths: u64,
    ceiling_hit: bool,
}

impl JobRunner {
    /// Rows `offset..` of a live job's companies, one chunk's worth, within its `max_credits`.
    /// `None` when the job moved on meanwhile.
    pub(super) async fn live_chunk(
        &self,
        org_id: &str,
        item: &Item,
        job: &Job,
        plan: &Plan,
        at: &str,
        offset: u64,
    ) -> StoreResult<Option<Chunk>> {
        let Some(candidates) = self.candidates(org_id, job, plan, at).await? else { return Ok(None) };
        let mut entries = Vec::new();
        if offset == 0 {
            let gathered = format!(
                "Working through {} companies: {} from seed files, {} from the organization's lead index, {} from Wikidata, {} from OpenStreetMap, {} from web search.",
                candidates.rows.len(),
                candidates.from_seeds,
                candidates.from_index,
                candidates.from_wikidata,
                candidates.from_osm,
                candidates.from_search
            );
            entries.push((EntryKind::Log, json!({"message": gathered})));
            entries.extend(candidates.notes.iter().map(|note| (EntryKind::Log, json!({"message": note}))));
        }
        let total = candidates.rows.len() as u64;
        // Reading sites takes seconds each, so a live chunk holds few companies.
        let end = (offset + WEB_CHUNK_ROWS).min(total);
        let spent = item.i64(CREDIT_TENTHS).unwrap_or(0).max(0) as u64;
        let budget = job.max_credits.map(|max| (max * 10).saturating_sub(spent));
        let written = self.write_live_rows(org_id, job, plan, &candidates, offset..end, budget).await?;
        let reached = offset + written.rows;
        if written.rows > 0 {
            let message = format!("Enriched {} companies (rows {} to {}).", written.rows, offset + 1, reached);
            entries.push((EntryKind::Log, json!({ "message": message })));
        }
        if written.web.sites > 0 {
            let mut message = format!("Read {} pages from {} company sites.", written.web.pages, written.web.sites);
            if written.web.unreadable > 0 {
                let first = written.web.first_problem.as_deref().unwrap_or("no page could be fetched");
                message.push_str(&format!(" {} sites could not be read (first: {first}).", written.web.unreadable));
            }
            if written.web.emails_checked > 0 {
                message.push_str(&format!(
                    " Verified {} email addresses; inferred {} from verified company patterns (marked email_inferred).",
                    written.web.emails_checked, written.web.emails_inferred
                ));
            }
            entries.push((EntryKind::Log, json!({ "message": message })));
        }
        entries.extend(written.leads.chunks(RESULT_BATCH).map(|batch| (EntryKind::Result, crate::jobs::log::result_data(batch))));
        let lead_ids = written.leads.iter().map(|l| l.id.clone()).collect();
        let ceiling = written.ceiling_hit.then(|| {
            format!("Stopped at the max_credits ceiling of {}: the next company would have gone over it.", job.max_credits.unwrap_or(0))
        });
        let next = if reached < total || ceiling.is_some() { position(0, reached) } else { position(1, 0) };
        Ok(Some(Chunk { next, delivered: written.rows, tenths: written.tenths, entries, ceiling, lead_ids, scrape: None }))
    }

    /// The companies a live job covers: its saved snapshot, or (first chunk) gathered from its
    /// sources and saved before any row is written, so replays and later chunks see the same
    /// list. `None` when the job moved on meanwhile (this message is stale).
    async fn candidates(&self, org_id: &str, job: &Job, plan: &Plan, at: &str) -> StoreResult<Option<Candidates>> {
        let key = BlobKey::parse(&format!("jobs/{org_id}/{}/candidates.json", job.id))?;
        if let Some(blob) = self.records.blobs.get(&key).await? {
            return Ok(Some(serde_json::from_slice(&blob.bytes).map_err(|e| StoreError::Backend(format!("job snapshot {key}: {e}")))?));
        }
        // The web source is passed for its search provider: web search discovers companies.
        let candidates = LiveSources::new(self.records.table.as_ref(), Some(&self.web), &plan.criteria)
            .gather(org_id, &plan.criteria, &self.fetcher, self.records.now())
            .await?;
        let bytes = serde_json::to_vec(&candidates).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.records.blobs.put(&key, bytes.into(), "application/json").await?;
        // The job owns the snapshot (a thread delete removes it) and keeps what the sources said.
        let report = json!({"from_seeds": candidates.from_seeds, "from_index": candidates.from_index,
            "from_search": candidates.from_search, "from_wikidata": candidates.from_wikidata, "from_osm": candidates.from_osm,
            "notes": candidates.notes});
        let update = Update::new().set(BLOB_KEYS, json!([key.as_str()])).set(LIVE_SOURCES, report);
        match self.records.table.update(&job_key(org_id, &job.id), update, Condition::equals(RUN_POSITION, at)).await {
            Ok(_) => Ok(Some(candidates)),
            Err(StoreError::ConditionFailed) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Enriches and stores the companies `rows` of a live job's snapshot, feeding what they
    /// ground back into the organization's lead index, and stops before the first company whose
    /// price (company plus each role filled) would go over `budget` tenths of a credit.
    async fn write_live_rows(
        &self,
        org_id: &str,
        job: &Job,
        plan: &Plan,
        candidates: &Candidates,
        rows: std::ops::Range<u64>,
        budget: Option<u64>,
    ) -> StoreResult<LiveRows> {
        let at = job.started_at.unwrap_or(job.created_at);
        // The plan may turn verification off (`verify_emails`).
        let web = if plan.criteria.verify_emails { self.web.clone() } else { self.web.without_verifier() };
        let sources = LiveSources::new(self.records.table.as_ref(), Some(&web), &plan.criteria).with_archive(self.records.blobs.as_ref());
        let index = LeadIndex::new(self.records.table.as_ref());
        let mut written = LiveRows::default();
        let mut found = Vec::new();
        // Sites are read side by side; rows are then written in order, so lead IDs stay fixed.
        let picked: Vec<(u64, &LeadDraft)> = rows.filter_map(|row| candidates.rows.get(row as usize).map(|c| (row, c))).collect();
        let enriched = futures_util::future::join_all(picked.iter().map(|(_, candidate)| async {
            let mut report = WebReport::default();
            let result = sources.enrich(org_id, (*candidate).clone(), &plan.criteria.roles, at, &mut report).await;
            (result, report)
        }))
        .await;
        for ((row, _), (result, report)) in picked.iter().copied().zip(enriched) {
            let (drafts, filled) = result?;
            written.web.sites += report.sites;
            written.web.pages += report.pages;
            written.web.unreadable += report.unreadable;
            written.web.first_problem = written.web.first_problem.take().or(report.first_problem);
            written.web.emails_checked += report.emails_checked;
            written.web.emails_inferred += report.emails_inferred;
            // A company that yielded no lead (a search hit whose site said nothing) costs nothing.
            let enriched = report.pages > 0;
            let verified = if plan.criteria.verify_emails { report.emails_checked } else { 0 };
            let price = if drafts.is_empty() { 0 } else { RulePlanner::billed_tenths(&plan.criteria, filled, enriched, verified) };
            if budget.is_some_and(|budget| written.tenths + price > budget) {
                written.ceiling_hit = true;
                break;
            }
            for (slot, draft) in drafts.into_iter().enumerate() {
                index.absorb(org_id, &draft).await?;
                found.push(ChunkRow { index: row, slot, draft });
            }
            written.tenths += price;
            written.rows += 1;
        }
        written.leads = self.lead_writer(org_id, job).store_chunk(Some(&plan.criteria), found, at).await?;
        Ok(written)
    }
}

/// What a plan step beyond the first says in a live job: the first step gathers and enriches
/// from the connected sources; the rest need the web engine or are covered by that step.
pub(super) fn live_step_note(intent: Intent, verifying: bool) -> &'static str {
    match intent {
        Intent::Verify if verifying => {
            "done with the companies of the first step: every address a company site states was verified (syntax, MX records, disposable/free-mail/role flags; mail servers are never contacted), and people without one got an address inferred from the verified ones, marked email_inferred"
        }
        Intent::Verify => {
            "email verification is off (QUARRY_VERIFY_EMAILS=false, or the request turned it off), so emails are as their sources state them"
        }
        Intent::Scrape => "done with the companies of the first step: their sites were read by the web engine",
        Intent::Discover | Intent::Enrich | Intent::FindPeople | Intent::Qualify | Intent::Export => {
            "done with the companies of the first step, from the seed files and the lead index"
        }
    }
}
