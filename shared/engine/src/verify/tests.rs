//! End-to-end checks of [`EmailVerifier`] against the loopback DNS server in `testdns`.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_resolver::proto::rr::RecordType;

use super::testdns::{Rec, TestDns, Zone};
use super::*;

const TIMEOUT: Duration = Duration::from_millis(300);

fn zone() -> Zone {
    Zone::default()
        // Deliberately out of order: the answer must come back sorted by preference.
        .with("acme.de", Rec::Mx(20, "mx2.acme.de"))
        .with("acme.de", Rec::Mx(30, "Backup.MailHost.com"))
        .with("acme.de", Rec::Mx(10, "mx1.acme.de"))
        .with("acme.de", Rec::A(Ipv4Addr::new(192, 0, 2, 1)))
        .with("web-only.de", Rec::A(Ipv4Addr::new(192, 0, 2, 10)))
        .with("v6-only.de", Rec::Aaaa(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)))
        .with("nomail.de", Rec::Other)
        .with("nullmx.de", Rec::Mx(0, "."))
        .servfail("broken.de")
        .with("gmail.com", Rec::Mx(5, "gmail-smtp-in.l.google.com"))
        .with("mailinator.com", Rec::Mx(10, "mail.mailinator.com"))
        .with("xn--mnchen-3ya.de", Rec::Mx(10, "mx.xn--mnchen-3ya.de"))
}

fn options() -> VerifierOptions {
    VerifierOptions { timeout: TIMEOUT, ..VerifierOptions::default() }
}

fn verifier_for(server: &TestDns, options: VerifierOptions) -> EmailVerifier {
    EmailVerifier::with_options(DnsConfig::Servers(vec![server.addr]), options).unwrap()
}

async fn served() -> (TestDns, EmailVerifier) {
    let server = TestDns::start(zone()).await;
    let verifier = verifier_for(&server, options());
    (server, verifier)
}

#[tokio::test]
async fn mx_found_sorted_by_preference_is_valid() {
    let (_server, verifier) = served().await;
    let check = verifier.verify("  Jane.Doe@ACME.de ").await;
    assert_eq!(
        check,
        EmailCheck {
            address: "jane.doe@acme.de".into(),
            syntax_ok: true,
            syntax_error: None,
            domain: Some("acme.de".into()),
            mx: MxStatus::Found(vec!["mx1.acme.de".into(), "mx2.acme.de".into(), "backup.mailhost.com".into()]),
            disposable: false,
            free_mail: false,
            role_account: false,
            status: EmailStatus::Valid,
        }
    );
}

#[tokio::test]
async fn no_mx_but_an_address_record_is_risky() {
    let (server, verifier) = served().await;
    let check = verifier.verify("jane@web-only.de").await;
    assert_eq!((check.mx, check.status), (MxStatus::NoMx, EmailStatus::Risky));
    assert_eq!(server.queries_for("web-only.de", RecordType::MX), 1);
    assert_eq!(server.queries_for("web-only.de", RecordType::A), 1);
    let check = verifier.verify("jane@v6-only.de").await;
    assert_eq!((check.mx, check.status), (MxStatus::NoMx, EmailStatus::Risky), "AAAA counts as well");
    assert_eq!(server.queries_for("v6-only.de", RecordType::AAAA), 1);
}

#[tokio::test]
async fn nxdomain_is_invalid() {
    let (server, verifier) = served().await;
    let check = verifier.verify("jane@gone.de").await;
    assert_eq!((check.mx, check.status), (MxStatus::NoDomain, EmailStatus::Invalid));
    assert_eq!(server.queries(), 1, "no A fallback for a name that does not exist");
}

#[tokio::test]
async fn null_mx_is_invalid() {
    let (server, verifier) = served().await;
    let check = verifier.verify("jane@nullmx.de").await;
    assert_eq!((check.mx, check.status), (MxStatus::NullMx, EmailStatus::Invalid));
    assert_eq!(server.queries(), 1, "a null MX needs no A fallback");
}

#[tokio::test]
async fn a_name_without_mx_or_address_is_invalid() {
    let (_server, verifier) = served().await;
    let check = verifier.verify("jane@nomail.de").await;
    assert_eq!((check.mx, check.status), (MxStatus::NoMailHost, EmailStatus::Invalid));
}

#[tokio::test]
async fn server_failure_is_unknown_and_risky() {
    let (_server, verifier) = served().await;
    let check = verifier.verify("jane@broken.de").await;
    assert!(matches!(check.mx, MxStatus::Unknown(_)), "{:?}", check.mx);
    assert_eq!(check.status, EmailStatus::Risky);
}

#[tokio::test]
async fn a_silent_server_times_out_within_the_configured_timeout() {
    let server = TestDns::silent().await;
    let verifier = verifier_for(&server, options());
    let started = Instant::now();
    let check = verifier.verify("jane@acme.de").await;
    let elapsed = started.elapsed();
    assert!(matches!(&check.mx, MxStatus::Unknown(why) if why.contains("timeout")), "{:?}", check.mx);
    assert_eq!(check.status, EmailStatus::Risky);
    assert!(elapsed >= TIMEOUT - Duration::from_millis(10), "gave up too early: {elapsed:?}");
    assert!(elapsed < TIMEOUT + Duration::from_millis(400), "took {elapsed:?} with a {TIMEOUT:?} timeout");
    assert!(server.queries() >= 1, "the query did reach the server");

    // A timeout says nothing about the domain, so it is not cached: the next check asks again.
    let before = server.queries();
    let again = verifier.verify("john@acme.de").await;
    assert!(matches!(again.mx, MxStatus::Unknown(_)));
    assert!(server.queries() > before, "an Unknown result must not be served from the cache");
}

#[tokio::test]
async fn the_second_look_up_of_a_domain_is_served_from_the_cache() {
    let (server, verifier) = served().await;
    let first = verifier.verify("jane@acme.de").await;
    assert_eq!(server.queries_for("acme.de", RecordType::MX), 1);
    let second = verifier.verify("info@Acme.DE").await;
    assert_eq!(server.queries_for("acme.de", RecordType::MX), 1, "answered from the cache");
    assert_eq!(first.mx, second.mx);
    assert!(second.role_account);

    // Negative results are cached too.
    verifier.verify("a@gone.de").await;
    verifier.verify("b@gone.de").await;
    assert_eq!(server.queries_for("gone.de", RecordType::MX), 1);

    // Without our cache every check asks the server: the resolver's own cache does not hide it
    // (the zone's TTLs are 0), so the counts above really measure our cache.
    let uncached = verifier_for(&server, VerifierOptions { cache_ttl: Duration::ZERO, ..options() });
    uncached.verify("jane@acme.de").await;
    uncached.verify("jane@acme.de").await;
    assert_eq!(server.queries_for("acme.de", RecordType::MX), 3);
}

#[tokio::test]
async fn concurrent_checks_of_one_domain_share_one_look_up() {
    let (server, verifier) = served().await;
    let verifier = Arc::new(verifier);
    let checks: Vec<_> = (0..8)
        .map(|i| {
            let verifier = verifier.clone();
            tokio::spawn(async move { verifier.verify(&format!("person{i}@web-only.de")).await })
        })
        .collect();
    for check in checks {
        assert_eq!(check.await.unwrap().mx, MxStatus::NoMx);
    }
    assert_eq!(server.queries_for("web-only.de", RecordType::MX), 1);
    assert_eq!(server.queries_for("web-only.de", RecordType::A), 1);
    // The resolver coalesces identical in-flight queries too; our cache makes it one look-up.
    assert_eq!(verifier.mx.look_ups.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[tokio::test]
async fn expired_cache_entries_are_looked_up_again() {
    let server = TestDns::start(zone()).await;
    let verifier = verifier_for(&server, VerifierOptions { cache_ttl: Duration::from_millis(50), ..options() });
    verifier.verify("jane@acme.de").await;
    tokio::time::sleep(Duration::from_millis(80)).await;
    verifier.verify("jane@acme.de").await;
    assert_eq!(server.queries_for("acme.de", RecordType::MX), 2);
}

#[tokio::test]
async fn flags_make_an_address_with_mx_risky() {
    let (_server, verifier) = served().await;
    let role = verifier.verify("Kontakt@acme.de").await;
    assert!(role.role_account && !role.free_mail && !role.disposable);
    assert_eq!(role.status, EmailStatus::Risky);
    let free = verifier.verify("jane.doe@gmail.com").await;
    assert!(free.free_mail && !free.role_account && !free.disposable);
    assert_eq!(free.status, EmailStatus::Risky);
    let throwaway = verifier.verify("jane@mailinator.com").await;
    assert!(throwaway.disposable && !throwaway.free_mail);
    assert_eq!(throwaway.status, EmailStatus::Risky);
    assert!(matches!(throwaway.mx, MxStatus::Found(_)));
}

#[tokio::test]
async fn bad_syntax_is_invalid_without_any_query() {
    let (server, verifier) = served().await;
    for address in ["user@localhost", "\"john doe\"@acme.de", "jane..doe@acme.de", "jane@acme", "not an address"] {
        let check = verifier.verify(address).await;
        assert!(!check.syntax_ok, "{address}");
        assert!(check.syntax_error.is_some(), "{address}");
        assert_eq!((check.mx, check.status, check.domain), (MxStatus::NotChecked, EmailStatus::Invalid, None), "{address}");
    }
    assert_eq!(server.queries(), 0);
}

#[tokio::test]
async fn idn_domains_are_looked_up_in_punycode() {
    let (server, verifier) = served().await;
    let check = verifier.verify("info@münchen.de").await;
    assert_eq!(check.address, "info@xn--mnchen-3ya.de");
    assert_eq!(check.mx, MxStatus::Found(vec!["mx.xn--mnchen-3ya.de".into()]));
    assert_eq!(server.queries_for("xn--mnchen-3ya.de", RecordType::MX), 1);
}

#[test]
fn checks_serialize_for_the_api() {
    let check = EmailCheck {
        address: "jane@acme.de".into(),
        syntax_ok: true,
        syntax_error: None,
        domain: Some("acme.de".into()),
        mx: MxStatus::Found(vec!["mx1.acme.de".into()]),
        disposable: false,
        free_mail: false,
        role_account: false,
        status: EmailStatus::Valid,
    };
    let json = serde_json::to_value(&check).unwrap();
    assert_eq!(json["status"], "valid");
    assert_eq!(json["mx"], serde_json::json!({"kind": "found", "detail": ["mx1.acme.de"]}));
    assert_eq!(serde_json::to_value(MxStatus::NoMx).unwrap(), serde_json::json!({"kind": "no_mx"}));
    assert_eq!(serde_json::to_value(MxStatus::Unknown("DNS timeout".into())).unwrap()["detail"], "DNS timeout");
    assert_eq!(serde_json::to_value(EmailStatus::Risky).unwrap(), "risky");
}

/// Building a verifier needs no runtime and makes no query.
#[test]
fn construction() {
    assert!(matches!(EmailVerifier::new(DnsConfig::Servers(vec![])), Err(VerifyError::NoServers)));
    let resolv_conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    if resolv_conf.lines().any(|line| line.trim_start().starts_with("nameserver")) {
        EmailVerifier::new(DnsConfig::System).expect("system resolver");
    }
    assert_eq!(DnsConfig::default(), DnsConfig::System);
    assert_eq!(VerifierOptions::default().timeout, Duration::from_secs(2));
}
