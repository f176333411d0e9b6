//! The step worker: executes the background tasks of the steps queue. On AWS it is the
//! `step-worker` Lambda (SQS-triggered, one invocation per batch); locally it is a tokio task
//! polling the embedded queue ([`Worker::run`]). Both call [`Worker::handle_body`], so there is one
//! implementation of every task.
//!
//! Delivery is at least once. Every task is idempotent, and a task that is not finished in one
//! run enqueues its own continuation before its message is acknowledged, so a crash at any point
//! repeats work but never loses it. A message that keeps failing goes to the dead-letter queue
//! after [`quarry_ports::storage::MAX_RECEIVES`] receives.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::jobs::web::{WebSettings, WebSource};
use crate::jobs::JobRunner;
use crate::leads::export::Exports;
use crate::research::cascade::{CascadeProgress, ThreadCascade};
use crate::settings::Settings;
use crate::tasks::Task;
use crate::webhooks::deliveries::{DELIVERY_TIMEOUT, FANOUT_BATCH};
use crate::webhooks::{Deliveries, Endpoints};
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use quarry_engine::crawl::CrawlConfig;
use quarry_engine::net::{guarded_client, FetchLimits, Fetcher, TargetPolicy};
use quarry_ports::clock::SharedClock;
use quarry_ports::storage::{Storage, MAX_RECEIVES};
use quarry_ports::{Queue, Received, StoreResult};

/// How long a received message stays hidden while the local worker handles it.
pub const LOCAL_VISIBILITY: Duration = Duration::from_secs(5 * 60);
/// How long the local worker sleeps when the queue is empty.
pub const LOCAL_IDLE_POLL: Duration = Duration::from_millis(200);
/// How often the local worker runs the job watchdog (the `scheduler` function does on AWS).
pub const WATCHDOG_EVERY: Duration = Duration::from_secs(60);
/// How often the local worker sweeps the event outbox and releases due webhook retries (the
/// `scheduler` function does every minute on AWS).
pub const LOCAL_SCHEDULE_EVERY: Duration = Duration::from_secs(1);
/// Messages the local worker takes per receive (SQS's maximum).
const LOCAL_BATCH: usize = 10;
/// Steps the local worker runs at once (each may be a job chunk: CPU and memory bound).
const LOCAL_STEPS_IN_FLIGHT: usize = LOCAL_BATCH;
/// Webhook deliveries the local worker makes at once. They mostly wait (on the receiver, on the
/// disk), and the more of them wait together the more writes share each commit.
const LOCAL_DELIVERIES_IN_FLIGHT: usize = 64;

/// What one run of the scheduled duties did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Scheduled {
    pub jobs_woken: usize,
    pub events_fanned_out: usize,
    pub deliveries_released: usize,
}

/// Executes tasks over the storage ports.
#[derive(Clone)]
pub struct Worker {
    storage: Storage,
    clock: SharedClock,
    /// Outbound requests of live sources (seed files), behind the guard the environment sets.
    fetcher: Fetcher,
    /// Webhook fan-out and delivery (their POSTs pass the same guard).
    deliveries: Deliveries,
    /// The web engine for live jobs (same guard and host overrides as `fetcher`).
    web: WebSource,
    /// One fan-out at a time in this process ([`FanOutGate`]).
    fan_out_gate: Arc<FanOutGate>,
}

/// Most outbox batches one fan-out message works through before it hands the rest to a fresh
/// message (keeps one message far inside a Lambda's time limit).
const FANOUT_BATCHES_PER_MESSAGE: usize = 50;

/// Lets one fan-out run at a time in a process. Every write that records events nudges the
/// fan-out, so under load thousands of nudges queue up; run side by side, they all read the same
/// outbox batch and all but one of them do its work for nothing (the 64-wide notification lane
/// fell to about 160 deliveries a second that way). A nudge that arrives while a fan-out runs
/// only marks that more may be waiting, and the running one goes round again, so no nudge is
/// lost; a crash loses nothing either, as the outbox itself is the record of what is left.
#[derive(Default)]
struct FanOutGate {
    running: std::sync::atomic::AtomicBool,
    again: std::sync::atomic::AtomicBool,
}

impl Worker {
    /// The worker an operator configures, from the settings read once at start: the target
    /// policy (`QUARRY_ALLOW_PRIVATE_TARGETS`), pinned host addresses (`QUARRY_RESOLVE`), email
    /// verification (`QUARRY_VERIFY_EMAILS`, `QUARRY_DNS_SERVERS`) and web search
    /// (`QUARRY_SEARCH_*`).
    pub fn new(storage: Storage, clock: SharedClock, settings: &Settings) -> Self {
        let (outbound, web) = (&settings.outbound, &settings.web);
        tracing::info!(verify_emails = web.verifier.is_some(), web_search = web.search.is_some(), "web engine settings");
        let fetcher = Fetcher::with_hosts(outbound.policy, FetchLimits::ATTACHMENT, outbound.hosts.clone());
        Self::with_fetcher(storage, clock, fetcher).with_web_settings(web)
    }

    /// A worker with an explicit outbound policy, no host overrides, and neither email
    /// verification nor web search (test suites allow their loopback fixtures).
    pub fn with_target_policy(storage: Storage, clock: SharedClock, policy: TargetPolicy) -> Self {
        Self::with_fetcher(storage, clock, Fetcher::new(policy, FetchLimits::ATTACHMENT))
    }

    /// A worker whose outbound requests go through `fetcher` (its policy, and host overrides for
    /// a fixture web in tests, apply to seed files, crawls and webhook deliveries alike).
    pub fn with_fetcher(storage: Storage, clock: SharedClock, fetcher: Fetcher) -> Self {
        let policy = fetcher.policy();
        let endpoints = Endpoints::new(storage.table.clone(), clock.clone(), policy);
        let client = guarded_client(policy, DELIVERY_TIMEOUT);
        let deliveries =
            Deliveries::new(storage.table.clone(), storage.deliveries.clone(), storage.blobs.clone(), clock.clone(), client, endpoints);
        let web = WebSource::new(fetcher.with_limits(CrawlConfig::default().page_limits));
        Worker { storage, clock, fetcher, deliveries, web, fan_out_gate: Arc::default() }
    }

    /// Verifies emails and searches the web as `settings` say (read once at start-up).
    pub fn with_web_settings(mut self, settings: &WebSettings) -> Self {
        self.web = self.web.with_settings(settings);
        self
    }

    /// Holds webhook retries longer than `delay` in the table rather than the queue (tests pass
    /// zero so a manual clock drives every retry through the scheduler).
    pub fn with_max_queue_delay(mut self, delay: Duration) -> Self {
        self.deliveries = self.deliveries.with_max_queue_delay(delay);
        self
    }

    /// The webhook deliveries this worker makes.
    pub fn deliveries(&self) -> &Deliveries {
        &self.deliveries
    }

    /// The periodic duties of the `scheduler` (every minute on AWS; the local loop runs them
    /// itself): wake stalled jobs, sweep the event outbox, release webhook retries that are due.
    pub async fn scheduled(&self) -> StoreResult<Scheduled> {
        let jobs_woken = self.runner().watchdog().await?;
        let events_fanned_out = self.sweep_outbox().await?;
        let deliveries_released = self.deliveries.release_due().await?;
        Ok(Scheduled { jobs_woken, events_fanned_out, deliveries_released })
    }

    /// Fans out the whole outbox, batch after batch (bounded, so one run cannot loop forever).
    async fn sweep_outbox(&self) -> StoreResult<usize> {
        let mut total = 0;
        for _ in 0..10 {
            let taken = self.deliveries.fan_out().await?;
            total += taken;
            if taken < FANOUT_BATCH {
                break;
            }
        }
        Ok(total)
    }

    /// Handles one message body: runs the task once and enqueues its continuation if it is not
    /// finished. An error means the message should be delivered again.
    pub async fn handle_body(&self, body: &str) -> StoreResult<()> {
        let task = Task::from_body(body)?;
        self.handle(&task).await
    }

    /// Runs `task` once, enqueueing what remains of it.
    pub async fn handle(&self, task: &Task) -> StoreResult<()> {
        match task {
            Task::DeleteThread { org_id, thread_id } => {
                let cascade =
                    ThreadCascade { table: self.storage.table.as_ref(), blobs: self.storage.blobs.as_ref(), clock: self.clock.as_ref() };
                match cascade.run(org_id, thread_id).await? {
                    CascadeProgress::Done => {
                        tracing::info!(org_id, thread_id, "thread deleted");
                        crate::events::nudge_fan_out(self.storage.deliveries.as_ref()).await;
                        Ok(())
                    }
                    CascadeProgress::Continue => self.storage.steps.send(&task.to_body(), Duration::ZERO).await.map(drop),
                    CascadeProgress::WaitFor(delay) => self.storage.steps.send(&task.to_body(), delay).await.map(drop),
                }
            }
            Task::RunJob { org_id, job_id, position } => self.runner().run_chunk(org_id, job_id, position).await,
            Task::FanOut => self.fan_out_once_at_a_time().await,
            Task::Deliver { org_id, webhook_id, delivery_id, attempt } => {
                self.deliveries.deliver(org_id, webhook_id, delivery_id, *attempt).await
            }
            Task::ExportLeads { org_id, export_id } => self.exports().run(org_id, export_id, self.clock.now().into()).await,
        }
    }

    /// Fans the outbox out, unless a fan-out is already running in this process, which then goes
    /// round once more ([`FanOutGate`]).
    async fn fan_out_once_at_a_time(&self) -> StoreResult<()> {
        use std::sync::atomic::Ordering::SeqCst;
        let gate = &self.fan_out_gate;
        gate.again.store(true, SeqCst);
        let mut batches = 0;
        // Whoever sets `again` after the running fan-out last looked at it, and finds it still
        // running, is answered by the check after `running` is cleared.
        while gate.again.load(SeqCst) && !gate.running.swap(true, SeqCst) {
            let outcome = async {
                while gate.again.swap(false, SeqCst) {
                    batches += 1;
                    if self.deliveries.fan_out().await? == FANOUT_BATCH {
                        gate.again.store(true, SeqCst); // more are waiting
                    }
                    if batches >= FANOUT_BATCHES_PER_MESSAGE && gate.again.load(SeqCst) {
                        // Continue in a fresh message, on the notification lane.
                        self.storage.deliveries.send(&Task::FanOut.to_body(), Duration::ZERO).await?;
                        gate.again.store(false, SeqCst);
                    }
                }
                Ok::<(), quarry_ports::StoreError>(())
            }
            .await;
            gate.running.store(false, SeqCst);
            outcome?;
        }
        Ok(())
    }

    /// Lead exports over this worker's storage.
    fn exports(&self) -> Exports<'_> {
        let s = &self.storage;
        Exports { table: s.table.as_ref(), blobs: s.blobs.as_ref(), steps: s.steps.as_ref() }
    }

    /// The job runner over this worker's storage.
    pub fn runner(&self) -> JobRunner {
        let s = &self.storage;
        JobRunner::new(s.table.clone(), s.blobs.clone(), s.steps.clone(), self.clock.clone(), self.fetcher.clone(), self.web.clone())
            .with_notifications(s.deliveries.clone())
    }

    /// Handles one delivery of a message. On the last delivery SQS allows ([`MAX_RECEIVES`]), a
    /// job task that still fails ends its job `failed` (`job_halted`) instead of leaving it
    /// running with no message left to move it.
    pub async fn handle_delivery(&self, body: &str, receive_count: u32) -> StoreResult<()> {
        let outcome = self.handle_body(body).await;
        match (outcome, Task::from_body(body)) {
            (Err(e), Ok(Task::RunJob { org_id, job_id, .. })) if receive_count >= MAX_RECEIVES => {
                tracing::error!(org_id, job_id, error = %e, "job task failed on its last delivery; failing the job");
                self.runner().fail(&org_id, &job_id, &format!("A step kept failing: {e}")).await
            }
            (Err(e), Ok(Task::ExportLeads { org_id, export_id })) if receive_count >= MAX_RECEIVES => {
                tracing::error!(org_id, export_id, error = %e, "export failed on its last delivery");
                self.exports().fail(&org_id, &export_id, "The export could not be written; try again.", self.clock.now().into()).await
            }
            (outcome, _) => outcome,
        }
    }

    /// Handles one received message; answers its receipt when it is done (to be acknowledged),
    /// `None` when it failed and should come back after its visibility timeout.
    async fn finish(&self, message: Received) -> Option<String> {
        match self.handle_delivery(&message.body, message.receive_count).await {
            Ok(()) => Some(message.receipt),
            Err(e) => {
                tracing::warn!(message_id = %message.id, receives = message.receive_count, error = %e, "task failed; it will be retried");
                None
            }
        }
    }

    /// Acknowledges handled messages in one call; a failure only means they repeat.
    async fn acknowledge(queue: &dyn Queue, receipts: &mut Vec<String>) {
        if receipts.is_empty() {
            return;
        }
        if let Err(e) = queue.delete_batch(receipts).await {
            tracing::warn!(messages = receipts.len(), error = %e, "could not acknowledge handled tasks; they will repeat");
        }
        receipts.clear();
    }

    /// The local worker: the steps queue and the deliveries queue each polled by its own loop,
    /// plus the scheduled duties, until `shutdown` resolves.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let shutdown = futures_util::FutureExt::shared(Box::pin(shutdown));
        tokio::join!(
            self.poll_loop(self.storage.steps.clone(), LOCAL_STEPS_IN_FLIGHT, shutdown.clone()),
            self.poll_loop(self.storage.deliveries.clone(), LOCAL_DELIVERIES_IN_FLIGHT, shutdown.clone()),
            self.schedule_loop(shutdown),
        );
    }

    /// Polls `queue` until `shutdown`, handling up to `in_flight` messages at once, each on its
    /// own: a message starts as soon as any slot is free, so one slow webhook receiver (or one
    /// long chunk) never holds up the messages received with it.
    async fn poll_loop(&self, queue: Arc<dyn Queue>, in_flight: usize, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut running = FuturesUnordered::new();
        let mut handled = Vec::new();
        loop {
            // Everything finished since the last turn is acknowledged together.
            while let Some(Some(done)) = running.next().now_or_never() {
                handled.extend(done);
            }
            Self::acknowledge(queue.as_ref(), &mut handled).await;
            let room = (in_flight - running.len()).min(LOCAL_BATCH);
            let received = if room == 0 {
                Vec::new()
            } else {
                queue.receive(room, LOCAL_VISIBILITY).await.unwrap_or_else(|e| {
                    tracing::error!(error = %e, "worker could not poll its queue");
                    Vec::new()
                })
            };
            let idle = received.is_empty();
            for message in received {
                running.push(self.finish(message));
            }
            if !idle && running.len() < in_flight {
                continue; // there may be more waiting: take them while there is room
            }
            // Stopping mid-task is safe: the message comes back and the task repeats.
            tokio::select! {
                biased;
                _ = &mut shutdown => return Self::acknowledge(queue.as_ref(), &mut handled).await,
                Some(done) = running.next(), if !running.is_empty() => handled.extend(done),
                _ = tokio::time::sleep(LOCAL_IDLE_POLL), if running.len() < in_flight => {}
            }
        }
    }

    /// The scheduler's duties, locally: the outbox and due retries every second, the job
    /// watchdog every minute.
    async fn schedule_loop(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut watchdog_due = tokio::time::Instant::now();
        loop {
            if tokio::time::Instant::now() >= watchdog_due {
                watchdog_due += WATCHDOG_EVERY;
                if let Err(e) = self.runner().watchdog().await {
                    tracing::error!(error = %e, "job watchdog failed");
                }
            }
            if let Err(e) = self.sweep_outbox().await {
                tracing::error!(error = %e, "webhook outbox sweep failed");
            }
            if let Err(e) = self.deliveries.release_due().await {
                tracing::error!(error = %e, "releasing due webhook deliveries failed");
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(LOCAL_SCHEDULE_EVERY) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Event, EventLog, EventType, OUTBOX};
    use quarry_ports::clock::ManualClock;
    use quarry_ports::Query;

    /// Fan-out messages handled side by side run one at a time, and the one running goes round
    /// again for the others: together they empty an outbox of several batches, where each used
    /// to take one batch and queue the rest as a new message.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn side_by_side_fan_outs_empty_the_outbox_between_them() {
        let dir = tempfile::tempdir().unwrap();
        let clock: SharedClock = ManualClock::new();
        let embedded = quarry_store::Embedded::open(dir.path(), "http://127.0.0.1:9", b"k".to_vec(), clock.clone()).unwrap();
        let worker = Worker::with_target_policy(embedded.storage.clone(), clock.clone(), TargetPolicy::LoopbackOnly);
        let events = 3 * FANOUT_BATCH + 12;
        for i in 0..events {
            let event =
                Event::new(EventType::JobSucceeded, &serde_json::json!({"id": format!("job_{i}")}), false, clock.now().into()).unwrap();
            EventLog::new(embedded.storage.table.as_ref()).record("org_1", &event).await.unwrap();
        }
        let handled = futures_util::future::join_all((0..8).map(|_| worker.handle(&Task::FanOut))).await;
        assert!(handled.iter().all(Result::is_ok), "{handled:?}");
        assert!(embedded.storage.table.query(Query::gsi1(OUTBOX)).await.unwrap().items.is_empty(), "nothing is left for later");
        assert!(
            embedded.storage.deliveries.receive(10, Duration::from_secs(30)).await.unwrap().is_empty(),
            "and no continuation was needed"
        );
    }
}
