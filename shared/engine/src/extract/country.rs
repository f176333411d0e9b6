//! Which country a page belongs to, as ISO 3166 alpha-2. Phone numbers written in national format
//! ("030 1234567") mean nothing without it, and a lead's country is a fact worth keeping.
//!
//! Sources, strongest first: a JSON-LD address (read in `jsonld`), a visible postal address, the
//! `<html lang>` region (`de-DE`), and the country-code TLD.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Selector};
use url::Url;

use super::gate::Gated;
use super::text::element_text;

/// Country names in the languages of the markets Quarry serves, lowercased, with their codes.
/// Each country's English name comes first ([`english_name`] relies on it).
const NAMES: &[(&str, &str)] = &[
    ("germany", "DE"),
    ("deutschland", "DE"),
    ("allemagne", "DE"),
    ("alemania", "DE"),
    ("germania", "DE"),
    ("duitsland", "DE"),
    ("tyskland", "DE"),
    ("france", "FR"),
    ("frankreich", "FR"),
    ("francia", "FR"),
    ("frankrijk", "FR"),
    ("frankrike", "FR"),
    ("united kingdom", "GB"),
    ("great britain", "GB"),
    ("england", "GB"),
    ("scotland", "GB"),
    ("wales", "GB"),
    ("uk", "GB"),
    ("royaume-uni", "GB"),
    ("vereinigtes königreich", "GB"),
    ("reino unido", "GB"),
    ("regno unito", "GB"),
    ("verenigd koninkrijk", "GB"),
    ("storbritannien", "GB"),
    ("united states", "US"),
    ("united states of america", "US"),
    ("usa", "US"),
    ("u.s.a.", "US"),
    ("vereinigte staaten", "US"),
    ("états-unis", "US"),
    ("estados unidos", "US"),
    ("stati uniti", "US"),
    ("spain", "ES"),
    ("españa", "ES"),
    ("espana", "ES"),
    ("spanien", "ES"),
    ("espagne", "ES"),
    ("spagna", "ES"),
    ("spanje", "ES"),
    ("italy", "IT"),
    ("italia", "IT"),
    ("italien", "IT"),
    ("italie", "IT"),
    ("italië", "IT"),
    ("netherlands", "NL"),
    ("the netherlands", "NL"),
    ("nederland", "NL"),
    ("niederlande", "NL"),
    ("pays-bas", "NL"),
    ("países bajos", "NL"),
    ("holland", "NL"),
    ("belgium", "BE"),
    ("belgië", "BE"),
    ("belgique", "BE"),
    ("belgien", "BE"),
    ("bélgica", "BE"),
    ("austria", "AT"),
    ("österreich", "AT"),
    ("autriche", "AT"),
    ("switzerland", "CH"),
    ("schweiz", "CH"),
    ("suisse", "CH"),
    ("svizzera", "CH"),
    ("suiza", "CH"),
    ("luxembourg", "LU"),
    ("luxemburg", "LU"),
    ("ireland", "IE"),
    ("irland", "IE"),
    ("irlande", "IE"),
    ("portugal", "PT"),
    ("sweden", "SE"),
    ("sverige", "SE"),
    ("schweden", "SE"),
    ("suède", "SE"),
    ("norway", "NO"),
    ("norge", "NO"),
    ("norwegen", "NO"),
    ("norvège", "NO"),
    ("denmark", "DK"),
    ("danmark", "DK"),
    ("dänemark", "DK"),
    ("danemark", "DK"),
    ("finland", "FI"),
    ("suomi", "FI"),
    ("finnland", "FI"),
    ("finlande", "FI"),
    ("iceland", "IS"),
    ("poland", "PL"),
    ("polska", "PL"),
    ("polen", "PL"),
    ("pologne", "PL"),
    ("czech republic", "CZ"),
    ("czechia", "CZ"),
    ("tschechien", "CZ"),
    ("canada", "CA"),
    ("kanada", "CA"),
    ("australia", "AU"),
    ("australien", "AU"),
    ("australie", "AU"),
    ("new zealand", "NZ"),
    ("neuseeland", "NZ"),
    ("mexico", "MX"),
    ("méxico", "MX"),
    ("brazil", "BR"),
    ("brasil", "BR"),
    ("brasilien", "BR"),
    ("argentina", "AR"),
    ("india", "IN"),
    ("indien", "IN"),
    ("japan", "JP"),
    ("china", "CN"),
    ("singapore", "SG"),
    ("israel", "IL"),
    ("united arab emirates", "AE"),
    ("south africa", "ZA"),
    ("estonia", "EE"),
    ("eesti", "EE"),
    ("lithuania", "LT"),
    ("latvia", "LV"),
    ("greece", "GR"),
    ("griechenland", "GR"),
    ("romania", "RO"),
    ("rumänien", "RO"),
    ("hungary", "HU"),
    ("ungarn", "HU"),
];

/// Three-letter codes seen in JSON-LD instead of two-letter ones.
const ALPHA3: &[(&str, &str)] = &[
    ("DEU", "DE"),
    ("FRA", "FR"),
    ("GBR", "GB"),
    ("USA", "US"),
    ("ESP", "ES"),
    ("ITA", "IT"),
    ("NLD", "NL"),
    ("BEL", "BE"),
    ("AUT", "AT"),
    ("CHE", "CH"),
    ("IRL", "IE"),
    ("PRT", "PT"),
    ("SWE", "SE"),
    ("NOR", "NO"),
    ("DNK", "DK"),
    ("FIN", "FI"),
    ("POL", "PL"),
    ("CAN", "CA"),
    ("AUS", "AU"),
    ("NZL", "NZ"),
];

/// Country-code TLDs that are mostly sold as generic names, so they say nothing about a country.
const GENERIC_CCTLDS: &[&str] =
    &["io", "co", "ai", "me", "tv", "fm", "ly", "gg", "sh", "so", "to", "ws", "cc", "la", "eu", "su", "ac", "am", "app", "dev"];

/// The ISO 3166 alpha-2 code for a country name or code ("Germany", "Deutschland", "de", "DEU", "UK").
pub(super) fn iso2(value: &str) -> Option<String> {
    let trimmed = value.trim().trim_end_matches('.');
    let upper = trimmed.to_uppercase();
    if upper == "UK" {
        return Some("GB".into());
    }
    if upper.len() == 2 && upper.parse::<phonenumber::country::Id>().is_ok() {
        return Some(upper);
    }
    if let Some((_, code)) = ALPHA3.iter().find(|(a3, _)| *a3 == upper) {
        return Some((*code).into());
    }
    by_name(&trimmed.to_lowercase()).map(str::to_string)
}

/// The code of a lowercase country name in [`NAMES`], by hash rather than a scan of the list:
/// every word window of every address-like line is looked up.
fn by_name(name: &str) -> Option<&'static str> {
    static BY_NAME: LazyLock<HashMap<&str, &str>> = LazyLock::new(|| {
        let mut map = HashMap::new();
        for (name, code) in NAMES {
            map.entry(*name).or_insert(*code);
        }
        map
    });
    BY_NAME.get(name).copied()
}

/// The English name of a country by its ISO 3166 alpha-2 code (`DE` → `germany`), lowercase as
/// the list holds it; `None` for a code the list does not know. Search queries use it, because
/// "fintech companies in germany" finds companies and "fintech companies in DE" does not.
pub fn english_name(code: &str) -> Option<&'static str> {
    let code = code.trim();
    NAMES.iter().find(|(_, c)| c.eq_ignore_ascii_case(code)).map(|(name, _)| *name)
}

/// The region of the document's language (`<html lang="de-DE">`, `og:locale` `fr_FR`).
pub(super) fn from_lang(doc: &Html) -> Option<String> {
    static LANG: LazyLock<Selector> = LazyLock::new(|| Selector::parse("html[lang], meta[property='og:locale']").unwrap());
    doc.select(&LANG).find_map(|el| {
        let tag = el.attr("lang").or_else(|| el.attr("content"))?;
        let region = tag.split(['-', '_']).nth(1)?;
        (region.len() == 2).then(|| iso2(region)).flatten()
    })
}

/// The country most pages in the document's language come from (`<html lang="fr">` → FR), for
/// reading national phone numbers when nothing else tells the country. English, spoken in many
/// countries with different numbering plans, tells none.
pub(super) fn from_language(doc: &Html) -> Option<String> {
    static LANG: LazyLock<Selector> = LazyLock::new(|| Selector::parse("html[lang]").unwrap());
    let tag = doc.select(&LANG).next()?.attr("lang")?;
    let language = tag.split(['-', '_']).next()?.to_ascii_lowercase();
    let country = match language.as_str() {
        "de" => "DE",
        "fr" => "FR",
        "es" => "ES",
        "it" => "IT",
        "nl" => "NL",
        "sv" => "SE",
        "da" => "DK",
        "nb" | "nn" | "no" => "NO",
        "fi" => "FI",
        "pl" => "PL",
        "pt" => "PT",
        "cs" => "CZ",
        _ => return None,
    };
    Some(country.to_string())
}

/// The country of the page's country-code TLD (`.de`, `.co.uk`), unless it is sold as a generic name (`.io`).
pub(super) fn from_tld(page_url: &Url) -> Option<String> {
    let host = page_url.host_str()?;
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let tld = host.trim_end_matches('.').rsplit('.').next()?.to_ascii_lowercase();
    if tld.len() != 2 || GENERIC_CCTLDS.contains(&tld.as_str()) {
        return None;
    }
    iso2(&tld)
}

/// A postal address seen on the page: its country where it can be told, and its city.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Place {
    /// ISO 3166 alpha-2, when a country name or the postcode's shape tells it.
    pub country: Option<String>,
    /// The city next to the postcode.
    pub city: Option<String>,
}

/// The first visible postal address: `<address>` and `itemprop=address` blocks first, then any
/// line holding a postal code. A country is read from a country name on the address, or from the
/// shape of a US, UK or Canadian postcode.
pub(super) fn visible_address(doc: &Html, lines: &[String]) -> Option<Place> {
    static ADDRESS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("address, [itemprop=address]").unwrap());
    let blocks: Vec<String> = doc.select(&ADDRESS).map(element_text).collect();
    if let Some(place) = blocks.iter().find_map(|block| place_in(block)) {
        return Some(place);
    }
    // Outside an address block a bare "2024 Acme" could be a year and a name, so a line (joined
    // with the next, as addresses wrap) only counts when it also tells the country.
    (0..lines.len()).filter(|&i| !names_a_host(&lines[i])).find_map(|i| {
        let next = lines.get(i + 1).filter(|next| !names_a_host(next));
        let text = std::iter::once(&lines[i]).chain(next).cloned().collect::<Vec<_>>().join(", ");
        place_in(&text).filter(|place| place.country.is_some())
    })
}

/// Whether a line names the web host, whose address a legal notice must give ("Hébergement :
/// Webflow, Inc., San Francisco, CA"): it is not where the company is.
fn names_a_host(line: &str) -> bool {
    static HOST: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)h[ée]berg|host|alojam|alojad").unwrap());
    let head = line.char_indices().nth(40).map_or(line, |(i, _)| &line[..i]);
    HOST.is_match(head)
}

/// Postcode shapes that tell the country by themselves; group 1 is the city.
const SHAPES: &[(&str, &str)] = &[
    (r"(\p{Lu}[\p{L}]+(?: \p{Lu}[\p{L}]+)?),? (?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT) \d{4}\b", "AU"),
    (
        r"(\p{Lu}[\p{L}.]+(?: \p{Lu}[\p{L}.]+)*),? (?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY) \d{5}(?:-\d{4})?\b",
        "US",
    ),
    (r"(\p{Lu}[\p{L}]+(?: \p{Lu}[\p{L}]+)?),? (?:ON|QC|BC|AB|MB|SK|NS|NB|NL|PE|YT|NT|NU),? [A-Z]\d[A-Z] ?\d[A-Z]\d\b", "CA"),
    // Irish Eircode: "Dublin 2, D02 VY79".
    (r"(\p{Lu}[\p{L}]+)(?: \d{1,2})?,? [AC-FHKNPRTV-Y]\d[\dW] ?[0-9AC-FHKNPRTV-Y]{4}\b", "IE"),
    (r"(\p{Lu}[\p{L}]+),? [A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b", "GB"),
    // "1017 EK Amsterdam": four digits and two letters is the Dutch postcode alone. Last, because
    // a US street number and direction ("1120 NW Couch Street, Portland, OR 97209") looks the same.
    (r"\b[1-9]\d{3} ?[A-Z]{2}\s+(\p{Lu}[\p{L}-]+)", "NL"),
];

static SHAPED_POSTCODES: LazyLock<Vec<(Gated, &'static str)>> =
    LazyLock::new(|| SHAPES.iter().map(|(pattern, country)| (Gated::new(pattern), *country)).collect());

/// A postcode followed by a city, in any country; group 1 is the city.
const POSTCODE_CITY: &str =
    r"\b(?:[A-Z]{1,2}-)?(?:\d{3} \d{2}|\d{4,5})(?: ?[A-Z]{2})?\s+(\p{Lu}[\p{L}'-]+(?: (?:am|an der|sur|upon|de|del|\p{Lu}[\p{L}'-]+))*)";

/// Every postcode pattern at once, without word boundaries (see [`super::gate`]): most lines and
/// line pairs hold no postcode, and one DFA pass rejects them before any pattern runs.
static POSTCODE_GATE: LazyLock<Regex> = LazyLock::new(|| {
    let all = SHAPES.iter().map(|(pattern, _)| *pattern).chain([POSTCODE_CITY]);
    Regex::new(&all.map(|p| format!("(?:{})", p.replace(r"\b", ""))).collect::<Vec<_>>().join("|")).unwrap()
});

/// The place described by one address-like text, if it has a postal code.
pub(super) fn place_in(text: &str) -> Option<Place> {
    static POSTCODE: LazyLock<Gated> = LazyLock::new(|| Gated::new(POSTCODE_CITY));
    if !POSTCODE_GATE.is_match(text) {
        return None;
    }
    let named = country_named_in(text);
    for (shape, country) in SHAPED_POSTCODES.iter() {
        if let Some(caps) = shape.candidate(text).and_then(|shape| shape.captures(text)) {
            return Some(Place { country: named.or(Some((*country).into())), city: Some(caps[1].to_string()) });
        }
    }
    let caps = POSTCODE.candidate(text)?.captures_iter(text).find(|caps| {
        // "© 2024 Acme Ltd": a year before a company name is no postcode before a city.
        let before = text[..caps.get(0).unwrap().start()].trim_end().to_lowercase();
        let copyright = before.ends_with('©') || before.ends_with("(c)") || before.ends_with("copyright");
        !copyright && !caps[1].split_whitespace().any(|w| LEGAL_FORMS.contains(&w.trim_end_matches('.').to_lowercase().as_str()))
    })?;
    let city = caps[1].trim_end_matches(',').to_string();
    // A city that is itself a country name ("75002 France") is no city.
    let city = iso2(&city).is_none().then_some(city);
    Some(Place { country: named, city })
}

/// Legal forms, which end company names and never city names.
const LEGAL_FORMS: &[&str] =
    &["gmbh", "ag", "kg", "ltd", "inc", "llc", "ab", "as", "oy", "bv", "b.v", "sl", "s.l", "sas", "sarl", "srl", "spa", "pty", "plc"];

/// The first country name or code written as a whole word in `text`.
fn country_named_in(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.')).filter(|w| !w.is_empty()).collect();
    // Longest names first, so "united states" wins over a stray word; up to three-word names.
    (1..=3).rev().find_map(|len| {
        words.windows(len).find_map(|window| {
            let candidate = window.join(" ");
            by_name(candidate.trim_end_matches('.')).map(str::to_string)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_names_come_first() {
        assert_eq!(english_name("DE"), Some("germany"));
        assert_eq!(english_name("gb"), Some("united kingdom"));
        assert_eq!(english_name("NL"), Some("netherlands"));
        assert_eq!(english_name("ZZ"), None);
        // Every code's first name reads back as that code.
        for (_, code) in NAMES {
            assert_eq!(iso2(english_name(code).unwrap()).as_deref(), Some(*code));
        }
    }

    #[test]
    fn names_and_codes_become_alpha2() {
        assert_eq!(iso2("Germany").as_deref(), Some("DE"));
        assert_eq!(iso2("Deutschland").as_deref(), Some("DE"));
        assert_eq!(iso2(" france ").as_deref(), Some("FR"));
        assert_eq!(iso2("de").as_deref(), Some("DE"));
        assert_eq!(iso2("UK").as_deref(), Some("GB"));
        assert_eq!(iso2("GBR").as_deref(), Some("GB"));
        assert_eq!(iso2("Atlantis"), None);
        assert_eq!(iso2("ZZ"), None);
    }

    #[test]
    fn tld_and_lang_regions() {
        assert_eq!(from_tld(&Url::parse("https://www.acme.co.uk/").unwrap()).as_deref(), Some("GB"));
        assert_eq!(from_tld(&Url::parse("https://kontorwerk.de/x").unwrap()).as_deref(), Some("DE"));
        assert_eq!(from_tld(&Url::parse("https://acme.io/").unwrap()), None);
        assert_eq!(from_tld(&Url::parse("https://acme.com/").unwrap()), None);
        assert_eq!(from_tld(&Url::parse("http://127.0.0.1:8080/").unwrap()), None);
        let doc = Html::parse_document("<html lang='fr-FR'><body></body></html>");
        assert_eq!(from_lang(&doc).as_deref(), Some("FR"));
        let doc = Html::parse_document("<html lang='en'><body></body></html>");
        assert_eq!(from_lang(&doc), None);
    }

    #[test]
    fn visible_addresses() {
        let place = |s: &str| place_in(s).unwrap();
        assert_eq!(place("Torstraße 12, 10119 Berlin, Deutschland"), Place { country: Some("DE".into()), city: Some("Berlin".into()) });
        assert_eq!(place("500 Congress Ave, Austin, TX 78701").country.as_deref(), Some("US"));
        assert_eq!(place("12 Brewer Street, London W1F 0SE").city.as_deref(), Some("London"));
        assert_eq!(place("12 Brewer Street, London W1F 0SE").country.as_deref(), Some("GB"));
        assert_eq!(place("18 rue du Sentier, 75002 Paris").country, None, "five digits alone do not tell the country");
        assert_eq!(place("Keizersgracht 1, 1015 CJ Amsterdam, Nederland").country.as_deref(), Some("NL"));
        assert!(place_in("We were founded in Berlin").is_none());
        let doc = Html::parse_document("<p>Siège : 58 rue de la Régence, 1000 Bruxelles</p><p>Hébergement : Webflow, Inc., 398 11th Street, San Francisco, CA 94103</p>");
        let lines = super::super::text::visible_lines(&doc);
        assert_eq!(visible_address(&doc, &lines), None, "the web host's address is not the company's");
        assert_eq!(place("Sveavägen 44, 111 34 Stockholm, Sverige"), Place { country: Some("SE".into()), city: Some("Stockholm".into()) });
        assert_eq!(place("Level 4, 88 George Street, Sydney NSW 2000").country.as_deref(), Some("AU"));
        assert_eq!(place("1120 NW Couch Street, Suite 400, Portland, OR 97209").country.as_deref(), Some("US"));
        assert_eq!(place("Keizersgracht 520, 1017 EK Amsterdam"), Place { country: Some("NL".into()), city: Some("Amsterdam".into()) });
        assert_eq!(place("5 Hanover Quay, Dublin 2, D02 VY79, Ireland"), Place { country: Some("IE".into()), city: Some("Dublin".into()) });
        assert!(place_in("© 2024 Quillstack Ltd. Registered in Ireland").is_none(), "a copyright year is no postcode");
    }
}
