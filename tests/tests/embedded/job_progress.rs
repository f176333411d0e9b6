//! How a job reports as it goes and what it keeps when it cannot go on: its progress follows the
//! rows done within a step, and after its first chunk wrote leads, a job whose plan is gone, or
//! whose task kept failing, ends `failed` with a partial artifact of those leads that
//! `job.failed` carries. The chunks are run by hand here, so each check lands exactly after the
//! first chunk.

use std::sync::Arc;
use std::time::Duration;

use quarry_engine::net::TargetPolicy;
use quarry_planner::{Hints, RulePlanner};
use quarry_ports::clock::{ManualClock, SharedClock};
use quarry_ports::{Condition, Key};
use quarry_shared::accounts::{Accounts, Tier};
use quarry_shared::events::{EventLog, EventType};
use quarry_shared::jobs::{Approval, JobStatus, Jobs};
use quarry_shared::research::{Caller, NewMessage, NewThread, Research};
use quarry_shared::worker::Worker;
use quarry_store::Embedded;

struct Running {
    _dir: tempfile::TempDir,
    store: Embedded,
    worker: Worker,
    jobs: Jobs,
    caller: Caller,
    job_id: String,
    plan_id: String,
}

/// A 500-row test-mode job, approved, with its first chunk done.
async fn after_first_chunk() -> Running {
    let clock: SharedClock = ManualClock::new();
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path(), "http://127.0.0.1:9", b"k".to_vec(), clock.clone()).unwrap();
    let org = Accounts::new(store.storage.table.clone(), clock.clone()).create_organization("fail", Tier::Scale, 0).await.unwrap();
    let research = Research::new(store.storage.table.clone(), store.storage.steps.clone(), clock.clone(), Arc::new(RulePlanner::new()));
    let caller = Caller { org_id: org.id.clone(), livemode: false, plans_per_day: None, key_id: None, member_id: None };
    let thread = research.create_thread(&caller, NewThread::default()).await.unwrap();
    let content = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng.".to_string();
    let hints = Some(Hints { max_rows: Some(500), preferred_sources: vec![] });
    let posted = research.post_message(&caller, &thread.id, NewMessage { content, hints, ..NewMessage::default() }).await.unwrap();
    let jobs = Jobs::new(store.storage.table.clone(), store.storage.blobs.clone(), store.storage.steps.clone(), clock.clone());
    jobs.approve(&caller, &org, &posted.job.id, Approval::default()).await.unwrap();
    let worker = Worker::with_target_policy(store.storage.clone(), clock.clone(), TargetPolicy::default());
    // Run chunks until the job has leads (the first data chunk), leaving the rest queued.
    while jobs.leads(&org.id, &posted.job.id).await.unwrap().is_empty() {
        let message = store.storage.steps.receive(1, Duration::from_secs(30)).await.unwrap().pop().expect("a queued chunk");
        worker.handle_body(&message.body).await.unwrap();
        store.storage.steps.delete(&message.receipt).await.unwrap();
    }
    Running { _dir: dir, store, worker, jobs, caller, job_id: posted.job.id, plan_id: posted.plan.id }
}

/// The job ended `failed` with an artifact of every lead it had, and `job.failed` says so.
async fn assert_failed_with_what_it_found(r: &Running) {
    let job = r.jobs.job(&r.caller, &r.job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Failed, "{job:?}");
    let leads = r.jobs.leads(&r.caller.org_id, &r.job_id).await.unwrap();
    let artifact = job.artifact.as_ref().expect("a failed job with leads keeps a partial artifact");
    assert!(artifact.rows > 0 && artifact.rows < 500, "a partial artifact: {artifact:?}");
    let fetched = r.jobs.artifact(&r.caller, &artifact.id, quarry_shared::jobs::artifact::Format::Json).await.unwrap();
    assert!(fetched.download_url.is_some(), "the partial artifact can be downloaded");
    // The embedded store's signed links point at a server that is not running here: read the file.
    let key = quarry_ports::BlobKey::parse(&format!("artifacts/{}/{}/leads.json", r.caller.org_id, artifact.id)).unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&r.store.storage.blobs.get(&key).await.unwrap().unwrap().bytes).unwrap();
    assert_eq!(stored.as_array().unwrap().len(), leads.len(), "the artifact holds every lead the job had");
    let events = EventLog::new(r.store.storage.table.as_ref()).all(&r.caller.org_id).await.unwrap();
    let failed = events.iter().find(|e| e.kind == EventType::JobFailed).expect("job.failed");
    assert_eq!(failed.data.object["artifact"]["id"], artifact.id.as_str(), "job.failed carries the artifact");
    assert!(events.iter().any(|e| e.kind == EventType::ArtifactCreated));
}

#[tokio::test]
async fn a_job_whose_plan_is_gone_fails_with_a_partial_artifact() {
    let r = after_first_chunk().await;
    let plan = Key::new(format!("ORG#{}", r.caller.org_id), format!("PLN#{}", r.plan_id));
    r.store.storage.table.delete(&plan, Condition::None).await.unwrap();
    // The queue also holds event fan-outs: handle what is queued until the next chunk has run.
    while !r.jobs.job(&r.caller, &r.job_id).await.unwrap().status.is_terminal() {
        let message = r.store.storage.steps.receive(1, Duration::from_secs(30)).await.unwrap().pop().expect("the next chunk");
        r.worker.handle_body(&message.body).await.unwrap();
        r.store.storage.steps.delete(&message.receipt).await.unwrap();
    }
    assert_failed_with_what_it_found(&r).await;
}

#[tokio::test]
async fn a_job_whose_task_kept_failing_says_which_step_halted() {
    let r = after_first_chunk().await;
    r.worker.runner().fail(&r.caller.org_id, &r.job_id, "The chunk kept failing.").await.unwrap();
    assert_failed_with_what_it_found(&r).await;
    let (entries, _) = r.jobs.log_page(&r.caller, &r.job_id, quarry_ports::Order::Asc, 100, None).await.unwrap();
    let step = entries.iter().rev().find(|e| serde_json::to_value(e).unwrap()["type"] == "step").expect("a step entry");
    let step = serde_json::to_value(step).unwrap();
    assert_eq!(step["data"]["status"], "failed", "the halted step's entry says failed: {step}");
}

#[tokio::test]
async fn progress_follows_the_rows_within_a_step() {
    let r = after_first_chunk().await;
    // 100 of the 500 planned rows, still in the first of five steps.
    let job = r.jobs.job(&r.caller, &r.job_id).await.unwrap();
    assert_eq!((job.progress.step, job.progress.percent), (0, 20), "{:?}", job.progress);
    let events = EventLog::new(r.store.storage.table.as_ref()).all(&r.caller.org_id).await.unwrap();
    let progress: Vec<u64> = events
        .iter()
        .filter(|e| e.kind == EventType::JobProgress)
        .map(|e| e.data.object["progress"]["percent"].as_u64().unwrap())
        .collect();
    assert_eq!(progress, vec![20], "job.progress as the first tenth is crossed, within the step");
}
