//! Webhook endpoints: where an organization's events are delivered, which events, and the
//! secrets that sign them.
//!
//! An endpoint belongs to one mode: one created with a live key receives live events and must be
//! `https://`; one created with a test key receives test-mode events. The signing secret is shown
//! once, when the endpoint is created or its secret rotated; after a rotation the previous secret
//! keeps signing beside the new one for [`ROTATION_OVERLAP`], so receivers can switch without
//! dropping a delivery. A job approved with a `webhook_url` gets a job-scoped endpoint (with
//! `job_id` set) that receives that job's events only.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::signing::new_secret;
use crate::accounts::org_partition;
use crate::accounts::Caller;
use crate::error::{ResearchError, ResearchResult};
use crate::events::EventType;
use crate::ids;
use quarry_engine::net::TargetPolicy;
use quarry_ports::clock::{SharedClock, Timestamp};
use quarry_ports::{Condition, Item, Key, Order, Query, StoreError, Table, Update};

/// How long a rotated-out secret keeps signing.
pub const ROTATION_OVERLAP: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// Most organization-wide endpoints per organization (job-scoped ones are not counted).
pub const MAX_ENDPOINTS: usize = 20;
/// Longest endpoint URL.
pub use quarry_engine::net::MAX_URL_CHARS;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Subscribes to every event type.
pub const ALL_EVENTS: &str = "*";

const ENDPOINT_SK: &str = "WHK#";
/// Most endpoints one list page examines (both modes share the partition); a page may come back
/// short, with a cursor, rather than read further.
const MAX_EXAMINED_PER_PAGE: usize = 1_000;
const SECRETS: &str = "secrets";

/// The webhook endpoint object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Endpoint {
    pub id: String,
    #[schema(example = "webhook_endpoint")]
    pub object: String,
    pub url: String,
    /// Event types delivered here; `["*"]` for all.
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    /// Live endpoints receive live events; test endpoints, test-mode events.
    pub livemode: bool,
    /// Set on the endpoint made for a job's `webhook_url`: only that job's events go here.
    pub job_id: Option<String>,
    /// Why Quarry disabled the endpoint (a receiver answering 410 Gone), if it did.
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An endpoint with its signing secret, as answered on create and rotate (the only times the
/// secret is ever shown).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// `whsec_…`: keep it; it is not shown again.
    pub signing_secret: String,
}

/// A signing secret as stored: the current one has no expiry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct StoredSecret {
    secret: String,
    expires_at: Option<i64>,
}

/// What creating an endpoint takes.
#[derive(Clone, Debug, Default)]
pub struct NewEndpoint {
    pub url: String,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// What updating an endpoint may change (absent fields stay).
#[derive(Clone, Debug, Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

pub(crate) fn endpoint_key(org_id: &str, endpoint_id: &str) -> Key {
    Key::new(org_partition(org_id), format!("{ENDPOINT_SK}{endpoint_id}"))
}

/// Idempotency steps: registering an endpoint, and the one made for a job's `webhook_url`.
const STEP_CREATE: &str = "webhook";
const STEP_CREATE_FOR_JOB: &str = "job_webhook";

/// The organization's webhook endpoints, over the table.
#[derive(Clone)]
pub struct Endpoints {
    table: std::sync::Arc<dyn Table>,
    clock: SharedClock,
    policy: TargetPolicy,
}

impl Endpoints {
    pub fn new(table: std::sync::Arc<dyn Table>, clock: SharedClock, policy: TargetPolicy) -> Self {
        Endpoints { table, clock, policy }
    }

    fn now(&self) -> Timestamp {
        self.clock.now().into()
    }

    /// The guard endpoint URLs are checked against.
    pub fn policy(&self) -> TargetPolicy {
        self.policy
    }

    /// Registers an endpoint; its secret is in the answer and nowhere else.
    pub async fn create(&self, caller: &Caller, new: NewEndpoint) -> ResearchResult<EndpointWithSecret> {
        if let Some(created) = crate::idempotency::recovered(STEP_CREATE) {
            return Ok(created);
        }
        check_url(&new.url, caller.livemode, self.policy, "url")?;
        let events = check_events(new.events.unwrap_or_else(|| vec![ALL_EVENTS.into()]))?;
        let description = new.description.map(|d| check_description(&d)).transpose()?;
        let count = self.all(&caller.org_id).await?.iter().filter(|e| e.livemode == caller.livemode && e.job_id.is_none()).count();
        if count >= MAX_ENDPOINTS {
            return Err(ResearchError::Conflict(format!(
                "The organization already has {MAX_ENDPOINTS} webhook endpoints; delete one or subscribe an existing one to more events."
            )));
        }
        let endpoint = self.endpoint(caller, new.url, events, description, new.enabled.unwrap_or(true), None);
        self.insert(&caller.org_id, endpoint, STEP_CREATE).await
    }

    /// The endpoint for a job's `webhook_url`: it receives that job's events (every type).
    pub async fn create_for_job(&self, caller: &Caller, job_id: &str, url: &str) -> ResearchResult<EndpointWithSecret> {
        if let Some(created) = crate::idempotency::recovered(STEP_CREATE_FOR_JOB) {
            return Ok(created);
        }
        check_url(url, caller.livemode, self.policy, "webhook_url")?;
        let description = Some(format!("Events of job {job_id} (its webhook_url)"));
        let endpoint = self.endpoint(caller, url.to_string(), vec![ALL_EVENTS.into()], description, true, Some(job_id.to_string()));
        self.insert(&caller.org_id, endpoint, STEP_CREATE_FOR_JOB).await
    }

    fn endpoint(
        &self,
        caller: &Caller,
        url: String,
        events: Vec<String>,
        description: Option<String>,
        enabled: bool,
        job_id: Option<String>,
    ) -> Endpoint {
        let now = self.now();
        Endpoint {
            id: ids::new_id(ids::prefix::WEBHOOK),
            object: "webhook_endpoint".into(),
            url,
            events,
            description,
            enabled,
            livemode: caller.livemode,
            job_id,
            disabled_reason: None,
            created_at: now,
            updated_at: now,
        }
    }

    async fn insert(&self, org_id: &str, endpoint: Endpoint, step: &str) -> ResearchResult<EndpointWithSecret> {
        let secret = new_secret();
        let secrets = json!([StoredSecret { secret: secret.clone(), expires_at: None }]);
        let item = Item::from_record(endpoint_key(org_id, &endpoint.id), &endpoint)?.with(SECRETS, secrets);
        let created = EndpointWithSecret { endpoint, signing_secret: secret };
        crate::idempotency::put_with_outcome(self.table.as_ref(), item, Condition::Absent, step, &created).await?;
        Ok(created)
    }

    /// Every endpoint of the organization in both modes (at most a few dozen each), oldest first:
    /// what the fan-out matches events against (each endpoint takes only its own mode's events).
    pub(crate) async fn all(&self, org_id: &str) -> ResearchResult<Vec<Endpoint>> {
        let query = Query::partition(org_partition(org_id)).prefix(ENDPOINT_SK);
        let items = quarry_ports::table::query_all(self.table.as_ref(), query).await?;
        Ok(items.iter().map(Item::to_record).collect::<Result<_, _>>()?)
    }

    /// One page of the caller's endpoints (its organization and mode), oldest first by default.
    pub async fn list(
        &self,
        caller: &Caller,
        order: Order,
        limit: usize,
        cursor: Option<String>,
    ) -> ResearchResult<(Vec<Endpoint>, Option<String>)> {
        let base = Query::partition(org_partition(&caller.org_id)).prefix(ENDPOINT_SK).order(order).cursor(cursor);
        let keep = |item: &Item| -> quarry_ports::StoreResult<Option<Endpoint>> {
            let endpoint: Endpoint = item.to_record()?;
            Ok((endpoint.livemode == caller.livemode).then_some(endpoint))
        };
        Ok(quarry_ports::table::query_matching(self.table.as_ref(), base, limit, MAX_EXAMINED_PER_PAGE, keep).await?)
    }

    /// An endpoint of the caller, or 404 (an endpoint of the other mode included).
    async fn load(&self, caller: &Caller, endpoint_id: &str) -> ResearchResult<(Item, Endpoint)> {
        let not_found = || ResearchError::NotFound { what: "Webhook endpoint", id: endpoint_id.to_string(), param: "webhook_id" };
        if !ids::has_prefix(endpoint_id, ids::prefix::WEBHOOK) {
            return Err(not_found());
        }
        let item = self.table.get(&endpoint_key(&caller.org_id, endpoint_id)).await?.ok_or_else(not_found)?;
        let endpoint: Endpoint = item.to_record()?;
        if endpoint.livemode != caller.livemode {
            return Err(not_found());
        }
        Ok((item, endpoint))
    }

    pub async fn get(&self, caller: &Caller, endpoint_id: &str) -> ResearchResult<Endpoint> {
        Ok(self.load(caller, endpoint_id).await?.1)
    }

    /// Changes an endpoint. Re-enabling clears the reason Quarry disabled it.
    pub async fn update(&self, caller: &Caller, endpoint_id: &str, patch: EndpointPatch) -> ResearchResult<Endpoint> {
        let (_, mut endpoint) = self.load(caller, endpoint_id).await?;
        let mut update = Update::new();
        if let Some(url) = patch.url {
            check_url(&url, endpoint.livemode, self.policy, "url")?;
            update = update.set("url", url.as_str());
            endpoint.url = url;
        }
        if let Some(events) = patch.events {
            endpoint.events = check_events(events)?;
            update = update.set("events", json!(endpoint.events));
        }
        if let Some(description) = patch.description {
            endpoint.description = description.map(|d| check_description(&d)).transpose()?;
            update = update.set("description", json!(endpoint.description));
        }
        if let Some(enabled) = patch.enabled {
            endpoint.enabled = enabled;
            update = update.set("enabled", enabled);
            if enabled {
                endpoint.disabled_reason = None;
                update = update.set("disabled_reason", Value::Null);
            }
        }
        endpoint.updated_at = self.now();
        update = update.set("updated_at", endpoint.updated_at.to_string());
        self.table
            .update(&endpoint_key(&caller.org_id, endpoint_id), update, Condition::Exists)
            .await
            .map_err(not_found_if_gone(endpoint_id))?;
        Ok(endpoint)
    }

    /// Deletes an endpoint; deliveries already scheduled to it end `failed` when they come due.
    pub async fn delete(&self, caller: &Caller, endpoint_id: &str) -> ResearchResult<()> {
        self.load(caller, endpoint_id).await?;
        self.table.delete(&endpoint_key(&caller.org_id, endpoint_id), Condition::None).await?;
        Ok(())
    }

    /// A new signing secret; the previous one keeps signing for [`ROTATION_OVERLAP`].
    pub async fn rotate(&self, caller: &Caller, endpoint_id: &str) -> ResearchResult<EndpointWithSecret> {
        let org_id = caller.org_id.as_str();
        let (item, mut endpoint) = self.load(caller, endpoint_id).await?;
        let now = self.now();
        let until = now.unix() + ROTATION_OVERLAP.as_secs() as i64;
        let mut secrets: Vec<StoredSecret> =
            stored_secrets(&item).into_iter().filter(|s| s.expires_at.is_none_or(|at| at > now.unix())).collect();
        for old in &mut secrets {
            old.expires_at = Some(old.expires_at.map_or(until, |at| at.min(until)));
        }
        let secret = new_secret();
        secrets.insert(0, StoredSecret { secret: secret.clone(), expires_at: None });
        endpoint.updated_at = now;
        let update = Update::new().set(SECRETS, json!(secrets)).set("updated_at", now.to_string());
        // Conditioned on the secrets read, so two rotations at once cannot drop a secret.
        let condition = Condition::equals(SECRETS, item.attrs.get(SECRETS).cloned().unwrap_or(Value::Null));
        match self.table.update(&endpoint_key(org_id, endpoint_id), update, condition).await {
            Ok(_) => Ok(EndpointWithSecret { endpoint, signing_secret: secret }),
            Err(StoreError::ConditionFailed) => Err(ResearchError::Conflict("The endpoint changed meanwhile; rotate again.".into())),
            Err(e) => Err(e.into()),
        }
    }

    /// Disables an endpoint whose receiver said it is gone (HTTP 410).
    pub async fn disable_gone(&self, org_id: &str, endpoint_id: &str) -> ResearchResult<()> {
        let now = self.now();
        let update = Update::new()
            .set("enabled", false)
            .set("disabled_reason", "The receiver answered 410 Gone; re-enable the endpoint once it accepts deliveries again.")
            .set("updated_at", now.to_string());
        match self.table.update(&endpoint_key(org_id, endpoint_id), update, Condition::Exists).await {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

fn not_found_if_gone(endpoint_id: &str) -> impl FnOnce(StoreError) -> ResearchError + '_ {
    move |e| match e {
        StoreError::ConditionFailed => {
            ResearchError::NotFound { what: "Webhook endpoint", id: endpoint_id.to_string(), param: "webhook_id" }
        }
        e => e.into(),
    }
}

/// The secrets that sign a delivery now: the current one first, then any still overlapping.
pub(crate) fn signing_secrets(item: &Item, now_unix: i64) -> Vec<String> {
    stored_secrets(item).into_iter().filter(|s| s.expires_at.is_none_or(|at| at > now_unix)).map(|s| s.secret).collect()
}

fn stored_secrets(item: &Item) -> Vec<StoredSecret> {
    item.attrs.get(SECRETS).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
}

/// An absolute http(s) URL; `https` for live endpoints; no credentials; not an internal address
/// written as an IP literal (names are checked when they are resolved, at every delivery).
fn check_url(url: &str, livemode: bool, policy: TargetPolicy, param: &str) -> ResearchResult<()> {
    let invalid = |message: String| crate::filters::url_error(url, param, message);
    if url.chars().count() > MAX_URL_CHARS {
        return Err(invalid(format!("`{param}` must be at most {MAX_URL_CHARS} characters.")));
    }
    let parsed = url::Url::parse(url).map_err(|e| invalid(format!("`{param}` must be an absolute URL ({e}).")))?;
    match parsed.scheme() {
        "https" => {}
        "http" if !livemode => {}
        "http" => return Err(invalid(format!("Live-mode endpoints must use https; `{param}` is http."))),
        other => return Err(invalid(format!("`{param}` must be an http or https URL, not {other}."))),
    }
    if parsed.host().is_none() || !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(format!("`{param}` must name a host and carry no credentials.")));
    }
    quarry_engine::net::check_target(&parsed, policy).map_err(|reason| invalid(format!("`{param}` is refused: {reason}.")))
}

/// Known event types (or `*`), deduplicated in the order given.
fn check_events(events: Vec<String>) -> ResearchResult<Vec<String>> {
    if events.is_empty() {
        return Err(ResearchError::invalid("events", "`events` must name at least one event type, or `*` for all."));
    }
    if events.len() > EventType::ALL.len() + 1 {
        let message = format!(
            "`events` lists {} entries; there are {} event types and `*`, each named at most once.",
            events.len(),
            EventType::ALL.len()
        );
        return Err(ResearchError::invalid("events", message));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, event) in events.into_iter().enumerate() {
        let known = event == ALL_EVENTS || EventType::ALL.iter().any(|t| t.as_str() == event);
        if !known {
            return Err(ResearchError::invalid(
                format!("events[{i}]"),
                format!("`{event}` is not an event type; use `*` or one of: {}.", EventType::ALL.map(|t| t.as_str()).join(", ")),
            ));
        }
        if !out.contains(&event) {
            out.push(event);
        }
    }
    Ok(out)
}

fn check_description(description: &str) -> ResearchResult<String> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ResearchError::invalid("description", format!("`description` must be at most {MAX_DESCRIPTION_CHARS} characters.")));
    }
    Ok(description.to_string())
}

/// Whether `endpoint` receives `event`: its type and mode, for a job-scoped endpoint its job, and
/// only events recorded since the endpoint was created (a new endpoint gets no backlog). "Since"
/// compares the time-ordered IDs, which also order records made within one clock tick.
pub(crate) fn subscribed(endpoint: &Endpoint, event: &crate::events::Event, job_id: Option<&str>) -> bool {
    let type_ok = endpoint.events.iter().any(|e| e == ALL_EVENTS || e == event.kind.as_str());
    let job_ok = endpoint.job_id.as_deref().is_none_or(|wanted| job_id == Some(wanted));
    endpoint.enabled && endpoint.livemode == event.livemode && type_ok && job_ok && id_order(&event.id) > id_order(&endpoint.id)
}

/// The ULID part of an ID, which sorts by creation.
fn id_order(id: &str) -> &str {
    id.split_once('_').map_or(id, |(_, ulid)| ulid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_for_mode_scheme_and_target() {
        assert!(check_url("https://hooks.example.com/q", true, TargetPolicy::PublicOnly, "url").is_ok());
        assert!(check_url("http://hooks.example.com/q", false, TargetPolicy::PublicOnly, "url").is_ok());
        // Not an http(s) URL at all: 400.
        for url in ["ftp://hooks.example.com/q", "/relative"] {
            assert!(matches!(check_url(url, false, TargetPolicy::PublicOnly, "url"), Err(ResearchError::Invalid { .. })), "{url}");
        }
        // An http(s) URL that cannot be used: 422.
        for (url, live) in [
            ("http://hooks.example.com/q", true),
            ("https://user:pw@hooks.example.com/", false),
            ("https://169.254.169.254/latest", false),
            ("http://127.0.0.1:9/", false),
        ] {
            let refused = check_url(url, live, TargetPolicy::PublicOnly, "url");
            assert!(matches!(refused, Err(ResearchError::Unprocessable { .. })), "{url}");
        }
        assert!(check_url("http://127.0.0.1:9/", false, TargetPolicy::AllowLoopback, "url").is_ok());
    }

    #[test]
    fn events_must_be_known() {
        assert_eq!(check_events(vec!["job.succeeded".into(), "*".into(), "job.succeeded".into()]).unwrap(), ["job.succeeded", "*"]);
        match check_events(vec!["job.succeeded".into(), "job.exploded".into()]) {
            Err(ResearchError::Invalid { param, .. }) => assert_eq!(param, "events[1]"),
            other => panic!("{other:?}"),
        }
        assert!(check_events(vec![]).is_err());
    }

    #[test]
    fn subscriptions_follow_type_mode_job_and_time() {
        let now = Timestamp::from_unix(1_776_000_000).unwrap();
        let event = |kind, livemode, at| {
            crate::events::Event::new(kind, &serde_json::json!({}), livemode, Timestamp::from_unix(at).unwrap()).unwrap()
        };
        let backlog = event(EventType::JobSucceeded, false, 1_776_000_001);
        let mut endpoint = Endpoint {
            id: crate::ids::new_id(crate::ids::prefix::WEBHOOK),
            object: "webhook_endpoint".into(),
            url: "https://x.example/".into(),
            events: vec!["job.succeeded".into()],
            description: None,
            enabled: true,
            livemode: false,
            job_id: None,
            disabled_reason: None,
            created_at: now,
            updated_at: now,
        };
        let succeeded = event(EventType::JobSucceeded, false, 1_776_000_001);
        assert!(subscribed(&endpoint, &succeeded, Some("job_1")));
        assert!(!subscribed(&endpoint, &event(EventType::JobFailed, false, 1_776_000_001), Some("job_1")));
        assert!(
            !subscribed(&endpoint, &event(EventType::JobSucceeded, true, 1_776_000_001), Some("job_1")),
            "live events never reach test endpoints"
        );
        assert!(!subscribed(&endpoint, &backlog, Some("job_1")), "no backlog");
        endpoint.job_id = Some("job_2".into());
        endpoint.events = vec!["*".into()];
        assert!(!subscribed(&endpoint, &succeeded, Some("job_1")));
        assert!(subscribed(&endpoint, &succeeded, Some("job_2")));
        endpoint.enabled = false;
        assert!(!subscribed(&endpoint, &succeeded, Some("job_2")));
    }
}
