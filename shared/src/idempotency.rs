//! Idempotency keys: the first response to a write is stored for 24 hours and replayed to any
//! repeat with the same key, so a client can retry a write safely.
//!
//! A key is first *claimed* (a conditional put that only one request can win), then *completed*
//! with the response. A repeat that arrives while the first request is still running is refused
//! rather than run twice. A claim carries a lease, so a request that died mid-flight (a crashed
//! process, a timed-out Lambda) does not block its key for 24 hours: after the lease a repeat
//! takes the key over.
//!
//! Storing the response after the handler has committed leaves a gap: a process killed between
//! the commit and the stored response would run the write again on the client's retry. So each
//! creating operation also records its *outcome* (the object it returns) on the claim, in the same
//! transaction as the write itself ([`outcome_op`]), under a step name. A retry that takes the
//! claim over runs the request again inside a [`Scope`] holding those outcomes, and each operation
//! whose step already committed returns its recorded outcome ([`recovered`]) instead of writing
//! again: the client gets the answer the first attempt would have given, and nothing is done
//! twice. (Brandur Leach's "atomic phases" for Stripe-like keys, one phase per step.)

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use quarry_ports::clock::SharedClock;
use quarry_ports::{Condition, Item, Key, StoreError, StoreResult, Table, Update, WriteOp};

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimToken {
    key: Key,
    token: String,
    /// What earlier attempts of the request committed, by step (empty on a first attempt).
    outcomes: Outcomes,
}

/// Committed outcomes by step name.
type Outcomes = BTreeMap<String, Value>;

/// The attribute holding the outcomes on the claim record.
const OUTCOMES: &str = "outcomes";

#[derive(Serialize, Deserialize)]
struct Record {
    fingerprint: String,
    token: String,
    lease_until: i64,
    response: Option<StoredResponse>,
    #[serde(default)]
    outcomes: Outcomes,
}

tokio::task_local! {
    static SCOPE: Scope;
}

/// The claim a request runs under, seen by the domain operations it calls.
#[derive(Clone)]
pub struct Scope {
    key: Key,
    token: String,
    /// Recovered outcomes plus those committed by this attempt so far.
    outcomes: Arc<Mutex<Outcomes>>,
}

impl Scope {
    /// The scope of a claim: `run` the request inside it.
    pub fn of(claim: &ClaimToken) -> Scope {
        Scope { key: claim.key.clone(), token: claim.token.clone(), outcomes: Arc::new(Mutex::new(claim.outcomes.clone())) }
    }

    /// Runs `request` with this scope visible to [`recovered`] and [`outcome_op`].
    pub async fn run<F: std::future::Future>(self, request: F) -> F::Output {
        SCOPE.scope(self, request).await
    }

    fn outcomes(&self) -> std::sync::MutexGuard<'_, Outcomes> {
        self.outcomes.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The outcome an earlier attempt of this request committed for `step`, if the request runs
/// under an idempotency key and that step is done. An operation checks it before doing anything.
pub fn recovered<T: DeserializeOwned>(step: &str) -> Option<T> {
    let value = SCOPE.try_with(|scope| scope.outcomes().get(step).cloned()).ok().flatten()?;
    serde_json::from_value(value).ok()
}

/// The write that records `outcome` as `step`'s, to be committed in the same transaction as the
/// change it describes; `None` when the request carries no idempotency key. Its condition is
/// that the claim is still this attempt's, so an attempt that was taken over cannot commit.
pub fn outcome_op<T: Serialize>(step: &str, outcome: &T) -> StoreResult<Option<WriteOp>> {
    let Ok(scope) = SCOPE.try_with(Clone::clone) else { return Ok(None) };
    let value = serde_json::to_value(outcome).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let all = {
        let mut outcomes = scope.outcomes();
        outcomes.insert(step.to_string(), value);
        serde_json::to_value(&*outcomes).map_err(|e| StoreError::Invalid(e.to_string()))?
    };
    Ok(Some(WriteOp::Update {
        key: scope.key.clone(),
        update: Update::new().set(OUTCOMES, all),
        condition: Condition::equals("token", scope.token.as_str()),
    }))
}

/// Puts `item` under `condition` and, when the request has an idempotency key, records
/// `outcome` as `step`'s in the same transaction.
pub async fn put_with_outcome<T: Serialize>(
    table: &dyn Table,
    item: Item,
    condition: Condition,
    step: &str,
    outcome: &T,
) -> StoreResult<()> {
    match outcome_op(step, outcome)? {
        Some(record) => table.transact(vec![WriteOp::Put { item, condition }, record]).await,
        None => table.put(item, condition).await,
    }
}

/// `ops` plus the outcome record of `step` when the request has an idempotency key.
pub fn with_outcome<T: Serialize>(mut ops: Vec<WriteOp>, step: &str, outcome: &T) -> StoreResult<Vec<WriteOp>> {
    ops.extend(outcome_op(step, outcome)?);
    Ok(ops)
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

    /// The claim's key, in `partition` (the organization's: keys are per organization).
    pub fn key(partition: String, idempotency_key: &str) -> Key {
        let digest = hex::encode(Sha256::digest(idempotency_key.as_bytes()));
        Key::new(partition, format!("IDEM#{digest}"))
    }

    /// Claims `idempotency_key` in `partition` for a request with `fingerprint`, or says why not.
    pub async fn claim(&self, partition: String, idempotency_key: &str, fingerprint: &str) -> StoreResult<Claim> {
        let key = Self::key(partition, idempotency_key);
        for _ in 0..3 {
            let now = self.clock.unix();
            let token = ulid::Ulid::new().to_string();
            let mut record = Record {
                fingerprint: fingerprint.to_string(),
                token: token.clone(),
                lease_until: now + LEASE_SECS,
                response: None,
                outcomes: Outcomes::new(),
            };
            let item = Item::from_record(key.clone(), &record)?.expires_at(now + RETENTION_SECS);
            match self.table.put(item, Condition::Absent).await {
                Ok(()) => return Ok(Claim::Proceed(ClaimToken { key, token, outcomes: Outcomes::new() })),
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
            // The earlier attempt died: take the key over, unless someone else just did, keeping
            // what it committed so the retry resumes rather than repeats it.
            record.outcomes = existing.outcomes;
            let item = Item::from_record(key.clone(), &record)?.expires_at(now + RETENTION_SECS);
            match self.table.put(item, Condition::equals("token", existing.token)).await {
                Ok(()) => return Ok(Claim::Proceed(ClaimToken { key, token, outcomes: record.outcomes })),
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

    /// Gives a claim up without a response (the request failed in a way worth retrying): the
    /// lease ends now, so a retry takes the key over at once, and resumes after any step this
    /// attempt committed.
    pub async fn release(&self, claim: ClaimToken) -> StoreResult<()> {
        match self.table.update(&claim.key, Update::new().set("lease_until", 0), Condition::equals("token", claim.token)).await {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
