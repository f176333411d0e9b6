//! Declining requests that cannot be planned, with a message that says what is missing or wrong
//! and what to write instead.

use super::super::{Criteria, PlanRejection, Turn};
use super::history::{LastTurn, Reading};

/// What every "say more" message ends with.
const ASK_FOR_AUDIENCE: &str =
    "Say who you are looking for: an industry, a place, a company size, a funding stage, a technology or a role, \
     for example \"Series B healthcare companies in Germany with 200+ employees, Head of Data\".";

/// Checks the last turn on its own: empty, a greeting, or a change that changes nothing.
pub(super) fn check_last_turn(turn: &Turn, last: &LastTurn) -> Result<(), PlanRejection> {
    let text = turn.content.trim();
    if text.is_empty() && turn.attachments.is_empty() {
        return Err(PlanRejection::new(format!("The message is empty. {ASK_FOR_AUDIENCE}")));
    }
    if last.reading.greeting {
        return Err(PlanRejection::new(format!(
            "\"{}\" reads as a greeting or a test, not a research request. {ASK_FOR_AUDIENCE}",
            quote(text)
        )));
    }
    if last.refines && last.reading.items.is_empty() && !last.brought_inputs {
        return Err(PlanRejection::new(format!(
            "Nothing in \"{}\" reads as a change to the previous request.{} Say what to change, for example \"now only Germany\", \
             \"add the CTO\", \"make it 50 rows\" or \"skip Crunchbase\".",
            quote(text),
            not_understood(&last.reading.unread)
        )));
    }
    Ok(())
}

/// Checks the merged reading: someone to look for, an attachment where one is mentioned, and
/// no contradiction.
pub(super) fn check_reading(turn: &Turn, reading: &Reading) -> Result<(), PlanRejection> {
    let criteria = &reading.criteria;
    if !has_audience(criteria) {
        return Err(PlanRejection::new(format!(
            "No audience found in \"{}\": the request names no industry, place, company size, funding stage, technology or role.{} \
             {ASK_FOR_AUDIENCE}",
            quote(turn.content.trim()),
            not_understood(&criteria.unread)
        )));
    }
    if reading.mentions_attachment && criteria.seed.is_empty() {
        return Err(PlanRejection::new(
            "The request refers to an attached list, but no attachment was sent. Attach the CSV (kind \"csv\") or the URL list \
             (kind \"url_list\"), or describe the companies to discover instead.",
        ));
    }
    check_sizes(criteria)?;
    if criteria.max_rows == Some(0) {
        return Err(PlanRejection::new("A list of 0 rows is empty. Ask for between 1 and 10,000 rows, for example \"200 leads\"."));
    }
    Ok(())
}

/// Whether the reading says who to look for.
pub(super) fn has_audience(criteria: &Criteria) -> bool {
    !(criteria.industries.is_empty()
        && criteria.countries.is_empty()
        && criteria.regions.is_empty()
        && criteria.cities.is_empty()
        && criteria.funding_stages.is_empty()
        && criteria.company_headcount.is_none()
        && criteria.department_headcounts.is_empty()
        && criteria.roles.is_empty()
        && criteria.technologies.is_empty()
        && criteria.signals.is_empty()
        && criteria.seed.is_empty())
}

fn check_sizes(criteria: &Criteria) -> Result<(), PlanRejection> {
    if let Some(range) = criteria.company_headcount {
        if let (Some(min), Some(max)) = (range.min, range.max) {
            if min > max {
                return Err(PlanRejection::new(format!(
                    "The company size is contradictory: at least {min} and at most {max} employees. Give one range, for example \"50–200 employees\"."
                )));
            }
        }
    }
    for size in &criteria.department_headcounts {
        let department = size.department.label().to_lowercase();
        if let (Some(min), Some(max)) = (size.min, size.max) {
            if min > max {
                return Err(PlanRejection::new(format!(
                    "The {department} size is contradictory: at least {min} and at most {max} people. Give one range, for example \"20–50 engineers\"."
                )));
            }
        }
        let company_max = criteria.company_headcount.and_then(|r| r.max);
        if let (Some(min), Some(company_max)) = (size.min, company_max) {
            if min > company_max {
                return Err(PlanRejection::new(format!(
                    "No company fits: {min}+ people in {department} cannot work at a company of at most {company_max} employees. \
                     Raise the company size or lower the {department} size."
                )));
            }
        }
    }
    Ok(())
}

/// " Not understood: "asdkjh qwe", "zxcv"." for a message, or nothing when every word was read.
pub(super) fn not_understood(unread: &[String]) -> String {
    if unread.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = unread.iter().take(10).map(|phrase| format!("\"{}\"", quote(phrase))).collect();
    let more = if unread.len() > 10 { format!(" and {} more", unread.len() - 10) } else { String::new() };
    format!(" Not understood: {}{more}.", quoted.join(", "))
}

/// The prompt as quoted in a message: at most 80 characters.
fn quote(text: &str) -> String {
    let mut quoted: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        quoted.push('…');
    }
    quoted.replace('"', "'")
}
