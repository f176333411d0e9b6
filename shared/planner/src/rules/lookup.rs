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
        assert_eq!(read_title("Gardener"), None);
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
    fn industries_read_from_labels() {
        assert_eq!(industry_slug("Financial Services"), Some("fintech"));
        assert_eq!(industry_slug("B2B payments platform"), Some("fintech"));
        assert_eq!(industry_slug("Knitting"), None);
    }
}
