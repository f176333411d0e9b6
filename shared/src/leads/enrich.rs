//! Enrichment of what sources state about people and companies: full names split into first and
//! last, job titles read as seniority and department (in the languages the planner's role
//! vocabulary knows), and company names stripped of their legal form for matching and display.
//! Nothing is guessed: a title the vocabulary cannot read gets no seniority, and a name that is
//! only a legal form keeps its original spelling.

use super::dedupe::fold_ascii;
use quarry_planner::{read_title, Department, Seniority};

/// A person's name in parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameParts {
    /// The name as written, without honorifics, spaces collapsed.
    pub full: String,
    pub first: Option<String>,
    pub last: Option<String>,
}

/// Honorifics and academic titles dropped before splitting (folded, without dots).
const HONORIFICS: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "herr",
    "frau",
    "m",
    "mme",
    "mlle",
    "sr",
    "sra",
    "dott",
    "ing",
    "dipl",
    "mag",
];
/// Particles that belong to the last name ("Ursula von der Leyen", "Charles de Gaulle").
const PARTICLES: &[&str] =
    &["von", "van", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "dos", "das", "ter", "zu", "af", "bin", "al"];
/// Generational suffixes kept with the last name.
const SUFFIXES: &[&str] = &["jr", "sr", "ii", "iii", "iv", "phd", "mba"];

/// Splits a person's full name: "Dr. Anna-Maria von Berg" → first `Anna-Maria`, last `von Berg`;
/// "Berg, Anna" (last name first) → first `Anna`, last `Berg`. A single word is a first name only.
pub fn split_name(raw: &str) -> NameParts {
    let (given, family) = match raw.split_once(',') {
        // "Last, First" unless the comma only precedes a suffix ("John Smith, Jr.").
        Some((last, first)) if !SUFFIXES.contains(&folded(first).as_str()) => (first.to_string(), Some(last.to_string())),
        _ => (raw.to_string(), None),
    };
    let words: Vec<&str> = given.split_whitespace().filter(|w| !HONORIFICS.contains(&folded(w).as_str())).collect();
    if let Some(family) = family {
        let first = words.join(" ");
        let last = family.split_whitespace().collect::<Vec<_>>().join(" ");
        let full = [first.as_str(), last.as_str()].iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(" ");
        return NameParts { full, first: non_empty(first), last: non_empty(last) };
    }
    let full = words.join(" ");
    let mut content: Vec<&str> = words.clone();
    while content.len() > 1 && content.last().is_some_and(|w| SUFFIXES.contains(&folded(w).as_str())) {
        content.pop();
    }
    match content.len() {
        0 => NameParts { full, first: None, last: None },
        1 => NameParts { first: non_empty(content[0].to_string()), last: None, full },
        _ => {
            // The last name starts at the first particle after the first word, else at the last word.
            let start = (1..content.len() - 1).find(|&i| PARTICLES.contains(&folded(content[i]).as_str())).unwrap_or(content.len() - 1);
            let first = content[..start].join(" ");
            let last = words[start..].join(" ");
            NameParts { full, first: non_empty(first), last: non_empty(last) }
        }
    }
}

fn folded(word: &str) -> String {
    fold_ascii(word).trim_matches(|c: char| !c.is_alphanumeric()).to_string()
}

fn non_empty(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

/// How senior a title is and in which department, as the lead model spells them
/// (`c_level`, `vp`, `head`, `director`, `manager`, `individual_contributor`; `engineering`, …).
/// A title with a seniority word but no known department ("Head of Developer Relations", "Chief
/// Medical Officer", "Senior Partner") gets the seniority alone.
pub fn read_seniority(title: &str) -> (Option<&'static str>, Option<&'static str>) {
    if let Some(role) = read_title(title) {
        let department = (role.department != Department::Other).then(|| department_slug(role.department));
        return (Some(seniority_slug(role.seniority)), department);
    }
    let words = fold_ascii(title);
    let has = |w: &str| words.split(|c: char| !c.is_alphanumeric()).any(|x| x == w);
    let seniority = if has("chief") || has("president") || has("founder") || has("owner") || has("partner") {
        Some(Seniority::CLevel)
    } else if has("vp") || has("vice") {
        Some(Seniority::Vp)
    } else if has("head") || has("leiter") || has("leiterin") || has("responsable") {
        Some(Seniority::Head)
    } else if has("director") || has("directeur") || has("directrice") || has("direktor") {
        Some(Seniority::Director)
    } else if has("manager") || has("lead") {
        Some(Seniority::Manager)
    } else {
        None
    };
    (seniority.map(seniority_slug), None)
}

fn seniority_slug(seniority: Seniority) -> &'static str {
    match seniority {
        Seniority::CLevel => "c_level",
        Seniority::Vp => "vp",
        Seniority::Head => "head",
        Seniority::Director => "director",
        Seniority::Manager => "manager",
        Seniority::IndividualContributor => "individual_contributor",
    }
}

fn department_slug(department: Department) -> &'static str {
    match department {
        Department::Executive => "executive",
        Department::Engineering => "engineering",
        Department::Data => "data",
        Department::Product => "product",
        Department::Design => "design",
        Department::Security => "security",
        Department::Growth => "growth",
        Department::Marketing => "marketing",
        Department::Sales => "sales",
        Department::CustomerSuccess => "customer_success",
        Department::Operations => "operations",
        Department::Finance => "finance",
        Department::People => "people",
        Department::Legal => "legal",
        Department::Other => "other",
    }
}

/// Legal forms, folded to lowercase words without dots, longest first within a family.
const LEGAL_FORMS: &[&str] = &[
    "gmbh co kg",
    "gmbh",
    "ug haftungsbeschrankt",
    "ug",
    "ag",
    "kg",
    "ohg",
    "e k",
    "ek",
    "se",
    "sas",
    "sasu",
    "sarl",
    "sa",
    "sca",
    "sl",
    "slu",
    "spa",
    "srl",
    "bv",
    "nv",
    "vof",
    "ab",
    "as",
    "asa",
    "aps",
    "oy",
    "oyj",
    "pty ltd",
    "pty",
    "ltd",
    "limited",
    "plc",
    "llp",
    "llc",
    "lp",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
];

/// The company name without its legal form and surrounding punctuation: "Kontorwerk GmbH & Co.
/// KG" → `Kontorwerk`, "Acme, Inc." → `Acme`. Never empty: a name that is nothing but a legal
/// form ("AG") stays as written.
pub fn normalize_company_name(name: &str) -> String {
    let trimmed = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut words: Vec<&str> = trimmed.split(' ').collect();
    loop {
        let folded: Vec<String> = words.iter().map(|w| folded(&w.replace('&', " "))).collect();
        let tail =
            |n: usize| folded[folded.len().saturating_sub(n)..].iter().filter(|w| !w.is_empty()).cloned().collect::<Vec<_>>().join(" ");
        let strip = (1..=4.min(words.len().saturating_sub(1)))
            .rev()
            .find(|&n| LEGAL_FORMS.contains(&tail(n).as_str()) || legal_with_dots(&words[words.len() - n..]));
        match strip {
            Some(n) => words.truncate(words.len() - n),
            None => break,
        }
    }
    let kept = words.join(" ");
    let kept = kept.trim_end_matches(|c: char| c == ',' || c == '&' || c == '-' || c.is_whitespace()).trim().to_string();
    if kept.is_empty() {
        trimmed
    } else {
        kept
    }
}

/// "S.A.", "B.V.", "S.p.A." written with dots and no spaces.
fn legal_with_dots(words: &[&str]) -> bool {
    let joined: String = words.concat().chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
    words.len() == 1 && words[0].contains('.') && LEGAL_FORMS.contains(&joined.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(raw: &str) -> (Option<String>, Option<String>) {
        let p = split_name(raw);
        (p.first, p.last)
    }

    #[test]
    fn names_split_with_honorifics_particles_and_order() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(parts("Léa Dubois"), (s("Léa"), s("Dubois")));
        assert_eq!(parts("Dr. Anna-Maria von Berg"), (s("Anna-Maria"), s("von Berg")));
        assert_eq!(parts("Ursula von der Leyen"), (s("Ursula"), s("von der Leyen")));
        assert_eq!(parts("Berg, Anna"), (s("Anna"), s("Berg")));
        assert_eq!(parts("John Smith, Jr."), (s("John"), s("Smith, Jr.")));
        assert_eq!(parts("Mary Ann Lee"), (s("Mary Ann"), s("Lee")));
        assert_eq!(parts("Cher"), (s("Cher"), None));
        assert_eq!(split_name("Herr  Max   Mustermann").full, "Max Mustermann");
    }

    #[test]
    fn titles_read_as_seniority_and_department_in_several_languages() {
        assert_eq!(read_seniority("VP of Engineering"), (Some("vp"), Some("engineering")));
        assert_eq!(read_seniority("Geschäftsführer"), (Some("c_level"), Some("executive")));
        assert_eq!(read_seniority("Directrice commerciale").0, Some("director"));
        assert_eq!(read_seniority("Head of Growth"), (Some("head"), Some("growth")));
        assert_eq!(read_seniority("Managing Partner"), (Some("c_level"), Some("executive")));
        assert_eq!(read_seniority("Senior Partner"), (Some("c_level"), None));
        assert_eq!(read_seniority("Head of Developer Relations"), (Some("head"), None), "an area outside the departments");
        assert_eq!(read_seniority("Director of Procurement"), (Some("director"), Some("operations")));
        assert_eq!(read_seniority("Barista"), (None, None));
    }

    #[test]
    fn legal_forms_are_removed_but_never_to_nothing() {
        assert_eq!(normalize_company_name("Kontorwerk GmbH & Co. KG"), "Kontorwerk");
        assert_eq!(normalize_company_name("Acme, Inc."), "Acme");
        assert_eq!(normalize_company_name("Lumora Pay SAS"), "Lumora Pay");
        assert_eq!(normalize_company_name("Nordlys AS"), "Nordlys");
        assert_eq!(normalize_company_name("Globex Pty Ltd"), "Globex");
        assert_eq!(normalize_company_name("Banca Rossi S.p.A."), "Banca Rossi");
        assert_eq!(normalize_company_name("AG"), "AG", "never empty");
        assert_eq!(normalize_company_name("  Acme   Trading Co. Ltd "), "Acme Trading", "stacked forms, spaces collapsed");
        assert_eq!(normalize_company_name("Company of Heroes"), "Company of Heroes", "only trailing forms");
    }
}
