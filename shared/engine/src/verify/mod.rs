//! Email verification and address-pattern inference: how much to trust an address Quarry found,
//! and what a person's address probably is when only their name is known.
//!
//! A lead is only as useful as the address that reaches its person, and sending to dead or
//! throwaway addresses costs the user reputation with their mail provider. So every address gets
//! checked, cheaply and without contacting anyone:
//!
//! 1. **Syntax** ([`check_syntax`]): a practical subset of RFC 5321/5322 — dot-atom local part
//!    of at most 64 characters, a valid host name ending in a public suffix the list knows.
//!    Internationalised domains are accepted and normalised to punycode; quoted local parts are
//!    refused. No I/O.
//! 2. **DNS** ([`EmailVerifier::verify`]): the domain's MX records through a configurable
//!    resolver ([`DnsConfig`]) with a short timeout and a per-domain cache. No MX but an
//!    address record is the implicit MX of RFC 5321 §5.1 (deliverable, but unusual); NXDOMAIN
//!    and the null MX of RFC 7505 mean no mail can arrive.
//! 3. **Flags** from embedded lists ([`is_disposable_domain`], [`is_free_mail_domain`],
//!    [`is_role_local_part`]): throwaway inboxes, consumer mailbox providers (an address there
//!    says nothing about an employer) and role accounts (`info@`, `sales@`, `kontakt@` …) that
//!    reach a function rather than a person.
//!
//! The result is an [`EmailCheck`] with one overall [`EmailStatus`]: `valid`, `risky` or
//! `invalid`.
//!
//! **Quarry never connects to mail servers.** SMTP probing (`RCPT TO` without sending) is off
//! and not implemented: it is slow (seconds per address, and greylisting adds minutes), often
//! blocked (outbound port 25 is closed on most clouds, and catch-all or anti-harvesting servers
//! answer "yes" to everything anyway), and it hurts the reputation of the IP address that probes,
//! which is the user's own. An address that passes syntax and DNS is `valid` in that sense only:
//! its domain receives mail.
//!
//! **Pattern inference** ([`infer_pattern`], [`guess_address`]): from addresses verified at one
//! domain (`jane.doe@`, `john.smith@`) Quarry learns the domain's pattern (`first.last`) and can
//! guess another person's address there. A guess is marked `inferred` and carries a confidence
//! of 0.3–0.6, below any verified address.

mod lists;
mod mx;
mod patterns;
mod syntax;

#[cfg(any(test, feature = "testing"))]
pub mod testdns;

pub use lists::{is_disposable_domain, is_free_mail_domain, is_role_local_part};
pub use mx::{DnsConfig, MxStatus, VerifierOptions};
pub use patterns::{
    guess_address, infer_pattern, GuessedEmail, InferredPattern, NameParts, Pattern, MAX_GUESS_CONFIDENCE, MIN_GUESS_CONFIDENCE,
};
pub use syntax::{check_syntax, SyntaxError};

use serde::Serialize;

/// Why an [`EmailVerifier`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// [`DnsConfig::System`] was asked for, but the host's resolver configuration could not be
    /// read.
    #[error("cannot read the system DNS configuration: {0}")]
    SystemConfig(String),
    /// [`DnsConfig::Servers`] with an empty list.
    #[error("no DNS servers configured")]
    NoServers,
    /// The resolver refused the configuration.
    #[error("cannot build the DNS resolver: {0}")]
    Resolver(String),
}

/// The overall verdict on an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// Well-formed, and the domain has MX records; not a role, free-mail or disposable address.
    Valid,
    /// Probably deliverable but worth less, or not known: a role account, a free-mail or
    /// disposable domain, a domain without MX that falls back to its A/AAAA record, or a DNS
    /// answer that never came ([`MxStatus::Unknown`]).
    Risky,
    /// Cannot receive mail: bad syntax, a domain that does not exist, a null MX, or a name with
    /// neither MX nor address records.
    Invalid,
}

/// The result of checking one address.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EmailCheck {
    /// The address, normalised when the syntax holds: trimmed, domain lowercased and in punycode,
    /// and the local part lowercased too (see [`check_syntax`] for why). Otherwise the trimmed
    /// input.
    pub address: String,
    /// Whether the address passed [`check_syntax`].
    pub syntax_ok: bool,
    /// Why the syntax check failed, in words; `None` when it passed.
    pub syntax_error: Option<String>,
    /// The normalised domain, when the syntax holds.
    pub domain: Option<String>,
    /// What DNS says about the domain's mail ([`MxStatus::NotChecked`] after a syntax failure).
    pub mx: MxStatus,
    /// The domain is a throwaway-inbox service.
    pub disposable: bool,
    /// The domain is a consumer mailbox provider.
    pub free_mail: bool,
    /// The local part names a function (`info@`, `sales@`, `kontakt@` …), not a person.
    pub role_account: bool,
    /// The overall verdict.
    pub status: EmailStatus,
}

/// Checks addresses: syntax, then DNS, then the list flags. Cheap to share (`Arc`) across
/// tasks; concurrent checks of one domain share one set of DNS queries and its cached result.
pub struct EmailVerifier {
    mx: mx::MxResolver,
}

impl EmailVerifier {
    /// A verifier asking `dns`, with the default options (2 s DNS timeout, 1 hour cache).
    pub fn new(dns: DnsConfig) -> Result<Self, VerifyError> {
        Self::with_options(dns, VerifierOptions::default())
    }

    /// A verifier asking `dns` with explicit timeout and cache settings.
    pub fn with_options(dns: DnsConfig, options: VerifierOptions) -> Result<Self, VerifyError> {
        Ok(Self { mx: mx::MxResolver::new(&dns, options)? })
    }

    /// Checks one address: syntax, then (if the syntax holds) the domain's MX records (falling
    /// back to A/AAAA per RFC 5321 §5.1 when there is no MX but the name exists), then the
    /// disposable, free-mail and role flags. Never fails: DNS trouble shows as
    /// [`MxStatus::Unknown`] and a `risky` status.
    pub async fn verify(&self, address: &str) -> EmailCheck {
        let (local, domain) = match check_syntax(address) {
            Ok(parts) => parts,
            Err(error) => {
                return EmailCheck {
                    address: address.trim().to_string(),
                    syntax_ok: false,
                    syntax_error: Some(error.to_string()),
                    domain: None,
                    mx: MxStatus::NotChecked,
                    disposable: false,
                    free_mail: false,
                    role_account: false,
                    status: EmailStatus::Invalid,
                }
            }
        };
        let mx = self.mx.status(&domain).await;
        let disposable = is_disposable_domain(&domain);
        let free_mail = is_free_mail_domain(&domain);
        let role_account = is_role_local_part(&local);
        let status = match &mx {
            MxStatus::NoDomain | MxStatus::NullMx | MxStatus::NoMailHost | MxStatus::NotChecked => EmailStatus::Invalid,
            MxStatus::NoMx | MxStatus::Unknown(_) => EmailStatus::Risky,
            MxStatus::Found(_) if disposable || free_mail || role_account => EmailStatus::Risky,
            MxStatus::Found(_) => EmailStatus::Valid,
        };
        EmailCheck {
            address: format!("{local}@{domain}"),
            syntax_ok: true,
            syntax_error: None,
            domain: Some(domain),
            mx,
            disposable,
            free_mail,
            role_account,
            status,
        }
    }
}

#[cfg(test)]
mod tests;
