//! Entity resolution: records of the same company or person found on several pages, by several
//! sources or in several jobs become one lead.
//!
//! Two passes, both transitive (a union-find over the drafts):
//! 1. **Exact keys.** Drafts sharing a person's email, a person's E.164 phone or a person's
//!    LinkedIn URL are one person; drafts without a person sharing the company's registrable
//!    domain, LinkedIn URL or E.164 phone are one company.
//! 2. **Names inside a block.** People are compared by name only within one company (the same
//!    registrable domain): Jaro-Winkler similarity of the folded full names at least
//!    [`NAME_SIMILARITY`], or the same last name with a matching first initial ("J. Smith" and
//!    "John Smith"). A name alone never merges anyone across companies, and company names never
//!    merge companies.
//!
//! Merging is [`dedupe::merge`] in discovery order: the first draft's values win, the others fill
//! gaps, and every source stays attached to the facts it grounds.

use std::collections::HashMap;

use super::dedupe::{self, fold_ascii};
use super::LeadDraft;

/// Least Jaro-Winkler similarity of two folded full names at one company to be one person.
pub const NAME_SIMILARITY: f64 = 0.93;

/// Merges the drafts that describe the same entity; keeps first-seen order. Company domains are
/// first reduced to their registrable domain (`www.acme.de` and `shop.acme.de` are `acme.de`), so
/// sources that name the site differently agree on it.
pub fn resolve(mut drafts: Vec<LeadDraft>) -> Vec<LeadDraft> {
    for draft in &mut drafts {
        if let Some(company) = draft.company.as_mut() {
            if let Some(domain) = company.domain.as_deref().and_then(quarry_engine::domains::registrable_domain) {
                company.domain = Some(domain);
            }
        }
    }
    let mut sets = UnionFind::new(drafts.len());
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (i, draft) in drafts.iter().enumerate() {
        for key in exact_keys(draft) {
            match owner.get(&key) {
                Some(&j) => sets.union(i, j),
                None => {
                    owner.insert(key, i);
                }
            }
        }
    }
    // Names, only among the people of one company.
    let mut by_company: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, draft) in drafts.iter().enumerate() {
        if let (Some(domain), Some(_)) = (domain_of(draft), draft.person.as_ref()) {
            by_company.entry(domain).or_default().push(i);
        }
    }
    for members in by_company.values() {
        for (n, &a) in members.iter().enumerate() {
            for &b in &members[n + 1..] {
                if same_name(&drafts[a], &drafts[b]) && !conflicting_emails(&drafts[a], &drafts[b]) {
                    sets.union(a, b);
                }
            }
        }
    }
    let mut merged: Vec<Option<LeadDraft>> = Vec::with_capacity(drafts.len());
    let mut slot_of_root: HashMap<usize, usize> = HashMap::new();
    for (i, draft) in drafts.into_iter().enumerate() {
        let root = sets.find(i);
        match slot_of_root.get(&root) {
            Some(&slot) => dedupe::merge(merged[slot].as_mut().expect("slots are filled once"), draft),
            None => {
                slot_of_root.insert(root, merged.len());
                merged.push(Some(draft));
            }
        }
    }
    merged.into_iter().flatten().collect()
}

/// The registrable domain of the draft's company (or of its person's email when it has none).
fn domain_of(draft: &LeadDraft) -> Option<String> {
    let company = draft.company.as_ref().and_then(|c| c.domain.as_deref());
    let email = draft.person.as_ref().and_then(|p| p.email.as_deref()).and_then(|e| e.split_once('@')).map(|(_, d)| d);
    company.or(email).and_then(quarry_engine::domains::registrable_domain)
}

/// The exact identity keys of a draft (see the module docs).
fn exact_keys(draft: &LeadDraft) -> Vec<String> {
    let mut keys = Vec::new();
    match &draft.person {
        Some(person) => {
            if let Some(email) = &person.email {
                keys.push(format!("email:{}", email.trim().to_lowercase()));
            }
            if let Some(phone) = person.phone.as_deref().filter(|p| p.starts_with('+')) {
                keys.push(format!("phone:{phone}"));
            }
            if let Some(linkedin) = &person.linkedin {
                keys.push(format!("in:{}", normalize_url(linkedin)));
            }
        }
        None => {
            if let Some(domain) = domain_of(draft) {
                keys.push(format!("domain:{domain}"));
            }
            if let Some(company) = &draft.company {
                if let Some(linkedin) = &company.linkedin {
                    keys.push(format!("company-in:{}", normalize_url(linkedin)));
                }
                if let Some(phone) = company.phone.as_deref().filter(|p| p.starts_with('+')) {
                    keys.push(format!("company-phone:{phone}"));
                }
            }
        }
    }
    keys
}

/// `https://www.linkedin.com/in/Jane-Doe/?x=1` and `linkedin.com/in/jane-doe` compare equal.
fn normalize_url(url: &str) -> String {
    let lower = url.trim().to_lowercase();
    let without_scheme = lower.split("://").last().unwrap_or(&lower);
    let without_query = without_scheme.split(['?', '#']).next().unwrap_or(without_scheme);
    without_query.trim_start_matches("www.").trim_end_matches('/').to_string()
}

fn folded_name(draft: &LeadDraft) -> Option<String> {
    let person = draft.person.as_ref()?;
    let name = person.full_name.clone().or_else(|| match (&person.first_name, &person.last_name) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        _ => None,
    })?;
    let folded: Vec<String> =
        fold_ascii(&name).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
    (!folded.is_empty()).then(|| folded.join(" "))
}

/// Similar full names, or the same last name with a matching first initial.
fn same_name(a: &LeadDraft, b: &LeadDraft) -> bool {
    let (Some(x), Some(y)) = (folded_name(a), folded_name(b)) else { return false };
    if strsim::jaro_winkler(&x, &y) >= NAME_SIMILARITY {
        return true;
    }
    let (xs, ys): (Vec<&str>, Vec<&str>) = (x.split(' ').collect(), y.split(' ').collect());
    let initial_match =
        xs.first().zip(ys.first()).is_some_and(|(p, q)| p.chars().next() == q.chars().next() && (p.len() == 1 || q.len() == 1));
    xs.len() >= 2 && ys.len() >= 2 && xs.last() == ys.last() && initial_match
}

/// Two different emails mean two people, however alike their names.
fn conflicting_emails(a: &LeadDraft, b: &LeadDraft) -> bool {
    let email = |d: &LeadDraft| d.person.as_ref().and_then(|p| p.email.as_deref()).map(str::to_lowercase);
    matches!((email(a), email(b)), (Some(x), Some(y)) if x != y)
}

/// Disjoint sets over `0..n` with path halving.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind { parent: (0..n).collect() }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Joins the sets of `a` and `b`, keeping the smaller index as the root (first seen wins).
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (keep, join) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[join] = keep;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leads::dedupe::field_paths;
    use crate::leads::{Company, Person, Source, SourceKind};
    use quarry_ports::clock::Timestamp;

    fn sourced(mut lead: LeadDraft, url: &str) -> LeadDraft {
        let fields = field_paths(&lead);
        lead.sources.push(Source {
            kind: SourceKind::Web,
            url: Some(url.into()),
            retrieved_at: Timestamp::from_unix(1_776_000_000).unwrap(),
            fields,
        });
        lead
    }

    fn person(domain: &str, name: &str, email: Option<&str>, url: &str) -> LeadDraft {
        sourced(
            LeadDraft {
                company: Some(Company { domain: Some(domain.into()), ..Company::default() }),
                person: Some(Person { full_name: Some(name.into()), email: email.map(str::to_string), ..Person::default() }),
                ..LeadDraft::default()
            },
            url,
        )
    }

    fn company(domain: &str, name: &str, url: &str) -> LeadDraft {
        sourced(
            LeadDraft {
                company: Some(Company { domain: Some(domain.into()), name: Some(name.into()), ..Company::default() }),
                ..LeadDraft::default()
            },
            url,
        )
    }

    #[test]
    fn exact_keys_merge_across_pages_and_keep_every_source() {
        let mut with_title = person("acme.de", "Anna Berg", Some("anna@acme.de"), "https://acme.de/team");
        with_title.person.as_mut().unwrap().title = Some("CTO".into());
        let resolved = resolve(vec![
            person("acme.de", "Anna Berg", Some("Anna@Acme.de"), "https://acme.de/impressum"),
            with_title,
            company("www.acme.de", "Acme", "https://acme.de/"),
            company("shop.acme.de", "ACME GmbH", "https://shop.acme.de/"),
        ]);
        assert_eq!(resolved.len(), 2, "{resolved:#?}");
        let anna = &resolved[0];
        assert_eq!(anna.person.as_ref().unwrap().title.as_deref(), Some("CTO"), "gaps are filled");
        let urls: Vec<_> = anna.sources.iter().map(|s| s.url.clone().unwrap()).collect();
        assert_eq!(urls, ["https://acme.de/impressum", "https://acme.de/team"]);
        assert_eq!(resolved[1].company.as_ref().unwrap().name.as_deref(), Some("Acme"), "first seen wins");
        assert_eq!(resolved[1].sources.len(), 2);
    }

    #[test]
    fn names_merge_only_inside_one_company() {
        let resolved = resolve(vec![
            person("acme.de", "Jonathan Smith", None, "https://acme.de/a"),
            person("acme.de", "J. Smith", None, "https://acme.de/b"),
            person("acme.de", "Jonathon Smith", None, "https://acme.de/c"),
            person("globex.com", "Jonathan Smith", None, "https://globex.com/team"),
        ]);
        assert_eq!(resolved.len(), 2, "the same name at another company is another person: {resolved:#?}");
        assert_eq!(resolved[0].sources.len(), 3);
    }

    #[test]
    fn different_emails_or_names_stay_apart() {
        let resolved = resolve(vec![
            person("acme.de", "Anna Berg", Some("anna@acme.de"), "https://acme.de/a"),
            person("acme.de", "Anna Berg", Some("a.berg@acme.de"), "https://acme.de/b"),
            person("acme.de", "Bernd Kluge", None, "https://acme.de/c"),
            company("acme.de", "Acme", "https://acme.de/"),
            company("acme-holding.de", "Acme", "https://acme-holding.de/"),
        ]);
        assert_eq!(resolved.len(), 5, "a company name alone never merges companies");
    }
}
