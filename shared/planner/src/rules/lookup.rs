//! The planner's vocabularies, applied to single values rather than prompts: a job title, a
//! country or an industry as a spreadsheet cell or a web page states it. Sources use these so a
//! seed row's "VP of Eng." and a plan's "VP Engineering" compare equal, and "Deutschland" is `DE`.

use super::super::Role;
use super::text::Tokens;
use super::{roles, vocab};

/// The canonical role a job title names ("Vice President, Engineering" → VP Engineering), read
/// from the earliest position that names one; `None` when the title names no known role.
pub fn read_title(title: &str) -> Option<Role> {
    let tokens = Tokens::new(title);
    (0..tokens.len()).find_map(|at| roles::role_at(&tokens, at)).map(|(role, _)| role)
}

/// The ISO 3166-1 alpha-2 code of a country name, adjective or code ("France", "french", "fr",
/// "Deutschland", "USA"); `None` for anything else, regions included.
pub fn country_code(text: &str) -> Option<&'static str> {
    let trimmed = text.trim();
    if let Some((code, _)) = vocab::COUNTRIES.iter().find(|(code, _)| code.eq_ignore_ascii_case(trimmed)) {
        return Some(code);
    }
    let folded = folded_words(trimmed);
    vocab::COUNTRIES.iter().find(|(_, names)| names.contains(&folded.as_str())).map(|(code, _)| *code)
}

/// The industry slug a label names ("Financial Services" → `fintech`), by the longest phrase
/// of the vocabulary found anywhere in it.
pub fn industry_slug(text: &str) -> Option<&'static str> {
    let tokens = Tokens::new(text);
    let mut best: Option<(usize, &'static str)> = None;
    for at in 0..tokens.len() {
        if let Some((end, slug)) = tokens.longest(at, vocab::INDUSTRIES) {
            if best.is_none_or(|(length, _)| end - at > length) {
                best = Some((end - at, slug));
            }
        }
    }
    best.map(|(_, slug)| slug)
}

/// The English name of a US state or Canadian province by ISO 3166-2 code (`US-TX` → "Texas").
pub fn region_name(code: &str) -> Option<&'static str> {
    vocab::region_name(code)
}

/// The main cities of a state or province (`US-TX` → Austin, Houston, …); empty for an unknown code.
pub fn region_cities(code: &str) -> &'static [&'static str] {
    vocab::SUBDIVISIONS.iter().find(|s| s.code.eq_ignore_ascii_case(code)).map_or(&[], |s| s.cities)
}

/// The state or province (ISO 3166-2) of a city in `country` (alpha-2), when the city is one the
/// vocabulary knows in exactly one region of that country: "Austin" in `US` is `US-TX`;
/// "Portland" (Oregon and Maine) and cities it does not list are `None`.
pub fn region_of_city(country: &str, city: &str) -> Option<&'static str> {
    let wanted = folded_words(city);
    let mut regions = vocab::SUBDIVISIONS
        .iter()
        .filter(|s| s.code[..2].eq_ignore_ascii_case(country.trim()))
        .filter(|s| s.cities.iter().any(|known| folded_words(known) == wanted));
    let first = regions.next()?;
    regions.next().is_none().then_some(first.code)
}

/// The folded words of `text` joined by single spaces, as vocabulary phrases are written.
fn folded_words(text: &str) -> String {
    Tokens::new(text).words().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Department, Seniority};

    #[test]
    fn titles_read_as_their_canonical_role() {
        for title in ["VP Eng", "VP of Engineering", "Vice President, Engineering", "vp engineering & infrastructure"] {
            let role = read_title(title).unwrap_or_else(|| panic!("{title}"));
            assert_eq!((role.title.as_str(), role.seniority, role.department), ("VP Engineering", Seniority::Vp, Department::Engineering));
        }
        assert_eq!(read_title("Co-founder & CTO").unwrap().title, "Founder");
        assert_eq!(read_title("Geschäftsführer").unwrap().title, "CEO");
        assert_eq!(read_title("Senior Head of Growth").unwrap().title, "Head of Growth");
        assert_eq!(read_title("Head of Revenue Operations").unwrap().title, "Head of Revenue Operations");
        assert_eq!(read_title("RevOps Manager").unwrap().title, "Revenue Operations Manager");
        assert_eq!(read_title("Gardener"), None);
        // Titles the tables do not know keep their own words, singular, in Title Case.
        let open = |title: &str| read_title(title).map(|r| (r.title, r.seniority, r.department));
        assert_eq!(open("head of developer relations"), Some(("Head of Developer Relations".into(), Seniority::Head, Department::Other)));
        assert_eq!(
            open("Senior Director of Procurement"),
            Some(("Director of Procurement".into(), Seniority::Director, Department::Operations))
        );
        assert_eq!(open("Procurement Director"), open("Director, Procurement"));
        assert_eq!(open("Chief Medical Officer"), Some(("Chief Medical Officer".into(), Seniority::CLevel, Department::Other)));
        assert_eq!(open("Directrice des achats"), Some(("Directrice des Achats".into(), Seniority::Director, Department::Operations)));
        assert_eq!(open("Einkaufsleiterin"), Some(("Einkaufsleiterin".into(), Seniority::Head, Department::Operations)));
        assert_ne!(read_title("Head of Developer Relations").map(|r| r.title), Some("Software Engineer".into()));
        assert_eq!(read_title(""), None);
    }

    #[test]
    fn countries_read_from_names_codes_and_other_languages() {
        assert_eq!(country_code("France"), Some("FR"));
        assert_eq!(country_code(" fr "), Some("FR"));
        assert_eq!(country_code("Deutschland"), Some("DE"));
        assert_eq!(country_code("United States of America"), Some("US"));
        assert_eq!(country_code("U.S."), Some("US"));
        assert_eq!(country_code("Atlantis"), None);
        assert_eq!(country_code("DACH"), None, "a region is not a country");
    }

    #[test]
    fn regions_are_named_and_placed_by_their_cities() {
        assert_eq!(region_name("US-TX"), Some("Texas"));
        assert_eq!(region_name("ca-on"), Some("Ontario"));
        assert_eq!(region_name("US-XX"), None);
        assert_eq!(region_of_city("US", "Austin"), Some("US-TX"));
        assert_eq!(region_of_city("us", " saint paul "), Some("US-MN"));
        assert_eq!(region_of_city("CA", "Montréal"), Some("CA-QC"));
        assert_eq!(region_of_city("US", "Portland"), None, "Portland is in Oregon and in Maine");
        assert_eq!(region_of_city("GB", "Cambridge"), None, "only US and Canadian regions are known");
        assert_eq!(region_of_city("US", "Cambridge"), Some("US-MA"));
        assert_eq!(region_of_city("US", "Gotham"), None);
        assert!(region_cities("US-TX").contains(&"Austin"));
        assert!(region_cities("US-XX").is_empty());
    }

    #[test]
    fn every_region_is_complete_and_distinct() {
        let codes: Vec<&str> = vocab::SUBDIVISIONS.iter().map(|s| s.code).collect();
        assert_eq!(codes.iter().filter(|c| c.starts_with("US-")).count(), 51, "50 states and DC");
        assert_eq!(codes.iter().filter(|c| c.starts_with("CA-")).count(), 13, "10 provinces and 3 territories");
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
        for subdivision in vocab::SUBDIVISIONS {
            assert!(!subdivision.phrases.is_empty() && !subdivision.cities.is_empty(), "{}", subdivision.code);
            for phrase in subdivision.phrases {
                assert_eq!(super::super::text::fold(phrase), *phrase, "{phrase} is not folded");
            }
        }
    }

    #[test]
    fn industries_read_from_labels() {
        assert_eq!(industry_slug("Financial Services"), Some("fintech"));
        assert_eq!(industry_slug("B2B payments platform"), Some("fintech"));
        assert_eq!(industry_slug("Knitting"), None);
    }
}
