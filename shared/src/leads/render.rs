//! Rendering a job's leads as its artifact: a table with one row per company ([`tabulate`]), written
//! as CSV ([`to_csv`]) or XLSX ([`to_xlsx`]), and the leads themselves as JSON ([`to_json`]).
//!
//! # Columns
//!
//! The sheet's columns are the plan's expected columns, in the plan's order, followed by every
//! standard column the plan did not name. Names are never repeated.
//!
//! The standard columns are, in order:
//! - company: `company_name`, `domain`, `hq_city`, `hq_country`, `industry`, `employee_count`,
//!   `funding_stage`, `company_linkedin`, `company_phone`;
//! - for each role met in the rows, in the order a reader meets it (row by row, a row's leads in
//!   input order): `<role>_name`, `<role>_title`, `<role>_email`, `<role>_phone`,
//!   `<role>_linkedin`. `<role>` is the planner's slug of the role title ("VP Engineering" →
//!   `vp_engineering`, "Head of Growth" → `head_of_growth`, "CTO" → `cto`); people found
//!   without a role use the prefix `person`;
//! - `confidence`: the highest confidence among the row's leads, rounded to 2 decimals;
//! - `sources`: the row's distinct source URLs (the source kind, such as `synthetic`, when a
//!   source has no URL), separated by spaces.
//!
//! A column's value in a row comes from the first rule that yields one:
//! 1. the typed mapping: a company column reads the first of the row's companies that has the
//!    fact; `<role>_<attribute>` reads the row's first person with that role, where the
//!    attributes are `name` (the full name, else first and last name), `first_name`,
//!    `last_name`, `title`, `seniority`, `department`, `email`, `phone` and `linkedin`; any
//!    other `<role>_<key>` (such as `vp_engineering_email_status`) reads `fields[<key>]` of that
//!    person's lead. When two roles' slugs both prefix a column, the longer slug wins;
//! 2. `fields[<column>]` of the first of the row's leads that has it, so facts a seed file or an
//!    enrichment step stored under the column's own name fill any column;
//! 3. otherwise the cell is empty.
//!
//! Field values become cells as follows: numbers stay numbers (integers too large for an exact
//! `f64` become text), strings and booleans become text, blank strings and `null` are empty, an
//! array of plain values is joined with `"; "`, and any other array or object is compact JSON.
//! Facts under names no column asks for appear only in the JSON rendering.
//!
//! # Rows
//!
//! Leads are grouped by company: by domain (case-insensitive), else by company name
//! (case-insensitive); a lead without a company, or whose company has neither, is a row of its
//! own. Rows keep the order in which their first lead appears. Once `max_rows` rows exist, leads
//! of further companies are left out, while leads of companies already in the sheet still join
//! their row. When a company has two people with the same role, the first one fills the row.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, Worksheet, XlsxError};
use serde_json::Value;

use super::{Company, Lead, Person};

/// The most rows a single job's artifact holds.
pub const MAX_ARTIFACT_ROWS: usize = 10_000;

/// The name of the only worksheet of an XLSX artifact.
pub const XLSX_SHEET_NAME: &str = "Leads";

/// One value of the sheet.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// No value: an empty CSV field, an unwritten XLSX cell.
    Empty,
    /// Text, never blank.
    Text(String),
    /// A number, written as a number (not neutralised in CSV, numeric in XLSX).
    Number(f64),
}

/// The artifact as a table: a header and rows of cells, each row as long as the header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sheet {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    /// The position of the column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The cell of row `row` in the column named `column`.
    pub fn cell(&self, row: usize, column: &str) -> Option<&Cell> {
        self.rows.get(row)?.get(self.column_index(column)?)
    }
}

/// Lays the leads out as a sheet with one row per company (see the module docs for the rules),
/// at most `max_rows` rows.
pub fn tabulate(expected_columns: &[String], leads: &[Lead], max_rows: usize) -> Sheet {
    let mut layout = SheetLayout::new(max_rows);
    leads.iter().for_each(|lead| layout.observe(lead));
    let mut rows = layout.row_writer(expected_columns);
    let mut cells: Vec<Vec<Cell>> = leads.iter().flat_map(|lead| rows.push(lead)).collect();
    cells.extend(rows.finish());
    Sheet { columns: rows.columns().to_vec(), rows: cells }
}

// ---------------------------------------------------------------------------------------------
// Rows

/// Assigns leads to rows, a lead at a time, by the rules of the module docs. Run twice over the
/// same leads in the same order, it assigns them the same rows.
struct Grouping {
    max_rows: usize,
    row_of_key: HashMap<String, usize>,
    rows: usize,
}

impl Grouping {
    fn new(max_rows: usize) -> Self {
        Grouping { max_rows, row_of_key: HashMap::new(), rows: 0 }
    }

    /// The row of the next lead, `None` when the sheet is full and the lead's company is not in it.
    fn assign(&mut self, lead: &Lead) -> Option<usize> {
        let key = company_key(lead);
        if let Some(&row) = key.as_ref().and_then(|k| self.row_of_key.get(k)) {
            return Some(row);
        }
        if self.rows >= self.max_rows {
            return None;
        }
        if let Some(key) = key {
            self.row_of_key.insert(key, self.rows);
        }
        self.rows += 1;
        Some(self.rows - 1)
    }
}

/// What a sheet's columns and rows are, learnt in one pass over its leads before any row is
/// rendered, so a sheet can be written a row at a time from leads read a page at a time
/// ([`RowWriter`]). It keeps a company key and a position per row, never the leads.
pub struct SheetLayout {
    grouping: Grouping,
    /// For each row, the position (among the leads observed) of its last lead.
    last_lead: Vec<u64>,
    /// Every role prefix met, once each, in the order met.
    role_names: Vec<String>,
    /// For each row, its roles (indices into `role_names`) in the order its leads have them.
    row_roles: Vec<Vec<u32>>,
    observed: u64,
}

impl SheetLayout {
    pub fn new(max_rows: usize) -> Self {
        SheetLayout { grouping: Grouping::new(max_rows), last_lead: Vec::new(), role_names: Vec::new(), row_roles: Vec::new(), observed: 0 }
    }

    /// Takes note of the next lead.
    pub fn observe(&mut self, lead: &Lead) {
        if let Some(row) = self.grouping.assign(lead) {
            if row == self.last_lead.len() {
                self.last_lead.push(self.observed);
                self.row_roles.push(Vec::new());
            } else {
                self.last_lead[row] = self.observed;
            }
            if let Some(person) = &lead.person {
                let prefix = role_prefix(person);
                let role = match self.role_names.iter().position(|name| *name == prefix) {
                    Some(role) => role,
                    None => {
                        self.role_names.push(prefix);
                        self.role_names.len() - 1
                    }
                } as u32;
                if !self.row_roles[row].contains(&role) {
                    self.row_roles[row].push(role);
                }
            }
        }
        self.observed += 1;
    }

    /// The number of rows of the sheet.
    pub fn rows(&self) -> usize {
        self.last_lead.len()
    }

    /// The role prefixes in the order a reader of the rows meets them (row by row, a row's
    /// leads in input order).
    fn roles(&self) -> Vec<String> {
        let mut order: Vec<u32> = Vec::new();
        for &role in self.row_roles.iter().flatten() {
            if !order.contains(&role) {
                order.push(role);
            }
        }
        order.into_iter().map(|role| self.role_names[role as usize].clone()).collect()
    }

    /// A writer of the sheet's rows, with the `expected_columns` first: feed it the same leads in
    /// the same order.
    pub fn row_writer(&self, expected_columns: &[String]) -> RowWriter<'_> {
        let roles = self.roles();
        let names = merge_columns(expected_columns, &standard_columns(&roles));
        let columns = names.iter().map(|name| Column::resolve(name, &roles)).collect();
        RowWriter {
            layout: self,
            grouping: Grouping::new(self.grouping.max_rows),
            names,
            columns,
            open: BTreeMap::new(),
            next_row: 0,
            position: 0,
        }
    }
}

/// Renders the rows of a [`SheetLayout`] in order as their leads arrive: a row is rendered once
/// its last lead has arrived and every row before it is out. When a company's leads come
/// together (as a job writes them) it holds one row's leads at a time.
pub struct RowWriter<'a> {
    layout: &'a SheetLayout,
    grouping: Grouping,
    names: Vec<String>,
    columns: Vec<Column>,
    /// Rows with leads still to come or waiting for an earlier row, by row.
    open: BTreeMap<usize, Vec<Lead>>,
    next_row: usize,
    position: u64,
}

impl RowWriter<'_> {
    /// The sheet's column names.
    pub fn columns(&self) -> &[String] {
        &self.names
    }

    /// Takes the next lead; answers the rows it completes, in order.
    pub fn push(&mut self, lead: &Lead) -> Vec<Vec<Cell>> {
        let position = self.position;
        self.position += 1;
        let Some(row) = self.grouping.assign(lead) else { return Vec::new() };
        self.open.entry(row).or_default().push(lead.clone());
        let mut done = Vec::new();
        while self.layout.last_lead.get(self.next_row).is_some_and(|&last| last <= position) {
            let leads = self.open.remove(&self.next_row).unwrap_or_default();
            done.push(self.render(&leads));
            self.next_row += 1;
        }
        done
    }

    /// The rows still open (none when every lead observed was pushed).
    pub fn finish(&mut self) -> Vec<Vec<Cell>> {
        let open = std::mem::take(&mut self.open);
        open.into_values().map(|leads| self.render(&leads)).collect()
    }

    fn render(&self, leads: &[Lead]) -> Vec<Cell> {
        let row: Vec<&Lead> = leads.iter().collect();
        self.columns.iter().map(|column| column.cell(&row)).collect()
    }
}

/// What identifies a lead's company, if anything does. Domains and names live in separate
/// namespaces so a company named like another's domain is not merged with it.
fn company_key(lead: &Lead) -> Option<String> {
    let company = lead.company.as_ref()?;
    let normalised = |value: &Option<String>| value.as_deref().map(|v| v.trim().to_lowercase()).filter(|v| !v.is_empty());
    normalised(&company.domain).map(|d| format!("domain:{d}")).or_else(|| normalised(&company.name).map(|n| format!("name:{n}")))
}

// ---------------------------------------------------------------------------------------------
// Column names

/// The company columns, in sheet order.
const COMPANY_COLUMNS: [&str; 9] =
    ["company_name", "domain", "hq_city", "hq_country", "industry", "employee_count", "funding_stage", "company_linkedin", "company_phone"];

/// The per-role columns the sheet always has for a role met in the rows (the plan may ask for more).
const ROLE_COLUMNS: [&str; 5] = ["name", "title", "email", "phone", "linkedin"];

/// The column prefix of people found without a role.
const ROLELESS_PREFIX: &str = "person";

/// The column prefix of a person: the slug of their role, or [`ROLELESS_PREFIX`].
fn role_prefix(person: &Person) -> String {
    let slug = person.role.as_deref().map(role_slug).unwrap_or_default();
    if slug.is_empty() {
        ROLELESS_PREFIX.to_string()
    } else {
        slug
    }
}

/// The planner's slug of a role title: ASCII letters and digits lowercased, every other run of
/// characters one `_`, none at either end ("VP Engineering" → `vp_engineering`). It must match
/// `role_slug` in `planner/rules/steps.rs`, which names the plan's expected columns.
fn role_slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    slug.trim_matches('_').to_string()
}

fn standard_columns(role_prefixes: &[String]) -> Vec<String> {
    let company = COMPANY_COLUMNS.iter().map(|c| c.to_string());
    let people = role_prefixes.iter().flat_map(|prefix| ROLE_COLUMNS.iter().map(move |suffix| format!("{prefix}_{suffix}")));
    let summary = ["confidence", "sources"].iter().map(|c| c.to_string());
    company.chain(people).chain(summary).collect()
}

/// The expected columns first, in order, then the standard ones; blanks and repeats dropped.
fn merge_columns(expected: &[String], standard: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    expected.iter().chain(standard).filter(|name| !name.trim().is_empty() && seen.insert(name.as_str())).cloned().collect()
}

// ---------------------------------------------------------------------------------------------
// Column values

/// A column and where its values come from, worked out once per sheet rather than per row.
struct Column {
    name: String,
    source: ColumnSource,
}

enum ColumnSource {
    Company(CompanyFact),
    Person {
        prefix: String,
        fact: PersonFact,
    },
    /// `fields[key]` of the lead of the person with this role prefix.
    RoleField {
        prefix: String,
        key: String,
    },
    Confidence,
    Sources,
    /// Only `fields[<column name>]`.
    Field,
}

impl Column {
    fn resolve(name: &str, role_prefixes: &[String]) -> Self {
        let source = match name {
            "confidence" => ColumnSource::Confidence,
            "sources" => ColumnSource::Sources,
            _ => CompanyFact::for_column(name).map(ColumnSource::Company).unwrap_or_else(|| person_source(name, role_prefixes)),
        };
        Column { name: name.to_string(), source }
    }

    fn cell(&self, row: &[&Lead]) -> Cell {
        let typed = match &self.source {
            ColumnSource::Company(fact) => companies(row).map(|company| fact.cell(company)).find(is_filled).unwrap_or(Cell::Empty),
            ColumnSource::Person { prefix, fact } => person_lead(row, prefix).map_or(Cell::Empty, |(_, person)| fact.cell(person)),
            ColumnSource::RoleField { prefix, key } => person_lead(row, prefix).map_or(Cell::Empty, |(lead, _)| field_cell(lead, key)),
            ColumnSource::Confidence => confidence_cell(row),
            ColumnSource::Sources => sources_cell(row),
            ColumnSource::Field => Cell::Empty,
        };
        if is_filled(&typed) {
            typed
        } else {
            row.iter().map(|lead| field_cell(lead, &self.name)).find(is_filled).unwrap_or(Cell::Empty)
        }
    }
}

/// `<role>_<attribute>` or `<role>_<field key>` for the longest known role prefix, else a plain field.
fn person_source(name: &str, role_prefixes: &[String]) -> ColumnSource {
    let known = role_prefixes.iter().map(String::as_str).chain([ROLELESS_PREFIX]);
    let split = known.filter_map(|prefix| Some((prefix, name.strip_prefix(prefix)?.strip_prefix('_')?))).max_by_key(|(p, _)| p.len());
    match split {
        Some((prefix, rest)) if !rest.is_empty() => match PersonFact::for_suffix(rest) {
            Some(fact) => ColumnSource::Person { prefix: prefix.to_string(), fact },
            None => ColumnSource::RoleField { prefix: prefix.to_string(), key: rest.to_string() },
        },
        _ => ColumnSource::Field,
    }
}

fn is_filled(cell: &Cell) -> bool {
    *cell != Cell::Empty
}

fn companies<'a>(row: &'a [&'a Lead]) -> impl Iterator<Item = &'a Company> + 'a {
    row.iter().filter_map(|lead| lead.company.as_ref())
}

/// The row's first lead whose person has this role prefix.
fn person_lead<'a>(row: &[&'a Lead], prefix: &str) -> Option<(&'a Lead, &'a Person)> {
    row.iter().find_map(|&lead| lead.person.as_ref().filter(|p| role_prefix(p) == prefix).map(|p| (lead, p)))
}

#[derive(Clone, Copy)]
enum CompanyFact {
    Name,
    Domain,
    HqCity,
    HqCountry,
    Industry,
    EmployeeCount,
    FundingStage,
    Linkedin,
    Phone,
}

impl CompanyFact {
    fn for_column(name: &str) -> Option<Self> {
        Some(match name {
            "company_name" => Self::Name,
            "domain" => Self::Domain,
            "hq_city" => Self::HqCity,
            "hq_country" => Self::HqCountry,
            "industry" => Self::Industry,
            "employee_count" => Self::EmployeeCount,
            "funding_stage" => Self::FundingStage,
            "company_linkedin" => Self::Linkedin,
            "company_phone" => Self::Phone,
            _ => return None,
        })
    }

    fn cell(self, company: &Company) -> Cell {
        match self {
            Self::Name => text_cell(&company.name),
            Self::Domain => text_cell(&company.domain),
            Self::HqCity => text_cell(&company.hq_city),
            Self::HqCountry => text_cell(&company.hq_country),
            Self::Industry => text_cell(&company.industry),
            Self::EmployeeCount => company.employee_count.map_or(Cell::Empty, |n| Cell::Number(f64::from(n))),
            Self::FundingStage => text_cell(&company.funding_stage),
            Self::Linkedin => text_cell(&company.linkedin),
            Self::Phone => text_cell(&company.phone),
        }
    }
}

#[derive(Clone, Copy)]
enum PersonFact {
    Name,
    FirstName,
    LastName,
    Title,
    Seniority,
    Department,
    Email,
    Phone,
    Linkedin,
}

impl PersonFact {
    fn for_suffix(suffix: &str) -> Option<Self> {
        Some(match suffix {
            "name" => Self::Name,
            "first_name" => Self::FirstName,
            "last_name" => Self::LastName,
            "title" => Self::Title,
            "seniority" => Self::Seniority,
            "department" => Self::Department,
            "email" => Self::Email,
            "phone" => Self::Phone,
            "linkedin" => Self::Linkedin,
            _ => return None,
        })
    }

    fn cell(self, person: &Person) -> Cell {
        match self {
            Self::Name => match text_cell(&person.full_name) {
                Cell::Empty => joined_name(person),
                full_name => full_name,
            },
            Self::FirstName => text_cell(&person.first_name),
            Self::LastName => text_cell(&person.last_name),
            Self::Title => text_cell(&person.title),
            Self::Seniority => text_cell(&person.seniority),
            Self::Department => text_cell(&person.department),
            Self::Email => text_cell(&person.email),
            Self::Phone => text_cell(&person.phone),
            Self::Linkedin => text_cell(&person.linkedin),
        }
    }
}

fn joined_name(person: &Person) -> Cell {
    let parts: Vec<&str> =
        [&person.first_name, &person.last_name].into_iter().flatten().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    text_of(&parts.join(" "))
}

fn text_cell(value: &Option<String>) -> Cell {
    value.as_deref().map_or(Cell::Empty, text_of)
}

/// Text as a cell; blank text is no value, so the fallbacks get their turn.
fn text_of(text: &str) -> Cell {
    if text.trim().is_empty() {
        Cell::Empty
    } else {
        Cell::Text(text.to_string())
    }
}

fn field_cell(lead: &Lead, key: &str) -> Cell {
    lead.fields.get(key).map_or(Cell::Empty, value_cell)
}

fn value_cell(value: &Value) -> Cell {
    match value {
        Value::Null => Cell::Empty,
        Value::Bool(b) => Cell::Text(b.to_string()),
        Value::Number(n) => number_value_cell(n),
        Value::String(s) => text_of(s),
        Value::Array(items) if items.iter().all(is_plain) => joined_plain_values(items),
        Value::Array(_) | Value::Object(_) => Cell::Text(value.to_string()),
    }
}

/// Integers beyond 2^53 lose digits as `f64`.
const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// A JSON number as a number cell, unless `f64` would change it (large integer ids), then as text.
fn number_value_cell(n: &serde_json::Number) -> Cell {
    let inexact_integer = n.as_i64().map(i64::unsigned_abs).or(n.as_u64()).is_some_and(|magnitude| magnitude > MAX_EXACT_INTEGER);
    match n.as_f64() {
        Some(f) if !inexact_integer => Cell::Number(f),
        _ => Cell::Text(n.to_string()),
    }
}

fn is_plain(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

fn joined_plain_values(items: &[Value]) -> Cell {
    let texts: Vec<String> = items.iter().map(value_cell).filter_map(|cell| cell_text(&cell)).collect();
    text_of(&texts.join("; "))
}

fn cell_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Empty => None,
        Cell::Text(text) => Some(text.clone()),
        Cell::Number(n) => Some(number_text(*n)),
    }
}

fn confidence_cell(row: &[&Lead]) -> Cell {
    let best = row
        .iter()
        .map(|lead| lead.confidence)
        .filter(|c| c.is_finite())
        .fold(None, |best: Option<f64>, c| Some(best.map_or(c, |b| b.max(c))));
    // Scores are computed; two decimals keep float noise (0.6500000000000001) out of the sheet.
    best.map_or(Cell::Empty, |c| Cell::Number((c * 100.0).round() / 100.0))
}

fn sources_cell(row: &[&Lead]) -> Cell {
    let mut labels: Vec<String> = Vec::new();
    for source in row.iter().flat_map(|lead| &lead.sources) {
        let label = match source.url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url.to_string(),
            _ => serde_json::to_value(&source.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        };
        if !label.is_empty() && !labels.contains(&label) {
            labels.push(label);
        }
    }
    text_of(&labels.join(" "))
}

/// A number as the CSV shows it: the shortest text that reads back as the same `f64`, never in
/// exponent notation; nothing for NaN and infinities, which no spreadsheet reads.
fn number_text(n: f64) -> String {
    if n.is_finite() {
        n.to_string()
    } else {
        String::new()
    }
}

/// The row's cells padded or cut to `width`, so a hand-built ragged sheet still renders.
fn row_cells(row: &[Cell], width: usize) -> impl Iterator<Item = &Cell> {
    row.iter().chain(std::iter::repeat(&Cell::Empty)).take(width)
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The sheet as CSV: RFC 4180, UTF-8 without a byte-order mark, a header row, CRLF line endings,
/// fields quoted only when they need it.
///
/// A text cell (header included) that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
/// is prefixed with `'` so spreadsheets show it instead of evaluating it, as OWASP advises. That
/// includes text that looks numeric, such as phone numbers (`+33 1 …` becomes `'+33 1 …`): the
/// cell is text, and a leading `+` or `-` is enough to start a formula. Number cells are written
/// as they are (`-3`).
pub fn to_csv(sheet: &Sheet) -> Vec<u8> {
    let mut file = CsvFile::new(&sheet.columns);
    for row in &sheet.rows {
        file.row(row);
    }
    file.finish()
}

/// A CSV file written a row at a time, formula-safe as [`to_csv`]: a lead export appends each
/// page of leads as it reads it instead of holding them all.
pub struct CsvFile {
    writer: csv::Writer<Vec<u8>>,
    width: usize,
}

impl CsvFile {
    /// A file with its header row.
    pub fn new(columns: &[String]) -> Self {
        let mut writer = csv_writer();
        write_csv_record(&mut writer, columns.iter().map(|name| neutralised(name)));
        CsvFile { writer, width: columns.len() }
    }

    /// Appends a row, padded or cut to the header's width.
    pub fn row(&mut self, cells: &[Cell]) {
        write_csv_record(&mut self.writer, row_cells(cells, self.width).map(csv_field));
    }

    /// The bytes written since the last `take` (the header first), for a file streamed out as
    /// it is written.
    pub fn take(&mut self) -> Vec<u8> {
        // The csv crate lends out no mutable buffer: swap in a fresh writer (it writes no header
        // of its own) and take the old one's.
        std::mem::replace(&mut self.writer, csv_writer()).into_inner().expect("CSV flushes to memory")
    }

    /// The file's bytes.
    pub fn finish(self) -> Vec<u8> {
        self.writer.into_inner().expect("CSV flushes to memory")
    }
}

/// A CSV writer to memory with the artifact's conventions (CRLF line ends).
fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new())
}

fn write_csv_record<'a>(writer: &mut csv::Writer<Vec<u8>>, fields: impl Iterator<Item = Cow<'a, str>>) {
    let fields: Vec<Cow<'a, str>> = fields.collect();
    // Writing to memory cannot fail, and every record has the header's length, so the csv crate
    // has no error to report.
    writer.write_record(fields.iter().map(|field| field.as_bytes())).expect("CSV record writes to memory");
}

fn csv_field(cell: &Cell) -> Cow<'_, str> {
    match cell {
        Cell::Empty => Cow::Borrowed(""),
        Cell::Text(text) => neutralised(text),
        Cell::Number(n) => Cow::Owned(number_text(*n)),
    }
}

fn neutralised(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_TRIGGERS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

// ---------------------------------------------------------------------------------------------
// XLSX

/// Excel's limit on a cell's text, in UTF-16 code units.
const XLSX_MAX_TEXT_UNITS: usize = 32_767;

/// The widest a column is autofitted to, in pixels (about 40 characters).
const XLSX_MAX_COLUMN_PIXELS: u32 = 300;

/// The sheet as an XLSX workbook with one worksheet, [`XLSX_SHEET_NAME`]: a bold, frozen header
/// row, number cells as numbers, text cells as strings, columns fitted to their content up to
/// about 40 characters.
///
/// Text is never written as a formula, so unlike the CSV it needs no neutralising: `=1+1` shows
/// as typed. Text longer than Excel's 32,767-character cell limit is cut and ends with `…`;
/// NaN and infinite numbers are left empty. Fails only past Excel's row or column limits.
pub fn to_xlsx(sheet: &Sheet) -> Result<Vec<u8>, String> {
    let mut workbook = Workbook::new();
    fill_worksheet(workbook.add_worksheet(), sheet).map_err(|e| format!("cannot write the XLSX artifact: {e}"))?;
    workbook.save_to_buffer().map_err(|e| format!("cannot write the XLSX artifact: {e}"))
}

fn fill_worksheet(worksheet: &mut Worksheet, sheet: &Sheet) -> Result<(), XlsxError> {
    worksheet.set_name(XLSX_SHEET_NAME)?;
    let bold = Format::new().set_bold();
    for (col, name) in sheet.columns.iter().enumerate() {
        worksheet.write_string_with_format(0, col_num(col)?, xlsx_text(name), &bold)?;
    }
    for (index, row) in sheet.rows.iter().enumerate() {
        let row_num = RowNum::try_from(index + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (col, cell) in row_cells(row, sheet.columns.len()).enumerate() {
            write_cell(worksheet, row_num, col_num(col)?, cell)?;
        }
    }
    worksheet.set_freeze_panes(1, 0)?;
    worksheet.set_autofit_max_width(XLSX_MAX_COLUMN_PIXELS).autofit();
    Ok(())
}

fn col_num(index: usize) -> Result<ColNum, XlsxError> {
    ColNum::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}

fn write_cell(worksheet: &mut Worksheet, row: RowNum, col: ColNum, cell: &Cell) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(text) => worksheet.write_string(row, col, xlsx_text(text)).map(drop),
        Cell::Number(n) if n.is_finite() => worksheet.write_number(row, col, *n).map(drop),
        Cell::Number(_) | Cell::Empty => Ok(()),
    }
}

/// The text cut to Excel's cell limit, marked with a trailing `…` when cut.
fn xlsx_text(text: &str) -> Cow<'_, str> {
    if text.encode_utf16().count() <= XLSX_MAX_TEXT_UNITS {
        return Cow::Borrowed(text);
    }
    let budget = XLSX_MAX_TEXT_UNITS - '…'.len_utf16();
    let mut used = 0;
    let cut = text.char_indices().find(|(_, c)| {
        used += c.len_utf16();
        used > budget
    });
    let end = cut.map_or(text.len(), |(index, _)| index);
    Cow::Owned(format!("{}…", &text[..end]))
}

// ---------------------------------------------------------------------------------------------
// JSON

/// The leads as a compact JSON array of lead objects (the API's lead shape), without a trailing
/// newline. Compact because the file is read by programs and its size is the artifact's `bytes`.
/// All of `leads` is written: cutting to [`MAX_ARTIFACT_ROWS`] is the caller's choice.
pub fn to_json(leads: &[Lead]) -> Vec<u8> {
    // Leads hold only strings, numbers and JSON values keyed by strings: serialising cannot fail.
    serde_json::to_vec(leads).expect("leads serialise to JSON")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::leads::{Source, SourceKind};
    use quarry_ports::clock::Timestamp;

    fn lead(id: &str, company: Option<Company>, person: Option<Person>, fields: Value) -> Lead {
        let fields = match fields {
            Value::Object(map) => map,
            _ => Default::default(),
        };
        Lead {
            id: id.to_string(),
            object: "lead".to_string(),
            job_id: "job_1".to_string(),
            company,
            person,
            fields,
            sources: vec![],
            confidence: 0.5,
            lead_score: None,
            lead_status: None,
            signals_detected: vec![],
            qualification_notes: vec![],
            custom_notes: None,
            tags: vec![],
            created_at: Timestamp::parse("2026-04-21T10:00:00Z").unwrap(),
            updated_at: None,
        }
    }

    fn company(name: &str, domain: Option<&str>) -> Option<Company> {
        Some(Company { name: Some(name.to_string()), domain: domain.map(str::to_string), ..Default::default() })
    }

    fn person(role: Option<&str>, full_name: &str, email: &str) -> Option<Person> {
        Some(Person {
            role: role.map(str::to_string),
            full_name: Some(full_name.to_string()),
            email: Some(email.to_string()),
            ..Default::default()
        })
    }

    fn source(kind: SourceKind, url: Option<&str>) -> Source {
        Source { kind, url: url.map(str::to_string), retrieved_at: Timestamp::parse("2026-04-21T10:00:00Z").unwrap(), fields: vec![] }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    /// Spendesk with its VP Engineering and Head of Growth, then Qonto with only its VP Engineering.
    fn spendesk_and_qonto() -> Vec<Lead> {
        let mut spendesk = Company {
            name: Some("Spendesk".into()),
            domain: Some("spendesk.com".into()),
            hq_city: Some("Paris".into()),
            hq_country: Some("FR".into()),
            employee_count: Some(600),
            funding_stage: Some("series_c".into()),
            ..Default::default()
        };
        let mut company_lead = lead("l1", Some(spendesk.clone()), None, json!({"funding_amount": "€100M", "engineering_headcount": 64}));
        company_lead.confidence = 0.9;
        company_lead.sources = vec![source(SourceKind::Web, Some("https://crunchbase.com/organization/spendesk"))];
        spendesk.hq_city = None;
        let mut vp = lead(
            "l2",
            Some(Company { domain: Some("SPENDESK.com".into()), ..Default::default() }),
            person(Some("VP Engineering"), "Jordan Lacan", "j.lacan@spendesk.com"),
            json!({"email_status": "valid"}),
        );
        vp.confidence = 0.95;
        vp.sources = vec![
            source(SourceKind::Web, Some("https://crunchbase.com/organization/spendesk")),
            source(SourceKind::Web, Some("https://spendesk.com/team")),
        ];
        let growth = lead("l4", Some(spendesk), person(Some("Head of Growth"), "Ana Ruiz", "ana@spendesk.com"), json!({}));
        let qonto = lead("l3", company("Qonto", Some("qonto.com")), person(Some("VP Engineering"), "Sam Roy", "sam@qonto.com"), json!({}));
        vec![company_lead, vp, qonto, growth]
    }

    #[test]
    fn role_slugs_match_the_planner() {
        assert_eq!(role_slug("VP Engineering"), "vp_engineering");
        assert_eq!(role_slug("Head of Growth"), "head_of_growth");
        assert_eq!(role_slug("CTO"), "cto");
        assert_eq!(role_slug("  VP, Sales & Marketing! "), "vp_sales_marketing");
    }

    #[test]
    fn one_row_per_company_in_first_seen_order() {
        let sheet = tabulate(&[], &spendesk_and_qonto(), MAX_ARTIFACT_ROWS);
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.cell(0, "company_name"), Some(&text("Spendesk")));
        assert_eq!(sheet.cell(0, "domain"), Some(&text("spendesk.com")));
        assert_eq!(sheet.cell(0, "hq_city"), Some(&text("Paris")));
        assert_eq!(sheet.cell(0, "employee_count"), Some(&Cell::Number(600.0)));
        assert_eq!(sheet.cell(0, "vp_engineering_name"), Some(&text("Jordan Lacan")));
        assert_eq!(sheet.cell(0, "head_of_growth_email"), Some(&text("ana@spendesk.com")));
        assert_eq!(sheet.cell(1, "company_name"), Some(&text("Qonto")));
        assert_eq!(sheet.cell(1, "vp_engineering_email"), Some(&text("sam@qonto.com")));
        assert_eq!(sheet.cell(1, "head_of_growth_email"), Some(&Cell::Empty));
        assert!(sheet.rows.iter().all(|row| row.len() == sheet.columns.len()));
    }

    #[test]
    fn standard_columns_without_a_plan() {
        let sheet = tabulate(&[], &spendesk_and_qonto(), MAX_ARTIFACT_ROWS);
        let mut expected = strings(&COMPANY_COLUMNS);
        for role in ["vp_engineering", "head_of_growth"] {
            expected.extend(ROLE_COLUMNS.iter().map(|suffix| format!("{role}_{suffix}")));
        }
        expected.extend(strings(&["confidence", "sources"]));
        assert_eq!(sheet.columns, expected);
    }

    #[test]
    fn no_leads_gives_the_header_alone() {
        let sheet = tabulate(&strings(&["company_name", "fit_reason"]), &[], MAX_ARTIFACT_ROWS);
        assert!(sheet.rows.is_empty());
        assert_eq!(sheet.columns[..3], strings(&["company_name", "fit_reason", "domain"]));
    }

    #[test]
    fn expected_columns_come_first_in_plan_order_without_repeats() {
        let expected =
            strings(&["vp_engineering_email", "company_name", "funding_amount", "vp_engineering_email_status", "company_name", ""]);
        let sheet = tabulate(&expected, &spendesk_and_qonto(), MAX_ARTIFACT_ROWS);
        assert_eq!(
            sheet.columns[..5],
            strings(&["vp_engineering_email", "company_name", "funding_amount", "vp_engineering_email_status", "domain"])
        );
        let unique: HashSet<&String> = sheet.columns.iter().collect();
        assert_eq!(unique.len(), sheet.columns.len());
        assert!(!sheet.columns.contains(&String::new()));
    }

    #[test]
    fn expected_columns_fill_from_fields_and_role_fields() {
        let expected = strings(&["funding_amount", "engineering_headcount", "vp_engineering_email_status", "fit_reason", "cto_email"]);
        let sheet = tabulate(&expected, &spendesk_and_qonto(), MAX_ARTIFACT_ROWS);
        assert_eq!(sheet.cell(0, "funding_amount"), Some(&text("€100M")));
        assert_eq!(sheet.cell(0, "engineering_headcount"), Some(&Cell::Number(64.0)));
        assert_eq!(sheet.cell(0, "vp_engineering_email_status"), Some(&text("valid")));
        assert_eq!(sheet.cell(1, "vp_engineering_email_status"), Some(&Cell::Empty));
        assert_eq!(sheet.cell(0, "fit_reason"), Some(&Cell::Empty));
        assert_eq!(sheet.cell(0, "cto_email"), Some(&Cell::Empty));
    }

    #[test]
    fn fields_fill_what_the_typed_facts_leave_empty() {
        let leads = vec![lead(
            "l1",
            company("Acme", Some("acme.io")),
            None,
            json!({"funding_stage": "seed", "hq_city": "Lyon", "industry": null, "vp_sales_email": "vp@acme.io"}),
        )];
        let sheet = tabulate(&strings(&["vp_sales_email"]), &leads, 10);
        assert_eq!(sheet.cell(0, "funding_stage"), Some(&text("seed")));
        assert_eq!(sheet.cell(0, "hq_city"), Some(&text("Lyon")));
        assert_eq!(sheet.cell(0, "industry"), Some(&Cell::Empty));
        assert_eq!(sheet.cell(0, "vp_sales_email"), Some(&text("vp@acme.io")));
    }

    #[test]
    fn field_values_become_cells() {
        let fields = json!({
            "tech_stack": ["Rust", "Postgres", null, 3],
            "recent_news": [{"title": "Raised"}],
            "hiring": {"open": 4},
            "public": true,
            "blank": "  ",
            "big_id": 12345678901234567890u64,
            "negative_id": -9007199254740993i64,
            "ratio": -0.25,
            "none": [],
        });
        let leads = vec![lead("l1", company("Acme", None), None, fields)];
        let expected = strings(&["tech_stack", "recent_news", "hiring", "public", "blank", "big_id", "negative_id", "ratio", "none"]);
        let sheet = tabulate(&expected, &leads, 10);
        assert_eq!(sheet.cell(0, "tech_stack"), Some(&text("Rust; Postgres; 3")));
        assert_eq!(sheet.cell(0, "recent_news"), Some(&text(r#"[{"title":"Raised"}]"#)));
        assert_eq!(sheet.cell(0, "hiring"), Some(&text(r#"{"open":4}"#)));
        assert_eq!(sheet.cell(0, "public"), Some(&text("true")));
        assert_eq!(sheet.cell(0, "blank"), Some(&Cell::Empty));
        assert_eq!(sheet.cell(0, "big_id"), Some(&text("12345678901234567890")));
        assert_eq!(sheet.cell(0, "negative_id"), Some(&text("-9007199254740993")));
        assert_eq!(sheet.cell(0, "ratio"), Some(&Cell::Number(-0.25)));
        assert_eq!(sheet.cell(0, "none"), Some(&Cell::Empty));
    }

    #[test]
    fn leads_group_by_name_without_a_domain_and_stand_alone_without_a_company() {
        let leads = vec![
            lead("l1", company("Acme", None), None, json!({})),
            lead("l2", None, person(None, "Free Agent", "free@agent.dev"), json!({})),
            lead("l3", company(" ACME ", None), person(Some("CTO"), "Cy Tho", "cy@acme.io"), json!({})),
            lead("l4", None, None, json!({})),
            lead("l5", Some(Company::default()), None, json!({})),
            lead("l6", company("acme.io", Some("acme.io")), None, json!({})),
        ];
        let sheet = tabulate(&[], &leads, 10);
        assert_eq!(sheet.rows.len(), 5);
        assert_eq!(sheet.cell(0, "cto_name"), Some(&text("Cy Tho")));
        assert_eq!(sheet.cell(1, "person_email"), Some(&text("free@agent.dev")));
        assert_eq!(sheet.cell(1, "company_name"), Some(&Cell::Empty));
        assert_eq!(sheet.cell(4, "domain"), Some(&text("acme.io")));
        // Roles are ordered as the rows show them: the CTO joined the first row.
        assert_eq!(sheet.columns[9..11], strings(&["cto_name", "cto_title"]));
        assert_eq!(sheet.columns[14..16], strings(&["person_name", "person_title"]));
    }

    #[test]
    fn max_rows_caps_companies_but_known_companies_still_fill_in() {
        let mut leads = spendesk_and_qonto();
        leads.push(lead("l5", company("Pennylane", Some("pennylane.com")), None, json!({})));
        let sheet = tabulate(&[], &leads, 1);
        assert_eq!(sheet.rows.len(), 1);
        assert_eq!(sheet.cell(0, "head_of_growth_name"), Some(&text("Ana Ruiz")));
        // Qonto's lead was cut with its row, so its role adds no column of its own.
        assert_eq!(tabulate(&[], &leads[2..3], 0).rows.len(), 0);
    }

    #[test]
    fn person_columns_cover_every_attribute_and_build_names() {
        let someone = Person {
            role: Some("CTO".into()),
            first_name: Some("Ada".into()),
            last_name: Some("Byron".into()),
            seniority: Some("c_level".into()),
            department: Some("engineering".into()),
            phone: Some("+33 1 23 45 67 89".into()),
            ..Default::default()
        };
        let leads = vec![lead("l1", company("Acme", Some("acme.io")), Some(someone), json!({}))];
        let sheet = tabulate(&strings(&["cto_seniority", "cto_department", "cto_first_name"]), &leads, 10);
        assert_eq!(sheet.cell(0, "cto_name"), Some(&text("Ada Byron")));
        assert_eq!(sheet.cell(0, "cto_seniority"), Some(&text("c_level")));
        assert_eq!(sheet.cell(0, "cto_department"), Some(&text("engineering")));
        assert_eq!(sheet.cell(0, "cto_first_name"), Some(&text("Ada")));
        assert_eq!(sheet.cell(0, "cto_phone"), Some(&text("+33 1 23 45 67 89")));
    }

    #[test]
    fn the_longest_role_prefix_wins() {
        let leads = vec![
            lead("l1", company("Acme", Some("acme.io")), person(Some("VP"), "Vee Pee", "vp@acme.io"), json!({"email_status": "risky"})),
            lead(
                "l2",
                company("Acme", Some("acme.io")),
                person(Some("VP Engineering"), "Eng Lead", "eng@acme.io"),
                json!({"email_status": "valid"}),
            ),
        ];
        let sheet = tabulate(&strings(&["vp_engineering_email_status", "vp_email_status"]), &leads, 10);
        assert_eq!(sheet.cell(0, "vp_engineering_email"), Some(&text("eng@acme.io")));
        assert_eq!(sheet.cell(0, "vp_email"), Some(&text("vp@acme.io")));
        assert_eq!(sheet.cell(0, "vp_engineering_email_status"), Some(&text("valid")));
        assert_eq!(sheet.cell(0, "vp_email_status"), Some(&text("risky")));
    }

    #[test]
    fn confidence_is_the_row_maximum_and_sources_are_distinct() {
        let mut leads = spendesk_and_qonto();
        leads[2].confidence = 0.1 + 0.55;
        leads[2].sources = vec![source(SourceKind::Synthetic, None), source(SourceKind::Synthetic, Some(" "))];
        let sheet = tabulate(&[], &leads, 10);
        assert_eq!(sheet.cell(0, "confidence"), Some(&Cell::Number(0.95)));
        assert_eq!(sheet.cell(1, "confidence"), Some(&Cell::Number(0.65)));
        assert_eq!(sheet.cell(0, "sources"), Some(&text("https://crunchbase.com/organization/spendesk https://spendesk.com/team")));
        assert_eq!(sheet.cell(1, "sources"), Some(&text("synthetic")));
    }

    fn sheet_of(columns: &[&str], rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet { columns: strings(columns), rows }
    }

    fn csv_text(sheet: &Sheet) -> String {
        String::from_utf8(to_csv(sheet)).unwrap()
    }

    #[test]
    fn csv_has_a_header_and_crlf_lines() {
        let sheet = sheet_of(&["company_name", "employee_count", "fit_reason"], vec![vec![text("Acme"), Cell::Number(42.0), Cell::Empty]]);
        assert_eq!(csv_text(&sheet), "company_name,employee_count,fit_reason\r\nAcme,42,\r\n");
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_keeps_utf8() {
        let cells = vec![text("Smith, Jones & Co"), text("the \"best\" one"), text("line one\nline two"), text("Zürich — 東京 🚀")];
        let sheet = sheet_of(&["a", "b", "c", "d"], vec![cells]);
        let out = csv_text(&sheet);
        assert_eq!(out, "a,b,c,d\r\n\"Smith, Jones & Co\",\"the \"\"best\"\" one\",\"line one\nline two\",Zürich — 東京 🚀\r\n");
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(record.iter().collect::<Vec<_>>(), ["Smith, Jones & Co", "the \"best\" one", "line one\nline two", "Zürich — 東京 🚀"]);
    }

    #[test]
    fn csv_neutralises_formulas_in_text_but_not_numbers() {
        let cells = vec![
            text("=HYPERLINK(\"http://evil\")"),
            text("+33 1 23 45 67 89"),
            text("-3"),
            text("@SUM(A1)"),
            text("\tx"),
            text("\rx"),
            Cell::Number(-3.0),
            Cell::Number(0.25),
            text("a=b"),
        ];
        let sheet = sheet_of(&["=cmd", "b", "c", "d", "e", "f", "g", "h", "i"], vec![cells]);
        let out = csv_text(&sheet);
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        assert_eq!(reader.headers().unwrap().get(0), Some("'=cmd"));
        let record = reader.records().next().unwrap().unwrap();
        let fields: Vec<&str> = record.iter().collect();
        assert_eq!(fields, ["'=HYPERLINK(\"http://evil\")", "'+33 1 23 45 67 89", "'-3", "'@SUM(A1)", "'\tx", "'\rx", "-3", "0.25", "a=b"]);
    }

    #[test]
    fn csv_pads_ragged_rows_and_blanks_non_finite_numbers() {
        let sheet = sheet_of(&["a", "b", "c"], vec![vec![Cell::Number(f64::NAN)], vec![text("1"), text("2"), text("3"), text("4")]]);
        assert_eq!(csv_text(&sheet), "a,b,c\r\n,,\r\n1,2,3\r\n");
    }

    #[test]
    fn csv_of_a_tabulated_sheet_round_trips() {
        let sheet = tabulate(&strings(&["company_name", "vp_engineering_email_status"]), &spendesk_and_qonto(), 10);
        let out = to_csv(&sheet);
        let mut reader = csv::Reader::from_reader(out.as_slice());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), sheet.columns);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][1], "valid");
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let sheet = tabulate(&strings(&["company_name", "funding_amount"]), &spendesk_and_qonto(), 10);
        let bytes = to_xlsx(&sheet).unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"));
    }

    #[test]
    fn xlsx_takes_edge_cells_in_its_stride() {
        let huge = "é".repeat(40_000);
        let rows = vec![vec![text(&huge), Cell::Number(f64::INFINITY), text("=1+1"), text("\u{1}ctl")], vec![]];
        let bytes = to_xlsx(&sheet_of(&["a", "b", "c", "d"], rows)).unwrap();
        assert!(bytes.starts_with(b"PK"));
        assert!(to_xlsx(&Sheet::default()).unwrap().starts_with(b"PK"));
    }

    #[test]
    fn xlsx_text_is_cut_to_the_cell_limit() {
        assert_eq!(xlsx_text("short"), "short");
        let emoji = "🚀".repeat(20_000); // 2 UTF-16 units each
        let cut = xlsx_text(&emoji);
        assert!(cut.ends_with('…'));
        assert!(cut.encode_utf16().count() <= XLSX_MAX_TEXT_UNITS);
        assert!(cut.encode_utf16().count() >= XLSX_MAX_TEXT_UNITS - 2);
    }

    #[test]
    fn xlsx_fails_cleanly_past_the_column_limit() {
        let columns: Vec<String> = (0..20_000).map(|i| format!("c{i}")).collect();
        let error = to_xlsx(&Sheet { columns, rows: vec![] }).unwrap_err();
        assert!(error.starts_with("cannot write the XLSX artifact"), "{error}");
    }

    #[test]
    fn json_is_the_array_of_leads() {
        let leads = spendesk_and_qonto();
        let bytes = to_json(&leads);
        let back: Vec<Lead> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, leads);
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value[0]["object"], "lead");
        assert_eq!(value[1]["person"]["role"], "VP Engineering");
        assert!(!bytes.contains(&b'\n'));
        assert_eq!(to_json(&[]), b"[]");
    }
}
