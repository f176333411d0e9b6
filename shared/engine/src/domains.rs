//! Registrable domains by the public suffix list: `www.shop.acme.co.uk` → `acme.co.uk`. Two hosts
//! belong to the same organization's site when their registrable domains agree; a bare public
//! suffix (`co.uk`) or a name under no known suffix is not a company domain at all.

/// The registrable domain of `host` (lowercased, trailing dot ignored), or `None` when the host is
/// an IP address, a bare public suffix, or ends in no suffix the list knows.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let domain = psl::domain(host.as_bytes())?;
    // Only suffixes from the list itself: the crate otherwise treats any unknown TLD as one.
    if !domain.suffix().is_known() {
        return None;
    }
    std::str::from_utf8(domain.as_bytes()).ok().map(str::to_string)
}

/// Whether `host` ends in a public suffix the list knows (`acme.de` yes, `acme.invalid` no).
pub fn has_known_suffix(host: &str) -> bool {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains_follow_the_list() {
        assert_eq!(registrable_domain("www.shop.acme.co.uk").as_deref(), Some("acme.co.uk"));
        assert_eq!(registrable_domain("Acme.DE.").as_deref(), Some("acme.de"));
        assert_eq!(registrable_domain("team.acme.com.au").as_deref(), Some("acme.com.au"));
        assert_eq!(registrable_domain("co.uk"), None, "a bare suffix is nobody's domain");
        assert_eq!(registrable_domain("acme.invalidtld"), None);
        assert_eq!(registrable_domain("localhost"), None);
        assert_eq!(registrable_domain("10.0.0.1"), None);
        assert!(has_known_suffix("acme.fr"));
        assert!(!has_known_suffix("acme.notatld"));
    }
}
