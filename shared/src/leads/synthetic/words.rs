//! The words synthetic companies and people are made of: invented name stems, brand words per
//! industry, job-title spellings and technology names.

use super::random::{permute, seed_key};

// An invented stem is consonant, vowel, consonant, vowel, ending ("Lumora", "Vexela"): always six
// letters, so "stem + brand word" never spells another stem's name, and the domains made from them
// stay distinct.
const ONSETS: &[u8] = b"bcdfgklmnprstvz";
const VOWELS: &[u8] = b"aeiou";
const MIDDLES: &[u8] = b"bdklmnrstvxz";
const ENDINGS: &[&str] = &["ra", "ro", "na", "no", "la", "lo", "ri", "ta", "xa", "va", "ve", "ne", "ly", "sa", "da", "vo"];
/// Syllables appended past the first [`STEM_COUNT`] companies of a job.
const EXTRA_SYLLABLES: &[&str] = &["ka", "lo", "mi", "ne", "ro", "sa", "ti", "vu", "do", "fe", "gu", "pa"];

/// How many distinct six-letter stems there are (72,000): more than a job has companies.
pub(super) const STEM_COUNT: u64 = (ONSETS.len() * VOWELS.len() * MIDDLES.len() * VOWELS.len() * ENDINGS.len()) as u64;

/// The invented, capitalised name stem of company `index` of the job seeded with `seed`. Distinct
/// for distinct indexes; the first [`STEM_COUNT`] are six letters long.
pub(super) fn company_stem(seed: &str, index: u64) -> String {
    // A keyed permutation rather than a random draw: random names would collide (birthday
    // paradox) long before 10,000 companies, a bijection never does.
    let mut n = permute(index % STEM_COUNT, STEM_COUNT, seed_key(seed) ^ 0x5eed_57e3);
    let mut digit = |alphabet_len: usize| {
        let d = (n % alphabet_len as u64) as usize;
        n /= alphabet_len as u64;
        d
    };
    let onset = ONSETS[digit(ONSETS.len())].to_ascii_uppercase() as char;
    let first_vowel = VOWELS[digit(VOWELS.len())] as char;
    let middle = MIDDLES[digit(MIDDLES.len())] as char;
    let second_vowel = VOWELS[digit(VOWELS.len())] as char;
    let ending = ENDINGS[digit(ENDINGS.len())];
    let mut stem = format!("{onset}{first_vowel}{middle}{second_vowel}{ending}");
    // Bijective base-k numbering of the overflow, so every index stays distinct.
    let mut extra = index / STEM_COUNT;
    while extra > 0 {
        extra -= 1;
        stem.push_str(EXTRA_SYLLABLES[(extra % EXTRA_SYLLABLES.len() as u64) as usize]);
        extra /= EXTRA_SYLLABLES.len() as u64;
    }
    stem
}

/// Industry slugs picked when the criteria name none.
pub(super) const DEFAULT_INDUSTRIES: &[&str] = &["saas", "fintech", "devtools", "healthcare", "ecommerce", "ai_ml", "martech", "logistics"];

/// Brand words that follow a stem ("Lumora Pay"), per industry slug.
pub(super) fn brand_words(industry: &str) -> &'static [&'static str] {
    BRAND_WORDS.iter().find(|(slug, _)| *slug == industry).map_or(GENERIC_BRAND_WORDS, |(_, words)| words)
}

const GENERIC_BRAND_WORDS: &[&str] = &["Labs", "Technologies", "Systems", "Works", "Group"];

#[rustfmt::skip]
const BRAND_WORDS: &[(&str, &[&str])] = &[
    ("fintech", &["Pay", "Finance", "Ledger", "Capital", "Money", "Wallet"]),
    ("healthcare", &["Health", "Care", "Medical", "Clinic"]),
    ("saas", &["Cloud", "Software", "Works", "Suite", "Flow"]),
    ("devtools", &["Dev", "Code", "Stack", "Build", "Labs"]),
    ("ai_ml", &["AI", "Labs", "Intelligence", "Mind"]),
    ("ai_infra", &["Compute", "AI", "Infra", "Grid"]),
    ("ecommerce", &["Shop", "Commerce", "Cart", "Market"]),
    ("cybersecurity", &["Security", "Shield", "Secure", "Guard"]),
    ("edtech", &["Learn", "Academy", "Edu", "Study"]),
    ("proptech", &["Homes", "Estate", "Property", "Spaces"]),
    ("insurtech", &["Insurance", "Assure", "Cover"]),
    ("logistics", &["Logistics", "Freight", "Cargo", "Route"]),
    ("biotech", &["Bio", "Therapeutics", "Genomics", "Sciences"]),
    ("martech", &["Media", "Ads", "Reach", "Engage"]),
    ("hrtech", &["People", "Talent", "Hire", "Team"]),
    ("gaming", &["Games", "Studios", "Play", "Interactive"]),
    ("climate", &["Energy", "Climate", "Carbon", "Solar"]),
    ("legaltech", &["Legal", "Law", "Contracts"]),
    ("crypto", &["Chain", "Crypto", "Ledger", "Block"]),
    ("robotics", &["Robotics", "Automation", "Machines"]),
    ("mobility", &["Mobility", "Motion", "Ride"]),
    ("foodtech", &["Foods", "Kitchen", "Eats"]),
    ("agtech", &["Agri", "Farms", "Harvest"]),
    ("travel", &["Travel", "Trips", "Journeys"]),
];

/// Realistic spellings of a canonical role title, the most common first ("VP Engineering" →
/// "VP of Engineering", "Vice President, Engineering", …). Never empty.
pub(super) fn title_spellings(title: &str) -> Vec<String> {
    if let Some(rest) = title.strip_prefix("VP ") {
        let rest = rest.strip_prefix("of ").unwrap_or(rest);
        return vec![format!("VP of {rest}"), format!("VP {rest}"), format!("Vice President of {rest}"), format!("Vice President, {rest}")];
    }
    if let Some(rest) = title.strip_prefix("Director of ") {
        return vec![format!("Director of {rest}"), format!("{rest} Director")];
    }
    if let Some((_, full)) = C_LEVEL.iter().find(|(short, _)| *short == title) {
        return vec![title.to_string(), full.to_string(), format!("Co-founder & {title}")];
    }
    vec![title.to_string()]
}

const C_LEVEL: &[(&str, &str)] = &[
    ("CEO", "Chief Executive Officer"),
    ("CTO", "Chief Technology Officer"),
    ("CFO", "Chief Financial Officer"),
    ("COO", "Chief Operating Officer"),
    ("CMO", "Chief Marketing Officer"),
    ("CPO", "Chief Product Officer"),
    ("CRO", "Chief Revenue Officer"),
    ("CIO", "Chief Information Officer"),
    ("CISO", "Chief Information Security Officer"),
    ("CDO", "Chief Data Officer"),
];

/// Roles a company hiring "in general" is hiring for.
pub(super) const COMMON_OPENINGS: &[&str] =
    &["Software Engineer", "Senior Backend Engineer", "Product Designer", "Account Executive", "Data Analyst", "Customer Success Manager"];

/// Technologies a company may use besides the required ones (slugs as in the planner).
pub(super) const COMMON_TECHNOLOGIES: &[&str] = &[
    "aws",
    "gcp",
    "react",
    "typescript",
    "python",
    "postgres",
    "kubernetes",
    "terraform",
    "datadog",
    "stripe",
    "snowflake",
    "kafka",
    "redis",
    "go",
    "java",
    "hubspot",
    "salesforce",
    "docker",
];

/// News headlines; `{name}` and `{city}` are filled in.
pub(super) const HEADLINES: &[&str] = &[
    "{name} opens a second office in {city}",
    "{name} launches a self-serve plan for small teams",
    "{name} names a new Chief Operating Officer",
    "{name} passes 1,000 customers",
    "{name} partners with a major European bank",
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn stems_are_distinct_six_letter_words() {
        let stems: Vec<String> = (0..STEM_COUNT).map(|i| company_stem("job_x", i)).collect();
        assert!(stems.iter().all(|s| s.len() == 6 && s.chars().all(|c| c.is_ascii_alphabetic())));
        assert_eq!(stems.iter().collect::<HashSet<_>>().len(), stems.len());
        assert_ne!(company_stem("job_x", 0), company_stem("job_y", 0));
        assert_ne!(company_stem("job_x", 3), company_stem("job_x", 3 + STEM_COUNT));
        assert_eq!(company_stem("job_x", 3 + STEM_COUNT).len(), 8);
    }

    #[test]
    fn titles_are_spelled_like_people_write_them() {
        assert!(title_spellings("VP Engineering").contains(&"VP of Engineering".to_string()));
        assert_eq!(title_spellings("Head of Growth"), ["Head of Growth"]);
        assert!(title_spellings("CTO").contains(&"Chief Technology Officer".to_string()));
        assert!(title_spellings("Director of Sales").contains(&"Sales Director".to_string()));
    }
}
