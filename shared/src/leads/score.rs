//! Lead scoring: how well a lead fits the request, and what buying signals it shows.
//!
//! ```text
//! fit (0–70)      = 70 × earned / available, over the parts that apply to the request:
//!                   role       25  the person fills a requested role (15 if only the seniority matches)
//!                   seniority  10  c-level or VP 10, head or director 7, manager 4
//!                   industry   10  the company's industry is one asked for
//!                   country    10  the company's country is one asked for
//!                   headcount  10  the company's size is within the range asked for
//!                   stack       5  the company uses every technology asked for
//!                   (35 when no part applies: a neutral fit)
//! signals (0–30)  = hiring 12 (open roles found) + recent funding 12 (a round within
//!                   365 days; 6 when the round is undated) + growth 6 (headcount growing)
//! lead_score      = fit + signals, 0–100;  hot ≥ 70 · warm 40–69 · cold < 40
//! ```
//!
//! An unknown fact earns nothing (it is not evidence of fit), and every note says which fact it
//! rests on.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::LeadDraft;
use quarry_planner::{read_title, Criteria};
use quarry_ports::clock::Timestamp;

/// A round counts as recent within this many days.
const RECENT_FUNDING_DAYS: i64 = 365;

/// Hot, warm or cold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    Hot,
    Warm,
    Cold,
}

/// A lead's score and the evidence for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Qualification {
    /// 0–100.
    pub lead_score: u8,
    pub lead_status: LeadStatus,
    /// `hiring`, `recent_funding`, `growth`.
    pub signals_detected: Vec<String>,
    /// Why the score is what it is, one fact per note.
    pub qualification_notes: Vec<String>,
}

/// Scores `lead` against the request's `criteria` (see the module docs), at `now`.
pub fn qualify(lead: &LeadDraft, criteria: &Criteria, now: Timestamp) -> Qualification {
    let mut notes = Vec::new();
    let (mut earned, mut available) = (0u32, 0u32);
    let mut part = |weight: u32, points: Option<u32>, note: Option<String>| {
        available += weight;
        earned += points.unwrap_or(0).min(weight);
        notes.extend(note);
    };
    let person = lead.person.as_ref();
    let company = lead.company.as_ref();
    if !criteria.roles.is_empty() {
        let read = person.and_then(|p| p.title.as_deref()).and_then(read_title);
        let filled = person
            .and_then(|p| p.role.clone())
            .or_else(|| read.as_ref().filter(|r| criteria.roles.iter().any(|want| want.title == r.title)).map(|r| r.title.clone()));
        match (filled, &read) {
            (Some(role), _) => part(25, Some(25), Some(format!("Fills the requested role {role}."))),
            (None, Some(r)) if criteria.roles.iter().any(|want| want.seniority == r.seniority) => {
                part(25, Some(15), Some(format!("{} has the requested seniority, in another department.", r.title)))
            }
            _ => part(25, None, None),
        }
    }
    if let Some(seniority) = person.and_then(|p| p.seniority.as_deref()) {
        let points = match seniority {
            "c_level" | "vp" => 10,
            "head" | "director" => 7,
            "manager" => 4,
            _ => 0,
        };
        part(10, Some(points), (points >= 7).then(|| format!("Senior decision maker ({}).", seniority.replace('_', " "))));
    }
    if !criteria.industries.is_empty() {
        let industry = company.and_then(|c| c.industry.as_deref());
        let hit = industry.is_some_and(|i| criteria.industries.iter().any(|w| w == i));
        part(10, hit.then_some(10), hit.then(|| format!("Industry matches ({}).", industry.unwrap_or_default())));
    }
    if !criteria.countries.is_empty() {
        let country = company.and_then(|c| c.hq_country.as_deref());
        let hit = country.is_some_and(|c| criteria.countries.iter().any(|w| w == c));
        part(10, hit.then_some(10), hit.then(|| format!("Based in a requested country ({}).", country.unwrap_or_default())));
    }
    if let Some(range) = &criteria.company_headcount {
        let size = company.and_then(|c| c.employee_count);
        let hit = size.is_some_and(|n| range.min.is_none_or(|m| n >= m) && range.max.is_none_or(|m| n <= m));
        part(10, hit.then_some(10), hit.then(|| format!("Company size fits ({} employees).", size.unwrap_or_default())));
    }
    if !criteria.technologies.is_empty() {
        let stack = strings(lead.fields.get("tech_stack"));
        let hit = criteria.technologies.iter().all(|t| stack.contains(t));
        part(5, hit.then_some(5), hit.then(|| format!("Uses {}.", criteria.technologies.join(", "))));
    }
    let fit = if available == 0 { 35.0 } else { 70.0 * f64::from(earned) / f64::from(available) };
    let (signal_points, signals) = signals(lead, now, &mut notes);
    let score = (fit + f64::from(signal_points)).round().clamp(0.0, 100.0) as u8;
    let lead_status = match score {
        70.. => LeadStatus::Hot,
        40..=69 => LeadStatus::Warm,
        _ => LeadStatus::Cold,
    };
    Qualification { lead_score: score, lead_status, signals_detected: signals, qualification_notes: notes }
}

/// Buying signals and their points.
fn signals(lead: &LeadDraft, now: Timestamp, notes: &mut Vec<String>) -> (u32, Vec<String>) {
    let (mut points, mut found) = (0, Vec::new());
    let open_roles = lead.fields.get("open_roles").and_then(Value::as_u64).unwrap_or(0)
        + lead.fields.get("job_postings").and_then(Value::as_array).map_or(0, |a| a.len() as u64);
    if open_roles > 0 || lead.fields.get("hiring").and_then(Value::as_bool) == Some(true) {
        points += 12;
        found.push("hiring".to_string());
        notes.push(if open_roles > 0 { format!("Hiring: {open_roles} open roles.") } else { "Hiring.".to_string() });
    }
    let stage = lead
        .company
        .as_ref()
        .and_then(|c| c.funding_stage.clone())
        .or_else(|| lead.fields.get("funding_stage").and_then(Value::as_str).map(str::to_string));
    if let Some(stage) = stage {
        let dated = lead
            .fields
            .get("last_funding_date")
            .and_then(Value::as_str)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        match dated {
            Some(date) if (now.0.date_naive() - date).num_days() <= RECENT_FUNDING_DAYS => {
                points += 12;
                found.push("recent_funding".to_string());
                notes.push(format!("Raised a {} round on {date}.", stage.replace('_', " ")));
            }
            Some(_) => notes.push(format!("Last round ({}) is over a year old.", stage.replace('_', " "))),
            None => {
                points += 6;
                found.push("recent_funding".to_string());
                notes.push(format!("Funding stage {} (round undated).", stage.replace('_', " ")));
            }
        }
    }
    if lead.fields.get("headcount_growth").and_then(Value::as_f64).is_some_and(|g| g > 0.0) {
        points += 6;
        found.push("growth".to_string());
        notes.push("Headcount is growing.".to_string());
    }
    (points, found)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|v| v.as_str().map(str::to_lowercase)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::leads::{Company, Person};
    use quarry_planner::{Department, HeadcountRange, Role, Seniority};

    fn now() -> Timestamp {
        Timestamp::from_unix(1_776_000_000).unwrap() // 2026-04-12
    }

    fn criteria() -> Criteria {
        Criteria {
            industries: vec!["fintech".into()],
            countries: vec!["FR".into()],
            company_headcount: Some(HeadcountRange { min: Some(50), max: Some(500) }),
            roles: vec![Role { title: "VP Engineering".into(), seniority: Seniority::Vp, department: Department::Engineering }],
            ..Criteria::default()
        }
    }

    fn lead(title: &str, seniority: &str, country: &str) -> LeadDraft {
        LeadDraft {
            company: Some(Company {
                industry: Some("fintech".into()),
                hq_country: Some(country.into()),
                employee_count: Some(120),
                ..Company::default()
            }),
            person: Some(Person { title: Some(title.into()), seniority: Some(seniority.into()), ..Person::default() }),
            ..LeadDraft::default()
        }
    }

    #[test]
    fn a_perfect_fit_with_signals_is_hot() {
        let mut hot = lead("VP of Engineering", "vp", "FR");
        hot.fields.insert("open_roles".into(), json!(4));
        hot.fields.insert("last_funding_date".into(), json!("2026-01-20"));
        hot.company.as_mut().unwrap().funding_stage = Some("series_a".into());
        let q = qualify(&hot, &criteria(), now());
        assert_eq!(q.lead_score, 94); // fit 70 + hiring 12 + funding 12
        assert_eq!(q.lead_status, LeadStatus::Hot);
        assert_eq!(q.signals_detected, ["hiring", "recent_funding"]);
        assert!(q.qualification_notes.iter().any(|n| n.contains("VP Engineering")), "{:?}", q.qualification_notes);
        assert!(q.qualification_notes.iter().any(|n| n.contains("2026-01-20")));
    }

    #[test]
    fn misses_and_unknowns_lower_the_score() {
        let fit = qualify(&lead("VP of Engineering", "vp", "FR"), &criteria(), now());
        assert_eq!((fit.lead_score, fit.lead_status), (70, LeadStatus::Hot));
        let other_department = qualify(&lead("VP Sales", "vp", "FR"), &criteria(), now());
        assert_eq!(other_department.lead_score, 59, "seniority only: 15 of 25 for the role, 70 × 55 / 65");
        assert_eq!(other_department.lead_status, LeadStatus::Warm);
        let wrong_country = qualify(&lead("Engineer", "individual_contributor", "DE"), &criteria(), now());
        assert_eq!(wrong_country.lead_status, LeadStatus::Cold, "{wrong_country:?}");
        let mut unknown = lead("VP of Engineering", "vp", "FR");
        unknown.company.as_mut().unwrap().employee_count = None;
        assert!(qualify(&unknown, &criteria(), now()).lead_score < fit.lead_score, "an unknown fact earns nothing");
    }

    #[test]
    fn old_rounds_are_not_signals_and_nothing_applies_is_neutral() {
        let mut old = lead("VP of Engineering", "vp", "FR");
        old.company.as_mut().unwrap().funding_stage = Some("seed".into());
        old.fields.insert("last_funding_date".into(), json!("2023-01-01"));
        let q = qualify(&old, &criteria(), now());
        assert!(q.signals_detected.is_empty());
        assert!(q.qualification_notes.iter().any(|n| n.contains("over a year old")));
        let neutral = qualify(&LeadDraft::default(), &Criteria::default(), now());
        assert_eq!((neutral.lead_score, neutral.lead_status), (35, LeadStatus::Cold));
    }
}
