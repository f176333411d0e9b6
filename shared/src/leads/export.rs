//! Lead exports (`POST /v1/leads/export`, `GET /v1/exports/{id}`): the organization's leads that
//! pass a filter, written as CSV or JSON with the columns the user picks, for download.
//!
//! An export is work for the step worker, not for the request: the API stores the export record
//! (`processing`) and enqueues it; the worker reads the leads page by page (newest first, at most
//! [`MAX_EXPORT_ROWS`]), writes the file and marks the record `completed` (or `failed`, with why).
//! Re-running it rewrites the same file, so a redelivered task is harmless. A completed export
//! hands out a fresh signed download link on every read. Records expire after
//! [`EXPORT_RETENTION_DAYS`]; the files under `exports/` are removed by the bucket's lifecycle rule
//! on AWS (the embedded store keeps them).

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::render::{Cell, CsvFile};
use super::store::{LeadFilter, LeadSort, LeadStore};
use super::Lead;
use super::DOWNLOAD_URL_LIFETIME;
use crate::accounts::org_partition;
use crate::ids::{new_id, prefix};
use crate::tasks::Task;
use quarry_ports::clock::Timestamp;
use quarry_ports::{BlobKey, Blobs, Condition, Item, Key, Order, Queue, StoreError, StoreResult, Table, Update};

/// Sort-key prefix of export records in the organization's partition.
const EXPORT_SK: &str = "EXP#";
/// Most leads one export writes; the record says when there were more.
pub const MAX_EXPORT_ROWS: usize = 50_000;
/// How long an export record (and, on AWS, its file) is kept.
pub const EXPORT_RETENTION_DAYS: i64 = 7;

/// The columns an export can have, in their default order.
pub const EXPORT_FIELDS: [&str; 28] = [
    "id",
    "job_id",
    "full_name",
    "first_name",
    "last_name",
    "job_title",
    "seniority",
    "department",
    "email",
    "phone",
    "linkedin_url",
    "twitter_url",
    "facebook_url",
    "company_name",
    "company_domain",
    "company_city",
    "company_country",
    "company_size",
    "company_phone",
    "lead_score",
    "lead_status",
    "signals_detected",
    "qualification_notes",
    "confidence",
    "source_url",
    "tags",
    "custom_notes",
    "created_at",
];

/// File format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    pub fn parse(raw: &str) -> Option<ExportFormat> {
        match raw {
            "csv" => Some(ExportFormat::Csv),
            "json" => Some(ExportFormat::Json),
            _ => None,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
        }
    }
}

/// Where an export is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    Processing,
    Completed,
    Failed,
}

/// The export object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Export {
    pub id: String,
    /// The same ID, under the name other lead APIs use.
    pub export_id: String,
    #[schema(example = "export")]
    pub object: String,
    pub status: ExportStatus,
    pub format: ExportFormat,
    /// The columns, in order.
    pub fields: Vec<String>,
    #[schema(value_type = Object)]
    pub filters: LeadFilter,
    /// Leads written (`null` while processing).
    pub total_leads: Option<u64>,
    /// More leads matched than an export holds ([`MAX_EXPORT_ROWS`]): narrow the filters.
    pub truncated: bool,
    /// A signed link to the file, valid 4 hours (`null` until completed).
    pub download_url: Option<String>,
    pub expires_at: Option<Timestamp>,
    /// Why it failed.
    pub error: Option<String>,
    pub livemode: bool,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

fn export_key(org_id: &str, export_id: &str) -> Key {
    Key::new(org_partition(org_id), format!("{EXPORT_SK}{export_id}"))
}

fn file_key(org_id: &str, export: &Export) -> StoreResult<BlobKey> {
    BlobKey::parse(&format!("exports/{org_id}/{}.{}", export.id, export.format.extension()))
}

/// Exports of the organization's leads.
pub struct Exports<'a> {
    pub table: &'a dyn Table,
    pub blobs: &'a dyn Blobs,
    pub steps: &'a dyn Queue,
}

/// The idempotency step of creating an export.
const STEP_CREATE: &str = "export";

impl Exports<'_> {
    /// Records a new export and hands it to the worker. `fields` must be known columns.
    pub async fn create(
        &self,
        org_id: &str,
        livemode: bool,
        format: ExportFormat,
        filters: LeadFilter,
        fields: Vec<String>,
        now: Timestamp,
    ) -> StoreResult<Export> {
        if let Some(export) = crate::idempotency::recovered(STEP_CREATE) {
            return Ok(export);
        }
        let id = new_id(prefix::EXPORT);
        let export = Export {
            export_id: id.clone(),
            id,
            object: "export".into(),
            status: ExportStatus::Processing,
            format,
            fields,
            filters,
            total_leads: None,
            truncated: false,
            download_url: None,
            expires_at: None,
            error: None,
            livemode,
            created_at: now,
            completed_at: None,
        };
        let expiry = now.unix() + EXPORT_RETENTION_DAYS * 86_400;
        let item = Item::from_record(export_key(org_id, &export.id), &export)?.expires_at(expiry);
        crate::idempotency::put_with_outcome(self.table, item, Condition::Absent, STEP_CREATE, &export).await?;
        let task = Task::ExportLeads { org_id: org_id.into(), export_id: export.id.clone() };
        self.steps.send(&task.to_body(), std::time::Duration::ZERO).await?;
        Ok(export)
    }

    /// An export of the organization's `livemode` view, with a fresh download link once completed.
    pub async fn get(&self, org_id: &str, livemode: bool, export_id: &str) -> StoreResult<Option<Export>> {
        let Some(item) = self.table.get(&export_key(org_id, export_id)).await? else { return Ok(None) };
        let mut export: Export = item.to_record()?;
        if export.livemode != livemode {
            return Ok(None);
        }
        if export.status == ExportStatus::Completed {
            let link = self.blobs.signed_url(&file_key(org_id, &export)?, DOWNLOAD_URL_LIFETIME).await?;
            export.download_url = Some(link.url);
            export.expires_at = Some(link.expires_at.into());
        }
        Ok(Some(export))
    }

    /// Writes an export's file and completes it (the worker's task). Idempotent.
    pub async fn run(&self, org_id: &str, export_id: &str, now: Timestamp) -> StoreResult<()> {
        let key = export_key(org_id, export_id);
        let Some(item) = self.table.get(&key).await? else { return Ok(()) }; // expired or never made
        let export: Export = item.to_record()?;
        if export.status != ExportStatus::Processing {
            return Ok(());
        }
        let (bytes, total, truncated) = self.render_matching(org_id, &export).await?;
        self.blobs.put(&file_key(org_id, &export)?, Bytes::from(bytes), export.format.content_type()).await?;
        let update = Update::new()
            .set("status", json!(ExportStatus::Completed))
            .set("total_leads", total as u64)
            .set("truncated", truncated)
            .set("completed_at", now.to_string());
        match self.table.update(&key, update, Condition::equals("status", json!(ExportStatus::Processing))).await {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Marks an export `failed` with `reason` (after its task kept failing).
    pub async fn fail(&self, org_id: &str, export_id: &str, reason: &str, now: Timestamp) -> StoreResult<()> {
        let update = Update::new().set("status", json!(ExportStatus::Failed)).set("error", reason).set("completed_at", now.to_string());
        match self.table.update(&export_key(org_id, export_id), update, Condition::equals("status", json!(ExportStatus::Processing))).await
        {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The export's file, its leads newest first, written a page at a time (no more than a page
    /// of leads is held), with how many rows it has and whether more leads matched than it holds.
    async fn render_matching(&self, org_id: &str, export: &Export) -> StoreResult<(Vec<u8>, usize, bool)> {
        let store = LeadStore::new(self.table);
        let mut file = ExportFile::new(export);
        let (mut rows, mut cursor) = (0, None);
        loop {
            let (page, next) = store.list(org_id, export.livemode, &export.filters, LeadSort::CreatedAt, Order::Desc, 100, cursor).await?;
            for lead in &page {
                if rows == MAX_EXPORT_ROWS {
                    return Ok((file.finish(), rows, true));
                }
                file.row(export, lead);
                rows += 1;
            }
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok((file.finish(), rows, false)),
            }
        }
    }
}

/// An export's file being written: CSV (formula-safe, as job artifacts) or a JSON array of
/// objects, each with the export's columns in order.
enum ExportFile {
    // Boxed: the CSV writer's buffer state is far larger than a `Vec`.
    Csv(Box<CsvFile>),
    Json(Vec<u8>),
}

impl ExportFile {
    fn new(export: &Export) -> Self {
        match export.format {
            ExportFormat::Csv => ExportFile::Csv(Box::new(CsvFile::new(&export.fields))),
            ExportFormat::Json => ExportFile::Json(b"[".to_vec()),
        }
    }

    fn row(&mut self, export: &Export, lead: &Lead) {
        match self {
            ExportFile::Csv(file) => file.row(&export.fields.iter().map(|name| cell(field_value(lead, name))).collect::<Vec<_>>()),
            ExportFile::Json(bytes) => {
                if bytes.len() > 1 {
                    bytes.push(b',');
                }
                // serde_json keeps keys sorted; the columns' order is in `fields`.
                let object: Map<String, Value> = export.fields.iter().map(|name| (name.clone(), field_value(lead, name))).collect();
                serde_json::to_writer(&mut *bytes, &Value::Object(object)).expect("JSON values serialise");
            }
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            ExportFile::Csv(file) => file.finish(),
            ExportFile::Json(mut bytes) => {
                bytes.push(b']');
                bytes
            }
        }
    }
}

/// A JSON value as one CSV cell: lists joined with `; `.
fn cell(value: Value) -> Cell {
    match value {
        Value::Null => Cell::Empty,
        Value::Number(n) => n.as_f64().map_or(Cell::Empty, Cell::Number),
        Value::String(s) if s.is_empty() => Cell::Empty,
        Value::String(s) => Cell::Text(s),
        Value::Bool(b) => Cell::Text(b.to_string()),
        Value::Array(items) if items.is_empty() => Cell::Empty,
        Value::Array(items) => {
            Cell::Text(items.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect::<Vec<_>>().join("; "))
        }
        other => Cell::Text(other.to_string()),
    }
}

/// The value of one export column (see [`EXPORT_FIELDS`]) for a lead; `null` when unknown.
pub fn field_value(lead: &Lead, name: &str) -> Value {
    let person = lead.person.as_ref();
    let company = lead.company.as_ref();
    let text = |v: Option<&String>| v.map_or(Value::Null, |s| Value::String(s.clone()));
    match name {
        "id" => json!(lead.id),
        "job_id" => json!(lead.job_id),
        "full_name" => text(person.and_then(|p| p.full_name.as_ref())),
        "first_name" => text(person.and_then(|p| p.first_name.as_ref())),
        "last_name" => text(person.and_then(|p| p.last_name.as_ref())),
        "job_title" => text(person.and_then(|p| p.title.as_ref())),
        "seniority" => text(person.and_then(|p| p.seniority.as_ref())),
        "department" => text(person.and_then(|p| p.department.as_ref())),
        "email" => text(person.and_then(|p| p.email.as_ref()))
            .as_str()
            .map(|e| json!(e))
            .or_else(|| lead.fields.get("emails").and_then(|v| v.get(0)).cloned())
            .unwrap_or(Value::Null),
        "phone" => text(person.and_then(|p| p.phone.as_ref()).or(company.and_then(|c| c.phone.as_ref()))),
        "linkedin_url" => text(person.and_then(|p| p.linkedin.as_ref()).or(company.and_then(|c| c.linkedin.as_ref()))),
        "twitter_url" => social(lead, &["x", "twitter"]),
        "facebook_url" => social(lead, &["facebook"]),
        "company_name" => text(company.and_then(|c| c.name.as_ref())),
        "company_domain" => text(company.and_then(|c| c.domain.as_ref())),
        "company_city" => text(company.and_then(|c| c.hq_city.as_ref())),
        "company_country" => text(company.and_then(|c| c.hq_country.as_ref())),
        "company_size" => company.and_then(|c| c.employee_count).map_or(Value::Null, |n| json!(n)),
        "company_phone" => text(company.and_then(|c| c.phone.as_ref())),
        "lead_score" => lead.lead_score.map_or(Value::Null, |s| json!(s)),
        "lead_status" => lead.lead_status.map_or(Value::Null, |s| json!(s)),
        "signals_detected" => json!(lead.signals_detected),
        "qualification_notes" => json!(lead.qualification_notes),
        "confidence" => json!(lead.confidence),
        "source_url" => lead.sources.iter().find_map(|s| s.url.clone()).map_or(Value::Null, Value::String),
        "tags" => json!(lead.tags),
        "custom_notes" => text(lead.custom_notes.as_ref()),
        "created_at" => json!(lead.created_at.to_string()),
        _ => Value::Null,
    }
}

/// A social profile the lead's company states (`fields.social.<network>`).
fn social(lead: &Lead, networks: &[&str]) -> Value {
    let profiles = lead.fields.get("social");
    networks.iter().find_map(|n| profiles.and_then(|p| p.get(*n)).cloned()).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leads::{Company, Person};

    fn lead() -> Lead {
        Lead {
            id: "lead_1".into(),
            object: "lead".into(),
            job_id: "job_1".into(),
            company: Some(Company { name: Some("=Acme".into()), domain: Some("acme.example".into()), ..Company::default() }),
            person: Some(Person { full_name: Some("Ann Lee".into()), phone: Some("+33142000000".into()), ..Person::default() }),
            fields: serde_json::from_value(json!({"emails": ["info@acme.example"], "social": {"x": "https://x.com/acme"}})).unwrap(),
            sources: vec![],
            confidence: 0.8,
            lead_score: Some(72),
            lead_status: Some(crate::leads::score::LeadStatus::Hot),
            signals_detected: vec!["hiring".into(), "growth".into()],
            qualification_notes: vec![],
            custom_notes: None,
            tags: vec!["q1".into()],
            created_at: Timestamp::parse("2026-11-01T00:00:00Z").unwrap(),
            updated_at: None,
        }
    }

    fn export(format: ExportFormat, fields: &[&str]) -> Export {
        Export {
            id: "exp_1".into(),
            export_id: "exp_1".into(),
            object: "export".into(),
            status: ExportStatus::Processing,
            format,
            fields: fields.iter().map(|f| f.to_string()).collect(),
            filters: LeadFilter::default(),
            total_leads: None,
            truncated: false,
            download_url: None,
            expires_at: None,
            error: None,
            livemode: true,
            created_at: Timestamp::parse("2026-11-01T00:00:00Z").unwrap(),
            completed_at: None,
        }
    }

    /// The file of `leads`, written row by row as the worker writes it.
    fn render(export: &Export, leads: &[Lead]) -> Vec<u8> {
        let mut file = ExportFile::new(export);
        for lead in leads {
            file.row(export, lead);
        }
        file.finish()
    }

    #[test]
    fn a_json_file_of_several_pages_is_one_array() {
        let export = export(ExportFormat::Json, &["tags"]);
        assert_eq!(serde_json::from_slice::<Value>(&render(&export, &[])).unwrap(), json!([]));
        let rows: Value = serde_json::from_slice(&render(&export, &[lead(), lead(), lead()])).unwrap();
        assert_eq!(rows, json!([{"tags": ["q1"]}, {"tags": ["q1"]}, {"tags": ["q1"]}]));
    }

    #[test]
    fn csv_has_the_chosen_columns_in_order_and_is_formula_safe() {
        let csv = String::from_utf8(render(
            &export(ExportFormat::Csv, &["company_name", "email", "lead_score", "signals_detected", "phone"]),
            &[lead()],
        ))
        .unwrap();
        assert_eq!(
            csv,
            "company_name,email,lead_score,signals_detected,phone\r\n'=Acme,info@acme.example,72,hiring; growth,'+33142000000\r\n"
        );
    }

    #[test]
    fn json_objects_carry_the_chosen_fields() {
        let bytes = render(&export(ExportFormat::Json, &["twitter_url", "tags", "custom_notes"]), &[lead()]);
        let rows: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(rows, json!([{"twitter_url": "https://x.com/acme", "tags": ["q1"], "custom_notes": null}]));
    }

    #[test]
    fn every_field_is_known() {
        let lead = lead();
        for name in EXPORT_FIELDS {
            let _ = field_value(&lead, name); // no panic, and the names are unique:
            assert_eq!(EXPORT_FIELDS.iter().filter(|n| **n == name).count(), 1, "{name}");
        }
    }
}
