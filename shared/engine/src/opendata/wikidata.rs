//! Wikidata through its public SPARQL endpoint (`GET <endpoint>?query=…`, answer in
//! `application/sparql-results+json`): businesses by class (P31) or industry (P452), country
//! (P17, matched by the country's ISO code P297), headquarters (P159, within a place by P131*
//! whose English label is the city or whose ISO 3166-2 code P300 is the region), with employees
//! (P1128), inception (P571), stock exchange (P414) and official website (P856).
//!
//! The query never walks `P31/P279*` up to "business" (Q4830453): the endpoint times that out.
//! It names the classes and industries an industry slug stands for instead, and only ones whose
//! QIDs were confirmed in public Wikidata queries. Fintech and healthcare are left unmapped on
//! purpose: the examples found give several different QIDs for "financial technology" and none
//! for health care as an industry, and a guessed QID would find the wrong companies.

use std::collections::HashMap;

use serde::Deserialize;
use url::Url;

use super::{industry_words, OpenQuery, OpenRecord, MAX_RECORDS};

/// The answer format asked for.
pub const ACCEPT: &str = "application/sparql-results+json";

/// What an industry stands for in Wikidata: instances of classes, or items whose industry is one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mapping {
    /// `P31` values.
    pub classes: &'static [&'static str],
    /// `P452` values.
    pub industries: &'static [&'static str],
}

/// bank (Q22687), law firm (Q613142), robotics (Q170978), software (Q7397), pharmaceutical
/// industry (Q507443), biotechnology (Q7108): each used with this meaning in several public
/// queries. Matched on the slug's words, so `retail_banks` and `law_firms` map as `banking` does.
pub fn mapping(slug: &str) -> Mapping {
    let words = industry_words(slug);
    let has = |w: &str| words.iter().any(|x| x == w);
    if has("bank") || has("banking") {
        Mapping { classes: &["Q22687"], industries: &[] }
    } else if (has("law") && has("firm")) || has("lawyer") || has("attorney") {
        Mapping { classes: &["Q613142"], industries: &[] }
    } else if has("robotics") || has("robot") {
        Mapping { classes: &[], industries: &["Q170978"] }
    } else if has("saas") || has("software") || has("devtools") {
        Mapping { classes: &[], industries: &["Q7397"] }
    } else if has("pharma") || has("pharmaceutical") {
        Mapping { classes: &[], industries: &["Q507443"] }
    } else if has("biotech") || has("biotechnology") {
        Mapping { classes: &[], industries: &["Q7108"] }
    } else {
        Mapping::default()
    }
}

/// A SPARQL string literal.
fn literal(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            '\n' => vec!['\\', 'n'],
            '\r' => vec!['\\', 'r'],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

/// The SPARQL query for `query`, or `None` when none of its industries maps to Wikidata.
pub fn sparql(query: &OpenQuery) -> Option<String> {
    let (mut classes, mut industries): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for slug in &query.industries {
        let found = mapping(slug);
        classes.extend(found.classes.iter().filter(|q| !classes.contains(q)).collect::<Vec<_>>());
        industries.extend(found.industries.iter().filter(|q| !industries.contains(q)).collect::<Vec<_>>());
    }
    if classes.is_empty() && industries.is_empty() {
        return None;
    }
    let values = |qids: &[&str]| qids.iter().map(|q| format!("wd:{q}")).collect::<Vec<_>>().join(" ");
    let mut kinds = Vec::new();
    if !classes.is_empty() {
        kinds.push(format!("{{ VALUES ?class {{ {} }} ?item wdt:P31 ?class . }}", values(&classes)));
    }
    if !industries.is_empty() {
        kinds.push(format!("{{ VALUES ?industry {{ {} }} ?item wdt:P452 ?industry . }}", values(&industries)));
    }
    let mut lines = vec![
        "SELECT ?item ?itemLabel ?website ?countryCode ?hqLabel ?employees ?inception ?exchange WHERE {".to_string(),
        format!("  {}", kinds.join(" UNION ")),
    ];
    if !query.countries.is_empty() {
        let codes: Vec<String> = query.countries.iter().map(|c| literal(&c.to_uppercase())).collect();
        lines.push(format!("  VALUES ?wantedCountry {{ {} }} ?item wdt:P17/wdt:P297 ?wantedCountry .", codes.join(" ")));
    }
    if !query.cities.is_empty() {
        let names: Vec<String> = query.cities.iter().map(|c| format!("{}@en", literal(c))).collect();
        lines.push(format!(
            "  VALUES ?wantedCity {{ {} }} ?item wdt:P159/wdt:P131* ?place . ?place rdfs:label ?wantedCity .",
            names.join(" ")
        ));
    } else if !query.regions.is_empty() {
        let codes: Vec<String> = query.regions.iter().map(|c| literal(&c.to_uppercase())).collect();
        lines.push(format!(
            "  VALUES ?wantedRegion {{ {} }} ?item wdt:P159/wdt:P131* ?place . ?place wdt:P300 ?wantedRegion .",
            codes.join(" ")
        ));
    }
    lines.extend([
        "  FILTER NOT EXISTS { ?item wdt:P576 ?dissolved . }".to_string(),
        "  OPTIONAL { ?item wdt:P856 ?website . }".to_string(),
        "  OPTIONAL { ?item wdt:P17/wdt:P297 ?countryCode . }".to_string(),
        "  OPTIONAL { ?item wdt:P159 ?hq . }".to_string(),
        "  OPTIONAL { ?item wdt:P1128 ?employees . }".to_string(),
        "  OPTIONAL { ?item wdt:P571 ?inception . }".to_string(),
        "  OPTIONAL { ?item wdt:P414 ?exchange . }".to_string(),
        "  SERVICE wikibase:label { bd:serviceParam wikibase:language \"en\". }".to_string(),
        "}".to_string(),
        // Several rows per item (one per website, exchange, …): room for them under the limit.
        format!("LIMIT {}", query.limit.clamp(1, MAX_RECORDS) * 4),
    ]);
    Some(lines.join("\n"))
}

/// The GET request for `sparql` at `endpoint`.
pub fn request_url(endpoint: &Url, sparql: &str) -> Url {
    let mut url = endpoint.clone();
    url.query_pairs_mut().append_pair("query", sparql);
    url
}

#[derive(Deserialize)]
struct Answer {
    results: Results,
}

#[derive(Deserialize)]
struct Results {
    bindings: Vec<HashMap<String, Term>>,
}

#[derive(Deserialize)]
struct Term {
    value: String,
}

/// The records of a SPARQL JSON answer: one per item, in the order first seen, its first value
/// for each variable kept. An item whose label is only its QID (no English label) is skipped:
/// that is a gap in Wikidata, not a name.
pub fn parse(body: &[u8]) -> Result<Vec<OpenRecord>, String> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| format!("not SPARQL JSON results: {e}"))?;
    let mut records: Vec<OpenRecord> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in answer.results.bindings {
        let value = |name: &str| row.get(name).map(|t| t.value.trim().to_string()).filter(|v| !v.is_empty());
        let Some(item) = value("item") else { continue };
        let Some(qid) = item.rsplit('/').next().filter(|q| q.starts_with('Q')).map(str::to_string) else { continue };
        let at = match index.get(&qid) {
            Some(&at) => at,
            None => {
                let Some(name) = value("itemLabel").filter(|label| *label != qid) else { continue };
                records.push(OpenRecord { url: format!("https://www.wikidata.org/wiki/{qid}"), name, ..OpenRecord::default() });
                index.insert(qid, records.len() - 1);
                records.len() - 1
            }
        };
        let record = &mut records[at];
        if record.website.is_none() {
            record.website = value("website").filter(|w| Url::parse(w).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
        }
        if record.country.is_none() {
            record.country = value("countryCode").filter(|c| c.len() == 2).map(|c| c.to_uppercase());
        }
        if record.city.is_none() {
            // An unlabelled headquarters comes back as its QID (or entity URL): not a name.
            record.city = value("hqLabel").filter(|c| !c.starts_with("http") && !is_qid(c));
        }
        if record.employees.is_none() {
            record.employees = value("employees").and_then(|n| n.parse::<f64>().ok()).filter(|n| *n >= 1.0 && *n < 1e8).map(|n| n as u32);
        }
        if record.founded.is_none() {
            record.founded = value("inception").and_then(|d| year(&d));
        }
        if value("exchange").is_some() {
            record.public = Some(true);
        }
    }
    Ok(records)
}

/// `Q` and digits only.
fn is_qid(text: &str) -> bool {
    text.strip_prefix('Q').is_some_and(|digits| !digits.is_empty() && digits.chars().all(|d| d.is_ascii_digit()))
}

/// The year of an `xsd:dateTime` (`1998-09-04T00:00:00Z`, `-0500-01-01T…`).
fn year(date: &str) -> Option<i32> {
    let (negative, rest) = match date.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, date),
    };
    let year: i32 = rest.split('-').next()?.parse().ok()?;
    Some(if negative { -year } else { year })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(industries: &[&str], countries: &[&str], cities: &[&str]) -> OpenQuery {
        OpenQuery {
            industries: industries.iter().map(|s| s.to_string()).collect(),
            countries: countries.iter().map(|s| s.to_string()).collect(),
            cities: cities.iter().map(|s| s.to_string()).collect(),
            limit: 10,
            ..OpenQuery::default()
        }
    }

    #[test]
    fn industries_map_by_their_words_and_unconfirmed_ones_not_at_all() {
        assert_eq!(mapping("retail_banks").classes, ["Q22687"]);
        assert_eq!(mapping("banking").classes, ["Q22687"]);
        assert_eq!(mapping("law_firms").classes, ["Q613142"]);
        assert_eq!(mapping("robotics").industries, ["Q170978"]);
        assert_eq!(mapping("saas").industries, ["Q7397"]);
        assert_eq!(mapping("fintech"), Mapping::default());
        assert_eq!(mapping("healthcare"), Mapping::default());
        assert_eq!(mapping("coffee_roasters"), Mapping::default());
        assert!(sparql(&query(&["fintech"], &["DE"], &[])).is_none());
    }

    #[test]
    fn the_query_names_classes_country_city_and_a_limit() {
        let q = sparql(&query(&["robotics", "retail_banks"], &["de"], &["Berlin \"Mitte\""])).unwrap();
        assert!(q.contains("{ VALUES ?class { wd:Q22687 } ?item wdt:P31 ?class . } UNION { VALUES ?industry { wd:Q170978 } ?item wdt:P452 ?industry . }"), "{q}");
        assert!(q.contains("VALUES ?wantedCountry { \"DE\" } ?item wdt:P17/wdt:P297 ?wantedCountry ."), "{q}");
        assert!(q.contains("VALUES ?wantedCity { \"Berlin \\\"Mitte\\\"\"@en }"), "{q}");
        for property in ["P856", "P1128", "P571", "P414", "P159", "P576"] {
            assert!(q.contains(property), "{property}: {q}");
        }
        assert!(q.ends_with("LIMIT 40"), "{q}");
        assert!(!q.contains("P279*"), "the subclass walk times out: {q}");
        let region =
            sparql(&OpenQuery { industries: vec!["saas".into()], regions: vec!["US-TX".into()], limit: 500, ..OpenQuery::default() })
                .unwrap();
        assert!(region.contains("?place wdt:P300 ?wantedRegion") && region.ends_with(&format!("LIMIT {}", MAX_RECORDS * 4)), "{region}");
        let url = request_url(&Url::parse("https://query.wikidata.org/sparql").unwrap(), "SELECT ?a WHERE {}");
        assert_eq!(url.as_str(), "https://query.wikidata.org/sparql?query=SELECT+%3Fa+WHERE+%7B%7D");
    }

    /// The SPARQL 1.1 Query Results JSON Format, as the Wikidata Query Service answers it.
    const ANSWER: &str = r#"{
      "head": {"vars": ["item", "itemLabel", "website", "countryCode", "hqLabel", "employees", "inception", "exchange"]},
      "results": {"bindings": [
        {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q1234567"},
         "itemLabel": {"xml:lang": "en", "type": "literal", "value": "Halyard Robotics"},
         "website": {"type": "uri", "value": "https://halyardrobotics.com/"},
         "countryCode": {"type": "literal", "value": "DE"},
         "hqLabel": {"xml:lang": "en", "type": "literal", "value": "Hamburg"},
         "employees": {"datatype": "http://www.w3.org/2001/XMLSchema#decimal", "type": "literal", "value": "85"},
         "inception": {"datatype": "http://www.w3.org/2001/XMLSchema#dateTime", "type": "literal", "value": "2016-01-01T00:00:00Z"}},
        {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q1234567"},
         "itemLabel": {"xml:lang": "en", "type": "literal", "value": "Halyard Robotics"},
         "website": {"type": "uri", "value": "https://www.halyardrobotics.com/en"},
         "exchange": {"type": "uri", "value": "http://www.wikidata.org/entity/Q151139"}},
        {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q7654321"},
         "itemLabel": {"type": "literal", "value": "Q7654321"}},
        {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q42424242"},
         "itemLabel": {"xml:lang": "en", "type": "literal", "value": "Werft Automation"},
         "hqLabel": {"type": "literal", "value": "Q99999"},
         "inception": {"type": "literal", "value": "-0050-01-01T00:00:00Z"}}
      ]}
    }"#;

    #[test]
    fn answers_become_one_record_per_item_with_what_it_states() {
        let records = parse(ANSWER.as_bytes()).unwrap();
        assert_eq!(records.len(), 2, "{records:?}");
        let halyard = &records[0];
        assert_eq!(halyard.url, "https://www.wikidata.org/wiki/Q1234567");
        assert_eq!(halyard.name, "Halyard Robotics");
        assert_eq!(halyard.website.as_deref(), Some("https://halyardrobotics.com/"));
        assert_eq!((halyard.country.as_deref(), halyard.city.as_deref()), (Some("DE"), Some("Hamburg")));
        assert_eq!((halyard.employees, halyard.founded, halyard.public), (Some(85), Some(2016), Some(true)));
        let werft = &records[1];
        assert_eq!((werft.city.as_deref(), werft.founded, werft.public, werft.website.as_deref()), (None, Some(-50), None, None));
        assert!(parse(b"<html>busy</html>").unwrap_err().starts_with("not SPARQL JSON results"));
        assert!(parse(br#"{"head": {}}"#).is_err());
    }
}
