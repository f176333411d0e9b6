//! Crash safety of the job runner: a 500-row test-mode job whose worker is killed at random
//! points, over and over, ends with exactly the leads and the artifact of an undisturbed run of
//! the same job. Killed handlers leave their message unacknowledged (it comes back after its
//! visibility timeout), and the watchdog re-enqueues jobs whose worker died between chunks.

use std::sync::Arc;
use std::time::Duration;

use quarry_engine::net::TargetPolicy;
use quarry_planner::{Hints, RulePlanner};
use quarry_ports::clock::{ManualClock, SharedClock};
use quarry_ports::{Condition, Query};
use quarry_shared::accounts::{Accounts, Tier};
use quarry_shared::jobs::runner::STALE_AFTER;
use quarry_shared::jobs::{Approval, JobStatus, Jobs};
use quarry_shared::research::{Caller, NewMessage, NewThread, Research};
use quarry_shared::worker::Worker;
use quarry_store::Embedded;

/// How long a received message stays hidden in this test (then the manual clock skips past it).
const VISIBILITY: Duration = Duration::from_secs(30);

fn open(dir: &std::path::Path, clock: &SharedClock) -> Embedded {
    Embedded::open(dir, "http://127.0.0.1:9", b"k".to_vec(), clock.clone()).unwrap()
}

/// A tiny deterministic PRNG (xorshift) for the kill points.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// The job's status, whichever mode it was made in.
async fn status(jobs: &Jobs, org: &str, job: &str) -> JobStatus {
    match jobs.job(&test_caller(org), job).await {
        Ok(job) => job.status,
        Err(_) => jobs.job(&Caller { livemode: true, ..test_caller(org) }, job).await.unwrap().status,
    }
}

/// The test-mode caller of `org` (the jobs here are drafted with test keys).
fn test_caller(org: &str) -> Caller {
    Caller { org_id: org.to_string(), livemode: false, plans_per_day: None, key_id: None, member_id: None }
}

/// Independent disturbed runs, each with its own kill points.
const DISTURBED_RUNS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_killed_at_random_points_ends_exactly_like_an_undisturbed_one() {
    let manual = ManualClock::new();
    let clock: SharedClock = manual.clone();
    let dirs: Vec<_> = (0..=DISTURBED_RUNS).map(|_| tempfile::tempdir().unwrap()).collect();
    let stores: Vec<Embedded> = dirs.iter().map(|d| open(d.path(), &clock)).collect();
    let (calm, disturbed) = stores.split_first().unwrap();

    // One organization, thread, plan and pending job, copied item for item into every store.
    let org = Accounts::new(calm.storage.table.clone(), clock.clone()).create_organization("crash", Tier::Scale, 0).await.unwrap();
    let research = Research::new(calm.storage.table.clone(), calm.storage.steps.clone(), clock.clone(), Arc::new(RulePlanner::new()));
    let caller = Caller { org_id: org.id.clone(), livemode: false, plans_per_day: None, key_id: None, member_id: None };
    let thread = research.create_thread(&caller, NewThread::default()).await.unwrap();
    let content = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng and Head of Growth.".to_string();
    let hints = Some(Hints { max_rows: Some(500), preferred_sources: vec![] });
    let posted = research.post_message(&caller, &thread.id, NewMessage { content, hints, ..NewMessage::default() }).await.unwrap();
    let job_id = posted.job.id.clone();
    let items = calm.storage.table.query(Query::partition(format!("ORG#{}", org.id)).limit(1000)).await.unwrap().items;
    for store in disturbed {
        for item in &items {
            store.storage.table.put(item.clone(), Condition::None).await.unwrap();
        }
    }
    // Approved at the same instant everywhere, so every run generates the same rows.
    let runner = |e: &Embedded| Jobs::new(e.storage.table.clone(), e.storage.blobs.clone(), e.storage.steps.clone(), clock.clone());
    for store in &stores {
        runner(store).approve(&caller, &org, &job_id, Approval::default()).await.unwrap();
    }

    // The undisturbed run.
    let reference = runner(calm);
    let worker = Worker::with_target_policy(calm.storage.clone(), clock.clone(), TargetPolicy::default());
    let mut longest = Duration::ZERO;
    while !status(&reference, &org.id, &job_id).await.is_terminal() {
        for message in calm.storage.steps.receive(1, VISIBILITY).await.unwrap() {
            let started = std::time::Instant::now();
            worker.handle_delivery(&message.body, 1).await.unwrap();
            longest = longest.max(started.elapsed());
            calm.storage.steps.delete(&message.receipt).await.unwrap();
        }
    }
    // Kill points are spread over 1.5 times the longest handler, so every kind of message is
    // killed at every stage of its work some of the time and still finishes eventually.
    let window = (longest * 3 / 2).as_micros().max(1) as u64;
    let expected = reference.job(&caller, &job_id).await.unwrap();
    assert_eq!(expected.status, JobStatus::Succeeded);
    assert_eq!(expected.artifact.as_ref().unwrap().rows, 500);
    let expected_leads = reference.leads(&org.id, &job_id).await.unwrap();
    let csv_key =
        quarry_ports::BlobKey::parse(&format!("artifacts/{}/{}/leads.csv", org.id, expected.artifact.as_ref().unwrap().id)).unwrap();
    let expected_csv = calm.storage.blobs.get(&csv_key).await.unwrap().unwrap().bytes;

    let mut kills = 0;
    for (run, store) in disturbed.iter().enumerate() {
        let plan = KillPlan { window, seed: 0x9E37_79B9_7F4A_7C15 + run as u64 };
        kills += run_disturbed(store, &manual, &clock, &org.id, &job_id, plan, TargetPolicy::default()).await;
        let runner = runner(store);
        let job = runner.job(&caller, &job_id).await.unwrap();
        assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
        assert_eq!(job.artifact, expected.artifact, "same rows, same bytes");
        assert_eq!(runner.leads(&org.id, &job_id).await.unwrap(), expected_leads, "no lead lost, duplicated or changed");
        assert_eq!(store.storage.blobs.get(&csv_key).await.unwrap().unwrap().bytes, expected_csv, "byte-identical CSV");
    }
    assert!(kills >= 15, "the test killed the worker only {kills} times");
    println!("killed the worker {kills} times over {DISTURBED_RUNS} runs");
}

/// When handlers are killed: after a random part of `window` µs, drawn from `seed`.
#[derive(Clone, Copy)]
struct KillPlan {
    window: u64,
    seed: u64,
}

/// Runs the job in `store` to its end, killing handlers after a random part of `window` µs.
/// Returns how many handlers were killed.
async fn run_disturbed(
    store: &Embedded,
    manual: &ManualClock,
    clock: &SharedClock,
    org_id: &str,
    job_id: &str,
    kills: KillPlan,
    policy: TargetPolicy,
) -> usize {
    let KillPlan { window, seed } = kills;
    let jobs = Jobs::new(store.storage.table.clone(), store.storage.blobs.clone(), store.storage.steps.clone(), clock.clone());
    let worker = Worker::with_target_policy(store.storage.clone(), clock.clone(), policy);
    let mut dice = Dice(seed);
    let (mut kills, mut rounds) = (0, 0);
    while !status(&jobs, org_id, job_id).await.is_terminal() {
        rounds += 1;
        assert!(rounds < 2_000, "the disturbed job never finished");
        for message in store.storage.steps.receive(10, VISIBILITY).await.unwrap() {
            let worker = worker.clone();
            let body = message.body.clone();
            let handler = tokio::spawn(async move { worker.handle_delivery(&body, 1).await });
            // Two deliveries in three are marked for a kill at a random instant; the third
            // always runs to its end, so the job progresses however slow this machine is.
            if dice.roll(3) != 0 {
                // Skewed towards early instants (most handlers are far shorter than the longest),
                // while still reaching every stage of the longest one now and then.
                let fraction = dice.roll(1_000) as f64 / 1_000.0;
                tokio::time::sleep(Duration::from_micros((window as f64 * fraction * fraction) as u64)).await;
                if !handler.is_finished() {
                    handler.abort();
                    kills += 1;
                    continue;
                }
            }
            handler.await.unwrap().unwrap();
            store.storage.steps.delete(&message.receipt).await.unwrap();
        }
        // Unacknowledged messages come back; jobs whose worker died between chunks get woken.
        manual.advance(VISIBILITY + Duration::from_secs(1));
        if rounds % 5 == 0 {
            manual.advance(STALE_AFTER);
            worker.runner().watchdog().await.unwrap();
        }
    }
    kills
}

/// A live job killed at random points, then sent a stale copy of a chunk message, bills its
/// credits into the ledger exactly once: one usage entry, and a balance that is the grant less it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_job_killed_at_random_points_bills_exactly_once() {
    use quarry_planner::{Attachment, AttachmentKind};
    use quarry_shared::billing::{Billing, LedgerEntry, TransactionKind};
    use quarry_tests::fixtures::{FixtureSite, Page};

    let mut csv = String::from("Company Name,Website,Country,Industry,Employees,Contact,Job Title,E-mail\n");
    for i in 0..150 {
        let person = if i % 3 == 0 { format!("Person {i},Chief Technology Officer,person{i}@company{i}.fr") } else { ",,".into() };
        csv.push_str(&format!("Company {i},https://www.company{i}.fr/,France,Financial Services,{},{person}\n", 100 + i));
    }
    let site = FixtureSite::serve(vec![("seeds.csv", Page { content_type: "text/csv", body: csv })]).await;
    let manual = ManualClock::new();
    let clock: SharedClock = manual.clone();
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &clock);
    let org = Accounts::new(store.storage.table.clone(), clock.clone()).create_organization("crash", Tier::Scale, 1_000).await.unwrap();
    let research = Research::new(store.storage.table.clone(), store.storage.steps.clone(), clock.clone(), Arc::new(RulePlanner::new()))
        .with_target_policy(TargetPolicy::LoopbackOnly);
    let caller = Caller { livemode: true, ..test_caller(&org.id) };
    let thread = research.create_thread(&caller, NewThread::default()).await.unwrap();
    let attachments = vec![Attachment { kind: AttachmentKind::Csv, url: site.url("seeds.csv") }];
    let content = "For each company in the attached CSV, pull the CTO.".to_string();
    let posted = research.post_message(&caller, &thread.id, NewMessage { content, attachments, ..NewMessage::default() }).await.unwrap();
    let job_id = posted.job.id.clone();
    let jobs = Jobs::new(store.storage.table.clone(), store.storage.blobs.clone(), store.storage.steps.clone(), clock.clone());
    jobs.approve(&caller, &org, &job_id, Approval::default()).await.unwrap();
    // The first chunk's message, kept to be delivered again once the job has ended.
    let first = store.storage.steps.receive(1, VISIBILITY).await.unwrap().remove(0);
    store.storage.steps.send(&first.body, Duration::ZERO).await.unwrap();
    store.storage.steps.delete(&first.receipt).await.unwrap();

    let window = Duration::from_millis(40).as_micros() as u64;
    let kills = run_disturbed(
        &store,
        &manual,
        &clock,
        &org.id,
        &job_id,
        KillPlan { window, seed: 0xC0FF_EE00_D15E_A5E5 },
        TargetPolicy::LoopbackOnly,
    )
    .await;
    assert!(kills >= 3, "the test killed the worker only {kills} times");
    let job = jobs.job(&caller, &job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
    assert_eq!(job.credits_used, 100, "150 companies at 0.5 and 50 CTOs at 0.5");
    let worker = Worker::with_target_policy(store.storage.clone(), clock.clone(), TargetPolicy::LoopbackOnly);
    worker.handle_delivery(&first.body, 2).await.unwrap();

    let billing = Billing::new(store.storage.table.clone(), clock.clone());
    let query = Query::partition(format!("ORG#{}", org.id)).prefix("TXN#");
    let ledger: Vec<LedgerEntry> = quarry_ports::table::query_all_records(store.storage.table.as_ref(), query).await.unwrap();
    let usage: Vec<&LedgerEntry> = ledger.iter().filter(|e| e.kind == TransactionKind::Usage).collect();
    assert_eq!(usage.len(), 1, "one usage entry however often the job was killed ({kills} kills): {ledger:?}");
    assert_eq!(usage[0].amount, -100);
    assert_eq!(usage[0].job_id.as_deref(), Some(job_id.as_str()));
    let balance = billing.balance(&org).await.unwrap();
    assert_eq!((balance.balance, balance.total_used), (900, 100), "the balance is the grant less the job, once");
    assert_eq!(ledger.iter().map(|e| e.amount).sum::<i64>(), balance.balance);
}

/// A job whose chunk message died with the process goes on as soon as a worker starts over the
/// store (what the local server does at start), not only when the watchdog's heartbeat timeout
/// lapses.
#[tokio::test]
async fn a_starting_worker_resumes_running_jobs_at_once() {
    let manual = ManualClock::new();
    let clock: SharedClock = manual.clone();
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &clock);
    let org = Accounts::new(store.storage.table.clone(), clock.clone()).create_organization("crash", Tier::Scale, 0).await.unwrap();
    let research = Research::new(store.storage.table.clone(), store.storage.steps.clone(), clock.clone(), Arc::new(RulePlanner::new()));
    let caller = test_caller(&org.id);
    let thread = research.create_thread(&caller, NewThread::default()).await.unwrap();
    let content = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng.".to_string();
    let hints = Some(Hints { max_rows: Some(50), preferred_sources: vec![] });
    let posted = research.post_message(&caller, &thread.id, NewMessage { content, hints, ..NewMessage::default() }).await.unwrap();
    let jobs = Jobs::new(store.storage.table.clone(), store.storage.blobs.clone(), store.storage.steps.clone(), clock.clone());
    jobs.approve(&caller, &org, &posted.job.id, Approval::default()).await.unwrap();
    // The process dies holding the job's first chunk: its message is gone, the job is running.
    for message in store.storage.steps.receive(10, VISIBILITY).await.unwrap() {
        store.storage.steps.delete(&message.receipt).await.unwrap();
    }
    let worker = Worker::with_target_policy(store.storage.clone(), clock.clone(), TargetPolicy::default());
    assert_eq!(worker.runner().watchdog().await.unwrap(), 0, "the heartbeat is fresh: the watchdog waits");
    assert_eq!(worker.runner().resume_interrupted().await.unwrap(), 1, "a starting worker resumes it at once");
    // The clock never moves: the job finishes on the resumed chunk alone.
    while !status(&jobs, &org.id, &posted.job.id).await.is_terminal() {
        let batch = store.storage.steps.receive(10, VISIBILITY).await.unwrap();
        assert!(!batch.is_empty(), "the running job has no chunk queued");
        for message in batch {
            worker.handle_body(&message.body).await.unwrap();
            store.storage.steps.delete(&message.receipt).await.unwrap();
        }
    }
    assert_eq!(status(&jobs, &org.id, &posted.job.id).await, JobStatus::Succeeded);
    assert_eq!(worker.runner().resume_interrupted().await.unwrap(), 0, "nothing is running any more");
}
