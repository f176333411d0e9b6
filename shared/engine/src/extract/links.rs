//! Same-site links for the crawler: resolved against the page (or its `<base href>`), http(s)
//! only, fragment stripped, deduplicated. Same site means the same registrable domain
//! (`www.acme.de` and `jobs.acme.de`), or for hosts without one (an IP, `localhost`) the same
//! host and port.

use std::sync::LazyLock;

use scraper::{Html, Selector};
use url::Url;

use crate::domains::registrable_domain;

/// Same-site links on the page, in document order, without the page itself.
pub(super) fn same_site(doc: &Html, page_url: &Url) -> Vec<Url> {
    static BASE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("base[href]").unwrap());
    static LINKS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href], area[href]").unwrap());
    let base = doc.select(&BASE).next().and_then(|b| page_url.join(b.attr("href")?.trim()).ok()).unwrap_or_else(|| page_url.clone());
    let mut page = page_url.clone();
    page.set_fragment(None);
    let mut links: Vec<Url> = Vec::new();
    for href in doc.select(&LINKS).filter_map(|a| a.attr("href")) {
        let Ok(mut url) = base.join(href.trim()) else { continue };
        url.set_fragment(None);
        if matches!(url.scheme(), "http" | "https") && same_site_as(&url, page_url) && url != page && !links.contains(&url) {
            links.push(url);
        }
    }
    links
}

fn same_site_as(url: &Url, page: &Url) -> bool {
    let (Some(host), Some(page_host)) = (url.host_str(), page.host_str()) else { return false };
    match (registrable_domain(host), registrable_domain(page_host)) {
        (Some(a), Some(b)) => a == b,
        _ => host.eq_ignore_ascii_case(page_host) && url.port_or_known_default() == page.port_or_known_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_site_links_only() {
        let doc = Html::parse_document(
            "<a href='/team#anna'>t</a><a href='team'>dup</a><a href='https://jobs.acme.de/open'>j</a><a href='https://other.de/'>o</a>\
             <a href='mailto:a@acme.de'>m</a><a href='javascript:void(0)'>js</a><a href='#top'>self</a><a href='ftp://acme.de/x'>f</a>",
        );
        let links: Vec<String> = same_site(&doc, &Url::parse("https://www.acme.de/").unwrap()).iter().map(Url::to_string).collect();
        assert_eq!(links, ["https://www.acme.de/team", "https://jobs.acme.de/open"]);
    }

    #[test]
    fn loopback_sites_compare_host_and_port() {
        let doc = Html::parse_document("<a href='/a'>a</a><a href='http://127.0.0.1:9999/b'>b</a>");
        let links = same_site(&doc, &Url::parse("http://127.0.0.1:8080/index.html").unwrap());
        assert_eq!(links, [Url::parse("http://127.0.0.1:8080/a").unwrap()]);
    }
}
