//! Job postings written as markup: the cards and list items of a careers page ("Open roles",
//! "Offene Stellen", "Vacatures"), for sites that publish no schema.org `JobPosting`.
//!
//! A careers page marks its listings up as repeated items whose class or id names them (`job`,
//! `vacancy`, `opening`, `offre`, `stelle`, `annuncio`, …), each with the job's title as its
//! heading. So a posting is the one heading of such an item (or of a list item in a list so
//! named). A heading that is one of several in the named element ("Open roles" above three job
//! cards) is a section title, not a job, and is left out.

use scraper::{ElementRef, Html, Selector};
use std::sync::LazyLock;

use super::text::element_text;
use super::JobPosting;

/// Class and id words that name job listings, in the supported languages.
const LISTING_WORDS: &[&str] = &[
    "job",
    "jobs",
    "vacancy",
    "vacancies",
    "opening",
    "openings",
    "position",
    "positions",
    "posting",
    "postings",
    "offre",
    "offres",
    "poste",
    "postes",
    "emploi",
    "emplois",
    "stelle",
    "stellen",
    "stellenangebot",
    "stellenangebote",
    "vacature",
    "vacatures",
    "annuncio",
    "annunci",
    "offerta",
    "offerte",
    "vacante",
    "vacantes",
    "oferta",
    "ofertas",
];

/// Longest title kept: a heading longer than this is a sentence, not a job title.
const MAX_TITLE_CHARS: usize = 120;

/// How far above a heading its listing item may be (a card's heading may sit in a link or a
/// header element of the card).
const MAX_DEPTH: usize = 4;

static HEADINGS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("h2, h3, h4, h5").expect("heading selector"));

/// Whether an element's class or id names job listings (`job-card`, `vacancy`, `offres_emploi`);
/// a class naming a job *title* (`job-title`, a team card's subtitle) does not.
fn names_listings(el: ElementRef<'_>) -> bool {
    let attrs = [el.value().attr("class"), el.value().attr("id")];
    attrs.into_iter().flatten().flat_map(str::split_whitespace).any(|name| {
        let name = name.to_ascii_lowercase();
        let words: Vec<&str> = name.split(['-', '_']).collect();
        !words.iter().any(|w| matches!(*w, "title" | "titel" | "titre")) && words.iter().any(|w| LISTING_WORDS.contains(w))
    })
}

/// The listing item a heading belongs to: the nearest ancestor whose class names listings, or a
/// list item of a list so named.
fn listing_item(heading: ElementRef<'_>) -> Option<ElementRef<'_>> {
    heading
        .ancestors()
        .filter_map(ElementRef::wrap)
        .take(MAX_DEPTH)
        .find(|el| names_listings(*el) || (el.value().name() == "li" && el.parent().and_then(ElementRef::wrap).is_some_and(names_listings)))
}

/// The job postings of the page's markup, in page order, each title once.
pub(super) fn from_markup(doc: &Html) -> Vec<JobPosting> {
    let mut found: Vec<JobPosting> = Vec::new();
    for heading in doc.select(&HEADINGS) {
        let Some(item) = listing_item(heading) else { continue };
        if item.select(&HEADINGS).count() != 1 {
            continue;
        }
        let title = element_text(heading);
        let plausible = title.chars().any(char::is_alphabetic) && title.chars().count() <= MAX_TITLE_CHARS;
        if plausible && !found.iter().any(|j| j.title == title) {
            found.push(JobPosting { title, date_posted: None, location: None });
        }
    }
    found
}

/// The JSON-LD postings, then the markup's postings no JSON-LD posting already names.
pub(super) fn merge(mut jsonld: Vec<JobPosting>, markup: Vec<JobPosting>) -> Vec<JobPosting> {
    for job in markup {
        if !jsonld.iter().any(|j| j.title.eq_ignore_ascii_case(&job.title)) {
            jsonld.push(job);
        }
    }
    jsonld
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(html: &str) -> Vec<String> {
        from_markup(&Html::parse_document(html)).into_iter().map(|j| j.title).collect()
    }

    #[test]
    fn cards_and_list_items_of_named_listings_are_postings() {
        let cards = "<section class='openings'><h2>Open roles</h2>\
            <article class='job'><h3>Staff Data Engineer</h3><p>Remote</p></article>\
            <article class='job'><h3><a href='#p'>Product Designer</a></h3></article></section>";
        assert_eq!(titles(cards), ["Staff Data Engineer", "Product Designer"], "the section title is not a job");
        let list = "<ul class='stellen'><li><h2>Schreiner/in Montage (100 %)</h2><p>Zürich</p></li></ul>";
        assert_eq!(titles(list), ["Schreiner/in Montage (100 %)"]);
    }

    #[test]
    fn team_cards_and_unnamed_headings_are_not_postings() {
        let team = "<div class='person'><h4>Charlotte Evans</h4><span class='job-title'>CEO</span></div>\
            <div class='team-member job-title'><h3>Rajesh Mehta</h3></div><h2>Careers</h2><div><h3>Why us</h3></div>";
        assert!(titles(team).is_empty(), "{:?}", titles(team));
    }

    #[test]
    fn json_ld_postings_come_first_and_are_not_repeated() {
        let ld = vec![JobPosting { title: "Payroll Manager".into(), date_posted: Some("2024-01-01".into()), location: None }];
        let markup = vec![
            JobPosting { title: "payroll manager".into(), date_posted: None, location: None },
            JobPosting { title: "Trainee Bookkeeper".into(), date_posted: None, location: None },
        ];
        let merged = merge(ld, markup);
        assert_eq!(merged.iter().map(|j| j.title.as_str()).collect::<Vec<_>>(), ["Payroll Manager", "Trainee Bookkeeper"]);
        assert_eq!(merged[0].date_posted.as_deref(), Some("2024-01-01"));
    }
}
