//! The addresses one company site yields, checked and completed: every distinct address the site
//! states is verified (syntax, MX, disposable/free-mail/role flags, never SMTP), and the people it
//! names without an address get one inferred from the pattern of the addresses that verified.
//!
//! What lands on a lead, and what grounds it:
//!
//! - A person's stated address: `fields.email_status` (the engine's `valid`, `risky` or
//!   `invalid`) and the flags `fields.email_disposable`, `fields.email_free_mail`,
//!   `fields.email_role_account`. They are facts about the address, so the sources that ground
//!   `person.email` ground them too (as whatever grounds a title grounds the role read from it).
//! - The company's addresses without a person (`fields.emails`): `fields.email_statuses`, an
//!   object from address to status, grounded by the sources of `fields.emails`.
//! - An inferred address: `person.email`, `fields.email_inferred = true`,
//!   `fields.email_status = "risky"` (nobody saw the address, so it is never `valid`: `risky` is
//!   the engine's word for probably deliverable but not known), the flags, `fields.email_pattern`
//!   (`first.last`) and `fields.email_confidence` (the engine's 0.3–0.6 for the guess). The name
//!   the address is built from is grounded by the pages naming the person, so those sources
//!   ground the address, its marker, status and flags; the pattern and its confidence come from
//!   the verified addresses, so the pages stating those ground them.
//!
//! Inference is deliberately narrow: only from addresses whose status is `valid` (well-formed,
//! MX found, no role, free-mail or disposable address), only for named people, and never at a
//! free-mail or disposable domain (an address at gmail.com says nothing about the employer's
//! pattern). When the domain has no MX nothing verifies, so nothing is inferred.

use std::collections::{BTreeMap, HashMap};

use futures_util::future::join_all;
use quarry_engine::verify::{
    guess_address, infer_pattern, is_disposable_domain, is_free_mail_domain, EmailCheck, EmailStatus, EmailVerifier, NameParts,
};
use serde_json::{json, Map, Value};

use super::SiteFindings;
use crate::leads::{dedupe, LeadDraft, Person, Source};

/// The fields set on a lead from an address check; all of them are grounded with the address.
const CHECK_FIELDS: [&str; 4] = ["email_status", "email_disposable", "email_free_mail", "email_role_account"];
/// The marker of an inferred address, grounded (with the address) by the name it was built from.
const INFERRED_MARK: &str = "email_inferred";
/// The fields only an inferred address has, grounded by the addresses the pattern came from.
const PATTERN_FIELDS: [&str; 2] = ["email_pattern", "email_confidence"];

/// Verifies the addresses of `findings` and infers the missing ones (see the module docs).
pub(super) async fn verify_site(verifier: &EmailVerifier, findings: &mut SiteFindings) {
    let checks = check_all(verifier, stated_addresses(findings)).await;
    findings.emails_checked = checks.len();
    for lead in &mut findings.people {
        let Some(check) = lead.person.as_ref().and_then(|p| p.email.as_ref()).and_then(|email| checks.get(email)) else { continue };
        record_check(lead, check);
        ground_with(lead, "person.email", CHECK_FIELDS.iter().map(|f| format!("fields.{f}")));
    }
    if let Some(company) = findings.company.as_mut() {
        record_company_statuses(company, &checks);
    }
    findings.emails_inferred = infer_missing(verifier, &mut findings.people, &checks).await;
}

/// Every distinct address the site states: its people's and the company's own, in order.
fn stated_addresses(findings: &SiteFindings) -> Vec<String> {
    let people = findings.people.iter().filter_map(|lead| lead.person.as_ref()?.email.clone());
    let company = findings.company.iter().flat_map(|c| c.fields.get("emails").and_then(Value::as_array).cloned().unwrap_or_default());
    let mut addresses: Vec<String> = Vec::new();
    for address in people.chain(company.filter_map(|v| v.as_str().map(str::to_string))) {
        if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    addresses
}

/// Checks the addresses side by side. The verifier shares one MX look-up among the addresses of
/// a domain and caches it, so a site costs one query set per mail domain.
async fn check_all(verifier: &EmailVerifier, addresses: Vec<String>) -> HashMap<String, EmailCheck> {
    let checks = join_all(addresses.iter().map(|address| verifier.verify(address))).await;
    addresses.into_iter().zip(checks).collect()
}

fn status_word(status: EmailStatus) -> Value {
    serde_json::to_value(status).unwrap_or(Value::Null)
}

/// Sets the check's fields on `lead` (status as the engine says, flags).
fn record_check(lead: &mut LeadDraft, check: &EmailCheck) {
    let values = [status_word(check.status), json!(check.disposable), json!(check.free_mail), json!(check.role_account)];
    for (name, value) in CHECK_FIELDS.iter().zip(values) {
        lead.fields.insert((*name).to_string(), value);
    }
}

/// Adds `paths` to every source of `lead` that grounds `by`.
fn ground_with(lead: &mut LeadDraft, by: &str, paths: impl Iterator<Item = String> + Clone) {
    for source in lead.sources.iter_mut().filter(|s| s.fields.iter().any(|f| f == by)) {
        for path in paths.clone() {
            if !source.fields.contains(&path) {
                source.fields.push(path);
            }
        }
    }
}

/// `fields.email_statuses` of the company: each of its own addresses with its status.
fn record_company_statuses(company: &mut LeadDraft, checks: &HashMap<String, EmailCheck>) {
    let Some(Value::Array(emails)) = company.fields.get("emails") else { return };
    let statuses: Map<String, Value> = emails
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|address| checks.get(address).map(|check| (address.to_string(), status_word(check.status))))
        .collect();
    if statuses.is_empty() {
        return;
    }
    company.fields.insert("email_statuses".into(), Value::Object(statuses));
    ground_with(company, "fields.emails", std::iter::once("fields.email_statuses".to_string()));
}

/// The parts of a person's name an address pattern is built from; `None` without a first and a
/// last name.
fn name_parts(person: &Person) -> Option<NameParts> {
    match (&person.first_name, &person.last_name) {
        (Some(first), Some(last)) => Some(NameParts::new(first, last)),
        _ => NameParts::from_full_name(person.full_name.as_deref()?),
    }
}

/// One verified address of a named person: what a pattern is learnt from.
struct Known<'a> {
    name: NameParts,
    address: &'a str,
    lead: &'a LeadDraft,
}

/// The verified addresses of named people, by mail domain. Only `valid` addresses count, and
/// free-mail and disposable domains never do (a pattern there is nobody's employer's).
fn verified_by_domain<'a>(people: &'a [LeadDraft], checks: &HashMap<String, EmailCheck>) -> BTreeMap<String, Vec<Known<'a>>> {
    let mut by_domain: BTreeMap<String, Vec<Known<'a>>> = BTreeMap::new();
    for lead in people {
        let Some(person) = &lead.person else { continue };
        let (Some(address), Some(name)) = (person.email.as_deref(), name_parts(person)) else { continue };
        let Some(check) = checks.get(address).filter(|c| c.status == EmailStatus::Valid) else { continue };
        let Some(domain) = check.domain.clone().filter(|d| !is_free_mail_domain(d) && !is_disposable_domain(d)) else { continue };
        by_domain.entry(domain).or_default().push(Known { name, address, lead });
    }
    by_domain
}

/// Gives the people without an address one inferred at the site's mail domain (the domain with
/// the most verified addresses; the first in name order on a tie), and returns how many got one.
async fn infer_missing(verifier: &EmailVerifier, people: &mut [LeadDraft], checks: &HashMap<String, EmailCheck>) -> usize {
    let by_domain = verified_by_domain(people, checks);
    let Some((domain, known)) = by_domain.iter().rev().max_by_key(|(_, known)| known.len()) else { return 0 };
    let samples: Vec<(NameParts, String)> = known.iter().map(|k| (k.name.clone(), k.address.to_string())).collect();
    let Some(pattern) = infer_pattern(&samples) else { return 0 };
    // The pages that state the verified addresses ground the pattern.
    let pattern_sources: Vec<Source> = known
        .iter()
        .flat_map(|k| k.lead.sources.iter().filter(|s| s.fields.iter().any(|f| f == "person.email")))
        .map(|s| Source { fields: PATTERN_FIELDS.iter().map(|f| format!("fields.{f}")).collect(), ..s.clone() })
        .collect();
    let domain = domain.clone();

    let mut inferred = 0;
    for lead in people.iter_mut() {
        let Some(person) = lead.person.as_ref().filter(|p| p.email.is_none()) else { continue };
        let Some(guess) = name_parts(person).and_then(|name| guess_address(&pattern, &name, &domain)) else { continue };
        let check = verifier.verify(&guess.address).await;
        // A guess that lands on a role mailbox (or fails a check) is no one's address.
        if check.status != EmailStatus::Valid {
            continue;
        }
        if let Some(person) = lead.person.as_mut() {
            person.email = Some(guess.address.clone());
        }
        record_check(lead, &check);
        lead.fields.insert("email_status".into(), status_word(EmailStatus::Risky));
        lead.fields.insert(INFERRED_MARK.into(), json!(true));
        let by_name = ["person.email".to_string(), format!("fields.{INFERRED_MARK}")];
        ground_with(lead, "person.full_name", by_name.into_iter().chain(CHECK_FIELDS.iter().map(|f| format!("fields.{f}"))));
        // Merged rather than pushed, so a page that names this person and states a verified
        // address is one source grounding both.
        let mut pattern_fields = Map::new();
        pattern_fields.insert(PATTERN_FIELDS[0].into(), json!(guess.pattern.template()));
        pattern_fields.insert(PATTERN_FIELDS[1].into(), json!((guess.confidence * 100.0).round() / 100.0));
        dedupe::merge(lead, LeadDraft { fields: pattern_fields, sources: pattern_sources.clone(), ..LeadDraft::default() });
        inferred += 1;
    }
    inferred
}

#[cfg(test)]
mod tests;
