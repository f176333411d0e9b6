//! Numbers, ranges and time windows: "20+", "500–5000", "≥20", "over 50", "at least 10",
//! "under 200", "between 10 and 50", "1k", "5,000", "10k+", "in the last 6 months".
//!
//! Numbers are digits ("5000", "1.5k", "5 thousand") or words: English ("fifty", "twenty-five",
//! "a hundred", "two hundred and fifty", "fifteen hundred", "a dozen"), French ("cinquante",
//! "vingt et un", "quatre-vingt-dix", "deux cents", "mille"), Spanish ("cincuenta", "treinta y
//! cinco", "doscientos", "mil") and German, written as one word ("fünfzig", "zweihundert",
//! "fünfundzwanzig"). "One" alone is not read in any of them ("one person per company", "un
//! CTO"), nor are the Spanish "once" (11) and French "seize" (16), which are English words too.
//!
//! Bounds are inclusive, so strict words move the number by one: "over 50" is at least 51 and
//! "under 200" is at most 199. A bare number ("with 20 engineers") reads as a minimum.

use super::text::{Kind, Tokens};

/// A count with optional inclusive bounds, and the tokens it spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Quantity {
    pub min: Option<u32>,
    pub max: Option<u32>,
    /// A plain number with no comparator or range ("50 leads").
    pub bare: bool,
    pub start: usize,
    pub end: usize,
}

impl Quantity {
    /// The number a cap reads ("up to 500 rows", "500 rows", "top 200"): the upper bound, else the lower.
    pub fn cap(&self) -> Option<u32> {
        self.max.or(self.min)
    }
}

/// Parses a number token: "5000", "1.5k", "10k", "2m". Thousands separators were removed by the tokenizer.
pub(super) fn parse_number(text: &str) -> Option<u32> {
    let (digits, factor) = match text.as_bytes().last()? {
        b'k' => (&text[..text.len() - 1], 1_000.0),
        b'm' => (&text[..text.len() - 1], 1_000_000.0),
        _ => (text, 1.0),
    };
    let value: f64 = digits.parse().ok()?;
    let scaled = (value * factor).round();
    (scaled >= 0.0 && scaled <= f64::from(u32::MAX)).then_some(scaled as u32)
}

/// Which way a comparator points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Comparator {
    AtLeast,
    MoreThan,
    AtMost,
    LessThan,
    /// Opens a range: "between 10 and 50", "from 10 to 50".
    Between,
}

const COMPARATORS: &[(&str, Comparator)] = &[
    ("over", Comparator::MoreThan),
    ("more than", Comparator::MoreThan),
    ("above", Comparator::MoreThan),
    ("greater than", Comparator::MoreThan),
    (">", Comparator::MoreThan),
    ("mehr als", Comparator::MoreThan),
    ("uber", Comparator::MoreThan),
    ("plus de", Comparator::MoreThan),
    ("mas de", Comparator::MoreThan),
    ("at least", Comparator::AtLeast),
    (">=", Comparator::AtLeast),
    ("min", Comparator::AtLeast),
    ("minimum", Comparator::AtLeast),
    ("minimum of", Comparator::AtLeast),
    ("no fewer than", Comparator::AtLeast),
    ("no less than", Comparator::AtLeast),
    ("mindestens", Comparator::AtLeast),
    ("au moins", Comparator::AtLeast),
    ("al menos", Comparator::AtLeast),
    ("como minimo", Comparator::AtLeast),
    ("under", Comparator::LessThan),
    ("below", Comparator::LessThan),
    ("less than", Comparator::LessThan),
    ("fewer than", Comparator::LessThan),
    ("<", Comparator::LessThan),
    ("unter", Comparator::LessThan),
    ("weniger als", Comparator::LessThan),
    ("moins de", Comparator::LessThan),
    ("menos de", Comparator::LessThan),
    ("at most", Comparator::AtMost),
    ("<=", Comparator::AtMost),
    ("max", Comparator::AtMost),
    ("maximum", Comparator::AtMost),
    ("maximum of", Comparator::AtMost),
    ("up to", Comparator::AtMost),
    ("no more than", Comparator::AtMost),
    ("not more than", Comparator::AtMost),
    ("hochstens", Comparator::AtMost),
    ("maximal", Comparator::AtMost),
    ("bis zu", Comparator::AtMost),
    ("jusqu a", Comparator::AtMost),
    ("au plus", Comparator::AtMost),
    ("hasta", Comparator::AtMost),
    ("como maximo", Comparator::AtMost),
    ("between", Comparator::Between),
    ("from", Comparator::Between),
    ("zwischen", Comparator::Between),
    ("von", Comparator::Between),
    ("entre", Comparator::Between),
];

/// Words joining the two ends of a range.
const RANGE_JOINERS: &[&str] = &["-", "to", "bis", "a", "and", "und", "et", "y", "until"];

const OR_MORE: &[&str] = &[
    "+",
    "or more",
    "and more",
    "and up",
    "and above",
    "or above",
    "plus",
    "oder mehr",
    "und mehr",
    "et plus",
    "ou plus",
    "o mas",
    "y mas",
];
const OR_FEWER: &[&str] = &["or fewer", "or less", "and under", "or under", "and below", "oder weniger", "ou moins", "o menos"];

/// Reads a quantity starting at `at`: an optional comparator, a number, an optional second number
/// ("500–5000") and an optional "+"/"or more". Returns `None` unless a number is found.
pub(super) fn quantity_at(tokens: &Tokens, at: usize) -> Option<Quantity> {
    let (comparator, first_at) = match tokens.longest(at, COMPARATORS) {
        Some((end, &c)) if number_at(tokens, end, true).is_some() => (Some(c), end),
        _ => (None, at),
    };
    // After "between", "and" joins the two ends ("between fifty and two hundred"), not the words
    // of one number ("two hundred and fifty").
    let between = comparator == Some(Comparator::Between);
    let (first, mut end) = number_at(tokens, first_at, !between)?;
    let second = range_end(tokens, end, between);
    let (mut min, mut max) = match (comparator, second) {
        (_, Some((upper, after))) => {
            end = after;
            (Some(first.min(upper)), Some(first.max(upper)))
        }
        (Some(Comparator::AtLeast | Comparator::Between), None) => (Some(first), None),
        (Some(Comparator::MoreThan), None) => (Some(first.saturating_add(1)), None),
        (Some(Comparator::AtMost), None) => (None, Some(first)),
        (Some(Comparator::LessThan), None) => (None, Some(first.saturating_sub(1))),
        (None, None) => (Some(first), Some(first)),
    };
    let mut bare = comparator.is_none() && second.is_none();
    if let Some(after) = tokens.longest_of(end, OR_MORE) {
        (max, end, bare) = (None, after, false);
    } else if let Some(after) = tokens.longest_of(end, OR_FEWER) {
        (min, max, end, bare) = (None, max.or(min), after, false);
    }
    Some(Quantity { min, max, bare, start: at, end })
}

/// The number starting at `at` on unclaimed tokens, digits or words, with the index past it.
/// `and_inside` lets "and" continue a number after "hundred" or "thousand" ("two hundred and fifty").
pub(super) fn number_at(tokens: &Tokens, at: usize, and_inside: bool) -> Option<(u32, usize)> {
    if tokens.is_claimed(at) {
        return None;
    }
    if tokens.kind(at) == Some(Kind::Number) {
        let text = tokens.text(at);
        // "5 thousand", "1.5 million": digits times a scale word, unless already scaled ("10k").
        if let Some((&scale, end)) = scale_after(tokens, at + 1).filter(|_| text.bytes().all(|b| b.is_ascii_digit() || b == b'.')) {
            let value = (text.parse::<f64>().ok()? * f64::from(scale)).round();
            return (value >= 0.0 && value <= f64::from(u32::MAX)).then_some((value as u32, end));
        }
        return Some((parse_number(text)?, at + 1));
    }
    written_number(tokens, at, and_inside)
}

/// The number ending just before `end` ("last twenty five days"), with its first index.
pub(super) fn number_ending_at(tokens: &Tokens, end: usize) -> Option<(u32, usize)> {
    (end.saturating_sub(MAX_NUMBER_WORDS)..end).find_map(|start| match number_at(tokens, start, true) {
        Some((value, number_end)) if number_end == end => Some((value, start)),
        _ => None,
    })
}

/// The most words one written number spans ("two hundred and fifty thousand three hundred").
const MAX_NUMBER_WORDS: usize = 10;

/// Number words from 1 to 9 in English, French and Spanish ("six" is both English and French).
const UNITS: &[(&str, u32)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("un", 1),
    ("une", 1),
    ("deux", 2),
    ("trois", 3),
    ("quatre", 4),
    ("cinq", 5),
    ("sept", 7),
    ("huit", 8),
    ("neuf", 9),
    ("uno", 1),
    ("una", 1),
    ("dos", 2),
    ("tres", 3),
    ("cuatro", 4),
    ("cinco", 5),
    ("seis", 6),
    ("siete", 7),
    ("ocho", 8),
    ("nueve", 9),
];
/// Words for one that are also articles or pronouns ("one person", "un CTO", "una empresa"):
/// numbers only inside a longer one ("one hundred", "un million").
const ONE_WORDS: &[&str] = &["one", "un", "une", "uno", "una", "ein", "eine", "eins"];
/// Numbers that end a group below a hundred: teens, and the Spanish one-word 21–29. The Spanish
/// "once" (11) and the French "seize" (16) are English words too, and are not read.
const TEENS: &[(&str, u32)] = &[
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("onze", 11),
    ("douze", 12),
    ("treize", 13),
    ("quatorze", 14),
    ("quinze", 15),
    ("diez", 10),
    ("doce", 12),
    ("trece", 13),
    ("catorce", 14),
    ("quince", 15),
    ("dieciseis", 16),
    ("diecisiete", 17),
    ("dieciocho", 18),
    ("diecinueve", 19),
    ("veintiuno", 21),
    ("veintiun", 21),
    ("veintiuna", 21),
    ("veintidos", 22),
    ("veintitres", 23),
    ("veinticuatro", 24),
    ("veinticinco", 25),
    ("veintiseis", 26),
    ("veintisiete", 27),
    ("veintiocho", 28),
    ("veintinueve", 29),
];
/// Tens, which a unit may follow ("twenty five", "vingt deux", "dix sept").
const TENS: &[(&str, u32)] = &[
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fourty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
    ("dix", 10),
    ("vingt", 20),
    ("vingts", 20),
    ("trente", 30),
    ("quarante", 40),
    ("cinquante", 50),
    ("soixante", 60),
    ("veinte", 20),
    ("treinta", 30),
    ("cuarenta", 40),
    ("cincuenta", 50),
    ("sesenta", 60),
    ("setenta", 70),
    ("ochenta", 80),
    ("noventa", 90),
];
/// Spanish hundreds written as one word.
const HUNDREDS: &[(&str, u32)] = &[
    ("doscientos", 200),
    ("doscientas", 200),
    ("trescientos", 300),
    ("trescientas", 300),
    ("cuatrocientos", 400),
    ("cuatrocientas", 400),
    ("quinientos", 500),
    ("quinientas", 500),
    ("seiscientos", 600),
    ("seiscientas", 600),
    ("setecientos", 700),
    ("setecientas", 700),
    ("ochocientos", 800),
    ("ochocientas", 800),
    ("novecientos", 900),
    ("novecientas", 900),
];
/// "Hundred" in English (after "a" or a count) and in French and Spanish (also alone: "cent
/// entreprises", "cien filas").
const HUNDRED_WORDS: &[&str] = &["hundred", "cent", "cents", "cien", "ciento"];
/// Words that scale what comes before them.
const SCALES: &[(&str, u32)] = &[
    ("thousand", 1_000),
    ("mille", 1_000),
    ("mil", 1_000),
    ("million", 1_000_000),
    ("millions", 1_000_000),
    ("millon", 1_000_000),
    ("millones", 1_000_000),
];
/// Scale words that stand alone for one of them ("mille lignes", "mil empresas").
const LONE_SCALES: &[&str] = &["mille", "mil"];

/// A scale word ("thousand", "million") at `at`, with the index past it.
fn scale_after(tokens: &Tokens, at: usize) -> Option<(&'static u32, usize)> {
    let (end, scale) = tokens.longest(at, SCALES)?;
    Some((scale, end))
}

/// What the last word of a written number was, which decides what may follow it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Nothing yet.
    Start,
    /// "a" before "hundred", "thousand" or "dozen".
    Article,
    Unit,
    Teen,
    Tens,
    Hundred,
    Scale,
    Dozen,
}

/// A number in words, English, French or Spanish: "fifty", "twenty five" (hyphens split words),
/// "a hundred", "two hundred and fifty", "fifteen hundred", "ten thousand", "a dozen", "cinquante",
/// "vingt et un", "quatre-vingt-dix", "deux cents", "cincuenta", "treinta y cinco", "doscientos";
/// or one German word ("fünfzig", "zweihundert", "fünfundzwanzig").
fn written_number(tokens: &Tokens, at: usize, and_inside: bool) -> Option<(u32, usize)> {
    let word = |i: usize| -> Option<&str> { (tokens.kind(i) == Some(Kind::Word) && !tokens.is_claimed(i)).then(|| tokens.text(i)) };
    let value_of = |table: &[(&str, u32)], i: usize| word(i).and_then(|w| table.iter().find(|(name, _)| *name == w)).map(|(_, v)| *v);
    if let Some(value) = word(at).filter(|w| !ONE_WORDS.contains(w)).and_then(german_number) {
        return Some((value, at + 1));
    }
    let (mut total, mut current, mut part, mut i) = (0u64, 0u64, Part::Start, at);
    if matches!(word(at), Some("a" | "an")) && matches!(word(at + 1), Some("hundred" | "thousand" | "million" | "dozen")) {
        (current, part, i) = (1, Part::Article, at + 1);
    }
    let mut end = None;
    loop {
        let after_tens_or_big = matches!(part, Part::Start | Part::Tens | Part::Hundred | Part::Scale);
        let opens_group = matches!(part, Part::Start | Part::Hundred | Part::Scale);
        // French counts 70–99 in twenties: "soixante-dix", "soixante et onze", "quatre-vingt-douze".
        let french_score = part == Part::Tens && matches!(current % 100, 60 | 80);
        let text = word(i);
        if let Some(unit) = value_of(UNITS, i).filter(|_| after_tens_or_big) {
            (current, part) = (current + u64::from(unit), Part::Unit);
        } else if let Some(teen) = value_of(TEENS, i).filter(|_| opens_group || french_score) {
            (current, part) = (current + u64::from(teen), Part::Teen);
        } else if matches!(text, Some("vingt" | "vingts")) && part == Part::Unit && current % 100 == 4 {
            (current, part) = (current - 4 + 80, Part::Tens);
        } else if text == Some("dix") && french_score {
            current += 10;
        } else if let Some(tens) = value_of(TENS, i).filter(|_| opens_group) {
            (current, part) = (current + u64::from(tens), Part::Tens);
        } else if let Some(hundreds) = value_of(HUNDREDS, i).filter(|_| matches!(part, Part::Start | Part::Scale)) {
            (current, part) = (current + u64::from(hundreds), Part::Hundred);
        } else if text.is_some_and(|w| HUNDRED_WORDS.contains(&w)) && hundred_fits(text, part, current) {
            (current, part) = (if matches!(part, Part::Start | Part::Scale) { current + 100 } else { current * 100 }, Part::Hundred);
        } else if let Some(scale) = value_of(SCALES, i).filter(|_| scale_fits(text, part)) {
            let count = if part == Part::Start { 1 } else { current };
            (total, current, part) = (total + count * u64::from(scale), 0, Part::Scale);
        } else if text == Some("dozen") && matches!(part, Part::Article | Part::Unit) {
            (current, part) = (current * 12, Part::Dozen);
        } else if and_inside && joins_inside_number(tokens, i, part, current) {
            i += 1;
            continue;
        } else {
            break;
        }
        i += 1;
        if part != Part::Article {
            end = Some(i);
        }
    }
    let end = end?;
    // "one" alone is a pronoun or an article as often as a number ("one person per company").
    if end == at + 1 && word(at).is_some_and(|w| ONE_WORDS.contains(&w)) {
        return None;
    }
    let value = total + current;
    (value > 0).then(|| (u32::try_from(value).unwrap_or(u32::MAX), end))
}

/// "Hundred" needs "a" or a count before it ("a hundred", "fifteen hundred"); "cent", "cien" and
/// "ciento" stand alone too ("cent lignes", "mille cent").
fn hundred_fits(text: Option<&str>, part: Part, current: u64) -> bool {
    let alone = !matches!(text, Some("hundred")) && matches!(part, Part::Start | Part::Scale);
    alone || (matches!(part, Part::Article | Part::Unit | Part::Teen) && current < 100)
}

/// A scale follows a count ("two thousand"); "mille" and "mil" also stand alone.
fn scale_fits(text: Option<&str>, part: Part) -> bool {
    match part {
        Part::Start => text.is_some_and(|w| LONE_SCALES.contains(&w)),
        Part::Scale | Part::Dozen => false,
        _ => true,
    }
}

/// "and" after hundreds or thousands ("two hundred and fifty"), the Spanish "y" between tens and
/// a unit ("treinta y cinco"), the French "et" before one or eleven ("vingt et un").
fn joins_inside_number(tokens: &Tokens, at: usize, part: Part, current: u64) -> bool {
    let next = tokens.text(at + 1);
    let is = |table: &[(&str, u32)]| table.iter().any(|(name, _)| *name == next);
    if tokens.is_claimed(at) || tokens.is_claimed(at + 1) {
        return false;
    }
    match tokens.text(at) {
        "and" => matches!(part, Part::Hundred | Part::Scale) && (is(UNITS) || is(TEENS) || is(TENS)),
        "y" => part == Part::Tens && current % 100 >= 30 && is(UNITS),
        "et" => part == Part::Tens && matches!(next, "un" | "une" | "onze"),
        _ => false,
    }
}

/// German number words, written as one: "fünfzig", "zweihundert", "fünfundzwanzig",
/// "dreitausend", "zweihundertfünfzig" (folded: "funfzig", …).
fn german_number(text: &str) -> Option<u32> {
    if let Some((thousands, rest)) = text.split_once("tausend") {
        let thousands = if thousands.is_empty() { 1 } else { german_below_thousand(thousands)? };
        let rest = if rest.is_empty() { 0 } else { german_below_thousand(rest.strip_prefix("und").unwrap_or(rest))? };
        return Some(thousands * 1000 + rest);
    }
    german_below_thousand(text)
}

fn german_below_thousand(text: &str) -> Option<u32> {
    if let Some((hundreds, rest)) = text.split_once("hundert") {
        let hundreds = if hundreds.is_empty() { 1 } else { german_word(GERMAN_UNITS, hundreds)? };
        let rest = if rest.is_empty() { 0 } else { german_below_hundred(rest.strip_prefix("und").unwrap_or(rest))? };
        return Some(hundreds * 100 + rest);
    }
    german_below_hundred(text)
}

fn german_below_hundred(text: &str) -> Option<u32> {
    if let Some(value) = [GERMAN_UNITS, GERMAN_TEENS, GERMAN_TENS].iter().find_map(|table| german_word(table, text)) {
        return Some(value);
    }
    let (unit, tens) = text.split_once("und")?;
    Some(german_word(GERMAN_UNITS, unit)? + german_word(GERMAN_TENS, tens)?)
}

fn german_word(table: &[(&str, u32)], text: &str) -> Option<u32> {
    table.iter().find(|(name, _)| *name == text).map(|(_, value)| *value)
}

const GERMAN_UNITS: &[(&str, u32)] = &[
    ("ein", 1),
    ("eins", 1),
    ("eine", 1),
    ("zwei", 2),
    ("drei", 3),
    ("vier", 4),
    ("funf", 5),
    ("sechs", 6),
    ("sieben", 7),
    ("acht", 8),
    ("neun", 9),
];
const GERMAN_TEENS: &[(&str, u32)] = &[
    ("zehn", 10),
    ("elf", 11),
    ("zwolf", 12),
    ("dreizehn", 13),
    ("vierzehn", 14),
    ("funfzehn", 15),
    ("sechzehn", 16),
    ("siebzehn", 17),
    ("achtzehn", 18),
    ("neunzehn", 19),
];
const GERMAN_TENS: &[(&str, u32)] = &[
    ("zwanzig", 20),
    ("dreissig", 30),
    ("vierzig", 40),
    ("funfzig", 50),
    ("sechzig", 60),
    ("siebzig", 70),
    ("achtzig", 80),
    ("neunzig", 90),
];

/// The second number of a range at `at` ("- 5000", "to 5k", "and 50" after "between").
fn range_end(tokens: &Tokens, at: usize, after_between: bool) -> Option<(u32, usize)> {
    let joiner = RANGE_JOINERS.iter().find(|j| tokens.match_phrase(at, j).is_some())?;
    // "20 and 30 engineers" lists two numbers; only "between 20 and 30" makes "and" a range.
    if matches!(*joiner, "and" | "und" | "et" | "y") && !after_between {
        return None;
    }
    number_at(tokens, at + 1, true)
}

/// Units of a time window, in days.
const TIME_UNITS: &[(&str, u32)] = &[
    ("day", 1),
    ("days", 1),
    ("week", 7),
    ("month", 30),
    ("quarter", 90),
    ("year", 365),
    ("tag", 1),
    ("tagen", 1),
    ("tage", 1),
    ("woche", 7),
    ("wochen", 7),
    ("monat", 30),
    ("monate", 30),
    ("monaten", 30),
    ("jahr", 365),
    ("jahre", 365),
    ("jahren", 365),
    ("jour", 1),
    ("semaine", 7),
    ("mois", 30),
    ("an", 365),
    ("ans", 365),
    ("annee", 365),
    ("dia", 1),
    ("semana", 7),
    ("mes", 30),
    ("meses", 30),
    ("ano", 365),
];

/// Words that open a look-back window before the number ("last 7 days", "in den letzten 7 Tagen").
const WINDOW_OPENERS: &[&str] = &[
    "last",
    "past",
    "within",
    "within the last",
    "within the past",
    "letzten",
    "vergangenen",
    "ultimos",
    "ultimas",
    "derniers",
    "dernieres",
    "dernier",
    "derniere",
];
/// French puts the adjective between the number and the unit: "7 derniers jours".
const WINDOW_INFIXES: &[&str] = &["derniers", "dernieres", "ultimos", "ultimas"];

/// A look-back window ("in the last 6 months" = 180 days) and the tokens it spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Window {
    pub days: u32,
    pub start: usize,
    pub end: usize,
}

/// Reads a time window whose unit is at `unit_at`.
pub(super) fn window_ending_with_unit(tokens: &Tokens, unit_at: usize) -> Option<Window> {
    let (end, &per_unit) = tokens.longest(unit_at, TIME_UNITS)?;
    if let Some((count, number_start)) = number_ending_at(tokens, unit_at) {
        let start = tokens.phrase_ends_at(number_start, WINDOW_OPENERS)?;
        return Some(Window { days: count.saturating_mul(per_unit), start, end });
    }
    if let Some(infix) = tokens.phrase_ends_at(unit_at, WINDOW_INFIXES) {
        let (count, number_start) = number_ending_at(tokens, infix)?;
        return Some(Window { days: count.saturating_mul(per_unit), start: number_start, end });
    }
    // "last month", "past year": one unit.
    let start = tokens.phrase_ends_at(unit_at, WINDOW_OPENERS)?;
    Some(Window { days: per_unit, start, end })
}
