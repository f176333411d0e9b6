//! Phone numbers from `tel:` links, JSON-LD and visible text, parsed by libphonenumber's rules (the
//! `phonenumber` crate) into E.164. National-format numbers need the page's country. Text is full
//! of digit runs that are not phones (dates, invoice and order numbers, versions, IDs, IBANs), so a
//! text candidate must have a phone's shape, must not be labelled as something else, and must be
//! a number the crate calls valid.

use std::collections::HashMap;
use std::sync::{LazyLock, PoisonError};

use phonenumber::metadata::Database;
use phonenumber::{country::Id, Mode};
use regex::Regex;
use scraper::{Html, Selector};

use super::gate::Gated;
use super::{FoundPhone, PhoneVia};

/// Every valid phone on the page, deduplicated by E.164 (links before JSON-LD before text).
pub(super) fn find(doc: &Html, lines: &[String], jsonld: &[String], country: Option<&str>) -> Vec<FoundPhone> {
    // A page states its number in a `tel:` link, JSON-LD and the text, often several times over:
    // libphonenumber reads each distinct string once.
    let mut parsed: HashMap<String, Option<String>> = HashMap::new();
    let mut to_e164 = |raw: &str| parsed.entry(raw.to_string()).or_insert_with(|| to_e164(raw, country)).clone();
    let mut found: Vec<FoundPhone> = Vec::new();
    let mut add = |raw: &str, e164: Option<String>, via: PhoneVia| {
        if let Some(e164) = e164 {
            if !found.iter().any(|f| f.e164 == e164) {
                found.push(FoundPhone { e164, raw: raw.trim().to_string(), via });
            }
        }
    };
    for raw in tel_links(doc) {
        add(&raw, to_e164(&raw), PhoneVia::Tel);
    }
    for raw in jsonld {
        add(raw, to_e164(raw), PhoneVia::JsonLd);
    }
    for (i, line) in lines.iter().enumerate() {
        // A number alone at the start of its line takes its label from a short line above it
        // (a card's "Fax" heading over the number).
        let label_above = i.checked_sub(1).map(|j| lines[j].as_str()).filter(|above| above.chars().count() <= 40);
        for (raw, e164) in in_text_with(line, label_above, country, &mut to_e164) {
            add(&raw, Some(e164), PhoneVia::Text);
        }
    }
    found
}

/// The region of the first number on the page written in international form (a `tel:` link,
/// JSON-LD, then the text): on a page that tells its country nowhere else, "+33 1 42 68 53 09" in
/// the footer says how to read "01 42 68 53 10" in the body.
pub(super) fn international_region(doc: &Html, lines: &[String], jsonld: &[String]) -> Option<String> {
    let region = |raw: &str| {
        let e164 = to_e164(raw, None)?;
        let number = phonenumber::parse_with(database(), None, &e164).ok()?;
        number.country().id().map(|id| id.as_ref().to_string())
    };
    let texts = lines.iter().flat_map(|line| CANDIDATE.find_iter(line).map(|m| m.as_str()).filter(|raw| raw.starts_with(['+', '('])));
    tel_links(doc).iter().map(String::as_str).chain(jsonld.iter().map(String::as_str)).chain(texts).find_map(region)
}

/// The numbers of `tel:` (and `callto:`) links, percent-decoded.
fn tel_links(doc: &Html) -> Vec<String> {
    static LINKS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href], area[href]").unwrap());
    doc.select(&LINKS)
        .filter_map(|a| {
            let href = a.attr("href")?.trim();
            let (scheme, rest) = href.split_once(':')?;
            let scheme = scheme.to_ascii_lowercase();
            let encoded = format!("x={}", rest.replace('+', "%2B"));
            let decoded = (scheme == "tel" || scheme == "callto").then(|| url::form_urlencoded::parse(encoded.as_bytes()).next())??;
            Some(decoded.1.into_owned())
        })
        .collect()
}

/// `raw` in E.164 if libphonenumber reads it as a valid number, in `country` when it has no
/// international prefix.
pub(super) fn to_e164(raw: &str, country: Option<&str>) -> Option<String> {
    static TRUNK_IN_PARENS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*(\(?\+\d{1,3}\)?)\s*\(0\)").unwrap());
    // "+49 (0)30 …": the national prefix in parentheses is dropped when dialling from abroad.
    let raw = TRUNK_IN_PARENS.replace(raw, "$1 ");
    // A second number or an extension after a separator is not part of this one.
    let raw = raw.split([';', ',']).next().unwrap_or_default();
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if !(5..=17).contains(&digits.len()) {
        return None;
    }
    let plus = raw.trim_start_matches(|c: char| c == '(' || c.is_whitespace()).starts_with('+');
    // "00" is the international prefix nearly everywhere but in North America.
    let idd = !plus && digits.starts_with("00") && country.is_none_or(|c| !is_nanp(c));
    let db = database();
    let number = if plus {
        phonenumber::parse_with(db, None, format!("+{digits}"))
    } else if idd {
        phonenumber::parse_with(db, None, format!("+{}", &digits[2..]))
    } else {
        phonenumber::parse_with(db, Some(country?.parse::<Id>().ok()?), &digits)
    }
    .ok()?;
    phonenumber::is_valid_with(db, &number).then(|| number.format_with(db).mode(Mode::E164).to_string())
}

/// Compiled patterns libphonenumber's metadata may keep: enough for every pattern of every
/// region a crawl meets (a region has a few dozen).
const REGEX_CACHE_CAPACITY: usize = 4096;

/// libphonenumber's metadata, with its regex cache enlarged. The crate compiles its patterns
/// lazily into an LRU of 100, fewer than parsing and validating numbers of a handful of regions
/// touch, so it evicted and recompiled regexes on nearly every call: three quarters of all
/// extraction time went into compiling the same patterns again.
fn database() -> &'static Database {
    static DATABASE: LazyLock<&'static Database> = LazyLock::new(|| {
        let db: &'static Database = &phonenumber::metadata::DATABASE;
        db.cache().lock().unwrap_or_else(PoisonError::into_inner).set_capacity(REGEX_CACHE_CAPACITY);
        db
    });
    &DATABASE
}

fn is_nanp(country: &str) -> bool {
    database().by_id(country).is_some_and(|m| m.country_code() == 1)
}

/// A run of digits with the separators phone numbers are written with.
static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[+(]{0,2}\d[\d ()./\u{2011}\u{2013}-]{4,24}\d").unwrap());

/// Labels that make a following number a phone.
static PHONE_LABEL: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(
        r"(?i)(tel|phone|fon|tél|teléf|telef|call|mobil|handy|cell|hotline|whatsapp|ring|bel ons|puhelin|appel|llám|llam[ae]|chiam|rufen|anruf|zentrale|switchboard|standard|centralino|centralita|☎|📞|\bm:|\bt:|\bt\.|\bt$)",
    )
});

/// A phone label right before the number ("Phone: ", "Tel. ", "Call us on "): such a number is
/// read even without its country's trunk prefix (Australia's "1300 975 707").
static LABEL_RIGHT_BEFORE: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(
        r"(?i)\b(?:tel|tél|phone|telephone|téléphone|telefon|telefono|teléfono|telefoon|mobile?|mobil|cell|hotline|whatsapp|call(?: us)?(?: on| at)?|ring(?: us)?(?: on)?|t|m|p)\.?\s*[:.]?\s*$",
    )
});

/// Labels that make a following number anything but a phone.
static OTHER_LABEL: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(
        r"(?i)(invoice|rechnung|order|bestell|factur|commande|pedido|fattura|ordine|referen|\bref\b|\bid\b|idnr|\bnr\b|\bno\b|number|nummer|numéro|n°|#|\bust\b|vat|\btva\b|\biva\b|\btax|steuer|iban|\bbic\b|siret|siren|\brcs\b|\bkvk\b|\bbtw\b|\bbce\b|\bkbo\b|\buid\b|\bmwst\b|entreprise|\bcif\b|\bnif\b|\bhrb\b|\bhra\b|register|ticket|version|\bv\b|build|release|patent|isbn|\bdate|datum|serial|\bsku\b|account|kunden|isin|duns|eori|fiscal|codice|\brea\b|org\.?\s?nr|abn|acn|fax)",
    )
});

/// Valid phones in one line of text, as (raw, E.164).
#[cfg(test)]
fn in_text(line: &str, country: Option<&str>) -> Vec<(String, String)> {
    in_text_with(line, None, country, &mut |raw| to_e164(raw, country))
}

/// [`in_text`] reading candidates with `to_e164` (memoised by the caller).
fn in_text_with(
    line: &str,
    label_above: Option<&str>,
    country: Option<&str>,
    to_e164: &mut impl FnMut(&str) -> Option<String>,
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for m in CANDIDATE.find_iter(line) {
        let raw = m.as_str().trim_end_matches(['-', '.', ' ', '/']).trim();
        let raw = if raw.starts_with('(') || !raw.ends_with(')') || raw.matches('(').count() >= raw.matches(')').count() {
            raw
        } else {
            raw.trim_end_matches(')')
        };
        let before = match &line[..m.start()] {
            before if before.trim().is_empty() => label_above.filter(|l| !l.chars().any(|c| c.is_ascii_digit())).unwrap_or(before),
            before => before,
        };
        if !standalone(line, m.start(), m.end()) || !labelled_ok(before) || fax_after(&line[m.end()..]) {
            continue;
        }
        let labelled = LABEL_RIGHT_BEFORE.is_match(&since_last_digit(before));
        let mut read = |part: &str| shaped_like_phone(part, country, labelled).then(|| to_e164(part)).flatten();
        let parts = std::iter::once(raw).chain(raw.split(" / ").filter(|p| *p != raw));
        if let Some(e164) = parts.clone().find_map(&mut read) {
            found.push((raw.to_string(), e164));
            continue;
        }
        // "Suite 400 (415) 555-0147": a number run into the digits before it starts where a
        // group opens with "(" or "+".
        let starts = raw.char_indices().filter(|&(i, c)| i > 0 && (c == '(' || c == '+') && raw[..i].ends_with(' ')).map(|(i, _)| i);
        for start in starts {
            let tail = &raw[start..];
            if let Some(e164) = shaped_like_phone(tail, country, labelled).then(|| to_e164(tail)).flatten() {
                found.push((tail.to_string(), e164));
                break;
            }
        }
    }
    found
}

/// Whether the words after a number make it a fax: "030 2084 1178 (Fax)".
fn fax_after(after: &str) -> bool {
    let until_digit = after.split(|c: char| c.is_ascii_digit()).next().unwrap_or_default();
    let head: String = until_digit.chars().take(12).collect::<String>().to_lowercase();
    head.trim_start_matches(|c: char| c.is_whitespace() || "([-–".contains(c)).starts_with("fax")
}

/// The last characters of `before` back to its last digit, lowercased: the label of the number after it.
fn since_last_digit(before: &str) -> String {
    let since = before.rsplit(|c: char| c.is_ascii_digit()).next().unwrap_or_default();
    since.chars().rev().take(32).collect::<Vec<_>>().into_iter().rev().collect::<String>().to_lowercase()
}

/// Whether the match stands alone rather than being part of a longer token (`DE89 3704…`,
/// `v10.2.3.4`, `RE-2024-0042`, `10.2.3.4.5`).
fn standalone(line: &str, start: usize, end: usize) -> bool {
    let before = line[..start].chars().next_back();
    let mut after = line[end..].chars();
    let next = after.next();
    let glued_before = before.is_some_and(|c| c.is_alphanumeric() || "-_./:#".contains(c));
    let glued_after = next.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '@')
        || (next.is_some_and(|c| ".-/:".contains(c)) && after.next().is_some_and(|c| c.is_ascii_digit()));
    !glued_before && !glued_after
}

/// Whether the text before a number allows it to be a phone. Back to the previous digit: "Fax"
/// rules it out and a phone label lets it in ("Tel. 030 …, Fax 030 …" has one label per number).
/// Otherwise another label in the last few words ("Invoice", "Order #", "IBAN: NL91 ABNA") rules it out.
fn labelled_ok(before: &str) -> bool {
    // "F: 030 …", "F +41 …": a lone F right before the number is a fax label too.
    static FAX_LETTER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?:^|[^\p{L}])f\s*[:.]?\s*$").unwrap());
    let last = |s: &str| s.chars().rev().take(32).collect::<Vec<_>>().into_iter().rev().collect::<String>().to_lowercase();
    let since_digit = since_last_digit(before);
    if since_digit.contains("fax") || FAX_LETTER.is_match(&since_digit) {
        return false;
    }
    PHONE_LABEL.is_match(&since_digit) || !OTHER_LABEL.is_match(&last(before))
}

/// Whether a candidate is written like a phone number rather than a date, version, time range or
/// bare ID. A national number right after a phone label ("Phone: 1300 975 707") need not start
/// with the trunk prefix.
fn shaped_like_phone(raw: &str, country: Option<&str>, labelled: bool) -> bool {
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:\d{4}[-./ ]\d{1,2}[-./ ]\d{1,2}|\d{1,2}[-./ ]\d{1,2}[-./ ]\d{2,4}|(?:19|20)\d\d\s*[-/–]\s*(?:19|20)?\d\d)$")
            .unwrap()
    });
    static NANP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:1[ .\-–‑]?)?(?:\(\d{3}\) ?|\d{3}[ .\-–‑]?)\d{3}[ .\-–‑]?\d{4}$").unwrap());
    // Opening hours: "08.00–12.00", "9.30 - 17.30".
    static TIME_RANGE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?-u:\b)\d{1,2}[.:]\d{2}\s*[-–]\s*\d{1,2}[.:]\d{2}(?-u:\b)").unwrap());
    let digits = raw.chars().filter(char::is_ascii_digit).count();
    let bare = raw.trim_matches(['(', ')']);
    let groups: Vec<&str> = raw.split(|c: char| !c.is_ascii_digit()).filter(|g| !g.is_empty()).collect();
    let international = raw.starts_with('+') || raw.starts_with("(+") || raw.starts_with("00");
    let dotted_version = raw.contains('.') && groups.len() >= 3 && groups.iter().any(|g| g.len() == 1);
    if !(7..=15).contains(&digits) || DATE.is_match(bare) || dotted_version || TIME_RANGE.is_match(raw) {
        return false;
    }
    if international {
        return true;
    }
    // A national number starts with the trunk prefix where the country has one ("030 …" in
    // Germany), and NANP numbers are grouped 3-3-4: this keeps IDs and years out.
    match country.and_then(|c| database().by_id(c)) {
        Some(meta) if meta.country_code() == 1 => NANP.is_match(raw),
        Some(meta) => labelled || meta.national_prefix().is_none_or(|prefix| bare.starts_with(prefix)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &str, country: &str) -> Vec<String> {
        in_text(line, Some(country)).into_iter().map(|(_, e164)| e164).collect()
    }

    #[test]
    fn national_numbers_use_the_country() {
        assert_eq!(to_e164("030 2084 1177", Some("DE")).as_deref(), Some("+493020841177"));
        assert_eq!(to_e164("+49 (0) 30 2084 1177", Some("FR")).as_deref(), Some("+493020841177"));
        assert_eq!(to_e164("0049 30 2084 1177", Some("DE")).as_deref(), Some("+493020841177"));
        assert_eq!(to_e164("01 84 88 20 45", Some("FR")).as_deref(), Some("+33184882045"));
        assert_eq!(to_e164("030 2084 1177", None), None, "no country, no national number");
        assert_eq!(to_e164("07700 900461", Some("GB")), None, "reserved for drama: not valid");
    }

    #[test]
    fn text_phones_with_labels_and_formats() {
        assert_eq!(text("Tel.: +49 (0)30 2084 1177, Fax: +49 (0)30 2084 1178", "DE"), ["+493020841177"]);
        assert_eq!(text("Call us on (415) 555-2671 today", "US"), ["+14155552671"]);
        assert_eq!(text("Téléphone : 01.84.88.20.45", "FR"), ["+33184882045"]);
        assert_eq!(text("Tel 030 / 2084 1177", "DE"), ["+493020841177"]);
        assert_eq!(text("London: 020 7946 0321 / Manchester: 0161 496 0754", "GB"), ["+442079460321", "+441614960754"]);
    }

    #[test]
    fn plain_text_numbers_in_sentences_and_after_labels() {
        assert_eq!(text("Our office is open weekdays; call (415) 555-0132 to book a visit.", "US"), ["+14155550132"]);
        assert_eq!(text("Suite 400 (415) 555-0147", "US"), ["+14155550147"], "the suite number is not part of it");
        assert_eq!(text("T: (415) 555–0190", "US"), ["+14155550190"], "an en dash groups NANP digits too");
        assert_eq!(text("Appelez-nous au 04 78 62 11 30 du lundi au vendredi.", "FR"), ["+33478621130"]);
        assert_eq!(text("International: +41 (0)44 668 18 01", "DE"), ["+41446681801"]);
        assert_eq!(text("Phone: 1300 975 707", "AU"), ["+611300975707"], "a label lets a number in without the trunk prefix");
        assert!(text("Build 1300975707", "AU").is_empty(), "but no label, no such number");
        assert!(text("DATEV-Schnittstelle. Build 20240315.2", "DE").is_empty(), "\"tel\" inside a word is no label");
        assert_eq!(text("T +41 44 668 18 04 F +41 44 668 18 05", "CH"), ["+41446681804"], "F is a fax label");
        assert_eq!(text("030 2084 1177 (Zentrale), 030 2084 1178 (Fax)", "DE"), ["+493020841177"]);
    }

    #[test]
    fn a_label_on_the_line_above_counts() {
        let doc = Html::parse_document(
            "<div><h3>Fax for referrals</h3><p>(415) 555-0133</p></div><div><h3>Front desk</h3><p>(415) 555-0132</p></div>",
        );
        let lines = super::super::text::visible_lines(&doc);
        let found: Vec<String> = find(&doc, &lines, &[], Some("US")).into_iter().map(|p| p.e164).collect();
        assert_eq!(found, ["+14155550132"]);
    }

    #[test]
    fn dates_ids_and_versions_are_not_phones() {
        for line in [
            "Published 2024-03-15",
            "Stand: 15.03.2024",
            "Invoice no. 2024-03-0042",
            "Rechnungsnummer 0301234567",
            "Order #100234987612",
            "Release 10.2.3.4",
            "IBAN DE89 3704 0044 0532 0130 00",
            "USt-IdNr.: DE 123456789",
            "Build 0171.4521.337",
            "Serial 4711081512345678",
            "© 2019 – 2024 Acme",
            "Version v2.10.3 (2024-02-01)",
            "HRB 123456 B",
            "Fax 030 2084 1178",
            "IBAN: NL91 ABNA 0417 1643 00",
            "Öffnungszeiten: Mo–Fr 08.00–12.00 / 13.30–17.00 Uhr",
            "Customer ID: 0301234567",
            "Kundennummer 030 2084 1177",
            "Total: 1.299.000 EUR",
        ] {
            assert!(text(line, "DE").is_empty(), "{line}");
            assert!(text(line, "US").is_empty(), "{line}");
        }
        assert!(text("Ticket 2024030042 opened", "US").is_empty());
        assert!(text("ID 202-403-0042", "US").is_empty());
    }
}
