//! Idempotency keys: the first response to a write is stored for 24 hours and replayed to any
//! repeat with the same key, so a client can retry a write safely.
//!
//! A key is first *claimed* (a conditional put that only one request can win), then *completed*
//! with the response. A repeat that arrives while the first request is still running is refused
//! rather than run twice. A claim carries a lease, so a request that died mid-flight (a crashed
//! process, a timed-out Lambda) does not block its key for 24 hours: after the lease a repeat
//! takes the key over.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::accounts::org_partition;
use quarry_ports::clock::SharedClock;
use quarry_ports::{Condition, Item, Key, StoreError, StoreResult, Table, Update};

/// How long a completed response is replayed.
pub const RETENTION_SECS: i64 = 24 * 3600;
/// How long an in-flight claim blocks repeats before another request may take the key over.
/// Longer than API Gateway's 29 s limit, so a live request is never overtaken.
pub const LEASE_SECS: i64 = 60;
/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 255;

/// A response as stored for replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: Option<String>,
    /// The body, base64-encoded.
    pub body: String,
}

impl StoredResponse {
    pub fn new(status: u16, content_type: Option<String>, body: &[u8]) -> Self {
        StoredResponse { status, content_type, body: STANDARD.encode(body) }
    }

    pub fn body_bytes(&self) -> Vec<u8> {
        STANDARD.decode(&self.body).unwrap_or_default()
    }
}

/// What to do with a request carrying an idempotency key.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// First time (or the earlier attempt died): run it, then `complete` or `release`.
    Proceed(ClaimToken),
    /// Done before: answer with the stored response.
    Replay(StoredResponse),
    /// The same key is being processed right now.
    InFlight,
    /// The key was used for a different request (method, path or body).
    Mismatch,
}

/// Proof of holding a claim; only its holder can complete or release it.
#[derive(Debug, PartialEq, Eq)]
pub struct ClaimToken {
    key: Key,
    token: String,
}

#[derive(Serialize, Deserialize)]
struct Record {
    fingerprint: String,
    token: String,
    lease_until: i64,
    response: Option<StoredResponse>,
}

/// Stores and replays idempotent responses.
#[derive(Clone)]
pub struct IdempotencyStore {
    table: Arc<dyn Table>,
    clock: SharedClock,
}

/// A digest of what makes two requests "the same": method, path with query, body.
pub fn fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b"\n");
    h.update(path_and_query.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

impl IdempotencyStore {
    pub fn new(table: Arc<dyn Table>, clock: SharedClock) -> Self {
        IdempotencyStore { table, clock }
    }

    fn key(org_id: &str, idempotency_key: &str) -> Key {
        let digest = hex::encode(Sha256::digest(idempotency_key.as_bytes()));
        Key::new(org_partition(org_id), format!("IDEM#{digest}"))
    }

    /// Claims `idempotency_key` for a request with `fingerprint`, or says why not.
    pub async fn claim(&self, org_id: &str, idempotency_key: &str, fingerprint: &str) -> StoreResult<Claim> {
        let key = Self::key(org_id, idempotency_key);
        for _ in 0..3 {
            let now = self.clock.unix();
            let token = ulid::Ulid::new().to_string();
            let record =
                Record { fingerprint: fingerprint.to_string(), token: token.clone(), lease_until: now + LEASE_SECS, response: None };
            let item = Item::from_record(key.clone(), &record)?.expires_at(now + RETENTION_SECS);
            match self.table.put(item.clone(), Condition::Absent).await {
                Ok(()) => return Ok(Claim::Proceed(ClaimToken { key, token })),
                Err(StoreError::ConditionFailed) => {}
                Err(e) => return Err(e),
            }
            let Some(existing) = self.table.get(&key).await? else { continue };
            let existing: Record = existing.to_record()?;
            if existing.fingerprint != fingerprint {
                return Ok(Claim::Mismatch);
            }
            if let Some(response) = existing.response {
                return Ok(Claim::Replay(response));
            }
            if existing.lease_until > now {
                return Ok(Claim::InFlight);
            }
            // The earlier attempt died: take the key over, unless someone else just did.
            match self.table.put(item, Condition::equals("token", existing.token)).await {
                Ok(()) => return Ok(Claim::Proceed(ClaimToken { key, token })),
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(Claim::InFlight)
    }

    /// Stores the response of a claimed request for replay.
    pub async fn complete(&self, claim: ClaimToken, response: StoredResponse) -> StoreResult<()> {
        let value = serde_json::to_value(&response).map_err(|e| StoreError::Invalid(e.to_string()))?;
        match self.table.update(&claim.key, Update::new().set("response", value), Condition::equals("token", claim.token)).await {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Gives a claim up without a response (the request failed in a way worth retrying).
    pub async fn release(&self, claim: ClaimToken) -> StoreResult<()> {
        match self.table.delete(&claim.key, Condition::equals("token", claim.token)).await {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
