//! The organization's event log: every event of the webhook catalog that Quarry emits is recorded
//! here, in the same transaction as the change it reports, so no event is lost on a crash and
//! none is recorded for a change that did not happen. The webhook dispatcher reads the log and
//! fans events out to endpoints; the payload is the object as the API returns it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::ids::{new_id, org_partition, prefix};
use quarry_ports::clock::Timestamp;
use quarry_ports::{Condition, Item, Key, Order, Query, StoreResult, Table, WriteOp};

/// How long events stay in the log (webhook delivery logs are kept as long).
pub const EVENT_RETENTION_SECS: i64 = 30 * 24 * 3600;
/// Sort-key prefix of events in the organization's partition.
pub(crate) const EVENT_SK: &str = "EVT#";
/// Secondary-index partition of the outbox: one small marker item per event not yet fanned out
/// to webhook endpoints.
pub(crate) const OUTBOX: &str = "OUTBOX";
/// Sort-key prefix of outbox markers in the organization's partition.
pub(crate) const OUTBOX_SK: &str = "OUTBOX#";
/// The attribute of an outbox marker naming its event's sort key.
pub(crate) const OUTBOX_EVENT_SK: &str = "event_sk";

/// The event catalog. Names follow the Leadex contract exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "thread.created")]
    ThreadCreated,
    #[serde(rename = "thread.deleted")]
    ThreadDeleted,
    #[serde(rename = "message.created")]
    MessageCreated,
    #[serde(rename = "plan.created")]
    PlanCreated,
    #[serde(rename = "plan.rejected")]
    PlanRejected,
    #[serde(rename = "job.approved")]
    JobApproved,
    #[serde(rename = "job.started")]
    JobStarted,
    #[serde(rename = "job.step.started")]
    JobStepStarted,
    #[serde(rename = "job.step.completed")]
    JobStepCompleted,
    #[serde(rename = "job.step.failed")]
    JobStepFailed,
    #[serde(rename = "job.progress")]
    JobProgress,
    #[serde(rename = "job.succeeded")]
    JobSucceeded,
    #[serde(rename = "job.failed")]
    JobFailed,
    #[serde(rename = "job.stopped")]
    JobStopped,
    #[serde(rename = "leads.delivered")]
    LeadsDelivered,
    /// A lead scored hot (`lead_score` ≥ 70) when it was first stored: one event per lead.
    #[serde(rename = "lead.qualified")]
    LeadQualified,
    #[serde(rename = "artifact.created")]
    ArtifactCreated,
    #[serde(rename = "integration.push.completed")]
    IntegrationPushCompleted,
    #[serde(rename = "integration.push.failed")]
    IntegrationPushFailed,
    #[serde(rename = "usage.budget.warning")]
    UsageBudgetWarning,
    #[serde(rename = "usage.budget.exceeded")]
    UsageBudgetExceeded,
    #[serde(rename = "api_key.rotated")]
    ApiKeyRotated,
    /// The balance fell under 20 % of the period's grant (the LeadScraper event), once a period.
    #[serde(rename = "credit.low")]
    CreditLow,
}

impl EventType {
    /// The catalog, in documentation order.
    pub const ALL: [EventType; 23] = [
        EventType::ThreadCreated,
        EventType::ThreadDeleted,
        EventType::MessageCreated,
        EventType::PlanCreated,
        EventType::PlanRejected,
        EventType::JobApproved,
        EventType::JobStarted,
        EventType::JobStepStarted,
        EventType::JobStepCompleted,
        EventType::JobStepFailed,
        EventType::JobProgress,
        EventType::JobSucceeded,
        EventType::JobFailed,
        EventType::JobStopped,
        EventType::LeadsDelivered,
        EventType::LeadQualified,
        EventType::ArtifactCreated,
        EventType::IntegrationPushCompleted,
        EventType::IntegrationPushFailed,
        EventType::UsageBudgetWarning,
        EventType::UsageBudgetExceeded,
        EventType::ApiKeyRotated,
        EventType::CreditLow,
    ];

    /// The wire name, e.g. `plan.created`.
    pub fn as_str(self) -> &'static str {
        // Kept in the order of `ALL`; a unit test checks it against the serde names.
        const NAMES: [&str; 23] = [
            "thread.created",
            "thread.deleted",
            "message.created",
            "plan.created",
            "plan.rejected",
            "job.approved",
            "job.started",
            "job.step.started",
            "job.step.completed",
            "job.step.failed",
            "job.progress",
            "job.succeeded",
            "job.failed",
            "job.stopped",
            "leads.delivered",
            "lead.qualified",
            "artifact.created",
            "integration.push.completed",
            "integration.push.failed",
            "usage.budget.warning",
            "usage.budget.exceeded",
            "api_key.rotated",
            "credit.low",
        ];
        NAMES[EventType::ALL.iter().position(|t| *t == self).expect("in the catalog")]
    }
}

/// One recorded event, shaped as its webhook payload: `{id, type, created_at, livemode, data: {object}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub created_at: Timestamp,
    /// False for events caused by test keys.
    pub livemode: bool,
    pub data: EventData,
}

/// The object an event is about, as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventData {
    #[schema(value_type = Object)]
    pub object: Value,
}

impl Event {
    /// A new event about `object` (anything the API serialises: a thread, a plan, …).
    pub fn new(kind: EventType, object: &impl Serialize, livemode: bool, now: Timestamp) -> StoreResult<Event> {
        let object = serde_json::to_value(object).map_err(|e| quarry_ports::StoreError::Invalid(format!("event object: {e}")))?;
        Ok(Event { id: new_id(prefix::EVENT), kind, created_at: now, livemode, data: EventData { object } })
    }

    /// The writes that record the event, to put in the transaction of the change it reports: the
    /// event, and its marker in the webhook outbox (which the fan-out deletes once it has created
    /// the event's deliveries), so an event recorded is an event delivered. The marker is a small
    /// item of its own, so taking an event out of the outbox neither reads nor rewrites the event
    /// (a `lead.qualified` event holds a whole lead), and the outbox index holds only markers.
    pub fn record_ops(&self, org_id: &str) -> StoreResult<[WriteOp; 2]> {
        let partition = org_partition(org_id);
        let expires = self.created_at.unix() + EVENT_RETENTION_SECS;
        let event_sk = format!("{EVENT_SK}{}", self.id);
        let outbox_sk = format!("{:013}#{}", self.created_at.0.timestamp_millis().max(0), self.id);
        let marker = Item::new(Key::new(partition.clone(), format!("{OUTBOX_SK}{outbox_sk}")))
            .with(OUTBOX_EVENT_SK, event_sk.clone())
            .expires_at(expires)
            .with_gsi1(OUTBOX, outbox_sk);
        let event = Item::from_record(Key::new(partition, event_sk), self)?.expires_at(expires);
        Ok([WriteOp::Put { item: event, condition: Condition::Absent }, WriteOp::Put { item: marker, condition: Condition::Absent }])
    }
}

/// Asks the step worker to fan recently recorded events out to webhook endpoints now. Best
/// effort: if this message is lost, the scheduler's sweep of the outbox delivers the events
/// within a minute, so callers never fail a request over it.
pub async fn nudge_fan_out(steps: &dyn quarry_ports::Queue) {
    let body = crate::tasks::Task::FanOut.to_body();
    if let Err(e) = steps.send(&body, std::time::Duration::ZERO).await {
        tracing::warn!(error = %e, "could not queue the webhook fan-out; the scheduler's sweep will");
    }
}

/// Reads an organization's event log.
pub struct EventLog<'a> {
    table: &'a dyn Table,
}

impl<'a> EventLog<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        EventLog { table }
    }

    /// Appends one event on its own (for events that report no other write, e.g. `plan.rejected`).
    pub async fn record(&self, org_id: &str, event: &Event) -> StoreResult<()> {
        self.table.transact(event.record_ops(org_id)?.into()).await
    }

    /// One page of the log, oldest first (`Order::Asc`) or newest first.
    pub async fn page(
        &self,
        org_id: &str,
        order: Order,
        limit: usize,
        cursor: Option<String>,
    ) -> StoreResult<(Vec<Event>, Option<String>)> {
        let query = Query::partition(org_partition(org_id)).prefix(EVENT_SK).order(order).limit(limit).cursor(cursor);
        let page = self.table.query(query).await?;
        let events = page.items.iter().map(Item::to_record).collect::<StoreResult<Vec<Event>>>()?;
        Ok((events, page.next_cursor))
    }

    /// Every event in the log, oldest first.
    pub async fn all(&self, org_id: &str) -> StoreResult<Vec<Event>> {
        let query = Query::partition(org_partition(org_id)).prefix(EVENT_SK);
        quarry_ports::table::query_all_records(self.table, query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_names_match_serde() {
        assert_eq!(EventType::ALL.len(), 23);
        for t in EventType::ALL {
            assert_eq!(serde_json::to_value(t).unwrap(), Value::String(t.as_str().to_string()));
        }
    }
}
