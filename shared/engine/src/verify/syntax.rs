//! The syntax check: a practical subset of RFC 5321/5322, without any I/O.
//!
//! What passes is what a mail system will actually route for a business contact:
//!
//! - **Local part**: an unquoted dot-atom of at most 64 octets, ASCII only. Quoted local parts
//!   (`"john doe"@acme.com`), comments and `SMTPUTF8` (non-ASCII) local parts are legal in theory
//!   but virtually never real business addresses, and most systems refuse them, so they are
//!   refused here. No leading, trailing or consecutive dots.
//! - **Domain**: at most 253 octets in labels of 1–63 letters, digits and inner hyphens, with at
//!   least two labels, ending in a public suffix that the public suffix list knows
//!   ([`crate::domains::has_known_suffix`]), and not itself a bare suffix (`co.uk`). So
//!   `user@localhost`, `user@acme` and `user@acme.invalidtld` are refused, and so are address
//!   literals (`user@[10.0.0.1]`).
//! - **Internationalised domains are accepted** and normalised to their ASCII (punycode) form by
//!   IDNA: `info@münchen.de` becomes `info@xn--mnchen-3ya.de`, the form DNS answers for and the
//!   form the embedded lists use. The resulting address is the one that gets delivered.
//! - **Case**: both parts are lowercased. Domains are case-insensitive anyway; local parts are
//!   case-sensitive by the letter of RFC 5321 §2.4, but no mainstream mail system treats them so,
//!   and lowercasing lets the same mailbox found in two spellings collapse to one.

use hickory_resolver::proto::rr::Name;

/// Longest local part, in octets (RFC 5321 §4.5.3.1.1).
const MAX_LOCAL_LEN: usize = 64;
/// Longest domain, in octets, without the root dot (RFC 1035 §2.3.4 less the length octets).
const MAX_DOMAIN_LEN: usize = 253;
/// Longest label, in octets.
const MAX_LABEL_LEN: usize = 63;
/// Longest address: the RFC 5321 path limit of 256 less the angle brackets.
const MAX_ADDRESS_LEN: usize = 254;

/// Why an address failed [`check_syntax`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    /// Nothing but whitespace.
    #[error("the address is empty")]
    Empty,
    /// Longer than 254 octets.
    #[error("the address is longer than 254 characters")]
    TooLong,
    /// No `@` at all.
    #[error("the address has no @")]
    MissingAt,
    /// More than one `@` (outside quotes, which are refused anyway).
    #[error("the address has more than one @")]
    MultipleAt,
    /// A quoted local part such as `"john doe"@acme.com`: legal, but refused (see the module docs).
    #[error("quoted local parts are not accepted")]
    QuotedLocalPart,
    /// Nothing before the `@`.
    #[error("the local part is empty")]
    EmptyLocalPart,
    /// More than 64 octets before the `@`.
    #[error("the local part is longer than 64 characters")]
    LocalPartTooLong,
    /// A character outside the RFC 5322 `atext` set (or a non-ASCII one) in the local part.
    #[error("the local part contains {0:?}, which is not allowed")]
    InvalidLocalChar(char),
    /// The local part starts or ends with a dot, or has two dots in a row.
    #[error("the local part has a leading, trailing or doubled dot")]
    MisplacedDot,
    /// Nothing after the `@`.
    #[error("the domain is empty")]
    EmptyDomain,
    /// An address literal such as `[192.0.2.1]`, or a bare IP address, instead of a domain name.
    #[error("address literals are not accepted")]
    AddressLiteral,
    /// Not a valid host name: an empty or over-long label, a character outside letters, digits
    /// and inner hyphens, or a name that IDNA cannot convert.
    #[error("the domain {0:?} is not a valid host name")]
    InvalidDomain(String),
    /// A single label such as `localhost`: no top-level domain at all.
    #[error("the domain {0:?} has no top-level domain")]
    MissingTld(String),
    /// The domain does not end in a public suffix the list knows (`acme.invalidtld`).
    #[error("the domain {0:?} does not end in a known public suffix")]
    UnknownSuffix(String),
    /// The domain is itself a public suffix (`co.uk`), which no organisation owns.
    #[error("the domain {0:?} is a bare public suffix")]
    BareSuffix(String),
}

/// Checks the syntax of one address and returns its normalised `(local, domain)` parts: trimmed,
/// both lowercased, the domain in ASCII (punycode) form. The rules are in the module docs; there
/// is no I/O.
pub fn check_syntax(address: &str) -> Result<(String, String), SyntaxError> {
    let address = address.trim();
    if address.is_empty() {
        return Err(SyntaxError::Empty);
    }
    if address.len() > MAX_ADDRESS_LEN {
        return Err(SyntaxError::TooLong);
    }
    if address.starts_with('"') || address.contains("\"@") {
        return Err(SyntaxError::QuotedLocalPart);
    }
    let (local, domain) = address.rsplit_once('@').ok_or(SyntaxError::MissingAt)?;
    if local.contains('@') {
        return Err(SyntaxError::MultipleAt);
    }
    let local = check_local(local)?;
    let domain = check_domain(domain)?;
    let total = local.len() + 1 + domain.len();
    if total > MAX_ADDRESS_LEN {
        return Err(SyntaxError::TooLong);
    }
    Ok((local, domain))
}

fn check_local(local: &str) -> Result<String, SyntaxError> {
    if local.is_empty() {
        return Err(SyntaxError::EmptyLocalPart);
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(SyntaxError::LocalPartTooLong);
    }
    if let Some(bad) = local.chars().find(|&c| !is_atext(c) && c != '.') {
        return Err(if bad == '"' { SyntaxError::QuotedLocalPart } else { SyntaxError::InvalidLocalChar(bad) });
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(SyntaxError::MisplacedDot);
    }
    Ok(local.to_ascii_lowercase())
}

/// RFC 5322 §3.2.3 `atext`: letters, digits and ``!#$%&'*+-/=?^_`{|}~``.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn check_domain(domain: &str) -> Result<String, SyntaxError> {
    if domain.is_empty() {
        return Err(SyntaxError::EmptyDomain);
    }
    if domain.starts_with('[') || domain.parse::<std::net::IpAddr>().is_ok() {
        return Err(SyntaxError::AddressLiteral);
    }
    let invalid = || SyntaxError::InvalidDomain(domain.to_string());
    let ascii = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        // IDNA (UTS #46) through the resolver's own name type, so that what we check is exactly
        // what would be looked up.
        let name = Name::from_utf8(domain).map_err(|_| invalid())?;
        name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
    };
    if ascii.is_empty() || ascii.len() > MAX_DOMAIN_LEN || !ascii.is_ascii() {
        return Err(invalid());
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    for label in &labels {
        let ldh = label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if label.is_empty() || label.len() > MAX_LABEL_LEN || !ldh || label.starts_with('-') || label.ends_with('-') {
            return Err(invalid());
        }
    }
    if labels.len() < 2 {
        return Err(SyntaxError::MissingTld(ascii));
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        // `1.2.3.4`-like names that did not parse as an IP address: no top-level domain is numeric.
        return Err(invalid());
    }
    if !crate::domains::has_known_suffix(&ascii) {
        return Err(SyntaxError::UnknownSuffix(ascii));
    }
    if crate::domains::registrable_domain(&ascii).is_none() {
        return Err(SyntaxError::BareSuffix(ascii));
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(address: &str) -> (String, String) {
        check_syntax(address).unwrap_or_else(|e| panic!("{address:?} should pass: {e}"))
    }

    fn err(address: &str) -> SyntaxError {
        check_syntax(address).expect_err(&format!("{address:?} should fail"))
    }

    #[test]
    fn ordinary_addresses_pass_and_are_normalised() {
        assert_eq!(ok("jane.doe@acme.com"), ("jane.doe".into(), "acme.com".into()));
        assert_eq!(ok("  Jane.Doe@ACME.co.uk \n"), ("jane.doe".into(), "acme.co.uk".into()));
        assert_eq!(ok("j.o'brien+leads@sub.acme.de"), ("j.o'brien+leads".into(), "sub.acme.de".into()));
        assert_eq!(ok("x@a-b.fr").1, "a-b.fr");
        assert_eq!(ok("info@xn--mnchen-3ya.de").1, "xn--mnchen-3ya.de");
        let local64 = "a".repeat(64);
        assert_eq!(ok(&format!("{local64}@acme.com")).0, local64);
    }

    #[test]
    fn idn_domains_are_converted_to_punycode() {
        assert_eq!(ok("info@münchen.de"), ("info".into(), "xn--mnchen-3ya.de".into()));
        assert_eq!(ok("Info@MÜNCHEN.de").1, "xn--mnchen-3ya.de");
        assert_eq!(ok("kontakt@bücher.example.de").1, "xn--bcher-kva.example.de");
        // Non-ASCII local parts need SMTPUTF8, which we do not accept.
        assert_eq!(err("jürgen@acme.de"), SyntaxError::InvalidLocalChar('ü'));
    }

    #[test]
    fn quoted_local_parts_are_refused() {
        assert_eq!(err("\"john doe\"@acme.com"), SyntaxError::QuotedLocalPart);
        assert_eq!(err("\"john@doe\"@acme.com"), SyntaxError::QuotedLocalPart);
        assert_eq!(err("jo\"hn@acme.com"), SyntaxError::QuotedLocalPart);
    }

    #[test]
    fn dots_in_the_local_part() {
        assert_eq!(err("jane..doe@acme.com"), SyntaxError::MisplacedDot);
        assert_eq!(err(".jane@acme.com"), SyntaxError::MisplacedDot);
        assert_eq!(err("jane.@acme.com"), SyntaxError::MisplacedDot);
    }

    #[test]
    fn structural_errors() {
        assert_eq!(err(""), SyntaxError::Empty);
        assert_eq!(err("   "), SyntaxError::Empty);
        assert_eq!(err("jane.doe.acme.com"), SyntaxError::MissingAt);
        assert_eq!(err("jane@doe@acme.com"), SyntaxError::MultipleAt);
        assert_eq!(err("@acme.com"), SyntaxError::EmptyLocalPart);
        assert_eq!(err("jane@"), SyntaxError::EmptyDomain);
        assert_eq!(err(&format!("{}@acme.com", "a".repeat(65))), SyntaxError::LocalPartTooLong);
        assert_eq!(err(&format!("a@{}.com", "b".repeat(250))), SyntaxError::TooLong);
        assert_eq!(err("jane doe@acme.com"), SyntaxError::InvalidLocalChar(' '));
        assert_eq!(err("jane(work)@acme.com"), SyntaxError::InvalidLocalChar('('));
    }

    #[test]
    fn domains_need_a_known_public_suffix() {
        assert_eq!(err("user@localhost"), SyntaxError::MissingTld("localhost".into()));
        assert_eq!(err("user@acme"), SyntaxError::MissingTld("acme".into()));
        assert_eq!(err("user@acme.invalidtld"), SyntaxError::UnknownSuffix("acme.invalidtld".into()));
        assert_eq!(err("user@acme.local"), SyntaxError::UnknownSuffix("acme.local".into()));
        assert_eq!(err("user@co.uk"), SyntaxError::BareSuffix("co.uk".into()));
        assert_eq!(err("user@com"), SyntaxError::MissingTld("com".into()));
    }

    #[test]
    fn malformed_domains() {
        assert_eq!(err("user@[192.0.2.1]"), SyntaxError::AddressLiteral);
        assert_eq!(err("user@192.0.2.1"), SyntaxError::AddressLiteral);
        assert!(matches!(err("user@acme..com"), SyntaxError::InvalidDomain(_)));
        assert!(matches!(err("user@.acme.com"), SyntaxError::InvalidDomain(_)));
        assert!(matches!(err("user@acme.com."), SyntaxError::InvalidDomain(_)));
        assert!(matches!(err("user@-acme.com"), SyntaxError::InvalidDomain(_)));
        assert!(matches!(err("user@acme-.com"), SyntaxError::InvalidDomain(_)));
        assert!(matches!(err("user@ac_me.com"), SyntaxError::InvalidDomain(_)));
        assert!(matches!(err(&format!("user@{}.com", "a".repeat(64))), SyntaxError::InvalidDomain(_)));
    }
}
