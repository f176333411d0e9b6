//! Contact and company facts from one fetched page: emails, phone numbers, social profiles,
//! schema.org JSON-LD, people with their titles, and company facts (name, location, headcount,
//! technologies, funding), plus the same-site links a crawler follows next.
//!
//! Everything here is a pure function of the page's URL and decoded HTML, so it is tested offline
//! against a fixture web. Precision comes first: a wrong email or phone on a lead costs more than a
//! missing one, so every extractor rejects look-alikes (asset names, versions, dates, IDs, share
//! links) and keeps only values that pass a real check (a known public suffix, libphonenumber's
//! validity rules, a person-name shape).

mod company;
mod country;
mod emails;
mod funding;
mod gate;
mod jobs;
mod jsonld;
mod links;
mod people;
mod phones;
mod social;
mod tech;
mod text;

use scraper::Html;
use serde::Serialize;
use url::Url;

pub use country::english_name as country_english_name;

/// Everything found on one page.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Extracted {
    /// Email addresses, lowercased and deduplicated, in order of discovery.
    pub emails: Vec<FoundEmail>,
    /// Valid phone numbers in E.164, deduplicated.
    pub phones: Vec<FoundPhone>,
    /// Social network profiles (never share or intent links), with normalised URLs.
    pub social: Vec<SocialProfile>,
    /// The organization the page describes in schema.org JSON-LD, if any.
    pub organization: Option<Organization>,
    /// People named on the page, with their titles where stated.
    pub people: Vec<PersonMention>,
    /// Job postings from JSON-LD, then those of the page's markup (careers listings): a hiring signal.
    pub job_postings: Vec<JobPosting>,
    /// Company facts gathered from every source on the page.
    pub company: CompanyFacts,
    /// Same-site links (absolute, no fragment, http or https only) for a crawler.
    #[serde(serialize_with = "urls_as_strings")]
    pub links: Vec<Url>,
    /// The ISO 3166 alpha-2 country used to read national-format phone numbers.
    pub country: Option<String>,
}

/// One email address and how it was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FoundEmail {
    /// The address, lowercased.
    pub address: String,
    /// Where on the page it came from.
    pub via: EmailVia,
}

/// Where an email address came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailVia {
    /// A `mailto:` link.
    Mailto,
    /// Plain visible text.
    Text,
    /// Visible text written as `name [at] domain [dot] tld` or similar.
    Obfuscated,
    /// Cloudflare's email protection (`data-cfemail` or an `email-protection#` link).
    Cloudflare,
    /// schema.org JSON-LD.
    JsonLd,
}

/// One phone number and how it was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FoundPhone {
    /// The number in E.164 (`+493012345678`).
    pub e164: String,
    /// The text it was read from.
    pub raw: String,
    /// Where on the page it came from.
    pub via: PhoneVia,
}

/// Where a phone number came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneVia {
    /// A `tel:` link.
    Tel,
    /// Visible text.
    Text,
    /// schema.org JSON-LD.
    JsonLd,
}

/// A link to a profile on a social network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SocialProfile {
    /// The network.
    pub network: Network,
    /// The normalised profile URL: https, lowercase host without `www.`/`m.`, no query, fragment or
    /// trailing slash (but Facebook's numeric `profile.php?id=`, which is the profile).
    pub url: String,
    /// Whether the profile is a company's or a person's, where the URL says so.
    pub kind: ProfileKind,
}

/// The social networks recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// linkedin.com
    Linkedin,
    /// x.com, formerly twitter.com
    X,
    /// github.com
    Github,
    /// facebook.com
    Facebook,
    /// instagram.com
    Instagram,
    /// youtube.com
    Youtube,
    /// xing.com
    Xing,
    /// tiktok.com
    Tiktok,
}

/// Whose profile a social URL is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// A company page (`linkedin.com/company/…`, `xing.com/pages/…`).
    Company,
    /// A person's profile (`linkedin.com/in/…`, `xing.com/profile/…`).
    Person,
    /// The URL does not tell.
    Unknown,
}

/// An organization described in schema.org JSON-LD.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Organization {
    /// Its name.
    pub name: Option<String>,
    /// Its website.
    pub url: Option<String>,
    /// Its postal address.
    pub address: Option<Address>,
    /// Its `sameAs` URLs (social profiles, registries).
    pub same_as: Vec<String>,
    /// `numberOfEmployees`, a number or a QuantitativeValue's value (else minValue, else maxValue).
    pub employees: Option<u32>,
    /// Emails of the organization and its contact points, lowercased.
    pub emails: Vec<String>,
    /// Valid phones of the organization and its contact points, in E.164.
    pub phones: Vec<String>,
}

/// A postal address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Address {
    /// Street and number.
    pub street: Option<String>,
    /// City (`addressLocality`).
    pub city: Option<String>,
    /// Region or state.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO 3166 alpha-2 country code.
    pub country: Option<String>,
}

/// A person named on the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonMention {
    /// Full name, without honorifics.
    pub name: String,
    /// Job title or role, where stated.
    pub title: Option<String>,
    /// Their email, where stated next to them.
    pub email: Option<String>,
    /// Their employer's name, where JSON-LD states `worksFor`.
    pub works_for: Option<String>,
    /// Where on the page they were found.
    pub via: PersonVia,
}

/// Where a person was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonVia {
    /// A schema.org Person in JSON-LD.
    JsonLd,
    /// Page markup (team cards, lists, "Name – Title" lines).
    Markup,
    /// A legal notice line such as "Geschäftsführer: Max Mustermann".
    Impressum,
}

/// A schema.org JobPosting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobPosting {
    /// The job title.
    pub title: String,
    /// `datePosted` as written.
    pub date_posted: Option<String>,
    /// Where the job is (`City, CC`, or `Remote`).
    pub location: Option<String>,
}

/// Company facts from every source on the page.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CompanyFacts {
    /// The company name (JSON-LD, else `og:site_name`, else the page title without its page part).
    pub name: Option<String>,
    /// ISO 3166 alpha-2 country (JSON-LD address, else a visible address, else the country-code TLD).
    pub country: Option<String>,
    /// City (JSON-LD address, else a visible address).
    pub city: Option<String>,
    /// Headcount (JSON-LD `numberOfEmployees`, else a mention such as "120 employees").
    pub headcount: Option<u32>,
    /// Technologies the site uses, as lowercase slugs (`wordpress`, `hubspot`, `nextjs`).
    pub technologies: Vec<String>,
    /// Funding announcements.
    pub funding: Vec<FundingMention>,
}

/// A funding announcement in the page text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FundingMention {
    /// `pre_seed`, `seed`, `series_a` … `series_d`, `series_e_plus`, where named.
    pub stage: Option<String>,
    /// The amount as written (`$12M`, `€5 million`), where stated.
    pub amount: Option<String>,
    /// The sentence it was found in.
    pub text: String,
}

/// Serializes links as plain strings, without needing `url`'s serde feature.
fn urls_as_strings<S: serde::Serializer>(urls: &[Url], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(urls.iter().map(Url::as_str))
}

/// Extracts contact and company facts from one page; `page_url` resolves relative links and gives
/// the TLD as a last-resort country.
pub fn extract(page_url: &Url, html: &str) -> Extracted {
    let doc = Html::parse_document(html);
    let (lines, blocks) = text::visible_lines_with_blocks(&doc);
    let ld = jsonld::read(&doc);

    let place = country::visible_address(&doc, &lines);
    let ld_country = ld.organization.as_ref().and_then(|o| o.org.address.as_ref()).and_then(|a| a.country.clone());
    let evidence = ld_country.or_else(|| place.as_ref().and_then(|p| p.country.clone()));
    // The country national-format phones are read in: where the page says it is, else its
    // language region or TLD, else the country of its own international numbers, else the main
    // country of its language.
    let context = evidence
        .clone()
        .or_else(|| country::from_lang(&doc))
        .or_else(|| country::from_tld(page_url))
        .or_else(|| phones::international_region(&doc, &lines, &ld.phones))
        .or_else(|| country::from_language(&doc));
    let company_country = evidence.or_else(|| country::from_tld(page_url));

    let organization = ld.organization.as_ref().map(|org| jsonld::organization(org, context.as_deref()));
    let mut social = social::from_links(&doc, page_url);
    social::merge(&mut social, organization.iter().flat_map(|o| o.same_as.iter().map(String::as_str)));

    let company = CompanyFacts {
        name: company::name(&doc, organization.as_ref(), page_url),
        country: company_country,
        city: organization.as_ref().and_then(|o| o.address.as_ref()?.city.clone()).or_else(|| place.and_then(|p| p.city)),
        headcount: organization.as_ref().and_then(|o| o.employees).or_else(|| company::headcount(&lines)),
        technologies: tech::fingerprint(&doc),
        funding: funding::mentions(&lines),
    };

    Extracted {
        emails: emails::find(&doc, &lines, &ld.emails),
        phones: phones::find(&doc, &lines, &ld.phones, context.as_deref()),
        social,
        people: people::find(&doc, &lines, &blocks, ld.people),
        job_postings: jobs::merge(ld.jobs, jobs::from_markup(&doc)),
        company,
        links: links::same_site(&doc, page_url),
        country: context,
        organization,
    }
}
