//! What a plan costs, and how to make it fit a budget.
//!
//! The estimate follows the published workload table, priced per row in tenths of a credit:
//!
//! | Workload                                   | Per row            |
//! |--------------------------------------------|--------------------|
//! | company only (discovery or seed enrichment)| 0.5                |
//! | each person found                          | +0.5 (1 → 1.0, 2 → 1.5, 3 → 2.0) |
//! | each deep-enrich dimension                 | +0.5               |
//! | email verification                         | +0.1 per person    |
//!
//! The total is `ceil(rows × per-row)`, with rows = `max_rows` or [`DEFAULT_ROWS`]. Billed
//! dimensions are the ones asked for plus the ones a filter needs: a technology filter needs the
//! tech stack, a hiring signal needs hiring data.

use super::super::{Criteria, EnrichDimension, PlanRejection, SignalKind};

/// Rows assumed when a request states no row count.
pub(super) const DEFAULT_ROWS: u32 = 100;

/// Per-row price of each workload, in tenths of a credit.
const COMPANY_TENTHS: u64 = 5;
const PERSON_TENTHS: u64 = 5;
const DIMENSION_TENTHS: u64 = 5;
const VERIFIED_EMAIL_TENTHS: u64 = 1;

/// The rows a plan works on.
pub(super) fn rows(criteria: &Criteria) -> u32 {
    criteria.max_rows.unwrap_or(DEFAULT_ROWS)
}

/// Dimensions the plan pays for: those asked for plus those its filters need, in enum order.
pub(super) fn billed_dimensions(criteria: &Criteria) -> Vec<EnrichDimension> {
    let mut dimensions = criteria.enrich.clone();
    if !criteria.technologies.is_empty() {
        dimensions.push(EnrichDimension::TechStack);
    }
    if criteria.signals.iter().any(|s| s.kind == SignalKind::Hiring) {
        dimensions.push(EnrichDimension::Hiring);
    }
    dimensions.sort();
    dimensions.dedup();
    dimensions
}

/// People found per row: one per role.
pub(super) fn persons(criteria: &Criteria) -> u64 {
    criteria.roles.len() as u64
}

/// Emails verified per row.
pub(super) fn verified_emails(criteria: &Criteria) -> u64 {
    if criteria.verify_emails {
        persons(criteria)
    } else {
        0
    }
}

/// The price of one row, in tenths of a credit.
pub(super) fn tenths_per_row(criteria: &Criteria) -> u64 {
    COMPANY_TENTHS
        + PERSON_TENTHS * persons(criteria)
        + DIMENSION_TENTHS * billed_dimensions(criteria).len() as u64
        + VERIFIED_EMAIL_TENTHS * verified_emails(criteria)
}

/// The price of a row as delivered by a live source, in tenths: the company plus each person
/// actually found. Dimensions and verification are billed once a source delivers them.
pub(super) fn delivered_tenths(persons_found: u64) -> u64 {
    COMPANY_TENTHS + PERSON_TENTHS * persons_found
}

/// The price of a live row as delivered, in tenths: the company, each person found, each
/// billed enrichment dimension when the company's site was read (`enriched`), and each verified
/// email, up to one per person found and only when the plan verifies emails.
pub(super) fn billed_tenths(criteria: &Criteria, persons_found: u64, enriched: bool, emails_verified: u64) -> u64 {
    let dimensions = if enriched { billed_dimensions(criteria).len() as u64 } else { 0 };
    let emails = if criteria.verify_emails { emails_verified.min(persons_found) } else { 0 };
    delivered_tenths(persons_found) + DIMENSION_TENTHS * dimensions + VERIFIED_EMAIL_TENTHS * emails
}

/// Whole credits for the plan, rounded up.
pub(super) fn estimate(criteria: &Criteria) -> u64 {
    (u64::from(rows(criteria)) * tenths_per_row(criteria)).div_ceil(10)
}

/// What the droppable parts of a plan cost, in tenths: asked-for enrichment and email verification.
fn optional_costs(criteria: &Criteria) -> (u64, u64) {
    let rows = u64::from(rows(criteria));
    let required = billed_dimensions(&Criteria { enrich: Vec::new(), ..criteria.clone() }).len() as u64;
    let optional_dimensions = billed_dimensions(criteria).len() as u64 - required;
    (rows * DIMENSION_TENTHS * optional_dimensions, rows * VERIFIED_EMAIL_TENTHS * verified_emails(criteria))
}

/// What "drop the most expensive step" removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dropped {
    Enrichment,
    Verification,
    Nothing,
}

/// Drops the costlier of the optional steps (asked-for enrichment, email verification). Steps that
/// define the audience (discovery, people, filters) are never dropped by this instruction.
pub(super) fn drop_most_expensive_step(criteria: &mut Criteria) -> Dropped {
    match optional_costs(criteria) {
        (0, 0) => Dropped::Nothing,
        (enrichment, verification) if enrichment >= verification => {
            criteria.enrich.clear();
            Dropped::Enrichment
        }
        _ => {
            criteria.verify_emails = false;
            Dropped::Verification
        }
    }
}

/// Makes the plan fit `max_credits`: first drops asked-for enrichment dimensions one at a time,
/// then email verification, then lowers the row count to the largest that fits. Rejects when even
/// one row costs more than the budget.
pub(super) fn fit_budget(criteria: &mut Criteria) -> Result<(), PlanRejection> {
    let Some(budget) = criteria.max_credits else {
        return Ok(());
    };
    while estimate(criteria) > budget && !criteria.enrich.is_empty() {
        criteria.enrich.pop();
    }
    if estimate(criteria) > budget && criteria.verify_emails {
        criteria.verify_emails = false;
    }
    if estimate(criteria) <= budget {
        return Ok(());
    }
    let per_row = tenths_per_row(criteria);
    let affordable_rows = (budget * 10) / per_row;
    if affordable_rows == 0 {
        let one_row = per_row.div_ceil(10);
        return Err(PlanRejection::new(format!(
            "The budget of {budget} credits is too small: even a single row of this request costs {one_row} credits. \
             Raise the budget, or ask for fewer people or enrichment per company."
        )));
    }
    criteria.max_rows = Some(u32::try_from(affordable_rows).unwrap_or(u32::MAX).min(rows(criteria)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivered_row_bills_what_the_plan_priced_and_it_got() {
        let criteria =
            Criteria { enrich: vec![EnrichDimension::Funding, EnrichDimension::News], verify_emails: true, ..Criteria::default() };
        // Company 5 + two people 10 + two dimensions 10 + two verified emails 2.
        assert_eq!(billed_tenths(&criteria, 2, true, 2), 27);
        // An unread site delivers no dimension; more addresses than people bill one each.
        assert_eq!(billed_tenths(&criteria, 2, false, 5), 17);
        // Verification turned off bills none.
        let unverified = Criteria { verify_emails: false, ..criteria };
        assert_eq!(billed_tenths(&unverified, 1, true, 3), 5 + 5 + 10);
    }
}
