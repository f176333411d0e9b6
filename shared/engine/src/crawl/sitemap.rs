//! Sitemap files (sitemaps.org protocol): `<urlset>` lists pages, `<sitemapindex>` lists further sitemaps.
//!
//! Parsed with `quick-xml`, matching element local names so any namespace prefix works. Only the `<loc>` of each
//! `<url>` or `<sitemap>` is read. Gzipped sitemaps (`.xml.gz`) are not supported: the HTTP client does not
//! decompress, and their bytes do not parse as XML, so they yield nothing.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;

/// What a sitemap file turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Sitemap {
    /// A `<urlset>`: page URLs.
    Pages(Vec<String>),
    /// A `<sitemapindex>`: URLs of further sitemaps.
    Index(Vec<String>),
    /// Neither (not XML, another root element, or unreadable before the first entry).
    Other,
}

/// Reads the `<loc>` entries of a sitemap, at most `limit` of them. Malformed XML ends the reading early, keeping
/// what was read so far.
pub(crate) fn parse(body: &[u8], limit: usize) -> Sitemap {
    let text = String::from_utf8_lossy(body);
    let mut reader = Reader::from_str(&text);
    reader.config_mut().trim_text(true);
    let mut root: Option<bool> = None; // Some(true) = urlset, Some(false) = sitemapindex
    let mut depth = 0usize;
    let mut in_loc = false;
    let mut loc = String::new();
    let mut locs = Vec::new();
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(err) => {
                tracing::debug!(error = %err, "malformed sitemap; keeping the entries read so far");
                break;
            }
        };
        match event {
            Event::Start(start) => {
                let local = start.local_name();
                let name = local.as_ref();
                if depth == 0 {
                    root = match name {
                        "urlset" => Some(true),
                        "sitemapindex" => Some(false),
                        _ => return Sitemap::Other,
                    };
                } else if depth == 2 && name == "loc" {
                    in_loc = true;
                    loc.clear();
                }
                depth += 1;
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if in_loc && depth == 2 {
                    in_loc = false;
                    let trimmed = loc.trim();
                    if !trimmed.is_empty() {
                        locs.push(trimmed.to_owned());
                        if locs.len() >= limit {
                            break;
                        }
                    }
                }
            }
            Event::Text(text) if in_loc => loc.push_str(&text.xml10_content()),
            Event::CData(data) if in_loc => loc.push_str(&data.xml10_content()),
            Event::GeneralRef(reference) if in_loc => {
                if let Ok(Some(ch)) = reference.resolve_char_ref() {
                    loc.push(ch);
                } else if let Some(text) = resolve_predefined_entity(&reference.xml10_content()) {
                    loc.push_str(text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match root {
        Some(true) => Sitemap::Pages(locs),
        Some(false) => Sitemap::Index(locs),
        None => Sitemap::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_urlset() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
              <url><loc> https://e.com/a </loc><lastmod>2024-01-01</lastmod></url>
              <url><loc>https://e.com/b?x=1&amp;y=&#50;</loc></url>
              <url><loc><![CDATA[https://e.com/c]]></loc></url>
              <url><loc></loc></url>
            </urlset>"#;
        assert_eq!(
            parse(xml, 100),
            Sitemap::Pages(vec!["https://e.com/a".into(), "https://e.com/b?x=1&y=2".into(), "https://e.com/c".into()])
        );
        assert_eq!(parse(xml, 2), Sitemap::Pages(vec!["https://e.com/a".into(), "https://e.com/b?x=1&y=2".into()]));
    }

    #[test]
    fn reads_an_index_with_prefixes() {
        let xml = br#"<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
              <sm:sitemap><sm:loc>https://e.com/s1.xml</sm:loc></sm:sitemap>
              <sm:sitemap><sm:loc>https://e.com/s2.xml</sm:loc></sm:sitemap>
            </sm:sitemapindex>"#;
        assert_eq!(parse(xml, 100), Sitemap::Index(vec!["https://e.com/s1.xml".into(), "https://e.com/s2.xml".into()]));
    }

    #[test]
    fn ignores_other_documents_and_keeps_entries_before_an_error() {
        assert_eq!(parse(b"<html><body>Not found</body></html>", 10), Sitemap::Other);
        assert_eq!(parse(b"\x1f\x8b\x08\x00garbage", 10), Sitemap::Other);
        assert_eq!(parse(b"", 10), Sitemap::Other);
        // A <loc> nested deeper than an entry's child is not an entry.
        let xml = b"<urlset><url><loc>https://e.com/a</loc></url><url><image><loc>https://e.com/i.png</loc></image></url><url><loc>x</wrong></urlset>";
        assert_eq!(parse(xml, 10), Sitemap::Pages(vec!["https://e.com/a".into()]));
    }
}
