//! Numbers, ranges and time windows: "20+", "500–5000", "≥20", "over 50", "at least 10",
//! "under 200", "between 10 and 50", "1k", "5,000", "10k+", "in the last 6 months".
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
    let (comparator, number_at) = match tokens.longest(at, COMPARATORS) {
        Some((end, &c)) if number_token(tokens, end).is_some() => (Some(c), end),
        _ => (None, at),
    };
    let first = number_token(tokens, number_at)?;
    let mut end = number_at + 1;
    let second = range_end(tokens, end, comparator == Some(Comparator::Between));
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

/// The number at `at`, if the token there is an unclaimed number.
pub(super) fn number_token(tokens: &Tokens, at: usize) -> Option<u32> {
    if tokens.kind(at) != Some(Kind::Number) || tokens.is_claimed(at) {
        return None;
    }
    parse_number(tokens.text(at))
}

/// The second number of a range at `at` ("- 5000", "to 5k", "and 50" after "between").
fn range_end(tokens: &Tokens, at: usize, after_between: bool) -> Option<(u32, usize)> {
    let joiner = RANGE_JOINERS.iter().find(|j| tokens.match_phrase(at, j).is_some())?;
    // "20 and 30 engineers" lists two numbers; only "between 20 and 30" makes "and" a range.
    if matches!(*joiner, "and" | "und" | "et" | "y") && !after_between {
        return None;
    }
    let upper = number_token(tokens, at + 1)?;
    Some((upper, at + 2))
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
    if let Some(count) = unit_at.checked_sub(1).and_then(|n| number_token(tokens, n)) {
        let number_at = unit_at - 1;
        let start = tokens.phrase_ends_at(number_at, WINDOW_OPENERS)?;
        return Some(Window { days: count.saturating_mul(per_unit), start, end });
    }
    if let Some(start) = tokens.phrase_ends_at(unit_at, WINDOW_INFIXES) {
        let count = start.checked_sub(1).and_then(|n| number_token(tokens, n))?;
        return Some(Window { days: count.saturating_mul(per_unit), start: start - 1, end });
    }
    // "last month", "past year": one unit.
    let start = tokens.phrase_ends_at(unit_at, WINDOW_OPENERS)?;
    Some(Window { days: per_unit, start, end })
}
