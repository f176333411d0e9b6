//! Funding announcements in the page text ("raised $12M in a Series A led by …", "Seed-Finanzierung
//! über 3 Mio. €", "levée de fonds de 5 millions d'euros"), with the round's stage as a slug and
//! the amount as written. A sentence counts only with funding words in it, so "Series A" in a
//! product name or "$49 per month" on a pricing page is not funding.

use std::sync::LazyLock;

use regex::Regex;

use super::gate::Gated;
use super::FundingMention;

static STAGE: LazyLock<Gated> = LazyLock::new(|| Gated::new(r"(?i)\b(?:(pre[- ]?seed)|(seed)|(?:series|serie|série)[\s-]+([a-h])\b)"));

static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:(?:us\$|\$|€|£|chf|usd|eur|gbp|sek)\s?\d+(?:[.,]\d+)?(?:\s?(?:k|m|mm|bn|b|million|millions|billion|mio\.?|mrd\.?|millionen|milliarden|millones|milioni|miljoner|miljoen))?\b|\d+(?:[.,]\d+)?\s?(?:k|m|bn|million|millions|mio\.?|mrd\.?|millionen|milliarden|millones|milioni|miljoner|miljoen)\s?(?:de |di |d'|d’)?(?:€|\$|£|euros?|dollars?|usd|eur|gbp|pounds|sek|kronor|chf))",
    )
    .unwrap()
});

/// Words that make a sentence about raising money.
static FUNDING_WORDS: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(
        r"(?i)\b(rais(?:e|ed|es|ing)|secur(?:e|ed|es)|closed|funding|financing|funded|investment|investors?|led by|round|finanzierung\w*|investoren|eingesammelt|sammelt|erhält|levée|lève|levé|financement|investisseurs|tour de table|ronda|financiación|inversión|inversores|capta\w*|raccolt\w*|finanziament\w*|investitori|financieringsronde|ronde|opgehaald|haalde|investeerders|investering|kapitalrunda|rahoitus)",
    )
});

/// Sentences that raise money for someone else, not the company ("we helped clients raise $200M").
static NOT_OURS: LazyLock<Gated> = LazyLock::new(|| Gated::new(r"(?i)\b(helped|help|clients|customers|portfolio|kunden|mandanten)\b"));

/// Funding mentions, one per round: a headline and the sentence under it that name the same
/// stage are one mention, kept as the sentence that states the amount.
pub(super) fn mentions(lines: &[String]) -> Vec<FundingMention> {
    let mut found: Vec<FundingMention> = Vec::new();
    for mention in lines.iter().flat_map(|line| sentences(line)).flat_map(in_sentence) {
        let same_round = |f: &&mut FundingMention| match (&f.stage, &mention.stage) {
            (Some(a), Some(b)) => a == b,
            (None, None) => f.amount == mention.amount,
            _ => false,
        };
        match found.iter_mut().find(same_round) {
            Some(known) if known.amount.is_none() && mention.amount.is_some() => *known = mention,
            Some(_) => {}
            None => found.push(mention),
        }
    }
    found
}

/// The rounds one sentence names, each with the amount written nearest to it ("raised €3.2M in a
/// seed round, following a €500K pre-seed" is two rounds); an amount alone is a round of unknown stage.
fn in_sentence(sentence: &str) -> Vec<FundingMention> {
    if !FUNDING_WORDS.is_match(sentence) || NOT_OURS.is_match(sentence) {
        return Vec::new();
    }
    let amounts: Vec<regex::Match<'_>> = AMOUNT.find_iter(sentence).collect();
    let text = sentence.trim().to_string();
    let nearest = |at: usize| amounts.iter().min_by_key(|m| m.start().abs_diff(at)).map(|m| m.as_str().trim().to_string());
    let rounds: Vec<FundingMention> = STAGE
        .candidate(sentence)
        .into_iter()
        .flat_map(|stage| stage.captures_iter(sentence))
        .map(|caps| FundingMention { stage: Some(stage_slug(&caps)), amount: nearest(caps.get(0).unwrap().start()), text: text.clone() })
        .collect();
    if rounds.is_empty() {
        return amounts
            .first()
            .map(|m| FundingMention { stage: None, amount: Some(m.as_str().trim().to_string()), text })
            .into_iter()
            .collect();
    }
    rounds
}

fn stage_slug(caps: &regex::Captures<'_>) -> String {
    if caps.get(1).is_some() {
        return "pre_seed".into();
    }
    if caps.get(2).is_some() {
        return "seed".into();
    }
    let letter = caps[3].to_lowercase();
    if letter.as_str() >= "e" {
        "series_e_plus".into()
    } else {
        format!("series_{letter}")
    }
}

/// A line cut into sentences at ". ", "! " and "? " (not at the dot in "3.5" or "Mio. €" before a digit-free word).
fn sentences(line: &str) -> Vec<&str> {
    static END: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[.!?]\s+\p{Lu}").unwrap());
    let mut out = Vec::new();
    let mut start = 0;
    for m in END.find_iter(line) {
        let cut = m.start() + 1;
        // "Mio. Euro", "Inc. The": an abbreviation's dot is no sentence end.
        let word_before = line[start..m.start()].rsplit(' ').next().unwrap_or_default().to_lowercase();
        if ["mio", "mrd", "inc", "ltd", "dr", "mr", "ms", "st", "co", "ca", "bzw", "vs"].contains(&word_before.as_str()) {
            continue;
        }
        out.push(&line[start..cut]);
        start = cut;
    }
    out.push(&line[start..]);
    out.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Option<(Option<String>, Option<String>)> {
        let found = mentions(&[text.to_string()]);
        found.first().map(|m| (m.stage.clone(), m.amount.clone()))
    }

    #[test]
    fn stages_and_amounts() {
        assert_eq!(
            one("In March we raised $12M in a Series A led by Northwind Ventures."),
            Some((Some("series_a".into()), Some("$12M".into())))
        );
        assert_eq!(
            one("Wir haben eine Seed-Finanzierung über 3,5 Mio. € abgeschlossen."),
            Some((Some("seed".into()), Some("3,5 Mio. €".into())))
        );
        assert_eq!(one("Lumen annonce une levée de fonds de 5 millions d'euros."), Some((None, Some("5 millions d'euros".into()))));
        assert_eq!(one("Closed our Series F round."), Some((Some("series_e_plus".into()), None)));
        assert_eq!(one("Our pre-seed round was backed by angels."), Some((Some("pre_seed".into()), None)));
        let two = mentions(&["We raised €3.2M in a seed round led by Frontline, following a €500K pre-seed in 2021.".to_string()]);
        let rounds: Vec<_> = two.iter().map(|m| (m.stage.as_deref(), m.amount.as_deref())).collect();
        assert_eq!(rounds, [(Some("seed"), Some("€3.2M")), (Some("pre_seed"), Some("€500K"))]);
    }

    #[test]
    fn a_headline_and_its_sentence_are_one_round() {
        let lines =
            ["Series B closed".to_string(), "We closed a $40M Series B round.".to_string(), "Our seed round closed in 2021.".to_string()];
        let found = mentions(&lines);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].amount.as_deref(), Some("$40M"));
        assert_eq!(found[1].stage.as_deref(), Some("seed"));
    }

    #[test]
    fn prices_and_products_are_not_funding() {
        assert_eq!(one("Plans start at $49 per month."), None);
        assert_eq!(one("The Series A printer ships in May."), None);
        assert_eq!(one("We helped clients raise over $200M."), None);
        assert_eq!(one("Seed packets for your garden."), None);
    }

    #[test]
    fn sentences_split_on_ends_not_abbreviations() {
        assert_eq!(sentences("We raised 3 Mio. Euro. Then we hired. Next"), ["We raised 3 Mio. Euro.", "Then we hired.", "Next"]);
    }
}
