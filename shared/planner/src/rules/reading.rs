//! Reading one turn: which items it mentions, and for each whether it adds, replaces or removes.
//!
//! Readers run in a fixed order and claim the tokens they use, from the most specific to the most
//! general, so "Head of Data" is a role before "data" could be anything else, "20+ engineers" is a
//! department size before "engineers" could be a role, and "hiring Staff Engineers" is a signal
//! rather than a person to find.

use super::super::{DepartmentHeadcount, EnrichDimension, FundingStage, HeadcountRange, OutputFormat, Role, Signal, SignalKind};
use super::numbers::{self, Quantity, Window};
use super::open;
use super::roles;
use super::text::{Kind, Tokens};
use super::vocab;

/// One thing a turn says about the request.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Item {
    /// A slug of the vocabulary, or an open industry's phrase as a slug (`retail_banks`).
    Industry(String),
    Country(&'static str),
    /// A state or province, by ISO 3166-2 code (`US-TX`).
    Region(&'static str),
    City(&'static str),
    Stage(FundingStage),
    CompanyHeadcount(HeadcountRange),
    DepartmentHeadcount(DepartmentHeadcount),
    Role(Role),
    Skill(&'static str),
    Technology(&'static str),
    Signal(Signal),
    MaxRows(u32),
    MaxCredits(u64),
    Format(OutputFormat),
    Source(&'static str),
    Enrich(EnrichDimension),
    VerifyEmails,
    DropMostExpensiveStep,
}

/// How an item changes what came before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// "now only Germany", "instead Series B", or a plain mention in a refinement: the field becomes this.
    Replace,
    /// "add the CTO", "also Spain", "Germany too".
    Add,
    /// "without the CTO", "skip Crunchbase", "drop the email verification".
    Remove,
}

/// What one turn says.
#[derive(Clone, Debug, Default)]
pub(super) struct TurnReading {
    /// Items with their mode, in the order they appear.
    pub items: Vec<(Item, Mode)>,
    /// The turn opens or is marked like a change to an earlier request ("now…", "add…", "…instead").
    pub refinement_marked: bool,
    /// The whole turn is a greeting or probe ("hello", "test").
    pub greeting: bool,
    /// The turn speaks of an attached list ("the attached CSV").
    pub mentions_attachment: bool,
    /// What no reader read, small words aside, as written and in order ("remote-first", "Portland").
    pub unread: Vec<String>,
}

impl TurnReading {
    /// Whether the turn names who to look for by itself: an industry or a person to find.
    pub fn names_subject(&self) -> bool {
        self.items.iter().any(|(item, mode)| *mode != Mode::Remove && matches!(item, Item::Industry(_) | Item::Role(_)))
    }
}

/// Reads one turn's text.
pub(super) fn read_turn(text: &str) -> TurnReading {
    let mut reader = Reader { tokens: Tokens::new(text), mentions: Vec::new(), mentions_attachment: false };
    reader.read_all();
    reader.finish()
}

struct Reader {
    tokens: Tokens,
    /// Items with the index of their first token.
    mentions: Vec<(Item, usize)>,
    mentions_attachment: bool,
}

/// Phrases that speak of an attachment; claimed so "seed" and "csv" in them are not read as a
/// funding stage or an output format.
const ATTACHMENT_PHRASES: &[&str] = &[
    "attached csv",
    "attached file",
    "attached list",
    "attached spreadsheet",
    "attached sheet",
    "attached urls",
    "attached url list",
    "attached",
    "attachment",
    "uploaded csv",
    "uploaded list",
    "uploaded",
    "csv attached",
    "list attached",
    "seed list",
    "seed csv",
    "seed file",
    "angehangte",
    "angehangten",
    "angehangte csv",
    "ci joint",
    "fichier joint",
    "adjunto",
    "csv adjunto",
];
/// Phrases that may or may not mean an attachment ("the CSV"); claimed, but not taken as a reference.
const LIST_PHRASES: &[&str] =
    &["the csv", "this csv", "that csv", "my csv", "our csv", "url list", "these urls", "the urls", "list of urls"];

const HIRING_MARKERS: &[&str] = &[
    "hiring",
    "is hiring",
    "are hiring",
    "actively hiring",
    "recruiting",
    "recruit",
    "hire",
    "hires",
    "to hire",
    "looking to hire",
    "open jd",
    "open jds",
    "jd",
    "jds",
    "open job",
    "open jobs",
    "open role",
    "open roles",
    "open position",
    "open positions",
    "open req",
    "open reqs",
    "job posting",
    "job postings",
    "job post",
    "job ad",
    "job ads",
    "job opening",
    "job openings",
    "openings",
    "vacancy",
    "vacancies",
    "contratando",
    "recrutent",
    "recrute",
    "recrutant",
    "recrutement",
    "einstellen",
    "stellt",
    "sucht",
    "suchen",
    "stellenanzeige",
    "stellenanzeigen",
    "offre d emploi",
    "offres d emploi",
    "ofertas de empleo",
];

/// Small words allowed between a marker and what it governs ("hiring for a Head of Marketing").
const FILLERS: &[&str] = &[
    "the", "a", "an", "any", "all", "some", "our", "their", "for", "of", "to", "in", "at", "from", "with", "it", "them", "need", "more",
    "new", "based", "located", "me", "please", "le", "la", "les", "l", "der", "die", "das", "den", "dem", "el", "los", "las", "en", "de",
    "des", "du", "d", "aus", "mit", "con", "avec", "un", "une", "unos", "einen", "eine", "ein", "senior",
];
const CONJUNCTIONS: &[&str] =
    &["and", "or", "nor", "und", "oder", "et", "ou", "y", "o", "plus", "as well as", ",", "/", "&", "but", "aber", "mais", "pero"];

const REPLACE_WORDS: &[&str] = &[
    "only",
    "just",
    "instead",
    "now",
    "switch to",
    "change to",
    "change it to",
    "rather",
    "make it",
    "set",
    "exclusively",
    "keep only",
    "nur",
    "stattdessen",
    "jetzt",
    "nun",
    "seulement",
    "uniquement",
    "plutot",
    "maintenant",
    "exclusivement",
    "solo",
    "solamente",
    "unicamente",
    "ahora",
    "en cambio",
];
const ADD_WORDS: &[&str] = &[
    "add",
    "also",
    "plus",
    "include",
    "including",
    "as well as",
    "additionally",
    "and also",
    "auch",
    "zusatzlich",
    "dazu",
    "aussi",
    "ajoute",
    "ajouter",
    "ajoutez",
    "egalement",
    "tambien",
    "anade",
    "anadir",
    "agrega",
    "agregar",
    "incluye",
];
const REMOVE_WORDS: &[&str] = &[
    "drop",
    "remove",
    "without",
    "exclude",
    "excluding",
    "except",
    "skip",
    "no",
    "not",
    "minus",
    "leave out",
    "get rid of",
    "don t",
    "do not",
    "dont",
    "never",
    "avoid",
    "ignore",
    "turn off",
    "disable",
    "ohne",
    "keine",
    "kein",
    "keinen",
    "nicht",
    "ausser",
    "entferne",
    "streiche",
    "sans",
    "pas de",
    "sauf",
    "hors",
    "exclure",
    "retire",
    "enleve",
    "supprime",
    "sin",
    "excepto",
    "quita",
    "quitar",
    "elimina",
];
/// Words anywhere in a turn that make its unmarked items add rather than replace ("Germany too").
const TRAILING_ADD: &[&str] = &["too", "as well", "also", "additionally", "auch", "aussi", "egalement", "tambien"];
/// Words that, opening a turn, mark it as a change to the previous request.
const REFINEMENT_OPENERS: &[&str] = &[
    "and",
    "but",
    "make",
    "what about",
    "how about",
    "then",
    "same",
    "keep",
    "change",
    "switch",
    "set",
    "limit",
    "cap",
    "actually",
    "und",
    "aber",
    "et",
    "mais",
    "y",
    "pero",
    "trim",
    "reduce",
];
/// Words anywhere in a turn that mark it as a change ("Series B instead").
const REFINEMENT_ANYWHERE: &[&str] = &["instead", "as well", "too", "stattdessen", "plutot", "en cambio", "a la place", "instead of"];

const ENRICH_PHRASES: &[(&str, EnrichDimension)] = {
    use EnrichDimension as E;
    &[
        ("funding", E::Funding),
        ("funding stage", E::Funding),
        ("funding round", E::Funding),
        ("funding data", E::Funding),
        ("funding history", E::Funding),
        ("funding amount", E::Funding),
        ("funding info", E::Funding),
        ("last raised", E::Funding),
        ("last raised date", E::Funding),
        ("last round", E::Funding),
        ("last funding", E::Funding),
        ("last funding date", E::Funding),
        ("total raised", E::Funding),
        ("amount raised", E::Funding),
        ("investors", E::Funding),
        ("finanzierung", E::Funding),
        ("finanzierungsrunde", E::Funding),
        ("financement", E::Funding),
        ("levee de fonds", E::Funding),
        ("financiacion", E::Funding),
        ("tech stack", E::TechStack),
        ("technology stack", E::TechStack),
        ("techstack", E::TechStack),
        ("stack", E::TechStack),
        ("technographics", E::TechStack),
        ("technologies used", E::TechStack),
        ("stack technique", E::TechStack),
        ("stack tecnologico", E::TechStack),
        ("hiring data", E::Hiring),
        ("hiring activity", E::Hiring),
        ("hiring signals", E::Hiring),
        ("open roles", E::Hiring),
        ("open positions", E::Hiring),
        ("open jobs", E::Hiring),
        ("job postings", E::Hiring),
        ("job openings", E::Hiring),
        ("headcount growth", E::Hiring),
        ("offene stellen", E::Hiring),
        ("news", E::News),
        ("recent news", E::News),
        ("latest news", E::News),
        ("press", E::News),
        ("press mentions", E::News),
        ("press coverage", E::News),
        ("media mentions", E::News),
        ("nachrichten", E::News),
        ("actualites", E::News),
        ("noticias", E::News),
    ]
};

const VERIFY_PHRASES: &[&str] = &[
    "email verification",
    "e mail verification",
    "verification",
    "verify emails",
    "verify email",
    "verify the emails",
    "verify",
    "verified emails",
    "verified email",
    "email validation",
    "validate emails",
    "email checks",
    "email check",
    "e mail verifizierung",
    "verifizierung",
    "e mail prufung",
    "verification des e mails",
    "verification des emails",
    "verification e mail",
    "verificacion",
    "verificacion de correos",
    "verificar correos",
];

const STAGE_WORDS: &[(&str, FundingStage)] = {
    use FundingStage as F;
    &[
        ("pre seed", F::PreSeed),
        ("preseed", F::PreSeed),
        ("seed", F::Seed),
        ("seed stage", F::Seed),
        ("seed funded", F::Seed),
        ("growth stage", F::Growth),
        ("late stage", F::Growth),
        ("later stage", F::Growth),
        ("pre ipo", F::Growth),
        ("public", F::Public),
        ("publicly traded", F::Public),
        ("publicly listed", F::Public),
        ("listed", F::Public),
        ("ipo", F::Public),
        ("post ipo", F::Public),
        ("borsennotiert", F::Public),
        ("borsennotierte", F::Public),
        ("cotee", F::Public),
        ("cotees", F::Public),
        ("cotee en bourse", F::Public),
        ("cotizada", F::Public),
        ("cotizadas", F::Public),
    ]
};
const SERIES_WORDS: &[&str] = &["series", "serie"];
/// After a stage: "or later" means every later lettered round.
/// After a stage: every later stage up to growth ("Series B+" is B, C, D, E+ and growth). Public
/// companies are asked for by name ("Series C or public"): "or later" means the later private rounds.
const OR_LATER: &[&str] = &[
    "+",
    "or later",
    "and later",
    "or later stage",
    "or later stages",
    "and later stages",
    "and beyond",
    "or beyond",
    "or above",
    "and above",
    "and up",
    "onwards",
    "onward",
    "and onwards",
    "or higher",
    "and higher",
    "or more",
    "und spater",
    "oder spater",
    "oder hoher",
    "ou plus",
    "et plus",
    "et au dela",
    "ou au dela",
    "o posterior",
    "o posteriores",
    "y posteriores",
    "en adelante",
    "o superior",
];

/// A bound before a stage: "at least Series B" runs to growth, "up to Series A" from pre-seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StageBound {
    AtLeast,
    AtMost,
}
const STAGE_BOUNDS: &[(&str, StageBound)] = &[
    ("at least", StageBound::AtLeast),
    ("post", StageBound::AtLeast),
    ("mindestens", StageBound::AtLeast),
    ("au moins", StageBound::AtLeast),
    ("al menos", StageBound::AtLeast),
    ("up to", StageBound::AtMost),
    ("at most", StageBound::AtMost),
    ("no later than", StageBound::AtMost),
    ("bis zu", StageBound::AtMost),
    ("jusqu a", StageBound::AtMost),
    ("hasta", StageBound::AtMost),
];
const STAGE_RANGE_JOINERS: &[&str] = &["-", "to", "through", "thru", "until", "bis", "a", "jusqu a", "hasta"];
/// Words after "seed" that make it a seed list, not a funding stage.
const NOT_A_STAGE_AFTER_SEED: &[&str] = &["list", "lists", "csv", "file", "urls", "data", "companies list"];

const FORMATS: &[(&str, OutputFormat)] = &[
    ("csv", OutputFormat::Csv),
    ("json", OutputFormat::Json),
    ("xlsx", OutputFormat::Xlsx),
    ("excel", OutputFormat::Xlsx),
    ("spreadsheet", OutputFormat::Xlsx),
];
const FORMAT_BEFORE: &[&str] = &[
    "as",
    "as a",
    "as an",
    "in",
    "to",
    "into",
    "export",
    "export to",
    "exported",
    "format",
    "als",
    "en",
    "como",
    "download",
    "give me",
    "send",
];
const FORMAT_AFTER: &[&str] = &["export", "output", "format", "file", "download"];

const FUNDING_EVENTS: &[&str] = &[
    "raised",
    "raising",
    "announced",
    "announcing",
    "funded",
    "funding",
    "closed",
    "round",
    "rounds",
    "financing",
    "finanziert",
    "finanzierung",
    "leve",
    "levee",
    "levees",
    "recaudado",
    "financiadas",
];
const RECENT_FUNDING: &[&str] = &[
    "recently funded",
    "newly funded",
    "recently raised",
    "just raised",
    "new funding",
    "fresh funding",
    "recent funding",
    "recent round",
    "recently announced",
    "kurzlich finanziert",
    "recemment finance",
    "recemment financees",
    "recien financiadas",
];
const HIRING_WINDOW_EVENTS: &[&str] = &["posted", "hiring", "opened", "listed"];

/// Words after a region that say which of its countries are meant ("Europe, specifically France").
/// Emphasis ("especially", "in particular") and examples ("such as", "e.g.") keep the whole region.
const NARROWING_WORDS: &[&str] = &[
    "specifically",
    "namely",
    "i e",
    "ie",
    "that is",
    "only",
    "just",
    "namlich",
    "konkret",
    "a savoir",
    "c est a dire",
    "es decir",
    "concretamente",
    "especificamente",
];
/// Joiners inside a list of places.
const LIST_JOINERS: &[&str] = &[",", "and", "or", "&", "/", "und", "oder", "et", "ou", "y", "o"];
/// State abbreviations that are also English words in capitals ("OR", "ME", "OK", "IN").
const WORD_LIKE_ABBREVIATIONS: &[&str] = &["in", "or", "me", "ok", "hi", "oh", "on"];
/// Words after which a state or province abbreviation reads as a place ("in TX").
const PLACE_WORDS: &[&str] = &["in", "across", "from", "throughout", "within", "around", "near", "outside"];

const MOST_EXPENSIVE_STEP: &[&str] =
    &["most expensive step", "priciest step", "costliest step", "most expensive part", "teuersten schritt", "etape la plus chere"];

impl Reader {
    fn read_all(&mut self) {
        self.read_attachment_phrases();
        self.read_instructions();
        self.read_credit_budget();
        let windows = self.read_windows();
        self.read_quantities();
        self.read_roles();
        self.read_skills_and_technologies();
        self.read_stages();
        self.read_funding_signal(&windows);
        self.read_enrichment_and_verification();
        self.read_industries();
        self.read_places();
        self.read_region_abbreviations();
        self.read_sources();
        self.read_formats();
        self.read_general_hiring(&windows);
        self.read_open_industries();
        self.read_row_counts_before_mentions();
    }

    fn add(&mut self, item: Item, at: usize) {
        self.mentions.push((item, at));
    }

    /// Calls `read` at each unclaimed position; `read` returns the end of what it consumed.
    fn scan(&mut self, mut read: impl FnMut(&mut Reader, usize) -> Option<usize>) {
        let mut at = 0;
        while at < self.tokens.len() {
            if !self.tokens.is_claimed(at) {
                if let Some(end) = read(self, at) {
                    self.tokens.claim(at, end);
                    at = end.max(at + 1);
                    continue;
                }
            }
            at += 1;
        }
    }

    fn read_attachment_phrases(&mut self) {
        self.scan(|r, at| {
            if let Some(end) = r.tokens.longest_of(at, ATTACHMENT_PHRASES) {
                r.mentions_attachment = true;
                return Some(end);
            }
            r.tokens.longest_of(at, LIST_PHRASES)
        });
    }

    fn read_instructions(&mut self) {
        self.scan(|r, at| {
            let end = r.tokens.longest_of(at, MOST_EXPENSIVE_STEP)?;
            r.add(Item::DropMostExpensiveStep, at);
            Some(end)
        });
    }

    fn read_credit_budget(&mut self) {
        self.scan(|r, at| {
            let quantity = numbers::quantity_at(&r.tokens, at)?;
            let end = r.tokens.longest_of(quantity.end, vocab::CREDIT_NOUNS)?;
            // "over 100 credits" sets no ceiling; a bare number or an upper bound does.
            let budget = quantity.max?;
            r.add(Item::MaxCredits(u64::from(budget)), at);
            Some(end)
        });
    }

    fn read_windows(&mut self) -> Vec<Window> {
        let mut windows = Vec::new();
        for at in 0..self.tokens.len() {
            if let Some(window) = numbers::window_ending_with_unit(&self.tokens, at) {
                if !self.tokens.any_claimed(window.start, window.end) {
                    self.tokens.claim(window.start, window.end);
                    windows.push(window);
                }
            }
        }
        windows
    }

    fn read_quantities(&mut self) {
        self.scan(|r, at| {
            let quantity = numbers::quantity_at(&r.tokens, at)?;
            let noun_at = if r.tokens.text(quantity.end) == "-" { quantity.end + 1 } else { quantity.end };
            r.quantity_followed_by_noun(quantity, noun_at).or_else(|| r.quantity_after_opener(quantity))
        });
    }

    fn quantity_followed_by_noun(&mut self, quantity: Quantity, noun_at: usize) -> Option<usize> {
        let start = quantity.start;
        if let Some((end, &department)) = self.tokens.longest(noun_at, vocab::DEPARTMENT_STAFF) {
            let (min, max) = headcount_bounds(quantity);
            self.add(Item::DepartmentHeadcount(DepartmentHeadcount { department, min, max }), start);
            return Some(end);
        }
        if let Some(end) = self.tokens.longest_of(noun_at, vocab::COMPANY_STAFF) {
            // "10 Staff Engineers" is a job title, not a company size.
            if roles::role_at(&self.tokens, noun_at).is_some_and(|(_, role_end)| role_end > end) {
                return None;
            }
            let (min, max) = headcount_bounds(quantity);
            self.add(Item::CompanyHeadcount(HeadcountRange { min, max }), start);
            return Some(end);
        }
        if let Some(end) = self.tokens.longest_of(noun_at, vocab::ROW_NOUNS) {
            self.add(Item::MaxRows(quantity.cap()?), start);
            return Some(end);
        }
        if let Some(end) = self.tokens.longest_of(noun_at, vocab::COMPANY_NOUNS).filter(|_| quantity.bare || quantity.max.is_some()) {
            self.add(Item::MaxRows(quantity.cap()?), start);
            return Some(end);
        }
        None
    }

    /// "top 200", "limit to 50", "headcount of 200–500".
    fn quantity_after_opener(&mut self, quantity: Quantity) -> Option<usize> {
        if let Some(opener) = self.tokens.phrase_ends_at(quantity.start, vocab::ROW_OPENERS) {
            self.tokens.claim(opener, quantity.start);
            self.add(Item::MaxRows(quantity.cap()?), quantity.start);
            return Some(quantity.end);
        }
        let opener = self.tokens.phrase_ends_at(quantity.start, vocab::COMPANY_SIZE_BEFORE)?;
        self.tokens.claim(opener, quantity.start);
        let (min, max) = headcount_bounds(quantity);
        self.add(Item::CompanyHeadcount(HeadcountRange { min, max }), quantity.start);
        Some(quantity.end)
    }

    fn read_roles(&mut self) {
        let mut last_hiring_end: Option<usize> = None;
        self.scan(|r, at| {
            let (found, end) = roles::roles_at(&r.tokens, at)?;
            // "developer tools" is an industry, not a developer.
            if r.tokens.longest(at, vocab::INDUSTRIES).is_some_and(|(industry_end, _)| industry_end > end) {
                return None;
            }
            let continues_hiring_list = last_hiring_end.is_some_and(|prev| r.only_joiners_between(prev, at));
            let marker = r.hiring_marker_before(at);
            if let Some(marker_start) = marker {
                r.tokens.claim(marker_start, at);
            }
            let hiring = marker.is_some() || continues_hiring_list;
            for role in found {
                if hiring {
                    r.add(Item::Signal(Signal { kind: SignalKind::Hiring, role: Some(role), within_days: None }), at);
                } else {
                    r.add(Item::Role(role), at);
                }
            }
            last_hiring_end = hiring.then_some(end);
            Some(end)
        });
    }

    /// Where a hiring marker ends just before `at` (allowing "for", "a", "the" in between), its start.
    fn hiring_marker_before(&self, at: usize) -> Option<usize> {
        let mut end = at;
        for _ in 0..=3 {
            if let Some(start) = self.tokens.phrase_ends_at(end, HIRING_MARKERS) {
                return Some(start);
            }
            let previous = end.checked_sub(1)?;
            if self.tokens.is_claimed(previous) || !FILLERS.contains(&self.tokens.text(previous)) {
                return None;
            }
            end = previous;
        }
        None
    }

    /// Whether only list joiners ("and", ",", "or") and fillers lie between `from` and `to`.
    fn only_joiners_between(&self, from: usize, to: usize) -> bool {
        (from..to).all(|i| {
            let text = self.tokens.text(i);
            !self.tokens.is_claimed(i) && (CONJUNCTIONS.contains(&text) || FILLERS.contains(&text))
        })
    }

    fn read_skills_and_technologies(&mut self) {
        // Group consecutive mentions ("Python and Go experience") so the context covers them all.
        let mut at = 0;
        while at < self.tokens.len() {
            let Some(group_end) = self.technology_group(at) else {
                at += 1;
                continue;
            };
            let members = self.technology_members(at, group_end);
            let before = self.skill_context_before(at);
            let after = self.tokens.longest_of(group_end, vocab::SKILL_AFTER);
            let is_skill = before.is_some() || after.is_some();
            for &(start, end, slug, skill_only) in &members {
                if is_skill {
                    self.add(Item::Skill(slug), start);
                } else if !skill_only {
                    self.add(Item::Technology(slug), start);
                } else {
                    continue;
                }
                self.tokens.claim(start, end);
            }
            if is_skill {
                self.tokens.claim(before.unwrap_or(at), at);
                self.tokens.claim(group_end, after.unwrap_or(group_end));
            }
            at = group_end.max(at + 1);
        }
    }

    fn technology_at(&self, at: usize) -> Option<(usize, &'static str, bool)> {
        if self.tokens.is_claimed(at) {
            return None;
        }
        let tech = self.tokens.longest(at, vocab::TECHNOLOGIES).map(|(end, &slug)| (end, slug, false));
        let skill = self.tokens.longest(at, vocab::SKILLS).map(|(end, &slug)| (end, slug, true));
        match (tech, skill) {
            (Some(t), Some(s)) => Some(if s.0 > t.0 { s } else { t }),
            (t, s) => t.or(s),
        }
    }

    /// The end of a run of technologies starting at `at`, joined by "and", ",", "/".
    fn technology_group(&self, at: usize) -> Option<usize> {
        let (mut end, _, _) = self.technology_at(at)?;
        loop {
            let joiner_end = self.tokens.longest_of(end, CONJUNCTIONS).unwrap_or(end);
            match self.technology_at(joiner_end) {
                Some((next_end, _, _)) if joiner_end > end => end = next_end,
                _ => return Some(end),
            }
        }
    }

    fn technology_members(&self, from: usize, to: usize) -> Vec<(usize, usize, &'static str, bool)> {
        let mut members = Vec::new();
        let mut at = from;
        while at < to {
            match self.technology_at(at) {
                Some((end, slug, skill_only)) => {
                    members.push((at, end, slug, skill_only));
                    at = end;
                }
                None => at += 1,
            }
        }
        members
    }

    /// "experience with", "strong background in": the start of the phrase ending at `at`.
    fn skill_context_before(&self, at: usize) -> Option<usize> {
        let mut end = at;
        for _ in 0..=2 {
            if let Some(start) = self.tokens.phrase_ends_at(end, vocab::SKILL_BEFORE) {
                return Some(start);
            }
            let previous = end.checked_sub(1)?;
            if !matches!(self.tokens.text(previous), "strong" | "solid" | "deep" | "some" | "hands" | "on" | "production" | "proven") {
                return None;
            }
            end = previous;
        }
        None
    }

    fn read_stages(&mut self) {
        self.scan(|r, at| {
            // "at least Series B", "up to Series A": a bound before the stage.
            let bound = r.tokens.longest(at, STAGE_BOUNDS).filter(|(after, _)| r.stage_at(at).is_none_or(|(_, end)| end <= *after));
            let stage_start = bound.map_or(at, |(after, _)| after);
            let (first, mut end) = r.stage_at(stage_start)?;
            let mut stages = match bound {
                Some((_, StageBound::AtLeast)) => stages_from(first),
                Some((_, StageBound::AtMost)) => STAGES.iter().copied().filter(|s| *s <= first).collect(),
                None => vec![first],
            };
            // "between Series A and Series C" is a range, where "Series A and Series C" lists two.
            let between = bound.is_none() && r.tokens.phrase_ends_at(at, &["between", "zwischen", "entre"]).is_some();
            // "Series A or B", "Series A–C", "seed to Series B", "Series B+", "Series C or later".
            loop {
                let last = *stages.last().unwrap_or(&first);
                if let Some(after) = r.tokens.longest_of(end, OR_LATER) {
                    stages.extend(stages_from(last).into_iter().skip(1));
                    end = after;
                } else if let Some((range, after)) = r.stage_range_end(end, last, between && stages.len() == 1) {
                    stages.extend(range);
                    end = after;
                } else if let Some((stage, after)) = r.listed_stage_letter(end) {
                    stages.push(stage);
                    end = after;
                } else {
                    break;
                }
            }
            for stage in stages {
                r.add(Item::Stage(stage), at);
            }
            Some(end)
        });
    }

    fn stage_at(&self, at: usize) -> Option<(FundingStage, usize)> {
        if let Some(letter_at) = SERIES_WORDS.iter().find_map(|w| self.tokens.match_phrase(at, w)) {
            let stage = stage_letter(self.tokens.text(letter_at))?;
            let end = letter_at + 1;
            // "Series A funded", "Series A round", "Series A-stage".
            let end = self.tokens.longest_of(end, &["funded", "round", "stage", "backed"]).unwrap_or(end);
            return Some((stage, end));
        }
        let (end, &stage) = self.tokens.longest(at, STAGE_WORDS)?;
        if stage == FundingStage::Seed && self.tokens.longest_of(end, NOT_A_STAGE_AFTER_SEED).is_some() {
            return None;
        }
        Some((stage, end))
    }

    /// "– C", "to Series D", "through growth stage" after a stage (and "and C" after "between
    /// Series A"): every stage after `from` up to the one named.
    fn stage_range_end(&self, at: usize, from: FundingStage, and_joins: bool) -> Option<(Vec<FundingStage>, usize)> {
        let joiner_end = self
            .tokens
            .longest_of(at, STAGE_RANGE_JOINERS)
            .or_else(|| and_joins.then(|| self.tokens.longest_of(at, &["and", "und", "et", "y"])).flatten())?;
        let (to, end) = match self.stage_at(joiner_end) {
            Some(found) => found,
            None if !self.tokens.is_claimed(joiner_end) && self.tokens.kind(joiner_end) == Some(Kind::Word) => {
                (stage_letter(self.tokens.text(joiner_end))?, joiner_end + 1)
            }
            None => return None,
        };
        if to <= from {
            return None;
        }
        Some((STAGES.iter().copied().filter(|s| *s > from && *s <= to).collect(), end))
    }

    /// ", B" or "and B" after a stage, when the letter cannot be an article ("and a CTO").
    fn listed_stage_letter(&self, at: usize) -> Option<(FundingStage, usize)> {
        let joiner_end = self.tokens.longest_of(at, CONJUNCTIONS)?;
        let letter_at = SERIES_WORDS.iter().find_map(|w| self.tokens.match_phrase(joiner_end, w)).unwrap_or(joiner_end);
        let stage = stage_letter(self.tokens.text(letter_at))?;
        if self.tokens.is_claimed(letter_at) || self.tokens.kind(letter_at) != Some(Kind::Word) {
            return None;
        }
        let next = letter_at + 1;
        let article_like = self.tokens.kind(next) == Some(Kind::Word)
            && self.tokens.longest_of(next, vocab::COMPANY_NOUNS).is_none()
            && self.tokens.longest(next, vocab::INDUSTRIES).is_none()
            && self.tokens.longest_of(next, &["round", "rounds", "stage", "funded"]).is_none();
        (!article_like || letter_at > joiner_end).then_some((stage, next))
    }

    fn read_funding_signal(&mut self, windows: &[Window]) {
        let has_stage = self.mentions.iter().any(|(item, _)| matches!(item, Item::Stage(_)));
        let mut days: Option<u32> = None;
        let mut found_at: Option<usize> = None;
        for window in windows {
            let event = self.event_before(window.start, FUNDING_EVENTS);
            let hiring = self.event_before(window.start, HIRING_WINDOW_EVENTS);
            if event.is_some() || (has_stage && hiring.is_none()) {
                days = Some(days.map_or(window.days, |d| d.min(window.days)));
                found_at = Some(found_at.map_or(window.start, |a: usize| a.min(window.start)));
                if let Some(event_at) = event {
                    self.tokens.claim(event_at, event_at + 1);
                }
            }
        }
        let mut recent_at = None;
        self.scan(|r, at| {
            let end = r.tokens.longest_of(at, RECENT_FUNDING)?;
            recent_at.get_or_insert(at);
            Some(end)
        });
        if let Some(at) = found_at.or(recent_at) {
            self.add(Item::Signal(Signal { kind: SignalKind::Funding, role: None, within_days: days }), at);
        }
    }

    /// The nearest unclaimed word of `events` before `at` in the same sentence.
    fn event_before(&self, at: usize, events: &[&str]) -> Option<usize> {
        let start = self.tokens.sentence_start(at);
        (start..at).rev().find(|&i| !self.tokens.is_claimed(i) && events.contains(&self.tokens.text(i)))
    }

    fn read_enrichment_and_verification(&mut self) {
        self.scan(|r, at| {
            let enrich = r.tokens.longest(at, ENRICH_PHRASES);
            let verify = r.tokens.longest_of(at, VERIFY_PHRASES);
            match (enrich, verify) {
                (Some((end, &dimension)), v) if v.is_none_or(|v| end >= v) => {
                    r.add(Item::Enrich(dimension), at);
                    Some(end)
                }
                (_, Some(end)) => {
                    r.add(Item::VerifyEmails, at);
                    Some(end)
                }
                _ => None,
            }
        });
    }

    fn read_industries(&mut self) {
        self.scan(|r, at| {
            let (end, &slug) = r.tokens.longest(at, vocab::INDUSTRIES)?;
            r.add(Item::Industry(slug.to_string()), at);
            Some(end)
        });
    }

    fn read_places(&mut self) {
        self.scan(|r, at| {
            let (end, place) = r.place_at(at)?;
            // "LATAM (Mexico, Colombia and Chile)": the region is the countries it is said to mean.
            if let Place::Region(members) = place {
                if let Some((listed, run_end)) = r.listed_members(end, members) {
                    listed.into_iter().for_each(|place| r.add_place(place, at));
                    return Some(run_end);
                }
            }
            r.add_place(place, at);
            Some(end)
        });
    }

    /// The place named at `at`, with the index past it. The longest reading wins; on a tie a city
    /// beats a state or province, which beats a country, which beats a region ("Mexico City",
    /// "Singapore").
    fn place_at(&self, at: usize) -> Option<(usize, Place)> {
        let city = self.tokens.longest(at, vocab::CITIES).map(|(end, &(name, code))| (end, Place::City(name, code)));
        let subdivision = vocab::SUBDIVISIONS
            .iter()
            .filter_map(|s| self.tokens.longest_of(at, s.phrases).map(|end| (end, Place::Subdivision(s))))
            .max_by_key(|(end, _)| *end);
        let country = longest_grouped(&self.tokens, at, vocab::COUNTRIES).map(|(end, code)| (end, Place::Country(code)));
        let country = country.or_else(|| self.lowercase_us(at).map(|end| (end, Place::Country("US"))));
        let region = vocab::REGIONS
            .iter()
            .filter_map(|(_, codes, phrases)| self.tokens.longest_of(at, phrases).map(|end| (end, Place::Region(codes))))
            .max_by_key(|(end, _)| *end);
        [city, subdivision, country, region].into_iter().flatten().fold(None, |best: Option<(usize, Place)>, candidate| match best {
            Some(b) if b.0 >= candidate.0 => Some(b),
            _ => Some(candidate),
        })
    }

    fn add_place(&mut self, place: Place, at: usize) {
        match place {
            Place::City(name, code) => {
                self.add(Item::City(name), at);
                self.add(Item::Country(code), at);
            }
            // The region's country comes with it when the turn is applied (see `history.rs`).
            Place::Subdivision(subdivision) => self.add(Item::Region(subdivision.code), at),
            Place::Country(code) => self.add(Item::Country(code), at),
            Place::Region(codes) => codes.iter().for_each(|code| self.add(Item::Country(code), at)),
        }
    }

    /// The places listed right after a region as the part of it meant: "LATAM (Mexico, Colombia
    /// and Chile)" (brackets are not tokens, so the list follows the region directly), "the
    /// Nordics: Sweden and Norway", "Europe, specifically France and Spain". Every place listed
    /// must lie in the region, or the region stands as said; a bare comma lists another place
    /// ("Europe, Germany and the US"), so after a comma a narrowing word is needed.
    fn listed_members(&self, end: usize, members: &[&str]) -> Option<(Vec<Place>, usize)> {
        let mut at = end;
        let separator = self.tokens.longest_of(at, &[":", "-", ","]);
        at = separator.unwrap_or(at);
        let narrowing = self.tokens.longest_of(at, NARROWING_WORDS);
        at = narrowing.unwrap_or(at);
        if separator.is_some_and(|after| self.tokens.text(after - 1) == ",") && narrowing.is_none() {
            return None;
        }
        let mut listed = Vec::new();
        let mut run_end = at;
        while let Some((place_end, place)) = self.place_at(at) {
            if !place.countries().iter().all(|code| members.contains(code)) {
                return None;
            }
            listed.push(place);
            run_end = place_end;
            match self.tokens.longest_of(place_end, LIST_JOINERS) {
                Some(after) => at = after,
                None => break,
            }
        }
        (!listed.is_empty()).then_some((listed, run_end))
    }

    /// State and province abbreviations, read only where they are plainly places. A list of them
    /// ("TX, CA and NY") is read as one: it must start after a place word ("in TX"), a comma after
    /// a place or a capitalised name the vocabulary does not know ("Austin, TX", "San Jose, CA"),
    /// or right after a place ("Austin TX"), or end before "-based" ("NY-based"). Only capitals
    /// count, except right after a city or region of the abbreviation's country ("austin, tx").
    /// An abbreviation that is also a country's ISO code ("CA", "DE", "IN", "IL", …) needs its
    /// country to be plain: another abbreviation of the list that is not a country code ("in MA
    /// and CT"), another place of that country in the turn, or a comma or adjacency after one.
    /// "OR", "ME", "OK", "IN" and the like are English words in capitals too: they are read only
    /// right after a place word or a comma ("in OR", "Portland, OR", "in TX, OR and WA").
    fn read_region_abbreviations(&mut self) {
        // A list read can give the next one its context ("Austin, TX" then "and NM"): repeat until none is read.
        loop {
            let mut read_any = false;
            let mut at = 0;
            while at < self.tokens.len() {
                let Some(list) = self.abbreviation_list(at) else {
                    at += 1;
                    continue;
                };
                at = list.last().map_or(at, |(last, _)| *last) + 1;
                for (index, subdivision) in self.accepted_abbreviations(&list) {
                    self.tokens.claim(index, index + 1);
                    self.add(Item::Region(subdivision.code), index);
                    read_any = true;
                }
            }
            if !read_any {
                break;
            }
        }
    }

    /// The subdivision a token could abbreviate: an unclaimed two-letter word in capitals (or in
    /// lowercase right after a place of its country).
    fn abbreviation_candidate(&self, at: usize) -> Option<&'static vocab::Subdivision> {
        let token = self.tokens.get(at)?;
        if self.tokens.is_claimed(at) || token.kind != Kind::Word || token.text.len() != 2 {
            return None;
        }
        if vocab::UNREAD_ABBREVIATIONS.contains(&token.text.as_str()) {
            return None;
        }
        let subdivision = vocab::SUBDIVISIONS.iter().find(|s| s.code[3..].eq_ignore_ascii_case(&token.text))?;
        let country = &subdivision.code[..2];
        let after_own_place = self.place_country_back(at, 1) == Some(country)
            || (at.checked_sub(1).is_some_and(|b| self.tokens.text(b) == ",") && self.place_country_back(at, 2) == Some(country));
        (token.all_caps || after_own_place).then_some(subdivision)
    }

    /// The list of abbreviation candidates starting at `at` ("TX, CA and NY"), joined by commas,
    /// "and", "or", "/" or "&"; `None` unless `at` starts one.
    fn abbreviation_list(&self, at: usize) -> Option<Vec<(usize, &'static vocab::Subdivision)>> {
        let first = self.abbreviation_candidate(at)?;
        let continues_one = at >= 2 && LIST_JOINERS.contains(&self.tokens.text(at - 1)) && self.abbreviation_candidate(at - 2).is_some();
        if continues_one {
            return None;
        }
        let mut list = vec![(at, first)];
        let mut end = at + 1;
        while LIST_JOINERS.contains(&self.tokens.text(end)) {
            let Some(next) = self.abbreviation_candidate(end + 1) else { break };
            list.push((end + 1, next));
            end += 2;
        }
        Some(list)
    }

    /// The members of an abbreviation list that read as regions (see [`Self::read_region_abbreviations`]).
    fn accepted_abbreviations(&self, list: &[(usize, &'static vocab::Subdivision)]) -> Vec<(usize, &'static vocab::Subdivision)> {
        let Some(&(start, _)) = list.first() else { return Vec::new() };
        let last = list.last().map_or(start, |(index, _)| *index);
        let text_before = start.checked_sub(1).map_or("", |b| self.tokens.text(b));
        let after_comma = text_before == ",";
        let after_place_word = PLACE_WORDS.contains(&text_before);
        // "San Jose, CA": a capitalised name the vocabulary does not know, not opening a sentence.
        let after_unknown_name = after_comma
            && start.checked_sub(2).is_some_and(|b| {
                let name = self.tokens.get(b).filter(|t| t.kind == Kind::Word && t.capitalized && !self.tokens.is_claimed(b));
                name.is_some() && self.tokens.sentence_start(b) != b
            });
        let place_before = if after_comma { self.place_country_back(start, 2) } else { self.place_country_back(start, 1) };
        let before_based = self.tokens.text(last + 1) == "based";
        if !(after_place_word || after_unknown_name || place_before.is_some() || before_based) {
            return Vec::new();
        }
        // After a comma, a word-like abbreviation follows a city, a region or a name, not a country ("the US, ME and …").
        let comma_after_town = after_comma && (after_unknown_name || start.checked_sub(2).is_some_and(|b| self.is_city_or_region(b)));
        let country_named = |country: &str| {
            self.mentions.iter().any(|(item, _)| match item {
                Item::Country(code) => *code == country,
                Item::Region(code) => code.starts_with(country),
                _ => false,
            }) || list.iter().any(|(_, s)| s.code.starts_with(country) && !is_country_code(&s.code[3..]))
        };
        list.iter()
            .copied()
            .filter(|&(index, subdivision)| {
                let abbreviation = &subdivision.code[3..];
                let country = &subdivision.code[..2];
                let word_like = WORD_LIKE_ABBREVIATIONS.iter().any(|w| w.eq_ignore_ascii_case(abbreviation));
                let word_ok = !word_like
                    || (index == start && (after_place_word || comma_after_town))
                    || (index != start && self.tokens.text(index - 1) == ",");
                let country_ok = !is_country_code(abbreviation)
                    || place_before == Some(country)
                    || (index == start && after_unknown_name)
                    || country_named(country);
                word_ok && country_ok
            })
            .collect()
    }

    /// The country of the place mention `offset` tokens before `at`.
    fn place_country_back(&self, at: usize, offset: usize) -> Option<&'static str> {
        at.checked_sub(offset).and_then(|b| self.place_country_at(b))
    }

    /// Whether the claimed token `at` belongs to a city or a state or province mention.
    fn is_city_or_region(&self, at: usize) -> bool {
        let start = self.mentions.iter().filter(|(_, start)| *start <= at).map(|(_, start)| *start).max();
        self.tokens.is_claimed(at)
            && start
                .is_some_and(|start| self.mentions.iter().any(|(item, s)| *s == start && matches!(item, Item::City(_) | Item::Region(_))))
    }

    /// The single country of the place mention holding the claimed token `at`, if it is one.
    fn place_country_at(&self, at: usize) -> Option<&'static str> {
        if !self.tokens.is_claimed(at) {
            return None;
        }
        let start = self.mentions.iter().filter(|(_, start)| *start <= at).map(|(_, start)| *start).max()?;
        let mut countries = self.mentions.iter().filter(|(_, s)| *s == start).filter_map(|(item, _)| match item {
            Item::Country(code) => Some(*code),
            Item::Region(code) => Some(&code[..2]),
            _ => None,
        });
        let first = countries.next()?;
        countries.all(|c| c == first).then_some(first)
    }

    /// "US" in capitals, or "us" after "in"/"the"/"across" ("help us" is not a country).
    fn lowercase_us(&self, at: usize) -> Option<usize> {
        let token = self.tokens.get(at)?;
        if token.text != "us" {
            return None;
        }
        let after_place_word = at.checked_sub(1).is_some_and(|p| matches!(self.tokens.text(p), "in" | "the" | "across" | "within" | "en"));
        (token.all_caps || after_place_word).then_some(at + 1)
    }

    fn read_sources(&mut self) {
        self.scan(|r, at| {
            let (end, &slug) = r.tokens.longest(at, vocab::SOURCES)?;
            // "LinkedIn URLs" is a column, not a source.
            if r.tokens.longest_of(end, &["url", "urls", "profile", "profiles", "link", "links"]).is_some() {
                return None;
            }
            r.add(Item::Source(slug), at);
            Some(end)
        });
    }

    fn read_formats(&mut self) {
        self.scan(|r, at| {
            let (end, &format) = r.tokens.longest(at, FORMATS)?;
            let introduced = r.tokens.phrase_ends_at(at, FORMAT_BEFORE).is_some() || r.tokens.longest_of(end, FORMAT_AFTER).is_some();
            if !introduced {
                return None;
            }
            r.add(Item::Format(format), at);
            Some(r.tokens.longest_of(end, FORMAT_AFTER).unwrap_or(end))
        });
    }

    /// "companies that are hiring" with no role; a window after it ("posted in the last 30 days") applies.
    fn read_general_hiring(&mut self, windows: &[Window]) {
        self.scan(|r, at| {
            let end = r.tokens.longest_of(at, &["hiring", "actively hiring", "recruiting", "recrutent", "contratando", "stellen ein"])?;
            let within_days =
                windows.iter().find(|w| w.start >= end && r.tokens.sentence_start(w.start) == r.tokens.sentence_start(at)).map(|w| w.days);
            r.add(Item::Signal(Signal { kind: SignalKind::Hiring, role: None, within_days }), at);
            Some(end)
        });
    }

    /// "50 CTOs", "200 fintechs": a bare number right before another mention is a row count.
    fn read_row_counts_before_mentions(&mut self) {
        let starts: Vec<usize> = self
            .mentions
            .iter()
            .filter(|(item, _)| {
                matches!(item, Item::Role(_) | Item::Industry(_) | Item::Stage(_) | Item::Country(_) | Item::Region(_) | Item::City(_))
            })
            .map(|(_, at)| *at)
            .collect();
        for at in 0..self.tokens.len() {
            let Some((count, end)) = numbers::number_at(&self.tokens, at, true) else { continue };
            // "the two founders" counts people, not rows: a count in words is read from ten on.
            let written = self.tokens.kind(at) != Some(Kind::Number);
            if starts.contains(&end) && (!written || count >= 10) {
                self.tokens.claim(at, end);
                self.add(Item::MaxRows(count), at);
            }
        }
    }

    /// Industries the vocabulary does not know, by the shape of a company description (see
    /// `open.rs`): words ending in a business noun ("retail banks", and "agences de marketing"
    /// with the noun first), words before a generic company noun ("drone companies"), or a word on
    /// "-tech". A business noun right after a known industry only names its companies ("gaming
    /// studios" is `gaming`).
    fn read_open_industries(&mut self) {
        let mut at = 0;
        while at < self.tokens.len() {
            if !self.is_content_word(at) {
                at += 1;
                continue;
            }
            let mut end = at;
            while end < self.tokens.len() && self.is_content_word(end) {
                end += 1;
            }
            at = self.read_open_industry(at, end).unwrap_or(end);
        }
    }

    /// Reads the run of content words `start..end` as an industry if it has the shape of one;
    /// the index to go on from when it does.
    fn read_open_industry(&mut self, start: usize, end: usize) -> Option<usize> {
        // "fast-growing retail banks": the describing words stay unread.
        let start = (start..end).find(|&i| !open::is_not_an_industry(self.tokens.text(i)))?;
        let first = self.tokens.text(start).to_string();
        let last = self.tokens.text(end - 1).to_string();
        let after_known_industry = start > 0
            && self.tokens.is_claimed(start - 1)
            && self
                .owner_start(start - 1)
                .is_some_and(|s| self.mentions.iter().any(|(item, at)| *at == s && matches!(item, Item::Industry(_))));
        if open::is_romance_business_noun(&first) {
            // "agences marketing", "clínicas dentales", "agencias de marketing": the noun first.
            let mut phrase_end = end.min(start + MAX_INDUSTRY_WORDS);
            if end - start == 1 {
                if let Some(connector_end) = self.tokens.longest_of(end, &["de", "d", "del", "de la", "des", "du"]) {
                    let mut kind_end = connector_end;
                    while kind_end < connector_end + 2
                        && self.is_content_word(kind_end)
                        && !open::is_business_noun(self.tokens.text(kind_end))
                    {
                        kind_end += 1;
                    }
                    if kind_end > connector_end {
                        phrase_end = kind_end;
                    }
                }
            }
            if phrase_end == end && end - start == 1 && after_known_industry {
                self.tokens.claim(start, end);
                return Some(end);
            }
            self.add_open_industry(start, phrase_end);
            return Some(phrase_end);
        }
        if open::is_business_noun(&last) {
            if after_known_industry && end - start == 1 {
                // "gaming studios": the noun names the known industry's companies.
                self.tokens.claim(start, end);
                return Some(end);
            }
            let from = start.max(end.saturating_sub(MAX_INDUSTRY_WORDS));
            self.add_open_industry(from, end);
            return Some(end);
        }
        if let Some(noun_end) = self.tokens.longest_of(end, open::GENERIC_COMPANY_NOUNS) {
            let from = start.max(end.saturating_sub(MAX_INDUSTRY_WORDS));
            self.add_open_industry(from, end);
            self.tokens.claim(end, noun_end);
            return Some(noun_end);
        }
        if end - start == 1 && open::is_tech_word(&last) {
            let slug = last.strip_suffix('s').unwrap_or(&last).to_string();
            self.tokens.claim(start, end);
            self.add(Item::Industry(slug), start);
            return Some(end);
        }
        None
    }

    fn add_open_industry(&mut self, from: usize, to: usize) {
        let slug = open::industry_slug(&self.tokens, from, to);
        self.tokens.claim(from, to);
        self.add(Item::Industry(slug), from);
    }

    /// The start of the mention holding the claimed token `at`.
    fn owner_start(&self, at: usize) -> Option<usize> {
        self.mentions.iter().filter(|(_, start)| *start <= at).map(|(_, start)| *start).max()
    }

    /// Whether the token `at` is an unclaimed word or number that says something: not a small
    /// word, a connective, a mode word or a generic noun.
    fn is_content(&self, at: usize) -> bool {
        let Some(token) = self.tokens.get(at) else { return false };
        if self.tokens.is_claimed(at) {
            return false;
        }
        match token.kind {
            Kind::Number => true,
            Kind::Word => !is_connective(&token.text),
            _ => false,
        }
    }

    /// Whether the token `at` is an unclaimed word written onto the previous one ("first" in "remote-first").
    fn attached_word(&self, at: usize) -> bool {
        let (Some(previous), Some(token)) = (self.tokens.get(at.wrapping_sub(1)), self.tokens.get(at)) else { return false };
        !self.tokens.is_claimed(at) && token.kind == Kind::Word && token.span.0 <= previous.span.1 + 1 && {
            let gap = self.tokens.original(at - 1, at + 1);
            !gap.contains(char::is_whitespace)
        }
    }

    /// Whether the token `at` is a content word (see [`Self::is_content`]), not a number.
    fn is_content_word(&self, at: usize) -> bool {
        self.tokens.kind(at) == Some(Kind::Word) && self.is_content(at)
    }

    /// The unread words, grouped into phrases of adjacent words, as written.
    fn unread(&self) -> Vec<String> {
        let mut phrases = Vec::new();
        let mut at = 0;
        while at < self.tokens.len() {
            if !self.is_content(at) {
                at += 1;
                continue;
            }
            let start = at;
            // Adjacent content words make one phrase, and so do the parts of a hyphenated word ("remote-first").
            while at < self.tokens.len() && (self.is_content(at) || (at > start && self.attached_word(at))) {
                at += 1;
            }
            phrases.push(self.tokens.original(start, at));
        }
        phrases
    }

    fn finish(mut self) -> TurnReading {
        self.mentions.sort_by_key(|(_, at)| *at);
        let folded_words: Vec<String> = self.tokens.words().map(str::to_string).collect();
        let default_mode = if self.any_phrase_unclaimed(TRAILING_ADD) { Mode::Add } else { Mode::Replace };
        let items = self.mentions.iter().map(|(item, at)| (item.clone(), self.mode_before(item, *at).unwrap_or(default_mode))).collect();
        let joined = folded_words.join(" ");
        let greeting = vocab::GREETINGS.contains(&joined.as_str())
            || (self.mentions.is_empty()
                && folded_words.len() <= 3
                && folded_words.first().is_some_and(|w| vocab::GREETINGS.contains(&w.as_str())));
        let refinement_marked = self.opens_with_marker() || self.any_phrase_unclaimed(REFINEMENT_ANYWHERE);
        let unread = if greeting { Vec::new() } else { self.unread() };
        TurnReading { items, refinement_marked, greeting, mentions_attachment: self.mentions_attachment, unread }
    }

    /// The nearest mode word before `at` in its sentence, across fillers, list joiners and other
    /// items. A removal only reaches across items of the same group, so in "without the UK, CMO"
    /// the CMO is kept.
    fn mode_before(&self, item: &Item, at: usize) -> Option<Mode> {
        let start = self.tokens.sentence_start(at);
        let own_group = group_of(item);
        let mut crossed_other_group = false;
        let mut end = at;
        while end > start {
            for (words, mode) in [(REMOVE_WORDS, Mode::Remove), (REPLACE_WORDS, Mode::Replace), (ADD_WORDS, Mode::Add)] {
                if self.tokens.phrase_ends_at(end, words).is_some() {
                    return (mode != Mode::Remove || !crossed_other_group).then_some(mode);
                }
            }
            let previous = end - 1;
            let text = self.tokens.text(previous);
            if self.tokens.is_claimed(previous) {
                crossed_other_group |= self.owner_group(previous).is_some_and(|g| g != own_group);
            } else if !(FILLERS.contains(&text)
                || CONJUNCTIONS.contains(&text)
                || self.tokens.longest_of(previous, vocab::COMPANY_NOUNS).is_some())
            {
                return None;
            }
            end = previous;
        }
        None
    }

    /// The group of the mention a claimed token belongs to (the last mention starting at or before it).
    fn owner_group(&self, at: usize) -> Option<Group> {
        self.mentions.iter().filter(|(_, start)| *start <= at).max_by_key(|(_, start)| *start).map(|(item, _)| group_of(item))
    }

    fn any_phrase_unclaimed(&self, phrases: &[&str]) -> bool {
        (0..self.tokens.len()).any(|at| self.tokens.longest_of(at, phrases).is_some())
    }

    fn opens_with_marker(&self) -> bool {
        let first_word = (0..self.tokens.len()).find(|&i| self.tokens.kind(i) == Some(Kind::Word));
        first_word.is_some_and(|at| {
            [REPLACE_WORDS, ADD_WORDS, REMOVE_WORDS, REFINEMENT_OPENERS]
                .iter()
                .any(|words| words.iter().any(|w| self.first_words_are(at, w)))
        })
    }

    /// Whether the words at `at` spell `phrase`, claimed or not.
    fn first_words_are(&self, at: usize, phrase: &str) -> bool {
        phrase.split(' ').enumerate().all(|(i, word)| self.tokens.text(at + i) == word)
    }
}

/// Most words an open industry keeps: the last ones of a longer run ("we want remote-first
/// retail banks" is `first_retail_banks` at worst, never the whole sentence).
const MAX_INDUSTRY_WORDS: usize = 3;

/// Words that carry no request of their own: small words (see `open.rs`), the words of the mode,
/// filler, hiring, skill and size phrases the readers key on, and greetings.
fn is_connective(word: &str) -> bool {
    if open::is_small_word(word) {
        return true;
    }
    let lists: [&[&str]; 15] = [
        FILLERS,
        CONJUNCTIONS,
        REPLACE_WORDS,
        ADD_WORDS,
        REMOVE_WORDS,
        TRAILING_ADD,
        REFINEMENT_OPENERS,
        REFINEMENT_ANYWHERE,
        HIRING_MARKERS,
        vocab::SKILL_AFTER,
        vocab::SKILL_BEFORE,
        vocab::COMPANY_STAFF,
        vocab::ROW_NOUNS,
        vocab::GREETINGS,
        NARROWING_WORDS,
    ];
    lists.iter().any(|list| list.iter().any(|phrase| phrase.split(' ').any(|w| w == word)))
        || open::GENERIC_COMPANY_NOUNS.iter().any(|noun| super::text::word_matches(word, noun))
        || ["companies", "accounts", "organizations", "organisations", "unternehmen", "firmen", "entreprises", "societes", "empresas"]
            .iter()
            .any(|noun| super::text::word_matches(word, noun))
}

/// Kinds of item that form one list ("the CTO and the VP Eng", "news and the email verification").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    Industries,
    Places,
    Stages,
    People,
    Stack,
    Extras,
    Numbers,
    Signals,
}

fn group_of(item: &Item) -> Group {
    match item {
        Item::Industry(_) => Group::Industries,
        Item::Country(_) | Item::Region(_) | Item::City(_) => Group::Places,
        Item::Stage(_) => Group::Stages,
        Item::Role(_) => Group::People,
        Item::Skill(_) | Item::Technology(_) => Group::Stack,
        Item::Source(_) | Item::Enrich(_) | Item::VerifyEmails | Item::Format(_) | Item::DropMostExpensiveStep => Group::Extras,
        Item::CompanyHeadcount(_) | Item::DepartmentHeadcount(_) | Item::MaxRows(_) | Item::MaxCredits(_) => Group::Numbers,
        Item::Signal(_) => Group::Signals,
    }
}

/// A place mention before it becomes country, region and city items.
enum Place {
    City(&'static str, &'static str),
    Subdivision(&'static vocab::Subdivision),
    Country(&'static str),
    Region(&'static [&'static str]),
}

impl Place {
    /// The countries the place lies in.
    fn countries(&self) -> Vec<&'static str> {
        match self {
            Place::City(_, code) | Place::Country(code) => vec![code],
            Place::Subdivision(subdivision) => vec![&subdivision.code[..2]],
            Place::Region(codes) => codes.to_vec(),
        }
    }
}

/// The longest phrase of any group in `table` matching at `at`, with the group's key.
fn longest_grouped(tokens: &Tokens, at: usize, table: &[(&'static str, &[&str])]) -> Option<(usize, &'static str)> {
    table.iter().filter_map(|(key, phrases)| tokens.longest_of(at, phrases).map(|end| (end, *key))).max_by_key(|(end, _)| *end)
}

/// A bare number is a minimum ("with 20 engineers" means at least 20).
fn headcount_bounds(quantity: Quantity) -> (Option<u32>, Option<u32>) {
    if quantity.bare {
        (quantity.min, None)
    } else {
        (quantity.min, quantity.max)
    }
}

/// Every stage, in order.
const STAGES: &[FundingStage] = {
    use FundingStage as F;
    &[F::PreSeed, F::Seed, F::SeriesA, F::SeriesB, F::SeriesC, F::SeriesD, F::SeriesEPlus, F::Growth, F::Public]
};

fn stage_letter(text: &str) -> Option<FundingStage> {
    Some(match text {
        "a" => FundingStage::SeriesA,
        "b" => FundingStage::SeriesB,
        "c" => FundingStage::SeriesC,
        "d" => FundingStage::SeriesD,
        "e" | "f" | "g" | "h" | "e+" => FundingStage::SeriesEPlus,
        _ => return None,
    })
}

/// Whether a two-letter abbreviation is also the ISO code of a country the planner knows ("CA", "DE").
fn is_country_code(abbreviation: &str) -> bool {
    vocab::COUNTRIES.iter().any(|(code, _)| code.eq_ignore_ascii_case(abbreviation))
}

/// `stage` and every later private stage up to growth; from growth on, public too ("growth stage
/// or later").
fn stages_from(stage: FundingStage) -> Vec<FundingStage> {
    let last = if stage >= FundingStage::Growth { FundingStage::Public } else { FundingStage::Growth };
    STAGES.iter().copied().filter(|s| *s >= stage && *s <= last).collect()
}
