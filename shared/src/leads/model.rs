//! The lead object: a company and/or a person with the facts found about them, each fact traced to
//! the sources that ground it. One shape for every lead Quarry stores, whether a research job or
//! a URL scrape found it: fields that do not apply are `null`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use quarry_ports::clock::Timestamp;

/// A company as a lead describes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Company {
    pub name: Option<String>,
    /// Registrable domain, lowercase (`spendesk.com`).
    pub domain: Option<String>,
    pub linkedin: Option<String>,
    pub hq_city: Option<String>,
    /// ISO 3166 alpha-2.
    pub hq_country: Option<String>,
    /// Industry slug, as in the plan's criteria.
    pub industry: Option<String>,
    pub employee_count: Option<u32>,
    /// Funding stage slug (`series_a`, …).
    pub funding_stage: Option<String>,
    pub phone: Option<String>,
}

/// A person as a lead describes them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Person {
    /// The role of the request this person fills, as the plan names it (`VP Engineering`); the
    /// artifact's per-role columns are keyed by it. `null` for people found without a role.
    pub role: Option<String>,
    pub full_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    /// `c_level`, `vp`, `head`, `director`, `manager`, `individual_contributor`.
    pub seniority: Option<String>,
    /// Department slug (`engineering`, `growth`, …).
    pub department: Option<String>,
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub linkedin: Option<String>,
}

/// Where a fact came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A page on the open web.
    Web,
    /// A row of a seed file the user attached.
    Seed,
    /// The organization's own lead index.
    Index,
    /// A record of an open database (Wikidata, OpenStreetMap): what it states about a business,
    /// cited by the record's page.
    OpenData,
    /// Generated for a test-mode job: plausible, deterministic, never real.
    Synthetic,
}

/// One source of a lead, naming the fields it grounds (`company.name`, `person.email`,
/// `fields.engineering_headcount`, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Source {
    pub kind: SourceKind,
    /// The page or file, when there is one.
    pub url: Option<String>,
    pub retrieved_at: Timestamp,
    /// The fields this source grounds, as dotted paths.
    pub fields: Vec<String>,
}

/// A lead before it is stored: what sources produce and what dedupe merges.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadDraft {
    pub company: Option<Company>,
    pub person: Option<Person>,
    /// Further facts by name (`engineering_headcount`, `funding_amount`, `tech_stack`, …).
    pub fields: Map<String, Value>,
    pub sources: Vec<Source>,
}

/// The lead object of the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Lead {
    pub id: String,
    #[schema(example = "lead")]
    pub object: String,
    pub job_id: String,
    pub company: Option<Company>,
    pub person: Option<Person>,
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    pub sources: Vec<Source>,
    /// 0–1: source strength and cross-source agreement.
    pub confidence: f64,
    /// 0–100: fit to the request and buying signals (see `leads::score` for the formula).
    #[serde(default)]
    pub lead_score: Option<u8>,
    /// `hot` (≥ 70), `warm` (40–69) or `cold`.
    #[serde(default)]
    pub lead_status: Option<super::score::LeadStatus>,
    /// `hiring`, `recent_funding`, `growth`.
    #[serde(default)]
    pub signals_detected: Vec<String>,
    /// The facts the score rests on, one per note.
    #[serde(default)]
    pub qualification_notes: Vec<String>,
    /// The user's own notes (`PATCH /v1/leads/{id}`); never written by a job.
    #[serde(default)]
    pub custom_notes: Option<String>,
    /// The user's own labels (`PATCH /v1/leads/{id}`); never written by a job.
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: Timestamp,
    /// When the user last changed the lead (`null` until then).
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}
