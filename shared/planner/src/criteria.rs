//! The structured reading of a research request: who to look for, where, how many, and what to add.
//!
//! Every planner fills a [`Criteria`]; it travels with the plan so a client can see how its words
//! were understood. Collections are always deduplicated and kept in a fixed order (documented on
//! each field), so two readings of the same request compare equal whatever the phrasing order.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Attachment;

/// The structured reading of a request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Criteria {
    /// Industry slugs, sorted alphabetically: the vocabulary's canonical slug where the request
    /// names a known industry exactly (`fintech`, `healthcare`, `devtools`, `ai_infra`, …), and
    /// otherwise the phrase as written, lowercase, accents and punctuation dropped, words joined by
    /// `_` and not singularised ("retail banks" is `retail_banks`, "healthtech" is `healthtech`,
    /// not `healthcare`).
    pub industries: Vec<String>,
    /// ISO 3166-1 alpha-2 country codes (`FR`, `US`, …), sorted alphabetically. Regions such as
    /// `EU` or `DACH` are expanded to their member countries, or to the members the request lists
    /// ("LATAM (Mexico, Colombia and Chile)" is `CL`, `CO`, `MX`); a named city, state or province
    /// adds its country.
    pub countries: Vec<String>,
    /// US states (and DC) and Canadian provinces and territories, as ISO 3166-2 codes (`US-TX`,
    /// `CA-ON`), sorted alphabetically. Each one's country is also in `countries`, and narrows that
    /// country alone: `countries` `DE`, `US` with `regions` `US-TX` means Germany or Texas. Plans
    /// drafted before regions were read have none.
    // Stored plans from before the field read it as empty; answers always carry it.
    #[serde(default)]
    #[schema(required = true)]
    pub regions: Vec<String>,
    /// City names in English (`Berlin`, `New York`), sorted alphabetically. Each city's country is
    /// also in `countries`.
    pub cities: Vec<String>,
    /// Funding stages, any of which qualifies a company, in stage order (pre-seed first, public last).
    /// A range lists every stage in it: "seed to Series B" is `seed`, `series_a`, `series_b`, and
    /// "Series C+" or "Series C or later" runs through `growth` (public only when asked for).
    pub funding_stages: Vec<FundingStage>,
    /// Company size in employees, bounds inclusive; `None` when no size was given.
    pub company_headcount: Option<HeadcountRange>,
    /// Minimum and/or maximum size of a department ("20+ engineers"), one entry per department, in
    /// [`Department`] order.
    pub department_headcounts: Vec<DepartmentHeadcount>,
    /// People to find at each company, one person per role, ordered by seniority (C-level first),
    /// then department, then title.
    pub roles: Vec<Role>,
    /// Skills or experience the people must have (`python`), lowercase slugs, sorted alphabetically.
    pub skills: Vec<String>,
    /// Technologies the companies must use (`snowflake`, `kubernetes`), lowercase slugs, sorted alphabetically.
    pub technologies: Vec<String>,
    /// Buying signals a company must show (hiring for a role, a recent funding round), ordered by
    /// kind, then role title, then time window.
    pub signals: Vec<Signal>,
    /// Largest number of rows asked for (stated in the request or sent as a hint), at most 10,000;
    /// `None` when the request does not say (the planner then assumes its default row count).
    pub max_rows: Option<u32>,
    /// Largest credit cost the plan may have ("under 100 credits" reads as 99); `None` for no budget.
    pub max_credits: Option<u64>,
    /// The file format asked for; `None` means the default artifact (CSV).
    pub output_format: Option<OutputFormat>,
    /// Sources to favour (lowercase slugs such as `linkedin` or `websearch`), in the order they
    /// were first asked for: the order a job reads them in.
    pub preferred_sources: Vec<String>,
    /// Sources not to use ("skip Crunchbase"), sorted alphabetically. A source is never in both lists.
    pub excluded_sources: Vec<String>,
    /// Deep-enrich dimensions asked for as output ("add funding stage and tech stack"), in
    /// [`EnrichDimension`] order.
    pub enrich: Vec<EnrichDimension>,
    /// Whether the people's work emails are verified. On by default when people are requested,
    /// off when no people are requested or when the user turns it off.
    pub verify_emails: bool,
    /// Attached seed lists: a `csv` of companies to enrich instead of discovering, or a `url_list`
    /// to scrape. Deduplicated, CSV lists first, then by URL.
    pub seed: Vec<Attachment>,
    /// Words and phrases of the request the planner did not read into any field, as written, in
    /// the order they appear (earlier turns of a refined request first), each once. Small words
    /// ("the", "with", "find") are not listed. A plan with unread words names them in its reply,
    /// so they can be rephrased before the plan is approved. Plans stored before this field read
    /// it as empty.
    // Stored plans from before the field read it as empty; answers always carry it.
    #[serde(default)]
    #[schema(required = true)]
    pub unread: Vec<String>,
}

/// A company's funding stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FundingStage {
    PreSeed,
    Seed,
    SeriesA,
    SeriesB,
    SeriesC,
    SeriesD,
    /// Series E or any later lettered round.
    SeriesEPlus,
    /// Late-stage or growth rounds without a letter, pre-IPO.
    Growth,
    /// Listed on a stock exchange.
    Public,
}

/// An inclusive range of people; either bound may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct HeadcountRange {
    /// Smallest acceptable count, inclusive.
    pub min: Option<u32>,
    /// Largest acceptable count, inclusive.
    pub max: Option<u32>,
}

/// A size constraint on one department ("at least 20 engineers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct DepartmentHeadcount {
    /// Which department is counted.
    pub department: Department,
    /// Smallest acceptable count, inclusive.
    pub min: Option<u32>,
    /// Largest acceptable count, inclusive.
    pub max: Option<u32>,
}

/// A person to find at each company. Published as `TargetRole`: `Role` is a message's author.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[schema(as = TargetRole)]
pub struct Role {
    /// The canonical job title, e.g. `VP Engineering`, `Head of Growth`, `CTO`, `Staff Engineer`.
    pub title: String,
    /// How senior the role is.
    pub seniority: Seniority,
    /// The department the role belongs to.
    pub department: Department,
}

/// Seniority levels, most senior first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Seniority {
    CLevel,
    Vp,
    Head,
    Director,
    Manager,
    IndividualContributor,
}

/// Departments a role or a headcount can belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    Executive,
    Engineering,
    Data,
    Product,
    Design,
    Security,
    Growth,
    Marketing,
    Sales,
    CustomerSuccess,
    Operations,
    Finance,
    People,
    Legal,
    /// An area none of the others covers ("Head of Developer Relations", "Chief Medical Officer").
    Other,
}

impl Department {
    /// The department's name as used in job titles ("Head of Customer Success").
    pub fn label(self) -> &'static str {
        match self {
            Department::Executive => "Executive",
            Department::Engineering => "Engineering",
            Department::Data => "Data",
            Department::Product => "Product",
            Department::Design => "Design",
            Department::Security => "Security",
            Department::Growth => "Growth",
            Department::Marketing => "Marketing",
            Department::Sales => "Sales",
            Department::CustomerSuccess => "Customer Success",
            Department::Operations => "Operations",
            Department::Finance => "Finance",
            Department::People => "People",
            Department::Legal => "Legal",
            Department::Other => "Other",
        }
    }
}

/// A buying signal a company must show.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct Signal {
    /// What kind of signal.
    pub kind: SignalKind,
    /// For `hiring`: the role being hired for ("Staff Engineer"); `None` for hiring in general.
    pub role: Option<Role>,
    /// Only events in the last this-many days count ("in the last 6 months" is 180); `None` when
    /// no window was stated.
    pub within_days: Option<u32>,
}

/// Kinds of buying signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// The company has open job postings (for a role, if given).
    Hiring,
    /// The company announced a funding round (recently, or within the window).
    Funding,
}

/// Deep-enrich dimensions, each billed per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnrichDimension {
    /// Open roles and hiring activity.
    Hiring,
    /// Technologies the company uses.
    TechStack,
    /// Funding stage, last round date and amount.
    Funding,
    /// Recent news and press mentions.
    News,
}

/// Output file formats a request may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    Csv,
    Json,
    Xlsx,
}

impl Criteria {
    /// Puts every collection in its documented order and removes duplicates.
    pub fn normalize(&mut self) {
        sort_dedup(&mut self.industries);
        sort_dedup(&mut self.countries);
        sort_dedup(&mut self.regions);
        sort_dedup(&mut self.cities);
        sort_dedup(&mut self.funding_stages);
        self.department_headcounts.sort_by_key(|d| d.department);
        self.department_headcounts.dedup_by_key(|d| d.department);
        self.roles.sort_by(|a, b| role_order(a).cmp(&role_order(b)));
        self.roles.dedup();
        sort_dedup(&mut self.skills);
        sort_dedup(&mut self.technologies);
        self.signals.sort_by(|a, b| signal_order(a).cmp(&signal_order(b)));
        self.signals.dedup();
        // Kept in the order asked (a job reads its sources in it); only repeats go.
        let mut seen = std::collections::HashSet::new();
        self.preferred_sources.retain(|s| seen.insert(s.clone()));
        sort_dedup(&mut self.excluded_sources);
        sort_dedup(&mut self.enrich);
        self.seed.sort_by(|a, b| seed_order(a).cmp(&seed_order(b)));
        self.seed.dedup();
        // Kept in prompt order; repeats (whatever their case) go.
        let mut seen_unread = std::collections::HashSet::new();
        self.unread.retain(|phrase| seen_unread.insert(phrase.to_lowercase()));
    }
}

fn sort_dedup<T: Ord>(items: &mut Vec<T>) {
    items.sort();
    items.dedup();
}

/// Roles sort by seniority, then department, then title.
type RoleKey<'a> = (Seniority, Department, &'a str);

fn role_order(role: &Role) -> RoleKey<'_> {
    (role.seniority, role.department, role.title.as_str())
}

fn signal_order(signal: &Signal) -> (SignalKind, Option<RoleKey<'_>>, Option<u32>) {
    (signal.kind, signal.role.as_ref().map(role_order), signal.within_days)
}

fn seed_order(seed: &Attachment) -> (u8, &str) {
    let kind = match seed.kind {
        super::AttachmentKind::Csv => 0,
        super::AttachmentKind::UrlList => 1,
    };
    (kind, seed.url.as_str())
}
