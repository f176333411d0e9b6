//! Artifacts: the deliverable of a job, one per job. The CSV and the JSON lead list are written
//! to `Blobs` when the job ends; XLSX is rendered on first request and cached beside them. The
//! record lists every file in `blob_keys`, and a pointer from the thread makes the delete cascade
//! remove them with the thread.
//!
//! Files are kept for a retention period after they are written (90 days by default: the
//! bucket's lifecycle rule on AWS, the local server's sweep), while the leads they were made from
//! stay in the table. The record notes when each file was written (`files_written`), so a request
//! for a file older than the retention renders it again from the job's leads instead of handing
//! out a link to a file that may be gone.
//!
//! An artifact the organization marks `shareable` is readable with its publishable (`pk_pub_`)
//! keys: while it is, the record sits in `gsi1` under `ARTSHARE#<org>#<live|test>` (see
//! [`super::catalog`]). Rewriting the record (the end of a job, a replayed export) updates only the
//! fields it writes, so the flag and its index entry survive it.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ArtifactRef, Job};
use crate::accounts::org_partition;
use crate::leads::render;
use crate::leads::store::{job_data_partition, LEAD_SK};
use crate::leads::Lead;
use crate::ownership::BLOB_KEYS;
use crate::plans::Plan;
use quarry_planner::MAX_ROWS;
use quarry_ports::clock::Timestamp;
use quarry_ports::{BlobKey, Blobs, Condition, Item, Key, Query, StoreError, StoreResult, Table, Update, WriteOp};

pub(crate) const ARTIFACT_SK: &str = "ART#";
/// Per format (`csv`, `json`, `xlsx`), when its file was last written (Unix seconds).
const FILES_WRITTEN: &str = "files_written";
/// The mode of the job, stored on the record (records written before it carry none: their job
/// says).
pub(crate) const LIVEMODE: &str = "livemode";
/// The record's flag, the one field a rewrite never sets.
pub(crate) const SHAREABLE: &str = "shareable";

/// Days an artifact file is kept after it is written, unless configured otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

/// A retention of `days` days.
pub fn retention(days: u32) -> std::time::Duration {
    std::time::Duration::from_secs(u64::from(days) * 86_400)
}

/// A file format an artifact can be downloaded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Json,
    Xlsx,
}

impl Format {
    /// The `format` parameter of an artifact read; absent is CSV.
    pub fn parse_param(raw: Option<&str>) -> crate::error::ResearchResult<Format> {
        match raw {
            None => Ok(Format::Csv),
            Some(raw) => Format::parse(raw)
                .ok_or_else(|| crate::error::ResearchError::invalid("format", format!("`format` must be csv, json or xlsx; got `{raw}`."))),
        }
    }

    pub fn parse(raw: &str) -> Option<Format> {
        match raw {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Format::Csv => "leads.csv",
            Format::Json => "leads.json",
            Format::Xlsx => "leads.xlsx",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The artifact object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Artifact {
    pub id: String,
    #[schema(example = "artifact")]
    pub object: String,
    pub job_id: String,
    pub thread_id: String,
    /// The format `download_url` serves.
    pub format: Format,
    /// Data rows (one per company; people are columns).
    pub rows: u64,
    /// Size of the CSV file.
    pub bytes: u64,
    pub columns: Vec<String>,
    /// A signed link, valid 4 hours; fetch the artifact again for a fresh one.
    pub download_url: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// Whether the organization's publishable (`pk_pub_`) keys of the artifact's mode may list
    /// and read it (`PATCH /v1/artifacts/{id}`); false until set.
    #[serde(default)]
    pub shareable: bool,
}

/// The artifact ID of a job: fixed by the job, so a replayed export rewrites the same artifact.
pub fn artifact_id(job_id: &str) -> String {
    format!("art_{}", job_id.trim_start_matches("job_"))
}

/// The job an artifact ID belongs to (the inverse of [`artifact_id`]); `None` for a malformed ID.
pub fn job_of(artifact_id: &str) -> Option<String> {
    let rest = artifact_id.strip_prefix("art_")?;
    let job_id = format!("job_{rest}");
    crate::ids::has_prefix(&job_id, crate::ids::prefix::JOB).then_some(job_id)
}

pub(crate) fn artifact_key(org_id: &str, artifact_id: &str) -> Key {
    Key::new(org_partition(org_id), format!("{ARTIFACT_SK}{artifact_id}"))
}

fn blob_key(org_id: &str, artifact_id: &str, format: Format) -> StoreResult<BlobKey> {
    BlobKey::parse(&format!("artifacts/{org_id}/{artifact_id}/{}", format.file_name()))
}

/// The plan's columns, in step order, without repeats.
/// The columns a plan's steps expect, in order, each once.
pub(super) fn plan_columns(plan: &Plan) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for column in plan.steps.iter().flat_map(|s| s.expected_columns.iter()) {
        if !columns.contains(column) {
            columns.push(column.clone());
        }
    }
    columns
}

/// Writes the job's artifact from its leads (at most 10,000 rows), the plan's `columns` first,
/// and returns its summary. The record is updated rather than replaced, so what the user set on
/// it (`shareable`, and with it the record's place in the shared index) outlives a rewrite.
pub(super) async fn write(table: &dyn Table, blobs: &dyn Blobs, org_id: &str, job: &Job, columns: &[String]) -> StoreResult<ArtifactRef> {
    let id = artifact_id(&job.id);
    let written = write_files(table, blobs, org_id, &job.id, columns, &[Format::Csv, Format::Json]).await?;
    let (csv_key, json_key) = (blob_key(org_id, &id, Format::Csv)?, blob_key(org_id, &id, Format::Json)?);
    let bytes = written.csv_bytes;
    let now: Timestamp = job.updated_at;
    let artifact = Artifact {
        id: id.clone(),
        object: "artifact".into(),
        job_id: job.id.clone(),
        thread_id: job.thread_id.clone(),
        format: Format::Csv,
        rows: written.rows,
        bytes,
        columns: written.columns,
        download_url: None,
        expires_at: None,
        created_at: now,
        shareable: false,
    };
    let mut fields = Item::from_record(artifact_key(org_id, &id), &artifact)?.attrs;
    fields.remove(SHAREABLE);
    let update = fields
        .into_iter()
        .fold(Update::new(), |update, (name, value)| update.set(&name, value))
        .set(LIVEMODE, job.livemode)
        .set(BLOB_KEYS, serde_json::json!([csv_key.as_str(), json_key.as_str()]))
        .set(FILES_WRITTEN, serde_json::json!({"csv": now.unix(), "json": now.unix()}));
    let pointer = crate::ownership::pointer_op(org_id, &job.thread_id, &format!("{ARTIFACT_SK}{id}"));
    table.transact(vec![WriteOp::Update { key: artifact_key(org_id, &id), update, condition: Condition::None }, pointer]).await?;
    Ok(ArtifactRef { id, rows: artifact.rows, bytes })
}

/// Leads read per page while the files are written.
const PAGE_LEADS: usize = 250;

/// The job's leads a page at a time, in discovery order, each page read while the one before
/// is being rendered (the read runs on the store's thread, the rendering on the caller's).
struct LeadPages<'a> {
    table: &'a dyn Table,
    query: Query,
    next: Option<NextPage<'a>>,
}

type NextPage<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = StoreResult<(Vec<Lead>, Option<String>)>> + Send + 'a>>;

impl<'a> LeadPages<'a> {
    fn new(table: &'a dyn Table, org_id: &str, job_id: &str) -> Self {
        let query = Query::partition(job_data_partition(org_id, job_id)).prefix(LEAD_SK).limit(PAGE_LEADS);
        let mut pages = LeadPages { table, query, next: None };
        pages.next = Some(pages.read(None));
        pages
    }

    /// Reads the page at `cursor`.
    fn read(&self, cursor: Option<String>) -> NextPage<'a> {
        let (table, query) = (self.table, self.query.clone().cursor(cursor));
        Box::pin(async move {
            let page = table.query(query).await?;
            let leads = page.items.into_iter().map(Item::into_record).collect::<StoreResult<_>>()?;
            Ok((leads, page.next_cursor))
        })
    }

    /// The next page, with the one after it already being read.
    async fn next(&mut self) -> StoreResult<Option<Vec<Lead>>> {
        let Some(reading) = self.next.take() else { return Ok(None) };
        let (leads, cursor) = reading.await?;
        if cursor.is_some() {
            let mut ahead = self.read(cursor);
            // Start it now: poll once so its query is on the store's thread while the caller works.
            if let std::task::Poll::Ready(done) = futures_util::poll!(&mut ahead) {
                ahead = Box::pin(std::future::ready(done));
            }
            self.next = Some(ahead);
        }
        Ok(Some(leads))
    }
}

/// What writing a job's files found.
struct Written {
    rows: u64,
    columns: Vec<String>,
    csv_bytes: u64,
}

/// Writes the job's CSV and JSON files (those of `formats`) from its leads, streamed: the leads
/// are read a page at a time and the files go to the blob store as they grow, so nothing held
/// grows with the job but the sheet's layout (a company key and a position per row). The sheet
/// needs its columns before its first row, so the leads are read twice: once to lay the sheet
/// out (and write the JSON), once to write the CSV.
async fn write_files(
    table: &dyn Table,
    blobs: &dyn Blobs,
    org_id: &str,
    job_id: &str,
    columns: &[String],
    formats: &[Format],
) -> StoreResult<Written> {
    let artifact = artifact_id(job_id);
    let mut layout = render::SheetLayout::new(MAX_ROWS as usize);
    let mut json = match formats.contains(&Format::Json) {
        true => Some(blobs.writer(&blob_key(org_id, &artifact, Format::Json)?, Format::Json.content_type()).await?),
        false => None,
    };
    let mut pages = LeadPages::new(table, org_id, job_id);
    let mut first = true;
    while let Some(leads) = pages.next().await? {
        leads.iter().for_each(|lead| layout.observe(lead));
        if let Some(json) = json.as_mut() {
            let mut bytes = Vec::with_capacity(leads.len() * 2048);
            for lead in &leads {
                bytes.push(if std::mem::take(&mut first) { b'[' } else { b',' });
                serde_json::to_writer(&mut bytes, lead).map_err(|e| StoreError::Backend(format!("lead JSON: {e}")))?;
            }
            json.write(Bytes::from(bytes)).await?;
        }
    }
    if let Some(mut json) = json {
        json.write(Bytes::from_static(if first { b"[]" } else { b"]" })).await?;
        json.finish().await?;
    }
    let mut rows = layout.row_writer(columns);
    let mut written = Written { rows: layout.rows() as u64, columns: rows.columns().to_vec(), csv_bytes: 0 };
    if !formats.contains(&Format::Csv) {
        return Ok(written);
    }
    let mut csv = blobs.writer(&blob_key(org_id, &artifact, Format::Csv)?, Format::Csv.content_type()).await?;
    let mut file = render::CsvFile::new(&written.columns);
    let mut pages = LeadPages::new(table, org_id, job_id);
    while let Some(leads) = pages.next().await? {
        for lead in &leads {
            rows.push(lead).iter().for_each(|row| file.row(row));
        }
        csv.write(Bytes::from(file.take())).await?;
    }
    rows.finish().iter().for_each(|row| file.row(row));
    csv.write(Bytes::from(file.take())).await?;
    written.csv_bytes = csv.finish().await?;
    Ok(written)
}

/// The artifact files of an organization's jobs, kept `retention` after they are written.
pub struct Files<'a> {
    pub table: &'a dyn Table,
    pub blobs: &'a dyn Blobs,
    pub retention: std::time::Duration,
}

impl Files<'_> {
    /// An artifact with a fresh signed link to `format`, the file rendered from the job's leads
    /// first when it was never written (XLSX) or is older than the retention. `None` when it does
    /// not exist in the organization.
    pub async fn fetch(&self, org_id: &str, artifact_id: &str, format: Format, now: Timestamp) -> StoreResult<Option<Artifact>> {
        let Some(item) = self.table.get(&artifact_key(org_id, artifact_id)).await? else { return Ok(None) };
        self.fetch_item(org_id, &item, format, now).await.map(Some)
    }

    /// [`Self::fetch`] of an artifact record already read.
    pub(crate) async fn fetch_item(&self, org_id: &str, item: &Item, format: Format, now: Timestamp) -> StoreResult<Artifact> {
        let mut artifact: Artifact = item.to_record()?;
        let artifact_id = artifact.id.clone();
        let artifact_id = artifact_id.as_str();
        let key = blob_key(org_id, artifact_id, format)?;
        let written = item.attrs.get(FILES_WRITTEN).and_then(|files| files.get(format.name())).and_then(serde_json::Value::as_i64);
        // Records written before `files_written` existed: the CSV and JSON date from the artifact.
        let written = written.or_else(|| (format != Format::Xlsx).then(|| artifact.created_at.unix()));
        let kept_until = written.map(|at| at.saturating_add(self.retention.as_secs() as i64));
        if kept_until.is_none_or(|until| now.unix() >= until) {
            self.render_from_leads(org_id, item, &artifact, format, &key, now).await?;
        }
        let link = signed_link(self.blobs, org_id, artifact_id, format).await?;
        artifact.format = format;
        artifact.download_url = Some(link.url);
        artifact.expires_at = Some(link.expires_at.into());
        Ok(artifact)
    }

    /// Writes the artifact's file in `format` from the job's leads (never purged) and notes it on
    /// the record.
    async fn render_from_leads(
        &self,
        org_id: &str,
        item: &Item,
        artifact: &Artifact,
        format: Format,
        key: &BlobKey,
        now: Timestamp,
    ) -> StoreResult<()> {
        if format == Format::Xlsx {
            // An XLSX workbook is built whole in memory (a zip of XML parts), so it is the one file
            // not streamed: rendered on first request, at most 10,000 rows.
            let leads = crate::leads::store::job_leads(self.table, org_id, &artifact.job_id).await?;
            let bytes = render::to_xlsx(&render::tabulate(&artifact.columns, &leads, MAX_ROWS as usize)).map_err(StoreError::Backend)?;
            self.blobs.put(key, Bytes::from(bytes), format.content_type()).await?;
        } else {
            write_files(self.table, self.blobs, org_id, &artifact.job_id, &artifact.columns, &[format]).await?;
        }
        let mut files: Vec<serde_json::Value> = item.attrs.get(BLOB_KEYS).and_then(|v| v.as_array()).cloned().unwrap_or_default();
        if !files.iter().any(|f| f.as_str() == Some(key.as_str())) {
            files.push(key.as_str().into());
        }
        let mut written = item.attrs.get(FILES_WRITTEN).and_then(|v| v.as_object()).cloned().unwrap_or_default();
        written.insert(format.name().into(), now.unix().into());
        let update = Update::new().set(BLOB_KEYS, serde_json::Value::Array(files)).set(FILES_WRITTEN, serde_json::Value::Object(written));
        self.table.update(&item.key, update, Condition::Exists).await.map(drop)
    }
}

/// A fresh signed link to an artifact's file in `format` (CSV and JSON exist from the start).
pub async fn signed_link(blobs: &dyn Blobs, org_id: &str, artifact_id: &str, format: Format) -> StoreResult<quarry_ports::SignedUrl> {
    blobs.signed_url(&blob_key(org_id, artifact_id, format)?, crate::leads::DOWNLOAD_URL_LIFETIME).await
}

/// The bytes of an artifact's file in `format` as stored (`None` when it is not there, e.g. an
/// XLSX never asked for).
pub async fn read_file(blobs: &dyn Blobs, org_id: &str, artifact_id: &str, format: Format) -> StoreResult<Option<Bytes>> {
    Ok(blobs.get(&blob_key(org_id, artifact_id, format)?).await?.map(|blob| blob.bytes))
}
