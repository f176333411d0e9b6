//! Signing secrets and delivery signatures.
//!
//! Every delivery is signed twice over, so both kinds of verifier work with the one secret an
//! endpoint is given:
//! - **Leadex / Stripe style:** `Leadex-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//!   "<t>.<raw body>">`, keyed with the secret string exactly as shown (`whsec_…`), plus
//!   `Leadex-Event`, `Leadex-Delivery` and `Leadex-Timestamp`.
//! - **Standard Webhooks:** `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64
//!   HMAC-SHA256 of "<id>.<t>.<raw body>">`, keyed with the base64-decoded part after `whsec_`
//!   (the format that specification gives secrets).
//!
//! While a rotated-out secret is still valid (24 hours), each header carries one signature per
//! secret, newest first, and a verifier accepts the delivery when any of them matches.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The prefix of every signing secret (the Standard Webhooks format).
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The headers that sign one delivery attempt, as `(name, value)` pairs.
pub fn headers(secrets: &[&str], delivery_id: &str, event_type: &str, timestamp: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    let leadex = secrets.iter().map(|s| format!("v1={}", leadex_signature(s, timestamp, body))).collect::<Vec<_>>().join(",");
    let standard =
        secrets.iter().map(|s| format!("v1,{}", standard_signature(s, delivery_id, timestamp, body))).collect::<Vec<_>>().join(" ");
    vec![
        ("leadex-event", event_type.to_string()),
        ("leadex-delivery", delivery_id.to_string()),
        ("leadex-timestamp", timestamp.to_string()),
        ("leadex-signature", format!("t={timestamp},{leadex}")),
        ("webhook-id", delivery_id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", standard),
    ]
}

/// Hex HMAC-SHA256 of `"<timestamp>.<body>"` keyed with the secret string.
fn leadex_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Base64 HMAC-SHA256 of `"<id>.<timestamp>.<body>"` keyed with the decoded secret.
fn standard_signature(secret: &str, delivery_id: &str, timestamp: i64, body: &[u8]) -> String {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    // Secrets are always minted in this format; anything else is keyed with its raw bytes.
    let key = STANDARD.decode(encoded).unwrap_or_else(|_| secret.as_bytes().to_vec());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(format!("{delivery_id}.{timestamp}.").as_bytes());
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> &'a str {
        headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap()
    }

    #[test]
    fn secrets_are_random_and_in_the_standard_format() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX));
        assert_eq!(STANDARD.decode(&a[SECRET_PREFIX.len()..]).unwrap().len(), 32);
    }

    #[test]
    fn known_answer_signatures() {
        // Computed independently with Python's hmac module.
        let signed = headers(&["whsec_c2VjcmV0"], "dlv_1", "job.succeeded", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(header(&signed, "leadex-signature"), "t=1700000000,v1=6dd72433a4cd7716d09e26318f8f689412da31a76d080c30fd719cf6ac3f8479");
        assert_eq!(header(&signed, "webhook-signature"), "v1,3/mVnphZjnR0QnarcyV37BBiKyJriXBp28nNyFOCjV8=");
        assert_eq!(header(&signed, "leadex-event"), "job.succeeded");
        assert_eq!(header(&signed, "leadex-delivery"), "dlv_1");
        assert_eq!(header(&signed, "leadex-timestamp"), "1700000000");
        assert_eq!(header(&signed, "webhook-id"), "dlv_1");
        assert_eq!(header(&signed, "webhook-timestamp"), "1700000000");
    }

    #[test]
    fn rotation_signs_with_every_valid_secret() {
        let signed = headers(&["whsec_bmV3", "whsec_b2xk"], "dlv_1", "job.succeeded", 1, b"{}");
        let leadex = header(&signed, "leadex-signature");
        assert_eq!(leadex.matches("v1=").count(), 2, "{leadex}");
        assert_eq!(header(&signed, "webhook-signature").split(' ').count(), 2);
        assert!(leadex.contains(&leadex_signature("whsec_b2xk", 1, b"{}")));
    }
}
