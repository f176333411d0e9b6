//! Which URLs belong to a site, how they are normalised, and which links a page offers to follow.
//!
//! Same site means same host once a leading `www.` is removed, and the same explicit port (`http://` and
//! `https://` on default ports are the same site). Links come from `<a href>` and `<area href>`, resolved against
//! `<base href>` when the page has one. Links marked `rel="nofollow"` are not followed, nor any link of a page whose
//! `<meta name="robots">` says `nofollow` or `none`: the site asked crawlers not to, and such links are mostly
//! logins, carts and ads, of no use to lead research.

use scraper::{Html, Selector};
use url::Url;

/// File extensions (lower case) of links that are obviously not HTML pages and are never followed.
const ASSET_EXTENSIONS: &[&str] = &[
    "7z", "apk", "atom", "avi", "bin", "bmp", "bz2", "css", "csv", "dmg", "doc", "docx", "eot", "epub", "exe", "flac", "gif", "gz", "ico",
    "iso", "jpeg", "jpg", "js", "json", "m4a", "m4v", "mjs", "mov", "mp3", "mp4", "mpeg", "msi", "odp", "ods", "odt", "ogg", "otf", "pdf",
    "png", "ppt", "pptx", "rar", "rss", "svg", "tar", "tgz", "tif", "tiff", "ttf", "txt", "wav", "webm", "webp", "wmv", "woff", "woff2",
    "xls", "xlsx", "xml", "xz", "zip",
];

/// The site a URL belongs to: its host without a leading `www.`, and its port if not the scheme's default.
pub(crate) fn site_of(url: &Url) -> Option<(String, Option<u16>)> {
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").map(str::to_owned).unwrap_or(host);
    Some((host, url.port()))
}

/// Whether `a` and `b` are on the same site.
pub(crate) fn same_site(a: &Url, b: &Url) -> bool {
    site_of(a).is_some_and(|site| Some(site) == site_of(b))
}

/// `url` ready to fetch and compare: http(s) only, no fragment. `None` for any other scheme.
pub(crate) fn normalise(url: &Url) -> Option<Url> {
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    let mut url = url.clone();
    url.set_fragment(None);
    Some(url)
}

/// Whether the path ends in an extension of a file that is not an HTML page.
pub(crate) fn is_asset(url: &Url) -> bool {
    let last = url.path().rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ASSET_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()),
        _ => false,
    }
}

/// The followable links of an HTML page at `page_url`, normalised, in document order, without duplicates.
/// Off-site links and assets are included; the caller decides.
pub(crate) fn extract_links(html: &str, page_url: &Url) -> Vec<Url> {
    let document = Html::parse_document(html);
    let meta = Selector::parse("meta[name]").expect("valid selector");
    let page_nofollow = document.select(&meta).any(|m| {
        m.value().attr("name").is_some_and(|n| n.trim().eq_ignore_ascii_case("robots"))
            && m.value()
                .attr("content")
                .is_some_and(|c| c.split(',').any(|d| d.trim().eq_ignore_ascii_case("nofollow") || d.trim().eq_ignore_ascii_case("none")))
    });
    if page_nofollow {
        return Vec::new();
    }
    let base_selector = Selector::parse("base[href]").expect("valid selector");
    let base = document
        .select(&base_selector)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page_url.join(href.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let anchors = Selector::parse("a[href], area[href]").expect("valid selector");
    let mut links: Vec<Url> = Vec::new();
    for anchor in document.select(&anchors) {
        let element = anchor.value();
        if element.attr("rel").is_some_and(|rel| rel.split_ascii_whitespace().any(|r| r.eq_ignore_ascii_case("nofollow"))) {
            continue;
        }
        let Some(href) = element.attr("href").map(str::trim).filter(|h| !h.is_empty()) else { continue };
        let Some(link) = base.join(href).ok().and_then(|u| normalise(&u)) else { continue };
        if !links.contains(&link) {
            links.push(link);
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn same_site_ignores_www_and_scheme_but_not_port_or_subdomain() {
        assert!(same_site(&url("http://example.com/a"), &url("https://www.example.com/b")));
        assert!(same_site(&url("https://WWW.Example.com/"), &url("https://example.com:443/")));
        assert!(!same_site(&url("https://example.com/"), &url("https://blog.example.com/")));
        assert!(!same_site(&url("http://127.0.0.1:1000/"), &url("http://127.0.0.1:2000/")));
        assert!(!same_site(&url("https://example.com/"), &url("https://example.org/")));
    }

    #[test]
    fn spots_assets_by_extension() {
        for asset in ["/a.pdf", "/img/logo.PNG", "/x.jpg?v=2", "/site.css", "/app.js", "/f.zip", "/feed.xml"] {
            assert!(is_asset(&url(&format!("https://e.com{asset}"))), "{asset}");
        }
        for page in ["/", "/about", "/about.html", "/index.php?x=a.pdf", "/v1.2/team", "/.well-known"] {
            assert!(!is_asset(&url(&format!("https://e.com{page}"))), "{page}");
        }
    }

    #[test]
    fn extracts_links_with_base_fragments_and_nofollow() {
        let html = r##"<html><head><base href="/docs/"></head><body>
            <a href="intro#part">Intro</a>
            <a href="intro">Intro again</a>
            <a href="https://other.example/x">Elsewhere</a>
            <a href="mailto:a@b.c">Mail</a>
            <a href="javascript:void(0)">JS</a>
            <a href="#top">Top</a>
            <a rel="external NoFollow" href="/login">Login</a>
            <a href="  /team  ">Team</a>
            <map><area href="/area"></map>
            <a>No href</a>
        </body></html>"##;
        let links: Vec<String> = extract_links(html, &url("https://e.com/start/page")).iter().map(Url::to_string).collect();
        assert_eq!(
            links,
            ["https://e.com/docs/intro", "https://other.example/x", "https://e.com/docs/", "https://e.com/team", "https://e.com/area"]
        );
        let no_base: Vec<String> =
            extract_links(r#"<a href="next">n</a>"#, &url("https://e.com/dir/page")).iter().map(Url::to_string).collect();
        assert_eq!(no_base, ["https://e.com/dir/next"]);
        let meta = r#"<meta name="robots" content="noindex, nofollow"><a href="/x">x</a>"#;
        assert!(extract_links(meta, &url("https://e.com/")).is_empty());
    }
}
