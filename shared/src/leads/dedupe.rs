//! Dedupe and merge with provenance.
//!
//! Two drafts describe the same lead when they share a [`dedupe_key`]: the person's email, else
//! the person's name at the company's domain, else (for company-only rows) the domain. Merging
//! fills what one draft lacks from the other and keeps every fact traceable: a source is carried
//! over only for the fields whose merged value is the value it vouched for.
//!
//! Facts are addressed by dotted paths (`company.name`, `person.email`,
//! `fields.engineering_headcount`), the same paths [`Source::fields`] lists.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{Company, LeadDraft, Person, Source};

/// The key two drafts of the same lead share, or `None` when the draft carries nothing to
/// identify it by (it is then never merged).
///
/// In order of preference: `email:<email>` (lowercased), `person:<name>@<domain>` (the name
/// folded to lowercase ASCII words), `company:<domain>` for rows without a person.
pub fn dedupe_key(lead: &LeadDraft) -> Option<String> {
    let domain = lead.company.as_ref().and_then(|c| c.domain.as_deref()).map(normalize_domain).filter(|d| !d.is_empty());
    let Some(person) = &lead.person else {
        return domain.map(|domain| format!("company:{domain}"));
    };
    if let Some(email) = person.email.as_deref().map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()) {
        return Some(format!("email:{email}"));
    }
    // A person without a name or a company domain could be anyone: never merge them.
    let name = person_name(person).filter(|n| !n.is_empty())?;
    Some(format!("person:{name}@{}", domain?))
}

/// Merges `other` into `into`, idempotently: merging the same draft again changes nothing.
///
/// - Company and person fields missing from `into` are taken from `other`; where both have a
///   value, `into`'s is kept.
/// - `fields` are united; `into` wins on a conflict, except that two lists (a company's emails,
///   its technologies, its job postings) are united, each item once, `into`'s first.
/// - Sources are united without duplicates (a source with the same kind, URL and retrieval time as
///   one already there adds its fields to it). Each of `other`'s sources keeps only the paths
///   whose merged value is the one `other` had: a taken field keeps its sources, an agreeing
///   field gains them (cross-source agreement), and a source vouching only for values that lost
///   a conflict is dropped.
pub fn merge(into: &mut LeadDraft, other: LeadDraft) {
    let offered = field_values(&other);
    let LeadDraft { company, person, fields, sources } = other;
    fill_company(&mut into.company, company);
    fill_person(&mut into.person, person);
    for (name, value) in fields {
        match (into.fields.get_mut(&name), value) {
            (Some(Value::Array(kept)), Value::Array(more)) => {
                for item in more {
                    if !kept.contains(&item) {
                        kept.push(item);
                    }
                }
            }
            (Some(_), _) => {}
            (None, value) => {
                into.fields.insert(name, value);
            }
        }
    }
    let merged = field_values(into);
    for source in sources {
        if let Some(source) = still_grounding(source, &offered, &merged) {
            add_source(&mut into.sources, source);
        }
    }
}

/// Merges drafts that share a [`dedupe_key`], keeping first-seen order. Drafts without a key are
/// kept as they are.
pub fn dedupe(leads: Vec<LeadDraft>) -> Vec<LeadDraft> {
    let mut kept: Vec<LeadDraft> = Vec::with_capacity(leads.len());
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for lead in leads {
        let Some(key) = dedupe_key(&lead) else {
            kept.push(lead);
            continue;
        };
        match by_key.get(&key) {
            Some(&at) => merge(&mut kept[at], lead),
            None => {
                by_key.insert(key, kept.len());
                kept.push(lead);
            }
        }
    }
    kept
}

/// A fixed-length stand-in for a dedupe key in storage keys: the hex of the first `bytes` bytes of
/// its SHA-256 (keys can be long and hold any character).
pub fn key_digest(key: &str, bytes: usize) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(key.as_bytes())[..bytes.min(32)])
}

/// Every fact a draft sets (non-null), by dotted path, in path order.
pub fn field_values(lead: &LeadDraft) -> BTreeMap<String, Value> {
    let mut values = BTreeMap::new();
    add_object_values(&mut values, "company", lead.company.as_ref().and_then(|c| serde_json::to_value(c).ok()));
    add_object_values(&mut values, "person", lead.person.as_ref().and_then(|p| serde_json::to_value(p).ok()));
    for (name, value) in &lead.fields {
        if !value.is_null() {
            values.insert(format!("fields.{name}"), value.clone());
        }
    }
    values
}

/// The dotted paths of every fact a draft sets, in path order (what a source grounding the whole
/// draft lists).
pub fn field_paths(lead: &LeadDraft) -> Vec<String> {
    field_values(lead).into_keys().collect()
}

/// Lowercase ASCII with accents and ligatures folded ("Müller" → "muller", "Œuvre" → "oeuvre").
/// Characters without an ASCII base are kept as they are (lowercased).
pub fn fold_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match fold_char(c) {
            Some(folded) => out.push_str(folded),
            None => out.push(c),
        }
    }
    out
}

fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'ð' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' | 'ľ' | 'ĺ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ř' => "r",
        'ß' => "ss",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ť' | 'ţ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// A person's name as keys compare it: folded, punctuation as spaces, single-spaced.
fn person_name(person: &Person) -> Option<String> {
    let raw = match (&person.full_name, &person.first_name, &person.last_name) {
        (Some(full), _, _) => full.clone(),
        (None, Some(first), Some(last)) => format!("{first} {last}"),
        _ => return None,
    };
    let spaced: String = fold_ascii(&raw).chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    Some(spaced.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn normalize_domain(domain: &str) -> String {
    let domain = domain.trim().trim_end_matches('.').to_lowercase();
    domain.strip_prefix("www.").map(str::to_string).unwrap_or(domain)
}

fn add_object_values(values: &mut BTreeMap<String, Value>, prefix: &str, object: Option<Value>) {
    let Some(Value::Object(object)) = object else { return };
    for (name, value) in object {
        if !value.is_null() {
            values.insert(format!("{prefix}.{name}"), value);
        }
    }
}

fn fill<T>(mine: &mut Option<T>, theirs: Option<T>) {
    if mine.is_none() {
        *mine = theirs;
    }
}

fn fill_company(mine: &mut Option<Company>, theirs: Option<Company>) {
    let Some(theirs) = theirs else { return };
    let Some(mine) = mine else {
        *mine = Some(theirs);
        return;
    };
    // Destructured in full so a new model field cannot be silently left out of merges.
    let Company { name, domain, linkedin, hq_city, hq_country, industry, employee_count, funding_stage, phone } = theirs;
    fill(&mut mine.name, name);
    fill(&mut mine.domain, domain);
    fill(&mut mine.linkedin, linkedin);
    fill(&mut mine.hq_city, hq_city);
    fill(&mut mine.hq_country, hq_country);
    fill(&mut mine.industry, industry);
    fill(&mut mine.employee_count, employee_count);
    fill(&mut mine.funding_stage, funding_stage);
    fill(&mut mine.phone, phone);
}

fn fill_person(mine: &mut Option<Person>, theirs: Option<Person>) {
    let Some(theirs) = theirs else { return };
    let Some(mine) = mine else {
        *mine = Some(theirs);
        return;
    };
    let Person { role, full_name, first_name, last_name, title, seniority, department, email, phone, linkedin } = theirs;
    fill(&mut mine.role, role);
    fill(&mut mine.full_name, full_name);
    fill(&mut mine.first_name, first_name);
    fill(&mut mine.last_name, last_name);
    fill(&mut mine.title, title);
    fill(&mut mine.seniority, seniority);
    fill(&mut mine.department, department);
    fill(&mut mine.email, email);
    fill(&mut mine.phone, phone);
    fill(&mut mine.linkedin, linkedin);
}

/// `source` narrowed to the paths whose merged value is still the one it vouched for, or `None`
/// when nothing is left.
fn still_grounding(mut source: Source, offered: &BTreeMap<String, Value>, merged: &BTreeMap<String, Value>) -> Option<Source> {
    // A list grounds the merged list it is part of (each source states some of its items).
    let grounds = |value: &Value, kept: Option<&Value>| match (value, kept) {
        (Value::Array(items), Some(Value::Array(all))) => items.iter().all(|item| all.contains(item)),
        (value, kept) => kept == Some(value),
    };
    source.fields.retain(|path| offered.get(path).is_some_and(|value| grounds(value, merged.get(path))));
    (!source.fields.is_empty()).then_some(source)
}

/// Adds `source`, folding it into an existing entry for the same retrieval (kind, URL, time).
fn add_source(sources: &mut Vec<Source>, source: Source) {
    let same_retrieval = |s: &&mut Source| s.kind == source.kind && s.url == source.url && s.retrieved_at == source.retrieved_at;
    match sources.iter_mut().find(same_retrieval) {
        Some(existing) => {
            for path in source.fields {
                if !existing.fields.contains(&path) {
                    existing.fields.push(path);
                }
            }
        }
        None => sources.push(source),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::leads::SourceKind;
    use quarry_ports::clock::Timestamp;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix(1_776_000_000 + seconds).unwrap()
    }

    fn web(url: &str, fields: &[&str]) -> Source {
        Source { kind: SourceKind::Web, url: Some(url.into()), retrieved_at: at(0), fields: fields.iter().map(|f| f.to_string()).collect() }
    }

    fn company(name: &str, domain: &str) -> Company {
        Company { name: Some(name.into()), domain: Some(domain.into()), ..Default::default() }
    }

    fn person(full_name: &str, email: Option<&str>) -> Person {
        Person { full_name: Some(full_name.into()), email: email.map(String::from), ..Default::default() }
    }

    fn draft(company: Option<Company>, person: Option<Person>) -> LeadDraft {
        let mut lead = LeadDraft { company, person, ..Default::default() };
        let paths = field_paths(&lead);
        lead.sources.push(Source { kind: SourceKind::Seed, url: None, retrieved_at: at(0), fields: paths });
        lead
    }

    #[test]
    fn lists_are_united_and_every_page_keeps_grounding_its_items() {
        let mut home = draft(Some(company("Acme", "acme.example")), None);
        home.fields.insert("emails".into(), json!(["info@acme.example"]));
        home.sources = vec![web("https://acme.example/", &["company.name", "fields.emails"])];
        let mut contact = draft(Some(company("Acme", "acme.example")), None);
        contact.fields.insert("emails".into(), json!(["sales@acme.example", "info@acme.example"]));
        contact.sources = vec![web("https://acme.example/contact", &["fields.emails"])];
        merge(&mut home, contact.clone());
        assert_eq!(home.fields["emails"], json!(["info@acme.example", "sales@acme.example"]));
        assert!(home.sources.iter().all(|s| s.fields.contains(&"fields.emails".to_string())), "{:?}", home.sources);
        let once = home.clone();
        merge(&mut home, contact);
        assert_eq!(home, once, "merging again changes nothing");
    }

    #[test]
    fn key_prefers_email_then_name_at_domain_then_domain() {
        let with_email = draft(Some(company("Lumora", "lumora.fr")), Some(person("Léa Dubois", Some(" Lea.Dubois@Lumora.FR "))));
        assert_eq!(dedupe_key(&with_email).as_deref(), Some("email:lea.dubois@lumora.fr"));

        let named = draft(Some(company("Lumora", "WWW.Lumora.fr")), Some(person("  Léa   Dubois-Ré ", None)));
        assert_eq!(dedupe_key(&named).as_deref(), Some("person:lea dubois re@lumora.fr"));

        let split_name = draft(
            Some(company("Lumora", "lumora.fr")),
            Some(Person { first_name: Some("Léa".into()), last_name: Some("Dubois".into()), ..Default::default() }),
        );
        assert_eq!(dedupe_key(&split_name).as_deref(), Some("person:lea dubois@lumora.fr"));

        let company_only = draft(Some(company("Lumora", "lumora.fr")), None);
        assert_eq!(dedupe_key(&company_only).as_deref(), Some("company:lumora.fr"));
    }

    #[test]
    fn key_is_none_when_nothing_identifies_the_lead() {
        assert_eq!(dedupe_key(&LeadDraft::default()), None);
        // A person without email or domain, or without a name, could be anyone at the company.
        assert_eq!(
            dedupe_key(&draft(Some(Company { name: Some("Lumora".into()), ..Default::default() }), Some(person("Léa Dubois", None)))),
            None
        );
        assert_eq!(
            dedupe_key(&draft(Some(company("Lumora", "lumora.fr")), Some(Person { role: Some("CTO".into()), ..Default::default() }))),
            None
        );
        assert_eq!(dedupe_key(&draft(Some(Company { name: Some("Lumora".into()), ..Default::default() }), None)), None);
    }

    #[test]
    fn merge_fills_missing_values_and_keeps_existing_ones() {
        let mut into = draft(Some(company("Lumora", "lumora.fr")), Some(person("Léa Dubois", Some("lea.dubois@lumora.fr"))));
        into.fields.insert("engineering_headcount".into(), json!(24));
        let mut other = LeadDraft {
            company: Some(Company { name: Some("Lumora SAS".into()), hq_city: Some("Paris".into()), ..Default::default() }),
            person: Some(Person { title: Some("VP of Engineering".into()), ..Default::default() }),
            ..Default::default()
        };
        other.fields.insert("engineering_headcount".into(), json!(30));
        other.fields.insert("funding_amount".into(), json!("€12M"));

        merge(&mut into, other);
        let company = into.company.as_ref().unwrap();
        assert_eq!(company.name.as_deref(), Some("Lumora"));
        assert_eq!(company.hq_city.as_deref(), Some("Paris"));
        assert_eq!(into.person.as_ref().unwrap().title.as_deref(), Some("VP of Engineering"));
        assert_eq!(into.fields["engineering_headcount"], json!(24));
        assert_eq!(into.fields["funding_amount"], json!("€12M"));
    }

    #[test]
    fn merge_takes_a_whole_missing_company_or_person() {
        let mut into = LeadDraft::default();
        let other = draft(Some(company("Lumora", "lumora.fr")), Some(person("Léa Dubois", None)));
        merge(&mut into, other.clone());
        assert_eq!(into, other);
    }

    #[test]
    fn merged_fields_keep_their_sources_and_conflicting_claims_are_dropped() {
        let mut into = draft(Some(company("Lumora", "lumora.fr")), None);
        let mut other = LeadDraft {
            company: Some(Company {
                name: Some("Lumora Pay".into()),
                domain: Some("lumora.fr".into()),
                hq_city: Some("Lyon".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        other.sources = vec![
            web("https://a.example/lumora", &["company.name", "company.domain", "company.hq_city"]),
            web("https://b.example/lumora", &["company.name"]),
        ];

        merge(&mut into, other);
        assert_eq!(into.sources.len(), 2, "the source vouching only for the losing name is dropped: {:?}", into.sources);
        // The name conflicted (kept "Lumora"), so the web page no longer claims it; it still grounds
        // the domain it agrees on and the city it contributed.
        assert_eq!(into.sources[1], web("https://a.example/lumora", &["company.domain", "company.hq_city"]));
    }

    #[test]
    fn merge_is_idempotent() {
        let mut into = draft(Some(company("Lumora", "lumora.fr")), Some(person("Léa Dubois", Some("lea.dubois@lumora.fr"))));
        let mut other = draft(Some(Company { hq_city: Some("Paris".into()), ..company("Lumora Pay", "lumora.fr") }), None);
        other.sources.push(web("https://a.example/lumora", &["company.hq_city", "company.domain"]));
        other.fields.insert("tech_stack".into(), json!(["stripe"]));

        merge(&mut into, other.clone());
        let once = into.clone();
        merge(&mut into, other);
        assert_eq!(into, once);

        let copy = into.clone();
        merge(&mut into, copy);
        assert_eq!(into, once, "merging a draft into itself is a no-op");
    }

    #[test]
    fn sources_of_the_same_retrieval_are_united_not_repeated() {
        let mut into = draft(Some(company("Lumora", "lumora.fr")), None);
        into.sources = vec![web("https://a.example", &["company.name"])];
        let mut other = draft(Some(company("Lumora", "lumora.fr")), None);
        other.sources = vec![web("https://a.example", &["company.name", "company.domain"])];
        merge(&mut into, other);
        assert_eq!(into.sources, vec![web("https://a.example", &["company.name", "company.domain"])]);
    }

    #[test]
    fn dedupe_merges_same_key_in_first_seen_order() {
        let lea = draft(Some(company("Lumora", "lumora.fr")), Some(person("Léa Dubois", Some("lea.dubois@lumora.fr"))));
        let hugo = draft(Some(company("Lumora", "lumora.fr")), Some(person("Hugo Petit", Some("hugo.petit@lumora.fr"))));
        let mut lea_again = draft(Some(company("Lumora", "lumora.fr")), Some(person("Lea Dubois", Some("LEA.DUBOIS@lumora.fr"))));
        lea_again.fields.insert("open_roles".into(), json!(4));
        let keyless = LeadDraft::default();

        let out = dedupe(vec![lea.clone(), keyless.clone(), hugo.clone(), lea_again, keyless.clone()]);
        assert_eq!(out.len(), 4);
        assert_eq!(out[0].person.as_ref().unwrap().full_name.as_deref(), Some("Léa Dubois"));
        assert_eq!(out[0].fields["open_roles"], json!(4));
        assert_eq!(out[1], keyless);
        assert_eq!(out[2], hugo);
        assert_eq!(out[3], keyless);
    }

    #[test]
    fn paths_list_every_non_null_fact() {
        let mut lead = draft(Some(company("Lumora", "lumora.fr")), Some(person("Léa Dubois", None)));
        lead.fields.insert("tech_stack".into(), json!(["aws"]));
        lead.fields.insert("nothing".into(), Value::Null);
        assert_eq!(field_paths(&lead), ["company.domain", "company.name", "fields.tech_stack", "person.full_name"]);
    }

    #[test]
    fn folding_strips_accents_and_lowercases() {
        assert_eq!(fold_ascii("Müller-Lüdenscheidt Ørsted ŒUVRE Straße Łódź São"), "muller-ludenscheidt orsted oeuvre strasse lodz sao");
    }
}
