//! OpenStreetMap through the Overpass API (`GET <endpoint>?data=<Overpass QL>`, `[out:json]`):
//! local businesses by the tags that say what kind of place they are, within a city or a state
//! or province. Never country-wide: a country holds more dentists than any job wants, and such
//! queries are the ones Overpass asks people not to send.
//!
//! The area is found by name and boundary (`boundary=administrative`, `name=Austin`) inside the
//! plan's regions (`ISO3166-2=US-TX`) or countries (`ISO3166-1=US`, admin level 2) when it names
//! them, or is the region itself. The answer is `out center tags N;`: each element's tags and, for
//! ways and relations, a centre point, at most N of them.

use std::collections::BTreeMap;

use serde::Deserialize;
use url::Url;

use super::{industry_words, OpenQuery, OpenRecord, MAX_RECORDS};

/// Server-side time budget of a query, in seconds (`[timeout:…]`).
const SERVER_TIMEOUT_S: u32 = 25;

/// The OSM tags (`key=value`) for the places an industry slug stands for, by its words. Tags as
/// documented on the OpenStreetMap wiki (Map features); an industry without a clear tag has none
/// and is not looked up.
pub fn tags(slug: &str) -> Vec<(&'static str, &'static str)> {
    let words = industry_words(slug);
    let has = |w: &str| words.iter().any(|x| x == w);
    let mut tags = Vec::new();
    if has("dentist") || has("dental") || has("dentistry") {
        tags.extend([("amenity", "dentist"), ("healthcare", "dentist")]);
    }
    if has("coffee") && (has("roaster") || has("roastery") || has("roasting")) {
        tags.extend([("craft", "coffee_roaster"), ("shop", "coffee")]);
    } else if has("cafe") || has("coffee") {
        tags.extend([("amenity", "cafe"), ("shop", "coffee")]);
    }
    if (has("law") && (has("firm") || has("office"))) || has("lawyer") || has("attorney") || has("solicitor") {
        tags.push(("office", "lawyer"));
    }
    if has("restaurant") {
        tags.push(("amenity", "restaurant"));
    }
    if has("bakery") || has("baker") {
        tags.push(("shop", "bakery"));
    }
    if has("pharmacy") {
        tags.push(("amenity", "pharmacy"));
    }
    if has("bank") && !has("investment") {
        tags.push(("amenity", "bank"));
    }
    if has("accountant") || has("accounting") {
        tags.push(("office", "accountant"));
    }
    if has("veterinary") || has("vet") || has("veterinarian") {
        tags.push(("amenity", "veterinary"));
    }
    if has("clinic") && !has("dental") {
        tags.push(("amenity", "clinic"));
    }
    if has("doctor") || has("physician") {
        tags.push(("amenity", "doctors"));
    }
    if has("hotel") {
        tags.push(("tourism", "hotel"));
    }
    if has("brewery") {
        tags.push(("craft", "brewery"));
    }
    if has("hairdresser") || has("salon") {
        tags.push(("shop", "hairdresser"));
    }
    tags
}

/// An Overpass QL string.
fn string(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            '\n' => vec![' '],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

/// The Overpass QL for `query`, or `None` when it names no city and no region (no country-wide
/// queries) or none of its industries has a tag.
pub fn query(query: &OpenQuery) -> Option<String> {
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    for slug in &query.industries {
        for tag in tags(slug) {
            if !wanted.contains(&tag) {
                wanted.push(tag);
            }
        }
    }
    if wanted.is_empty() || (query.cities.is_empty() && query.regions.is_empty()) {
        return None;
    }
    let mut ql = vec![format!("[out:json][timeout:{SERVER_TIMEOUT_S}];")];
    let regions: Vec<String> = query.regions.iter().map(|r| format!("area[\"ISO3166-2\"={}];", string(&r.to_uppercase()))).collect();
    if query.cities.is_empty() {
        ql.push(format!("({})->.searchArea;", regions.join(" ")));
    } else {
        let within: Vec<String> = if !regions.is_empty() {
            regions
        } else {
            query.countries.iter().map(|c| format!("area[\"ISO3166-1\"={}][\"admin_level\"=\"2\"];", string(&c.to_uppercase()))).collect()
        };
        let scope = if within.is_empty() {
            ""
        } else {
            ql.push(format!("({})->.within;", within.join(" ")));
            "(area.within)"
        };
        let cities: Vec<String> =
            query.cities.iter().map(|city| format!("rel{scope}[\"boundary\"=\"administrative\"][\"name\"={}];", string(city))).collect();
        ql.push(format!("({})->.cities;", cities.join(" ")));
        ql.push(".cities map_to_area->.searchArea;".to_string());
    }
    let selectors: Vec<String> =
        wanted.iter().map(|(k, v)| format!("nwr(area.searchArea)[{}={}][\"name\"];", string(k), string(v))).collect();
    ql.push(format!("({});", selectors.join(" ")));
    ql.push(format!("out center tags {};", query.limit.clamp(1, MAX_RECORDS)));
    Some(ql.join("\n"))
}

/// The GET request for `ql` at `endpoint`.
pub fn request_url(endpoint: &Url, ql: &str) -> Url {
    let mut url = endpoint.clone();
    url.query_pairs_mut().append_pair("data", ql);
    url
}

#[derive(Deserialize)]
struct Answer {
    elements: Vec<Element>,
}

#[derive(Deserialize)]
struct Element {
    #[serde(rename = "type")]
    kind: String,
    id: u64,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// The records of an Overpass JSON answer: one per named node, way or relation, with the tags it
/// carries (`website`/`contact:website`, `phone`/`contact:phone`, `email`/`contact:email`,
/// `addr:*`, `opening_hours`). Elements without a name are skipped.
pub fn parse(body: &[u8]) -> Result<Vec<OpenRecord>, String> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| format!("not Overpass JSON: {e}"))?;
    let records = answer
        .elements
        .into_iter()
        .filter(|e| matches!(e.kind.as_str(), "node" | "way" | "relation"))
        .filter_map(|element| {
            let tag = |key: &str| element.tags.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
            let either = |a: &str, b: &str| tag(a).or_else(|| tag(b));
            // Several values are separated by `;`; the first is the main one.
            let first = |v: String| v.split(';').next().unwrap_or_default().trim().to_string();
            let name = tag("name")?;
            let website =
                either("website", "contact:website").map(first).map(|w| if w.contains("://") { w } else { format!("https://{w}") });
            let street = [tag("addr:housenumber"), tag("addr:street")].into_iter().flatten().collect::<Vec<_>>();
            let street = if tag("addr:country").as_deref().is_some_and(|c| matches!(c, "US" | "GB" | "CA" | "AU" | "IE" | "FR")) {
                street.join(" ")
            } else {
                street.into_iter().rev().collect::<Vec<_>>().join(" ")
            };
            let town = [tag("addr:postcode"), tag("addr:city")].into_iter().flatten().collect::<Vec<_>>().join(" ");
            let address = [street, town].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(", ");
            Some(OpenRecord {
                url: format!("https://www.openstreetmap.org/{}/{}", element.kind, element.id),
                name,
                website: website.filter(|w| Url::parse(w).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())),
                country: tag("addr:country").filter(|c| c.len() == 2).map(|c| c.to_uppercase()),
                city: tag("addr:city"),
                phone: either("phone", "contact:phone").map(first),
                email: either("email", "contact:email").map(first),
                address: (!address.is_empty()).then_some(address),
                opening_hours: tag("opening_hours"),
                ..OpenRecord::default()
            })
        })
        .collect();
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query_for(industries: &[&str], countries: &[&str], regions: &[&str], cities: &[&str]) -> OpenQuery {
        let own = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        OpenQuery { industries: own(industries), countries: own(countries), regions: own(regions), cities: own(cities), limit: 20 }
    }

    #[test]
    fn industries_map_to_tags_by_their_words() {
        assert_eq!(tags("dental_clinics"), [("amenity", "dentist"), ("healthcare", "dentist")]);
        assert_eq!(tags("coffee_roasters"), [("craft", "coffee_roaster"), ("shop", "coffee")]);
        assert_eq!(tags("law_firms"), [("office", "lawyer")]);
        assert_eq!(tags("retail_banks"), [("amenity", "bank")]);
        assert!(tags("robotics").is_empty() && tags("fintech").is_empty());
    }

    #[test]
    fn queries_need_a_city_or_region_and_are_bounded() {
        assert!(query(&query_for(&["dentists"], &["US"], &[], &[])).is_none(), "no country-wide queries");
        assert!(query(&query_for(&["robotics"], &[], &[], &["Austin"])).is_none(), "no tag for robotics");
        let austin = query(&query_for(&["dentists"], &["US"], &["US-TX"], &["Austin"])).unwrap();
        assert_eq!(
            austin,
            "[out:json][timeout:25];\n\
             (area[\"ISO3166-2\"=\"US-TX\"];)->.within;\n\
             (rel(area.within)[\"boundary\"=\"administrative\"][\"name\"=\"Austin\"];)->.cities;\n\
             .cities map_to_area->.searchArea;\n\
             (nwr(area.searchArea)[\"amenity\"=\"dentist\"][\"name\"]; nwr(area.searchArea)[\"healthcare\"=\"dentist\"][\"name\"];);\n\
             out center tags 20;"
        );
        let lyon = query(&query_for(&["coffee_roasters"], &["FR"], &[], &["Lyon"])).unwrap();
        assert!(lyon.contains("(area[\"ISO3166-1\"=\"FR\"][\"admin_level\"=\"2\"];)->.within;"), "{lyon}");
        let texas = query(&query_for(&["law_firms"], &["US"], &["US-TX"], &[])).unwrap();
        assert!(texas.contains("(area[\"ISO3166-2\"=\"US-TX\"];)->.searchArea;") && texas.contains("[\"office\"=\"lawyer\"]"), "{texas}");
        let odd = query(&query_for(&["dentists"], &[], &[], &["Saint \"Q\""])).unwrap();
        assert!(odd.contains("[\"name\"=\"Saint \\\"Q\\\"\"]") && !odd.contains("within"), "{odd}");
    }

    /// Overpass JSON as the API documents it: `elements[]` with `type`, `id`, `lat`/`lon` for
    /// nodes, `center` for ways with `out center`, and `tags`.
    const ANSWER: &str = r#"{
      "version": 0.6, "generator": "Overpass API 0.7.62",
      "osm3s": {"timestamp_osm_base": "2026-12-01T00:00:00Z", "copyright": "The data included in this document is from www.openstreetmap.org. The data is made available under ODbL."},
      "elements": [
        {"type": "node", "id": 4242, "lat": 30.27, "lon": -97.74, "tags": {
          "amenity": "dentist", "name": "Barton Creek Dental", "website": "https://bartoncreekdental.com",
          "phone": "+1 512 555 0142; +1 512 555 0143", "email": "hello@bartoncreekdental.com",
          "addr:housenumber": "1200", "addr:street": "South Lamar Boulevard", "addr:city": "Austin",
          "addr:postcode": "78704", "addr:country": "US", "opening_hours": "Mo-Fr 08:00-17:00"}},
        {"type": "way", "id": 99, "center": {"lat": 30.3, "lon": -97.7}, "tags": {
          "healthcare": "dentist", "name": "Eastside Smiles", "contact:website": "eastsidesmiles.example",
          "contact:phone": "+1 512 555 0199", "addr:street": "Cesar Chavez Street", "addr:housenumber": "800"}},
        {"type": "node", "id": 7, "lat": 1.0, "lon": 2.0, "tags": {"amenity": "dentist"}},
        {"type": "node", "id": 8, "lat": 1.0, "lon": 2.0}
      ]
    }"#;

    #[test]
    fn answers_become_records_with_their_tags() {
        let records = parse(ANSWER.as_bytes()).unwrap();
        assert_eq!(records.len(), 2, "{records:?}");
        let barton = &records[0];
        assert_eq!(barton.url, "https://www.openstreetmap.org/node/4242");
        assert_eq!(barton.website.as_deref(), Some("https://bartoncreekdental.com"));
        assert_eq!(barton.phone.as_deref(), Some("+1 512 555 0142"));
        assert_eq!(barton.email.as_deref(), Some("hello@bartoncreekdental.com"));
        assert_eq!(barton.address.as_deref(), Some("1200 South Lamar Boulevard, 78704 Austin"));
        assert_eq!((barton.country.as_deref(), barton.city.as_deref()), (Some("US"), Some("Austin")));
        assert_eq!(barton.opening_hours.as_deref(), Some("Mo-Fr 08:00-17:00"));
        let eastside = &records[1];
        assert_eq!(eastside.url, "https://www.openstreetmap.org/way/99");
        assert_eq!(eastside.website.as_deref(), Some("https://eastsidesmiles.example"));
        assert_eq!(eastside.phone.as_deref(), Some("+1 512 555 0199"));
        assert_eq!(eastside.address.as_deref(), Some("Cesar Chavez Street 800"));
        assert!(parse(b"<?xml version=\"1.0\"?><osm/>").unwrap_err().starts_with("not Overpass JSON"));
    }
}
