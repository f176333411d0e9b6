//! URL scrape jobs (`POST /v1/scrape`): a list of pages to read, with what to extract from them.
//!
//! A scrape is a job like any other: it belongs to a thread (titled after the scrape, with the
//! request as its message), has a plan (read the URLs, score, export), runs on the same worker and
//! queue in chunks of [`URLS_PER_CHUNK`] URLs, bills per URL read, honours stop and `max_credits`,
//! and leaves an artifact. What is particular to it lives here: the request, its validation, the
//! plan it gets, and the URL counters of its job object. The reading itself is in the runner
//! (`jobs/run/scrape.rs`).
//!
//! `depth` counts pages, not hops: 1 reads each listed page only, 2 also the same-site pages it
//! links to, 3 one level further (at most [`PAGES_PER_URL`] pages per listed URL). robots.txt is
//! obeyed on every page: a disallowed page is never fetched, so nothing comes from it.

use serde::{Deserialize, Serialize};
use url::Url;
use utoipa::ToSchema;

use super::{Job, JobKind, ScrapeType};
use crate::error::{ResearchError, ResearchResult};
use quarry_engine::net::TargetPolicy;
use quarry_planner::{Criteria, Intent, PlanDraft, PlanStep};
use quarry_ports::{BlobKey, StoreResult};

/// Most URLs in one scrape.
pub const MAX_URLS: usize = 10_000;
pub use quarry_engine::net::MAX_URL_CHARS;
/// Deepest `options.depth`.
pub const MAX_DEPTH: u8 = 3;
/// URLs one queue message reads, side by side (each host is still paced by the crawler).
pub const URLS_PER_CHUNK: u64 = 5;
/// Most pages read from one listed URL (depth 2 and 3 follow same-site links).
pub const PAGES_PER_URL: usize = 25;
/// Credits per URL whose page could be read, in tenths: one credit. URLs that fail are free.
pub const TENTHS_PER_URL: u64 = 10;
/// A sitemap scrape does not know how many pages it will read until it has read its sitemaps;
/// its estimate counts this many per sitemap.
const PAGES_PER_SITEMAP_ESTIMATE: u64 = 100;

/// Body of `POST /v1/scrape`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ScrapeBody {
    /// `single`, `bulk` or `sitemap`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "bulk", pattern = "^(single|bulk|sitemap)$")]
    pub kind: Option<String>,
    /// 1 to 10,000 absolute http(s) URLs (a `single` scrape takes one; more is a 422). A URL that
    /// cannot be read (unparsable, an internal address) is a 422.
    #[schema(min_items = 1, max_items = 10000, value_type = Vec<crate::filters::UrlText>)]
    pub urls: Option<Vec<String>>,
    #[serde(default)]
    pub options: ScrapeOptionsBody,
    /// Events of this job are also delivered here (a job-scoped webhook endpoint is made for it).
    #[schema(value_type = Option<crate::filters::UrlText>)]
    pub webhook_url: Option<String>,
    /// The job stops rather than spend more credits than this.
    #[schema(minimum = 1)]
    pub max_credits: Option<u64>,
}

/// `options` of `POST /v1/scrape`; every field is optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ScrapeOptionsBody {
    /// Pages deep to read from each URL, 1–3 (default 1: the page itself).
    #[schema(minimum = 1, maximum = 3)]
    pub depth: Option<i64>,
    /// Keep email addresses (default true).
    pub extract_emails: Option<bool>,
    /// Keep phone numbers (default true).
    pub extract_phones: Option<bool>,
    /// Keep social profiles (default true).
    pub extract_social: Option<bool>,
    /// Score the leads (`lead_score`, `lead_status`, signals, notes; default true).
    pub qualify_leads: Option<bool>,
}

/// What to take from the pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScrapeOptions {
    pub depth: u8,
    pub extract_emails: bool,
    pub extract_phones: bool,
    pub extract_social: bool,
    pub qualify_leads: bool,
}

/// A validated scrape, as saved with its job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScrapeRequest {
    #[serde(rename = "type")]
    pub kind: ScrapeType,
    pub urls: Vec<Url>,
    pub options: ScrapeOptions,
}

impl ScrapeRequest {
    /// Validates a request body; every bad field is a 400 naming it (`urls[3]`, `options.depth`).
    /// URLs whose host is an internal address written as an IP literal are refused here, under
    /// `policy`; names are judged when they are resolved, at every fetch.
    pub fn parse(body: &ScrapeBody, policy: TargetPolicy) -> ResearchResult<ScrapeRequest> {
        let kind = match body.kind.as_deref() {
            None => return Err(ResearchError::invalid("type", "`type` is required: `single`, `bulk` or `sitemap`.")),
            Some(raw) => ScrapeType::parse(raw)
                .ok_or_else(|| ResearchError::invalid("type", format!("`type` must be `single`, `bulk` or `sitemap`; got `{raw}`.")))?,
        };
        let raw_urls = body.urls.as_deref().unwrap_or_default();
        if raw_urls.is_empty() {
            return Err(ResearchError::invalid("urls", "`urls` must list at least one URL."));
        }
        if raw_urls.len() > MAX_URLS {
            return Err(ResearchError::invalid(
                "urls",
                format!("`urls` lists {} URLs; a scrape takes at most {MAX_URLS}.", raw_urls.len()),
            ));
        }
        if kind == ScrapeType::Single && raw_urls.len() > 1 {
            return Err(ResearchError::unprocessable("urls", "A `single` scrape takes exactly one URL; use `bulk` for a list."));
        }
        let urls = raw_urls.iter().enumerate().map(|(i, raw)| parse_url(i, raw, policy)).collect::<ResearchResult<Vec<Url>>>()?;
        let options = &body.options;
        let depth = match options.depth {
            None => 1,
            Some(d) if (1..=i64::from(MAX_DEPTH)).contains(&d) => d as u8,
            Some(d) => return Err(ResearchError::invalid("options.depth", format!("`options.depth` must be 1, 2 or 3; got {d}."))),
        };
        let options = ScrapeOptions {
            depth,
            extract_emails: options.extract_emails.unwrap_or(true),
            extract_phones: options.extract_phones.unwrap_or(true),
            extract_social: options.extract_social.unwrap_or(true),
            qualify_leads: options.qualify_leads.unwrap_or(true),
        };
        Ok(ScrapeRequest { kind, urls, options })
    }

    /// Credits the scrape should cost: one per URL (per page the sitemaps list, estimated).
    pub fn credits_estimate(&self) -> u64 {
        let urls = self.urls.len() as u64;
        match self.kind {
            ScrapeType::Sitemap => (urls * PAGES_PER_SITEMAP_ESTIMATE).min(MAX_URLS as u64),
            _ => urls,
        }
    }

    /// The user message that records the scrape in its thread.
    pub fn describe(&self) -> String {
        let what = match self.kind {
            ScrapeType::Sitemap => "every page listed by",
            _ => "",
        };
        let mut list: Vec<&str> = self.urls.iter().take(5).map(Url::as_str).collect();
        if self.urls.len() > 5 {
            list.push("…");
        }
        let o = &self.options;
        let extract: Vec<&str> = [(o.extract_emails, "emails"), (o.extract_phones, "phones"), (o.extract_social, "social profiles")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        format!(
            "Scrape ({}, depth {}) {what} {} URL{}: {}. Extract {}{}.",
            self.kind.as_str(),
            o.depth,
            self.urls.len(),
            if self.urls.len() == 1 { "" } else { "s" },
            list.join(", "),
            if extract.is_empty() { "names and titles only".to_string() } else { extract.join(", ") },
            if o.qualify_leads { "; score the leads" } else { "" },
        )
        .replace("  ", " ")
    }

    /// The thread's title: the scrape in a few words.
    pub fn title(&self) -> String {
        let host = self.urls.first().and_then(Url::host_str).unwrap_or("URLs");
        match self.urls.len() {
            1 => format!("Scrape {host}"),
            n => format!("Scrape {host} and {} more", n - 1),
        }
    }

    /// The plan of the scrape: read the URLs, score (if asked), export.
    pub fn plan(&self) -> PlanDraft {
        let columns = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let mut steps = vec![PlanStep {
            id: String::new(),
            title: format!("Read {} URL{}", self.urls.len(), if self.urls.len() == 1 { "" } else { "s" }),
            intent: Intent::Scrape,
            task: format!(
                "Fetch each {} politely (robots.txt obeyed), {} deep, and extract companies and people with their contact details.",
                if self.kind == ScrapeType::Sitemap { "page the sitemaps list" } else { "URL" },
                if self.options.depth == 1 { "one page".to_string() } else { format!("{} pages", self.options.depth) }
            ),
            expected_columns: columns(&["company_name", "domain", "person_name", "person_title", "person_email", "person_phone"]),
        }];
        if self.options.qualify_leads {
            steps.push(PlanStep {
                id: String::new(),
                title: "Score the leads".into(),
                intent: Intent::Qualify,
                task: "Score each lead 0–100 from its seniority and the company's hiring, funding and growth signals.".into(),
                expected_columns: Vec::new(),
            });
        }
        steps.push(PlanStep {
            id: String::new(),
            title: "Export".into(),
            intent: Intent::Export,
            task: "Write the leads to CSV and JSON.".into(),
            expected_columns: Vec::new(),
        });
        for (n, step) in steps.iter_mut().enumerate() {
            step.id = format!("stp_{}", n + 1);
        }
        PlanDraft {
            title: self.title(),
            steps,
            credits_estimate: self.credits_estimate(),
            criteria: Criteria::default(),
            drafted_by: "scrape",
        }
    }

    /// Makes a pending job a scrape job with its counters at zero.
    pub fn shape(&self, job: &mut Job) {
        job.kind = JobKind::Scrape;
        job.scrape_type = Some(self.kind);
        job.total_urls = Some(self.urls.len() as u64);
        for counter in [&mut job.processed_urls, &mut job.successful_urls, &mut job.failed_urls, &mut job.leads_found] {
            *counter = Some(0);
        }
        job.progress_percentage = Some(0);
    }
}

fn parse_url(index: usize, raw: &str, policy: TargetPolicy) -> ResearchResult<Url> {
    let param = format!("urls[{index}]");
    let url = quarry_engine::net::web_url(raw).ok_or_else(|| {
        let message = format!("`{raw}` must be an absolute http or https URL with a host, of at most {MAX_URL_CHARS} characters.");
        crate::filters::url_error(raw, &param, message)
    })?;
    quarry_engine::net::check_target(&url, policy)
        .map_err(|reason| ResearchError::unprocessable(&param, format!("`{param}` is refused: {reason}.")))?;
    Ok(url)
}

/// Where a scrape's request is saved (its URL list may be far larger than a table item).
pub fn request_blob(org_id: &str, job_id: &str) -> StoreResult<BlobKey> {
    BlobKey::parse(&format!("jobs/{org_id}/{job_id}/scrape.json"))
}

/// Where a sitemap scrape saves the pages its sitemaps listed, before reading any.
pub fn targets_blob(org_id: &str, job_id: &str) -> StoreResult<BlobKey> {
    BlobKey::parse(&format!("jobs/{org_id}/{job_id}/targets.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(kind: &str, urls: &[&str]) -> ScrapeBody {
        ScrapeBody { kind: Some(kind.into()), urls: Some(urls.iter().map(|u| u.to_string()).collect()), ..ScrapeBody::default() }
    }

    fn parse_public(body: &ScrapeBody) -> ResearchResult<ScrapeRequest> {
        ScrapeRequest::parse(body, TargetPolicy::PublicOnly)
    }

    #[test]
    fn internal_ip_literals_are_refused_at_submission() {
        assert_eq!(unusable(parse_public(&body("bulk", &["https://a.example", "http://169.254.169.254/latest/"]))), "urls[1]");
        assert_eq!(unusable(parse_public(&body("single", &["http://10.0.0.1/"]))), "urls[0]");
        assert!(ScrapeRequest::parse(&body("single", &["http://127.0.0.1:8080/"]), TargetPolicy::AllowLoopback).is_ok());
    }

    fn param_of(result: ResearchResult<ScrapeRequest>) -> String {
        match result {
            Err(ResearchError::Invalid { param, .. }) => param,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    /// The parameter of a 422: the value has the documented form but cannot be used.
    fn unusable(result: ResearchResult<ScrapeRequest>) -> String {
        match result {
            Err(ResearchError::Unprocessable { param, .. }) => param,
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn bad_input_names_the_field() {
        assert_eq!(param_of(parse_public(&ScrapeBody::default())), "type");
        assert_eq!(param_of(parse_public(&body("crawl", &["https://a.example"]))), "type");
        assert_eq!(param_of(parse_public(&body("bulk", &[]))), "urls");
        assert_eq!(param_of(parse_public(&body("bulk", &["https://a.example", "ftp://b.example/x"]))), "urls[1]");
        assert_eq!(param_of(parse_public(&body("bulk", &["https://a.example", "b.example"]))), "urls[1]");
        assert_eq!(unusable(parse_public(&body("single", &["https://a.example", "https://b.example"]))), "urls");
        assert_eq!(unusable(parse_public(&body("bulk", &["https://a.example", "http://"]))), "urls[1]", "http(s):// but no host");
        let too_many: Vec<String> = (0..=MAX_URLS).map(|i| format!("https://a.example/{i}")).collect();
        let big = ScrapeBody { kind: Some("bulk".into()), urls: Some(too_many), ..ScrapeBody::default() };
        assert_eq!(param_of(parse_public(&big)), "urls");
        let mut deep = body("single", &["https://a.example"]);
        deep.options.depth = Some(4);
        assert_eq!(param_of(parse_public(&deep)), "options.depth");
    }

    #[test]
    fn defaults_and_plan() {
        let request = parse_public(&body("bulk", &["https://a.example/contact", "http://b.example"])).unwrap();
        assert_eq!(
            request.options,
            ScrapeOptions { depth: 1, extract_emails: true, extract_phones: true, extract_social: true, qualify_leads: true }
        );
        assert_eq!(request.credits_estimate(), 2);
        let plan = request.plan();
        let intents: Vec<Intent> = plan.steps.iter().map(|s| s.intent).collect();
        assert_eq!(intents, [Intent::Scrape, Intent::Qualify, Intent::Export]);
        assert_eq!(plan.steps[2].id, "stp_3");
        assert_eq!(plan.title, "Scrape a.example and 1 more");
        assert!(request.describe().contains("2 URLs"), "{}", request.describe());
    }
}
