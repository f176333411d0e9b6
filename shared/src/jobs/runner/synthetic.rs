//! Chunks of a test-mode job: synthetic company rows (plausible, never real, free), generated
//! from the plan's criteria and the row index, so a replayed chunk writes the same leads.

use serde_json::json;

use super::{Chunk, JobRunner, CHUNK_ROWS, RESULT_BATCH};
use crate::jobs::log::EntryKind;
use crate::jobs::records::position;
use crate::jobs::Job;
use crate::leads::store::ChunkRow;
use crate::leads::{dedupe, synthetic, Lead};
use crate::plans::Plan;
use quarry_planner::{RulePlanner, MAX_ROWS};
use quarry_ports::StoreResult;

impl JobRunner {
    /// Rows `offset..` of a test-mode job's synthetic discovery, one chunk's worth.
    pub(super) async fn synthetic_chunk(&self, org_id: &str, job: &Job, plan: &Plan, offset: u64) -> StoreResult<Chunk> {
        let target = u64::from(RulePlanner::planned_rows(&plan.criteria).min(MAX_ROWS));
        let end = (offset + CHUNK_ROWS).min(target);
        let leads = self.write_synthetic_rows(org_id, job, plan, offset, end).await?;
        let mut entries =
            vec![(EntryKind::Log, json!({"message": format!("Captured {} companies (rows {} to {}).", end - offset, offset + 1, end)}))];
        entries.extend(leads.chunks(RESULT_BATCH).map(|batch| (EntryKind::Result, crate::jobs::log::result_data(batch))));
        let next = if end < target { position(0, end) } else { position(1, 0) };
        let lead_ids = leads.iter().map(|l| l.id.clone()).collect();
        Ok(Chunk { next, delivered: end - offset, tenths: 0, entries, ceiling: None, lead_ids, scrape: None })
    }

    /// Generates and stores synthetic company rows `from..to` of a test-mode job; returns the
    /// leads as stored.
    async fn write_synthetic_rows(&self, org_id: &str, job: &Job, plan: &Plan, from: u64, to: u64) -> StoreResult<Vec<Lead>> {
        // The job's start time, not "now", so a replayed chunk writes byte-identical leads.
        let at = job.started_at.unwrap_or(job.created_at);
        let mut rows = Vec::new();
        for index in from..to {
            let drafts = dedupe::dedupe(synthetic::company_leads(&plan.criteria, &job.id, index, at));
            rows.extend(drafts.into_iter().enumerate().map(|(slot, draft)| ChunkRow { index, slot, draft }));
        }
        self.lead_writer(org_id, job).store_chunk(Some(&plan.criteria), rows, at).await
    }
}
