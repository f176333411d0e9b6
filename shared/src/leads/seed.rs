//! Seed files: the CSV lists of companies (and optionally people) a user attaches to a message
//! for a job to enrich instead of discovering.
//!
//! Spreadsheets come from many tools, so reading is forgiving where it is safe to be: a UTF-8
//! byte-order mark is dropped, text that is not UTF-8 is read as Windows-1252/Latin-1 (what
//! Excel exports), the delimiter is sniffed from the header (`,`, `;` or tab), and headers are
//! matched by meaning ("Company Name", "company", "Organisation" are one column). Values are
//! normalised where the lead model asks for a form (a website becomes a lowercase domain, a
//! country name becomes its ISO code, a job title gets its seniority and department); anything
//! not understood is kept verbatim under `fields`, never guessed. Every fact a row sets is
//! grounded by one `seed` source naming the file.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::dedupe::field_paths;
use super::{Company, LeadDraft, Person, Source, SourceKind};
use quarry_planner::{country_code, industry_slug, read_title};
use quarry_ports::clock::Timestamp;

/// Most rows read from one file (the artifact's row cap).
pub const MAX_SEED_ROWS: usize = 10_000;
/// Most columns kept verbatim under `fields` per row (the rest are ignored, and said so).
const MAX_EXTRA_COLUMNS: usize = 30;
/// Longest value kept from a cell; longer cells are cut at a character boundary.
const MAX_CELL_CHARS: usize = 500;
/// Most skipped-row notes listed one by one (the rest are counted).
const MAX_NOTES: usize = 5;

/// What a seed file held.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeedFile {
    /// One draft per usable row, in file order.
    pub rows: Vec<LeadDraft>,
    /// Plain-words notes for the job summary: skipped rows, ignored columns, truncation.
    pub notes: Vec<String>,
}

/// Why a file could not be read as a seed list; the message says what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is a spreadsheet workbook or other binary file, not CSV; export it as CSV (UTF-8) and attach that")]
    NotCsv,
    #[error("the CSV is malformed: {0}")]
    Malformed(String),
    #[error(
        "the header row names no column to identify a company or person by (looked for a company name, domain or website, or email; found: {0})"
    )]
    NoIdentifyingColumn(String),
}

/// What a header means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    CompanyName,
    Domain,
    Country,
    City,
    Industry,
    Employees,
    CompanyLinkedin,
    CompanyPhone,
    FullName,
    FirstName,
    LastName,
    Title,
    Email,
    PersonPhone,
    PersonLinkedin,
    /// Kept verbatim under `fields.<name>`.
    Extra,
}

/// Header spellings (folded: lowercase, words joined by `_`) → meaning. `name` is resolved
/// separately, because it means the company unless the file has a company column.
const HEADERS: &[(&str, Column)] = &[
    ("company", Column::CompanyName),
    ("company_name", Column::CompanyName),
    ("companyname", Column::CompanyName),
    ("organization", Column::CompanyName),
    ("organisation", Column::CompanyName),
    ("organization_name", Column::CompanyName),
    ("account", Column::CompanyName),
    ("account_name", Column::CompanyName),
    ("employer", Column::CompanyName),
    ("domain", Column::Domain),
    ("company_domain", Column::Domain),
    ("website", Column::Domain),
    ("company_website", Column::Domain),
    ("web", Column::Domain),
    ("site", Column::Domain),
    ("url", Column::Domain),
    ("company_url", Column::Domain),
    ("homepage", Column::Domain),
    ("country", Column::Country),
    ("hq_country", Column::Country),
    ("company_country", Column::Country),
    ("country_code", Column::Country),
    ("city", Column::City),
    ("hq_city", Column::City),
    ("company_city", Column::City),
    ("industry", Column::Industry),
    ("sector", Column::Industry),
    ("vertical", Column::Industry),
    ("employees", Column::Employees),
    ("employee_count", Column::Employees),
    ("headcount", Column::Employees),
    ("number_of_employees", Column::Employees),
    ("company_linkedin", Column::CompanyLinkedin),
    ("company_linkedin_url", Column::CompanyLinkedin),
    ("phone", Column::CompanyPhone),
    ("company_phone", Column::CompanyPhone),
    ("full_name", Column::FullName),
    ("contact", Column::FullName),
    ("contact_name", Column::FullName),
    ("person", Column::FullName),
    ("person_name", Column::FullName),
    ("first_name", Column::FirstName),
    ("firstname", Column::FirstName),
    ("given_name", Column::FirstName),
    ("last_name", Column::LastName),
    ("lastname", Column::LastName),
    ("surname", Column::LastName),
    ("family_name", Column::LastName),
    ("title", Column::Title),
    ("job_title", Column::Title),
    ("position", Column::Title),
    ("role", Column::Title),
    ("email", Column::Email),
    ("e_mail", Column::Email),
    ("email_address", Column::Email),
    ("work_email", Column::Email),
    ("mobile", Column::PersonPhone),
    ("direct_phone", Column::PersonPhone),
    ("person_phone", Column::PersonPhone),
    ("linkedin", Column::PersonLinkedin),
    ("linkedin_url", Column::PersonLinkedin),
    ("person_linkedin", Column::PersonLinkedin),
];

/// Reads a seed file fetched from `url`.
pub fn parse(bytes: &[u8], url: &str, retrieved_at: Timestamp) -> Result<SeedFile, SeedError> {
    let text = decode(bytes)?;
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().map_err(|e| SeedError::Malformed(e.to_string()))?.iter().map(str::to_string).collect();
    let columns = classify(&headers);
    if !columns.iter().any(|(c, _)| matches!(c, Column::CompanyName | Column::Domain | Column::Email)) {
        return Err(SeedError::NoIdentifyingColumn(headers.join(", ")));
    }
    let mut file = SeedFile::default();
    let extras: Vec<usize> = columns.iter().enumerate().filter(|(_, (c, _))| *c == Column::Extra).map(|(i, _)| i).collect();
    if extras.len() > MAX_EXTRA_COLUMNS {
        let ignored: Vec<&str> = extras[MAX_EXTRA_COLUMNS..].iter().map(|&i| headers[i].as_str()).collect();
        file.notes.push(format!(
            "Ignored {} columns beyond the first {MAX_EXTRA_COLUMNS} unrecognised ones: {}.",
            ignored.len(),
            ignored.join(", ")
        ));
    }
    let kept_extras: BTreeSet<usize> = extras.into_iter().take(MAX_EXTRA_COLUMNS).collect();
    let source_of =
        |draft: &LeadDraft| Source { kind: SourceKind::Seed, url: Some(url.to_string()), retrieved_at, fields: field_paths(draft) };
    let (mut skipped, mut extra_rows) = (0usize, 0usize);
    for (n, record) in reader.records().enumerate() {
        let line = n + 2; // 1-based, after the header
        let record = record.map_err(|e| SeedError::Malformed(format!("line {line}: {e}")))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if file.rows.len() == MAX_SEED_ROWS {
            extra_rows += 1;
            continue;
        }
        let mut draft = read_row(&record, &columns, &kept_extras);
        if !identifies_someone(&draft) {
            skipped += 1;
            if skipped <= MAX_NOTES {
                file.notes.push(format!("Skipped line {line}: it has no company name, domain or email."));
            }
            continue;
        }
        let source = source_of(&draft);
        draft.sources.push(source);
        file.rows.push(draft);
    }
    if skipped > MAX_NOTES {
        file.notes.push(format!("Skipped {} more lines without a company name, domain or email.", skipped - MAX_NOTES));
    }
    if extra_rows > 0 {
        file.notes.push(format!("Read the first {MAX_SEED_ROWS} rows; {extra_rows} more were left out (the artifact row cap)."));
    }
    Ok(file)
}

/// UTF-8 (without its byte-order mark), else Windows-1252 as Excel writes it.
fn decode(bytes: &[u8]) -> Result<String, SeedError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(SeedError::Empty);
    }
    // Workbooks are zip files (xlsx) or OLE files (xls); either way, not text.
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) || bytes.contains(&0) {
        return Err(SeedError::NotCsv);
    }
    Ok(match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
    })
}

/// One Windows-1252 byte as a char (Latin-1 except for the 0x80–0x9F block).
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•',
        '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// The delimiter used most on the header line, among comma, semicolon and tab.
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    [b',', b';', b'\t'].into_iter().max_by_key(|&d| (header.bytes().filter(|&b| b == d).count(), d == b',')).unwrap_or(b',')
}

/// Each header's meaning, with its folded name (used for `fields`).
fn classify(headers: &[String]) -> Vec<(Column, String)> {
    let folded: Vec<String> = headers.iter().map(|h| fold_header(h)).collect();
    let has_company = folded.iter().any(|h| HEADERS.iter().any(|(name, c)| name == h && *c == Column::CompanyName));
    let mut seen = BTreeSet::new();
    folded
        .into_iter()
        .map(|name| {
            let column = match name.as_str() {
                "name" if has_company => Column::FullName,
                "name" => Column::CompanyName,
                _ => HEADERS.iter().find(|(h, _)| *h == name).map_or(Column::Extra, |(_, c)| *c),
            };
            // A second column of the same meaning is kept verbatim rather than overwriting.
            let column = if column != Column::Extra && !seen.insert(column as u8) { Column::Extra } else { column };
            (column, name)
        })
        .collect()
}

/// "Company Name " → `company_name`; "E-mail" → `e_mail`.
fn fold_header(header: &str) -> String {
    let folded = super::dedupe::fold_ascii(header.trim());
    folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join("_")
}

fn read_row(record: &csv::StringRecord, columns: &[(Column, String)], extras: &BTreeSet<usize>) -> LeadDraft {
    let mut company = Company::default();
    let mut person = Person::default();
    let mut fields = Map::new();
    for (i, (column, name)) in columns.iter().enumerate() {
        let Some(value) = record.get(i).map(cell).filter(|v| !v.is_empty()) else { continue };
        let keep_verbatim = |fields: &mut Map<String, Value>| {
            fields.insert(name.clone(), Value::String(value.clone()));
        };
        match column {
            Column::CompanyName => company.name = Some(value),
            Column::Domain => match domain_of(&value) {
                Some(domain) => {
                    // An explicit URL is where the company's site starts (the web engine reads it).
                    if value.contains("://") {
                        fields.insert("website".into(), Value::String(value.clone()));
                    }
                    company.domain = Some(domain);
                }
                None => keep_verbatim(&mut fields),
            },
            Column::Country => match country_code(&value) {
                Some(code) => company.hq_country = Some(code.to_string()),
                None => keep_verbatim(&mut fields),
            },
            Column::City => company.hq_city = Some(value),
            Column::Industry => match industry_slug(&value) {
                Some(slug) => company.industry = Some(slug.to_string()),
                None => keep_verbatim(&mut fields),
            },
            Column::Employees => match employee_count(&value) {
                Some(count) => company.employee_count = Some(count),
                None => keep_verbatim(&mut fields),
            },
            Column::CompanyLinkedin => company.linkedin = Some(value),
            Column::CompanyPhone => match e164(&value) {
                Some(phone) => company.phone = Some(phone),
                None => keep_verbatim(&mut fields),
            },
            Column::FullName => person.full_name = Some(value),
            Column::FirstName => person.first_name = Some(value),
            Column::LastName => person.last_name = Some(value),
            Column::Title => {
                if let Some(role) = read_title(&value) {
                    person.seniority = serde_json::to_value(role.seniority).ok().and_then(|v| v.as_str().map(str::to_string));
                    person.department = serde_json::to_value(role.department).ok().and_then(|v| v.as_str().map(str::to_string));
                }
                person.title = Some(value);
            }
            Column::Email => match email(&value) {
                Some(address) => person.email = Some(address),
                None => keep_verbatim(&mut fields),
            },
            Column::PersonPhone => match e164(&value) {
                Some(phone) => person.phone = Some(phone),
                None => keep_verbatim(&mut fields),
            },
            Column::PersonLinkedin => person.linkedin = Some(value),
            Column::Extra if extras.contains(&i) => keep_verbatim(&mut fields),
            Column::Extra => {}
        }
    }
    if person.full_name.is_none() && (person.first_name.is_some() || person.last_name.is_some()) {
        let parts: Vec<&str> = [person.first_name.as_deref(), person.last_name.as_deref()].into_iter().flatten().collect();
        person.full_name = Some(parts.join(" "));
    }
    let has_person = person != Person::default();
    let has_company = company != Company::default();
    LeadDraft { company: has_company.then_some(company), person: has_person.then_some(person), fields, sources: Vec::new() }
}

fn identifies_someone(draft: &LeadDraft) -> bool {
    let company = draft.company.as_ref();
    company.is_some_and(|c| c.name.is_some() || c.domain.is_some()) || draft.person.as_ref().is_some_and(|p| p.email.is_some())
}

/// A cell trimmed and cut to [`MAX_CELL_CHARS`].
fn cell(raw: &str) -> String {
    raw.trim().chars().take(MAX_CELL_CHARS).collect()
}

/// The registrable domain of a domain or website cell (public suffix list): `https://www.Acme.io/about`
/// → `acme.io`. `None` unless it names a host under a known public suffix.
pub fn domain_of(value: &str) -> Option<String> {
    let with_scheme = if value.contains("://") { value.to_string() } else { format!("http://{value}") };
    match url::Url::parse(&with_scheme).ok()?.host()? {
        url::Host::Domain(host) => quarry_engine::domains::registrable_domain(host),
        _ => None,
    }
}

/// A syntactically valid email address (the engine's check: dot-atom local part, a known public
/// suffix), lowercased.
fn email(value: &str) -> Option<String> {
    let value = value.strip_prefix("mailto:").unwrap_or(value);
    quarry_engine::verify::check_syntax(value).ok().map(|(local, domain)| format!("{local}@{domain}"))
}

/// "1,200", "1 200", "1200" → 1200. Ranges ("51-200") are not a count and stay verbatim.
fn employee_count(value: &str) -> Option<u32> {
    let digits: String = value.chars().filter(|c| !matches!(c, ',' | ' ' | '.' | '\u{a0}' | '\'')).collect();
    digits.parse().ok().filter(|&n| n > 0)
}

/// A phone already written in international form (`+33 1 23 45 67 89`) as E.164. Numbers
/// without a country code are `None` (seed rows keep them verbatim; open records leave them
/// out): telling their country needs libphonenumber rules and the company's location, which the
/// enrichment engine applies.
pub(crate) fn e164(value: &str) -> Option<String> {
    let rest = value.trim().strip_prefix('+')?;
    if !rest.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}')) {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    (8..=15).contains(&digits.len()).then(|| format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Timestamp {
        Timestamp::from_unix(1_776_000_000).unwrap()
    }

    const URL: &str = "https://files.example.com/seed.csv";

    #[test]
    fn reads_companies_and_people_with_normalised_values() {
        let csv = "Company Name,Website,Country,Employees,Contact,Job Title,E-mail,Phone,Notes\n\
                   Lumora Pay,https://www.LumoraPay.fr/about,France,\"1,200\",Léa Dubois,\"VP of Engineering\",Lea.Dubois@lumorapay.fr,+33 1 23 45 67 89,met at a fair\n\
                   Kontor GmbH,kontor.de,Deutschland,51-200,,,,030 1234567,\n";
        let file = parse(csv.as_bytes(), URL, at()).unwrap();
        assert_eq!(file.rows.len(), 2, "{file:?}");
        let first = &file.rows[0];
        let company = first.company.as_ref().unwrap();
        assert_eq!(company.name.as_deref(), Some("Lumora Pay"));
        assert_eq!(company.domain.as_deref(), Some("lumorapay.fr"));
        assert_eq!(company.hq_country.as_deref(), Some("FR"));
        assert_eq!(company.employee_count, Some(1200));
        assert_eq!(company.phone.as_deref(), Some("+33123456789"));
        let person = first.person.as_ref().unwrap();
        assert_eq!(person.full_name.as_deref(), Some("Léa Dubois"));
        assert_eq!(person.email.as_deref(), Some("lea.dubois@lumorapay.fr"));
        assert_eq!((person.seniority.as_deref(), person.department.as_deref()), (Some("vp"), Some("engineering")));
        assert_eq!(first.fields.get("notes"), Some(&Value::String("met at a fair".into())));
        assert_eq!(first.fields.get("website"), Some(&Value::String("https://www.LumoraPay.fr/about".into())), "where its site starts");
        // Every fact is grounded by the file.
        assert_eq!(first.sources.len(), 1);
        assert_eq!(first.sources[0].kind, SourceKind::Seed);
        assert_eq!(first.sources[0].url.as_deref(), Some(URL));
        assert_eq!(first.sources[0].fields, field_paths(first));

        let second = &file.rows[1];
        assert_eq!(second.company.as_ref().unwrap().hq_country.as_deref(), Some("DE"));
        assert_eq!(second.company.as_ref().unwrap().employee_count, None);
        assert_eq!(second.fields.get("employees"), Some(&Value::String("51-200".into())), "a range is kept, not guessed");
        assert_eq!(second.fields.get("phone"), Some(&Value::String("030 1234567".into())), "no country code: kept verbatim");
        assert!(second.person.is_none());
    }

    #[test]
    fn semicolons_bom_and_latin1_from_excel() {
        let mut bytes = b"\xEF\xBB\xBFdomain;name\nacme.io;Acme\n".to_vec();
        let file = parse(&bytes, URL, at()).unwrap();
        assert_eq!(file.rows[0].company.as_ref().unwrap().name.as_deref(), Some("Acme"));
        bytes = b"company;city\nM\xfcller AG;K\xf6ln\n".to_vec();
        let file = parse(&bytes, URL, at()).unwrap();
        let company = file.rows[0].company.as_ref().unwrap();
        assert_eq!((company.name.as_deref(), company.hq_city.as_deref()), (Some("Müller AG"), Some("Köln")));
    }

    #[test]
    fn name_means_the_person_when_a_company_column_exists() {
        let file = parse(b"company,name,email\nAcme,Jo Park,jo@acme.io\n", URL, at()).unwrap();
        assert_eq!(file.rows[0].person.as_ref().unwrap().full_name.as_deref(), Some("Jo Park"));
        let file = parse(b"name,domain\nAcme,acme.io\n", URL, at()).unwrap();
        assert_eq!(file.rows[0].company.as_ref().unwrap().name.as_deref(), Some("Acme"));
    }

    #[test]
    fn rows_without_identity_are_skipped_and_said_so() {
        let file = parse(b"company,domain,city\n,,Paris\nAcme,,\n,,Lyon\n", URL, at()).unwrap();
        assert_eq!(file.rows.len(), 1);
        assert_eq!(
            file.notes,
            ["Skipped line 2: it has no company name, domain or email.", "Skipped line 4: it has no company name, domain or email."]
        );
    }

    #[test]
    fn bad_values_are_kept_verbatim_not_guessed() {
        let file = parse(b"company,website,email,country\nAcme,not a site,jo at acme,Atlantis\n", URL, at()).unwrap();
        let row = &file.rows[0];
        assert_eq!(row.company.as_ref().unwrap().domain, None);
        assert_eq!(row.person, None);
        for (field, value) in [("website", "not a site"), ("email", "jo at acme"), ("country", "Atlantis")] {
            assert_eq!(row.fields.get(field), Some(&Value::String(value.into())), "{field}");
        }
    }

    #[test]
    fn files_that_are_not_seed_lists_are_refused_with_a_reason() {
        assert_eq!(parse(b"", URL, at()), Err(SeedError::Empty));
        assert_eq!(parse(b"PK\x03\x04rest-of-a-zip", URL, at()), Err(SeedError::NotCsv));
        assert_eq!(parse(b"city,notes\nParis,x\n", URL, at()), Err(SeedError::NoIdentifyingColumn("city, notes".into())));
    }

    #[test]
    fn the_row_cap_holds() {
        let mut csv = String::from("domain\n");
        for i in 0..MAX_SEED_ROWS + 3 {
            csv.push_str(&format!("c{i}.com\n"));
        }
        let file = parse(csv.as_bytes(), URL, at()).unwrap();
        assert_eq!(file.rows.len(), MAX_SEED_ROWS);
        assert_eq!(file.notes, [format!("Read the first {MAX_SEED_ROWS} rows; 3 more were left out (the artifact row cap).")]);
    }

    #[test]
    fn domains_are_hosts_with_a_real_tld() {
        assert_eq!(domain_of("https://www.Acme.io/x?y=1").as_deref(), Some("acme.io"));
        assert_eq!(domain_of("acme.co.uk").as_deref(), Some("acme.co.uk"));
        assert_eq!(domain_of("localhost"), None);
        assert_eq!(domain_of("10.0.0.1"), None);
        assert_eq!(domain_of("acme.123"), None);
    }
}
