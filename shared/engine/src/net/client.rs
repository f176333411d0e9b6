//! A guarded client for requests other than [`super::Fetcher`]'s bounded GET (webhook deliveries
//! POST to user-supplied URLs): the same resolver guard, no proxy, and no redirects followed (a
//! redirect answer is simply not a success).

use std::sync::Arc;
use std::time::Duration;

use reqwest::redirect;
use url::Url;

use super::guard::{check_literal_host, GuardedResolver, TargetPolicy};
use super::USER_AGENT;

/// A client whose every connection passes the guard, timing out after `timeout`.
pub fn guarded_client(policy: TargetPolicy, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver::new(policy)))
        .redirect(redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(USER_AGENT)
        .build()
        .expect("building the outbound HTTP client (TLS backend initialisation) failed")
}

/// Refuses `url` up front when its host is an IP literal the policy does not permit (host names
/// are judged when they resolve, by the client's resolver). The error says why, in plain words.
pub fn check_target(url: &Url, policy: TargetPolicy) -> Result<(), String> {
    check_literal_host(url, policy).map_err(|refusal| refusal.to_string())
}
