//! Group commit: the writes that arrive while the file is busy committing share the next commit.
//!
//! Why: with `synchronous=FULL` a commit waits for the disk (an fsync of the WAL), and that wait,
//! not the work, bounds a busy server: ten webhook deliveries in flight, each claiming and then
//! recording its attempt, all queue behind one another's fsync. Here a write is a job run inside
//! a savepoint of a shared `IMMEDIATE` transaction. Whoever takes the connection next runs every
//! job waiting at that moment, one after the other, and commits them once; each caller hears its
//! own result only after that commit, so "answered" still means "on disk".
//!
//! A job that fails rolls back its own savepoint and no other job's; a commit that fails fails
//! every job of it. Jobs of one commit run in the order they arrived, and each sees the writes of
//! those before it, so the outcome is the one a serial order gives (as one writer at a time did).

use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, Savepoint, Transaction, TransactionBehavior};

use quarry_ports::{StoreError, StoreResult};

/// Most jobs one commit takes; later arrivals wait for the next (each job's own task runs it at
/// the latest).
const MAX_JOBS_PER_COMMIT: usize = 256;

/// What a job leaves to do once its commit is known: answer its caller.
type Answer = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A write waiting for a commit: run it in the transaction (or, `None`, report that the
/// transaction could not begin).
type Job = Box<dyn FnOnce(Option<&mut Transaction<'_>>) -> Answer + Send>;

/// The jobs waiting for the connection.
#[derive(Clone, Default)]
pub(super) struct Pending(Arc<Mutex<Vec<Job>>>);

impl Pending {
    /// Runs `f` in a savepoint of the next commit and answers once that commit is on disk.
    pub(super) async fn write<T, F>(&self, conn: Arc<Mutex<Connection>>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Savepoint<'_>) -> StoreResult<T> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(move |tx| {
            let result = match tx {
                Some(tx) => in_savepoint(tx, f),
                None => Err(StoreError::Backend("sqlite: could not begin a transaction".into())),
            };
            Box::new(move |commit| {
                let _ = answer.send(match (result, commit) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(e)) => Err(StoreError::Backend(format!("sqlite commit: {e}"))),
                    (Err(e), _) => Err(e),
                });
            })
        });
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(job);
        let pending = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            pending.commit_waiting(&mut conn);
        })
        .await
        .map_err(|e| StoreError::Backend(format!("sqlite task failed: {e}")))?;
        answered.await.map_err(|_| StoreError::Backend("sqlite: the write was dropped before its commit".into()))?
    }

    /// Runs the jobs waiting now in one transaction and commits it (nothing when another task
    /// already committed them).
    fn commit_waiting(&self, conn: &mut Connection) {
        let jobs: Vec<Job> = {
            let mut waiting = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            let take = waiting.len().min(MAX_JOBS_PER_COMMIT);
            waiting.drain(..take).collect()
        };
        if jobs.is_empty() {
            return;
        }
        let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                for job in jobs {
                    job(None)(Err(e.to_string()));
                }
                return;
            }
        };
        let answers: Vec<Answer> = jobs.into_iter().map(|job| job(Some(&mut tx))).collect();
        let committed = tx.commit().map_err(|e| e.to_string());
        for answer in answers {
            answer(committed.clone());
        }
    }
}

/// `f` in a savepoint of `tx`: kept when it succeeds, rolled back alone when it fails.
fn in_savepoint<T>(tx: &mut Transaction<'_>, f: impl FnOnce(&mut Savepoint<'_>) -> StoreResult<T>) -> StoreResult<T> {
    let mut savepoint = tx.savepoint().map_err(super::backend)?;
    let value = f(&mut savepoint)?; // dropping the savepoint rolls it back
    savepoint.commit().map_err(super::backend)?;
    Ok(value)
}
