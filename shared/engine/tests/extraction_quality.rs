//! Extraction quality on the fixture web (`tests/fixtures/web`): small company sites in several
//! countries and languages, with a hand-written `ground_truth.json` of everything a correct
//! extractor must find on each page, and nothing else, plus, when present, the blind sites of
//! `ground_truth_blind.json` (written by someone who had not read the extractor, so they measure
//! it honestly). Every page a crawler may fetch is run through `extract`; precision and recall are
//! counted per field and printed for the whole web, the fixture web's own sites and the blind
//! sites. The own sites must reach 0.98 and 0.95 on every field; the blind sites, which do not
//! yet, must keep their measured scores ([`BLIND_FLOORS`]). Pages that robots.txt disallows are skipped:
//! they exist for the crawler's tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quarry_engine::extract::{extract, Extracted};
use serde_json::Value;
use url::Url;

const MIN_PRECISION: f64 = 0.98;
const MIN_RECALL: f64 = 0.95;

/// What the blind sites must keep, per field (precision, recall): their measured scores less a
/// small margin, so a change cannot make them worse unnoticed. They do not yet reach
/// [`MIN_PRECISION`] / [`MIN_RECALL`] everywhere (issue 15 stays open until they do): some
/// people (bylines, legal-page officers) and company names are missed.
const BLIND_FLOORS: &[(&str, f64, f64)] = &[
    ("emails", 0.98, 0.98),
    ("phones", 0.98, 0.98),
    ("social", 0.98, 0.98),
    ("people", 0.97, 0.84),
    ("org_name", 0.88, 0.88),
    ("country", 0.98, 0.98),
    ("technologies", 0.98, 0.98),
    ("job_postings", 0.98, 0.98),
    ("funding", 0.98, 0.98),
    ("headcount", 0.98, 0.98),
];

/// The fields compared, in table order.
const FIELDS: &[&str] =
    &["emails", "phones", "social", "people", "org_name", "country", "technologies", "job_postings", "funding", "headcount"];

#[derive(Default)]
struct Tally {
    found: usize,
    expected: usize,
    correct: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        if self.found == 0 {
            1.0
        } else {
            self.correct as f64 / self.found as f64
        }
    }

    fn recall(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.correct as f64 / self.expected as f64
        }
    }
}

fn web_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/web")
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Company names compare without legal forms and punctuation: "Kontorwerk GmbH" is "Kontorwerk".
fn org_key(name: &str) -> String {
    const LEGAL_FORMS: &[&str] =
        &["gmbh", "ag", "inc", "ltd", "llc", "sas", "sarl", "sa", "sl", "srl", "spa", "bv", "ab", "pty", "limited", "plc"];
    let cleaned: String = name.to_lowercase().chars().map(|c| if c.is_alphanumeric() || c.is_whitespace() { c } else { ' ' }).collect();
    // "S.r.l." and "B.V." fall apart into letters; joined single letters are legal forms too.
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let mut kept = Vec::new();
    let mut letters = String::new();
    for word in words {
        if word.len() == 1 {
            letters.push_str(word);
            continue;
        }
        if !letters.is_empty() && !LEGAL_FORMS.contains(&letters.as_str()) {
            kept.push(letters.clone());
        }
        letters.clear();
        if !LEGAL_FORMS.contains(&word) {
            kept.push(word.to_string());
        }
    }
    if !letters.is_empty() && !LEGAL_FORMS.contains(&letters.as_str()) {
        kept.push(letters);
    }
    kept.join(" ")
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().map(|items| items.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
}

/// What the page should yield, per field, as comparable keys.
fn expected(page: &Value) -> BTreeMap<&'static str, Vec<String>> {
    let mut fields = BTreeMap::new();
    fields.insert("emails", strings(&page["emails"]).iter().map(|e| e.to_lowercase()).collect());
    fields.insert("phones", strings(&page["phones"]));
    fields.insert("social", strings(&page["social"]).iter().map(|s| s.to_lowercase()).collect());
    let people = page["people"].as_array().cloned().unwrap_or_default();
    fields.insert(
        "people",
        people
            .iter()
            .map(|p| format!("{} | {}", squash(p["name"].as_str().unwrap_or_default()), squash(p["title"].as_str().unwrap_or_default())))
            .collect(),
    );
    fields.insert("org_name", page["org_name"].as_str().map(org_key).into_iter().collect());
    fields.insert("country", page["country"].as_str().map(str::to_string).into_iter().collect());
    fields.insert("technologies", strings(&page["technologies"]));
    fields.insert("job_postings", strings(&page["job_postings"]).iter().map(|t| squash(t)).collect());
    let funding = page["funding"].as_array().cloned().unwrap_or_default();
    fields.insert("funding", funding.iter().map(|f| f.as_str().unwrap_or("unstaged").to_string()).collect());
    fields.insert("headcount", page["headcount"].as_u64().map(|n| n.to_string()).into_iter().collect());
    fields
}

/// What `extract` yielded, in the same keys.
fn actual(got: &Extracted) -> BTreeMap<&'static str, Vec<String>> {
    let mut fields = BTreeMap::new();
    fields.insert("emails", got.emails.iter().map(|e| e.address.clone()).collect());
    fields.insert("phones", got.phones.iter().map(|p| p.e164.clone()).collect());
    fields.insert("social", got.social.iter().map(|s| s.url.to_lowercase()).collect());
    fields.insert(
        "people",
        got.people.iter().map(|p| format!("{} | {}", squash(&p.name), squash(p.title.as_deref().unwrap_or_default()))).collect(),
    );
    fields.insert("org_name", got.company.name.as_deref().map(org_key).into_iter().collect());
    fields.insert("country", got.company.country.clone().into_iter().collect());
    fields.insert("technologies", got.company.technologies.clone());
    fields.insert("job_postings", got.job_postings.iter().map(|j| squash(&j.title)).collect());
    fields.insert("funding", got.company.funding.iter().map(|f| f.stage.clone().unwrap_or_else(|| "unstaged".into())).collect());
    fields.insert("headcount", got.company.headcount.map(|n| n.to_string()).into_iter().collect());
    fields
}

/// Counts matches as multisets: each expected item can be matched once.
fn compare(expected: &[String], found: &[String]) -> (usize, Vec<String>, Vec<String>) {
    let mut left: Vec<&String> = expected.iter().collect();
    let mut unexpected = Vec::new();
    for item in found {
        match left.iter().position(|e| *e == item) {
            Some(i) => {
                left.remove(i);
            }
            None => unexpected.push(item.clone()),
        }
    }
    let missing: Vec<String> = left.into_iter().cloned().collect();
    (found.len() - unexpected.len(), missing, unexpected)
}

/// The sites of one ground-truth file, or nothing when the file is absent (the blind sites' file
/// is optional).
fn sites_in(file: &str) -> Vec<Value> {
    match std::fs::read_to_string(web_root().join(file)) {
        Ok(text) => {
            serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{file}: {e}"))["sites"].as_array().expect("sites").clone()
        }
        Err(_) => Vec::new(),
    }
}

/// Every site: the fixture web's own (`ground_truth.json`) and the blind ones
/// (`ground_truth_blind.json`, written without reading the extractor), the latter marked `true`.
fn all_sites() -> Vec<(Value, bool)> {
    let own = sites_in("ground_truth.json").into_iter().map(|s| (s, false));
    own.chain(sites_in("ground_truth_blind.json").into_iter().map(|s| (s, true))).collect()
}

type Tallies = BTreeMap<&'static str, Tally>;

fn print_table(heading: &str, pages: usize, tallies: &Tallies) {
    println!(
        "\n{heading}: {pages} pages\n{:<14} {:>6} {:>8} {:>8} {:>10} {:>7}",
        "field", "found", "expected", "correct", "precision", "recall"
    );
    for field in FIELDS {
        let t = &tallies[field];
        println!("{:<14} {:>6} {:>8} {:>8} {:>10.3} {:>7.3}", field, t.found, t.expected, t.correct, t.precision(), t.recall());
    }
}

#[test]
fn extraction_meets_precision_and_recall_on_the_fixture_web() {
    let root = web_root();
    let sites = all_sites();
    assert!(sites.iter().filter(|(_, blind)| !blind).count() >= 15, "the fixture web has at least fifteen sites of its own");

    let empty = || -> Tallies { FIELDS.iter().map(|f| (*f, Tally::default())).collect() };
    let (mut whole, mut own_only, mut blind_only) = (empty(), empty(), empty());
    let (mut pages, mut blind_pages) = (0, 0);
    for (site, blind) in &sites {
        let (name, domain) = (site["site"].as_str().unwrap(), site["domain"].as_str().unwrap());
        for page in site["pages"].as_array().unwrap() {
            if page["disallowed"].as_bool() == Some(true) {
                continue;
            }
            let path = page["path"].as_str().unwrap();
            let html = std::fs::read_to_string(root.join(name).join(path)).unwrap_or_else(|e| panic!("{name}/{path}: {e}"));
            let got = extract(&Url::parse(&format!("https://{domain}/{path}")).unwrap(), &html);
            let (want, have) = (expected(page), actual(&got));
            for field in FIELDS {
                let (correct, missing, unexpected) = compare(&want[field], &have[field]);
                let tallies: &mut [&mut Tallies] =
                    if *blind { &mut [&mut whole, &mut blind_only] } else { &mut [&mut whole, &mut own_only] };
                for tallies in tallies.iter_mut() {
                    let tally = tallies.get_mut(field).unwrap();
                    tally.found += have[field].len();
                    tally.expected += want[field].len();
                    tally.correct += correct;
                }
                if !missing.is_empty() || !unexpected.is_empty() {
                    println!("{name}/{path} {field}: missing {missing:?} unexpected {unexpected:?}");
                }
            }
            pages += 1;
            blind_pages += usize::from(*blind);
        }
    }

    print_table("whole fixture web", pages, &whole);
    print_table("the fixture web's own sites", pages - blind_pages, &own_only);
    if blind_pages > 0 {
        print_table("blind sites only", blind_pages, &blind_only);
    }
    let failing: Vec<String> = FIELDS
        .iter()
        .filter(|f| own_only[*f].precision() < MIN_PRECISION || own_only[*f].recall() < MIN_RECALL)
        .map(|f| format!("{f} (precision {:.3}, recall {:.3})", own_only[f].precision(), own_only[f].recall()))
        .collect();
    assert!(failing.is_empty(), "own sites below precision {MIN_PRECISION} or recall {MIN_RECALL}: {failing:?}");
    if blind_pages > 0 {
        let slipped: Vec<String> = BLIND_FLOORS
            .iter()
            .filter(|(f, p, r)| blind_only[f].precision() < *p || blind_only[f].recall() < *r)
            .map(|(f, p, r)| {
                format!("{f} (precision {:.3} < {p} or recall {:.3} < {r})", blind_only[f].precision(), blind_only[f].recall())
            })
            .collect();
        assert!(slipped.is_empty(), "blind sites fell below their floors: {slipped:?}");
    }
}

#[test]
fn disallowed_pages_hold_data_a_crawl_must_not_extract() {
    let sites = all_sites();
    let mut with_disallowed = 0;
    for (site, _) in &sites {
        let name = site["site"].as_str().unwrap();
        let robots = std::fs::read_to_string(web_root().join(name).join("robots.txt")).unwrap();
        for page in site["pages"].as_array().unwrap().iter().filter(|p| p["disallowed"].as_bool() == Some(true)) {
            let path = page["path"].as_str().unwrap();
            let blocked = robots.lines().filter_map(|l| l.trim().strip_prefix("Disallow:")).map(str::trim).filter(|d| !d.is_empty());
            assert!(blocked.into_iter().any(|d| format!("/{path}").starts_with(d)), "{name}/{path} is not disallowed by robots.txt");
            assert!(!strings(&page["emails"]).is_empty(), "{name}/{path} must hold an address a crawl must not collect");
        }
        with_disallowed += usize::from(site["pages"].as_array().unwrap().iter().any(|p| p["disallowed"].as_bool() == Some(true)));
    }
    assert!(with_disallowed >= 2);
}
