//! The rule-based planner: a deterministic reading of plain-language research requests.
//!
//! # How it reads a prompt
//!
//! 1. **Tokens.** The text is lowercased and stripped of accents, so one ASCII vocabulary serves
//!    English, German, French and Spanish ("Geschäftsführer", "santé", "ingénieurs"). Hyphens
//!    inside words split them ("dev-tools" = "dev tools"); next to numbers they are range dashes.
//! 2. **Readers.** A fixed sequence of readers scans the tokens, most specific first, and each
//!    claims the words it uses so no word is read twice: credit budgets ("under 100 credits"),
//!    time windows ("in the last 7 days"), numbers with their nouns ("20+ engineers",
//!    "500–5000 employees", "a 500-row list", "top 200", "fifty companies", "between fifty and
//!    two hundred employees"), job titles (and whether a hiring word
//!    precedes them, which makes them a hiring signal instead of people to find), skills and
//!    technologies ("with Python experience" is a skill, "using Snowflake" a technology), funding
//!    stages and their ranges ("Series A–C", "seed to Series B", "between Series A and Series C",
//!    "up to Series A"; "Series B+", "or later", "and beyond", "at least Series B" run through
//!    growth, not to public), a recent-funding signal, deep-enrich dimensions and email verification, industries,
//!    places, sources and output format. Regions expand to their countries, or to the ones listed
//!    right after them ("LATAM (Mexico, Colombia and Chile)", "the Nordics: Sweden and Norway",
//!    "Europe, specifically France and Spain"); US states, DC and Canadian provinces and
//!    territories, by name ("Texas", "Ontario-based") or by postal abbreviation where it is
//!    plainly a place ("in TX", "Austin, TX", "NY-based"), add their country and are kept as
//!    regions (`US-TX`); cities add their country.
//!    Vocabulary lives in `vocab.rs` and `roles.rs`; plurals ending in -s/-es/-ies match by themselves,
//!    so "CTOs", "Heads of Data", "VPs of Sales", "Sales VPs" and "RevOps leaders" are one role
//!    each, and a plural seniority shared by a list of departments gives one role per department
//!    ("Heads of Growth and Marketing", "Sales and Marketing leaders").
//! 3. **Modes.** Each item takes the nearest change word before it in its sentence, looking back
//!    only across small words, list joiners and other items: "only"/"now"/"instead" replace a
//!    field, "add"/"also" extend it, "without"/"skip"/"drop"/"no" remove from it. Unmarked items
//!    replace, or extend when the turn says "too"/"as well".
//! 4. **History.** Turns are read oldest first. A turn refines the previous reading when it is
//!    replan feedback, opens with a change word, says "instead"/"too"/"as well", or names neither an
//!    industry nor a person (so "Germany" or "make it 50 rows" adjust what came before); any other
//!    turn starts over. Hints cap the rows and add preferred sources; attachments become the seed.
//! 5. **Budget.** A credit ceiling ("Trim to under 100 credits") is met by dropping asked-for
//!    enrichment, then email verification, then rows; "drop the most expensive step" removes the
//!    costlier of enrichment and verification. Estimates follow the workload table in `credits.rs`
//!    with [`RulePlanner::DEFAULT_ROWS`] rows when none are stated.
//! 6. **Rejections.** Empty prompts, greetings, gibberish, requests with no audience, refinements
//!    that change nothing, contradictory or impossible sizes, 0 rows, a mentioned attachment that
//!    was not sent and budgets below one row's cost are declined with a message naming what is
//!    missing and an example of what to write.
//!
//! # Known blind spots
//!
//! - Titles and industries the tables do not know are read by their shape (`open.rs`); other
//!   unknown words (a city, a technology, a describing word) are not read but listed in
//!   `criteria.unread`, and if nothing else is left the request is rejected, quoting them.
//! - Numbers are digits or words in English, French, Spanish and German ("fifty", "a hundred",
//!   "quatre-vingt-dix", "treinta y cinco", "fünfzig"; German only as one word, so "zwei
//!   Millionen" is not read). "One" alone is not a number in any of them ("un CTO"), nor are the
//!   Spanish "once" and the French "seize" (English words too), and a count in words before a role
//!   or an industry is a row count only from ten on ("the two founders" counts people). A bare number before a size noun is a minimum ("with 20 engineers"
//!   means 20 or more).
//! - Negation is local: "not" or "without" governs the items right after it, so long sentences
//!   such as "fintechs, but I don't want anything in Berlin" may be misread.
//! - A new request that names no industry and no role ("companies in Germany with 50+ staff")
//!   is read as a refinement of the previous request in the same thread.
//! - Skills are only recognised with an experience cue ("Python experience", "experience with
//!   Go"); otherwise a technology is read as the company's stack.
//! - Funding stages are alternatives, so "Series A and public companies" asks for either, and
//!   time windows only attach to funding or hiring events ("founded in the last 2 years" is not read).
//! - The US abbreviation in lowercase is only read after "in", "the" or "across", so "us"
//!   the pronoun is not mistaken for the country.
//! - A state abbreviation that is also a country code ("CA", "DE", "IN", "IL") is read only with
//!   more context ("San Jose, CA", "in TX and CA", "in MA and CT"), so "fintechs in CA" and "in IL
//!   and IN" name no place; "LA" is never Louisiana; "OR", "ME", "OK", "IN" are states only in
//!   capitals right after "in" or a comma ("in WA or OR" is Washington alone).
//!   "New York" is the city ("New York State" or "NY" the state), "Washington" the state,
//!   "Georgia" the US state.
//! - Regions narrow their own country but cannot be excluded: "the US without Texas" is the US.

mod credits;
mod history;
pub mod lookup;
mod numbers;
mod open;
mod reading;
mod roles;
mod steps;
mod text;
mod validate;
mod vocab;

#[cfg(test)]
#[path = "../suite.rs"]
mod suite;

use super::{Criteria, PlanDraft, PlanInput, PlanRejection, Planner};

/// The deterministic, rule-based planner (name `rules`): pure, fast, no I/O.
#[derive(Clone, Copy, Debug, Default)]
pub struct RulePlanner;

impl RulePlanner {
    /// Rows a plan works on when the request and its hints state no row count.
    pub const DEFAULT_ROWS: u32 = credits::DEFAULT_ROWS;

    pub fn new() -> Self {
        RulePlanner
    }

    /// Drafts a plan for the last turn of `input`, or says why it cannot.
    pub fn draft(&self, input: &PlanInput) -> Result<PlanDraft, PlanRejection> {
        let Some(last_turn) = input.turns.last() else {
            return Err(PlanRejection::new("There is no message to plan for. Send a message that says who you are looking for."));
        };
        let (mut reading, last) = history::read_thread(&input.turns);
        validate::check_last_turn(last_turn, &last)?;
        validate::check_reading(last_turn, &reading)?;
        credits::fit_budget(&mut reading.criteria)?;
        Ok(plan_for(reading.criteria))
    }

    /// Whole credits a plan for `criteria` is expected to cost, by the workload table: per row,
    /// 0.5 for the company, +0.5 per person, +0.5 per deep-enrich dimension (asked for or needed
    /// by a filter), +0.1 per verified email; times the rows, rounded up.
    pub fn estimate_credits(criteria: &Criteria) -> u64 {
        credits::estimate(criteria)
    }

    /// The price of one result row for `criteria`, in tenths of a credit (the job runner bills
    /// rows actually delivered at this price).
    pub fn tenths_per_row(criteria: &Criteria) -> u64 {
        credits::tenths_per_row(criteria)
    }

    /// The price of one live row as the job delivered it, in tenths of a credit: the company,
    /// each person found, each enrichment dimension the plan priced when the company's site was
    /// read (`enriched`), and each verified email of a person found.
    pub fn billed_tenths(criteria: &Criteria, persons_found: u64, enriched: bool, emails_verified: u64) -> u64 {
        credits::billed_tenths(criteria, persons_found, enriched, emails_verified)
    }

    /// The rows a plan for `criteria` works on (its `max_rows`, or [`Self::DEFAULT_ROWS`]).
    pub fn planned_rows(criteria: &Criteria) -> u32 {
        credits::rows(criteria)
    }
}

/// The rule planner's name, recorded on its plans.
const RULES: &str = "rules";

fn plan_for(criteria: Criteria) -> PlanDraft {
    PlanDraft {
        title: steps::title(&criteria),
        steps: steps::build_steps(&criteria),
        credits_estimate: credits::estimate(&criteria),
        criteria,
        drafted_by: RULES,
    }
}

#[async_trait::async_trait]
impl Planner for RulePlanner {
    async fn plan(&self, input: &PlanInput) -> Result<PlanDraft, PlanRejection> {
        self.draft(input)
    }

    fn name(&self) -> &'static str {
        RULES
    }
}
