//! The confidence score of a lead: how well its facts are grounded.
//!
//! ```text
//! strength(kind)  web 0.70 · index 0.65 · seed 0.60 · synthetic 0.50
//! agreement(path) = 1 − Π (1 − strength(s))   over the independent sources s grounding `path`
//! trust(path)     = agreement(path) × guess   for person.email when fields.email_inferred is true,
//!                                             where guess = fields.email_confidence (the engine's
//!                                             0.3–0.6 for the address pattern; capped at 0.6,
//!                                             0.3 when missing)
//!                 = agreement(path)           otherwise
//! support         = mean of trust(path)       over the lead's identity paths (company.name,
//!                                             company.domain, person.full_name, person.email
//!                                             that it sets; every set path when it sets none)
//! coverage        = share of the lead's set paths grounded by at least one source
//! confidence      = min(support × (0.8 + 0.2 × coverage), 0.99), rounded to 2 decimals
//! ```
//!
//! Sources are independent when they differ in kind or URL: the same page fetched twice, or two
//! synthetic sources, count once. Agreement has diminishing returns (one web source gives 0.70,
//! two 0.91, three 0.97), a source never lowers the score, and no lead is ever certain (0.99 at
//! most). Ungrounded facts cost up to a fifth of the score, because a fact without a source should
//! not be there at all.
//!
//! An inferred email was never seen: it is right only if the pages naming the person are right
//! *and* the domain's address pattern holds for them, hence the product. The pattern's own
//! confidence stays below 0.6, so an inferred address always counts for less than the same
//! sources would give a stated one (a web page: at most 0.42 against 0.70).

use quarry_engine::verify::{MAX_GUESS_CONFIDENCE, MIN_GUESS_CONFIDENCE};

use super::dedupe::field_values;
use super::{LeadDraft, Source, SourceKind};

/// The identity facts whose grounding decides how far a lead is trusted.
const IDENTITY_PATHS: [&str; 4] = ["company.name", "company.domain", "person.full_name", "person.email"];

/// Highest score a lead can get: more sources always leave room for doubt.
const CEILING: f64 = 0.99;

/// Share of the score that depends on every fact being grounded.
const COVERAGE_WEIGHT: f64 = 0.2;

/// How much one source of a kind is trusted on its own, 0–1.
pub fn source_strength(kind: &SourceKind) -> f64 {
    match kind {
        SourceKind::Web => 0.70,
        SourceKind::Index => 0.65,
        SourceKind::Seed => 0.60,
        // Volunteers' records: usually right, often dated; below the company's own site.
        SourceKind::OpenData => 0.55,
        // Never real; only ever "as good as the generator", and weaker than any real source.
        SourceKind::Synthetic => 0.50,
    }
}

/// The lead's confidence, 0–1 with two decimals (see the module documentation for the formula).
/// A lead that sets nothing scores 0.
pub fn confidence(lead: &LeadDraft) -> f64 {
    let values = field_values(lead);
    if values.is_empty() {
        return 0.0;
    }
    let identity: Vec<&str> = IDENTITY_PATHS.into_iter().filter(|path| values.contains_key(*path)).collect();
    let scored: Vec<&str> = if identity.is_empty() { values.keys().map(String::as_str).collect() } else { identity };
    let support = scored.iter().map(|path| trust(lead, path)).sum::<f64>() / scored.len() as f64;
    let grounded = values.keys().filter(|path| lead.sources.iter().any(|s| s.fields.contains(path))).count();
    let coverage = grounded as f64 / values.len() as f64;
    let score = (support * (1.0 - COVERAGE_WEIGHT + COVERAGE_WEIGHT * coverage)).clamp(0.0, CEILING);
    (score * 100.0).round() / 100.0
}

/// How far the value at `path` is trusted: its sources' agreement, discounted by the pattern's
/// confidence for an inferred email.
fn trust(lead: &LeadDraft, path: &str) -> f64 {
    let agreed = agreement(&lead.sources, path);
    let inferred = lead.fields.get("email_inferred").and_then(|v| v.as_bool()).unwrap_or(false);
    if path != "person.email" || !inferred {
        return agreed;
    }
    let guess = lead.fields.get("email_confidence").and_then(|v| v.as_f64()).unwrap_or(MIN_GUESS_CONFIDENCE);
    agreed * guess.clamp(0.0, MAX_GUESS_CONFIDENCE)
}

/// The chance that at least one of the independent sources grounding `path` is right.
fn agreement(sources: &[Source], path: &str) -> f64 {
    // First-seen order keeps the float product identical from run to run.
    let mut independent: Vec<(&SourceKind, Option<&str>)> = Vec::new();
    for source in sources.iter().filter(|s| s.fields.iter().any(|f| f == path)) {
        let identity = (&source.kind, source.url.as_deref());
        if !independent.contains(&identity) {
            independent.push(identity);
        }
    }
    1.0 - independent.iter().map(|(kind, _)| 1.0 - source_strength(kind)).product::<f64>()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::leads::dedupe::field_paths;
    use crate::leads::{Company, Person};
    use quarry_ports::clock::Timestamp;

    fn lead() -> LeadDraft {
        let mut lead = LeadDraft {
            company: Some(Company { name: Some("Lumora Pay".into()), domain: Some("lumorapay.fr".into()), ..Default::default() }),
            person: Some(Person {
                full_name: Some("Léa Dubois".into()),
                email: Some("lea.dubois@lumorapay.fr".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        lead.fields.insert("engineering_headcount".into(), json!(24));
        lead
    }

    fn source(kind: SourceKind, url: Option<&str>, fields: Vec<String>) -> Source {
        Source { kind, url: url.map(String::from), retrieved_at: Timestamp::from_unix(1_776_000_000).unwrap(), fields }
    }

    /// `lead` grounded in full by one source per (kind, url).
    fn grounded_by(sources: &[(SourceKind, Option<&str>)]) -> LeadDraft {
        let mut lead = lead();
        let paths = field_paths(&lead);
        lead.sources = sources.iter().map(|(kind, url)| source(kind.clone(), *url, paths.clone())).collect();
        lead
    }

    #[test]
    fn scores_stay_within_bounds() {
        assert_eq!(confidence(&LeadDraft::default()), 0.0);
        assert_eq!(confidence(&lead()), 0.0, "facts without sources are not trusted");
        let many: Vec<_> = ["https://a", "https://b", "https://c", "https://d", "https://e", "https://f"]
            .into_iter()
            .map(|url| (SourceKind::Web, Some(url)))
            .collect();
        let score = confidence(&grounded_by(&many));
        assert!((0.0..=CEILING).contains(&score), "{score}");
        assert_eq!(score, 0.99, "capped short of certainty");
    }

    #[test]
    fn a_single_source_scores_its_strength() {
        assert_eq!(confidence(&grounded_by(&[(SourceKind::Web, Some("https://a"))])), 0.70);
        assert_eq!(confidence(&grounded_by(&[(SourceKind::Index, None)])), 0.65);
        assert_eq!(confidence(&grounded_by(&[(SourceKind::Seed, Some("https://files/seed.csv"))])), 0.60);
        assert_eq!(confidence(&grounded_by(&[(SourceKind::Synthetic, None)])), 0.50);
    }

    #[test]
    fn open_records_rank_below_the_company_site_and_above_synthetic_rows() {
        assert!(source_strength(&SourceKind::OpenData) < source_strength(&SourceKind::Web));
        assert!(source_strength(&SourceKind::OpenData) > source_strength(&SourceKind::Synthetic));
    }

    #[test]
    fn synthetic_only_scores_below_web() {
        let synthetic = confidence(&grounded_by(&[(SourceKind::Synthetic, None)]));
        let web = confidence(&grounded_by(&[(SourceKind::Web, Some("https://a"))]));
        assert!(synthetic < web);
    }

    #[test]
    fn independent_sources_raise_the_score_with_diminishing_returns() {
        let urls = ["https://a", "https://b", "https://c"];
        let scores: Vec<f64> =
            (1..=3).map(|n| confidence(&grounded_by(&urls[..n].iter().map(|u| (SourceKind::Web, Some(*u))).collect::<Vec<_>>()))).collect();
        assert_eq!(scores, [0.70, 0.91, 0.97]);
        assert!(scores[1] - scores[0] > scores[2] - scores[1]);

        let mixed = confidence(&grounded_by(&[(SourceKind::Web, Some("https://a")), (SourceKind::Seed, None)]));
        assert!(mixed > 0.70, "{mixed}");
    }

    #[test]
    fn repeated_retrievals_of_one_source_count_once() {
        let mut lead = grounded_by(&[(SourceKind::Web, Some("https://a"))]);
        let mut again = lead.sources[0].clone();
        again.retrieved_at = Timestamp::from_unix(1_776_100_000).unwrap();
        lead.sources.push(again);
        assert_eq!(confidence(&lead), 0.70);
        assert_eq!(confidence(&grounded_by(&[(SourceKind::Synthetic, None), (SourceKind::Synthetic, None)])), 0.50);
    }

    #[test]
    fn ungrounded_facts_and_identity_lower_the_score() {
        let full = grounded_by(&[(SourceKind::Web, Some("https://a"))]);
        let mut partial = full.clone();
        partial.sources[0].fields.retain(|path| path != "fields.engineering_headcount");
        let mut weak_identity = full.clone();
        weak_identity.sources[0].fields.retain(|path| path != "person.email");
        assert!(confidence(&partial) < confidence(&full));
        assert!(confidence(&weak_identity) < confidence(&partial));
    }

    #[test]
    fn an_inferred_email_counts_for_less_than_a_stated_one() {
        let stated = grounded_by(&[(SourceKind::Web, Some("https://a"))]);
        let mut inferred = stated.clone();
        inferred.fields.insert("email_inferred".into(), json!(true));
        inferred.fields.insert("email_confidence".into(), json!(0.45));
        let paths = field_paths(&inferred);
        inferred.sources[0].fields = paths;
        // Identity: company.name, company.domain, person.full_name at 0.70, the email at 0.70 × 0.45.
        assert_eq!(confidence(&stated), 0.70);
        assert_eq!(confidence(&inferred), ((3.0 * 0.70 + 0.70 * 0.45) / 4.0 * 100.0_f64).round() / 100.0);
        assert!(confidence(&inferred) < confidence(&stated));

        // A stronger pattern gives more, but never as much as a stated address; a hand-set
        // confidence above the engine's bound is capped, a missing one counts as the lowest.
        let with_guess = |guess: Option<f64>| {
            let mut lead = inferred.clone();
            match guess {
                Some(g) => lead.fields.insert("email_confidence".into(), json!(g)),
                None => lead.fields.remove("email_confidence"),
            };
            confidence(&lead)
        };
        assert!(with_guess(Some(0.57)) > confidence(&inferred));
        assert_eq!(with_guess(Some(1.0)), with_guess(Some(MAX_GUESS_CONFIDENCE)));
        assert!(with_guess(Some(1.0)) < confidence(&stated));
        assert_eq!(with_guess(None), with_guess(Some(MIN_GUESS_CONFIDENCE)));

        // The marker only discounts the email: `email_inferred = false` changes nothing.
        let mut marked_stated = stated.clone();
        marked_stated.fields.insert("email_inferred".into(), json!(false));
        let paths = field_paths(&marked_stated);
        marked_stated.sources[0].fields = paths;
        assert_eq!(confidence(&marked_stated), 0.70);
    }

    #[test]
    fn a_lead_without_identity_is_scored_on_its_other_facts() {
        let mut lead = LeadDraft::default();
        lead.fields.insert("tech_stack".into(), json!(["aws"]));
        lead.sources.push(source(SourceKind::Web, Some("https://a"), vec!["fields.tech_stack".into()]));
        assert_eq!(confidence(&lead), 0.70);
    }
}
