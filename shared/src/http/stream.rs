//! The `stream` endpoint group: a job's log as Server-Sent Events.
//!
//! The stream reads the same stored log as `GET /v1/jobs/{id}/logs`, so a reconnect with
//! `Last-Event-ID` resumes exactly where the client left off and sees what a live client saw.
//! It polls the log every [`POLL_EVERY`], sends a `:ping` comment after [`PING_EVERY`] without
//! events, closes after the terminal entry (`done`, `error`, `stopped`) or after [`IDLE_TIMEOUT`]
//! without events. Open streams hold a lease in the table (refreshed while open, expiring
//! [`LEASE_TTL`] after a crash), and the tier's SSE-connection limit counts live leases.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use axum::response::IntoResponse;
use futures_util::stream::{self, Stream};
use tokio::time::Instant;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, Read};
use super::error::{ApiError, ApiResult};
use super::extract::ApiPath;
use super::params::JobIdPath;
use super::responses::{BadRequest, NotFound, StreamLimit, V1Errors};
use super::AppState;
use crate::accounts::org_partition;
use crate::ids::{new_id, prefix};
use crate::jobs::log::LogEntry;
use crate::jobs::Jobs;
use quarry_ports::{Condition, Item, Key, Query, Table};

/// How often an open stream looks for new log entries.
pub const POLL_EVERY: Duration = Duration::from_secs(1);
/// A `:ping` comment is sent after this long without events, so proxies keep the connection.
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// A stream with no events for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// A lease outlives its last refresh by this much (so a crashed server frees its slots).
pub const LEASE_TTL: Duration = Duration::from_secs(90);

const LEASE_SK: &str = "SSE#";

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream_job))
}

/// A job's events as Server-Sent Events: `log`, `step`, `result`, `artifact`, then `done`,
/// `stopped` or `error`, each with an `id:`. Reconnect with `Last-Event-ID` to resume.
#[utoipa::path(get, path = "/v1/jobs/{job_id}/stream", operation_id = "jobs.stream", tag = "stream",
    params(JobIdPath, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event (the `id` of an event of this stream: digits)", pattern = "^[0-9]{1,32}$")),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream"),
        BadRequest, NotFound, StreamLimit, V1Errors))]
async fn stream_job(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    ApiPath(JobIdPath { job_id }): ApiPath<JobIdPath>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    state.jobs().job(&state.caller(&auth), &job_id).await?;
    let after = headers.get("last-event-id").map(|v| v.to_str().unwrap_or("?"));
    if let Some(id) = after {
        if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid("Last-Event-ID", "`Last-Event-ID` must be the `id` of an event of this stream."));
        }
    }
    let limit = auth.organization.limits().sse_connections;
    let lease = Lease::take(state.storage().table.clone(), state.clock().clone(), auth.org_id(), limit).await?;
    let cursor = Cursor {
        runner: state.jobs().clone(),
        org_id: auth.org_id().to_string(),
        job_id,
        after: after.map(str::to_string),
        pending: VecDeque::new(),
        last_event: Instant::now(),
        last_ping: Instant::now(),
        finished: false,
        lease,
    };
    Ok(Sse::new(events(cursor)))
}

/// What the stream has read so far.
struct Cursor {
    runner: Jobs,
    org_id: String,
    job_id: String,
    after: Option<String>,
    pending: VecDeque<LogEntry>,
    last_event: Instant,
    last_ping: Instant,
    finished: bool,
    lease: Lease,
}

fn to_event(entry: &LogEntry) -> Event {
    Event::default().id(&entry.id).event(entry.kind.as_str()).data(entry.data.to_string())
}

fn events(cursor: Cursor) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(entry) = c.pending.pop_front() {
                c.finished = entry.kind.is_terminal();
                c.after = Some(entry.id.clone());
                c.last_event = Instant::now();
                return Some((Ok(to_event(&entry)), c));
            }
            if c.finished || c.last_event.elapsed() >= IDLE_TIMEOUT {
                return None;
            }
            match c.runner.log_after(&c.org_id, &c.job_id, c.after.as_deref(), 100).await {
                Ok(batch) if !batch.is_empty() => {
                    c.pending.extend(batch);
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(job_id = %c.job_id, error = %e, "stream could not read the job log; retrying"),
            }
            if c.last_event.elapsed() >= PING_EVERY && c.last_ping.elapsed() >= PING_EVERY {
                c.last_ping = Instant::now();
                c.lease.refresh().await;
                return Some((Ok(Event::default().comment("ping")), c));
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    })
}

/// One open stream's slot in the organization's SSE-connection limit.
struct Lease {
    table: std::sync::Arc<dyn Table>,
    clock: quarry_ports::clock::SharedClock,
    key: Key,
}

impl Lease {
    /// Takes a slot, or answers 429 when the organization's live leases are at the limit.
    async fn take(table: std::sync::Arc<dyn Table>, clock: quarry_ports::clock::SharedClock, org_id: &str, limit: u32) -> ApiResult<Lease> {
        let live = table.query(Query::partition(org_partition(org_id)).prefix(LEASE_SK).limit(limit as usize + 1)).await?;
        if live.items.len() >= limit as usize {
            return Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                super::error::ErrorCode::RateLimit,
                format!("Your tier allows {limit} open streams at once. Close one, or poll GET /v1/jobs/{{id}} instead."),
            )
            .header(axum::http::header::RETRY_AFTER, 5));
        }
        let lease = Lease { table, clock, key: Key::new(org_partition(org_id), format!("{LEASE_SK}{}", new_id(prefix::REQUEST))) };
        lease.refresh().await;
        Ok(lease)
    }

    async fn refresh(&self) {
        let item = Item::new(self.key.clone()).expires_at(self.clock.unix() + LEASE_TTL.as_secs() as i64);
        if let Err(e) = self.table.put(item, Condition::None).await {
            tracing::warn!(error = %e, "could not refresh a stream lease");
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Dropped when the client goes away or the stream ends: free the slot in the background.
        let (table, key) = (self.table.clone(), self.key.clone());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = table.delete(&key, Condition::None).await;
            });
        }
    }
}
