//! Webhook deliveries: fan-out from the event log, signed POSTs with retries, the delivery log.
//!
//! **Fan-out.** Every recorded event enters an outbox (see [`crate::events`]). [`Deliveries::fan_out`]
//! takes the oldest events from it, writes one delivery record per subscribed endpoint (IDs fixed by
//! event and endpoint, so doing it twice creates nothing twice), queues each delivery, and only
//! then takes the event out of the outbox. A crash anywhere repeats the step; nothing is lost.
//!
//! **Delivery.** [`Deliveries::deliver`] first claims the attempt (a conditional write on the
//! record's `lease`, so two copies of one message never both send), POSTs the signed payload with
//! a [`DELIVERY_TIMEOUT`], and records the outcome on the same lease: 2xx is success; 410 Gone
//! disables the endpoint; anything else, or no answer, schedules the next attempt after
//! [`RETRY_SCHEDULE`] (±10% jitter, or later if the receiver's `Retry-After` asks), until the
//! last attempt ends the delivery `failed`.
//!
//! **Waiting.** A retry due within [`MAX_QUEUE_DELAY`] (SQS's limit) is sent as a delayed queue
//! message; a later one is held in the table under the `DLVDUE` index and released by
//! [`Deliveries::release_due`], which the `scheduler` runs every minute. Every pending delivery
//! stays in that index (for queued ones, a grace period after they are due), so a lost message
//! is released again: delivery is at least once, and `Leadex-Delivery` lets receivers dedupe.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::endpoints::{endpoint_key, signing_secrets, subscribed, Endpoint, Endpoints};
use super::signing;
use crate::accounts::{org_partition, Caller};
use crate::error::{ResearchError, ResearchResult};
use crate::events::{Event, EVENT_SK, OUTBOX, OUTBOX_EVENT_SK, OUTBOX_SK};
use crate::ids;
use crate::jobs::artifact::Format;
use crate::tasks::Task;
use quarry_ports::clock::{SharedClock, Timestamp};
use quarry_ports::table::{GSI1_PK, GSI1_SK};
use quarry_ports::{Blobs, Condition, Item, Key, KeyRange, Order, Query, Queue, StoreError, StoreResult, Table, Update, WriteOp};

/// Waits before the 2nd, 3rd, … attempt (the published schedule).
pub const RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(2 * 60),
    Duration::from_secs(10 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
];
/// Attempts in all: the first and one per wait of the schedule.
pub const MAX_ATTEMPTS: u32 = RETRY_SCHEDULE.len() as u32 + 1;
/// How long a receiver has to answer.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest payload sent. A bigger event object is replaced by a stub `{id, object, truncated:
/// true}`; the receiver fetches the object from the API.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;
/// Longest wait handed to the queue (SQS's maximum message delay); longer waits are held in the table.
pub const MAX_QUEUE_DELAY: Duration = Duration::from_secs(15 * 60);
/// How long delivery records are kept.
pub const DELIVERY_RETENTION_SECS: i64 = 30 * 24 * 3600;
/// Longest response body kept on a delivery record.
const RESPONSE_SNIPPET_CHARS: usize = 1024;
/// How long a claimed attempt is protected from a second sender (well past the timeout).
const CLAIM: Duration = Duration::from_secs(60);
/// After a queued delivery is due, how long before the scheduler assumes its message was lost.
const QUEUE_GRACE: Duration = Duration::from_secs(5 * 60);
/// Events fanned out per run.
pub const FANOUT_BATCH: usize = 100;
/// Deliveries released per scheduler run.
const RELEASE_BATCH: usize = 100;
/// Secondary-index partition of pending deliveries, by due time.
const DUE_INDEX: &str = "DLVDUE";
const DELIVERY_SK: &str = "DLV#";
const LEASE: &str = "lease";
const PAYLOAD: &str = "payload";

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

/// One event's delivery to one endpoint: the webhook delivery object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: String,
    #[schema(example = "webhook_delivery")]
    pub object: String,
    pub webhook_id: String,
    pub event_id: String,
    pub event_type: String,
    /// The attempt made last (or about to be made), from 1.
    pub attempt: u32,
    pub status: DeliveryStatus,
    /// HTTP status of the last answer, if there was one.
    pub response_status: Option<u16>,
    /// How long the last attempt took, in milliseconds.
    pub response_time_ms: Option<u64>,
    /// The start of the last answer's body (at most 1,024 characters).
    pub response_body: Option<String>,
    /// Why the last attempt failed without an answer (timeout, refused target, …).
    pub error: Option<String>,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn delivery_key(org_id: &str, webhook_id: &str, delivery_id: &str) -> Key {
    Key::new(org_partition(org_id), format!("{DELIVERY_SK}{webhook_id}#{delivery_id}"))
}

fn due_sk(due_unix: i64, org_id: &str, webhook_id: &str, delivery_id: &str) -> String {
    format!("{due_unix:012}#{org_id}#{webhook_id}#{delivery_id}")
}

fn lease(attempt: u32, until_unix: i64) -> String {
    format!("{attempt}:{until_unix}")
}

fn parse_lease(raw: &str) -> Option<(u32, i64)> {
    let (attempt, until) = raw.split_once(':')?;
    Some((attempt.parse().ok()?, until.parse().ok()?))
}

/// The delivery ID of `event_id` to `webhook_id`: the same every time fan-out meets the pair.
fn fanout_delivery_id(event: &Event, webhook_id: &str) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(format!("{}/{webhook_id}", event.id).as_bytes());
    let random = u128::from_be_bytes(hash[..16].try_into().expect("16 bytes"));
    let ms = event.created_at.0.timestamp_millis().max(0) as u64;
    format!("{}_{}", ids::prefix::DELIVERY, ulid::Ulid::from_parts(ms, random))
}

/// The job an event concerns: the job itself, or the `job_id` of its object.
fn job_of(event: &Event) -> Option<&str> {
    let object = &event.data.object;
    if object.get("object").and_then(Value::as_str) == Some("job") {
        return object.get("id").and_then(Value::as_str);
    }
    object.get("job_id").and_then(Value::as_str)
}

/// The body sent for `event`: the event itself, or with a stub object when over the size limit.
fn payload(event: &Event) -> StoreResult<String> {
    let full = serde_json::to_string(event).map_err(|e| StoreError::Backend(e.to_string()))?;
    if full.len() <= MAX_PAYLOAD_BYTES {
        return Ok(full);
    }
    let object = &event.data.object;
    let stub = json!({"id": object.get("id"), "object": object.get("object"), "truncated": true});
    let mut smaller = event.clone();
    smaller.data.object = stub;
    serde_json::to_string(&smaller).map_err(|e| StoreError::Backend(e.to_string()))
}

/// The wait before attempt `next` (2 or later): the schedule with ±10% jitter, or the receiver's
/// `Retry-After` when that is later (at most the schedule's longest wait).
fn retry_delay(next: u32, retry_after: Option<Duration>) -> Duration {
    let base = RETRY_SCHEDULE[(next as usize).saturating_sub(2).min(RETRY_SCHEDULE.len() - 1)];
    let jitter = 0.9 + rand::random::<f64>() * 0.2;
    let scheduled = base.mul_f64(jitter);
    let longest = RETRY_SCHEDULE[RETRY_SCHEDULE.len() - 1];
    retry_after.map_or(scheduled, |asked| scheduled.max(asked.min(longest)))
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    Some(Duration::from_secs((at.timestamp() - now.unix()).max(0) as u64))
}

/// What happened to one attempt.
struct Outcome {
    status: Option<u16>,
    elapsed_ms: u64,
    body: Option<String>,
    error: Option<String>,
    retry_after: Option<Duration>,
}

/// Fans events out and delivers them.
#[derive(Clone)]
pub struct Deliveries {
    table: Arc<dyn Table>,
    queue: Arc<dyn Queue>,
    /// Where artifacts live: `artifact.created` carries a link signed at delivery time.
    blobs: Arc<dyn Blobs>,
    clock: SharedClock,
    client: reqwest::Client,
    endpoints: Endpoints,
    max_queue_delay: Duration,
}

impl Deliveries {
    /// Deliveries over `table`, queued on `queue` (the deliveries queue), POSTing with `client`
    /// (see [`quarry_engine::net::guarded_client`]).
    pub fn new(
        table: Arc<dyn Table>,
        queue: Arc<dyn Queue>,
        blobs: Arc<dyn Blobs>,
        clock: SharedClock,
        client: reqwest::Client,
        endpoints: Endpoints,
    ) -> Self {
        Deliveries { table, queue, blobs, clock, client, endpoints, max_queue_delay: MAX_QUEUE_DELAY }
    }

    /// Holds retries longer than `delay` in the table instead of the queue (tests set zero, so a
    /// manual clock drives every retry).
    pub fn with_max_queue_delay(mut self, delay: Duration) -> Self {
        self.max_queue_delay = delay.min(MAX_QUEUE_DELAY);
        self
    }

    fn now(&self) -> Timestamp {
        self.clock.now().into()
    }

    /// Fans out up to [`FANOUT_BATCH`] events from the outbox; returns how many it took out
    /// (fewer than it read when a concurrent fan-out took them first). The outbox holds small
    /// markers ([`Event::record_ops`]): an event is read only when its organization has an
    /// endpoint. The batch costs three writes whatever its size: the new delivery records in one
    /// call, their first attempts in one queue batch, the marker removals in one call.
    pub async fn fan_out(&self) -> StoreResult<usize> {
        let page = self.table.query(Query::gsi1(OUTBOX).limit(FANOUT_BATCH)).await?;
        let mut cached: Option<(String, Vec<Endpoint>)> = None;
        let mut pending: Vec<(Task, Item)> = Vec::new();
        for item in &page.items {
            let Some(org_id) = item.key.pk.strip_prefix("ORG#") else { continue };
            if cached.as_ref().is_none_or(|(org, _)| org != org_id) {
                let endpoints = self.endpoints.all(org_id).await.map_err(into_store)?;
                cached = Some((org_id.to_string(), endpoints));
            }
            let endpoints = cached.as_ref().map(|(_, e)| e.as_slice()).unwrap_or_default();
            if endpoints.is_empty() {
                continue; // nobody listens: the event only leaves the outbox
            }
            let Some(event) = self.outbox_event(item).await? else { continue };
            for endpoint in endpoints.iter().filter(|e| subscribed(e, &event, job_of(&event))) {
                let id = fanout_delivery_id(&event, &endpoint.id);
                let (_, record) = self.pending_record(org_id, &endpoint.id, &id, &event.id, event.kind.as_str(), payload(&event)?)?;
                let task = Task::Deliver { org_id: org_id.into(), webhook_id: endpoint.id.clone(), delivery_id: id, attempt: 1 };
                pending.push((task, record));
            }
        }
        if !pending.is_empty() {
            let (tasks, records): (Vec<Task>, Vec<Item>) = pending.into_iter().unzip();
            let creates = records.into_iter().map(|item| vec![WriteOp::Put { item, condition: Condition::Absent }]).collect();
            let created = self.table.transact_groups(creates).await?;
            // A record that existed was fanned out before: its first attempt was queued then (or
            // the scheduler releases it).
            let first_attempts: Vec<String> = tasks.iter().zip(created).filter(|(_, new)| *new).map(|(task, _)| task.to_body()).collect();
            if !first_attempts.is_empty() {
                self.queue.send_batch(&first_attempts, Duration::ZERO).await?;
            }
        }
        self.leave_outbox(&page.items).await
    }

    /// The event an outbox entry stands for: its marker's event, read from the table (`None`
    /// once the event has expired), or the entry itself where an event recorded before the
    /// markers existed carries its outbox entry on its own item.
    async fn outbox_event(&self, entry: &Item) -> StoreResult<Option<Event>> {
        if entry.key.sk.starts_with(EVENT_SK) {
            return entry.to_record().map(Some);
        }
        let Some(event_sk) = entry.str(OUTBOX_EVENT_SK) else { return Ok(None) };
        self.table.get(&Key::new(entry.key.pk.clone(), event_sk)).await?.map(|item| item.to_record()).transpose()
    }

    /// Takes fanned-out entries out of the outbox and returns how many this call took out. Each
    /// removal holds only while the entry is still in the outbox, so when fan-outs race over one
    /// batch (the worker runs queued ones side by side, and every job chunk queues one), those
    /// that lost count nothing and their chains of continuations end. Counting what they read
    /// instead kept every chain alive while the outbox held a full batch: a 10,000-row job's
    /// 20,000 `lead.qualified` events were fanned out many times over (61 s instead of 21 s).
    async fn leave_outbox(&self, entries: &[Item]) -> StoreResult<usize> {
        if entries.is_empty() {
            return Ok(0);
        }
        let removals = entries
            .iter()
            .map(|entry| {
                let key = entry.key.clone();
                let op = if key.sk.starts_with(OUTBOX_SK) {
                    WriteOp::Delete { key, condition: Condition::Exists }
                } else {
                    // An event recorded before the markers: it stays, out of the outbox.
                    let done = Update::new().remove(GSI1_PK).remove(GSI1_SK);
                    WriteOp::Update { key, update: done, condition: Condition::equals(GSI1_PK, OUTBOX) }
                };
                vec![op]
            })
            .collect();
        Ok(self.table.transact_groups(removals).await?.into_iter().filter(|&taken| taken).count())
    }

    /// A pending delivery of an event to an endpoint, and its table record (first attempt due now).
    fn pending_record(
        &self,
        org_id: &str,
        webhook_id: &str,
        id: &str,
        event_id: &str,
        event_type: &str,
        body: String,
    ) -> StoreResult<(Delivery, Item)> {
        let now = self.now();
        let delivery = Delivery {
            id: id.into(),
            object: "webhook_delivery".into(),
            webhook_id: webhook_id.into(),
            event_id: event_id.into(),
            event_type: event_type.into(),
            attempt: 1,
            status: DeliveryStatus::Pending,
            response_status: None,
            response_time_ms: None,
            response_body: None,
            error: None,
            next_attempt_at: Some(now),
            created_at: now,
            updated_at: now,
        };
        let safety_net = now.unix() + QUEUE_GRACE.as_secs() as i64;
        let item = Item::from_record(delivery_key(org_id, webhook_id, id), &delivery)?
            .with(PAYLOAD, body)
            .with(LEASE, lease(1, 0))
            .with("org_id", org_id)
            .with_gsi1(DUE_INDEX, due_sk(safety_net, org_id, webhook_id, id))
            .expires_at(now.unix() + DELIVERY_RETENTION_SECS);
        Ok((delivery, item))
    }

    /// Writes a pending delivery and queues its first attempt (nothing when it already exists),
    /// recorded as the outcome of the request that asked for it (a redelivery or a test).
    async fn create(
        &self,
        org_id: &str,
        webhook_id: &str,
        id: String,
        event_id: &str,
        event_type: &str,
        body: String,
    ) -> StoreResult<Delivery> {
        let (delivery, item) = self.pending_record(org_id, webhook_id, &id, event_id, event_type, body)?;
        match crate::idempotency::put_with_outcome(self.table.as_ref(), item, Condition::Absent, STEP_DELIVERY, &delivery).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => return Ok(delivery),
            Err(e) => return Err(e),
        }
        self.enqueue(org_id, webhook_id, &id, 1, Duration::ZERO).await?;
        Ok(delivery)
    }

    async fn enqueue(&self, org_id: &str, webhook_id: &str, delivery_id: &str, attempt: u32, delay: Duration) -> StoreResult<()> {
        let task = Task::Deliver { org_id: org_id.into(), webhook_id: webhook_id.into(), delivery_id: delivery_id.into(), attempt };
        self.queue.send(&task.to_body(), delay).await.map(drop)
    }

    /// Makes attempt `attempt` of a delivery, unless that attempt is no longer due (a duplicate
    /// or stale message) or another sender holds it.
    pub async fn deliver(&self, org_id: &str, webhook_id: &str, delivery_id: &str, attempt: u32) -> StoreResult<()> {
        let key = delivery_key(org_id, webhook_id, delivery_id);
        let Some(item) = self.table.get(&key).await? else { return Ok(()) };
        let delivery: Delivery = item.to_record()?;
        let now = self.now();
        let held = item.str(LEASE).and_then(parse_lease);
        let claimable = held.is_some_and(|(at, until)| at == attempt && until <= now.unix());
        if delivery.status != DeliveryStatus::Pending || delivery.attempt != attempt || !claimable {
            return Ok(());
        }
        let claimed = lease(attempt, now.unix() + CLAIM.as_secs() as i64);
        let claim = Update::new().set(LEASE, claimed.as_str());
        match self.table.update(&key, claim, Condition::equals(LEASE, item.str(LEASE).unwrap_or_default())).await {
            Ok(_) => {}
            Err(StoreError::ConditionFailed) => return Ok(()), // another sender has it
            Err(e) => return Err(e),
        }
        let endpoint_item = self.table.get(&endpoint_key(org_id, webhook_id)).await?;
        let endpoint: Option<Endpoint> = endpoint_item.as_ref().map(Item::to_record).transpose()?;
        let outcome = match (&endpoint_item, &endpoint) {
            (Some(raw), Some(endpoint)) if endpoint.enabled => {
                let secrets = signing_secrets(raw, now.unix());
                let body = self.with_fresh_link(org_id, &delivery, item.str(PAYLOAD).unwrap_or("{}")).await;
                self.post(endpoint, &secrets, &delivery, body).await
            }
            (_, Some(_)) => Outcome::refusal("The endpoint is disabled."),
            _ => Outcome::refusal("The endpoint was deleted."),
        };
        self.record(&key, org_id, &delivery, &claimed, outcome, endpoint.is_some_and(|e| e.enabled)).await
    }

    /// The body of an attempt: the stored payload, and for `artifact.created` the artifact's
    /// `download_url` and `expires_at` signed now, so the receiver can download the file without
    /// another call (a link stored with the event would have expired before a late retry).
    async fn with_fresh_link(&self, org_id: &str, delivery: &Delivery, stored: &str) -> String {
        if delivery.event_type != "artifact.created" {
            return stored.to_string();
        }
        let Ok(mut event) = serde_json::from_str::<Value>(stored) else { return stored.to_string() };
        let object = &mut event["data"]["object"];
        let Some(artifact_id) = object["id"].as_str().map(str::to_string) else { return stored.to_string() };
        let format = object["format"].as_str().and_then(Format::parse).unwrap_or(Format::Csv);
        match crate::jobs::artifact::signed_link(self.blobs.as_ref(), org_id, &artifact_id, format).await {
            Ok(link) => {
                object["download_url"] = link.url.into();
                object["expires_at"] = json!(Timestamp::from(link.expires_at));
            }
            Err(e) => tracing::warn!(error = %e, artifact_id, "could not sign the artifact's link; delivering without it"),
        }
        serde_json::to_string(&event).unwrap_or_else(|_| stored.to_string())
    }

    /// One signed POST.
    async fn post(&self, endpoint: &Endpoint, secrets: &[String], delivery: &Delivery, body: String) -> Outcome {
        let timestamp = self.clock.unix();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let mut request = self.client.post(&endpoint.url).header("content-type", "application/json");
        for (name, value) in signing::headers(&secrets, &delivery.id, &delivery.event_type, timestamp, body.as_bytes()) {
            request = request.header(name, value);
        }
        if let Ok(url) = url::Url::parse(&endpoint.url) {
            // IP literals never reach the resolver, so they are vetted here at every attempt.
            if let Err(reason) = quarry_engine::net::check_target(&url, self.endpoints.policy()) {
                return Outcome::refusal(&format!("The endpoint's address is refused: {reason}."));
            }
        }
        let started = Instant::now();
        match request.body(body).send().await {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let retry_after =
                    response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| parse_retry_after(v, self.now()));
                let mut snippet = Vec::new();
                while let Ok(Some(chunk)) = response.chunk().await {
                    snippet.extend_from_slice(&chunk);
                    if snippet.len() >= RESPONSE_SNIPPET_CHARS * 4 {
                        break;
                    }
                }
                let text: String = String::from_utf8_lossy(&snippet).chars().take(RESPONSE_SNIPPET_CHARS).collect();
                let elapsed_ms = started.elapsed().as_millis() as u64;
                Outcome { status: Some(status), elapsed_ms, body: Some(text).filter(|t| !t.is_empty()), error: None, retry_after }
            }
            Err(e) => {
                let error = if e.is_timeout() {
                    format!("No answer within {} s.", DELIVERY_TIMEOUT.as_secs())
                } else {
                    format!("Could not reach the endpoint: {}", innermost(&e))
                };
                Outcome {
                    status: None,
                    elapsed_ms: started.elapsed().as_millis() as u64,
                    body: None,
                    error: Some(error),
                    retry_after: None,
                }
            }
        }
    }

    /// Records an attempt's outcome on the lease it was claimed with; schedules the next attempt
    /// or ends the delivery.
    async fn record(
        &self,
        key: &Key,
        org_id: &str,
        delivery: &Delivery,
        claimed: &str,
        outcome: Outcome,
        endpoint_live: bool,
    ) -> StoreResult<()> {
        let now = self.now();
        let succeeded = outcome.status.is_some_and(|s| (200..300).contains(&s));
        let gone = outcome.status == Some(410);
        let retry = !succeeded && !gone && endpoint_live && delivery.attempt < MAX_ATTEMPTS;
        let mut update = Update::new()
            .set("response_status", json!(outcome.status))
            .set("response_time_ms", outcome.elapsed_ms)
            .set("response_body", json!(outcome.body))
            .set("error", json!(outcome.error))
            .set("updated_at", now.to_string());
        let mut queued = None;
        if retry {
            let next = delivery.attempt + 1;
            let wait = retry_delay(next, outcome.retry_after);
            let due = now.unix() + wait.as_secs() as i64;
            let in_queue = wait <= self.max_queue_delay;
            let release_at = if in_queue { due + QUEUE_GRACE.as_secs() as i64 } else { due };
            update = update
                .set("attempt", next)
                .set(LEASE, lease(next, 0))
                .set("next_attempt_at", Timestamp::from_unix(due).map(|t| t.to_string()))
                .set(GSI1_SK, due_sk(release_at, org_id, &delivery.webhook_id, &delivery.id));
            queued = in_queue.then_some((next, wait));
        } else {
            let status = if succeeded { DeliveryStatus::Succeeded } else { DeliveryStatus::Failed };
            update =
                update.set("status", json!(status)).set("next_attempt_at", Value::Null).set(LEASE, "done").remove(GSI1_PK).remove(GSI1_SK);
        }
        match self.table.update(key, update, Condition::equals(LEASE, claimed)).await {
            Ok(_) => {}
            Err(StoreError::ConditionFailed) => return Ok(()), // the claim lapsed and another attempt took over
            Err(e) => return Err(e),
        }
        if gone {
            self.endpoints.disable_gone(org_id, &delivery.webhook_id).await.map_err(into_store)?;
        }
        if let Some((next, wait)) = queued {
            self.enqueue(org_id, &delivery.webhook_id, &delivery.id, next, wait).await?;
        }
        Ok(())
    }

    /// Queues the pending deliveries that are due (held retries, and queued ones whose message
    /// seems lost); returns how many.
    pub async fn release_due(&self) -> StoreResult<usize> {
        let now = self.now().unix();
        let query = Query::gsi1(DUE_INDEX).range(KeyRange::To(format!("{now:012}#~"))).limit(RELEASE_BATCH);
        let page = self.table.query(query).await?;
        let mut released = 0;
        for item in page.items {
            let delivery: Delivery = item.to_record()?;
            let (Some(org_id), Some(raw_lease)) = (item.str("org_id"), item.str(LEASE)) else { continue };
            // Not released again while its message is out, unless that one is lost too.
            let later = due_sk(now + QUEUE_GRACE.as_secs() as i64, org_id, &delivery.webhook_id, &delivery.id);
            match self.table.update(&item.key, Update::new().set(GSI1_SK, later), Condition::equals(LEASE, raw_lease)).await {
                Ok(_) => {}
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(e),
            }
            // A lapsed claim (the sender died mid-attempt) is cleared so the attempt can run again.
            if parse_lease(raw_lease).is_some_and(|(_, until)| until != 0 && until <= now) {
                let reset = Update::new().set(LEASE, lease(delivery.attempt, 0));
                if self.table.update(&item.key, reset, Condition::equals(LEASE, raw_lease)).await.is_err() {
                    continue;
                }
            }
            self.enqueue(org_id, &delivery.webhook_id, &delivery.id, delivery.attempt, Duration::ZERO).await?;
            released += 1;
        }
        Ok(released)
    }

    /// One page of an endpoint's deliveries, newest first by default.
    pub async fn list(
        &self,
        caller: &Caller,
        webhook_id: &str,
        order: Order,
        limit: usize,
        cursor: Option<String>,
    ) -> ResearchResult<(Vec<Delivery>, Option<String>)> {
        self.endpoints.get(caller, webhook_id).await?;
        let org_id = caller.org_id.as_str();
        let query =
            Query::partition(org_partition(org_id)).prefix(format!("{DELIVERY_SK}{webhook_id}#")).order(order).limit(limit).cursor(cursor);
        let page = self.table.query(query).await?;
        let deliveries = page.items.iter().map(Item::to_record).collect::<Result<_, _>>()?;
        Ok((deliveries, page.next_cursor))
    }

    /// Sends the event of a past delivery again, as a new delivery.
    pub async fn redeliver(&self, caller: &Caller, webhook_id: &str, delivery_id: &str) -> ResearchResult<Delivery> {
        if let Some(delivery) = crate::idempotency::recovered(STEP_DELIVERY) {
            return Ok(delivery);
        }
        self.endpoints.get(caller, webhook_id).await?;
        let org_id = caller.org_id.as_str();
        let not_found = || ResearchError::NotFound { what: "Webhook delivery", id: delivery_id.to_string(), param: "delivery_id" };
        if !ids::has_prefix(delivery_id, ids::prefix::DELIVERY) {
            return Err(not_found());
        }
        let item = self.table.get(&delivery_key(org_id, webhook_id, delivery_id)).await?.ok_or_else(not_found)?;
        let old: Delivery = item.to_record()?;
        let body = item.str(PAYLOAD).unwrap_or("{}").to_string();
        let id = ids::new_id(ids::prefix::DELIVERY);
        Ok(self.create(org_id, webhook_id, id, &old.event_id, &old.event_type, body).await?)
    }

    /// Delivers a `webhook.test` event (the endpoint as its object) through the same path as
    /// every other event.
    pub async fn send_test(&self, caller: &Caller, webhook_id: &str) -> ResearchResult<Delivery> {
        if let Some(delivery) = crate::idempotency::recovered(STEP_DELIVERY) {
            return Ok(delivery);
        }
        let endpoint = self.endpoints.get(caller, webhook_id).await?;
        let org_id = caller.org_id.as_str();
        let now = self.now();
        let event_id = ids::new_id(ids::prefix::EVENT);
        let body = json!({
            "id": event_id,
            "type": TEST_EVENT,
            "created_at": now,
            "livemode": endpoint.livemode,
            "data": {"object": endpoint},
        });
        let id = ids::new_id(ids::prefix::DELIVERY);
        Ok(self.create(org_id, webhook_id, id, &event_id, TEST_EVENT, body.to_string()).await?)
    }
}

/// The idempotency step of a redelivery or a test delivery.
const STEP_DELIVERY: &str = "delivery";

/// The type of the event `POST /v1/webhooks/{id}/test` sends (outside the catalog on purpose).
pub const TEST_EVENT: &str = "webhook.test";

impl Outcome {
    fn refusal(message: &str) -> Outcome {
        Outcome { status: None, elapsed_ms: 0, body: None, error: Some(message.to_string()), retry_after: None }
    }
}

fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

fn into_store(e: ResearchError) -> StoreError {
    match e {
        ResearchError::Store(e) => e,
        other => StoreError::Backend(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_with_bounded_jitter() {
        for (i, base) in RETRY_SCHEDULE.iter().enumerate() {
            let next = i as u32 + 2;
            for _ in 0..50 {
                let wait = retry_delay(next, None);
                assert!(wait >= base.mul_f64(0.9) && wait <= base.mul_f64(1.1), "attempt {next}: {wait:?}");
            }
        }
        assert_eq!(MAX_ATTEMPTS, 8);
        let asked = retry_delay(2, Some(Duration::from_secs(120)));
        assert_eq!(asked, Duration::from_secs(120), "Retry-After later than the schedule wins");
        assert!(retry_delay(2, Some(Duration::from_secs(1))) >= Duration::from_millis(4500), "but never earlier");
        assert_eq!(retry_delay(2, Some(Duration::from_secs(10 * 24 * 3600))), RETRY_SCHEDULE[6], "and never beyond a day");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = Timestamp::from_unix(1_776_000_000).unwrap();
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        let date = chrono::DateTime::from_timestamp(1_776_000_300, 0).unwrap().to_rfc2822();
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(300)));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn oversized_objects_are_replaced_by_a_stub() {
        let now = Timestamp::from_unix(1_776_000_000).unwrap();
        let small = Event::new(crate::events::EventType::JobSucceeded, &json!({"id": "job_1", "object": "job"}), false, now).unwrap();
        assert_eq!(payload(&small).unwrap(), serde_json::to_string(&small).unwrap());
        let big = json!({"id": "job_1", "object": "job", "summary": "x".repeat(MAX_PAYLOAD_BYTES)});
        let big = Event::new(crate::events::EventType::JobSucceeded, &big, false, now).unwrap();
        let sent: Value = serde_json::from_str(&payload(&big).unwrap()).unwrap();
        assert_eq!(sent["data"]["object"], json!({"id": "job_1", "object": "job", "truncated": true}));
        assert_eq!(sent["id"], json!(big.id));
    }

    /// Deliveries over a fresh embedded store: (the service, its table, its endpoints, the
    /// directory to keep alive).
    fn embedded_deliveries() -> (Deliveries, Arc<dyn Table>, Endpoints, SharedClock, tempfile::TempDir) {
        use quarry_ports::clock::ManualClock;
        use quarry_store::sqlite::{QueueSettings, SqliteDb, SqliteQueue, SqliteTable};

        let dir = tempfile::tempdir().unwrap();
        let clock: SharedClock = ManualClock::new();
        let db = SqliteDb::open(&dir.path().join("q.db")).unwrap();
        let table: Arc<dyn Table> = Arc::new(SqliteTable::new(db.clone(), clock.clone()));
        let queue: Arc<dyn Queue> = Arc::new(SqliteQueue::new(db, clock.clone(), QueueSettings::plain("deliveries")));
        let endpoints = Endpoints::new(table.clone(), clock.clone(), quarry_engine::net::TargetPolicy::LoopbackOnly);
        let blobs =
            Arc::new(quarry_store::files::FileBlobs::new(dir.path().join("blobs"), "http://127.0.0.1:9", b"k".to_vec(), clock.clone()));
        let deliveries = Deliveries::new(table.clone(), queue, blobs, clock.clone(), reqwest::Client::new(), endpoints.clone());
        (deliveries, table, endpoints, clock, dir)
    }

    /// An event recorded before the outbox markers existed (its own item in the outbox index)
    /// is fanned out beside a new one, and stays stored, out of the outbox.
    #[tokio::test]
    async fn events_recorded_before_the_markers_are_still_fanned_out() {
        let (deliveries, table, endpoints, clock, _dir) = embedded_deliveries();
        let caller = Caller { org_id: "org_1".into(), livemode: false, plans_per_day: None, key_id: None, member_id: None };
        let new =
            super::super::endpoints::NewEndpoint { url: "http://127.0.0.1:9/hook".into(), events: None, description: None, enabled: None };
        let endpoint = endpoints.create(&caller, new).await.unwrap().endpoint;
        let now: Timestamp = clock.now().into();
        let old = Event::new(crate::events::EventType::JobSucceeded, &json!({"id": "job_old"}), false, now).unwrap();
        let old_key = Key::new("ORG#org_1", format!("{EVENT_SK}{}", old.id));
        let old_sk = format!("{:013}#{}", now.0.timestamp_millis(), old.id);
        table.put(Item::from_record(old_key.clone(), &old).unwrap().with_gsi1(OUTBOX, old_sk), Condition::Absent).await.unwrap();
        let new = Event::new(crate::events::EventType::JobSucceeded, &json!({"id": "job_new"}), false, now).unwrap();
        crate::events::EventLog::new(table.as_ref()).record("org_1", &new).await.unwrap();

        assert_eq!(deliveries.fan_out().await.unwrap(), 2, "both leave the outbox");
        assert!(table.query(Query::gsi1(OUTBOX)).await.unwrap().items.is_empty());
        for event in [&old, &new] {
            let record = table.get(&delivery_key("org_1", &endpoint.id, &fanout_delivery_id(event, &endpoint.id))).await.unwrap();
            assert!(record.is_some(), "a delivery of {}", event.id);
        }
        let kept = table.get(&old_key).await.unwrap().expect("the old event stays in the log");
        assert_eq!(kept.to_record::<Event>().unwrap(), old);
        assert!(kept.str(GSI1_PK).is_none(), "and is out of the outbox index");
    }

    /// Fan-outs racing over one outbox (the worker runs queued ones side by side) each take out
    /// only what they removed, together every event exactly once, and leave no event behind.
    #[tokio::test]
    async fn racing_fan_outs_take_each_event_once() {
        let (deliveries, table, _, clock, _dir) = embedded_deliveries();
        let now: Timestamp = clock.now().into();
        let events = 2 * FANOUT_BATCH + 37;
        for i in 0..events {
            let event = Event::new(crate::events::EventType::JobSucceeded, &json!({"id": format!("job_{i}")}), false, now).unwrap();
            crate::events::EventLog::new(table.as_ref()).record("org_1", &event).await.unwrap();
        }
        let mut taken = 0;
        for _ in 0..20 {
            let round = futures_util::future::join_all((0..4).map(|_| deliveries.fan_out())).await;
            let round: usize = round.into_iter().map(Result::unwrap).sum();
            taken += round;
            if round == 0 {
                break;
            }
        }
        assert_eq!(taken, events, "every event leaves the outbox once: none counted twice, none left");
        assert!(table.query(Query::gsi1(OUTBOX)).await.unwrap().items.is_empty());
    }

    #[test]
    fn fanout_ids_are_stable_per_event_and_endpoint() {
        let now = Timestamp::from_unix(1_776_000_000).unwrap();
        let event = Event::new(crate::events::EventType::JobSucceeded, &json!({}), false, now).unwrap();
        assert_eq!(fanout_delivery_id(&event, "whk_1"), fanout_delivery_id(&event, "whk_1"));
        assert_ne!(fanout_delivery_id(&event, "whk_1"), fanout_delivery_id(&event, "whk_2"));
        assert!(fanout_delivery_id(&event, "whk_1").starts_with("dlv_"));
    }
}
