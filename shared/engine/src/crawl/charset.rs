//! Content-type checks and charset decoding of HTML pages.
//!
//! Decoding follows a short form of the HTML standard's order: a byte-order mark wins, then the `charset` of the
//! `Content-Type` header, then a `<meta charset>` or `<meta http-equiv="Content-Type">` in the first 1024 bytes,
//! else UTF-8. Labels resolve through the WHATWG encoding standard (`encoding_rs`), so `iso-8859-1` and
//! `latin1` decode as windows-1252, exactly as browsers do. Invalid sequences become U+FFFD.

use encoding_rs::{Encoding, UTF_8};

/// How far into the body a `<meta>` charset declaration is looked for.
const META_PRESCAN_BYTES: usize = 1024;

/// The media type of a `Content-Type` value (`text/html; charset=x` → `text/html`), lower-cased.
pub(crate) fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Whether a response is an HTML page we parse: `text/html` or `application/xhtml+xml`, or no `Content-Type` at
/// all with a body that starts like an HTML document.
pub(crate) fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    match content_type {
        Some(value) => matches!(essence(value).as_str(), "text/html" | "application/xhtml+xml"),
        None => {
            let start =
                String::from_utf8_lossy(&body[..body.len().min(64)]).trim_start_matches('\u{feff}').trim_start().to_ascii_lowercase();
            start.starts_with("<!doctype html") || start.starts_with("<html")
        }
    }
}

/// Decodes an HTML body to text (see the module docs for the order of evidence).
pub(crate) fn decode_html(body: &[u8], content_type: Option<&str>) -> String {
    let encoding = Encoding::for_bom(body)
        .map(|(encoding, _)| encoding)
        .or_else(|| content_type.and_then(header_charset))
        .or_else(|| meta_charset(&body[..body.len().min(META_PRESCAN_BYTES)]))
        .unwrap_or(UTF_8);
    // `decode` strips a BOM (and lets it override `encoding`, which we already honoured).
    let (text, _, _) = encoding.decode(body);
    text.into_owned()
}

/// The encoding named by a `charset=` parameter of a `Content-Type` value.
fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// The encoding declared by a `<meta>` tag in `head` (the first bytes of a document). A declared UTF-16 means
/// UTF-8 here, as in browsers: a document that can be scanned as ASCII is not UTF-16.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(offset) = find(&lower[from..], b"<meta") {
        let tag_start = from + offset + b"<meta".len();
        let tag_end = lower[tag_start..].iter().position(|&b| b == b'>').map_or(lower.len(), |p| tag_start + p);
        let tag = &lower[tag_start..tag_end];
        from = tag_end;
        // Both `<meta charset="x">` and `content="text/html; charset=x"` carry the label after `charset=`.
        let Some(at) = find(tag, b"charset") else { continue };
        let rest = &tag[at + b"charset".len()..];
        let rest = trim_ascii_start(rest);
        let Some(rest) = rest.strip_prefix(b"=") else { continue };
        let rest = trim_ascii_start(rest);
        let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")).unwrap_or(rest);
        let label_len =
            rest.iter().position(|&b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'\t' | b'\n' | b'\r')).unwrap_or(rest.len());
        if let Some(encoding) = Encoding::for_label(&rest[..label_len]) {
            return Some(if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE { UTF_8 } else { encoding });
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_html_content_types() {
        assert!(is_html(Some("text/html"), b""));
        assert!(is_html(Some("Text/HTML; charset=ISO-8859-1"), b""));
        assert!(is_html(Some("application/xhtml+xml"), b""));
        assert!(!is_html(Some("application/pdf"), b"<html>"));
        assert!(!is_html(Some("text/plain"), b"<html>"));
        assert!(is_html(None, b"  <!DOCTYPE html><html>"));
        assert!(is_html(None, b"<html lang=en>"));
        assert!(!is_html(None, b"%PDF-1.7"));
        assert_eq!(essence(" Text/HTML ; charset=x"), "text/html");
    }

    #[test]
    fn decodes_by_header_charset() {
        let body = b"<p>caf\xe9 \x80</p>";
        assert_eq!(decode_html(body, Some("text/html; charset=ISO-8859-1")), "<p>café €</p>");
        assert_eq!(decode_html(body, Some("text/html; charset=\"windows-1252\"")), "<p>café €</p>");
        // The header beats a meta tag.
        let body = b"<meta charset=\"utf-8\"><p>caf\xe9</p>";
        assert_eq!(decode_html(body, Some("text/html;charset=latin1")), "<meta charset=\"utf-8\"><p>café</p>");
    }

    #[test]
    fn decodes_by_meta_tag() {
        let body = b"<html><head><META CHARSET='windows-1252'></head><body>\x93hi\x94 caf\xe9</body>";
        assert_eq!(
            decode_html(body, Some("text/html")),
            "<html><head><META CHARSET='windows-1252'></head><body>\u{201c}hi\u{201d} café</body>"
        );
        let body = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"><p>na\xefve</p>";
        assert!(decode_html(body, None).ends_with("<p>naïve</p>"));
        let body = b"<meta name=\"viewport\" content=\"width=device-width\"><meta charset=utf-16><p>\xc3\xa9</p>";
        assert!(decode_html(body, None).ends_with("<p>é</p>"));
        // A declaration beyond the first 1024 bytes is not seen.
        let mut late = vec![b' '; 1100];
        late.extend_from_slice(b"<meta charset=iso-8859-1>\xe9");
        assert!(decode_html(&late, None).ends_with('\u{fffd}'));
    }

    #[test]
    fn defaults_to_utf8_and_honours_a_bom() {
        assert_eq!(decode_html("<p>é</p>".as_bytes(), Some("text/html")), "<p>é</p>");
        assert_eq!(decode_html(b"<p>\xe9</p>", None), "<p>\u{fffd}</p>");
        assert_eq!(decode_html(b"\xef\xbb\xbf<p>\xc3\xa9</p>", Some("text/html; charset=iso-8859-1")), "<p>é</p>");
    }
}
