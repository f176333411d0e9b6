//! Turning a reading into the plan's steps and title.
//!
//! The step order is fixed so each step has what it needs: get companies (discover, or load the
//! seed CSV, or scrape the URL list), enrich them, qualify them against the filters that need
//! enriched data, find the people, verify their emails, export. A step appears only when the
//! reading calls for it, so a plan has between 2 and 7 steps, well under the cap of 12.

use super::super::{
    AttachmentKind, Criteria, EnrichDimension, FundingStage, Intent, OutputFormat, PlanStep, Role, Signal, SignalKind, MAX_STEPS,
};
use super::credits;
use super::vocab;

/// The plan's steps, numbered `stp_1`, `stp_2`, …
pub(super) fn build_steps(criteria: &Criteria) -> Vec<PlanStep> {
    let mut plan = StepList::default();
    companies_step(&mut plan, criteria);
    enrich_step(&mut plan, criteria);
    qualify_step(&mut plan, criteria);
    people_step(&mut plan, criteria);
    verify_step(&mut plan, criteria);
    export_step(&mut plan, criteria);
    plan.steps.truncate(MAX_STEPS);
    plan.steps
}

#[derive(Default)]
struct StepList {
    steps: Vec<PlanStep>,
    /// Every column produced so far, in order; a step lists only the columns it adds.
    columns: Vec<String>,
}

impl StepList {
    fn push(&mut self, intent: Intent, title: String, task: String, columns: Vec<String>) {
        let added: Vec<String> = columns.into_iter().filter(|c| !self.columns.contains(c)).collect();
        self.columns.extend(added.iter().cloned());
        let id = format!("stp_{}", self.steps.len() + 1);
        self.steps.push(PlanStep { id, title, intent, task, expected_columns: added });
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn capture(columns: &[String]) -> String {
    format!("Capture {}.", columns.join(", "))
}

fn companies_step(plan: &mut StepList, criteria: &Criteria) {
    let company_columns = strings(&["company_name", "domain", "hq_city", "hq_country", "industry", "employee_count"]);
    let mut seeded = false;
    for seed in &criteria.seed {
        seeded = true;
        match seed.kind {
            AttachmentKind::Csv => {
                let task = format!(
                    "Read the attached CSV ({}) and match each row to a company and its domain. {}",
                    seed.url,
                    capture(&company_columns)
                );
                plan.push(Intent::Enrich, "Load and match the companies in the attached CSV".to_string(), task, company_columns.clone());
            }
            AttachmentKind::UrlList => {
                let mut columns = strings(&["source_url"]);
                columns.extend(company_columns.iter().cloned());
                let task = format!(
                    "Fetch every page in the attached URL list ({}) and extract the company it describes. {}",
                    seed.url,
                    capture(&columns)
                );
                plan.push(Intent::Scrape, "Scrape the attached URLs".to_string(), task, columns);
            }
        }
    }
    if seeded {
        return;
    }
    let mut columns = company_columns;
    if !criteria.funding_stages.is_empty() || funding_signal(criteria).is_some() {
        columns.extend(strings(&["funding_stage", "funding_amount", "funded_at"]));
    }
    let filters = company_filters(criteria);
    let filter_text = if filters.is_empty() {
        "Search broadly: the request sets no company filter.".to_string()
    } else {
        format!("Filter by {}.", filters.join(", "))
    };
    let task = format!("{filter_text} {}{}", capture(&columns), source_note(criteria));
    plan.push(Intent::Discover, format!("Discover {}", audience_phrase(criteria)), task, columns);
}

/// The company filters discovery can apply, as `key=value` pairs.
fn company_filters(criteria: &Criteria) -> Vec<String> {
    let mut filters = Vec::new();
    let mut add = |key: &str, values: Vec<String>| {
        if !values.is_empty() {
            filters.push(format!("{key}={}", values.join("|")));
        }
    };
    add("industry", criteria.industries.clone());
    add("country", criteria.countries.clone());
    add("region", criteria.regions.clone());
    add("city", criteria.cities.clone());
    add("stage", criteria.funding_stages.iter().map(|s| stage_slug(*s).to_string()).collect());
    if let Some(range) = criteria.company_headcount {
        filters.push(format!("employees{}", range_text(range.min, range.max)));
    }
    if let Some(signal) = funding_signal(criteria) {
        filters.push(match signal.within_days {
            Some(days) => format!("funded_within_days={days}"),
            None => "recently_funded=true".to_string(),
        });
    }
    filters
}

fn range_text(min: Option<u32>, max: Option<u32>) -> String {
    match (min, max) {
        (Some(min), Some(max)) if min == max => format!("={min}"),
        (Some(min), Some(max)) => format!("={min}-{max}"),
        (Some(min), None) => format!(">={min}"),
        (None, Some(max)) => format!("<={max}"),
        (None, None) => "=any".to_string(),
    }
}

fn bound_words(min: Option<u32>, max: Option<u32>) -> String {
    match (min, max) {
        (Some(min), Some(max)) if min == max => format!("exactly {min}"),
        (Some(min), Some(max)) => format!("between {min} and {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => "any number of".to_string(),
    }
}

fn funding_signal(criteria: &Criteria) -> Option<&Signal> {
    criteria.signals.iter().find(|s| s.kind == SignalKind::Funding)
}

fn hiring_signals(criteria: &Criteria) -> impl Iterator<Item = &Signal> {
    criteria.signals.iter().filter(|s| s.kind == SignalKind::Hiring)
}

fn source_note(criteria: &Criteria) -> String {
    let mut note = String::new();
    if !criteria.preferred_sources.is_empty() {
        note.push_str(&format!(" Prefer sources: {}.", criteria.preferred_sources.join(", ")));
    }
    if !criteria.excluded_sources.is_empty() {
        note.push_str(&format!(" Do not use: {}.", criteria.excluded_sources.join(", ")));
    }
    note
}

fn enrich_step(plan: &mut StepList, criteria: &Criteria) {
    let dimensions = credits::billed_dimensions(criteria);
    if dimensions.is_empty() {
        return;
    }
    let names: Vec<&str> = dimensions.iter().map(|d| dimension_name(*d)).collect();
    let details: Vec<String> = dimensions.iter().map(|d| format!("{} ({})", dimension_name(*d), dimension_detail(*d))).collect();
    let columns: Vec<String> = dimensions.iter().flat_map(|d| dimension_columns(*d)).map(|c| c.to_string()).collect();
    let task = format!("For each company, look up {}. {}{}", details.join("; "), capture(&columns), source_note(criteria));
    plan.push(Intent::Enrich, format!("Enrich companies with {}", names.join(", ")), task, columns);
}

fn dimension_name(dimension: EnrichDimension) -> &'static str {
    match dimension {
        EnrichDimension::Hiring => "hiring",
        EnrichDimension::TechStack => "tech stack",
        EnrichDimension::Funding => "funding",
        EnrichDimension::News => "news",
    }
}

fn dimension_detail(dimension: EnrichDimension) -> &'static str {
    match dimension {
        EnrichDimension::Hiring => "open roles from job postings",
        EnrichDimension::TechStack => "technologies in use",
        EnrichDimension::Funding => "stage, last round date and amount",
        EnrichDimension::News => "recent press and announcements",
    }
}

fn dimension_columns(dimension: EnrichDimension) -> &'static [&'static str] {
    match dimension {
        EnrichDimension::Hiring => &["open_roles"],
        EnrichDimension::TechStack => &["tech_stack"],
        EnrichDimension::Funding => &["funding_stage", "last_raised_at", "funding_amount"],
        EnrichDimension::News => &["recent_news"],
    }
}

/// Checks that need enriched data or apply to a seed list: technologies, hiring, department
/// sizes, and for a seed list the company filters too.
fn qualify_step(plan: &mut StepList, criteria: &Criteria) {
    let mut rules = Vec::new();
    let mut columns = Vec::new();
    if !criteria.seed.is_empty() {
        let filters = company_filters(criteria);
        if !filters.is_empty() {
            rules.push(format!("match {}", filters.join(", ")));
        }
    }
    if !criteria.technologies.is_empty() {
        rules.push(format!("use {}", criteria.technologies.join(" or ")));
        columns.push("matched_technologies".to_string());
    }
    for signal in hiring_signals(criteria) {
        let role = signal.role.as_ref().map_or("any role".to_string(), |r| r.title.clone());
        let window = signal.within_days.map_or(String::new(), |d| format!(" posted in the last {d} days"));
        rules.push(format!("have an open posting for {role}{window}"));
        columns.push("hiring_evidence".to_string());
    }
    for size in &criteria.department_headcounts {
        let column = format!("{}_headcount", size.department.label().to_lowercase().replace(' ', "_"));
        rules.push(format!("have {} {} staff", bound_words(size.min, size.max), size.department.label().to_lowercase()));
        columns.push(column);
    }
    if rules.is_empty() {
        return;
    }
    columns.push("fit_reason".to_string());
    let task = format!("Keep only companies that {}. Record why each company fits. {}", rules.join("; "), capture(&columns));
    plan.push(Intent::Qualify, "Qualify companies against the filters".to_string(), task, columns);
}

fn people_step(plan: &mut StepList, criteria: &Criteria) {
    if criteria.roles.is_empty() {
        return;
    }
    let titles: Vec<&str> = criteria.roles.iter().map(|r| r.title.as_str()).collect();
    let columns: Vec<String> = criteria
        .roles
        .iter()
        .flat_map(|r| ["name", "title", "email", "linkedin"].map(|field| format!("{}_{field}", role_slug(r))))
        .collect();
    let skills =
        if criteria.skills.is_empty() { String::new() } else { format!(" Require experience with {}.", criteria.skills.join(", ")) };
    let task =
        format!("At each company, find one person per role: {}.{skills} {}{}", titles.join("; "), capture(&columns), source_note(criteria));
    plan.push(Intent::FindPeople, format!("Find {}", join_and(&titles)), task, columns);
}

fn verify_step(plan: &mut StepList, criteria: &Criteria) {
    if !criteria.verify_emails || criteria.roles.is_empty() {
        return;
    }
    let columns: Vec<String> = criteria.roles.iter().map(|r| format!("{}_email_status", role_slug(r))).collect();
    let task = format!(
        "Check that each work email found is deliverable ({} per row) and mark the ones that bounce. {}",
        criteria.roles.len(),
        capture(&columns)
    );
    plan.push(Intent::Verify, "Verify work emails".to_string(), task, columns);
}

fn export_step(plan: &mut StepList, criteria: &Criteria) {
    let rows = credits::rows(criteria);
    let format = format_name(criteria.output_format.unwrap_or(OutputFormat::Csv));
    let columns = plan.columns.clone();
    let task = format!(
        "Deduplicate by domain, rank by fit, keep at most {rows} rows and write a {format} file with columns {}.",
        columns.join(", ")
    );
    // The export adds no column; it lists the artifact's columns so a client can show them.
    let id = format!("stp_{}", plan.steps.len() + 1);
    plan.steps.push(PlanStep {
        id,
        title: format!("Export up to {rows} rows as {format}"),
        intent: Intent::Export,
        task,
        expected_columns: columns,
    });
}

fn format_name(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Csv => "CSV",
        OutputFormat::Json => "JSON",
        OutputFormat::Xlsx => "XLSX",
    }
}

/// "vp_engineering", "head_of_growth", "cto".
fn role_slug(role: &Role) -> String {
    let mut slug = String::new();
    for c in role.title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    slug.trim_matches('_').to_string()
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn stage_slug(stage: FundingStage) -> &'static str {
    match stage {
        FundingStage::PreSeed => "pre_seed",
        FundingStage::Seed => "seed",
        FundingStage::SeriesA => "series_a",
        FundingStage::SeriesB => "series_b",
        FundingStage::SeriesC => "series_c",
        FundingStage::SeriesD => "series_d",
        FundingStage::SeriesEPlus => "series_e_plus",
        FundingStage::Growth => "growth",
        FundingStage::Public => "public",
    }
}

fn stage_label(stage: FundingStage) -> &'static str {
    match stage {
        FundingStage::PreSeed => "Pre-seed",
        FundingStage::Seed => "Seed",
        FundingStage::SeriesA => "Series A",
        FundingStage::SeriesB => "Series B",
        FundingStage::SeriesC => "Series C",
        FundingStage::SeriesD => "Series D",
        FundingStage::SeriesEPlus => "Series E+",
        FundingStage::Growth => "Growth-stage",
        FundingStage::Public => "Public",
    }
}

/// Every stage, in order.
const STAGE_ORDER: [FundingStage; 9] = [
    FundingStage::PreSeed,
    FundingStage::Seed,
    FundingStage::SeriesA,
    FundingStage::SeriesB,
    FundingStage::SeriesC,
    FundingStage::SeriesD,
    FundingStage::SeriesEPlus,
    FundingStage::Growth,
    FundingStage::Public,
];

/// "Series A", "Seed/Series A", and for three or more stages in a row "Series B+" (through
/// growth) or "Seed to Series B".
fn stages_phrase(stages: &[FundingStage]) -> String {
    let positions: Vec<usize> = stages.iter().filter_map(|s| STAGE_ORDER.iter().position(|o| o == s)).collect();
    let consecutive = positions.windows(2).all(|pair| pair[1] == pair[0] + 1);
    match (stages.first(), stages.last()) {
        (Some(&first), Some(&last)) if stages.len() >= 3 && consecutive => {
            if last == FundingStage::Growth {
                format!("{}+", stage_label(first))
            } else {
                format!("{} to {}", stage_label(first), stage_label(last))
            }
        }
        _ => stages.iter().map(|s| stage_label(*s)).collect::<Vec<_>>().join("/"),
    }
}

/// "Series A fintech companies in France", "companies from the attached CSV".
fn audience_phrase(criteria: &Criteria) -> String {
    if !criteria.seed.is_empty() {
        return "companies from the attached list".to_string();
    }
    let mut words: Vec<String> = Vec::new();
    if !criteria.funding_stages.is_empty() {
        words.push(stages_phrase(&criteria.funding_stages));
    }
    if !criteria.industries.is_empty() {
        let labels: Vec<String> = criteria.industries.iter().map(|slug| industry_label(slug)).collect();
        words.push(labels.join(" & "));
    }
    // "retail banks in Italy", not "retail banks companies": an open industry may name the companies itself.
    let named_companies = criteria.industries.last().is_some_and(|slug| slug.split('_').any(super::open::is_business_noun));
    if !named_companies {
        words.push("companies".to_string());
    }
    if let Some(place) = place_phrase(criteria) {
        words.push(format!("in {place}"));
    }
    words.join(" ")
}

/// The vocabulary's label of a known industry; an open one's words ("retail banks").
fn industry_label(slug: &str) -> String {
    vocab::INDUSTRY_LABELS.iter().find(|(s, _)| *s == slug).map_or_else(|| slug.replace('_', " "), |(_, label)| label.to_string())
}

/// Cities and states or provinces if named (with each country none of them lies in), else a
/// region whose members are exactly the countries, else country names.
fn place_phrase(criteria: &Criteria) -> Option<String> {
    if !criteria.cities.is_empty() || !criteria.regions.is_empty() {
        let mut names: Vec<String> = criteria.cities.clone();
        names.extend(criteria.regions.iter().map(|code| vocab::region_name(code).unwrap_or(code).to_string()));
        let covered = |country: &str| {
            criteria.regions.iter().any(|r| r.get(..2) == Some(country))
                || criteria.cities.iter().any(|city| vocab::city_country(city) == Some(country))
        };
        names.extend(criteria.countries.iter().filter(|c| !covered(c)).map(|code| country_name(code)));
        return Some(names.join(", "));
    }
    if criteria.countries.is_empty() {
        return None;
    }
    let region = vocab::REGIONS
        .iter()
        .find(|(_, codes, _)| codes.len() == criteria.countries.len() && codes.iter().all(|c| criteria.countries.iter().any(|k| k == c)));
    if let Some((label, _, _)) = region {
        return Some(label.to_string());
    }
    if criteria.countries.len() > 4 {
        return Some(format!("{} countries", criteria.countries.len()));
    }
    let names: Vec<String> = criteria.countries.iter().map(|code| country_name(code)).collect();
    Some(names.join(", "))
}

fn country_name(code: &str) -> String {
    let english = vocab::COUNTRIES.iter().find(|(c, _)| *c == code).and_then(|(_, names)| names.first());
    match english {
        Some(&"united states") => "the US".to_string(),
        Some(&"united kingdom") => "the UK".to_string(),
        Some(name) => name.split(' ').map(capitalize).collect::<Vec<_>>().join(" "),
        None => code.to_string(),
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or(String::new(), |first| first.to_uppercase().chain(chars).collect())
}

/// The plan's title: the audience, then the people, e.g.
/// "Series B healthcare companies in Germany — Head of Data".
pub(super) fn title(criteria: &Criteria) -> String {
    let mut title = audience_phrase(criteria);
    if let Some(first) = title.get(0..1) {
        title = first.to_uppercase() + &title[1..];
    }
    let hiring: Vec<&str> = hiring_signals(criteria).filter_map(|s| s.role.as_ref()).map(|r| r.title.as_str()).collect();
    if !hiring.is_empty() {
        title.push_str(&format!(" hiring {}", join_and(&hiring)));
    }
    let titles: Vec<&str> = criteria.roles.iter().map(|r| r.title.as_str()).collect();
    if !titles.is_empty() {
        title.push_str(" — ");
        title.push_str(&titles.join(" & "));
    }
    if title.chars().count() > 120 {
        title = title.chars().take(119).collect::<String>() + "…";
    }
    title
}
