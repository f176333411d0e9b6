//! The organization's lead store: every lead any of its jobs wrote, readable across jobs
//! (`GET /v1/leads`), one by one (`GET/PATCH/DELETE /v1/leads/{id}`) and in bulk exports.
//!
//! A lead lives in its job's data partition (so a thread delete removes it with the job). Two
//! things make it findable without knowing its job:
//! - a **pointer** `LEADID#<org>` / `<lead_id>` naming the job, written in the lead's own
//!   transaction, for reads by ID;
//! - three **sorted views** of the organization's leads, kept in the table's secondary indexes by
//!   attributes of the lead item itself (so they vanish with it): by creation time (`gsi1`), by
//!   score (`gsi2`) and by company name (`gsi3`). Test-mode and live leads are separate views, as
//!   every other list of the API separates them by key.
//!
//! A pointer whose lead has gone (its thread was deleted) reads as "not found" and is removed.

use serde_json::json;

use super::Lead;
use crate::clock::Timestamp;
use crate::ports::table::{GSI1_PK, GSI1_SK};
use crate::ports::{Condition, Item, Key, StoreResult, WriteOp};

/// Secondary-index attributes of the score view.
pub(crate) const GSI2_PK: &str = "gsi2pk";
pub(crate) const GSI2_SK: &str = "gsi2sk";
/// Secondary-index attributes of the company view.
pub(crate) const GSI3_PK: &str = "gsi3pk";
pub(crate) const GSI3_SK: &str = "gsi3sk";

/// The lead item attribute naming its dedupe pointer (removed with the lead, so a later
/// duplicate creates a fresh lead instead of merging into a deleted one).
pub(crate) const DEDUPE_SK: &str = "dedupe_sk";

/// Sort-key stand-in for a lead without a score: below every score (`000`), so unscored leads
/// come last in the default descending order.
const NO_SCORE: &str = "---";
/// Sort-key stand-in for a lead without a company name: after every name.
const NO_COMPANY: &str = "~";
/// Longest company-name prefix the company view sorts by.
const COMPANY_SORT_CHARS: usize = 60;

/// The partition of an organization's leads in each sorted view, test-mode and live apart.
pub(crate) fn view_partition(org_id: &str, livemode: bool) -> String {
    format!("LEADS#{org_id}#{}", if livemode { "live" } else { "test" })
}

/// The key of the pointer from a lead ID to its job.
pub(crate) fn pointer_key(org_id: &str, lead_id: &str) -> Key {
    Key::new(format!("LEADID#{org_id}"), lead_id)
}

/// The write that creates a lead's pointer.
pub(crate) fn pointer_op(org_id: &str, lead: &Lead, livemode: bool) -> WriteOp {
    let item = Item::new(pointer_key(org_id, &lead.id)).with("job_id", lead.job_id.as_str()).with("livemode", livemode);
    WriteOp::Put { item, condition: Condition::None }
}

/// The sort key of a lead in the creation view: time, then ID.
pub(crate) fn created_sort_key(created_at: Timestamp, lead_id: &str) -> String {
    format!("{created_at}#{lead_id}")
}

/// The sort key of a lead in the score view: the score on three digits, then creation order.
pub(crate) fn score_sort_key(score: Option<u8>, created_at: Timestamp, lead_id: &str) -> String {
    let score = score.map_or_else(|| NO_SCORE.to_string(), |s| format!("{s:03}"));
    format!("{score}#{}", created_sort_key(created_at, lead_id))
}

/// The sort key of a lead in the company view: the company name folded to lowercase ASCII
/// letters and digits with `-` between words (so "Acme" sorts before "Acme Corp"), then the ID.
pub(crate) fn company_sort_key(name: Option<&str>, lead_id: &str) -> String {
    let folded = name.map(super::dedupe::fold_ascii).unwrap_or_default();
    let mut key = String::new();
    for word in folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if !key.is_empty() {
            key.push('-');
        }
        key.push_str(word);
    }
    let key: String = key.chars().take(COMPANY_SORT_CHARS).collect();
    format!("{}#{lead_id}", if key.is_empty() { NO_COMPANY } else { key.as_str() })
}

/// The lead's item with its sorted-view attributes (and the other stored attributes it keeps).
pub(crate) fn lead_item(key: Key, lead: &Lead, org_id: &str, livemode: bool, dedupe_sk: &str) -> StoreResult<Item> {
    let view = view_partition(org_id, livemode);
    let company = lead.company.as_ref().and_then(|c| c.name.as_deref());
    Ok(Item::from_record(key, lead)?
        .with(GSI1_PK, view.as_str())
        .with(GSI1_SK, created_sort_key(lead.created_at, &lead.id))
        .with(GSI2_PK, view.as_str())
        .with(GSI2_SK, score_sort_key(lead.lead_score, lead.created_at, &lead.id))
        .with(GSI3_PK, view)
        .with(GSI3_SK, company_sort_key(company, &lead.id))
        .with(DEDUPE_SK, dedupe_sk)
        .with("livemode", json!(livemode)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_keys_sort_by_words() {
        let acme = company_sort_key(Some("Acme"), "lead_2");
        let acme_corp = company_sort_key(Some("ACME Corp."), "lead_1");
        let bolt = company_sort_key(Some("Bölt GmbH"), "lead_0");
        assert!(acme < acme_corp && acme_corp < bolt, "{acme} {acme_corp} {bolt}");
        assert!(bolt.starts_with("bolt-gmbh#"));
        assert!(company_sort_key(None, "lead_9") > bolt);
        assert!(company_sort_key(Some("!!!"), "lead_9").starts_with(NO_COMPANY));
    }

    #[test]
    fn score_keys_sort_numerically_and_unscored_last() {
        let at = Timestamp::parse("2026-11-01T00:00:00.000Z").unwrap();
        let nine = score_sort_key(Some(9), at, "lead_1");
        let seventy = score_sort_key(Some(70), at, "lead_1");
        let hundred = score_sort_key(Some(100), at, "lead_1");
        assert!(nine < seventy && seventy < hundred);
        assert!(score_sort_key(None, at, "lead_1") < nine);
    }
}
