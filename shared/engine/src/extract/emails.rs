//! Email addresses: `mailto:` links, Cloudflare-protected addresses, JSON-LD, plain text and the
//! usual obfuscations (`name [at] domain [dot] tld`). Anything shaped like an address but not one
//! (`logo@2x.png`, `pkg@1.2.3`, `git@github.com:org/repo`, `user@localhost`) is rejected by
//! requiring a domain under a known public suffix and looking at what surrounds the match.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Selector};

use super::gate::Gated;
use super::{EmailVia, FoundEmail};
use crate::domains::has_known_suffix;

/// Every address on the page, lowercased, first sighting wins (links before text).
pub(super) fn find(doc: &Html, lines: &[String], jsonld: &[String]) -> Vec<FoundEmail> {
    let mut found = Vec::new();
    let mut add = |address: &str, via: EmailVia| {
        if let Some(address) = normalize(address) {
            if !found.iter().any(|f: &FoundEmail| f.address == address) {
                found.push(FoundEmail { address, via });
            }
        }
    };
    mailto_links(doc).iter().for_each(|a| add(a, EmailVia::Mailto));
    cloudflare(doc).iter().for_each(|a| add(a, EmailVia::Cloudflare));
    jsonld.iter().for_each(|a| add(a.trim_start_matches("mailto:"), EmailVia::JsonLd));
    for line in lines {
        in_text(line).iter().for_each(|a| add(a, EmailVia::Text));
        obfuscated(line).iter().for_each(|a| add(a, EmailVia::Obfuscated));
    }
    found
}

/// The address if it is one: lowercased, a plausible local part, a domain under a known suffix.
pub(super) fn normalize(address: &str) -> Option<String> {
    let address = address.trim().trim_matches(|c: char| "<>\"'(),;.".contains(c)).to_lowercase();
    let (local, domain) = address.rsplit_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "._%+-'".contains(c));
    (local_ok && domain_ok(domain)).then_some(address)
}

/// Whether `domain` could receive mail: hostname labels under a known public suffix, and not an
/// asset file name such as `2x.png` that happens to end in a real TLD (`.mov`, `.zip`).
fn domain_ok(domain: &str) -> bool {
    const FILE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "mov", "mp4", "zip", "js", "css", "pdf"];
    let labels: Vec<&str> = domain.split('.').collect();
    let labels_ok = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'))
        && labels.iter().all(|l| l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let tld = labels.last().copied().unwrap_or_default();
    let retina_asset =
        labels.first().is_some_and(|l| l.len() > 1 && l.ends_with('x') && l[..l.len() - 1].chars().all(|c| c.is_ascii_digit()));
    labels_ok && !tld.chars().all(|c| c.is_ascii_digit()) && !FILE_EXTENSIONS.contains(&tld) && !retina_asset && has_known_suffix(domain)
}

/// Addresses in `mailto:` links, query (`?subject=`) stripped, several per link allowed. A link
/// inside a hidden element is a honeypot for scrapers, not an address for people.
fn mailto_links(doc: &Html) -> Vec<String> {
    static LINKS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href], area[href]").unwrap());
    doc.select(&LINKS)
        .filter(|a| a.attr("href").is_some_and(|h| h.trim_start().get(..7).is_some_and(|s| s.eq_ignore_ascii_case("mailto:"))))
        .filter(|a| !super::text::hidden_within(*a))
        .filter_map(|a| a.attr("href"))
        .filter_map(|href| {
            let href = href.trim();
            href.get(..7).filter(|scheme| scheme.eq_ignore_ascii_case("mailto:")).map(|_| &href[7..])
        })
        .flat_map(|rest| {
            let to = rest.split('?').next().unwrap_or_default();
            percent_decode(to).split(',').map(str::to_string).collect::<Vec<_>>()
        })
        .collect()
}

/// Addresses hidden by Cloudflare's email protection: `data-cfemail="<hex>"` and links to
/// `/cdn-cgi/l/email-protection#<hex>`.
fn cloudflare(doc: &Html) -> Vec<String> {
    static PROTECTED: LazyLock<Selector> = LazyLock::new(|| Selector::parse("[data-cfemail], a[href*='email-protection#']").unwrap());
    doc.select(&PROTECTED)
        .filter_map(|el| el.attr("data-cfemail").or_else(|| el.attr("href")?.split_once("email-protection#").map(|(_, hex)| hex)))
        .filter_map(decode_cfemail)
        .collect()
}

/// Decodes Cloudflare's encoding: hex bytes, the first is a key XORed into each of the rest.
pub(super) fn decode_cfemail(hex: &str) -> Option<String> {
    let hex = hex.trim();
    if hex.len() < 4 || !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    let bytes: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16)).collect::<Result<_, _>>().ok()?;
    let key = bytes[0];
    String::from_utf8(bytes[1..].iter().map(|b| b ^ key).collect()).ok()
}

/// Percent-decoding for `mailto:` targets (`info%40acme.de`); invalid sequences stay as written.
fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

static EMAIL: LazyLock<Gated> = LazyLock::new(|| Gated::new(r"(?i)[a-z0-9][a-z0-9._%+'-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}\b"));

/// Plain addresses in one line of text, skipping look-alikes by their surroundings: a `git@host:`
/// remote or `scheme://user@host` is followed by `:` or preceded by `/`.
fn in_text(line: &str) -> Vec<String> {
    let Some(email) = EMAIL.candidate(line) else { return Vec::new() };
    email
        .find_iter(line)
        .filter(|m| {
            let before = line[..m.start()].chars().next_back();
            let after = line[m.end()..].chars().next();
            let remote = after == Some(':') || matches!(before, Some('/' | ':' | '@' | '.'));
            // The regex stops at the first non-domain character: `a@b.de-x` or `logo@2x.png.map` is no address.
            let cut = after.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '@' || c == '_');
            !remote && !cut
        })
        .map(|m| m.as_str().to_string())
        .collect()
}

/// Addresses written to defeat scrapers: `name [at] domain [dot] tld`, `name (at) domain.tld`,
/// `name@domain(dot)tld`, and bare `name at domain dot tld` (only with at least one " dot ", so
/// ordinary prose such as "meet us at home" never qualifies).
fn obfuscated(line: &str) -> Vec<String> {
    static AT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\s*[\[({<]\s*(?:at|ät|@|arobase|arroba|chiocciola)\s*[\])}>]\s*").unwrap());
    static DOT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\s*[\[({<]\s*(?:dot|punkt|point|punto|\.)\s*[\])}>]\s*").unwrap());
    static BARE: LazyLock<Gated> = LazyLock::new(|| Gated::new(r"(?i)\b([a-z0-9][a-z0-9._-]*) at ([a-z0-9-]+(?: dot [a-z0-9-]+)+)\b"));
    static BARE_DOT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i) dot ").unwrap());
    // Words that precede " at " in prose ("meet us at …", "call me at …"), never a mailbox.
    const PROSE: &[&str] =
        &["us", "me", "you", "him", "her", "them", "it", "we", "is", "are", "be", "here", "there", "online", "office", "home"];
    let mut found = Vec::new();
    if AT.is_match(line) || DOT.is_match(line) {
        let decoded = DOT.replace_all(&AT.replace_all(line, "@"), ".").into_owned();
        let plain = in_text(line);
        found.extend(in_text(&decoded).into_iter().filter(|a| !plain.contains(a)));
    }
    for caps in BARE.candidate(line).into_iter().flat_map(|bare| bare.captures_iter(line)) {
        if !PROSE.contains(&caps[1].to_lowercase().as_str()) {
            found.push(format!("{}@{}", &caps[1], BARE_DOT.replace_all(&caps[2], ".")));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(html: &str) -> Vec<(String, EmailVia)> {
        let doc = Html::parse_document(html);
        let lines = super::super::text::visible_lines(&doc);
        find(&doc, &lines, &[]).into_iter().map(|f| (f.address, f.via)).collect()
    }

    #[test]
    fn mailto_links_lose_their_query_and_case() {
        let found = addresses("<a href='mailto:Sales@Acme.DE?subject=Hi'>write</a><a href='MAILTO:a@acme.de,b%40acme.de'>x</a>");
        assert_eq!(
            found,
            [("sales@acme.de".into(), EmailVia::Mailto), ("a@acme.de".into(), EmailVia::Mailto), ("b@acme.de".into(), EmailVia::Mailto)]
        );
    }

    #[test]
    fn cloudflare_protection_is_decoded() {
        // "info@acme.de" XOR 0x42, key first.
        let hex: String = std::iter::once(0x42u8).chain("info@acme.de".bytes().map(|b| b ^ 0x42)).map(|b| format!("{b:02x}")).collect();
        assert_eq!(decode_cfemail(&hex).as_deref(), Some("info@acme.de"));
        let html = format!(
            "<a class='__cf_email__' data-cfemail='{hex}'>[email&#160;protected]</a><a href='/cdn-cgi/l/email-protection#{hex}'>x</a>"
        );
        assert_eq!(addresses(&html), [("info@acme.de".into(), EmailVia::Cloudflare)]);
        assert_eq!(decode_cfemail("zz"), None);
    }

    #[test]
    fn obfuscated_forms() {
        let cases = [
            "jobs [at] kontorwerk [dot] de",
            "jobs(at)kontorwerk(dot)de",
            "jobs (at) kontorwerk.de",
            "jobs@kontorwerk[.]de",
            "jobs AT kontorwerk DOT de",
            "jobs {at} kontorwerk {dot} de",
        ];
        for case in cases {
            assert_eq!(addresses(&format!("<p>Mail: {case}.</p>")), [("jobs@kontorwerk.de".into(), EmailVia::Obfuscated)], "{case}");
        }
        assert!(addresses("<p>Meet us at home dot com? We work at night.</p><p>see you at berlin</p>").is_empty());
    }

    #[test]
    fn look_alikes_are_rejected() {
        let html = "<p>logo@2x.png icon@3x.mov pkg@1.2.3 lodash@4.17.21 git@github.com:acme/repo.git ssh://git@gitlab.com/acme \
                    example@example user@localhost name@acme.invalidtld a@b.c</p><p>real@acme.co.uk.</p>";
        assert_eq!(addresses(html), [("real@acme.co.uk".into(), EmailVia::Text)]);
    }

    #[test]
    fn hidden_mailto_links_are_honeypots() {
        let found = addresses("<p style='display:none'><a href='mailto:trap@acme.de'>x</a></p><a href='mailto:info@acme.de'>y</a>");
        assert_eq!(found, [("info@acme.de".to_string(), EmailVia::Mailto)]);
    }

    #[test]
    fn first_sighting_wins_and_duplicates_fold() {
        let found = addresses("<p>hello@acme.fr</p><a href='mailto:HELLO@acme.fr'>hello@acme.fr</a>");
        assert_eq!(found, [("hello@acme.fr".into(), EmailVia::Mailto)]);
    }
}
