//! The open vocabulary: what the planner keeps when its tables do not know the words.
//!
//! The tables (`vocab.rs`, `roles.rs`) give canonical names, but users name jobs and industries
//! the tables will never list. Rather than drop such words or swap them for the nearest known
//! entry, the planner reads their grammar and keeps them as written:
//!
//! - **Titles** by the shape of a job title: a seniority word, a connector and an area ("Head of
//!   Developer Relations", "VP Procurement", "Directeur des achats", "Leiter Einkauf"), an area and a
//!   trailing seniority word ("Procurement Director", "Partnerships Lead"), "Chief … Officer"
//!   ("Chief Medical Officer"), or a German compound on "-leiter" ("Einkaufsleiter"). English titles
//!   take the canonical shape the tables use ("Procurement Directors" is Director of Procurement);
//!   others stay as written. Either way the title is singular and in Title Case, the seniority is
//!   the seniority word's, and the department is the one the area implies when it clearly implies
//!   one (procurement is Operations, communications Marketing), [`Department::Other`] otherwise.
//! - **Industries** by the shape of a company description: words ending in a noun for a kind of
//!   business ("retail banks", "marketing agencies", "dental clinics", "coffee roasters", "law
//!   firms"; "agences marketing", "clínicas dentales", "Zahnarztpraxen"), words before a generic
//!   company noun ("drone companies" is `drone`), or a word on "-tech" ("regtech"). The slug is
//!   the phrase folded (lowercase, no accents or punctuation), words joined by `_`, not singularised.
//! - **Small words** ([`is_small_word`]): articles, prepositions, pronouns, connectives and request
//!   verbs in the four languages. What is left unread once every reader has run, small words
//!   aside, is reported in `criteria.unread`.

use super::super::{Department, Role, Seniority};
use super::text::{word_matches, Kind, Tokens};
use super::vocab;

use Department as D;
use Seniority as S;

/// Most words an area of a title or an open industry may have.
const MAX_AREA_WORDS: usize = 4;

/// Seniority words that open a title, with whether they are English (the title is then built in
/// the tables' canonical shape) and whether a connector may be left out ("VP Procurement",
/// "Leiter Einkauf", "responsable achats"; but "Head Procurement" is not a title).
const OPEN_FIRST: &[(&str, Seniority, bool, bool)] = &[
    ("vp", S::Vp, true, true),
    ("svp", S::Vp, true, true),
    ("evp", S::Vp, true, true),
    ("vice president", S::Vp, true, true),
    ("senior vice president", S::Vp, true, true),
    ("head", S::Head, true, false),
    ("global head", S::Head, true, false),
    ("director", S::Director, true, false),
    ("senior director", S::Director, true, false),
    ("manager", S::Manager, true, false),
    ("vicepresidente", S::Vp, false, false),
    ("leiter", S::Head, false, true),
    ("leiterin", S::Head, false, true),
    ("leitung", S::Head, false, true),
    ("responsable", S::Head, false, true),
    ("jefe", S::Head, false, false),
    ("jefa", S::Head, false, false),
    ("directeur", S::Director, false, false),
    ("directrice", S::Director, false, false),
    ("directora", S::Director, false, false),
    ("direktor", S::Director, false, false),
    ("direktorin", S::Director, false, false),
    ("gerente", S::Manager, false, false),
];

/// Plural spellings of [`OPEN_FIRST`] words that the -s/-es rule does not catch.
const OPEN_FIRST_PLURALS: &[(&str, &str)] = &[
    ("directores", "director"),
    ("directoras", "directora"),
    ("leiterinnen", "leiterin"),
    ("direktoren", "direktor"),
    ("direktorinnen", "direktorin"),
    ("vicepresidentes", "vicepresidente"),
];

/// English connectors between a seniority word and its area; the title is rebuilt without them.
const ENGLISH_CONNECTORS: &[&str] = &["of", "of the", "for", ",", "-", ":"];
/// Connectors of the other languages, kept as written.
const OTHER_CONNECTORS: &[&str] = &["de", "des", "du", "de la", "de l", "d", "del", "de los", "de las", "der", "fur", "fur den", "fur die"];

/// Seniority words that close a title ("Procurement Director"); "lead" only in the singular, since
/// "leads" are more often sales leads than team leads, and "head" not at all ("department head").
const OPEN_LAST: &[(&str, Seniority)] = &[
    ("manager", S::Manager),
    ("director", S::Director),
    ("leader", S::Head),
    ("lead", S::Head),
    ("vp", S::Vp),
    ("vps", S::Vp),
    ("svp", S::Vp),
];

/// Words of an area that say which department it belongs to, beyond the department names
/// themselves ("Head of Procurement" is in Operations). Only clear cases: "Developer Relations",
/// "Digital" or "Medical" imply none.
const IMPLIED_DEPARTMENTS: &[(&str, Department)] = &[
    ("procurement", D::Operations),
    ("purchasing", D::Operations),
    ("supply chain", D::Operations),
    ("facilities", D::Operations),
    ("fulfillment", D::Operations),
    ("fulfilment", D::Operations),
    ("einkauf", D::Operations),
    ("einkaufs", D::Operations),
    ("beschaffung", D::Operations),
    ("achats", D::Operations),
    ("achat", D::Operations),
    ("compras", D::Operations),
    ("partnerships", D::Sales),
    ("partnership", D::Sales),
    ("alliances", D::Sales),
    ("channel", D::Sales),
    ("channel sales", D::Sales),
    ("key accounts", D::Sales),
    ("partenariats", D::Sales),
    ("alianzas", D::Sales),
    ("communications", D::Marketing),
    ("communication", D::Marketing),
    ("comms", D::Marketing),
    ("brand", D::Marketing),
    ("content", D::Marketing),
    ("public relations", D::Marketing),
    ("pr", D::Marketing),
    ("product marketing", D::Marketing),
    ("kommunikation", D::Marketing),
    ("comunicacion", D::Marketing),
    ("accounting", D::Finance),
    ("tax", D::Finance),
    ("treasury", D::Finance),
    ("investor relations", D::Finance),
    ("controlling", D::Finance),
    ("comptabilite", D::Finance),
    ("contabilidad", D::Finance),
    ("buchhaltung", D::Finance),
    ("it", D::Engineering),
    ("information technology", D::Engineering),
    ("cloud", D::Engineering),
    ("devops", D::Engineering),
    ("qa", D::Engineering),
    ("quality assurance", D::Engineering),
    ("informatique", D::Engineering),
    ("informatica", D::Engineering),
    ("learning and development", D::People),
    ("total rewards", D::People),
    ("compensation", D::People),
    ("payroll", D::People),
    ("privacy", D::Legal),
    ("regulatory", D::Legal),
    ("contracts", D::Legal),
    ("customer care", D::CustomerSuccess),
    ("client services", D::CustomerSuccess),
];

/// Nouns for a kind of business: a phrase ending in one is a company description ("retail
/// banks"). In French and Spanish the noun comes first ("agences marketing", "clínicas dentales").
const BUSINESS_NOUNS: &[&str] = &[
    "agency",
    "agencies",
    "bank",
    "banks",
    "clinic",
    "clinics",
    "firm",
    "firms",
    "brand",
    "brands",
    "roaster",
    "roasters",
    "roastery",
    "roasteries",
    "studio",
    "studios",
    "shop",
    "shops",
    "store",
    "stores",
    "retailer",
    "retailers",
    "restaurant",
    "restaurants",
    "cafe",
    "cafes",
    "hotel",
    "hotels",
    "manufacturer",
    "manufacturers",
    "maker",
    "makers",
    "producer",
    "producers",
    "supplier",
    "suppliers",
    "distributor",
    "distributors",
    "wholesaler",
    "wholesalers",
    "provider",
    "providers",
    "vendor",
    "vendors",
    "consultancy",
    "consultancies",
    "practice",
    "practices",
    "lab",
    "labs",
    "laboratory",
    "laboratories",
    "brewery",
    "breweries",
    "winery",
    "wineries",
    "distillery",
    "distilleries",
    "bakery",
    "bakeries",
    "pharmacy",
    "pharmacies",
    "hospital",
    "hospitals",
    "school",
    "schools",
    "university",
    "universities",
    "dealership",
    "dealerships",
    "dealer",
    "dealers",
    "broker",
    "brokers",
    "brokerage",
    "brokerages",
    "insurer",
    "insurers",
    "lender",
    "lenders",
    "operator",
    "operators",
    "carrier",
    "carriers",
    "publisher",
    "publishers",
    "marketplace",
    "marketplaces",
    "platform",
    "platforms",
    "contractor",
    "contractors",
    "builder",
    "builders",
    "integrator",
    "integrators",
    "reseller",
    "resellers",
    "chain",
    "chains",
    "gym",
    "gyms",
    "salon",
    "salons",
    "spa",
    "spas",
    "office",
    "offices",
    "center",
    "centers",
    "centre",
    "centres",
    "cooperative",
    "cooperatives",
    "nonprofit",
    "nonprofits",
    "charity",
    "charities",
    "foundation",
    "foundations",
    "fund",
    "funds",
    "dentists",
    "lawyers",
    "accountants",
    "architects",
    "consultants",
    "vets",
    "veterinarians",
];

/// French and Spanish nouns for a kind of business, which take their kind after them ("agences
/// marketing", "clínicas dentales", "agencias de marketing").
const ROMANCE_BUSINESS_NOUNS: &[&str] = &[
    "agences",
    "banques",
    "cliniques",
    "cabinets",
    "boutiques",
    "magasins",
    "ecoles",
    "laboratoires",
    "torrefacteurs",
    "brasseries",
    "boulangeries",
    "pharmacies",
    "editeurs",
    "fabricants",
    "constructeurs",
    "distributeurs",
    "grossistes",
    "assureurs",
    "courtiers",
    "concessionnaires",
    "agencias",
    "bancos",
    "clinicas",
    "despachos",
    "bufetes",
    "tiendas",
    "restaurantes",
    "hoteles",
    "escuelas",
    "laboratorios",
    "tostadores",
    "cervecerias",
    "panaderias",
    "farmacias",
    "estudios",
    "editoriales",
    "fabricantes",
    "distribuidores",
    "aseguradoras",
    "consultoras",
    "concesionarios",
];

/// German nouns for a kind of business, alone ("Kanzleien") or ending a compound ("Zahnarztpraxen").
const GERMAN_BUSINESS_ENDINGS: &[&str] = &[
    "agenturen",
    "agentur",
    "banken",
    "kliniken",
    "praxen",
    "kanzleien",
    "hersteller",
    "herstellern",
    "handler",
    "handlern",
    "brauereien",
    "rostereien",
    "versicherer",
];

/// Generic nouns for companies: "drone companies" is the industry `drone`.
pub(super) const GENERIC_COMPANY_NOUNS: &[&str] = &[
    "companies",
    "company",
    "startups",
    "startup",
    "start ups",
    "start up",
    "scaleups",
    "scale ups",
    "businesses",
    "organizations",
    "organisations",
    "corporations",
    "enterprises",
    "unternehmen",
    "firmen",
    "entreprises",
    "societes",
    "empresas",
    "players",
];

/// Articles, prepositions, pronouns, connectives, request verbs and generic nouns in the four
/// languages: never reported as unread, never part of an area or an industry.
const SMALL_WORDS: &[&str] = &[
    // English
    "a",
    "an",
    "the",
    "of",
    "in",
    "at",
    "on",
    "for",
    "to",
    "from",
    "with",
    "by",
    "and",
    "or",
    "but",
    "nor",
    "not",
    "no",
    "is",
    "are",
    "be",
    "been",
    "being",
    "was",
    "were",
    "am",
    "do",
    "does",
    "did",
    "have",
    "has",
    "had",
    "having",
    "i",
    "me",
    "my",
    "we",
    "us",
    "our",
    "you",
    "your",
    "they",
    "them",
    "their",
    "he",
    "she",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "who",
    "whom",
    "whose",
    "which",
    "what",
    "where",
    "when",
    "how",
    "all",
    "any",
    "some",
    "each",
    "every",
    "per",
    "both",
    "either",
    "other",
    "such",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "can",
    "could",
    "will",
    "would",
    "should",
    "may",
    "might",
    "must",
    "shall",
    "just",
    "also",
    "please",
    "pls",
    "find",
    "get",
    "give",
    "show",
    "list",
    "lists",
    "pull",
    "fetch",
    "build",
    "compile",
    "identify",
    "locate",
    "source",
    "target",
    "targeting",
    "gather",
    "collect",
    "send",
    "provide",
    "return",
    "want",
    "need",
    "needs",
    "looking",
    "look",
    "seeking",
    "seek",
    "searching",
    "search",
    "help",
    "let",
    "lets",
    "like",
    "across",
    "within",
    "into",
    "about",
    "around",
    "near",
    "based",
    "located",
    "headquartered",
    "hq",
    "hqs",
    "via",
    "plus",
    "vs",
    "versus",
    "more",
    "most",
    "less",
    "least",
    "new",
    "there",
    "here",
    "then",
    "now",
    "instead",
    "add",
    "also",
    "drop",
    "remove",
    "without",
    "exclude",
    "excluding",
    "except",
    "skip",
    "minus",
    "make",
    "keep",
    "change",
    "switch",
    "set",
    "limit",
    "cap",
    "trim",
    "reduce",
    "include",
    "including",
    "as",
    "well",
    "again",
    "rather",
    "actually",
    "same",
    "what",
    "about",
    "people",
    "persons",
    "person",
    "contacts",
    "contact",
    "leads",
    "lead",
    "prospects",
    "prospect",
    "accounts",
    "data",
    "info",
    "information",
    "details",
    "names",
    "name",
    "profiles",
    "profile",
    "titles",
    "title",
    "roles",
    "role",
    "folks",
    "someone",
    "anyone",
    "everyone",
    "ones",
    "one",
    "e",
    "g",
    "eg",
    "ie",
    "etc",
    "ok",
    "okay",
    "thanks",
    "thank",
    "hi",
    "hello",
    "hey",
    "yes",
    "who",
    "whose",
    "are",
    "currently",
    "right",
    "s",
    "t",
    "don",
    "dont",
    "doesn",
    "work",
    "working",
    "works",
    "them",
    "operating",
    "operate",
    "active",
    "run",
    "running",
    "use",
    "using",
    "uses",
    "used",
    "into",
    "out",
    "up",
    "down",
    "over",
    "under",
    "between",
    "after",
    "before",
    "since",
    "during",
    "among",
    "amongst",
    "any",
    "way",
    "specifically",
    "namely",
    "especially",
    "particularly",
    "particular",
    "mainly",
    "mostly",
    "primarily",
    "ideally",
    "preferably",
    "maybe",
    "perhaps",
    "roughly",
    "approximately",
    "about",
    "around",
    "some",
    "several",
    "many",
    "few",
    "lot",
    "lots",
    "bunch",
    "type",
    "types",
    "kind",
    "kinds",
    "sort",
    "space",
    "sector",
    "sectors",
    "industry",
    "industries",
    "vertical",
    "verticals",
    "market",
    "markets",
    "area",
    "areas",
    "region",
    "regions",
    "country",
    "countries",
    "city",
    "cities",
    "state",
    "states",
    "also",
    "too",
    "focus",
    "focused",
    "focusing",
    "ones",
    "whole",
    "entire",
    "full",
    "complete",
    "total",
    "me",
    "list",
    "results",
    "result",
    "rows",
    "row",
    "records",
    "record",
    "entries",
    "entry",
    "lines",
    "line",
    "email",
    "emails",
    "mail",
    "mails",
    "phone",
    "phones",
    "number",
    "numbers",
    "linkedin",
    "both",
    "employee",
    "employees",
    "staff",
    "team",
    "teams",
    "size",
    "sized",
    "top",
    "first",
    "best",
    "good",
    "great",
    "big",
    "large",
    "larger",
    "small",
    "smaller",
    "medium",
    "mid",
    "sized",
    "level",
    "stage",
    "stages",
    "staged",
    "round",
    "rounds",
    "funded",
    "backed",
    "raised",
    "raising",
    "recent",
    "recently",
    "latest",
    "last",
    "past",
    "next",
    "days",
    "day",
    "weeks",
    "week",
    "months",
    "month",
    "years",
    "year",
    "ago",
    "hire",
    "hiring",
    "hires",
    "senior",
    "junior",
    "key",
    "main",
    "primary",
    "relevant",
    "appropriate",
    "right",
    "correct",
    "exact",
    "direct",
    "directly",
    "verified",
    "verify",
    "valid",
    "contactable",
    "reachable",
    "worth",
    "fit",
    "fits",
    "fitting",
    "match",
    "matching",
    "matches",
    "similar",
    "equivalent",
    "related",
    "relevant",
    "associated",
    "respective",
    "corresponding",
    "whoever",
    "whatever",
    "anything",
    "something",
    "everything",
    "nothing",
    "either",
    "neither",
    "each",
    "every",
    "plus",
    "minus",
    "x",
    "csv",
    "json",
    "xlsx",
    "excel",
    "file",
    "spreadsheet",
    "export",
    "download",
    "format",
    "sheet",
    "doc",
    "document",
    "report",
    "scrape",
    "crawl",
    "enrich",
    "research",
    // German
    "der",
    "die",
    "das",
    "den",
    "dem",
    "des",
    "ein",
    "eine",
    "einen",
    "einem",
    "einer",
    "eines",
    "und",
    "oder",
    "in",
    "im",
    "bei",
    "beim",
    "mit",
    "von",
    "vom",
    "zu",
    "zur",
    "zum",
    "fur",
    "auf",
    "aus",
    "an",
    "am",
    "ist",
    "sind",
    "wir",
    "ich",
    "mir",
    "mich",
    "uns",
    "unser",
    "unsere",
    "ihr",
    "ihre",
    "sie",
    "es",
    "finde",
    "finden",
    "such",
    "suche",
    "suchen",
    "gib",
    "zeige",
    "zeig",
    "bitte",
    "sowie",
    "auch",
    "nur",
    "alle",
    "jede",
    "jeden",
    "jeder",
    "welche",
    "die",
    "mindestens",
    "mehr",
    "als",
    "weniger",
    "uber",
    "unter",
    "sitz",
    "ansassig",
    "ansassige",
    "ansassigen",
    "basiert",
    "basierte",
    "basierten",
    "firmen",
    "kontakte",
    "liste",
    "personen",
    "leute",
    "bzw",
    "etwa",
    "ca",
    // French
    "le",
    "la",
    "les",
    "l",
    "un",
    "une",
    "des",
    "du",
    "de",
    "d",
    "et",
    "ou",
    "en",
    "au",
    "aux",
    "avec",
    "pour",
    "par",
    "sur",
    "dans",
    "chez",
    "qui",
    "que",
    "qu",
    "dont",
    "est",
    "sont",
    "ce",
    "cet",
    "cette",
    "ces",
    "son",
    "sa",
    "ses",
    "leur",
    "leurs",
    "nos",
    "notre",
    "vos",
    "votre",
    "je",
    "tu",
    "il",
    "elle",
    "nous",
    "vous",
    "ils",
    "elles",
    "moi",
    "mon",
    "ma",
    "mes",
    "trouve",
    "trouver",
    "trouvez",
    "cherche",
    "cherchons",
    "recherche",
    "donne",
    "donnez",
    "montre",
    "liste",
    "basee",
    "basees",
    "base",
    "bases",
    "situee",
    "situees",
    "situes",
    "implantees",
    "plus",
    "moins",
    "tres",
    "personnes",
    "merci",
    "svp",
    "toutes",
    "tous",
    "chaque",
    "entre",
    "ayant",
    "qui",
    "ont",
    "sans",
    "aussi",
    "seulement",
    "uniquement",
    // Spanish
    "el",
    "los",
    "las",
    "unos",
    "unas",
    "del",
    "y",
    "o",
    "con",
    "para",
    "por",
    "sobre",
    "quien",
    "quienes",
    "cuyo",
    "es",
    "son",
    "su",
    "sus",
    "nuestro",
    "nuestra",
    "mi",
    "yo",
    "busca",
    "buscar",
    "buscamos",
    "encuentra",
    "encontrar",
    "dame",
    "danos",
    "lista",
    "basadas",
    "basada",
    "basados",
    "ubicadas",
    "ubicados",
    "al",
    "a",
    "mas",
    "menos",
    "muy",
    "cada",
    "todas",
    "todos",
    "que",
    "tienen",
    "tengan",
    "sin",
    "tambien",
    "solo",
    "personas",
    "contactos",
    "por favor",
    "favor",
    "entre",
    "sede",
];

/// Words that describe a company but name no industry ("fast-growing companies", "B2B
/// companies"): an open industry does not start with them, and they are reported unread.
const NOT_AN_INDUSTRY: &[&str] = &[
    "fast",
    "growing",
    "high",
    "innovative",
    "leading",
    "established",
    "bootstrapped",
    "profitable",
    "remote",
    "private",
    "family",
    "owned",
    "independent",
    "local",
    "global",
    "international",
    "early",
    "young",
    "emerging",
    "hot",
    "promising",
    "successful",
    "vc",
    "venture",
    "b2b",
    "b2c",
    "b2b2c",
    "smb",
    "smbs",
    "sme",
    "smes",
    "enterprise",
    "mid",
    "market",
    "series",
    "tier",
    "well",
    "known",
    "major",
    "traditional",
    "modern",
    "digital",
    "online",
    "offline",
    "independent",
    "regional",
    "national",
    "multinational",
    "listed",
    "unicorn",
    "unicorns",
    "first",
    "based",
    "friendly",
    "driven",
    "led",
    "focused",
    "oriented",
];

/// Whether `word` (folded) describes a company without naming an industry ("fast-growing", "B2B").
pub(super) fn is_not_an_industry(word: &str) -> bool {
    NOT_AN_INDUSTRY.contains(&word)
}

/// Whether `word` (folded) is a small word: an article, a preposition, a pronoun, a connective,
/// a request verb or a generic noun, never reported as unread.
pub(super) fn is_small_word(word: &str) -> bool {
    SMALL_WORDS.contains(&word)
}

/// The role of an open title starting at `at`, with the index past it; `None` when no title
/// shape starts there.
pub(super) fn open_role_at(tokens: &Tokens, at: usize) -> Option<(Role, usize)> {
    chief_officer(tokens, at)
        .or_else(|| seniority_then_area(tokens, at))
        .or_else(|| german_compound(tokens, at))
        .or_else(|| area_then_seniority(tokens, at))
}

/// "Chief Medical Officer", "Chief Sustainability Officers".
fn chief_officer(tokens: &Tokens, at: usize) -> Option<(Role, usize)> {
    let area_at = tokens.match_phrase(at, "chief")?;
    let officer = (area_at + 1..=area_at + 3).find(|&i| tokens.match_phrase(i, "officer").is_some())?;
    if !(area_at..officer).all(|i| area_word(tokens, i, true)) {
        return None;
    }
    let area = title_case(tokens, area_at, officer);
    let role =
        Role { title: format!("Chief {area} Officer"), seniority: S::CLevel, department: implied_department(tokens, area_at, officer) };
    Some((role, officer + 1))
}

/// "Head of Developer Relations", "VP Procurement", "Directeur des achats", "Leiter Einkauf".
fn seniority_then_area(tokens: &Tokens, at: usize) -> Option<(Role, usize)> {
    let (after, seniority, english, connector_optional, written) = open_first_at(tokens, at)?;
    let english_connector = tokens.longest_of(after, ENGLISH_CONNECTORS);
    let other_connector = tokens.longest_of(after, OTHER_CONNECTORS);
    let (area_start, english) = match (english_connector, other_connector) {
        (Some(end), _) => (end, english),
        (None, Some(end)) => (end, false),
        (None, None) if connector_optional => (after, english),
        (None, None) => return None,
    };
    // "Head of Payments": the first word of the area may be a word of the vocabulary, so long as
    // it is no place; later ones may not ("Head of Growth SaaS" is Head of Growth).
    let area_end = area_end(tokens, area_start + 1, false).unwrap_or(area_start + 1);
    if !area_word(tokens, area_start, false) {
        return None;
    }
    if ends_in_business_noun(tokens, area_start, area_end) {
        // "Directors of dental clinics" names the companies, not a title.
        return None;
    }
    let department = implied_department(tokens, area_start, area_end);
    let title = if english {
        canonical(seniority, &title_case(tokens, area_start, area_end))
    } else {
        let connector = if area_start > after { format!(" {}", connector_text(tokens, after, area_start)) } else { String::new() };
        format!("{}{connector} {}", capitalize(written), title_case(tokens, area_start, area_end))
    };
    Some((Role { title, seniority, department }, area_end))
}

/// "Procurement Director", "Partnerships Lead", "Account Managers".
fn area_then_seniority(tokens: &Tokens, at: usize) -> Option<(Role, usize)> {
    let mut end = at;
    while end < at + MAX_AREA_WORDS && area_word(tokens, end, false) && !vocab_word_at(tokens, end) {
        end += 1;
    }
    if end == at || tokens.text(end) == "leads" {
        return None;
    }
    let (after, &seniority) = tokens.longest(end, OPEN_LAST)?;
    let area = title_case(tokens, at, end);
    Some((Role { title: canonical(seniority, &area), seniority, department: implied_department(tokens, at, end) }, after))
}

/// "Einkaufsleiter", "Kommunikationsleiterin": a German compound on "-leiter".
fn german_compound(tokens: &Tokens, at: usize) -> Option<(Role, usize)> {
    let token = tokens.get(at).filter(|t| t.kind == Kind::Word && !tokens.is_claimed(at))?;
    let word = token.text.as_str();
    let stem = ["leiterinnen", "leiterin", "leiter", "leitung"].iter().find_map(|suffix| word.strip_suffix(suffix))?;
    if stem.len() < 3 {
        return None;
    }
    let bare = stem.strip_suffix('s').unwrap_or(stem);
    let department = [stem, bare]
        .iter()
        .find_map(|s| {
            super::roles::DEPARTMENTS
                .iter()
                .find(|(p, _)| p == s)
                .map(|(_, d)| *d)
                .or_else(|| IMPLIED_DEPARTMENTS.iter().find(|(p, _)| p == s).map(|(_, d)| *d))
        })
        .unwrap_or(D::Other);
    let mut written: Vec<char> = tokens.original(at, at + 1).chars().collect();
    if word.ends_with("leiterinnen") {
        // "Einkaufsleiterinnen" → "Einkaufsleiterin".
        written.truncate(written.len().saturating_sub(3));
    }
    let singular: String = written.into_iter().collect();
    Some((Role { title: capitalize(&singular), seniority: S::Head, department }, at + 1))
}

/// The seniority word opening a title at `at`: the index past it, its seniority, whether it is
/// English, whether it may go without a connector, and its singular spelling.
fn open_first_at(tokens: &Tokens, at: usize) -> Option<(usize, Seniority, bool, bool, &'static str)> {
    let mut best: Option<(usize, Seniority, bool, bool, &'static str)> = None;
    for &(phrase, seniority, english, optional) in OPEN_FIRST {
        if let Some(end) = tokens.match_phrase(at, phrase) {
            if best.is_none_or(|b| end > b.0) {
                best = Some((end, seniority, english, optional, phrase));
            }
        }
    }
    best.or_else(|| {
        let (_, singular) = OPEN_FIRST_PLURALS.iter().find(|(plural, _)| tokens.match_phrase(at, plural).is_some())?;
        let &(phrase, seniority, english, optional) = OPEN_FIRST.iter().find(|(p, ..)| p == singular)?;
        Some((at + 1, seniority, english, optional, phrase))
    })
}

/// The end of an area starting at `start`: up to [`MAX_AREA_WORDS`] area words.
fn area_end(tokens: &Tokens, start: usize, any_vocabulary: bool) -> Option<usize> {
    let mut end = start;
    while end < start + MAX_AREA_WORDS && area_word(tokens, end, any_vocabulary) && (any_vocabulary || !vocab_word_at(tokens, end)) {
        end += 1;
    }
    (end > start).then_some(end)
}

/// Whether the token at `at` can be part of an area: an unclaimed word, not a small word (but
/// "IT" in capitals is one), not a place, a count or a company noun.
fn area_word(tokens: &Tokens, at: usize, inside_chief_officer: bool) -> bool {
    let Some(token) = tokens.get(at) else { return false };
    if tokens.is_claimed(at) || token.kind != Kind::Word {
        return false;
    }
    if token.text == "it" && token.all_caps {
        return true;
    }
    if inside_chief_officer {
        return !is_small_word(&token.text) || token.text == "and";
    }
    !is_small_word(&token.text)
        && tokens.longest_of(at, GENERIC_COMPANY_NOUNS).is_none()
        && tokens.longest_of(at, vocab::COMPANY_NOUNS).is_none()
        && !vocab::starts_place(tokens, at)
        && !super::roles::is_seniority_word(tokens, at)
}

/// Whether an industry, technology, stage or source phrase of the vocabulary starts at `at`.
fn vocab_word_at(tokens: &Tokens, at: usize) -> bool {
    tokens.longest(at, vocab::INDUSTRIES).is_some()
        || tokens.longest(at, vocab::TECHNOLOGIES).is_some()
        || tokens.longest(at, vocab::SOURCES).is_some()
        || tokens.longest_of(at, &["seed", "series", "serie", "pre seed", "public"]).is_some()
}

/// The department the words `from..to` imply: the last department or implied area named.
fn implied_department(tokens: &Tokens, from: usize, to: usize) -> Department {
    let mut found = None;
    let mut at = from;
    while at < to {
        let known = tokens.longest(at, super::roles::DEPARTMENTS).map(|(end, d)| (end, *d));
        let implied = tokens.longest(at, IMPLIED_DEPARTMENTS).map(|(end, d)| (end, *d));
        match [known, implied].into_iter().flatten().filter(|(end, _)| *end <= to).max_by_key(|(end, _)| *end) {
            Some((end, department)) => {
                found = Some(department);
                at = end;
            }
            None => at += 1,
        }
    }
    found.unwrap_or(D::Other)
}

/// The title built the tables' way from a seniority and an area's name.
fn canonical(seniority: Seniority, area: &str) -> String {
    match seniority {
        S::Vp => format!("VP {area}"),
        S::Head => format!("Head of {area}"),
        S::Director => format!("Director of {area}"),
        S::Manager => format!("{area} Manager"),
        S::CLevel => format!("Chief {area} Officer"),
        S::IndividualContributor => area.to_string(),
    }
}

/// Words kept in lowercase inside a title.
const LOWERCASE_IN_TITLES: &[&str] = &[
    "of", "the", "for", "and", "de", "des", "du", "la", "le", "les", "l", "d", "del", "los", "las", "der", "die", "das", "fur", "y", "et",
    "und",
];

/// The words `from..to` as written, each capitalised except small connecting words.
fn title_case(tokens: &Tokens, from: usize, to: usize) -> String {
    (from..to)
        .filter_map(|i| tokens.get(i).map(|t| (i, t)))
        .filter(|(_, t)| t.kind == Kind::Word)
        .map(|(i, t)| {
            let written = tokens.original(i, i + 1);
            if LOWERCASE_IN_TITLES.contains(&t.text.as_str()) {
                written.to_lowercase()
            } else if t.all_caps && written.chars().count() > 3 {
                capitalize(&written.to_lowercase())
            } else {
                capitalize(&written)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The connector words between a seniority word and its area, as written in lowercase.
fn connector_text(tokens: &Tokens, from: usize, to: usize) -> String {
    let mut text = String::new();
    for i in from..to {
        let written = tokens.original(i, i + 1).to_lowercase();
        // "de l'" and "d'": the apostrophe is not a token; glue the elided article to what follows.
        text.push_str(&written);
        if !matches!(written.as_str(), "l" | "d") {
            text.push(' ');
        } else {
            text.push('\'');
        }
    }
    text.trim_end().to_string()
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or(String::new(), |first| first.to_uppercase().chain(chars).collect())
}

/// Whether the words `from..to` end in a plural noun for a kind of business ("dental clinics";
/// "Head of Brand" is a title).
fn ends_in_business_noun(tokens: &Tokens, from: usize, to: usize) -> bool {
    let last = tokens.text(to.saturating_sub(1));
    to > from && last.ends_with('s') && is_business_noun(last)
}

/// Whether `word` (folded) names a kind of business: a noun of [`BUSINESS_NOUNS`] or a German
/// compound ending in one ("zahnarztpraxen").
pub(super) fn is_business_noun(word: &str) -> bool {
    BUSINESS_NOUNS.iter().any(|noun| word_matches(word, noun))
        || is_romance_business_noun(word)
        || GERMAN_BUSINESS_ENDINGS.iter().any(|ending| word == *ending || (word.len() >= ending.len() + 3 && word.ends_with(ending)))
}

/// Whether `word` (folded) is a French or Spanish noun for a kind of business, which comes before its kind.
pub(super) fn is_romance_business_noun(word: &str) -> bool {
    ROMANCE_BUSINESS_NOUNS.contains(&word)
}

/// An open industry: the words `from..to` folded and joined by `_` ("retail banks" → `retail_banks`).
pub(super) fn industry_slug(tokens: &Tokens, from: usize, to: usize) -> String {
    (from..to)
        .filter(|&i| tokens.kind(i) == Some(Kind::Word))
        .map(|i| tokens.text(i).chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// Whether `word` (folded) is a word on "-tech" the vocabulary does not know ("regtech", "femtechs").
pub(super) fn is_tech_word(word: &str) -> bool {
    let stem = word.strip_suffix('s').unwrap_or(word);
    stem.len() > 5 && stem.ends_with("tech")
}
