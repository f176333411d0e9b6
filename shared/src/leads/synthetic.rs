//! The synthetic source of test-mode jobs: plausible companies and people made up from the job's
//! seed. **Synthetic data is never real.** Company names are invented six-letter stems with a brand
//! word ("Lumora Pay", "Vexela Finanz GmbH"); people get common first and last names of the
//! company's country. Any resemblance to a real company, domain or person is a coincidence, and
//! every fact is marked with a [`SourceKind::Synthetic`] source so nothing downstream mistakes it
//! for found data.
//!
//! Generation is pure and deterministic: the same criteria, seed and index always give the same
//! leads, byte for byte, which makes a job's replay after a crash idempotent. Different indexes of
//! one seed give different companies with distinct domains (guaranteed for the first 72,000).
//!
//! The criteria are honoured: country, state or province (a city of it), city, industry, funding stage and size come from them
//! (sensible defaults otherwise), department headcounts, required technologies, hiring and
//! funding signals and the requested enrich dimensions become `fields`, and each requested role
//! gets one person.

mod locale;
mod random;
mod words;

use chrono::Days;
use serde::Serialize;
use serde_json::{json, Map, Value};

use self::locale::{Country, NamePack};
use self::random::Rng;
use super::dedupe::{field_paths, fold_ascii};
use super::{Company, LeadDraft, Person, Source, SourceKind};
use quarry_planner::{region_cities, Criteria, Department, EnrichDimension, FundingStage, HeadcountRange, Role, Signal, SignalKind};
use quarry_ports::clock::Timestamp;

/// The leads of synthetic company number `index` of the job seeded with `job_seed`: one per
/// requested role, or a single company-only lead when the criteria ask for no people. Every lead
/// carries one synthetic source, retrieved at `now`, listing every field the lead sets.
pub fn company_leads(criteria: &Criteria, job_seed: &str, index: u64, now: Timestamp) -> Vec<LeadDraft> {
    let mut rng = Rng::new(job_seed, index);
    let company = SyntheticCompany::draw(criteria, job_seed, index, &mut rng);
    let fields = company_fields(criteria, &company, &mut rng, now);
    if criteria.roles.is_empty() {
        return vec![sourced(company.record(), None, fields, now)];
    }
    let mut taken_emails = Vec::new();
    criteria
        .roles
        .iter()
        .map(|role| {
            let person = draw_person(role, &company, &mut taken_emails, &mut rng);
            let mut lead_fields = fields.clone();
            lead_fields.extend(person_fields(criteria, &mut rng));
            sourced(company.record(), Some(person), lead_fields, now)
        })
        .collect()
}

/// A made-up company, before it is written as a lead.
struct SyntheticCompany {
    /// The country code asked for (kept even when we have no profile for it).
    country_code: String,
    country: &'static Country,
    city: Option<String>,
    industry: String,
    stage: FundingStage,
    /// Stem and brand word, without legal form ("Lumora Pay").
    brand: String,
    name: String,
    domain: String,
    employees: u32,
    departments: Vec<(Department, u32)>,
    phone: Option<String>,
}

impl SyntheticCompany {
    fn draw(criteria: &Criteria, seed: &str, index: u64, rng: &mut Rng) -> SyntheticCompany {
        let (country_code, country) = draw_country(criteria, rng);
        let city = draw_city(criteria, &country_code, country, rng);
        let industry = if criteria.industries.is_empty() {
            rng.pick(words::DEFAULT_INDUSTRIES).to_string()
        } else {
            rng.pick(&criteria.industries).clone()
        };
        let stage = *rng.pick(if criteria.funding_stages.is_empty() { DEFAULT_STAGES } else { &criteria.funding_stages[..] });
        let departments: Vec<(Department, u32)> = criteria
            .department_headcounts
            .iter()
            .map(|d| {
                // "20+ engineers" reads as 20 to 40.
                let lo = d.min.unwrap_or(1);
                (d.department, rng.between(lo, d.max.unwrap_or(lo + lo / 2 + 10)))
            })
            .collect();
        let employees = draw_employees(stage, criteria.company_headcount, &departments, rng);
        let english_word = *rng.pick(words::brand_words(&industry));
        let word = local_word(english_word, country.names, rng);
        let brand = format!("{} {word}", words::company_stem(seed, index));
        let with_legal_form = !country.legal_form.is_empty() && rng.chance(35);
        let name = if with_legal_form { format!("{brand} {}", country.legal_form) } else { brand.clone() };
        // The stem is a fixed six letters, so "stem + word" is unique whenever the stem is.
        let domain = format!("{}.{}", ascii_word(&brand), country.tld);
        let phone = phone_number(country, rng);
        SyntheticCompany { country_code, country, city, industry, stage, brand, name, domain, employees, departments, phone }
    }

    fn record(&self) -> Company {
        let slug: Vec<String> = self.brand.split(' ').map(ascii_word).collect();
        Company {
            name: Some(self.name.clone()),
            domain: Some(self.domain.clone()),
            linkedin: Some(format!("https://www.linkedin.com/company/{}", slug.join("-"))),
            hq_city: self.city.clone(),
            hq_country: Some(self.country_code.clone()),
            industry: Some(self.industry.clone()),
            employee_count: Some(self.employees),
            funding_stage: Some(slug_of(&self.stage)),
            phone: self.phone.clone(),
        }
    }
}

/// Stages picked when the criteria name none: the startups lead research usually targets.
const DEFAULT_STAGES: &[FundingStage] =
    &[FundingStage::Seed, FundingStage::SeriesA, FundingStage::SeriesA, FundingStage::SeriesB, FundingStage::SeriesC, FundingStage::Growth];

/// The country asked for (one of the criteria's, else of their cities, else the US).
fn draw_country(criteria: &Criteria, rng: &mut Rng) -> (String, &'static Country) {
    let city_countries: Vec<&str> = criteria.cities.iter().filter_map(|c| locale::country_of_city(c)).map(|c| c.code).collect();
    let code = match (criteria.countries.is_empty(), city_countries.is_empty()) {
        (false, _) => rng.pick(&criteria.countries).to_ascii_uppercase(),
        (true, false) => rng.pick(&city_countries).to_string(),
        (true, true) => "US".to_string(),
    };
    let country = locale::country(&code);
    (code, country)
}

/// A city of the criteria in this country, else one of theirs we cannot place (it may be here),
/// else a real city of a state or province asked for in this country, else a real city of the
/// country.
fn draw_city(criteria: &Criteria, code: &str, country: &Country, rng: &mut Rng) -> Option<String> {
    let in_country: Vec<&String> =
        criteria.cities.iter().filter(|c| locale::country_of_city(c).is_some_and(|of| of.code.eq_ignore_ascii_case(code))).collect();
    let unplaced: Vec<&String> = criteria.cities.iter().filter(|c| locale::country_of_city(c).is_none()).collect();
    let regions: Vec<&String> = criteria.regions.iter().filter(|r| r.get(..2).is_some_and(|c| c.eq_ignore_ascii_case(code))).collect();
    match (in_country.is_empty(), unplaced.is_empty(), country.cities.is_empty()) {
        (false, _, _) => Some(rng.pick(&in_country).to_string()),
        (true, false, _) => Some(rng.pick(&unplaced).to_string()),
        // A state or province asked for in this country: one of its real cities.
        (true, true, _) if !regions.is_empty() => {
            let cities = region_cities(rng.pick(&regions).as_str());
            (!cities.is_empty()).then(|| rng.pick(cities).to_string())
        }
        (true, true, false) => Some(rng.pick(country.cities).to_string()),
        (true, true, true) => None,
    }
}

/// Typical headcount of a company at each stage.
fn stage_band(stage: FundingStage) -> (u32, u32) {
    match stage {
        FundingStage::PreSeed => (2, 12),
        FundingStage::Seed => (5, 40),
        FundingStage::SeriesA => (20, 120),
        FundingStage::SeriesB => (60, 300),
        FundingStage::SeriesC => (150, 700),
        FundingStage::SeriesD => (300, 1500),
        FundingStage::SeriesEPlus => (500, 3000),
        FundingStage::Growth => (500, 5000),
        FundingStage::Public => (1000, 20000),
    }
}

/// A headcount inside the requested range (always), typical of the stage (when the range allows)
/// and big enough to hold the departments (unless the range forbids it).
fn draw_employees(stage: FundingStage, range: Option<HeadcountRange>, departments: &[(Department, u32)], rng: &mut Rng) -> u32 {
    let (stage_lo, stage_hi) = stage_band(stage);
    let (want_lo, want_hi) = range.map_or((stage_lo, stage_hi), |r| (r.min.unwrap_or(1), r.max.unwrap_or(u32::MAX)));
    let (mut lo, mut hi) = (stage_lo.max(want_lo), stage_hi.min(want_hi));
    if lo > hi {
        // The stage and the range disagree: the range wins.
        lo = want_lo;
        hi = if want_hi == u32::MAX { want_lo.saturating_mul(3).max(want_lo.saturating_add(20)) } else { want_hi };
    }
    // Named departments are at most about two thirds of the company.
    let counted: u32 = departments.iter().map(|(_, n)| n).sum();
    let floor = if departments.is_empty() { 0 } else { counted.saturating_add(counted / 2).saturating_add(2) };
    lo = lo.max(floor).min(want_hi);
    hi = hi.max(lo).min(want_hi);
    rng.between(lo, hi)
}

/// The brand word in the country's language about half the time ("Finance" → "Finanz").
fn local_word(word: &'static str, names: &NamePack, rng: &mut Rng) -> &'static str {
    match names.local_words.iter().find(|(english, _)| *english == word) {
        Some((_, local)) if rng.chance(50) => local,
        _ => word,
    }
}

/// A number in E.164: the calling code, a national prefix, then digits up to the national length.
/// `None` when the country's numbering is unknown.
fn phone_number(country: &Country, rng: &mut Rng) -> Option<String> {
    if country.dial.is_empty() {
        return None;
    }
    let prefix = rng.pick(country.phone_prefixes);
    let mut number = format!("+{}{prefix}", country.dial);
    for position in 0..country.phone_digits.saturating_sub(prefix.len()) {
        // Subscriber numbers do not start with 0 or 1.
        let digit = if position == 0 { rng.between(2, 9) } else { rng.between(0, 9) };
        number.push(char::from(b'0' + digit as u8));
    }
    Some(number)
}

/// The facts about the company the criteria ask for, as lead `fields`.
fn company_fields(criteria: &Criteria, company: &SyntheticCompany, rng: &mut Rng, now: Timestamp) -> Map<String, Value> {
    let mut fields = Map::new();
    for (department, count) in &company.departments {
        fields.insert(format!("{}_headcount", slug_of(department)), json!(count));
    }
    let wants = |dimension| criteria.enrich.contains(&dimension);
    if !criteria.technologies.is_empty() || wants(EnrichDimension::TechStack) {
        fields.insert("tech_stack".into(), json!(tech_stack(&criteria.technologies, rng)));
    }
    let hiring: Vec<&Signal> = criteria.signals.iter().filter(|s| s.kind == SignalKind::Hiring).collect();
    if !hiring.is_empty() || wants(EnrichDimension::Hiring) {
        let openings = hiring_for(&hiring, rng);
        if wants(EnrichDimension::Hiring) {
            fields.insert("open_roles".into(), json!(openings.len() as u32 + rng.between(0, 12)));
        }
        fields.insert("hiring_for".into(), json!(openings));
    }
    if let Some(days) = funding_window(criteria) {
        fields.insert("last_funding_at".into(), json!(days_before(now, rng.between(days.min(1), days))));
    }
    if wants(EnrichDimension::Funding) {
        fields.insert("funding_amount".into(), json!(funding_amount(company.stage, company.country.currency, rng)));
    }
    if wants(EnrichDimension::News) {
        fields.insert("latest_news".into(), latest_news(company, rng, now));
    }
    fields
}

/// The required technologies plus a few common ones, sorted.
fn tech_stack(required: &[String], rng: &mut Rng) -> Vec<String> {
    let mut stack: Vec<String> = required.to_vec();
    let extras = rng.between(2, 4) as usize + if required.is_empty() { 1 } else { 0 };
    while stack.len() < required.len() + extras {
        let candidate = rng.pick(words::COMMON_TECHNOLOGIES).to_string();
        if !stack.contains(&candidate) {
            stack.push(candidate);
        }
    }
    stack.sort();
    stack
}

/// Titles of the roles the company is hiring for: those the signals name, plus a common opening
/// for hiring "in general" (or when only the hiring dimension is asked for).
fn hiring_for(signals: &[&Signal], rng: &mut Rng) -> Vec<String> {
    let mut titles: Vec<String> = Vec::new();
    for title in signals.iter().filter_map(|s| s.role.as_ref()).map(|r| r.title.clone()) {
        if !titles.contains(&title) {
            titles.push(title);
        }
    }
    if signals.iter().any(|s| s.role.is_none()) || titles.is_empty() {
        let opening = rng.pick(words::COMMON_OPENINGS).to_string();
        if !titles.contains(&opening) {
            titles.push(opening);
        }
    }
    titles
}

/// How recent the last round must be, in days: the tightest funding signal (180 days when it names
/// no window), two years when funding is only asked for as a dimension, `None` otherwise.
fn funding_window(criteria: &Criteria) -> Option<u32> {
    let signal_windows = criteria.signals.iter().filter(|s| s.kind == SignalKind::Funding).map(|s| s.within_days.unwrap_or(180));
    signal_windows.min().or(criteria.enrich.contains(&EnrichDimension::Funding).then_some(730))
}

/// The calendar date `days` before `now` (`2026-04-21`).
fn days_before(now: Timestamp, days: u32) -> String {
    let today = now.0.date_naive();
    today.checked_sub_days(Days::new(u64::from(days))).unwrap_or(today).format("%Y-%m-%d").to_string()
}

/// A round size typical of the stage (`€12M`, `$850K`).
fn funding_amount(stage: FundingStage, currency: &str, rng: &mut Rng) -> String {
    // In hundreds of thousands.
    let (lo, hi) = match stage {
        FundingStage::PreSeed => (3, 20),
        FundingStage::Seed => (10, 60),
        FundingStage::SeriesA => (60, 250),
        FundingStage::SeriesB => (200, 600),
        FundingStage::SeriesC => (500, 1500),
        FundingStage::SeriesD => (1000, 3000),
        FundingStage::SeriesEPlus => (1500, 5000),
        FundingStage::Growth => (2000, 8000),
        FundingStage::Public => (1000, 10000),
    };
    let tenths_of_million = rng.between(lo, hi);
    match tenths_of_million {
        n if n < 10 => format!("{currency}{}K", n * 100),
        n if n >= 10_000 => format!("{currency}{}B", trim_decimal(n / 10_000, n / 1000 % 10)),
        n => format!("{currency}{}M", trim_decimal(n / 10, n % 10)),
    }
}

fn trim_decimal(whole: u32, tenth: u32) -> String {
    if tenth == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{tenth}")
    }
}

fn latest_news(company: &SyntheticCompany, rng: &mut Rng, now: Timestamp) -> Value {
    let place = company.city.as_deref().unwrap_or("a new city");
    let headline = rng.pick(words::HEADLINES).replace("{name}", &company.brand).replace("{city}", place);
    json!({ "headline": headline, "published_at": days_before(now, rng.between(1, 60)) })
}

/// A person filling `role` at the company, named as people of its country are, with an email not
/// yet used at this company.
fn draw_person(role: &Role, company: &SyntheticCompany, taken_emails: &mut Vec<String>, rng: &mut Rng) -> Person {
    let names = company.country.names;
    let mut attempt = 0u32;
    let (first, last, email) = loop {
        let first = rng.pick(names.first).to_string();
        let last = rng.pick(names.last).to_string();
        // After many clashes (more roles than the pack has names), number the address.
        let number = if attempt < 64 { String::new() } else { attempt.to_string() };
        let email = format!("{}.{}{number}@{}", email_word(&first, names), email_word(&last, names), company.domain);
        if !taken_emails.contains(&email) {
            break (first, last, email);
        }
        attempt += 1;
    };
    taken_emails.push(email.clone());
    let handle = format!("{}-{}-{:08x}", email_word(&first, names), email_word(&last, names), rng.next_u64() >> 32);
    Person {
        role: Some(role.title.clone()),
        full_name: Some(format!("{first} {last}")),
        first_name: Some(first),
        last_name: Some(last),
        title: Some(title_spelling(&role.title, rng)),
        seniority: Some(slug_of(&role.seniority)),
        department: Some(slug_of(&role.department)),
        email: Some(email),
        phone: phone_number(company.country, rng),
        linkedin: Some(format!("https://www.linkedin.com/in/{handle}")),
    }
}

/// How this person writes the role's title: the most common spelling half the time, else any.
fn title_spelling(title: &str, rng: &mut Rng) -> String {
    let spellings = words::title_spellings(title);
    if rng.chance(50) {
        spellings[0].clone()
    } else {
        rng.pick(&spellings).clone()
    }
}

/// Facts about the person the criteria ask for: the required skills, and the email check result
/// when emails are verified (synthetic addresses are well-formed; a few are catch-all domains).
fn person_fields(criteria: &Criteria, rng: &mut Rng) -> Map<String, Value> {
    let mut fields = Map::new();
    if !criteria.skills.is_empty() {
        fields.insert("skills".into(), json!(criteria.skills));
    }
    if criteria.verify_emails {
        fields.insert("email_status".into(), json!(if rng.chance(92) { "valid" } else { "catch_all" }));
    }
    fields
}

/// A lead with its one synthetic source, which lists every field the lead sets.
fn sourced(company: Company, person: Option<Person>, fields: Map<String, Value>, now: Timestamp) -> LeadDraft {
    let mut lead = LeadDraft { company: Some(company), person, fields, sources: Vec::new() };
    let paths = field_paths(&lead);
    lead.sources.push(Source { kind: SourceKind::Synthetic, url: None, retrieved_at: now, fields: paths });
    lead
}

/// A name part as it appears in an email or URL: lowercase ASCII letters, digits and hyphens
/// ("O'Connor" → "oconnor", "de Vries" → "devries", "Müller" → "mueller" in German).
fn email_word(name: &str, names: &NamePack) -> String {
    let spelled = if names.umlauts_spelled_out { spell_out_umlauts(name) } else { name.to_string() };
    fold_ascii(&spelled).chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

/// Letters and digits only, folded ("Lumora Santé" → "lumorasante").
fn ascii_word(text: &str) -> String {
    fold_ascii(text).chars().filter(char::is_ascii_alphanumeric).collect()
}

fn spell_out_umlauts(name: &str) -> String {
    name.replace('ä', "ae").replace('ö', "oe").replace('ü', "ue").replace('Ä', "Ae").replace('Ö', "Oe").replace('Ü', "Ue")
}

/// The API's slug for a criteria enum (`series_a`, `customer_success`, `vp`): its serde name.
fn slug_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::locale::COUNTRIES;
    use super::*;
    use quarry_planner::{DepartmentHeadcount, Seniority};

    const SEED: &str = "job_01HXA5SYNTHETIC";

    fn now() -> Timestamp {
        Timestamp::parse("2026-04-21T14:22:01.430Z").unwrap()
    }

    fn role(title: &str, seniority: Seniority, department: Department) -> Role {
        Role { title: title.into(), seniority, department }
    }

    /// "Series A fintechs in France with 20+ engineers; VP Eng and Head of Growth", as planned.
    fn quickstart() -> Criteria {
        Criteria {
            industries: vec!["fintech".into()],
            countries: vec!["FR".into()],
            funding_stages: vec![FundingStage::SeriesA],
            department_headcounts: vec![DepartmentHeadcount { department: Department::Engineering, min: Some(20), max: None }],
            roles: vec![
                role("VP Engineering", Seniority::Vp, Department::Engineering),
                role("Head of Growth", Seniority::Head, Department::Growth),
            ],
            verify_emails: true,
            ..Default::default()
        }
    }

    fn leads(criteria: &Criteria, indexes: std::ops::Range<u64>) -> Vec<LeadDraft> {
        indexes.flat_map(|i| company_leads(criteria, SEED, i, now())).collect()
    }

    fn names_of(code: &str) -> &'static NamePack {
        locale::country(code).names
    }

    fn company(lead: &LeadDraft) -> &Company {
        lead.company.as_ref().unwrap()
    }

    fn person(lead: &LeadDraft) -> &Person {
        lead.person.as_ref().unwrap()
    }

    #[test]
    fn same_inputs_give_identical_leads() {
        for index in [0, 1, 77, 9_999, 250_000] {
            assert_eq!(company_leads(&quickstart(), SEED, index, now()), company_leads(&quickstart(), SEED, index, now()));
        }
        assert_ne!(company_leads(&quickstart(), SEED, 0, now()), company_leads(&quickstart(), SEED, 1, now()));
        assert_ne!(company_leads(&quickstart(), SEED, 0, now()), company_leads(&quickstart(), "job_other", 0, now()));
    }

    #[test]
    fn domains_are_distinct_over_ten_thousand_companies() {
        for criteria in [quickstart(), Criteria::default()] {
            let mut domains = HashSet::new();
            let mut emails = HashSet::new();
            for index in 0..10_000 {
                let leads = company_leads(&criteria, SEED, index, now());
                assert!(domains.insert(company(&leads[0]).domain.clone().unwrap()), "index {index} reuses a domain");
                for lead in leads.iter().filter(|l| l.person.is_some()) {
                    assert!(emails.insert(person(lead).email.clone().unwrap()));
                }
            }
        }
    }

    #[test]
    fn quickstart_criteria_are_honoured() {
        for leads in (0..300).map(|i| company_leads(&quickstart(), SEED, i, now())) {
            assert_eq!(leads.len(), 2, "one lead per role");
            let c = company(&leads[0]);
            assert_eq!(c.hq_country.as_deref(), Some("FR"));
            assert!(locale::country("FR").cities.contains(&c.hq_city.as_deref().unwrap()));
            assert_eq!(c.industry.as_deref(), Some("fintech"));
            assert_eq!(c.funding_stage.as_deref(), Some("series_a"));
            assert!(c.domain.as_deref().unwrap().ends_with(".fr"));
            assert!(c.phone.as_deref().unwrap().starts_with("+33"));
            assert!(c.linkedin.as_deref().unwrap().starts_with("https://www.linkedin.com/company/"));
            let engineers = leads[0].fields["engineering_headcount"].as_u64().unwrap();
            assert!(engineers >= 20);
            assert!(u64::from(c.employee_count.unwrap()) > engineers);

            let (vp, growth) = (person(&leads[0]), person(&leads[1]));
            assert_eq!((vp.role.as_deref(), growth.role.as_deref()), (Some("VP Engineering"), Some("Head of Growth")));
            assert_eq!((vp.seniority.as_deref(), vp.department.as_deref()), (Some("vp"), Some("engineering")));
            assert_eq!((growth.seniority.as_deref(), growth.department.as_deref()), (Some("head"), Some("growth")));
            assert!(words::title_spellings("VP Engineering").contains(vp.title.as_ref().unwrap()));
            assert_eq!(growth.title.as_deref(), Some("Head of Growth"));
            for lead in &leads {
                let p = person(lead);
                assert_eq!(company(lead), c, "the company is the same on every lead");
                assert!(names_of("FR").first.contains(&p.first_name.as_deref().unwrap()));
                assert!(names_of("FR").last.contains(&p.last_name.as_deref().unwrap()));
                assert!(p.phone.as_deref().unwrap().starts_with("+33"));
                assert!(p.email.as_deref().unwrap().ends_with(&format!("@{}", c.domain.as_deref().unwrap())));
                assert!(lead.fields.contains_key("email_status"));
            }
        }
    }

    #[test]
    fn sources_list_every_set_field_and_nothing_else() {
        let mut criteria = quickstart();
        criteria.technologies = vec!["stripe".into()];
        criteria.skills = vec!["python".into()];
        criteria.enrich = vec![EnrichDimension::Hiring, EnrichDimension::TechStack, EnrichDimension::Funding, EnrichDimension::News];
        criteria.signals = vec![Signal { kind: SignalKind::Funding, role: None, within_days: Some(90) }];
        let mut no_roles = criteria.clone();
        no_roles.roles.clear();
        for lead in leads(&criteria, 0..50).iter().chain(&leads(&no_roles, 0..50)) {
            assert_eq!(lead.sources.len(), 1);
            let source = &lead.sources[0];
            assert_eq!((&source.kind, &source.url, source.retrieved_at), (&SourceKind::Synthetic, &None, now()));
            assert_eq!(source.fields, field_paths(lead));
            for path in ["company.name", "company.domain", "company.employee_count", "fields.engineering_headcount", "fields.latest_news"] {
                assert!(source.fields.iter().any(|f| f == path), "{path}");
            }
            // The lead's JSON has exactly the listed paths set (company, person and fields alike).
            let json = serde_json::to_value(lead).unwrap();
            let set = ["company", "person", "fields"]
                .into_iter()
                .flat_map(|part| {
                    json[part].as_object().into_iter().flatten().filter(|(_, v)| !v.is_null()).map(move |(k, _)| format!("{part}.{k}"))
                })
                .count();
            assert_eq!(set, source.fields.len());
        }
    }

    #[test]
    fn emails_and_phones_are_well_formed_in_every_country() {
        let roles = vec![role("CTO", Seniority::CLevel, Department::Engineering), role("VP Sales", Seniority::Vp, Department::Sales)];
        for country in COUNTRIES {
            let criteria = Criteria { countries: vec![country.code.into()], roles: roles.clone(), ..Default::default() };
            for lead in leads(&criteria, 0..40) {
                let (c, p) = (company(&lead), person(&lead));
                let domain = c.domain.as_deref().unwrap();
                assert!(domain.ends_with(&format!(".{}", country.tld)), "{domain}");
                assert!(domain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.'), "{domain}");
                let email = p.email.as_deref().unwrap();
                let (local, at) = email.split_once('@').unwrap();
                assert_eq!(at, domain);
                let (first, last) = local.split_once('.').unwrap();
                for part in [first, last] {
                    assert!(!part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{email}");
                }
                assert_eq!(first, email_word(p.first_name.as_deref().unwrap(), country.names));
                for phone in [c.phone.as_deref().unwrap(), p.phone.as_deref().unwrap()] {
                    let digits = phone.strip_prefix('+').unwrap();
                    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{phone}");
                    assert!(digits.starts_with(country.dial) && digits.len() == country.dial.len() + country.phone_digits, "{phone}");
                }
                let handle = p.linkedin.as_deref().unwrap().strip_prefix("https://www.linkedin.com/in/").unwrap();
                assert!(handle.starts_with(&format!("{first}-{last}-")), "{handle}");
            }
        }
    }

    #[test]
    fn names_are_folded_the_way_their_country_writes_emails() {
        assert_eq!(email_word("Müller", names_of("DE")), "mueller");
        assert_eq!(email_word("Groß", names_of("DE")), "gross");
        assert_eq!(email_word("Élodie", names_of("FR")), "elodie");
        assert_eq!(email_word("O'Connor", names_of("FR")), "oconnor");
        assert_eq!(email_word("van den Berg", names_of("FR")), "vandenberg");
        assert_eq!(ascii_word("Lumora Santé"), "lumorasante");
    }

    #[test]
    fn companies_look_real_but_invented() {
        let criteria = Criteria { industries: vec!["fintech".into()], countries: vec!["DE".into()], ..Default::default() };
        let names: Vec<String> = leads(&criteria, 0..200).iter().map(|l| company(l).name.clone().unwrap()).collect();
        assert!(names.iter().any(|n| n.ends_with(" GmbH")), "some carry the legal form");
        assert!(names.iter().any(|n| n.contains(" Finanz")), "some use the local word");
        for name in &names {
            let stem = name.split(' ').next().unwrap();
            assert!(stem.len() == 6 && stem.starts_with(|c: char| c.is_ascii_uppercase()), "{name}");
        }
    }

    #[test]
    fn places_come_from_the_criteria() {
        let criteria = Criteria { countries: vec!["DE".into(), "GB".into()], cities: vec!["Berlin".into()], ..Default::default() };
        let mut seen = HashSet::new();
        for lead in leads(&criteria, 0..200) {
            let c = company(&lead);
            seen.insert(c.hq_country.clone().unwrap());
            match c.hq_country.as_deref() {
                // A German company sits in the German city asked for.
                Some("DE") => assert_eq!(c.hq_city.as_deref(), Some("Berlin")),
                // No city was asked for in Britain: a real British one.
                Some("GB") => assert!(locale::country("GB").cities.contains(&c.hq_city.as_deref().unwrap())),
                other => panic!("unexpected country {other:?}"),
            }
        }
        assert_eq!(seen.len(), 2, "both countries are used");

        let texas_or_germany = Criteria { countries: vec!["DE".into(), "US".into()], regions: vec!["US-TX".into()], ..Default::default() };
        for lead in leads(&texas_or_germany, 0..100) {
            let c = company(&lead);
            let city = c.hq_city.as_deref().unwrap();
            match c.hq_country.as_deref() {
                Some("US") => assert!(quarry_planner::region_cities("US-TX").contains(&city), "{city} is not in Texas"),
                Some("DE") => assert!(locale::country("DE").cities.contains(&city)),
                other => panic!("unexpected country {other:?}"),
            }
        }

        let cities_only = Criteria { cities: vec!["Lyon".into()], ..Default::default() };
        let lead = &company_leads(&cities_only, SEED, 3, now())[0];
        assert_eq!((company(lead).hq_country.as_deref(), company(lead).hq_city.as_deref()), (Some("FR"), Some("Lyon")));
    }

    #[test]
    fn defaults_without_criteria() {
        for lead in leads(&Criteria::default(), 0..100) {
            assert!(lead.person.is_none(), "no roles: a company-only lead");
            let c = company(&lead);
            assert_eq!(c.hq_country.as_deref(), Some("US"));
            assert!(c.domain.as_deref().unwrap().ends_with(".com"));
            assert!(words::DEFAULT_INDUSTRIES.contains(&c.industry.as_deref().unwrap()));
            assert!(DEFAULT_STAGES.iter().any(|s| slug_of(s) == c.funding_stage.as_deref().unwrap()));
            assert!(lead.fields.is_empty(), "nothing asked, nothing added");
        }
    }

    #[test]
    fn unknown_countries_keep_their_code_and_invent_no_phone_or_city() {
        let criteria = Criteria {
            countries: vec!["ZZ".into()],
            roles: vec![role("CTO", Seniority::CLevel, Department::Engineering)],
            ..Default::default()
        };
        let lead = &company_leads(&criteria, SEED, 0, now())[0];
        let c = company(lead);
        assert_eq!((c.hq_country.as_deref(), c.hq_city.as_deref(), c.phone.as_deref()), (Some("ZZ"), None, None));
        assert!(person(lead).phone.is_none());
        assert!(!lead.sources[0].fields.iter().any(|f| f.ends_with("phone") || f == "company.hq_city"));
    }

    #[test]
    fn headcount_ranges_are_honoured() {
        let ranges = [(Some(50), Some(200)), (Some(500), None), (None, Some(15)), (Some(1000), Some(1000))];
        for (min, max) in ranges {
            for stage in [FundingStage::PreSeed, FundingStage::SeriesA, FundingStage::Public] {
                let criteria = Criteria {
                    funding_stages: vec![stage],
                    company_headcount: Some(HeadcountRange { min, max }),
                    department_headcounts: vec![DepartmentHeadcount { department: Department::Sales, min: Some(3), max: Some(8) }],
                    ..Default::default()
                };
                for lead in leads(&criteria, 0..30) {
                    let employees = company(&lead).employee_count.unwrap();
                    assert!(
                        min.is_none_or(|m| employees >= m) && max.is_none_or(|m| employees <= m),
                        "{min:?}..{max:?} {stage:?}: {employees}"
                    );
                    assert!((3..=8).contains(&lead.fields["sales_headcount"].as_u64().unwrap()));
                }
            }
        }
    }

    #[test]
    fn signals_technologies_and_enrichment_become_fields() {
        let staff = role("Staff Engineer", Seniority::IndividualContributor, Department::Engineering);
        let criteria = Criteria {
            technologies: vec!["kubernetes".into(), "snowflake".into()],
            signals: vec![
                Signal { kind: SignalKind::Hiring, role: Some(staff), within_days: None },
                Signal { kind: SignalKind::Funding, role: None, within_days: Some(90) },
                Signal { kind: SignalKind::Funding, role: None, within_days: Some(365) },
            ],
            enrich: vec![EnrichDimension::Hiring, EnrichDimension::Funding, EnrichDimension::News],
            funding_stages: vec![FundingStage::SeriesB],
            ..Default::default()
        };
        let today = now().0.date_naive();
        for lead in leads(&criteria, 0..100) {
            let stack: Vec<&str> = lead.fields["tech_stack"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            assert!(stack.contains(&"kubernetes") && stack.contains(&"snowflake") && stack.len() > 2, "{stack:?}");
            let hiring = lead.fields["hiring_for"].as_array().unwrap();
            assert_eq!(hiring[0], "Staff Engineer");
            assert!(lead.fields["open_roles"].as_u64().unwrap() >= hiring.len() as u64);
            let funded = chrono::NaiveDate::parse_from_str(lead.fields["last_funding_at"].as_str().unwrap(), "%Y-%m-%d").unwrap();
            assert!((0..=90).contains(&(today - funded).num_days()), "the tightest window wins: {funded}");
            let amount = lead.fields["funding_amount"].as_str().unwrap();
            assert!(amount.starts_with('$') && amount.ends_with('M'), "{amount}");
            assert!(lead.fields["latest_news"]["headline"].as_str().unwrap().contains(&company(&lead).name.clone().unwrap()[..6]));
        }
    }

    #[test]
    fn funding_amounts_read_like_press_figures() {
        let mut rng = Rng::new(SEED, 0);
        let amounts: Vec<String> = (0..200).map(|_| funding_amount(FundingStage::PreSeed, "€", &mut rng)).collect();
        assert!(amounts.iter().any(|a| a.ends_with('K')) && amounts.iter().any(|a| a.ends_with('M')));
        assert!(amounts.iter().all(|a| a.starts_with('€')));
        assert_eq!(trim_decimal(12, 0), "12");
        assert_eq!(trim_decimal(1, 5), "1.5");
    }

    #[test]
    fn many_roles_still_get_distinct_emails() {
        let roles: Vec<Role> =
            (0..40).map(|i| role(&format!("Engineer {i}"), Seniority::IndividualContributor, Department::Engineering)).collect();
        let criteria = Criteria { countries: vec!["JP".into()], roles, ..Default::default() };
        let emails: HashSet<String> = company_leads(&criteria, SEED, 0, now()).iter().map(|l| person(l).email.clone().unwrap()).collect();
        assert_eq!(emails.len(), 40);
    }
}
