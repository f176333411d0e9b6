//! API keys: minting, listing, revoking, rotating and authenticating.
//!
//! Two items per key, written in one transaction:
//! - `ORG#<org>` / `KEY#<key_id>`: the key record (metadata + secret hash), listed per org;
//! - `KEYHASH#<sha256>` / `KEYHASH`: the lookup that authentication reads with one consistent get.
//!
//! A revocation is a time on the key record (`revoked_at`): now for a revoke, now or later for a
//! rotation with a grace period, so a key being rotated out keeps working until its time comes
//! and is refused from then on, with no background job to flip it. Authentication (and the
//! verified-key cache) compares that time with the clock on every request.

use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{org_partition, Accounts, Organization};
use crate::error::{ResearchError, ResearchResult};
use crate::events::{Event, EventType};
use crate::ids::{new_id, prefix};
use quarry_ports::clock::Timestamp;
use quarry_ports::table::query_matching;
use quarry_ports::{Condition, Item, Key, Order, Query, StoreError, StoreResult, Update, WriteOp};

/// Length of the random part of a secret: 43 alphanumeric characters ≈ 256 bits.
const SECRET_RANDOM_LEN: usize = 43;
/// How many random characters the displayed prefix keeps (`sk_test_Ab3x`).
const DISPLAY_CHARS: usize = 4;
/// `last_used_at` is written at most this often per key, so reads do not turn into writes.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

/// What a key may do. `read` is needed for every `/v1` call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Run,
    Integrations,
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Run, Scope::Integrations, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Run => "run",
            Scope::Integrations => "integrations",
            Scope::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| format!("unknown scope `{s}`: use read, run, integrations or admin"))
    }
}

/// Test keys run the real planner with synthetic, free execution; live keys consume credits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Test,
    Live,
}

/// Secret keys (`sk_…`) act for the organization; publishable keys (`pk_pub_…`) are read-only
/// and safe to embed in a browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Secret,
    Publishable,
}

/// An API key's metadata, as the API shows it. The secret itself is never stored or shown again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    pub id: String,
    #[schema(example = "api_key")]
    pub object: String,
    pub organization_id: String,
    pub name: String,
    /// The first characters of the secret, to recognise it (`sk_test_Ab3x`).
    pub prefix: String,
    #[serde(rename = "type")]
    pub kind: KeyKind,
    pub mode: Mode,
    pub scopes: Vec<Scope>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    /// When the key stops working, or stopped: the time of a revoke, or the end of the grace
    /// period of a rotation (a time still to come while the old key overlaps its replacement).
    pub revoked_at: Option<Timestamp>,
    /// The key that replaced this one, when it was rotated.
    pub replaced_by: Option<String>,
    /// The member the key belongs to (keys made by accepting an invitation), else `null`.
    #[serde(default)]
    pub member_id: Option<String>,
}

impl ApiKey {
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// True once the key's revocation has taken effect at `now` (a rotation's grace period
    /// still running is not yet revoked).
    pub fn is_revoked(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.revoked_at.is_some_and(|t| t.0 <= now)
    }

    /// True once the key has expired at `now`.
    pub fn is_expired(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.expires_at.is_some_and(|t| t.0 <= now)
    }
}

/// Longest grace period of a rotation, during which the old key keeps working beside the new one:
/// 7 days.
pub const MAX_ROTATION_GRACE_SECS: u64 = 7 * 24 * 3600;

/// How long a rotated-out key keeps working: 0 (it stops at once, the default) to
/// [`MAX_ROTATION_GRACE_SECS`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RotationGrace(u64);

impl RotationGrace {
    /// The grace period a rotate request asks for (`None`: none); past seven days is a 422
    /// naming `grace_period_seconds`.
    pub fn parse(seconds: Option<u64>) -> ResearchResult<RotationGrace> {
        match seconds.unwrap_or(0) {
            s if s > MAX_ROTATION_GRACE_SECS => Err(ResearchError::unprocessable(
                "grace_period_seconds",
                format!("`grace_period_seconds` is at most {MAX_ROTATION_GRACE_SECS} (7 days); got {s}."),
            )),
            s => Ok(RotationGrace(s)),
        }
    }

    pub fn seconds(self) -> u64 {
        self.0
    }
}

/// A rotation: the new key's metadata and the key it replaced, as the old key is now (its
/// `revoked_at` when it stops working, `replaced_by` naming the new key). The payload of the
/// `api_key.rotated` event; never a secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KeyRotation {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The key this one replaced.
    pub replaced_key: ApiKey,
}

/// Why a key could not be rotated.
fn rotation_conflict(key: &ApiKey, now: chrono::DateTime<chrono::Utc>) -> Option<ResearchError> {
    let id = &key.id;
    if key.is_revoked(now) {
        return Some(ResearchError::Conflict(format!("API key {id} is revoked, so it cannot be rotated. Create a new key instead.")));
    }
    if let (Some(successor), Some(until)) = (&key.replaced_by, key.revoked_at) {
        return Some(ResearchError::Conflict(format!(
            "API key {id} was already rotated: it is replaced by {successor} and stops working at {until}. Rotate {successor} \
             instead, or revoke {id} now with DELETE /v1/api-keys/{id}."
        )));
    }
    if key.revoked_at.is_some() {
        return Some(ResearchError::Conflict(format!("API key {id} is being revoked, so it cannot be rotated.")));
    }
    if key.is_expired(now) {
        return Some(ResearchError::Conflict(format!("API key {id} has expired, so it cannot be rotated. Create a new key instead.")));
    }
    None
}

/// What to mint.
#[derive(Clone, Debug)]
pub struct NewKey {
    pub name: String,
    pub kind: KeyKind,
    pub mode: Mode,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<Timestamp>,
}

/// Longest key name.
pub const MAX_KEY_NAME: usize = 100;
/// Most keys one list page examines (both modes share the partition).
const MAX_KEYS_EXAMINED: usize = 1_000;

impl NewKey {
    /// The key a create request asks for, in the caller's `mode`: a trimmed name of 1–100
    /// characters; scopes in their canonical order without repeats (default: `read` and `run`
    /// for a secret key, `read` for a publishable one, which may have no other); an expiry after
    /// `now`. A bad field is an `Invalid` naming it.
    pub fn parse(
        name: &str,
        kind: Option<KeyKind>,
        scopes: Option<Vec<Scope>>,
        expires_at: Option<Timestamp>,
        mode: Mode,
        now: Timestamp,
    ) -> ResearchResult<NewKey> {
        if name.is_empty() || name.chars().count() > MAX_KEY_NAME {
            return Err(ResearchError::invalid("name", format!("`name` must be 1 to {MAX_KEY_NAME} characters.")));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(ResearchError::unprocessable("name", "`name` is blank; name the key after what uses it."));
        }
        let kind = kind.unwrap_or(KeyKind::Secret);
        if scopes.as_ref().is_some_and(|s| s.len() > Scope::ALL.len()) {
            return Err(ResearchError::invalid("scopes", format!("`scopes` names each of the {} scopes at most once.", Scope::ALL.len())));
        }
        let mut scopes = scopes.unwrap_or_else(|| match kind {
            KeyKind::Secret => vec![Scope::Read, Scope::Run],
            KeyKind::Publishable => vec![Scope::Read],
        });
        scopes.sort_by_key(|s| Scope::ALL.iter().position(|x| x == s));
        scopes.dedup();
        if scopes.is_empty() {
            return Err(ResearchError::invalid("scopes", "`scopes` must name at least one scope."));
        }
        if kind == KeyKind::Publishable && scopes != [Scope::Read] {
            return Err(ResearchError::unprocessable("scopes", "Publishable keys are read-only: their only scope is `read`."));
        }
        if expires_at.is_some_and(|t| t.0 <= now.0) {
            return Err(ResearchError::unprocessable("expires_at", "`expires_at` must be in the future."));
        }
        Ok(NewKey { name: name.to_string(), kind, mode, scopes, expires_at })
    }
}

/// An authenticated caller: the key and its organization.
#[derive(Clone, Debug)]
pub struct Principal {
    pub organization: Organization,
    pub key: ApiKey,
}

impl Principal {
    pub fn org_id(&self) -> &str {
        &self.organization.id
    }
}

/// Why authentication failed; each maps to a 401 with its own message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Malformed,
    Unknown,
    Revoked,
    Expired,
}

impl AuthFailure {
    pub fn message(self) -> &'static str {
        match self {
            AuthFailure::Missing => "No API key provided. Send it as `Authorization: Bearer <key>` or in the `x-api-key` header.",
            AuthFailure::Malformed => {
                "The API key is malformed. Keys start with sk_live_, sk_test_ or pk_pub_ followed by 43 letters and digits."
            }
            AuthFailure::Unknown => "The API key is not valid. Check it was copied whole, or create a new one.",
            AuthFailure::Revoked => "The API key has been revoked. Create a new key.",
            AuthFailure::Expired => "The API key has expired. Create a new key.",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    #[serde(flatten)]
    key: ApiKey,
    secret_hash: String,
}

#[derive(Serialize, Deserialize)]
struct KeyLookup {
    organization_id: String,
    key_id: String,
}

fn secret_prefix(kind: KeyKind, mode: Mode) -> &'static str {
    match (kind, mode) {
        (KeyKind::Publishable, _) => "pk_pub_",
        (KeyKind::Secret, Mode::Live) => "sk_live_",
        (KeyKind::Secret, Mode::Test) => "sk_test_",
    }
}

/// True when `secret` has the shape of a key we could have minted.
pub fn is_well_formed(secret: &str) -> bool {
    ["sk_live_", "sk_test_", "pk_pub_"].iter().any(|p| {
        secret.strip_prefix(p).is_some_and(|rest| rest.len() == SECRET_RANDOM_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
    })
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn key_record_key(org_id: &str, key_id: &str) -> Key {
    Key::new(org_partition(org_id), format!("KEY#{key_id}"))
}

fn lookup_key(hash: &str) -> Key {
    Key::new(format!("KEYHASH#{hash}"), "KEYHASH")
}

/// The hash lookups of every key of an organization, read from its key records: what deleting
/// the organization removes first, so that none of its keys authenticates again.
pub(super) async fn key_lookups(table: &dyn quarry_ports::Table, org_id: &str) -> StoreResult<Vec<Key>> {
    let query = Query::partition(org_partition(org_id)).prefix("KEY#");
    let records: Vec<StoredKey> = quarry_ports::table::query_all_records(table, query).await?;
    Ok(records.iter().map(|stored| lookup_key(&stored.secret_hash)).collect())
}

/// The idempotency step of minting a key. (The recorded outcome holds the secret, as the stored
/// response does, for the key's 24-hour replay window.)
const STEP_CREATE: &str = "api_key";
/// The idempotency step of rotating a key (its outcome holds the new secret, likewise).
const STEP_ROTATE: &str = "api_key_rotation";

/// A key about to be stored: its metadata, its secret, and the two writes that store it.
pub(super) struct Minted {
    pub(super) key: ApiKey,
    pub(super) secret: String,
    pub(super) ops: Vec<WriteOp>,
}

impl Accounts {
    /// Mints a key; returns its metadata and the secret, which is never retrievable again.
    pub async fn create_key(&self, org_id: &str, new: NewKey) -> StoreResult<(ApiKey, String)> {
        if let Some(created) = crate::idempotency::recovered(STEP_CREATE) {
            return Ok(created);
        }
        let Minted { key, secret, ops } = self.mint(org_id, new, None)?;
        let created = (key, secret);
        self.table.transact(crate::idempotency::with_outcome(ops, STEP_CREATE, &created)?).await?;
        Ok(created)
    }

    /// A new key's metadata and secret, and the writes that store it (the record and the lookup,
    /// each only if absent).
    pub(super) fn mint(&self, org_id: &str, new: NewKey, member_id: Option<&str>) -> StoreResult<Minted> {
        let random = Alphanumeric.sample_string(&mut rand::rng(), SECRET_RANDOM_LEN);
        let prefix = secret_prefix(new.kind, new.mode);
        let secret = format!("{prefix}{random}");
        let key = ApiKey {
            id: new_id(prefix::API_KEY),
            object: "api_key".into(),
            organization_id: org_id.to_string(),
            name: new.name,
            prefix: format!("{prefix}{}", &random[..DISPLAY_CHARS]),
            kind: new.kind,
            mode: new.mode,
            scopes: new.scopes,
            created_at: self.clock.now().into(),
            last_used_at: None,
            expires_at: new.expires_at,
            revoked_at: None,
            replaced_by: None,
            member_id: member_id.map(str::to_string),
        };
        let hash = hash_secret(&secret);
        let record = StoredKey { key: key.clone(), secret_hash: hash.clone() };
        let lookup = KeyLookup { organization_id: org_id.to_string(), key_id: key.id.clone() };
        let ops = vec![
            WriteOp::Put { item: Item::from_record(key_record_key(org_id, &key.id), &record)?, condition: Condition::Absent },
            WriteOp::Put { item: Item::from_record(lookup_key(&hash), &lookup)?, condition: Condition::Absent },
        ];
        Ok(Minted { key, secret, ops })
    }

    /// Rotates a key of `mode`: mints a key with its name, type, mode, scopes and expiry, and
    /// revokes the old one when `grace` has passed (at once for none), recording
    /// `api_key.rotated`, all in one transaction: the new key and its lookup, the old key's
    /// revocation (only if it is still unrevoked), the event. Returns the rotation and the new
    /// secret, shown this once. A key of another mode or organization is `NotFound`; a revoked,
    /// expired or already rotated key is a `Conflict`. Jobs are untouched: nothing of a job
    /// depends on the key that started it.
    pub async fn rotate_key(&self, org_id: &str, mode: Mode, key_id: &str, grace: RotationGrace) -> ResearchResult<(KeyRotation, String)> {
        if let Some(rotated) = crate::idempotency::recovered(STEP_ROTATE) {
            return Ok(rotated);
        }
        let not_found = || ResearchError::NotFound { what: "API key", id: key_id.to_string(), param: "key_id" };
        if !crate::ids::has_prefix(key_id, prefix::API_KEY) {
            return Err(not_found());
        }
        let old = self.key(org_id, key_id).await?.filter(|k| k.mode == mode).ok_or_else(not_found)?;
        let now = self.clock.now();
        if let Some(conflict) = rotation_conflict(&old, now) {
            return Err(conflict);
        }
        let new = NewKey { name: old.name.clone(), kind: old.kind, mode: old.mode, scopes: old.scopes.clone(), expires_at: old.expires_at };
        let Minted { key, secret, mut ops } = self.mint(org_id, new, old.member_id.as_deref())?;
        let grace = chrono::Duration::seconds(grace.seconds() as i64);
        let revoked_at = Timestamp::from(now + grace);
        let replaced_key = ApiKey { revoked_at: Some(revoked_at), replaced_by: Some(key.id.clone()), ..old };
        let update =
            Update::new().set("revoked_at", serde_json::to_value(revoked_at).expect("timestamp")).set("replaced_by", key.id.as_str());
        // Only a key still unrevoked: a concurrent revoke or rotation makes this one fail whole.
        ops.push(WriteOp::Update {
            key: key_record_key(org_id, key_id),
            update,
            condition: Condition::equals("revoked_at", serde_json::Value::Null),
        });
        let rotation = KeyRotation { key, replaced_key };
        ops.extend(Event::new(EventType::ApiKeyRotated, &rotation, mode == Mode::Live, now.into())?.record_ops(org_id)?);
        let rotated = (rotation, secret);
        match self.table.transact(crate::idempotency::with_outcome(ops, STEP_ROTATE, &rotated)?).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => {
                // Revoked or rotated meanwhile: say which, as a repeat of the request would.
                let current = self.key(org_id, key_id).await?.ok_or_else(not_found)?;
                let now = self.clock.now();
                return Err(rotation_conflict(&current, now)
                    .unwrap_or_else(|| ResearchError::Conflict(format!("API key {key_id} changed while it was rotated; try again."))));
            }
            Err(e) => return Err(e.into()),
        }
        self.verified.forget_key(key_id);
        if let Some(queue) = &self.notifications {
            crate::events::nudge_fan_out(queue.as_ref()).await;
        }
        Ok(rotated)
    }

    /// A key of the organization.
    pub async fn key(&self, org_id: &str, key_id: &str) -> StoreResult<Option<ApiKey>> {
        match self.table.get(&key_record_key(org_id, key_id)).await? {
            Some(item) => Ok(Some(item.to_record::<StoredKey>()?.key)),
            None => Ok(None),
        }
    }

    /// One page of the organization's keys, by creation time.
    /// One page of the organization's keys of `mode` (the API passes the caller's: each mode sees
    /// only its own keys), or of both modes when `None` (the operator's command line).
    pub async fn list_keys(
        &self,
        org_id: &str,
        mode: Option<Mode>,
        order: Order,
        limit: usize,
        cursor: Option<String>,
    ) -> StoreResult<(Vec<ApiKey>, Option<String>)> {
        let base = Query::partition(org_partition(org_id)).prefix("KEY#").order(order).cursor(cursor);
        let keep = |item: &Item| -> StoreResult<Option<ApiKey>> {
            let key = item.to_record::<StoredKey>()?.key;
            Ok(mode.is_none_or(|m| key.mode == m).then_some(key))
        };
        query_matching(self.table.as_ref(), base, limit, MAX_KEYS_EXAMINED, keep).await
    }

    /// Revokes a key of `mode` (any mode when `None`), idempotently: revoking twice keeps the first
    /// time. A key rotated out with a grace period still running is revoked now, cutting the
    /// grace short. `None` if not found, a key of another mode included.
    pub async fn revoke_key(&self, org_id: &str, mode: Option<Mode>, key_id: &str) -> StoreResult<Option<ApiKey>> {
        let Some(key) = self.key(org_id, key_id).await?.filter(|k| mode.is_none_or(|m| k.mode == m)) else { return Ok(None) };
        if key.is_revoked(self.clock.now()) {
            return Ok(Some(key));
        }
        let now = Timestamp::from(self.clock.now());
        let update = Update::new().set("revoked_at", serde_json::to_value(now).expect("timestamp"));
        let item = self.table.update(&key_record_key(org_id, key_id), update, Condition::Exists).await?;
        self.verified.forget_key(key_id);
        Ok(Some(item.to_record::<StoredKey>()?.key))
    }

    /// Resolves a presented secret to its key and organization: from the cache of keys verified
    /// in the last [`super::VERIFIED_KEY_TTL`], else from the table.
    pub async fn authenticate(&self, secret: Option<&str>) -> Result<Principal, AuthOutcome> {
        let secret = secret.ok_or(AuthOutcome::Denied(AuthFailure::Missing))?;
        if !is_well_formed(secret) {
            return Err(AuthOutcome::Denied(AuthFailure::Malformed));
        }
        let hash = hash_secret(secret);
        let now = self.clock.now();
        if let Some(principal) = self.verified.get(&hash, now) {
            return Ok(principal);
        }
        let principal = self.verify(&hash).await?;
        self.verified.put(hash, principal.clone(), now);
        Ok(principal)
    }

    /// Reads the key of a secret's hash and its organization, and checks the key is usable.
    async fn verify(&self, hash: &str) -> Result<Principal, AuthOutcome> {
        let lookup = self.table.get(&lookup_key(hash)).await?.ok_or(AuthOutcome::Denied(AuthFailure::Unknown))?;
        let lookup: KeyLookup = lookup.to_record()?;
        let key = self.key(&lookup.organization_id, &lookup.key_id).await?.ok_or(AuthOutcome::Denied(AuthFailure::Unknown))?;
        let now = self.clock.now();
        if key.is_revoked(now) {
            return Err(AuthOutcome::Denied(AuthFailure::Revoked));
        }
        if key.is_expired(now) {
            return Err(AuthOutcome::Denied(AuthFailure::Expired));
        }
        let organization = self.organization(&key.organization_id).await?.ok_or(AuthOutcome::Denied(AuthFailure::Unknown))?;
        Ok(Principal { organization, key })
    }

    /// Records that a key was used, at most once a minute per key.
    pub async fn record_use(&self, key: &ApiKey) -> StoreResult<()> {
        let now = self.clock.now();
        if key.last_used_at.is_some_and(|t| (now - t.0).num_seconds() < LAST_USED_RESOLUTION_SECS) {
            return Ok(());
        }
        let update = Update::new().set("last_used_at", serde_json::to_value(Timestamp::from(now)).expect("timestamp"));
        match self.table.update(&key_record_key(&key.organization_id, &key.id), update, Condition::Exists).await {
            Ok(_) => {
                self.verified.used(&key.id, now.into());
                Ok(())
            }
            Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The result of a failed authentication: a denial, or a storage failure to report as a 500.
#[derive(Debug)]
pub enum AuthOutcome {
    Denied(AuthFailure),
    Failed(StoreError),
}

impl From<StoreError> for AuthOutcome {
    fn from(e: StoreError) -> Self {
        AuthOutcome::Failed(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_the_documented_shape() {
        let random = Alphanumeric.sample_string(&mut rand::rng(), SECRET_RANDOM_LEN);
        assert!(is_well_formed(&format!("sk_test_{random}")));
        assert!(is_well_formed(&format!("pk_pub_{random}")));
        assert!(!is_well_formed(&format!("sk_prod_{random}")));
        assert!(!is_well_formed("sk_test_short"));
        assert!(!is_well_formed(&format!("sk_test_{}!", &random[1..])));
        // 43 characters over a 62-letter alphabet carry more than 192 bits.
        assert!(SECRET_RANDOM_LEN as f64 * 62f64.log2() > 192.0);
    }
}
