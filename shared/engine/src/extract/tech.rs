//! Technologies a site runs, fingerprinted from what only the technology itself leaves behind:
//! script and stylesheet URLs, inline script code, `<meta name="generator">` and a few telltale
//! attributes. Visible text is never searched, so a blog post that mentions HubSpot does not make
//! the site a HubSpot customer.

use std::sync::LazyLock;

use scraper::{Html, Selector};

/// A technology's slug, the substrings of the code haystack that reveal it, and the slugs it
/// implies (Next.js runs on React).
struct Fingerprint {
    slug: &'static str,
    markers: &'static [&'static str],
    implies: &'static [&'static str],
}

const fn fp(slug: &'static str, markers: &'static [&'static str], implies: &'static [&'static str]) -> Fingerprint {
    Fingerprint { slug, markers, implies }
}

/// Markers are matched lowercase; `generator:` markers match the generator meta tag and `attr:`
/// markers an attribute name (or `id=` value) anywhere in the document.
const FINGERPRINTS: &[Fingerprint] = &[
    fp("wordpress", &["/wp-content/", "/wp-includes/", "/wp-json/", "generator:wordpress"], &[]),
    fp("shopify", &["cdn.shopify.com", "shopify.theme", ".myshopify.com", "generator:shopify"], &[]),
    fp("nextjs", &["/_next/static/", "attr:id=__next_data__", "attr:id=__next", "generator:next.js"], &["react"]),
    fp("gatsby", &["attr:id=___gatsby", "generator:gatsby"], &["react"]),
    fp("react", &["react-dom", "react.production.min.js", "attr:data-reactroot"], &[]),
    fp("nuxt", &["/_nuxt/", "window.__nuxt__", "attr:id=__nuxt"], &["vue"]),
    fp("vue", &["vue.global", "vue.min.js", "vue.runtime", "/vue@", "/vue.js", "attr:data-v-app"], &[]),
    fp("angular", &["angular.min.js", "/angular.js", "attr:ng-version"], &[]),
    fp("hubspot", &["hs-scripts.com", "js.hsforms.net", "js.hs-analytics.net", "js.hubspot.com", "hbspt.forms"], &[]),
    fp("intercom", &["widget.intercom.io", "js.intercomcdn.com", "intercomsettings"], &[]),
    fp("segment", &["cdn.segment.com"], &[]),
    fp("google_analytics", &["google-analytics.com/analytics.js", "googletagmanager.com/gtag/js", "gtag('config'", "gtag(\"config\""], &[]),
    fp("google_tag_manager", &["googletagmanager.com/gtm.js", "googletagmanager.com/ns.html"], &[]),
    fp("stripe", &["js.stripe.com"], &[]),
    fp("cloudflare", &["/cdn-cgi/", "static.cloudflareinsights.com", "attr:data-cfemail"], &[]),
    fp("webflow", &["assets.website-files.com", "website-files.com", "attr:data-wf-site", "generator:webflow"], &[]),
    fp("wix", &["static.wixstatic.com", "static.parastorage.com", "generator:wix.com"], &[]),
    fp("squarespace", &["static1.squarespace.com", "assets.squarespace.com", "squarespace-cdn.com", "generator:squarespace"], &[]),
    fp("drupal", &["/sites/default/files/", "/core/misc/drupal.js", "drupal-settings-json", "drupal.settings", "generator:drupal"], &[]),
    fp("typo3", &["/typo3conf/", "/typo3temp/", "generator:typo3"], &[]),
    fp("joomla", &["/media/jui/", "generator:joomla"], &[]),
    fp("pardot", &["pi.pardot.com", "go.pardot.com", "piaid"], &[]),
    fp("salesforce", &[".force.com", "salesforce.com", "salesforceliveagent", "embedded_svc"], &[]),
    fp("marketo", &["munchkin.marketo.net", "mktoforms2", ".marketo.com"], &[]),
    fp("zendesk", &["static.zdassets.com", ".zendesk.com", "zesettings"], &[]),
    fp("hotjar", &["static.hotjar.com"], &[]),
    fp("matomo", &["matomo.js", "piwik.js"], &[]),
    fp("jquery", &["jquery.min.js", "/jquery.js", "/jquery-"], &[]),
];

/// The technologies the page's code reveals, as slugs in a fixed order.
pub(super) fn fingerprint(doc: &Html) -> Vec<String> {
    let haystack = haystack(doc);
    let mut found: Vec<String> = Vec::new();
    for fp in FINGERPRINTS.iter().filter(|fp| fp.markers.iter().any(|m| haystack.contains(m))) {
        for slug in std::iter::once(fp.slug).chain(fp.implies.iter().copied()) {
            if !found.iter().any(|f| f == slug) {
                found.push(slug.to_string());
            }
        }
    }
    found
}

/// The page's code, lowercased: resource URLs, inline scripts, the generator as `generator:…`,
/// attribute names as `attr:…` and ids as `attr:id=…`, one per line.
fn haystack(doc: &Html) -> String {
    static GENERATOR: LazyLock<Selector> = LazyLock::new(|| Selector::parse("meta[name=generator i]").unwrap());
    // Inline scripts can be huge bundles; their opening is where snippets and settings live.
    const SCRIPT_PREFIX: usize = 20_000;
    let mut out = String::new();
    for el in doc.root_element().descendent_elements() {
        let value = el.value();
        let resource = match value.name() {
            "script" | "iframe" | "img" => value.attr("src"),
            "link" => value.attr("href"),
            "a" => value.attr("href").filter(|h| h.contains("/cdn-cgi/")),
            _ => None,
        };
        out.extend(resource.map(|r| format!("{r}\n")));
        if value.name() == "script" {
            let code: String = el.text().collect();
            out.push_str(&code.chars().take(SCRIPT_PREFIX).collect::<String>());
            out.push('\n');
        }
        for (name, val) in value.attrs() {
            out.push_str(&format!("attr:{name}\n"));
            if name == "id" {
                out.push_str(&format!("attr:id={val}\n"));
            }
        }
    }
    for generator in doc.select(&GENERATOR).filter_map(|m| m.attr("content")) {
        out.push_str(&format!("generator:{generator}\n"));
    }
    out.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slugs(html: &str) -> Vec<String> {
        fingerprint(&Html::parse_document(html))
    }

    #[test]
    fn code_reveals_technologies() {
        let html = r#"<html><head><meta name="generator" content="WordPress 6.5"><script src="https://js.hs-scripts.com/123.js"></script>
            <script async src="https://www.googletagmanager.com/gtag/js?id=G-XYZ"></script>
            <script id="__NEXT_DATA__" type="application/json">{}</script></head>
            <body><a href="/cdn-cgi/l/email-protection#00">x</a></body></html>"#;
        assert_eq!(slugs(html), ["wordpress", "nextjs", "react", "hubspot", "google_analytics", "cloudflare"]);
    }

    #[test]
    fn visible_text_is_not_code() {
        let html = "<p>We integrate with HubSpot, Salesforce, Shopify and Stripe. Our site is not built on WordPress.</p>";
        assert!(slugs(html).is_empty());
    }
}
