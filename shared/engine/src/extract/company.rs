//! The company's name and headcount. The name comes from JSON-LD, else `og:site_name`, else the
//! `<title>` with its page part ("Impressum", "Home", "Our Team") cut off; the headcount from
//! mentions such as "120 employees", "über 50 Mitarbeiter" or "plus de 200 collaborateurs".

use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Selector};
use url::Url;

use super::gate::Gated;
use super::Organization;
use crate::domains::registrable_domain;

/// The company's name as the page states it.
pub(super) fn name(doc: &Html, org: Option<&Organization>, page_url: &Url) -> Option<String> {
    static SITE_NAME: LazyLock<Selector> =
        LazyLock::new(|| Selector::parse("meta[property='og:site_name'], meta[name='application-name']").unwrap());
    static TITLE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("title").unwrap());
    let from_meta = || doc.select(&SITE_NAME).filter_map(|m| m.attr("content")).map(super::text::collapse).find(|s| !s.is_empty());
    let from_title = || doc.select(&TITLE).next().and_then(|t| name_in_title(&t.text().collect::<String>(), page_url));
    org.and_then(|o| o.name.clone()).or_else(from_meta).or_else(from_title)
}

/// Page names that share a `<title>` with the company name.
#[rustfmt::skip]
const PAGE_WORDS: &[&str] = &[
    "home", "homepage", "home page", "start", "startseite", "accueil", "inicio", "welcome", "willkommen", "bienvenue", "contact",
    "contact us", "kontakt", "contacto", "contatti", "contactez-nous", "about", "about us", "über uns", "à propos", "qui sommes-nous",
    "chi siamo", "quiénes somos", "over ons", "om oss", "team", "our team", "unser team", "das team", "équipe", "notre équipe", "l'équipe",
    "equipo", "nuestro equipo", "il team", "ons team", "vårt team", "leadership", "management", "impressum", "imprint", "legal notice",
    "mentions légales", "aviso legal", "note legali", "colofon", "jobs", "careers", "karriere", "carrières", "recrutement", "empleo",
    "trabaja con nosotros", "lavora con noi", "vacatures", "lediga jobb", "jobb", "blog", "news", "privacy policy", "datenschutz",
];

/// The company part of a page title: the part that matches the domain name, else the only part
/// that is not a page name, else the first part.
fn name_in_title(title: &str, page_url: &Url) -> Option<String> {
    static SEPARATORS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s+[|–—·:»\-]\s+|\s*\|\s*").unwrap());
    let title = super::text::collapse(title);
    let parts: Vec<&str> = SEPARATORS.split(&title).map(str::trim).filter(|p| !p.is_empty() && p.chars().count() <= 60).collect();
    let label = page_url.host_str().and_then(registrable_domain).and_then(|d| d.split('.').next().map(str::to_string));
    let squash = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
    let by_domain = label.filter(|l| l.len() >= 3).and_then(|l| parts.iter().find(|p| squash(p).contains(&squash(&l))));
    let named: Vec<&&str> = parts.iter().filter(|p| !PAGE_WORDS.contains(&p.to_lowercase().as_str())).collect();
    by_domain.or(named.first().copied()).map(|p| p.to_string())
}

/// The first headcount mention in the text.
pub(super) fn headcount(lines: &[String]) -> Option<u32> {
    lines.iter().find_map(|line| headcount_in(line))
}

fn headcount_in(line: &str) -> Option<u32> {
    static MENTION: LazyLock<Gated> = LazyLock::new(|| {
        Gated::new(
            r"(?i)(\d{1,3}(?:[.,\u{a0} ]\d{3})+|\d+)\s*(?:[-–]\s*\d+\s*)?\+?\s*(?:(?:engaged|dedicated|talented|passionate|motivierte[n]?|engagierte[n]?|qualifizierte[n]?)\s+)?(employees|people|staff|team members|teammates|colleagues|mitarbeiter(?:n|innen|\*innen|:innen)?|mitarbeitende[n]?|beschäftigte[n]?|angestellte[n]?|kolleg(?:inn)?en|menschen|collaborateurs|collaboratrices|salariés|employés|personnes|empleados|trabajadores|personas|profesionales|dipendenti|collaboratori|persone|medewerkers|werknemers|mensen|anställda|medarbetare|ansatte)\b",
        )
    });
    // Generic words ("people", "Menschen") count only when the sentence is about the team,
    // never about customers or users ("trusted by 10,000 people").
    const GENERIC: &[&str] = &["people", "menschen", "personnes", "personas", "persone", "mensen", "colleagues"];
    let mention = MENTION.candidate(line)?;
    let lower = line.to_lowercase();
    let about_team = ["team", "équipe", "equipo", "squadra", "staff", "we are", "we employ", "wir sind", "nous sommes", "somos", "siamo"]
        .iter()
        .any(|w| lower.contains(w));
    let about_others = ["customer", "client", "user", "kunden", "nutzer", "visitor", "subscriber", "utilisateur", "usuarios"]
        .iter()
        .any(|w| lower.contains(w));
    mention.captures_iter(line).find_map(|caps| {
        if about_other_companies(&line[..caps.get(0).map_or(0, |m| m.start())]) {
            return None;
        }
        let noun = caps[2].to_lowercase();
        let generic = GENERIC.contains(&noun.as_str());
        if generic && (!about_team || about_others) {
            return None;
        }
        let digits: String = caps[1].chars().filter(char::is_ascii_digit).collect();
        digits.parse().ok().filter(|n| (2..=2_000_000).contains(n))
    })
}

/// Whether the words just before a count make it someone else's: a limit ("payslips for up to
/// 250 staff") or the size of other companies ("compulsory for companies with more than 250
/// employees", "entreprises de plus de 250 salariés").
fn about_other_companies(before: &str) -> bool {
    const LIMITS: &[&str] = &["up to", "jusqu'à", "jusqu’à", "bis zu", "hasta", "fino a", "tot maximaal"];
    const COMPANIES: &[&str] = &[
        "companies",
        "businesses",
        "firms",
        "organisations",
        "organizations",
        "employers",
        "entreprises",
        "sociétés",
        "unternehmen",
        "betriebe",
        "firmen",
        "empresas",
        "aziende",
        "imprese",
        "bedrijven",
        "organisaties",
    ];
    const LINKS: &[&str] = &["with", "of", "de", "des", "mit", "von", "con", "met", "van", "di", "da"];
    let lower = before.to_lowercase();
    let tail: String = lower.chars().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
    if LIMITS.iter().any(|w| tail.ends_with(w) || tail.trim_end().ends_with(w)) {
        return true;
    }
    // A company noun among the last five words, linked to the count: "companies with more than".
    let words: Vec<&str> = lower.split_whitespace().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
    words.windows(2).any(|pair| COMPANIES.contains(&pair[0]) && LINKS.contains(&pair[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn title_name(title: &str, url: &str) -> Option<String> {
        name_in_title(title, &Url::parse(url).unwrap())
    }

    #[test]
    fn title_loses_its_page_part() {
        assert_eq!(title_name("Kontorwerk GmbH | Impressum", "https://kontorwerk.de/impressum").as_deref(), Some("Kontorwerk GmbH"));
        assert_eq!(title_name("Home | Acme Robotics", "https://acme.example.com/").as_deref(), Some("Acme Robotics"));
        assert_eq!(title_name("Notre équipe – Atelier Lumen", "https://lumen.fr/").as_deref(), Some("Atelier Lumen"));
        assert_eq!(title_name("Brightwell – Payroll that just works", "https://brightwell.co.uk/").as_deref(), Some("Brightwell"));
        assert_eq!(title_name("Impressum", "https://x.de/"), None);
    }

    #[test]
    fn headcount_mentions_in_several_languages() {
        assert_eq!(headcount_in("We are a team of 120 employees across Europe."), Some(120));
        assert_eq!(headcount_in("Heute arbeiten über 50 Mitarbeiter:innen bei uns."), Some(50));
        assert_eq!(headcount_in("Seit 1987 – heute mit 24 Mitarbeitern in Innsbruck."), Some(24));
        assert_eq!(headcount_in("Nous sommes plus de 200 collaborateurs."), Some(200));
        assert_eq!(headcount_in("Our team: 1,200+ people in 9 offices"), Some(1200));
        assert_eq!(headcount_in("Trusted by 10,000 people and 500 customers"), None);
        assert_eq!(headcount_in("Founded in 2015 in Berlin"), None);
        assert_eq!(headcount_in("We employ 19 people across three offices."), Some(19));
        assert_eq!(headcount_in("Payslips and pensions for up to 250 staff."), None);
        assert_eq!(headcount_in("Obligatoire pour les entreprises de plus de 250 salariés."), None);
        assert_eq!(headcount_in("Required for companies with more than 500 employees; our team of 30 people helps."), Some(30));
    }
}
