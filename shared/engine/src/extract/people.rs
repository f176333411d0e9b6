//! People and their titles from team, leadership and legal-notice pages, in English, German,
//! French, Spanish, Italian, Dutch and Swedish. Three readings, merged by name:
//!
//! - markup: a name element (heading, `<strong>`, `<dt>`, `.name`, a table cell) followed by its
//!   title (the next element, the rest of its parent's text, or the wrapper's next element) — team
//!   cards, `<figure>`/`<figcaption>`, definition lists, `<li><strong>Name</strong>, Title</li>`;
//! - lines: "Name – Title", "Name, Title", "Name | Title", "Name (Title)";
//! - legal notices: "Geschäftsführer: A, B", "Vertreten durch: …", "Directeur de la publication : …".
//!
//! Precision rests on two shape checks: a name is 2–4 capitalised words with no digits and no
//! title or heading word in it, and a title holds a known role word.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use super::text::element_text;
use super::{PersonMention, PersonVia};

/// JSON-LD people first, then legal-notice lines, tables with a header row, markup, text lines,
/// neighbouring name and title lines, and sentences, one entry per name. `blocks` holds the block
/// element each of `lines` starts in, to leave out testimonials (their names are customers).
pub(super) fn find(doc: &Html, lines: &[String], blocks: &[Option<ElementRef<'_>>], jsonld: Vec<PersonMention>) -> Vec<PersonMention> {
    let mut people = Vec::new();
    let found = jsonld
        .into_iter()
        .chain(from_impressum(lines))
        .chain(from_tables(doc))
        .chain(from_markup(doc))
        .chain(from_lines(lines, blocks))
        .chain(from_neighbouring_lines(lines, blocks))
        .chain(from_sentences(lines, blocks));
    for person in found {
        merge(&mut people, person);
    }
    people
}

/// Adds `person`, or fills in the title and email of the entry already there under that name.
fn merge(people: &mut Vec<PersonMention>, person: PersonMention) {
    match people.iter_mut().find(|p| p.name.to_lowercase() == person.name.to_lowercase()) {
        Some(known) => {
            known.title = known.title.take().or(person.title);
            known.email = known.email.take().or(person.email);
        }
        None => people.push(person),
    }
}

fn mention(name: String, title: Option<String>, via: PersonVia) -> PersonMention {
    PersonMention { name, title, email: None, works_for: None, via }
}

// ---- markup ----------------------------------------------------------------------------------

/// Name elements with the title that follows them.
fn from_markup(doc: &Html) -> Vec<PersonMention> {
    static NAMES: LazyLock<Selector> =
        LazyLock::new(|| Selector::parse("h2, h3, h4, h5, h6, strong, b, dt, td, th, [class*=name], [itemprop=name]").unwrap());
    doc.select(&NAMES)
        .filter_map(|el| {
            let name = clean_name(&element_text(el))?;
            let title = title_after(el, &name)?;
            if in_testimonial(Some(el)) {
                return None;
            }
            Some(PersonMention { email: card_email(el), ..mention(name, Some(title), PersonVia::Markup) })
        })
        .collect()
}

/// The title that goes with the name in `el`: its next element, else the rest of its parent's
/// text ("<strong>Name</strong>, Title"), else, when `el` only wraps the name, the wrapper's next element.
fn title_after(el: ElementRef<'_>, name: &str) -> Option<String> {
    let next = next_element(el).map(element_text).and_then(|t| clean_title(&t));
    next.or_else(|| {
        let parent = ElementRef::wrap(el.parent()?)?;
        let rest = element_text(parent).replacen(&element_text(el), "", 1);
        clean_title(&rest).or_else(|| {
            let only_child = parent.child_elements().count() == 1 && clean_name(&element_text(parent)).as_deref() == Some(name);
            only_child.then(|| next_element(parent).map(element_text).and_then(|t| clean_title(&t))).flatten()
        })
    })
}

/// The next sibling element, skipping `<br>`.
fn next_element(el: ElementRef<'_>) -> Option<ElementRef<'_>> {
    el.next_siblings().filter_map(ElementRef::wrap).find(|e| e.value().name() != "br")
}

/// The one `mailto:` address in a small card around the name, if there is exactly one.
fn card_email(el: ElementRef<'_>) -> Option<String> {
    static MAILTO: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href^='mailto:'], a[href^='MAILTO:']").unwrap());
    let card = el.ancestors().filter_map(ElementRef::wrap).take(2).find(|a| a.select(&MAILTO).next().is_some())?;
    if element_text(card).len() > 400 {
        return None;
    }
    let mut links = card.select(&MAILTO).filter_map(|a| a.attr("href"));
    let (first, more) = (links.next()?, links.next());
    let address = first[7..].split('?').next()?;
    more.is_none().then(|| super::emails::normalize(address)).flatten()
}

// ---- lines -----------------------------------------------------------------------------------

/// "Name – Title", "Name, Title", "Name | Title", "Title – Name", "Title: Name" and "Name (Title)" lines.
fn from_lines(lines: &[String], blocks: &[Option<ElementRef<'_>>]) -> Vec<PersonMention> {
    static PARENS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(.+?)\s*\(([^)]+)\)$").unwrap());
    let pair = |left: &str, right: &str| {
        let by_name = clean_name(left).zip(clean_title(right));
        by_name.or_else(|| clean_name(right).zip(clean_title(left)))
    };
    lines
        .iter()
        .zip(blocks)
        .filter(|(line, _)| line.chars().count() <= 100)
        .filter_map(|(line, block)| {
            let split = [" – ", " — ", " - ", " | ", " · ", ", ", ": ", " : "].iter().find_map(|sep| line.split_once(sep));
            let parens = PARENS.captures(line).map(|c| (c.get(1).unwrap().as_str(), c.get(2).unwrap().as_str()));
            let found = split.and_then(|(l, r)| pair(l, r)).or_else(|| parens.and_then(|(l, r)| pair(l, r)))?;
            (!in_testimonial(*block)).then_some(found)
        })
        .map(|(name, title)| mention(name, Some(title), PersonVia::Markup))
        .collect()
}

/// A line that is only a name next to a line that is only a title, as team cards with the two in
/// separate elements render: "Dana Whitfield" / "Chief Executive Officer", or the title first.
/// The page's order is the one most names agree with, so in "Title, Name, Title, Name" the second
/// title is not taken for the first name's.
fn from_neighbouring_lines(lines: &[String], blocks: &[Option<ElementRef<'_>>]) -> Vec<PersonMention> {
    // A name line is short and starts with a capital: most lines fail that before any word is read.
    let maybe_name = |line: &str| line.len() <= 80 && line.chars().next().is_some_and(char::is_uppercase) && line.matches(' ').count() <= 7;
    let names: Vec<Option<String>> = lines.iter().map(|line| maybe_name(line).then(|| clean_name(line)).flatten()).collect();
    // Titles are read only next to a name: most lines are neither, and role words are many.
    let near_name = |i: usize| names.get(i + 1).is_some_and(Option::is_some) || i.checked_sub(1).is_some_and(|j| names[j].is_some());
    let titles: Vec<Option<String>> = (0..lines.len())
        .map(|i| (names[i].is_none() && near_name(i) && lines[i].chars().count() <= 80).then(|| clean_title(&lines[i])).flatten())
        .map(|title| title.filter(|t| !names_a_company(t)))
        .collect();
    let title_at = |i: Option<usize>| i.and_then(|i| titles.get(i)?.as_ref().map(|_| i));
    let at_names: Vec<usize> = (0..lines.len()).filter(|&i| names[i].is_some() && !in_testimonial(blocks[i])).collect();
    let after = at_names.iter().filter(|&&i| title_at(Some(i + 1)).is_some()).count();
    let before = at_names.iter().filter(|&&i| title_at(i.checked_sub(1)).is_some()).count();
    let title_first = before > after;
    let mut claimed = HashSet::new();
    let mut found = Vec::new();
    // In title-first order each name's own title is above it, so names are paired from the last up.
    let order: Vec<usize> = if title_first { at_names.iter().rev().copied().collect() } else { at_names.clone() };
    for i in order {
        let (next, previous) = (title_at(Some(i + 1)), title_at(i.checked_sub(1)));
        let choices = if title_first { [previous, next] } else { [next, previous] };
        if let Some(j) = choices.into_iter().flatten().find(|j| !claimed.contains(j)) {
            claimed.insert(j);
            found.push((i, mention(names[i].clone().unwrap(), titles[j].clone(), PersonVia::Markup)));
        }
    }
    found.sort_by_key(|(i, _)| *i);
    found.into_iter().map(|(_, person)| person).collect()
}

/// People named with their role in running text: "our CEO, Dana Whitfield, said", "unser CTO Jan
/// Berg", "Dana Whitfield, our CEO, …".
fn from_sentences(lines: &[String], blocks: &[Option<ElementRef<'_>>]) -> Vec<PersonMention> {
    const NAME: &str = r"((?:(?:Dr|Prof|Mr|Mrs|Ms|Mme|M|Herr|Frau)\.?\s+)?\p{Lu}[\p{L}'’-]+(?:\s+(?:(?:von|van|de|der|di|da|del|le|la)\s+)?\p{Lu}[\p{L}'’-]+){1,2})";
    const OUR: &str = r"(?:[Oo]ur|[Uu]nser[e]?|[Nn]otre|[Nn]uestr[oa]|[Ii]l nostro|[Ll]a nostra|[Oo]nze|[Vv]år|[Vv]årt)";
    static ROLE_THEN_NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!(r"\b{OUR}\s+((?:[\p{{L}}&-]+\s+){{0,4}}?[\p{{L}}&-]+),?\s+{NAME}")).unwrap());
    static NAME_THEN_ROLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!(r"{NAME},\s+{OUR}\s+([^,.;:()]{{2,60}}?)\s*(?:[,.;:()]|$)")).unwrap());
    // One DFA pass finds the few lines with a possessive before the patterns with captures run.
    static POSSESSIVE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)our |unser|notre |nuestr|nostr|onze |vår").unwrap());
    let mut found = Vec::new();
    for (line, block) in lines.iter().zip(blocks) {
        if !POSSESSIVE.is_match(line) || in_testimonial(*block) {
            continue;
        }
        for caps in ROLE_THEN_NAME.captures_iter(line) {
            if let Some((title, name)) = clean_title(&caps[1]).zip(clean_name(&caps[2])) {
                found.push(mention(name, Some(title), PersonVia::Markup));
            }
        }
        for caps in NAME_THEN_ROLE.captures_iter(line) {
            if let Some((name, title)) = clean_name(&caps[1]).zip(clean_title(&caps[2])) {
                found.push(mention(name, Some(title), PersonVia::Markup));
            }
        }
    }
    found
}

// ---- tables ----------------------------------------------------------------------------------

/// Tables whose header row names a name column and a title column ("Name | Email | Position"):
/// every row below is a person, whatever column order the table uses.
fn from_tables(doc: &Html) -> Vec<PersonMention> {
    static TABLES: LazyLock<Selector> = LazyLock::new(|| Selector::parse("table").unwrap());
    static ROWS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("tr").unwrap());
    static CELLS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("th, td").unwrap());
    #[rustfmt::skip]
    const NAME_HEADERS: &[&str] = &[
        "name", "full name", "nom", "nom complet", "nombre", "nome", "naam", "namn", "person", "mitarbeiter", "mitarbeiterin",
        "ansprechpartner", "contact", "kontakt",
    ];
    #[rustfmt::skip]
    const TITLE_HEADERS: &[&str] = &[
        "title", "job title", "position", "role", "funktion", "rolle", "titel", "poste", "fonction", "cargo", "puesto", "ruolo",
        "qualifica", "functie", "rol", "befattning", "roll", "titel",
    ];
    let mut found = Vec::new();
    for table in doc.select(&TABLES) {
        let mut rows = table.select(&ROWS);
        let Some(header) = rows.next() else { continue };
        let heads: Vec<String> = header.select(&CELLS).map(|c| element_text(c).to_lowercase().trim_end_matches(':').to_string()).collect();
        let column = |names: &[&str]| heads.iter().position(|h| names.contains(&h.as_str()));
        let (Some(name_col), Some(title_col)) = (column(NAME_HEADERS), column(TITLE_HEADERS)) else { continue };
        for row in rows {
            let cells: Vec<String> = row.select(&CELLS).map(element_text).collect();
            let name = cells.get(name_col).and_then(|c| clean_name(c));
            let title = cells.get(title_col).and_then(|c| header_title(c));
            if let Some(name) = name {
                found.push(mention(name, title, PersonVia::Markup));
            }
        }
    }
    found
}

/// A title in a column headed "Title": any short text without digits, role word or not ("Buchhaltung").
fn header_title(cell: &str) -> Option<String> {
    let title = super::text::collapse(cell);
    let shaped = (2..=80).contains(&title.chars().count()) && !title.chars().any(|c| c.is_ascii_digit() || c == '@');
    (shaped && clean_name(&title).is_none()).then_some(title)
}

// ---- testimonials ----------------------------------------------------------------------------

/// Whether an element sits in a testimonial, quote or review, where names are customers', not the
/// company's people: a `<blockquote>`/`<q>`/`<cite>`, a block classed as one, or a small card
/// that opens with a quotation mark.
fn in_testimonial(el: Option<ElementRef<'_>>) -> bool {
    #[rustfmt::skip]
    const MARKERS: &[&str] = &[
        "testimonial", "quote", "review", "kundenstimme", "stimme", "temoignage", "témoignage", "testimonio", "opinion", "avis",
        "recensione", "referenz",
    ];
    let Some(el) = el else { return false };
    let chain = std::iter::once(el).chain(el.ancestors().filter_map(ElementRef::wrap)).take(6);
    for (depth, ancestor) in chain.enumerate() {
        let element = ancestor.value();
        if matches!(element.name(), "blockquote" | "q" | "cite") {
            return true;
        }
        let labels = [element.attr("class"), element.attr("id")].into_iter().flatten().collect::<Vec<_>>().join(" ").to_lowercase();
        if MARKERS.iter().any(|m| labels.contains(m)) {
            return true;
        }
        if depth <= 3 && opens_with_quotation(ancestor) {
            return true;
        }
    }
    false
}

/// Whether a small card (under 600 bytes of text) opens with a quotation mark. Reads at most that
/// much text: the walk up from a name reaches large sections whose whole text is not needed.
fn opens_with_quotation(card: ElementRef<'_>) -> bool {
    let mut seen = 0;
    let mut first = None;
    for chunk in card.text() {
        if first.is_none() {
            first = chunk.trim_start().chars().next();
        }
        seen += chunk.len();
        if seen >= 600 {
            return false;
        }
    }
    first.is_some_and(|c| "“\"«„‘»".contains(c))
}

/// Whether a title names another company ("Director, Acme Widgets Ltd", "Operations Manager at
/// Fernway"): testimonials and press quotes sign that way. Only the loosest reading (a name line
/// next to a title line, with no markup to go by) asks it: a board list's "Partner at Foundry
/// Ridge Capital" is a real title.
fn names_a_company(title: &str) -> bool {
    static AT_COMPANY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?:^|\s)(?:at|@|bei|chez|presso)\s+\p{Lu}").unwrap());
    const FORMS: &[&str] = &["ltd", "gmbh", "inc", "llc", "plc", "sas", "sarl", "srl", "spa", "bv", "ag", "corp", "pty", "s.l", "oy", "ab"];
    AT_COMPANY.is_match(title)
        || title.split(|c: char| c.is_whitespace() || c == ',').any(|w| FORMS.contains(&w.trim_end_matches('.').to_lowercase().as_str()))
}

// ---- legal notices ---------------------------------------------------------------------------

/// Legal-notice labels and the names after them, on the same line or the lines below.
fn from_impressum(lines: &[String]) -> Vec<PersonMention> {
    static LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^(geschäftsführende[rn]? gesellschafter(?:in)?|vertretungsberechtigte[rn]? geschäftsführer(?:in)?|geschäftsführer(?:in)?|geschäftsführung|vertreten durch|vertretungsberechtigt(?:e[rn]?)?|inhaber(?:in)?|vorstandsvorsitzende[r]?|vorstand|verantwortlich[^:]{0,60}|v\.i\.s\.d\.p\.?|managing directors?|directeur de (?:la )?publication|directrice de (?:la )?publication|responsable de (?:la )?publication|gérante?|présidente?|amministratore unico|legale rappresentante|administrador(?:a)? único|representante legal|bestuurder|verkställande direktör)\s*:\s*(.*)$",
        )
        .unwrap()
    });
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(caps) = LABEL.captures(line) else { continue };
        let label_title = title_of_label(&caps[1]);
        let rest = caps[2].trim();
        // A label alone on its line ("Vertreten durch:") names people on the lines below.
        let text = if rest.is_empty() {
            lines[i + 1..]
                .iter()
                .take(3)
                .take_while(|l| !LABEL.is_match(l) && !names_in(l).is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            rest.to_string()
        };
        for (name, title) in names_in(&text) {
            found.push(mention(name, title.or_else(|| label_title.clone()), PersonVia::Impressum));
        }
    }
    found
}

/// The title a legal-notice label gives the people after it, as written ("Geschäftsführung",
/// "Directrice de la publication"); "Vertreten durch" and "Verantwortlich" say who, not which role.
fn title_of_label(label: &str) -> Option<String> {
    let lower = label.to_lowercase();
    if lower.starts_with("vertret") || lower.starts_with("verantwortlich") || lower.starts_with("v.i.s.d.p") {
        return None;
    }
    let singular = label.strip_suffix("directors").map(|s| format!("{s}director")).unwrap_or_else(|| label.to_string());
    let mut chars = singular.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect())
}

/// The names in a legal-notice value ("Dr. Max Mustermann (CEO), Erika Musterfrau und Jan Beispiel"),
/// each with its own title where one is attached in parentheses or after a comma.
fn names_in(value: &str) -> Vec<(String, Option<String>)> {
    static SPLIT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\s*(?:[,;/&]|\bund\b|\band\b|\bet\b|\by\b|\be\b|\ben\b|\boch\b)\s*").unwrap());
    static PARENS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(.+?)\s*\(([^)]+)\)\s*$").unwrap());
    static ROLE_PREFIX: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^(?:den|die|der|durch)?\s*(?:geschäftsführer(?:in)?|vorstand|inhaber(?:in)?)\s+").unwrap());
    let mut names: Vec<(String, Option<String>)> = Vec::new();
    for part in SPLIT.split(value).map(str::trim).filter(|p| !p.is_empty()) {
        let (raw, title) = match PARENS.captures(part) {
            Some(c) => (c.get(1).unwrap().as_str().to_string(), clean_title(&c[2])),
            None => (part.to_string(), None),
        };
        let raw = ROLE_PREFIX.replace(&raw, "").into_owned();
        match (clean_name(&raw), names.last_mut()) {
            (Some(name), _) => names.push((name, title)),
            // "Max Mustermann, Geschäftsführer": a title after a comma belongs to the name before it.
            (None, Some((_, last_title @ None))) => *last_title = clean_title(&raw),
            _ => {}
        }
    }
    names
}

// ---- shapes ----------------------------------------------------------------------------------

/// Honorifics and degrees that precede names and are not part of them.
#[rustfmt::skip]
const HONORIFICS: &[&str] = &[
    "dr.", "dr", "prof.", "prof", "mr.", "mr", "mrs.", "mrs", "ms.", "ms", "mme", "mlle", "m.", "herr", "frau", "sr.", "sra.", "dott.",
    "dott.ssa", "ing.", "dipl.-ing.", "dipl.-kfm.", "dipl.-inf.", "mag.", "ir.", "drs.", "dr.-ing.", "med.", "rer.", "nat.", "mba",
];

/// Lowercase particles inside names ("Ursula von der Leyen", "Luca di Montezemolo").
const PARTICLES: &[&str] = &[
    "von", "van", "der", "den", "de", "di", "da", "du", "del", "della", "la", "le", "zu", "ter", "ten", "af", "y", "dos", "das", "do",
    "vom", "zum",
];

/// Capitalised words that appear in headings and cards but are never part of a person's name.
#[rustfmt::skip]
const NOT_NAME: &[&str] = &[
    "our", "the", "a", "an", "and", "und", "et", "of", "for", "with", "to", "in", "at", "by", "on", "we", "you", "your", "us", "about",
    "contact", "team", "teams", "leadership", "management", "board", "advisory", "advisors", "investors", "partners", "customers",
    "clients", "careers", "career", "jobs", "job", "open", "positions", "roles", "apply", "now", "join", "meet", "hello", "welcome", "news",
    "blog", "press", "events", "privacy", "policy", "terms", "imprint", "impressum", "legal", "cookie", "cookies", "home", "services",
    "service", "solutions", "products", "product", "pricing", "features", "platform", "company", "office", "offices", "headquarters",
    "location", "locations", "address", "phone", "email", "e-mail", "mail", "support", "sales", "marketing", "engineering", "operations",
    "finance", "people", "culture", "values", "mission", "vision", "story", "history", "approach", "process", "work", "case", "studies",
    "resources", "docs", "download", "get", "started", "touch", "learn", "more", "read", "view", "see", "all", "full", "time", "part",
    "remote", "hybrid", "senior", "junior", "stack", "data", "cloud", "software", "digital", "web", "mobile", "app", "api", "source",
    "free", "trial", "demo", "request", "book", "call", "schedule", "newsletter", "subscribe", "follow", "share", "connect", "linkedin",
    "twitter", "github", "facebook", "instagram", "youtube", "xing", "gmbh", "ag", "kg", "ug", "mbh", "inc", "inc.", "llc", "ltd", "ltd.",
    "limited", "plc", "corp", "corporation", "co", "sa", "sas", "sarl", "sl", "s.l.", "srl", "s.r.l.", "spa", "bv", "b.v.", "nv", "ab",
    "oy", "aps", "pty", "group", "holding", "international", "global", "europe", "north", "south", "east", "west", "america", "street",
    "road", "avenue", "str.", "straße", "strasse", "rue", "calle", "via", "platz", "weg", "allee", "kontakt", "über", "uns", "unser",
    "unsere", "mitarbeiter", "karriere", "stellenangebote", "leistungen", "referenzen", "standort", "anfahrt", "datenschutz", "nous",
    "notre", "nos", "équipe", "equipe", "accueil", "mentions", "légales", "contactez", "carrières", "recrutement", "nuestro", "nuestra",
    "equipo", "contacto", "quiénes", "somos", "sobre", "chi", "siamo", "il", "nostro", "contatti", "lavora", "con", "ons", "over",
    "vacatures", "om", "oss", "kontakta", "lediga", "tjänster", "customer", "success", "stories", "award", "awards", "certified", "lorem",
    "ipsum", "dolor", "monday", "friday", "berlin", "paris", "london", "munich", "münchen", "hamburg", "madrid", "barcelona", "milano",
    "milan", "rome", "roma", "amsterdam", "stockholm", "toronto", "sydney", "melbourne", "york", "san", "francisco", "chicago", "boston",
    "dublin", "wien", "vienna", "zürich", "lyon", "new", "st.", "saint", "copyright", "all", "rights", "reserved", "tel.", "fax", "telefon",
    "website", "registergericht", "amtsgericht", "handelsregister", "umsatzsteuer", "haftung", "inhalte", "links", "urheberrecht",
    "security", "compliance", "industries", "industry", "partner", "program", "community", "events", "webinar", "podcast", "faq", "help",
    "status", "offene", "stellen", "personen", "persons", "kontaktpersonen", "ansprechpartner", "vertretungsberechtigte",
];

/// Whether a lowercase word is in [`NOT_NAME`], by hash: every capitalised word of every line is checked.
fn not_name(word: &str) -> bool {
    static SET: LazyLock<HashSet<&str>> = LazyLock::new(|| NOT_NAME.iter().copied().collect());
    SET.contains(word)
}

/// A person's name without honorifics, if `raw` looks like one: 2–4 capitalised words (plus
/// particles), letters only, no heading or title word.
pub(super) fn clean_name(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_matches(|c: char| ",:;–—-|·".contains(c) || c.is_whitespace());
    let raw = without_postnominals(raw);
    let mut words: Vec<&str> = raw.split_whitespace().collect();
    while words.first().is_some_and(|w| HONORIFICS.contains(&w.to_lowercase().as_str())) {
        words.remove(0);
    }
    let core: Vec<&str> = words.iter().copied().filter(|w| !PARTICLES.contains(w)).collect();
    let shaped = (2..=4).contains(&core.len())
        && words.len() <= 6
        && !PARTICLES.contains(words.first()?)
        && core.iter().all(|w| name_word(w))
        && core.iter().any(|w| w.chars().skip(1).any(char::is_lowercase))
        && !core.iter().any(|w| {
            let lower = w.to_lowercase();
            not_name(&lower) || is_role_word(&lower)
        });
    let name = words.join(" ");
    (shaped && name.chars().count() <= 50).then_some(name)
}

/// Degrees and post-nominal letters after a name ("Miguel Ortiz, DDS", "Anna Berg PhD") are not part of it.
fn without_postnominals(raw: &str) -> &str {
    #[rustfmt::skip]
    const POSTNOMINALS: &[&str] = &[
        "dds", "dmd", "md", "phd", "ph.d.", "mba", "cpa", "msc", "m.sc.", "bsc", "rn", "esq", "esq.", "jd", "cfa", "llm", "ll.m.",
        "dpt", "jr.", "jr", "sr.",
    ];
    let mut rest = raw;
    loop {
        let trimmed = rest.trim_end_matches([',', ' ']);
        let Some((head, last)) = trimmed.rsplit_once([' ', ',']) else { return rest };
        if !POSTNOMINALS.contains(&last.to_lowercase().as_str()) {
            return trimmed;
        }
        rest = head;
    }
}

/// One capitalised name word: "Anna", "Müller-Lüdenscheidt", "O'Brien", "J.", "DUPONT".
fn name_word(word: &str) -> bool {
    let mut chars = word.chars();
    let first_ok = chars.next().is_some_and(char::is_uppercase);
    let initial = word.chars().count() == 2 && word.ends_with('.');
    first_ok && (initial || word.chars().all(|c| c.is_alphabetic() || "-'’".contains(c))) && word.chars().count() <= 24
}

/// A job title, if `raw` looks like one: short, no digits or addresses, holding a role word.
pub(super) fn clean_title(raw: &str) -> Option<String> {
    let title = super::text::collapse(raw.trim().trim_matches(|c: char| ",:;–—-|·()".contains(c) || c.is_whitespace()));
    let title = title.trim_end_matches('.').to_string();
    let words: Vec<String> =
        title.split(|c: char| !c.is_alphanumeric() && c != '-').filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    // A title is a noun phrase: a pronoun makes it a sentence ("Hand-finished in our partner
    // lab"), a colon a label and its value ("Geschäftsführung: Reto Kaltbach").
    #[rustfmt::skip]
    const PRONOUNS: &[&str] = &[
        "our", "your", "we", "you", "us", "their", "my", "unser", "unsere", "ihr", "ihre", "wir", "notre", "nos", "votre", "vos", "nous",
        "nuestro", "nuestra", "nuestros", "nosotros", "nostro", "nostra", "onze", "jullie", "wij", "vår", "vårt", "våra", "vi",
    ];
    let shaped = (2..=80).contains(&title.chars().count())
        && (1..=10).contains(&words.len())
        && !title.chars().any(|c| c.is_ascii_digit() || c == '@' || c == ':')
        && !title.contains(". ")
        && !words.iter().any(|w| PRONOUNS.contains(&w.as_str()));
    let has_role = words.iter().enumerate().any(|(i, w)| is_role_word(w) && (w != "head" || words.len() > i + 1));
    (shaped && has_role && clean_name(&title).is_none()).then_some(title)
}

/// Role words matched exactly (abbreviations, short words that would match too much as stems).
#[rustfmt::skip]
const ROLE_WORDS: &[&str] = &[
    "ceo", "cto", "cfo", "coo", "cmo", "cpo", "cro", "cio", "ciso", "cso", "vp", "svp", "evp", "md", "vd", "gm", "head", "lead", "chair",
    "chef", "cheffe", "owner", "partner", "president", "principal", "intern", "associate", "counsel", "editor", "socio", "socia", "jefe",
    "jefa", "agent", "writer", "hoofd", "ägare", "titolare", "gerente", "inhaber", "inhaberin", "vorstand", "prokurist", "prokuristin",
];

/// Role word stems ("engineer" covers "engineering manager", "direct" covers "directeur").
#[rustfmt::skip]
const ROLE_STEMS: &[&str] = &[
    "co-found", "cofound", "found", "direct", "diret", "manag", "engineer", "ingenieur", "ingénieur", "ingeniero", "ingegner", "develop",
    "développ", "desarroll", "entwickl", "ontwikkel", "utvecklar", "sviluppat", "designer", "architect", "architekt", "architett",
    "scientist", "analyst", "consultant", "berater", "advis", "officer", "executive", "présid", "presid", "chairm", "chairw", "vorsitz",
    "vorständ", "geschäftsführ", "gründer", "mitgründer", "leiter", "fondat", "cofondat", "co-fondat", "gérant", "responsab", "fundador",
    "cofundador", "consejer", "amministrat", "oprichter", "medeoprichter", "eigenaar", "bestuur", "grundare", "medgrundare", "ordförande",
    "specialist", "spezialist", "coordinat", "koordinat", "secretar", "treasur", "accountant", "recruit", "associé", "chargé", "strateg",
    "research", "forscher", "professor", "lawyer", "anwält", "anwalt", "attorney", "controller", "buchhalt", "assistent", "assistant",
    "representative", "evangelist", "marketer", "technician", "techniker", "operator", "commercial", "vertriebs", "referent",
    "sachbearbeit", "projektleit", "teamleit", "administrat", "producer", "product owner", "scrum", "programmer", "programmier",
    "stagiaire", "praktikant", "werkstudent", "trainee", "lehrling", "auszubild", "azubi", "apprenti", "volontär", "dentist",
    "orthodont", "hygienist", "physician", "surgeon", "nurse", "therapist", "pharmacist", "clinician", "verwaltungsrat", "dessinat",
    "comptable", "avocat", "notaire", "notar", "steuerberater", "treuhänder", "kauffrau", "kaufmann", "lernende", "polier",
    "joiner", "carpenter", "electrician", "plumber", "telaist", "functionaris", "délégué", "teamleid",
];

/// Role words inside compounds (German "Softwareentwickler", Swedish "Ekonomichef").
#[rustfmt::skip]
const ROLE_INFIXES: &[&str] = &[
    "entwickler", "leiter", "manager", "berater", "ingenieur", "designer", "architekt", "referent", "assistent", "führer", "gründer",
    "chef", "präsident", "vorsitzende", "bearbeiter",
];

fn is_role_word(word: &str) -> bool {
    ROLE_WORDS.contains(&word)
        || ROLE_STEMS.iter().any(|stem| word.starts_with(stem))
        || ROLE_INFIXES.iter().any(|infix| word.contains(infix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(html: &str) -> Vec<(String, Option<String>)> {
        let doc = Html::parse_document(html);
        let (lines, blocks) = super::super::text::visible_lines_with_blocks(&doc);
        find(&doc, &lines, &blocks, Vec::new()).into_iter().map(|p| (p.name, p.title)).collect()
    }

    fn pair(name: &str, title: &str) -> (String, Option<String>) {
        (name.to_string(), Some(title.to_string()))
    }

    #[test]
    fn names_and_titles_have_shapes() {
        assert_eq!(clean_name("Dr. Anna Schmidt").as_deref(), Some("Anna Schmidt"));
        assert_eq!(clean_name("Ursula von der Leyen").as_deref(), Some("Ursula von der Leyen"));
        assert_eq!(clean_name("Jean DUPONT").as_deref(), Some("Jean DUPONT"));
        assert_eq!(clean_name("Seán O'Brien").as_deref(), Some("Seán O'Brien"));
        assert_eq!(clean_name("Dr. Miguel Ortiz, DDS").as_deref(), Some("Miguel Ortiz"));
        assert_eq!(clean_name("Anna Berg PhD").as_deref(), Some("Anna Berg"));
        for not_a_name in
            ["Our Team", "Managing Director", "Open Positions", "Senior Backend Engineer", "Anna", "Team 2024", "ACME GMBH", "New York"]
        {
            assert_eq!(clean_name(not_a_name), None, "{not_a_name}");
        }
        assert_eq!(clean_title("Chief Technology Officer").as_deref(), Some("Chief Technology Officer"));
        assert_eq!(clean_title("Directrice commerciale").as_deref(), Some("Directrice commerciale"));
        assert_eq!(clean_title("Head Office"), Some("Head Office".into()), "head with a following word is a role");
        assert_eq!(clean_title("Head"), None);
        assert_eq!(clean_title("Leads the team since 2019. Before that she built things."), None);
        assert_eq!(clean_title("Berlin, Germany"), None);
    }

    #[test]
    fn team_cards_figures_lists_and_tables() {
        let html = "<div class='team-member'><img src='a.jpg'><h3>Jane Cooper</h3><p>Chief Executive Officer</p><p>Jane founded us in 2015.</p></div>\
            <figure><img src='b.jpg'><figcaption><strong>Marc Lefèvre</strong><br>Directeur technique</figcaption></figure>\
            <dl><dt>Sofia Rossi</dt><dd>Responsabile vendite</dd></dl>\
            <ul><li><strong>Lars Eriksson</strong>, Medgrundare och VD</li></ul>\
            <table><tr><td>Eva de Vries</td><td>Hoofd Marketing</td></tr></table>\
            <div class='name-wrap'><h4>Tom Baker</h4></div><span>VP Sales</span>";
        assert_eq!(
            people(html),
            [
                pair("Jane Cooper", "Chief Executive Officer"),
                pair("Marc Lefèvre", "Directeur technique"),
                pair("Sofia Rossi", "Responsabile vendite"),
                pair("Lars Eriksson", "Medgrundare och VD"),
                pair("Eva de Vries", "Hoofd Marketing"),
                pair("Tom Baker", "VP Sales"),
            ]
        );
    }

    #[test]
    fn lines_with_separators() {
        let html = "<p>Priya Natarajan – Head of Engineering</p><p>CFO | Daniel Okafor</p><p>Grace Liu (Product Designer)</p>\
                    <p>Berlin – Head Office</p><p>Cloud Sync Pro – Lead the way</p>";
        assert_eq!(
            people(html),
            [pair("Priya Natarajan", "Head of Engineering"), pair("Daniel Okafor", "CFO"), pair("Grace Liu", "Product Designer")]
        );
    }

    #[test]
    fn names_and_titles_in_separate_elements_tables_and_sentences() {
        let html =
            "<div class='card'><div><span class='person'>Marcus Oyelaran</span></div><div><span>Head of Operations</span></div></div>\
            <div class='member'><p>Priya Raman</p><p>VP Engineering</p></div>\
            <table><thead><tr><th>Name</th><th>Email</th><th>Position</th></tr></thead>\
            <tr><td>Helen Marsh</td><td>h@x.com</td><td>Buchhaltung</td></tr></table>\
            <ul><li>Chief Technology Officer: Lena Fischer</li></ul>\
            <p>Last year our CEO, Dana Whitfield, said the team would double. Ian Brooks, our CTO, agreed.</p>";
        assert_eq!(
            people(html),
            [
                pair("Helen Marsh", "Buchhaltung"),
                pair("Lena Fischer", "Chief Technology Officer"),
                pair("Marcus Oyelaran", "Head of Operations"),
                pair("Priya Raman", "VP Engineering"),
                pair("Dana Whitfield", "CEO"),
                pair("Ian Brooks", "CTO"),
            ]
        );
    }

    #[test]
    fn titles_before_names_pair_with_the_name_below() {
        let html = "<div><p>Managing Director</p><p>Anna Lindqvist</p><p>Head of Sales</p><p>Erik Holm</p></div>";
        assert_eq!(people(html), [pair("Anna Lindqvist", "Managing Director"), pair("Erik Holm", "Head of Sales")]);
    }

    #[test]
    fn testimonials_are_customers_not_people() {
        let html = "<blockquote>Brilliant service. <cite>Karen Holt, Operations Manager</cite></blockquote>\
            <div class='testimonial'><p><strong>Michael Grant</strong></p><p>Director</p></div>\
            <div><p>“They transformed our data.”</p><p>Nadia Farouk</p><p>Head of Data, Fernway Logistics Ltd</p></div>";
        assert!(people(html).is_empty(), "{:?}", people(html));
    }

    #[test]
    fn impressum_lines() {
        let html = "<p>Geschäftsführer: Dr. Max Mustermann, Erika Musterfrau</p>\
                    <p>Vertreten durch:<br>Jan Beispiel (Vorstand)<br>Registergericht: Amtsgericht Charlottenburg</p>\
                    <p>Verantwortlich für den Inhalt nach § 55 Abs. 2 RStV: Lena Vogel, Hauptstraße 1, 10115 Berlin</p>\
                    <p>Directeur de la publication : Claire Moreau</p>";
        assert_eq!(
            people(html),
            [
                pair("Max Mustermann", "Geschäftsführer"),
                pair("Erika Musterfrau", "Geschäftsführer"),
                pair("Jan Beispiel", "Vorstand"),
                ("Lena Vogel".to_string(), None),
                pair("Claire Moreau", "Directeur de la publication"),
            ]
        );
    }

    #[test]
    fn headings_and_products_are_not_people() {
        let html = "<h2>Our Leadership</h2><p>Meet the team</p><h3>Senior Backend Engineer</h3><p>Berlin · Full-time</p>\
                    <h3>Data Platform</h3><p>Lead the way with fast pipelines and great tooling for every engineering team.</p>\
                    <h3>Open Positions</h3><p>Engineering Manager</p>";
        assert!(people(html).is_empty(), "{:?}", people(html));
    }
}
