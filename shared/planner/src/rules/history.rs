//! Reading a whole thread: each turn either starts a new request or refines the one before.
//!
//! A turn refines the previous reading when there is one and the turn
//! - is replan feedback, or
//! - opens with a change word ("now", "only", "add", "also", "drop", "without", "instead", "make it",
//!   "skip", "and", … or their German, French and Spanish equivalents), or says "instead", "too" or
//!   "as well" anywhere, or
//! - names no industry and no person of its own (and attaches no file): "Germany", "Series B",
//!   "500 rows" only make sense against what was asked before.
//!
//! Any other turn is a new request and replaces the reading. In a refinement each field the turn
//! mentions is replaced ("now only Germany"), extended ("add the CTO", "Spain too") or pruned
//! ("without the CTO", "skip Crunchbase", "drop the email verification"); fields it does not
//! mention are kept.

use super::super::{Criteria, DepartmentHeadcount, HeadcountRange, Signal, SignalKind, Turn, TurnKind, MAX_ROWS};
use super::credits::{self, Dropped};
use super::reading::{read_turn, Item, Mode, TurnReading};
use super::text::fold;
use super::vocab;

/// The reading of a thread so far.
#[derive(Clone, Debug, Default)]
pub(super) struct Reading {
    pub criteria: Criteria,
    /// The user's explicit say on email verification; `None` keeps the default (on with people).
    verify_choice: Option<bool>,
    /// A turn spoke of an attached list.
    pub mentions_attachment: bool,
}

/// What the last turn contributed, for rejection messages.
#[derive(Clone, Debug, Default)]
pub(super) struct LastTurn {
    pub reading: TurnReading,
    pub refines: bool,
    /// The turn carried attachments or hints that changed something.
    pub brought_inputs: bool,
}

/// Reads every turn in order and returns the merged reading with a summary of the last turn.
pub(super) fn read_thread(turns: &[Turn]) -> (Reading, LastTurn) {
    let mut reading: Option<Reading> = None;
    let mut last = LastTurn::default();
    for turn in turns {
        let turn_reading = read_turn(&turn.content);
        let refines = reading.is_some()
            && (turn.kind == TurnKind::Feedback
                || turn_reading.refinement_marked
                || (!turn_reading.names_subject() && turn.attachments.is_empty()));
        let mut current = if refines { reading.take().unwrap_or_default() } else { Reading::default() };
        apply_turn(&mut current, &turn_reading, turn);
        let brought_inputs = !turn.attachments.is_empty() || turn.hints.max_rows.is_some() || !turn.hints.preferred_sources.is_empty();
        last = LastTurn { reading: turn_reading, refines, brought_inputs };
        reading = Some(current);
    }
    (reading.unwrap_or_default(), last)
}

fn apply_turn(reading: &mut Reading, turn_reading: &TurnReading, turn: &Turn) {
    let criteria = &mut reading.criteria;
    clear_replaced_fields(criteria, &turn_reading.items);
    apply_ranges(criteria, &turn_reading.items);
    let mut drop_most_expensive = false;
    for (item, mode) in &turn_reading.items {
        match item {
            Item::DropMostExpensiveStep => drop_most_expensive = true,
            Item::VerifyEmails => reading.verify_choice = Some(*mode != Mode::Remove),
            _ => apply_item(&mut reading.criteria, item, *mode),
        }
    }
    apply_inputs(&mut reading.criteria, turn);
    // What a refinement leaves unread adds to what earlier turns left unread: none of it is in the plan.
    reading.criteria.unread.extend(turn_reading.unread.iter().cloned());
    reading.mentions_attachment |= turn_reading.mentions_attachment;
    settle(reading);
    if drop_most_expensive && credits::drop_most_expensive_step(&mut reading.criteria) == Dropped::Verification {
        reading.verify_choice = Some(false);
    }
}

/// Which field an item belongs to; `Replace` clears a field once per turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Industries,
    Places,
    Stages,
    Roles,
    Skills,
    Technologies,
    HiringSignals,
    FundingSignals,
    Sources,
    Enrich,
    Other,
}

fn field_of(item: &Item) -> Field {
    match item {
        Item::Industry(_) => Field::Industries,
        Item::Country(_) | Item::Region(_) | Item::City(_) => Field::Places,
        Item::Stage(_) => Field::Stages,
        Item::Role(_) => Field::Roles,
        Item::Skill(_) => Field::Skills,
        Item::Technology(_) => Field::Technologies,
        Item::Signal(Signal { kind: SignalKind::Hiring, .. }) => Field::HiringSignals,
        Item::Signal(_) => Field::FundingSignals,
        Item::Source(_) => Field::Sources,
        Item::Enrich(_) => Field::Enrich,
        _ => Field::Other,
    }
}

fn clear_replaced_fields(criteria: &mut Criteria, items: &[(Item, Mode)]) {
    let replaced = |field: Field| items.iter().any(|(item, mode)| *mode == Mode::Replace && field_of(item) == field);
    if replaced(Field::Industries) {
        criteria.industries.clear();
    }
    if replaced(Field::Places) {
        criteria.countries.clear();
        criteria.regions.clear();
        criteria.cities.clear();
    }
    if replaced(Field::Stages) {
        criteria.funding_stages.clear();
    }
    if replaced(Field::Roles) {
        criteria.roles.clear();
    }
    if replaced(Field::Skills) {
        criteria.skills.clear();
    }
    if replaced(Field::Technologies) {
        criteria.technologies.clear();
    }
    if replaced(Field::HiringSignals) {
        criteria.signals.retain(|s| s.kind != SignalKind::Hiring);
    }
    if replaced(Field::FundingSignals) {
        criteria.signals.retain(|s| s.kind != SignalKind::Funding);
    }
    if replaced(Field::Sources) {
        criteria.preferred_sources.clear();
    }
    if replaced(Field::Enrich) {
        criteria.enrich.clear();
    }
}

/// Company and department sizes: all of a turn's bounds together replace the earlier ones, so
/// "50+ employees and under 10 employees" becomes 50..=9 and is rejected as contradictory.
fn apply_ranges(criteria: &mut Criteria, items: &[(Item, Mode)]) {
    let mut company: Option<HeadcountRange> = None;
    for (item, mode) in items {
        match (item, mode) {
            (Item::CompanyHeadcount(_), Mode::Remove) => criteria.company_headcount = None,
            (Item::CompanyHeadcount(range), _) => company = Some(intersect(company.unwrap_or_default(), *range)),
            _ => {}
        }
    }
    if company.is_some() {
        criteria.company_headcount = company;
    }
    let mut departments: Vec<DepartmentHeadcount> = Vec::new();
    for (item, mode) in items {
        let Item::DepartmentHeadcount(size) = item else { continue };
        if *mode == Mode::Remove {
            criteria.department_headcounts.retain(|d| d.department != size.department);
            continue;
        }
        match departments.iter_mut().find(|d| d.department == size.department) {
            Some(existing) => {
                let merged =
                    intersect(HeadcountRange { min: existing.min, max: existing.max }, HeadcountRange { min: size.min, max: size.max });
                (existing.min, existing.max) = (merged.min, merged.max);
            }
            None => departments.push(*size),
        }
    }
    for size in departments {
        criteria.department_headcounts.retain(|d| d.department != size.department);
        criteria.department_headcounts.push(size);
    }
}

fn intersect(a: HeadcountRange, b: HeadcountRange) -> HeadcountRange {
    let min = match (a.min, b.min) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    let max = match (a.max, b.max) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    HeadcountRange { min, max }
}

fn apply_item(criteria: &mut Criteria, item: &Item, mode: Mode) {
    let keep = mode != Mode::Remove;
    match item {
        Item::Industry(slug) => toggle(&mut criteria.industries, slug.clone(), keep),
        Item::Country(code) => toggle(&mut criteria.countries, code.to_string(), keep),
        Item::Region(code) => apply_region(criteria, code, keep),
        Item::City(name) => toggle(&mut criteria.cities, name.to_string(), keep),
        Item::Stage(stage) => toggle(&mut criteria.funding_stages, *stage, keep),
        Item::Role(role) => toggle(&mut criteria.roles, role.clone(), keep),
        Item::Skill(slug) => toggle(&mut criteria.skills, slug.to_string(), keep),
        Item::Technology(slug) => toggle(&mut criteria.technologies, slug.to_string(), keep),
        Item::Signal(signal) if keep => toggle(&mut criteria.signals, signal.clone(), true),
        // "without the hiring filter": drop the signals of that kind (and role, when one is named).
        Item::Signal(signal) => {
            criteria.signals.retain(|s| s.kind != signal.kind || (signal.role.is_some() && s.role != signal.role));
        }
        Item::MaxRows(rows) => criteria.max_rows = keep.then_some(*rows),
        Item::MaxCredits(budget) => criteria.max_credits = keep.then(|| criteria.max_credits.map_or(*budget, |b| b.min(*budget))),
        Item::Format(format) => criteria.output_format = keep.then_some(*format),
        Item::Source(slug) => {
            let (add_to, remove_from) = if keep {
                (&mut criteria.preferred_sources, &mut criteria.excluded_sources)
            } else {
                (&mut criteria.excluded_sources, &mut criteria.preferred_sources)
            };
            toggle(add_to, slug.to_string(), true);
            toggle(remove_from, slug.to_string(), false);
        }
        Item::Enrich(dimension) => toggle(&mut criteria.enrich, *dimension, keep),
        Item::CompanyHeadcount(_) | Item::DepartmentHeadcount(_) | Item::VerifyEmails | Item::DropMostExpensiveStep => {}
    }
}

/// A state or province comes with its country. Removing the last one asked for of a country
/// removes the country too ("Texas", then "drop Texas", leaves no place), while removing one never
/// asked for changes nothing: "the US without Texas" cannot be said, as there is no list of
/// excluded regions, and reading it as "not the US" would be worse.
fn apply_region(criteria: &mut Criteria, code: &str, keep: bool) {
    let country = &code[..2];
    if keep {
        toggle(&mut criteria.regions, code.to_string(), true);
        toggle(&mut criteria.countries, country.to_string(), true);
    } else if criteria.regions.iter().any(|r| r == code) {
        toggle(&mut criteria.regions, code.to_string(), false);
        if !criteria.regions.iter().any(|r| r.starts_with(country) && r.as_bytes().get(2) == Some(&b'-')) {
            toggle(&mut criteria.countries, country.to_string(), false);
        }
    }
}

/// Adds `value` (once) or removes it.
fn toggle<T: PartialEq>(list: &mut Vec<T>, value: T, keep: bool) {
    if keep {
        if !list.contains(&value) {
            list.push(value);
        }
    } else {
        list.retain(|v| *v != value);
    }
}

/// Attachments become the seed; a row hint caps the rows; preferred sources are favoured unless excluded.
fn apply_inputs(criteria: &mut Criteria, turn: &Turn) {
    for attachment in &turn.attachments {
        toggle(&mut criteria.seed, attachment.clone(), true);
    }
    if let Some(hint) = turn.hints.max_rows {
        criteria.max_rows = Some(criteria.max_rows.map_or(hint, |rows| rows.min(hint)));
    }
    for source in &turn.hints.preferred_sources {
        let slug = source_slug(source);
        if !slug.is_empty() && !criteria.excluded_sources.contains(&slug) {
            toggle(&mut criteria.preferred_sources, slug, true);
        }
    }
}

/// A hinted source as a slug: the vocabulary's name when known ("LinkedIn" → `linkedin`),
/// otherwise the folded text without spaces.
fn source_slug(source: &str) -> String {
    let folded = fold(source.trim()).replace(['-', '_'], " ");
    let known = vocab::SOURCES.iter().find(|(phrase, _)| *phrase == folded).map(|(_, slug)| slug.to_string());
    known.unwrap_or_else(|| folded.split_whitespace().collect())
}

/// Restores the invariants after a turn: every city's and region's country is listed, rows are capped,
/// verification follows the people, collections are in order.
fn settle(reading: &mut Reading) {
    let criteria = &mut reading.criteria;
    let countries = criteria.countries.clone();
    criteria.cities.retain(|city| vocab::city_country(city).is_none_or(|code| countries.iter().any(|c| c == code)));
    criteria.regions.retain(|region| countries.iter().any(|c| region.get(..2) == Some(c.as_str())));
    criteria.max_rows = criteria.max_rows.map(|rows| rows.min(MAX_ROWS));
    criteria.verify_emails = reading.verify_choice.unwrap_or(true) && !criteria.roles.is_empty();
    criteria.normalize();
}
