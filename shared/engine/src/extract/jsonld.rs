//! schema.org JSON-LD (`<script type="application/ld+json">`): the organization a page is about,
//! the people and job postings it lists, and every `email` and `telephone` it states. Sites write
//! it in many shapes (a single node, a list, an `@graph`, nested nodes, strings or objects for the
//! same property), so every property is read leniently.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Selector};
use serde_json::{Map, Value};

use super::{country, phones, Address, JobPosting, Organization, PersonMention, PersonVia};

/// What the page's JSON-LD states.
#[derive(Debug, Default)]
pub(super) struct LdFacts {
    /// The organization the page is about, phones still as written.
    pub organization: Option<LdOrganization>,
    /// Every Person with a name.
    pub people: Vec<PersonMention>,
    /// Every JobPosting with a title.
    pub jobs: Vec<JobPosting>,
    /// Every `email` value, as written.
    pub emails: Vec<String>,
    /// Every `telephone` value, as written.
    pub phones: Vec<String>,
}

/// An organization whose phones are not yet parsed (that needs the page's country).
#[derive(Debug, Default)]
pub(super) struct LdOrganization {
    /// Everything but the phones, which stay empty here.
    pub org: Organization,
    /// `telephone` values of the organization and its contact points, as written.
    pub raw_phones: Vec<String>,
}

/// Organization types: schema.org's Organization and the subtypes sites use for companies.
#[rustfmt::skip]
const ORG_TYPES: &[&str] = &[
    "Organization", "Corporation", "LocalBusiness", "ProfessionalService", "OnlineBusiness", "OnlineStore", "NGO",
    "EducationalOrganization", "Store", "Restaurant", "LegalService", "Attorney", "FinancialService", "AccountingService",
    "MedicalBusiness", "MedicalOrganization", "HomeAndConstructionBusiness", "AutomotiveBusiness", "EmploymentAgency", "RealEstateAgent",
    "TravelAgency", "ITService", "SoftwareCompany", "NewsMediaOrganization", "Consortium", "CooperativeOrganization", "SportsOrganization",
    "Hotel", "LodgingBusiness", "FoodEstablishment", "Dentist", "Physician", "GovernmentOrganization", "ResearchOrganization",
    "WorkersUnion", "Brewery", "Winery", "Bakery", "CafeOrCoffeeShop", "ShoppingCenter", "ElectronicsStore", "HealthAndBeautyBusiness",
    "InsuranceAgency", "BankOrCreditUnion",
];

/// Reads every JSON-LD block on the page.
pub(super) fn read(doc: &Html) -> LdFacts {
    static SCRIPTS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("script[type]").unwrap());
    let blocks =
        doc.select(&SCRIPTS).filter(|s| s.attr("type").is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("application/ld+json")));
    let values: Vec<Value> = blocks.filter_map(|block| parse_lenient(&block.text().collect::<String>())).collect();
    let mut nodes = Vec::new();
    for value in &values {
        collect(value, true, 0, &mut nodes);
    }
    let mut facts = LdFacts::default();
    for node in &nodes {
        facts.emails.extend(strings(node.value.get("email")));
        facts.phones.extend(strings(node.value.get("telephone")));
        if has_type(node.value, &["Person"]) {
            facts.people.extend(person(node.value));
        }
        if has_type(node.value, &["JobPosting"]) {
            facts.jobs.extend(job(node.value));
        }
    }
    facts.organization = main_organization(&nodes);
    facts
}

/// The organization with its phones parsed in its own country, else `context`.
pub(super) fn organization(ld: &LdOrganization, context: Option<&str>) -> Organization {
    let country = ld.org.address.as_ref().and_then(|a| a.country.as_deref()).or(context);
    let mut phones: Vec<String> = Vec::new();
    for e164 in ld.raw_phones.iter().filter_map(|raw| phones::to_e164(raw, country)) {
        if !phones.contains(&e164) {
            phones.push(e164);
        }
    }
    Organization { phones, ..ld.org.clone() }
}

/// Parses a JSON-LD block, forgiving what real sites get wrong: HTML comment or CDATA wrappers
/// and trailing commas.
fn parse_lenient(text: &str) -> Option<Value> {
    static TRAILING_COMMA: LazyLock<Regex> = LazyLock::new(|| Regex::new(r",(\s*[}\]])").unwrap());
    let text = text.trim();
    if let Ok(value) = serde_json::from_str(text) {
        return Some(value);
    }
    let unwrapped = text.trim_start_matches("<!--").trim_end_matches("-->").trim_start_matches("//<![CDATA[").trim_end_matches("//]]>");
    serde_json::from_str(&TRAILING_COMMA.replace_all(unwrapped.trim(), "$1")).ok()
}

/// One JSON object in the document, and whether it stands at the top (not nested in another node).
struct Node<'a> {
    value: &'a Map<String, Value>,
    top: bool,
}

/// Every object in `value`, depth-first; objects directly in a list or `@graph` are top-level.
fn collect<'a>(value: &'a Value, top: bool, depth: usize, out: &mut Vec<Node<'a>>) {
    if depth > 24 {
        return;
    }
    match value {
        Value::Array(items) => items.iter().for_each(|item| collect(item, top, depth + 1, out)),
        Value::Object(map) => {
            out.push(Node { value: map, top });
            for (key, child) in map {
                collect(child, key == "@graph", depth + 1, out);
            }
        }
        _ => {}
    }
}

/// Whether a node's `@type` (a string or a list, maybe prefixed `schema:`) is one of `types`.
fn has_type(node: &Map<String, Value>, types: &[&str]) -> bool {
    strings(node.get("@type")).iter().any(|t| {
        let bare = t.rsplit(['/', ':', '#']).next().unwrap_or(t);
        types.contains(&bare)
    })
}

/// The organization the page is about: the first top-level one with a name, else the first
/// nested one (a JobPosting's `hiringOrganization`, a WebSite's `publisher`), filled in from other
/// nodes of the same name (sites often split one company over Organization and LocalBusiness).
fn main_organization(nodes: &[Node<'_>]) -> Option<LdOrganization> {
    let orgs: Vec<&Node<'_>> = nodes.iter().filter(|n| has_type(n.value, ORG_TYPES) && text(n.value.get("name")).is_some()).collect();
    let main = orgs.iter().find(|n| n.top).or_else(|| orgs.first())?;
    let name = text(main.value.get("name"));
    let mut ld = org(main.value);
    for other in orgs.iter().filter(|n| !std::ptr::eq(n.value, main.value) && text(n.value.get("name")) == name) {
        fill(&mut ld, org(other.value));
    }
    Some(ld)
}

fn fill(into: &mut LdOrganization, from: LdOrganization) {
    let org = &mut into.org;
    org.url = org.url.take().or(from.org.url);
    org.address = org.address.take().or(from.org.address);
    org.employees = org.employees.or(from.org.employees);
    extend_unique(&mut org.same_as, from.org.same_as);
    extend_unique(&mut org.emails, from.org.emails);
    extend_unique(&mut into.raw_phones, from.raw_phones);
}

fn extend_unique(into: &mut Vec<String>, from: Vec<String>) {
    for item in from {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// One organization node and its contact points.
fn org(node: &Map<String, Value>) -> LdOrganization {
    let contact_points = objects(node.get("contactPoint"));
    let mut emails: Vec<String> = Vec::new();
    let mut raw_phones = Vec::new();
    for source in std::iter::once(node).chain(contact_points) {
        extend_unique(&mut emails, strings(source.get("email")).iter().map(|e| e.trim_start_matches("mailto:").to_lowercase()).collect());
        extend_unique(&mut raw_phones, strings(source.get("telephone")));
    }
    let org = Organization {
        name: text(node.get("name")),
        url: text(node.get("url")),
        address: address(node.get("address")),
        same_as: strings(node.get("sameAs")),
        employees: employees(node.get("numberOfEmployees")),
        emails,
        phones: Vec::new(),
    };
    LdOrganization { org, raw_phones }
}

/// A PostalAddress (or a list of them: the first), or a one-line address string.
fn address(value: Option<&Value>) -> Option<Address> {
    let value = match value? {
        Value::Array(items) => items.first()?,
        other => other,
    };
    if let Some(line) = value.as_str() {
        // A one-line address still tells its city and country when its postcode or country name does.
        let place = country::place_in(line);
        let (city, country) = place.map(|p| (p.city, p.country)).unwrap_or_default();
        return Some(Address { street: Some(line.trim().to_string()), city, country, ..Address::default() });
    }
    let map = value.as_object()?;
    let country = map.get("addressCountry").and_then(|c| text(Some(c)).or_else(|| text(c.get("name")))).and_then(|c| country::iso2(&c));
    Some(Address {
        street: text(map.get("streetAddress")),
        city: text(map.get("addressLocality")),
        region: text(map.get("addressRegion")),
        postal_code: text(map.get("postalCode")),
        country,
    })
}

/// `numberOfEmployees`: a number, a numeric string, or a QuantitativeValue (value, else the
/// minimum, a safe lower bound, else the maximum).
fn employees(value: Option<&Value>) -> Option<u32> {
    let value = value?;
    let number = |v: Option<&Value>| -> Option<u32> {
        match v? {
            Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f as u64)).and_then(|n| u32::try_from(n).ok()),
            Value::String(s) => s.trim().replace([',', '.', ' '], "").parse().ok(),
            _ => None,
        }
    };
    number(Some(value))
        .or_else(|| number(value.get("value")))
        .or_else(|| number(value.get("minValue")))
        .or_else(|| number(value.get("maxValue")))
}

fn person(node: &Map<String, Value>) -> Option<PersonMention> {
    let name = text(node.get("name")).or_else(|| {
        let parts = [text(node.get("givenName"))?, text(node.get("familyName"))?];
        Some(parts.join(" "))
    })?;
    let works_for = node.get("worksFor").and_then(|w| text(Some(w)).or_else(|| text(w.get("name"))));
    let title = node.get("jobTitle").and_then(|t| text(Some(t)).or_else(|| text(t.get("name"))));
    let email = strings(node.get("email")).first().map(|e| e.trim_start_matches("mailto:").to_lowercase());
    Some(PersonMention { name, title, email, works_for, via: PersonVia::JsonLd })
}

fn job(node: &Map<String, Value>) -> Option<JobPosting> {
    let title = text(node.get("title")).or_else(|| text(node.get("name")))?;
    let place = objects(node.get("jobLocation")).into_iter().find_map(|place| {
        let address = address(place.get("address"))?;
        let parts: Vec<String> = [address.city, address.country].into_iter().flatten().collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    });
    let remote = text(node.get("jobLocationType")).is_some_and(|t| t.eq_ignore_ascii_case("TELECOMMUTE"));
    let location = place.or_else(|| remote.then(|| "Remote".to_string()));
    Some(JobPosting { title, date_posted: text(node.get("datePosted")), location })
}

/// A property's text: a string, the first of a list of strings, trimmed and collapsed; `None` when empty.
fn text(value: Option<&Value>) -> Option<String> {
    let raw = match value? {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().find_map(Value::as_str)?.to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let clean = super::text::collapse(&raw.replace("&amp;", "&"));
    (!clean.is_empty()).then_some(clean)
}

/// A property's strings: one string or every string in a list.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_string()],
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
        }
        _ => Vec::new(),
    }
}

/// A property's objects: one object or every object in a list.
fn objects(value: Option<&Value>) -> Vec<&Map<String, Value>> {
    match value {
        Some(Value::Object(map)) => vec![map],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(json: &str) -> LdFacts {
        read(&Html::parse_document(&format!("<html><head><script type='application/ld+json'>{json}</script></head></html>")))
    }

    #[test]
    fn graph_organization_with_subtype_address_and_contact_points() {
        let ld = facts(
            r#"{"@context":"https://schema.org","@graph":[
                {"@type":"WebSite","name":"Site","publisher":{"@type":"Organization","name":"Wrong Nested"}},
                {"@type":["Corporation"],"name":"Kontorwerk GmbH","url":"https://kontorwerk.de",
                 "address":{"@type":"PostalAddress","streetAddress":"Torstraße 12","addressLocality":"Berlin","postalCode":"10119","addressCountry":"Deutschland"},
                 "sameAs":["https://www.linkedin.com/company/kontorwerk"],
                 "numberOfEmployees":{"@type":"QuantitativeValue","minValue":50,"maxValue":99},
                 "contactPoint":[{"@type":"ContactPoint","email":"mailto:Vertrieb@kontorwerk.de","telephone":"030 2084 1177"}]},
                {"@type":"LocalBusiness","name":"Kontorwerk GmbH","email":"info@kontorwerk.de"}
            ]}"#,
        );
        let ld_org = ld.organization.unwrap();
        let org = organization(&ld_org, None);
        assert_eq!(org.name.as_deref(), Some("Kontorwerk GmbH"));
        assert_eq!(org.address.as_ref().unwrap().country.as_deref(), Some("DE"));
        assert_eq!(org.address.as_ref().unwrap().city.as_deref(), Some("Berlin"));
        assert_eq!(org.employees, Some(50));
        assert_eq!(org.emails, ["vertrieb@kontorwerk.de", "info@kontorwerk.de"]);
        assert_eq!(org.phones, ["+493020841177"], "national number read in the address's country");
        assert_eq!(org.same_as, ["https://www.linkedin.com/company/kontorwerk"]);
    }

    #[test]
    fn people_and_jobs_in_a_list_with_trailing_commas() {
        let ld = facts(
            r#"[{"@type":"Person","name":"Jane Doe","jobTitle":"CEO","email":"jane@acme.com","worksFor":{"@type":"Organization","name":"Acme"},},
                {"@type":"JobPosting","title":"Backend Engineer","datePosted":"2024-05-01",
                 "jobLocation":{"@type":"Place","address":{"addressLocality":"Austin","addressCountry":"US"}}},
                {"@type":"JobPosting","title":"Support Lead","jobLocationType":"TELECOMMUTE"}]"#,
        );
        assert_eq!(ld.people.len(), 1);
        assert_eq!(ld.people[0].title.as_deref(), Some("CEO"));
        assert_eq!(ld.people[0].works_for.as_deref(), Some("Acme"));
        assert_eq!(ld.jobs[0].location.as_deref(), Some("Austin, US"));
        assert_eq!(ld.jobs[1].location.as_deref(), Some("Remote"));
        assert_eq!(ld.emails, ["jane@acme.com"]);
        assert!(ld.organization.is_some_and(|o| o.org.name.as_deref() == Some("Acme")), "a nested organization is the fallback");
    }

    #[test]
    fn employees_in_every_shape() {
        assert_eq!(employees(Some(&serde_json::json!(120))), Some(120));
        assert_eq!(employees(Some(&serde_json::json!("1,200"))), Some(1200));
        assert_eq!(employees(Some(&serde_json::json!({"value": 42}))), Some(42));
        assert_eq!(employees(Some(&serde_json::json!({"maxValue": "10"}))), Some(10));
        assert_eq!(employees(Some(&serde_json::json!("many"))), None);
    }

    #[test]
    fn broken_json_is_skipped() {
        let ld = facts("{ not json");
        assert!(ld.organization.is_none() && ld.people.is_empty());
    }
}
