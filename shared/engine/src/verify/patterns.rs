//! Address patterns: how an organisation builds its people's addresses (`first.last@`,
//! `f.last@`, `first@` …), inferred from addresses Quarry has already verified at that domain,
//! and used to guess the address of someone whose name is known but whose address is not.
//!
//! A guess is never a finding: [`guess_address`] marks it `inferred` and gives it a confidence
//! between [`MIN_GUESS_CONFIDENCE`] and [`MAX_GUESS_CONFIDENCE`], below any address that was
//! actually seen and verified.
//!
//! Names are folded to what mail systems use: lowercase ASCII (`é`→`e`, `ü`→`u`, `ß`→`ss`,
//! `ø`→`o`, `æ`→`ae` …) with spaces, hyphens, apostrophes and dots dropped, so `Jean-Pierre
//! D'Arcy` gives `jeanpierre` and `darcy`. When matching known addresses a few more spellings
//! are tried, because organisations differ: German transliteration (`ü`→`ue`), a surname without
//! its particles (`van der Berg` → `berg`) and the first part of a compound name (`Jean-Pierre`
//! → `jean`).

use serde::{Serialize, Serializer};

use super::syntax::check_syntax;

/// The lowest confidence a guessed address gets (a pattern seen once among many addresses).
pub const MIN_GUESS_CONFIDENCE: f64 = 0.3;
/// The bound a guessed address's confidence stays below, however well the pattern is supported:
/// a verified, actually seen address always ranks higher.
pub const MAX_GUESS_CONFIDENCE: f64 = 0.6;

/// A person's name, as found (any case, accents, particles). Folding happens when the name is
/// used in a local part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NameParts {
    /// Given name(s): `Jean-Pierre`, `Anna Lena`.
    pub first: String,
    /// Family name, with any particles: `van der Berg`, `O'Neill`, `Müller-Lüdenscheidt`.
    pub last: String,
}

impl NameParts {
    /// A name from its two parts.
    pub fn new(first: impl Into<String>, last: impl Into<String>) -> Self {
        Self { first: first.into(), last: last.into() }
    }

    /// Splits a full name at its first whitespace: `Jan van der Berg` → `Jan` / `van der Berg`.
    /// `None` for a single word, where the split is unknowable.
    pub fn from_full_name(full: &str) -> Option<Self> {
        let full = full.trim();
        let (first, last) = full.split_once(char::is_whitespace)?;
        let last = last.trim();
        (!first.is_empty() && !last.is_empty()).then(|| Self::new(first, last))
    }

    /// The folded first and last name as they appear in a local part (`jeanpierre`, `vanderberg`).
    fn primary(&self) -> (String, String) {
        (fold(&self.first, false), fold(&self.last, false))
    }

    /// Every spelling of the first name tried when matching known addresses; the primary first.
    fn first_variants(&self) -> Vec<String> {
        let mut out = Vec::new();
        for german in [false, true] {
            push_unique(&mut out, fold(&self.first, german));
            if let Some(head) = self.first.split(|c: char| c.is_whitespace() || c == '-').find(|w| !w.is_empty()) {
                push_unique(&mut out, fold(head, german));
            }
        }
        out.retain(|s| !s.is_empty());
        out
    }

    /// Every spelling of the last name tried when matching known addresses; the primary first.
    fn last_variants(&self) -> Vec<String> {
        let mut out = Vec::new();
        let words: Vec<&str> = self.last.split(char::is_whitespace).filter(|w| !w.is_empty()).collect();
        let without_particles: Vec<&str> = words.iter().copied().skip_while(|w| is_particle(w)).collect();
        for german in [false, true] {
            push_unique(&mut out, fold(&self.last, german));
            if !without_particles.is_empty() {
                let core = without_particles.join(" ");
                push_unique(&mut out, fold(&core, german));
                if let Some(head) = core.split(|c: char| c.is_whitespace() || c == '-').find(|w| !w.is_empty()) {
                    push_unique(&mut out, fold(head, german));
                }
            }
        }
        out.retain(|s| !s.is_empty());
        out
    }
}

fn push_unique(out: &mut Vec<String>, s: String) {
    if !out.contains(&s) {
        out.push(s);
    }
}

/// Surname particles that organisations often leave out of addresses.
fn is_particle(word: &str) -> bool {
    const PARTICLES: &[&str] = &[
        "al", "bin", "da", "das", "de", "degli", "del", "della", "den", "der", "des", "di", "do", "dos", "du", "el", "ibn", "la", "le",
        "lo", "ten", "ter", "van", "vom", "von", "y", "zu", "zum", "zur",
    ];
    let w = word.to_lowercase();
    PARTICLES.contains(&w.as_str())
}

/// Folds a name to the ASCII a local part uses: lowercase, accents stripped (`é`→`e`, `ø`→`o`,
/// `ß`→`ss`, `æ`→`ae`), spaces, hyphens, apostrophes and any other non-alphanumeric character
/// dropped. With `german`, `ä`/`ö`/`ü` become `ae`/`oe`/`ue` instead of `a`/`o`/`u`.
fn fold(name: &str, german: bool) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            continue;
        }
        let mapped = match c {
            'ä' if german => "ae",
            'ö' if german => "oe",
            'ü' if german => "ue",
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
            'ď' | 'đ' | 'ð' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
            'ĥ' | 'ħ' => "h",
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
            'ĵ' => "j",
            'ķ' => "k",
            'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
            'ñ' | 'ń' | 'ņ' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
            'œ' => "oe",
            'ŕ' | 'ŗ' | 'ř' => "r",
            'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
            'ß' => "ss",
            'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
            'þ' => "th",
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
            'ŵ' => "w",
            'ý' | 'ÿ' | 'ŷ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            // Spaces, hyphens, apostrophes, dots and anything we cannot transliterate.
            _ => "",
        };
        out.push_str(mapped);
    }
    out
}

/// One way of building a local part from a name. The doc of each variant shows the local part
/// for Jane Doe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pattern {
    /// `jane.doe@`
    FirstDotLast,
    /// `jdoe@`
    FLast,
    /// `janedoe@`
    FirstLast,
    /// `jane@`
    First,
    /// `doe@`
    Last,
    /// `jane_doe@`
    FirstUnderscoreLast,
    /// `jane-doe@`
    FirstHyphenLast,
    /// `j.doe@`
    FDotLast,
    /// `jane.d@`
    FirstDotL,
    /// `doe.jane@`
    LastDotFirst,
    /// `doejane@`
    LastFirst,
    /// `janed@`
    FirstL,
    /// `doej@`
    LastF,
}

impl Pattern {
    /// Every pattern, most common in business mail first. This order also breaks ties in
    /// [`infer_pattern`].
    pub const ALL: [Pattern; 13] = [
        Pattern::FirstDotLast,
        Pattern::FLast,
        Pattern::First,
        Pattern::FirstLast,
        Pattern::FDotLast,
        Pattern::FirstUnderscoreLast,
        Pattern::FirstHyphenLast,
        Pattern::LastDotFirst,
        Pattern::FirstL,
        Pattern::Last,
        Pattern::LastFirst,
        Pattern::FirstDotL,
        Pattern::LastF,
    ];

    /// The pattern as a template: `first.last`, `f.last`, `first_last` …; also its JSON form.
    pub fn template(self) -> &'static str {
        match self {
            Pattern::FirstDotLast => "first.last",
            Pattern::FLast => "flast",
            Pattern::FirstLast => "firstlast",
            Pattern::First => "first",
            Pattern::Last => "last",
            Pattern::FirstUnderscoreLast => "first_last",
            Pattern::FirstHyphenLast => "first-last",
            Pattern::FDotLast => "f.last",
            Pattern::FirstDotL => "first.l",
            Pattern::LastDotFirst => "last.first",
            Pattern::LastFirst => "lastfirst",
            Pattern::FirstL => "firstl",
            Pattern::LastF => "lastf",
        }
    }

    /// The address this pattern gives `name` at `domain` (taken as given: lowercase ASCII), or
    /// `None` when a part the pattern needs folds to nothing.
    pub fn apply(&self, name: &NameParts, domain: &str) -> Option<String> {
        let (first, last) = name.primary();
        let local = self.local_part(&first, &last)?;
        Some(format!("{local}@{}", domain.trim().to_ascii_lowercase()))
    }

    /// The local part from already folded name parts.
    fn local_part(self, first: &str, last: &str) -> Option<String> {
        let f = first.chars().next();
        let l = last.chars().next();
        let need_first = || (!first.is_empty()).then_some(first);
        let need_last = || (!last.is_empty()).then_some(last);
        Some(match self {
            Pattern::FirstDotLast => format!("{}.{}", need_first()?, need_last()?),
            Pattern::FLast => format!("{}{}", f?, need_last()?),
            Pattern::FirstLast => format!("{}{}", need_first()?, need_last()?),
            Pattern::First => need_first()?.to_string(),
            Pattern::Last => need_last()?.to_string(),
            Pattern::FirstUnderscoreLast => format!("{}_{}", need_first()?, need_last()?),
            Pattern::FirstHyphenLast => format!("{}-{}", need_first()?, need_last()?),
            Pattern::FDotLast => format!("{}.{}", f?, need_last()?),
            Pattern::FirstDotL => format!("{}.{}", need_first()?, l?),
            Pattern::LastDotFirst => format!("{}.{}", need_last()?, need_first()?),
            Pattern::LastFirst => format!("{}{}", need_last()?, need_first()?),
            Pattern::FirstL => format!("{}{}", need_first()?, l?),
            Pattern::LastF => format!("{}{}", need_last()?, f?),
        })
    }

    /// Whether some spelling of `name` gives exactly `local` under this pattern.
    fn matches(self, name: &NameParts, local: &str) -> bool {
        let lasts = name.last_variants();
        name.first_variants().iter().any(|f| lasts.iter().any(|l| self.local_part(f, l).as_deref() == Some(local)))
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.template())
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.template())
    }
}

/// The pattern a domain most likely uses, with the evidence for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct InferredPattern {
    /// The best-supported pattern.
    pub pattern: Pattern,
    /// How many known addresses this pattern explains.
    pub support: usize,
    /// How many known addresses were usable (a local part and a non-empty name), whether or not
    /// any pattern explains them.
    pub total: usize,
}

/// Infers the address pattern of one domain from known (verified) addresses of named people
/// there, and returns the pattern that explains the most of them with its support.
///
/// Pass the addresses of a single domain (the domain part is ignored). A `+tag` is ignored. An
/// address that several patterns explain (`li.li` for Li Li) counts for each; equal support is
/// broken by how common the pattern is in business mail ([`Pattern::ALL`]'s order). Addresses
/// that no pattern explains still count in `total`, which lowers the confidence of guesses.
/// `None` when nothing usable is known or no pattern explains any address.
pub fn infer_pattern(known: &[(NameParts, String)]) -> Option<InferredPattern> {
    let mut support = [0usize; Pattern::ALL.len()];
    let mut total = 0;
    for (name, address) in known {
        let Some((local, _)) = address.trim().rsplit_once('@') else { continue };
        let local = local.split('+').next().unwrap_or_default().to_ascii_lowercase();
        if local.is_empty() || (name.first_variants().is_empty() && name.last_variants().is_empty()) {
            continue;
        }
        total += 1;
        for (i, pattern) in Pattern::ALL.iter().enumerate() {
            if pattern.matches(name, &local) {
                support[i] += 1;
            }
        }
    }
    // `max_by_key` keeps the last maximum; iterate in reverse so the earliest (most common) wins.
    let (best, &count) = support.iter().enumerate().rev().max_by_key(|(_, &count)| count)?;
    (count > 0).then_some(InferredPattern { pattern: Pattern::ALL[best], support: count, total })
}

/// A guessed address: never seen, only inferred from the domain's pattern.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GuessedEmail {
    /// The address, normalised like [`super::check_syntax`] does.
    pub address: String,
    /// Between [`MIN_GUESS_CONFIDENCE`] and [`MAX_GUESS_CONFIDENCE`]; see [`guess_address`].
    pub confidence: f64,
    /// Always `true`: this address was inferred, not found.
    pub inferred: bool,
    /// The pattern it was built with.
    pub pattern: Pattern,
}

/// The guessed address of `name` at `domain` under an inferred pattern, or `None` when the name
/// does not fit the pattern or the result is not a syntactically valid address.
///
/// Confidence is `0.3 + 0.3 × support / (total + 1)`: the share of known addresses the pattern
/// explains, shrunk towards zero for small samples (the `+ 1`; one address out of one gives
/// 0.45, nine out of nine 0.57, one out of four 0.36), then scaled into
/// [`MIN_GUESS_CONFIDENCE`]..[`MAX_GUESS_CONFIDENCE`], so a guess never reaches 0.6 and always
/// ranks below a verified address.
pub fn guess_address(pattern: &InferredPattern, name: &NameParts, domain: &str) -> Option<GuessedEmail> {
    let address = pattern.pattern.apply(name, domain)?;
    let (local, domain) = check_syntax(&address).ok()?;
    let support = pattern.support.min(pattern.total) as f64;
    let share = support / (pattern.total as f64 + 1.0);
    let confidence = MIN_GUESS_CONFIDENCE + (MAX_GUESS_CONFIDENCE - MIN_GUESS_CONFIDENCE) * share;
    Some(GuessedEmail { address: format!("{local}@{domain}"), confidence, inferred: true, pattern: pattern.pattern })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(first: &str, last: &str) -> NameParts {
        NameParts::new(first, last)
    }

    fn known(entries: &[(&str, &str, &str)]) -> Vec<(NameParts, String)> {
        entries.iter().map(|(f, l, a)| (n(f, l), a.to_string())).collect()
    }

    #[test]
    fn folding_strips_accents_and_separators() {
        assert_eq!(fold("Élodie", false), "elodie");
        assert_eq!(fold("Müller", false), "muller");
        assert_eq!(fold("Müller", true), "mueller");
        assert_eq!(fold("Straße", false), "strasse");
        assert_eq!(fold("Søren", false), "soren");
        assert_eq!(fold("Ægir", false), "aegir");
        assert_eq!(fold("Jean-Pierre", false), "jeanpierre");
        assert_eq!(fold("D'Arcy", false), "darcy");
        assert_eq!(fold("O’Neill", false), "oneill");
        assert_eq!(fold("van der Berg", false), "vanderberg");
        assert_eq!(fold("Łukasz Wójcik", false), "lukaszwojcik");
        assert_eq!(fold("Çağlar", false), "caglar");
        assert_eq!(fold("李", false), "", "untransliterable scripts fold to nothing");
    }

    #[test]
    fn every_pattern_applies() {
        let jane = n("Jane", "Doe");
        let expected = [
            (Pattern::FirstDotLast, "jane.doe"),
            (Pattern::FLast, "jdoe"),
            (Pattern::FirstLast, "janedoe"),
            (Pattern::First, "jane"),
            (Pattern::Last, "doe"),
            (Pattern::FirstUnderscoreLast, "jane_doe"),
            (Pattern::FirstHyphenLast, "jane-doe"),
            (Pattern::FDotLast, "j.doe"),
            (Pattern::FirstDotL, "jane.d"),
            (Pattern::LastDotFirst, "doe.jane"),
            (Pattern::LastFirst, "doejane"),
            (Pattern::FirstL, "janed"),
            (Pattern::LastF, "doej"),
        ];
        assert_eq!(expected.len(), Pattern::ALL.len());
        for (pattern, local) in expected {
            assert_eq!(pattern.apply(&jane, "Acme.com").as_deref(), Some(format!("{local}@acme.com").as_str()), "{pattern}");
        }
        assert_eq!(Pattern::FirstDotLast.apply(&n("Zoë", "Saint-Éxupéry"), "acme.fr").as_deref(), Some("zoe.saintexupery@acme.fr"));
        assert_eq!(Pattern::FirstDotLast.apply(&n("Jane", ""), "acme.com"), None);
        assert_eq!(Pattern::First.apply(&n("Jane", ""), "acme.com").as_deref(), Some("jane@acme.com"));
        assert_eq!(Pattern::Last.apply(&n("李", "Wang"), "acme.cn").as_deref(), Some("wang@acme.cn"));
        assert_eq!(Pattern::First.apply(&n("李", "Wang"), "acme.cn"), None);
    }

    #[test]
    fn patterns_serialize_as_templates() {
        assert_eq!(serde_json::to_string(&Pattern::FDotLast).unwrap(), "\"f.last\"");
        let inferred = InferredPattern { pattern: Pattern::FirstDotLast, support: 2, total: 3 };
        assert_eq!(serde_json::to_string(&inferred).unwrap(), r#"{"pattern":"first.last","support":2,"total":3}"#);
    }

    #[test]
    fn a_clear_majority_wins() {
        let k = known(&[
            ("Jane", "Doe", "jane.doe@acme.com"),
            ("John", "Smith", "john.smith@acme.com"),
            ("Anna", "Berg", "Anna.Berg@acme.com"),
        ]);
        assert_eq!(infer_pattern(&k), Some(InferredPattern { pattern: Pattern::FirstDotLast, support: 3, total: 3 }));
        let k = known(&[("Jane", "Doe", "jdoe@acme.com"), ("John", "Smith", "jsmith@acme.com")]);
        assert_eq!(infer_pattern(&k).unwrap().pattern, Pattern::FLast);
        let k = known(&[("Jane", "Doe", "doe.jane@acme.com"), ("John", "Smith", "smith.john+crm@acme.com")]);
        assert_eq!(infer_pattern(&k).unwrap().pattern, Pattern::LastDotFirst);
        let k = known(&[("Jane", "Doe", "jane.d@acme.com"), ("John", "Smith", "john.s@acme.com")]);
        assert_eq!(infer_pattern(&k).unwrap().pattern, Pattern::FirstDotL);
        let k = known(&[("Jane", "Doe", "jane_doe@acme.com")]);
        assert_eq!(infer_pattern(&k).unwrap().pattern, Pattern::FirstUnderscoreLast);
    }

    #[test]
    fn minority_patterns_lose_but_lower_support() {
        let k = known(&[
            ("Jane", "Doe", "jane.doe@acme.com"),
            ("John", "Smith", "john.smith@acme.com"),
            ("Anna", "Berg", "anna.berg@acme.com"),
            ("Carl", "Olsen", "carl@acme.com"),
            ("Mia", "Wong", "mw1987@acme.com"),
        ]);
        assert_eq!(infer_pattern(&k), Some(InferredPattern { pattern: Pattern::FirstDotLast, support: 3, total: 5 }));
    }

    #[test]
    fn ties_go_to_the_more_common_pattern() {
        // One first.last, one first@: equal support, first.last is the more common pattern.
        let k = known(&[("Jane", "Doe", "jane@acme.com"), ("John", "Smith", "john.smith@acme.com")]);
        assert_eq!(infer_pattern(&k), Some(InferredPattern { pattern: Pattern::FirstDotLast, support: 1, total: 2 }));
        // Same with the entries the other way round: order does not matter.
        let k = known(&[("John", "Smith", "john.smith@acme.com"), ("Jane", "Doe", "jane@acme.com")]);
        assert_eq!(infer_pattern(&k).unwrap().pattern, Pattern::FirstDotLast);
        // `li.li` fits first.last and last.first alike.
        let k = known(&[("Li", "Li", "li.li@acme.cn")]);
        assert_eq!(infer_pattern(&k), Some(InferredPattern { pattern: Pattern::FirstDotLast, support: 1, total: 1 }));
        // An ambiguous address does not outvote clear evidence.
        let k = known(&[("Li", "Li", "li.li@acme.cn"), ("Wei", "Zhang", "zhang.wei@acme.cn"), ("Min", "Chen", "chen.min@acme.cn")]);
        assert_eq!(infer_pattern(&k), Some(InferredPattern { pattern: Pattern::LastDotFirst, support: 3, total: 3 }));
    }

    #[test]
    fn accents_and_particles_are_matched() {
        let k = known(&[
            ("Jürgen", "Müller", "juergen.mueller@acme.de"),
            ("Zoë", "Lefèvre", "zoe.lefevre@acme.de"),
            ("Jan", "van der Berg", "jan.berg@acme.de"),
            ("Ana", "de la Cruz", "ana.delacruz@acme.de"),
            ("Jean-Pierre", "D'Arcy", "jeanpierre.darcy@acme.de"),
            ("Anna-Lena", "Schröder-Groß", "anna.schroeder@acme.de"),
        ]);
        assert_eq!(infer_pattern(&k), Some(InferredPattern { pattern: Pattern::FirstDotLast, support: 6, total: 6 }));
        let k = known(&[("Søren", "Ødegård", "sodegard@acme.no"), ("Åsa", "Ek", "aek@acme.no")]);
        assert_eq!(infer_pattern(&k), Some(InferredPattern { pattern: Pattern::FLast, support: 2, total: 2 }));
    }

    #[test]
    fn nothing_to_infer_from() {
        assert_eq!(infer_pattern(&[]), None);
        assert_eq!(infer_pattern(&known(&[("Jane", "Doe", "sales@acme.com"), ("John", "Smith", "js-1@acme.com")])), None);
        assert_eq!(infer_pattern(&known(&[("", "", "jane.doe@acme.com"), ("Jane", "Doe", "not-an-address")])), None);
    }

    #[test]
    fn guesses_are_marked_and_bounded() {
        let name = n("Renée", "Ødegaard");
        let p = InferredPattern { pattern: Pattern::FDotLast, support: 1, total: 1 };
        let g = guess_address(&p, &name, "ACME.no").unwrap();
        assert_eq!(g.address, "r.odegaard@acme.no");
        assert!(g.inferred);
        assert_eq!(g.pattern, Pattern::FDotLast);
        assert!((g.confidence - 0.45).abs() < 1e-9, "{}", g.confidence);

        let mut last = 0.0;
        for total in 1..=50 {
            for support in 0..=total {
                let p = InferredPattern { pattern: Pattern::FirstDotLast, support, total };
                let c = guess_address(&p, &name, "acme.no").unwrap().confidence;
                assert!((MIN_GUESS_CONFIDENCE..MAX_GUESS_CONFIDENCE).contains(&c), "{support}/{total}: {c}");
                if support == total {
                    assert!(c > last, "more unanimous evidence gives more confidence");
                    last = c;
                }
            }
        }
        let weak = guess_address(&InferredPattern { pattern: Pattern::FirstDotLast, support: 1, total: 4 }, &name, "acme.no").unwrap();
        let strong = guess_address(&InferredPattern { pattern: Pattern::FirstDotLast, support: 4, total: 4 }, &name, "acme.no").unwrap();
        assert!(weak.confidence < strong.confidence);
        // Support larger than total (a hand-built value) is clamped.
        let odd = guess_address(&InferredPattern { pattern: Pattern::FirstDotLast, support: 9, total: 1 }, &name, "acme.no").unwrap();
        assert!(odd.confidence < MAX_GUESS_CONFIDENCE);
    }

    #[test]
    fn guesses_need_a_fitting_name_and_a_valid_domain() {
        let p = InferredPattern { pattern: Pattern::FirstDotLast, support: 3, total: 3 };
        assert_eq!(guess_address(&p, &n("李", "王"), "acme.cn"), None);
        assert_eq!(guess_address(&p, &n("Jane", "Doe"), "localhost"), None);
        assert_eq!(guess_address(&p, &n("Jane", "Doe"), "acme.invalidtld"), None);
        let long = NameParts::new("a".repeat(40), "b".repeat(40));
        assert_eq!(guess_address(&p, &long, "acme.com"), None, "a local part over 64 characters is no address");
    }

    #[test]
    fn full_names_split_at_the_first_space() {
        assert_eq!(NameParts::from_full_name(" Jan van der Berg "), Some(n("Jan", "van der Berg")));
        assert_eq!(NameParts::from_full_name("Madonna"), None);
    }
}
