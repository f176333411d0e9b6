//! Job titles: many spellings, one canonical role.
//!
//! A role is read three ways, and the longest reading wins: a fixed title ("CTO", "VPE", "chief
//! technology officer", "Geschäftsführer", "directeur technique", "Staff Engineer"); a seniority
//! word, an optional connector and a department ("VP Eng", "VP of Engineering", "Vice President,
//! Engineering", "Heads of Data", "Leiter Vertrieb", "directeur des ventes"); or a department and a
//! trailing seniority word ("Engineering Manager", "Data Lead"). The canonical title is built from
//! seniority and department ("VP Engineering", "Head of Growth", "Director of Sales",
//! "Engineering Manager"), so every spelling of the same job compares equal. A few areas inside a
//! department keep their own name ("RevOps leaders" is Head of Revenue Operations, in Operations).
//!
//! Plurals read as the one role ("CTOs", "Heads of Data", "VPs of Sales", "Sales VPs", "RevOps
//! leaders"), and a plural seniority shared by a list of departments gives one role per department:
//! "Heads of Growth and Marketing", "Sales and Marketing leaders".

use super::super::{Department, Role, Seniority};
use super::open;
use super::text::Tokens;

use Department as D;
use Seniority as S;

/// Titles read as a whole: C-level, founders, multilingual fixed titles and individual contributors.
const FIXED: &[(&str, (&str, Seniority, Department))] = &[
    ("ceo", ("CEO", S::CLevel, D::Executive)),
    ("chief executive officer", ("CEO", S::CLevel, D::Executive)),
    ("geschaftsfuhrer", ("CEO", S::CLevel, D::Executive)),
    ("geschaftsfuhrerin", ("CEO", S::CLevel, D::Executive)),
    ("geschaftsfuhrung", ("CEO", S::CLevel, D::Executive)),
    ("pdg", ("CEO", S::CLevel, D::Executive)),
    ("directeur general", ("CEO", S::CLevel, D::Executive)),
    ("directrice generale", ("CEO", S::CLevel, D::Executive)),
    ("director general", ("CEO", S::CLevel, D::Executive)),
    ("director ejecutivo", ("CEO", S::CLevel, D::Executive)),
    ("managing director", ("CEO", S::CLevel, D::Executive)),
    ("founder", ("Founder", S::CLevel, D::Executive)),
    ("co founder", ("Founder", S::CLevel, D::Executive)),
    ("cofounder", ("Founder", S::CLevel, D::Executive)),
    ("grunder", ("Founder", S::CLevel, D::Executive)),
    ("mitgrunder", ("Founder", S::CLevel, D::Executive)),
    ("fondateur", ("Founder", S::CLevel, D::Executive)),
    ("fondatrice", ("Founder", S::CLevel, D::Executive)),
    ("cofondateur", ("Founder", S::CLevel, D::Executive)),
    ("fundador", ("Founder", S::CLevel, D::Executive)),
    ("fundadora", ("Founder", S::CLevel, D::Executive)),
    ("cofundador", ("Founder", S::CLevel, D::Executive)),
    ("cofundadora", ("Founder", S::CLevel, D::Executive)),
    ("co fundador", ("Founder", S::CLevel, D::Executive)),
    ("co fundadora", ("Founder", S::CLevel, D::Executive)),
    ("co fondateur", ("Founder", S::CLevel, D::Executive)),
    ("co fondatrice", ("Founder", S::CLevel, D::Executive)),
    ("cofondatrice", ("Founder", S::CLevel, D::Executive)),
    ("grunderin", ("Founder", S::CLevel, D::Executive)),
    ("mitgrunderin", ("Founder", S::CLevel, D::Executive)),
    ("founding engineer", ("Founding Engineer", S::IndividualContributor, D::Engineering)),
    ("owner", ("Owner", S::CLevel, D::Executive)),
    ("business owner", ("Owner", S::CLevel, D::Executive)),
    ("inhaber", ("Owner", S::CLevel, D::Executive)),
    ("inhaberin", ("Owner", S::CLevel, D::Executive)),
    ("proprietaire", ("Owner", S::CLevel, D::Executive)),
    ("propietario", ("Owner", S::CLevel, D::Executive)),
    ("propietaria", ("Owner", S::CLevel, D::Executive)),
    ("dueno", ("Owner", S::CLevel, D::Executive)),
    ("president", ("President", S::CLevel, D::Executive)),
    ("managing partner", ("Managing Partner", S::CLevel, D::Executive)),
    ("chief of staff", ("Chief of Staff", S::Head, D::Executive)),
    ("cto", ("CTO", S::CLevel, D::Engineering)),
    ("chief technology officer", ("CTO", S::CLevel, D::Engineering)),
    ("chief technical officer", ("CTO", S::CLevel, D::Engineering)),
    ("directeur technique", ("CTO", S::CLevel, D::Engineering)),
    ("directrice technique", ("CTO", S::CLevel, D::Engineering)),
    ("director de tecnologia", ("CTO", S::CLevel, D::Engineering)),
    ("director tecnico", ("CTO", S::CLevel, D::Engineering)),
    ("technischer leiter", ("CTO", S::CLevel, D::Engineering)),
    ("technischer geschaftsfuhrer", ("CTO", S::CLevel, D::Engineering)),
    ("cfo", ("CFO", S::CLevel, D::Finance)),
    ("chief financial officer", ("CFO", S::CLevel, D::Finance)),
    ("directeur financier", ("CFO", S::CLevel, D::Finance)),
    ("directrice financiere", ("CFO", S::CLevel, D::Finance)),
    ("director financiero", ("CFO", S::CLevel, D::Finance)),
    ("coo", ("COO", S::CLevel, D::Operations)),
    ("chief operating officer", ("COO", S::CLevel, D::Operations)),
    ("cmo", ("CMO", S::CLevel, D::Marketing)),
    ("chief marketing officer", ("CMO", S::CLevel, D::Marketing)),
    ("cro", ("CRO", S::CLevel, D::Sales)),
    ("chief revenue officer", ("CRO", S::CLevel, D::Sales)),
    ("cpo", ("CPO", S::CLevel, D::Product)),
    ("chief product officer", ("CPO", S::CLevel, D::Product)),
    ("ciso", ("CISO", S::CLevel, D::Security)),
    ("chief information security officer", ("CISO", S::CLevel, D::Security)),
    ("chief security officer", ("CISO", S::CLevel, D::Security)),
    ("cio", ("CIO", S::CLevel, D::Engineering)),
    ("chief information officer", ("CIO", S::CLevel, D::Engineering)),
    ("cdo", ("CDO", S::CLevel, D::Data)),
    ("chief data officer", ("CDO", S::CLevel, D::Data)),
    ("chro", ("CHRO", S::CLevel, D::People)),
    ("chief people officer", ("CHRO", S::CLevel, D::People)),
    ("chief human resources officer", ("CHRO", S::CLevel, D::People)),
    ("vpe", ("VP Engineering", S::Vp, D::Engineering)),
    ("vertriebsleiter", ("Head of Sales", S::Head, D::Sales)),
    ("vertriebsleiterin", ("Head of Sales", S::Head, D::Sales)),
    ("marketingleiter", ("Head of Marketing", S::Head, D::Marketing)),
    ("marketingleiterin", ("Head of Marketing", S::Head, D::Marketing)),
    ("entwicklungsleiter", ("Head of Engineering", S::Head, D::Engineering)),
    ("personalleiter", ("Head of People", S::Head, D::People)),
    ("finanzleiter", ("Head of Finance", S::Head, D::Finance)),
    ("produktleiter", ("Head of Product", S::Head, D::Product)),
    ("staff engineer", ("Staff Engineer", S::IndividualContributor, D::Engineering)),
    ("staff software engineer", ("Staff Engineer", S::IndividualContributor, D::Engineering)),
    ("principal engineer", ("Principal Engineer", S::IndividualContributor, D::Engineering)),
    ("senior engineer", ("Senior Software Engineer", S::IndividualContributor, D::Engineering)),
    ("senior software engineer", ("Senior Software Engineer", S::IndividualContributor, D::Engineering)),
    ("software engineer", ("Software Engineer", S::IndividualContributor, D::Engineering)),
    ("software developer", ("Software Engineer", S::IndividualContributor, D::Engineering)),
    ("engineer", ("Software Engineer", S::IndividualContributor, D::Engineering)),
    ("developer", ("Software Engineer", S::IndividualContributor, D::Engineering)),
    ("swe", ("Software Engineer", S::IndividualContributor, D::Engineering)),
    ("entwickler", ("Software Engineer", S::IndividualContributor, D::Engineering)),
    ("developpeur", ("Software Engineer", S::IndividualContributor, D::Engineering)),
    ("desarrollador", ("Software Engineer", S::IndividualContributor, D::Engineering)),
    ("frontend engineer", ("Frontend Engineer", S::IndividualContributor, D::Engineering)),
    ("front end engineer", ("Frontend Engineer", S::IndividualContributor, D::Engineering)),
    ("frontend developer", ("Frontend Engineer", S::IndividualContributor, D::Engineering)),
    ("backend engineer", ("Backend Engineer", S::IndividualContributor, D::Engineering)),
    ("back end engineer", ("Backend Engineer", S::IndividualContributor, D::Engineering)),
    ("backend developer", ("Backend Engineer", S::IndividualContributor, D::Engineering)),
    ("devops engineer", ("DevOps Engineer", S::IndividualContributor, D::Engineering)),
    ("sre", ("Site Reliability Engineer", S::IndividualContributor, D::Engineering)),
    ("site reliability engineer", ("Site Reliability Engineer", S::IndividualContributor, D::Engineering)),
    ("tech lead", ("Tech Lead", S::IndividualContributor, D::Engineering)),
    ("ml engineer", ("ML Engineer", S::IndividualContributor, D::Data)),
    ("machine learning engineer", ("ML Engineer", S::IndividualContributor, D::Data)),
    ("ai engineer", ("ML Engineer", S::IndividualContributor, D::Data)),
    ("data engineer", ("Data Engineer", S::IndividualContributor, D::Data)),
    ("data scientist", ("Data Scientist", S::IndividualContributor, D::Data)),
    ("data analyst", ("Data Analyst", S::IndividualContributor, D::Data)),
    ("security engineer", ("Security Engineer", S::IndividualContributor, D::Security)),
    ("product designer", ("Product Designer", S::IndividualContributor, D::Design)),
    ("designer", ("Product Designer", S::IndividualContributor, D::Design)),
    ("ux designer", ("Product Designer", S::IndividualContributor, D::Design)),
    ("account executive", ("Account Executive", S::IndividualContributor, D::Sales)),
    ("sdr", ("Sales Development Representative", S::IndividualContributor, D::Sales)),
    ("bdr", ("Sales Development Representative", S::IndividualContributor, D::Sales)),
    ("sales development representative", ("Sales Development Representative", S::IndividualContributor, D::Sales)),
    ("business development representative", ("Sales Development Representative", S::IndividualContributor, D::Sales)),
    ("sales rep", ("Sales Representative", S::IndividualContributor, D::Sales)),
    ("sales representative", ("Sales Representative", S::IndividualContributor, D::Sales)),
    ("salesperson", ("Sales Representative", S::IndividualContributor, D::Sales)),
    ("recruiter", ("Recruiter", S::IndividualContributor, D::People)),
    ("customer success manager", ("Customer Success Manager", S::Manager, D::CustomerSuccess)),
    ("csm", ("Customer Success Manager", S::Manager, D::CustomerSuccess)),
];

/// Seniority words that precede the department ("VP of …", "Head of …", "Leiter …").
const SENIORITY_FIRST: &[(&str, Seniority)] = &[
    ("vp", S::Vp),
    ("vps", S::Vp),
    ("svp", S::Vp),
    ("evp", S::Vp),
    ("vice president", S::Vp),
    ("senior vice president", S::Vp),
    ("vicepresidente", S::Vp),
    ("head", S::Head),
    ("global head", S::Head),
    ("leiter", S::Head),
    ("leiterin", S::Head),
    ("leitung", S::Head),
    ("responsable", S::Head),
    ("jefe", S::Head),
    ("jefa", S::Head),
    ("director", S::Director),
    ("directeur", S::Director),
    ("directrice", S::Director),
    ("direktor", S::Director),
    ("direktorin", S::Director),
    ("directora", S::Director),
    ("manager", S::Manager),
    ("gerente", S::Manager),
];

/// Seniority words that follow the department ("Engineering Manager", "Data Lead").
const SENIORITY_LAST: &[(&str, Seniority)] = &[
    ("vp", S::Vp),
    ("vps", S::Vp),
    ("svp", S::Vp),
    ("svps", S::Vp),
    ("evp", S::Vp),
    ("evps", S::Vp),
    ("leadership", S::Head),
    ("head", S::Head),
    ("lead", S::Head),
    ("leader", S::Head),
    ("director", S::Director),
    ("manager", S::Manager),
    ("leiter", S::Head),
    ("leiterin", S::Head),
];

/// Words between a seniority word and the department.
/// "VP's of Sales": the apostrophe splits off an "s".
const CONNECTORS: &[&str] = &[",", "of", "of the", "for", "de", "des", "du", "de la", "del", "der", "fur", "d", "-", ":", "s", "s of"];

/// Seniority words written in the plural, which a list of departments can share ("Heads of
/// Growth and Marketing"); a singular one names one person with a combined remit.
const PLURAL_SENIORITY: &[&str] = &[
    "heads",
    "vps",
    "svps",
    "evps",
    "presidents",
    "directors",
    "managers",
    "leaders",
    "leads",
    "leiter",
    "directeurs",
    "directrices",
    "responsables",
    "directores",
    "jefes",
];

/// Joiners inside a list of departments.
const DEPARTMENT_JOINERS: &[&str] = &[",", "and", "&", "/", "or", "und", "et", "y"];

/// Areas inside a department that titles name on their own: the title keeps the area's name.
pub(super) const AREAS: &[(&str, (&str, Department))] = &[
    ("revops", ("Revenue Operations", D::Operations)),
    ("rev ops", ("Revenue Operations", D::Operations)),
    ("revenue operations", ("Revenue Operations", D::Operations)),
    ("revenue ops", ("Revenue Operations", D::Operations)),
];

/// Department names as they appear in titles.
pub(super) const DEPARTMENTS: &[(&str, Department)] = &[
    ("engineering", D::Engineering),
    ("eng", D::Engineering),
    ("technology", D::Engineering),
    ("tech", D::Engineering),
    ("software", D::Engineering),
    ("software engineering", D::Engineering),
    ("development", D::Engineering),
    ("platform", D::Engineering),
    ("infrastructure", D::Engineering),
    ("ingenierie", D::Engineering),
    ("ingenieria", D::Engineering),
    ("entwicklung", D::Engineering),
    ("technik", D::Engineering),
    ("technologie", D::Engineering),
    ("tecnologia", D::Engineering),
    ("growth", D::Growth),
    ("croissance", D::Growth),
    ("crecimiento", D::Growth),
    ("wachstum", D::Growth),
    ("marketing", D::Marketing),
    ("demand generation", D::Marketing),
    ("demand gen", D::Marketing),
    ("mercadotecnia", D::Marketing),
    ("sales", D::Sales),
    ("revenue", D::Sales),
    ("business development", D::Sales),
    ("bizdev", D::Sales),
    ("commercial", D::Sales),
    ("vertrieb", D::Sales),
    ("vertriebs", D::Sales),
    ("ventes", D::Sales),
    ("ventas", D::Sales),
    ("data", D::Data),
    ("analytics", D::Data),
    ("data science", D::Data),
    ("ai", D::Data),
    ("ml", D::Data),
    ("machine learning", D::Data),
    ("business intelligence", D::Data),
    ("bi", D::Data),
    ("donnees", D::Data),
    ("datos", D::Data),
    ("daten", D::Data),
    ("product", D::Product),
    ("produit", D::Product),
    ("producto", D::Product),
    ("produkt", D::Product),
    ("finance", D::Finance),
    ("finances", D::Finance),
    ("finanzas", D::Finance),
    ("finanzen", D::Finance),
    ("operations", D::Operations),
    ("ops", D::Operations),
    ("operaciones", D::Operations),
    ("betrieb", D::Operations),
    ("people", D::People),
    ("people operations", D::People),
    ("hr", D::People),
    ("human resources", D::People),
    ("talent", D::People),
    ("talent acquisition", D::People),
    ("recruiting", D::People),
    ("personal", D::People),
    ("rh", D::People),
    ("ressources humaines", D::People),
    ("recursos humanos", D::People),
    ("security", D::Security),
    ("information security", D::Security),
    ("infosec", D::Security),
    ("securite", D::Security),
    ("seguridad", D::Security),
    ("sicherheit", D::Security),
    ("design", D::Design),
    ("ux", D::Design),
    ("user experience", D::Design),
    ("diseno", D::Design),
    ("customer success", D::CustomerSuccess),
    ("customer experience", D::CustomerSuccess),
    ("customer support", D::CustomerSuccess),
    ("support", D::CustomerSuccess),
    ("legal", D::Legal),
    ("compliance", D::Legal),
    ("juridique", D::Legal),
    ("recht", D::Legal),
];

/// The canonical title for a seniority and a department's (or area's) name.
fn canonical_title(seniority: Seniority, name: &str) -> String {
    match seniority {
        S::Vp => format!("VP {name}"),
        S::Head => format!("Head of {name}"),
        S::Director => format!("Director of {name}"),
        S::Manager => format!("{name} Manager"),
        S::CLevel => format!("Chief {name} Officer"),
        S::IndividualContributor => name.to_string(),
    }
}

/// The roles of the title (or list of titles sharing a plural seniority) starting at `at`, with
/// the index past them: "CTOs" is one, "Heads of Growth and Marketing" and "Sales and Marketing
/// leaders" are two.
pub(super) fn roles_at(tokens: &Tokens, at: usize) -> Option<(Vec<Role>, usize)> {
    if let Some(listed) = departments_then_plural_seniority(tokens, at) {
        return Some(listed);
    }
    let (role, mut end) = role_at(tokens, at)?;
    let mut roles = vec![role.clone()];
    let plural_first = tokens.longest(at, SENIORITY_FIRST).is_some_and(|(after, _)| PLURAL_SENIORITY.contains(&tokens.text(after - 1)));
    if plural_first && role.seniority != S::CLevel && role.seniority != S::IndividualContributor {
        while let Some((area, after)) = tokens.longest_of(end, DEPARTMENT_JOINERS).and_then(|joined| listed_area(tokens, joined)) {
            roles.push(built_role(role.seniority, area));
            end = after;
        }
    }
    Some((roles, end))
}

/// "Sales and Marketing leaders", "Product, Design and Engineering directors": departments joined
/// by "and" or commas, then one plural seniority word.
fn departments_then_plural_seniority(tokens: &Tokens, at: usize) -> Option<(Vec<Role>, usize)> {
    let (first, mut end) = area_at(tokens, at)?;
    let mut areas = vec![first];
    while let Some((area, after)) = tokens.longest_of(end, DEPARTMENT_JOINERS).and_then(|joined| area_at(tokens, joined)) {
        areas.push(area);
        end = after;
    }
    let (after, &seniority) = tokens.longest(end, SENIORITY_LAST)?;
    if areas.len() < 2 || !PLURAL_SENIORITY.contains(&tokens.text(after - 1)) {
        return None;
    }
    Some((areas.into_iter().map(|area| built_role(seniority, area)).collect(), after))
}

/// A department in a list, unless a seniority follows it (then it starts a title of its own:
/// "Heads of Sales and Marketing Managers").
fn listed_area(tokens: &Tokens, at: usize) -> Option<(Area, usize)> {
    let (area, end) = area_at(tokens, at)?;
    tokens.longest(end, SENIORITY_LAST).is_none().then_some((area, end))
}

/// A department or an area inside one, as a title names it.
#[derive(Clone, Copy)]
struct Area {
    name: &'static str,
    department: Department,
}

/// The longest department or area name at `at`.
fn area_at(tokens: &Tokens, at: usize) -> Option<(Area, usize)> {
    let department = tokens.longest(at, DEPARTMENTS).map(|(end, &department)| (Area { name: department.label(), department }, end));
    let area = tokens.longest(at, AREAS).map(|(end, &(name, department))| (Area { name, department }, end));
    match (department, area) {
        (Some(d), Some(a)) => Some(if a.1 >= d.1 { a } else { d }),
        (d, a) => d.or(a),
    }
}

/// The role whose title starts at `at`, with the index past it; the longest reading wins, and a
/// title of the tables wins a tie over an open title ([`open::open_role_at`]).
pub(super) fn role_at(tokens: &Tokens, at: usize) -> Option<(Role, usize)> {
    let known = known_role_at(tokens, at);
    match open::open_role_at(tokens, at) {
        Some(open) if known.as_ref().is_none_or(|(_, end)| open.1 > *end) => Some(open),
        _ => known,
    }
}

/// Whether a seniority word starts at `at` ("Head", "VP", "Director", "Chief", "Manager", …).
pub(super) fn is_seniority_word(tokens: &Tokens, at: usize) -> bool {
    tokens.longest(at, SENIORITY_FIRST).is_some()
        || tokens.longest(at, SENIORITY_LAST).is_some()
        || tokens.longest_of(at, &["chief", "officer", "leads"]).is_some()
        || PLURAL_SENIORITY.contains(&tokens.text(at))
}

/// The role of a title the tables know starting at `at`.
fn known_role_at(tokens: &Tokens, at: usize) -> Option<(Role, usize)> {
    let fixed = tokens
        .longest(at, FIXED)
        .map(|(end, &(title, seniority, department))| (Role { title: title.to_string(), seniority, department }, end));
    let built = seniority_then_department(tokens, at).into_iter().chain(department_then_seniority(tokens, at));
    let mut best = fixed;
    for candidate in built {
        // A fixed title wins ties: "director de tecnologia" is the CTO, not a director.
        if best.as_ref().is_none_or(|(_, end)| candidate.1 > *end) {
            best = Some(candidate);
        }
    }
    best
}

fn seniority_then_department(tokens: &Tokens, at: usize) -> Option<(Role, usize)> {
    let (after_seniority, &seniority) = tokens.longest(at, SENIORITY_FIRST)?;
    let department_at = tokens.longest_of(after_seniority, CONNECTORS).unwrap_or(after_seniority);
    let (area, end) = area_at(tokens, department_at)?;
    Some((built_role(seniority, area), end))
}

fn department_then_seniority(tokens: &Tokens, at: usize) -> Option<(Role, usize)> {
    let (area, after_department) = area_at(tokens, at)?;
    let (end, &seniority) = tokens.longest(after_department, SENIORITY_LAST)?;
    Some((built_role(seniority, area), end))
}

fn built_role(seniority: Seniority, area: Area) -> Role {
    Role { title: canonical_title(seniority, area.name), seniority, department: area.department }
}
