//! Social network profiles from a page's links and JSON-LD `sameAs`. Share and intent buttons
//! (`/sharer`, `/intent/tweet`, `shareArticle`) link to the network but to nobody's profile, and
//! posts, searches and help pages are not profiles either: each network has its own path rules.
//! URLs are normalised so the same profile linked twice is one profile.

use std::sync::LazyLock;

use scraper::{Html, Selector};
use url::Url;

use super::{Network, ProfileKind, SocialProfile};

/// Profiles linked from the page, deduplicated by normalised URL.
pub(super) fn from_links(doc: &Html, page_url: &Url) -> Vec<SocialProfile> {
    static LINKS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href], link[href]").unwrap());
    let mut found = Vec::new();
    let hrefs = doc.select(&LINKS).filter_map(|a| page_url.join(a.attr("href")?.trim()).ok());
    for url in hrefs {
        push(&mut found, profile(&url));
    }
    found
}

/// Adds the profiles among `urls` (such as JSON-LD `sameAs`) not already in `found`.
pub(super) fn merge<'a>(found: &mut Vec<SocialProfile>, urls: impl Iterator<Item = &'a str>) {
    for url in urls.filter_map(|u| Url::parse(u.trim()).ok()) {
        push(found, profile(&url));
    }
}

fn push(found: &mut Vec<SocialProfile>, profile: Option<SocialProfile>) {
    if let Some(profile) = profile {
        if !found.iter().any(|f| f.url.eq_ignore_ascii_case(&profile.url)) {
            found.push(profile);
        }
    }
}

/// The profile `url` points to, if it is one.
pub(super) fn profile(url: &Url) -> Option<SocialProfile> {
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let (network, kind, path) = match site(host)? {
        Network::Linkedin => linkedin(&segments)?,
        Network::X => (Network::X, ProfileKind::Unknown, vec![handle(&segments, X_RESERVED)?]),
        Network::Github => github(&segments)?,
        Network::Facebook => return facebook(url, &segments),
        Network::Instagram => (Network::Instagram, ProfileKind::Unknown, vec![handle(&segments, INSTAGRAM_RESERVED)?]),
        Network::Youtube => youtube(&segments)?,
        Network::Xing => xing(&segments)?,
        Network::Tiktok => tiktok(&segments)?,
    };
    let path = path.join("/");
    // Handles are case-insensitive on most networks; YouTube channel ids and XING profile names are not.
    let path = if matches!(network, Network::Youtube | Network::Xing) { path } else { path.to_lowercase() };
    let url = format!("https://{}/{}", canonical_host(network), path);
    Some(SocialProfile { network, url, kind })
}

/// The network a host belongs to: `www.`, `m.`, `mobile.` and LinkedIn's country subdomains
/// (`de.linkedin.com`) are the same site.
fn site(host: &str) -> Option<Network> {
    let bare = ["www.", "m.", "mobile.", "web."].iter().fold(host, |h, prefix| h.strip_prefix(prefix).unwrap_or(h));
    let network = match bare {
        "linkedin.com" => Network::Linkedin,
        "twitter.com" | "x.com" => Network::X,
        "github.com" => Network::Github,
        "facebook.com" | "fb.com" => Network::Facebook,
        "instagram.com" => Network::Instagram,
        "youtube.com" => Network::Youtube,
        "xing.com" => Network::Xing,
        "tiktok.com" => Network::Tiktok,
        other => match other.split_once('.') {
            Some((sub, "linkedin.com")) if sub.len() == 2 => Network::Linkedin,
            // Facebook's locale hosts: "it-it.facebook.com", "de-de.facebook.com".
            Some((sub, "facebook.com")) if sub.len() == 5 && sub.as_bytes()[2] == b'-' => Network::Facebook,
            _ => return None,
        },
    };
    Some(network)
}

/// One host per network, so `twitter.com/acme` and `x.com/acme` are the same profile.
fn canonical_host(network: Network) -> &'static str {
    match network {
        Network::Linkedin => "linkedin.com",
        Network::X => "x.com",
        Network::Github => "github.com",
        Network::Facebook => "facebook.com",
        Network::Instagram => "instagram.com",
        Network::Youtube => "youtube.com",
        Network::Xing => "xing.com",
        Network::Tiktok => "tiktok.com",
    }
}

/// First path segments that are a network's own pages (search, login, sharing), never a profile.
#[rustfmt::skip]
const X_RESERVED: &[&str] = &[
    "intent", "share", "home", "hashtag", "search", "i", "explore", "settings", "login", "signup", "tos", "privacy", "messages",
    "notifications", "compose", "about", "download", "widgets", "jobs",
];
#[rustfmt::skip]
const FACEBOOK_RESERVED: &[&str] = &[
    "sharer", "sharer.php", "share", "share.php", "dialog", "plugins", "tr", "login", "login.php", "help", "policies", "privacy", "events",
    "groups", "watch", "pages", "pg", "profile.php", "permalink.php", "photo.php", "story.php", "hashtag", "search", "marketplace", "gaming", "legal",
];
const INSTAGRAM_RESERVED: &[&str] = &["p", "reel", "reels", "explore", "accounts", "stories", "about", "legal", "direct", "tv"];

/// A single-segment profile handle (`/acme`), rejecting the network's own pages and anything
/// deeper (`/acme/status/1` is a post).
fn handle<'a>(segments: &[&'a str], reserved: &[&str]) -> Option<&'a str> {
    let [first] = segments else { return None };
    let valid = first.chars().all(|c| c.is_alphanumeric() || "._-".contains(c)) && !first.starts_with('.');
    (valid && !reserved.iter().any(|r| r.eq_ignore_ascii_case(first))).then_some(*first)
}

/// `/company/x` and `/school/x`, `/showcase/x` (company pages) or `/in/x` (a person), cut to
/// the profile root (`/company/x/about` is the same page).
fn linkedin<'a>(segments: &[&'a str]) -> Option<(Network, ProfileKind, Vec<&'a str>)> {
    let kind = match *segments.first()? {
        "company" | "school" | "showcase" => ProfileKind::Company,
        "in" | "pub" => ProfileKind::Person,
        _ => return None,
    };
    Some((Network::Linkedin, kind, vec![segments[0], slug(segments.get(1)?)?]))
}

#[rustfmt::skip]
const GITHUB_RESERVED: &[&str] = &[
    "features", "pricing", "about", "login", "join", "sponsors", "marketplace", "topics", "explore", "settings", "enterprise", "security",
    "site", "contact", "collections", "trending", "customer-stories", "readme", "team", "apps", "search", "notifications", "new",
];

/// `/org` or `/orgs/org` (an organization or user; a repository `/org/repo` is not a profile).
fn github<'a>(segments: &[&'a str]) -> Option<(Network, ProfileKind, Vec<&'a str>)> {
    let name = match segments {
        ["orgs", name, ..] => slug(name)?,
        _ => handle(segments, GITHUB_RESERVED)?,
    };
    Some((Network::Github, ProfileKind::Unknown, vec![name]))
}

/// `/@handle`, `/channel/id`, `/c/name`, `/user/name` (not videos, embeds or searches).
fn youtube<'a>(segments: &[&'a str]) -> Option<(Network, ProfileKind, Vec<&'a str>)> {
    let path = match segments {
        [handle, ..] if handle.starts_with('@') && handle.len() > 1 => vec![*handle],
        ["channel" | "c" | "user", name, ..] => vec![segments[0], slug(name)?],
        _ => return None,
    };
    Some((Network::Youtube, ProfileKind::Unknown, path))
}

/// A Facebook page or profile: `/acme`, `/pg/acme/about`, `/pages/Acme-Studio/123` (the numeric id is
/// the page) and `/profile.php?id=100089…` (kept with its id, the only part that names the profile).
fn facebook(url: &Url, segments: &[&str]) -> Option<SocialProfile> {
    let path = match segments {
        ["profile.php"] => {
            let id = url.query_pairs().find(|(k, _)| k == "id").map(|(_, v)| v.into_owned())?;
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            format!("profile.php?id={id}")
        }
        ["pg", name, ..] => slug(name)?.to_lowercase(),
        ["pages", _, id] if id.chars().all(|c| c.is_ascii_digit()) => id.to_string(),
        _ => handle(segments, FACEBOOK_RESERVED)?.to_lowercase(),
    };
    Some(SocialProfile { network: Network::Facebook, url: format!("https://facebook.com/{path}"), kind: ProfileKind::Unknown })
}

/// `/@handle` (a video `/@handle/video/1` is the same account's post, not a profile link).
fn tiktok<'a>(segments: &[&'a str]) -> Option<(Network, ProfileKind, Vec<&'a str>)> {
    let [handle] = segments else { return None };
    let name = handle.strip_prefix('@')?;
    let valid = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || "._".contains(c));
    valid.then(|| (Network::Tiktok, ProfileKind::Unknown, vec![*handle]))
}

/// `/pages/x` and `/companies/x` (company pages) or `/profile/x` (a person).
fn xing<'a>(segments: &[&'a str]) -> Option<(Network, ProfileKind, Vec<&'a str>)> {
    let kind = match *segments.first()? {
        "pages" | "companies" | "company" => ProfileKind::Company,
        "profile" => ProfileKind::Person,
        _ => return None,
    };
    Some((Network::Xing, kind, vec![segments[0], slug(segments.get(1)?)?]))
}

/// A path segment that can name a profile.
fn slug<'a>(segment: &&'a str) -> Option<&'a str> {
    let valid = !segment.is_empty() && segment.chars().all(|c| c.is_alphanumeric() || "._-%".contains(c));
    valid.then_some(*segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_of(href: &str) -> Option<String> {
        profile(&Url::parse(href).unwrap()).map(|p| p.url)
    }

    #[test]
    fn profiles_are_normalised() {
        assert_eq!(
            url_of("http://www.LinkedIn.com/company/kontorwerk/about/?trk=x#top").as_deref(),
            Some("https://linkedin.com/company/kontorwerk")
        );
        assert_eq!(url_of("https://de.linkedin.com/in/max-mustermann/").as_deref(), Some("https://linkedin.com/in/max-mustermann"));
        assert_eq!(url_of("https://twitter.com/Acme?lang=en").as_deref(), Some("https://x.com/acme"));
        assert_eq!(url_of("https://www.youtube.com/channel/UCx7Ab").as_deref(), Some("https://youtube.com/channel/UCx7Ab"));
        assert_eq!(url_of("https://m.facebook.com/acme.gmbh/").as_deref(), Some("https://facebook.com/acme.gmbh"));
        assert_eq!(url_of("https://github.com/orgs/acme/people").as_deref(), Some("https://github.com/acme"));
        assert_eq!(url_of("https://www.youtube.com/@acme/videos").as_deref(), Some("https://youtube.com/@acme"));
        assert_eq!(url_of("https://www.xing.com/pages/kontorwerk-gmbh").as_deref(), Some("https://xing.com/pages/kontorwerk-gmbh"));
        assert_eq!(
            url_of("https://www.facebook.com/profile.php?id=100089123456789&sk=about").as_deref(),
            Some("https://facebook.com/profile.php?id=100089123456789")
        );
        assert_eq!(url_of("https://it-it.facebook.com/officinabrenta/").as_deref(), Some("https://facebook.com/officinabrenta"));
        assert_eq!(url_of("https://www.facebook.com/pg/AcmeStudio/about/").as_deref(), Some("https://facebook.com/acmestudio"));
        assert_eq!(url_of("https://www.facebook.com/pages/Acme-Studio/123456789").as_deref(), Some("https://facebook.com/123456789"));
        assert_eq!(url_of("https://www.tiktok.com/@Acme.Studio?lang=en").as_deref(), Some("https://tiktok.com/@acme.studio"));
        assert_eq!(url_of("https://mobile.twitter.com/AcmeHQ/").as_deref(), Some("https://x.com/acmehq"));
        assert_eq!(url_of("https://fr.linkedin.com/school/acme-academy/").as_deref(), Some("https://linkedin.com/school/acme-academy"));
        assert_eq!(url_of("https://youtube.com/c/AcmeTV/featured").as_deref(), Some("https://youtube.com/c/AcmeTV"));
        assert_eq!(url_of("https://www.youtube.com/user/acmevideos").as_deref(), Some("https://youtube.com/user/acmevideos"));
        assert_eq!(url_of("https://github.com/acme-labs/").as_deref(), Some("https://github.com/acme-labs"));
        assert_eq!(url_of("https://instagram.com/acme_studio/?hl=de").as_deref(), Some("https://instagram.com/acme_studio"));
        let person = profile(&Url::parse("https://linkedin.com/in/jane").unwrap()).unwrap();
        assert_eq!((person.network, person.kind), (Network::Linkedin, ProfileKind::Person));
    }

    #[test]
    fn share_links_and_non_profiles_are_rejected() {
        for href in [
            "https://www.linkedin.com/shareArticle?mini=true&url=https://acme.de",
            "https://www.linkedin.com/sharing/share-offsite/?url=x",
            "https://twitter.com/intent/tweet?text=hi",
            "https://twitter.com/share?url=x",
            "https://x.com/acme/status/1234567",
            "https://www.facebook.com/sharer/sharer.php?u=x",
            "https://www.facebook.com/sharer.php?u=x",
            "https://www.facebook.com/dialog/share?app_id=1",
            "https://www.xing.com/spi/shares/new?url=x",
            "https://www.xing.com/social/share/spi?url=x",
            "https://www.youtube.com/watch?v=abc",
            "https://www.youtube.com/embed/abc",
            "https://github.com/acme/widgets",
            "https://github.com/features",
            "https://www.instagram.com/p/Cx123/",
            "https://linkedin.example.com/company/x",
            "mailto:a@linkedin.com",
            "https://www.tiktok.com/@acme/video/7212",
            "https://www.tiktok.com/share?url=x",
            "https://www.facebook.com/profile.php?id=abc",
            "https://www.facebook.com/acme/posts/123",
            "https://www.linkedin.com/posts/acme_launch-activity-7",
            "https://www.linkedin.com/feed/update/urn:li:activity:1",
            "https://x.com/intent/follow?screen_name=acme",
        ] {
            assert_eq!(url_of(href), None, "{href}");
        }
    }
}
