//! Group commit for the embedded store: one writer thread owns a database's write side; every
//! write (a record store put, delete, transaction or bulk load; a queue's send, receive or delete)
//! is queued to it as a job, and the thread runs every job waiting at that moment inside **one**
//! write transaction and one commit (one `fsync`), then answers each job. Under concurrent load a
//! commit serves many requests; alone, a write costs what it did before. Each database has its
//! writer (an LSM store's records and its queues: two; a B-tree store: one for both); [`Engine`] is
//! what a writer needs of its database.
//!
//! Each job is exactly as atomic and isolated as its own transaction was: jobs run one after another
//! in the transaction, each sees what the jobs before it wrote, and a job either fails *before* it
//! writes anything (a condition that does not hold — the store checks every condition first) or its
//! failure is a storage fault, which abandons the whole group: nothing of it is committed and every
//! job in it gets the error. A job's answer is sent only once its commit has succeeded.
//!
//! Jobs that do not need the disk (bulk loads, `put_lazy`) are committed first, in a transaction
//! of their own without an `fsync`, and answered at once; the durable jobs follow in a second,
//! durable transaction, whose `fsync` also makes the first one's writes durable. So a lazy write
//! never waits for the disk, and a durable one waits for one `fsync` shared by its group.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::ports::{StoreError, StoreResult, now_epoch_seconds};

/// The most jobs one commit takes (a bound on one transaction's size, not a tuning knob).
const MAX_GROUP: usize = 256;

/// A database a writer thread commits groups to.
pub(super) trait Engine: Send + 'static {
    /// One write transaction (it may borrow the database).
    type Txn<'e>;
    /// Opens a transaction that commits durably (`fsync`) or not.
    fn begin(&self, durable: bool) -> StoreResult<Self::Txn<'_>>;
    fn commit(txn: Self::Txn<'_>) -> StoreResult<()>;
}

/// What a job leaves to do once the group's commit is known: answer its caller.
type Completion = Box<dyn FnOnce(&StoreResult<()>) + Send>;
/// A job: its writes in the group's transaction, or the error that kept the transaction from
/// opening.
type Run<E> = Box<dyn FnOnce(Result<&mut <E as Engine>::Txn<'_>, &StoreError>, i64) -> Completion + Send>;

struct Job<E: Engine> {
    run: Run<E>,
    durable: bool,
}

/// A group's answers and its commit's outcome.
type Committed = (Vec<Completion>, StoreResult<()>);

/// The writer thread of one database, and the way to it.
pub(super) struct GroupCommit<E: Engine> {
    jobs: Option<mpsc::Sender<Job<E>>>,
    thread: Option<JoinHandle<()>>,
}

impl<E: Engine> GroupCommit<E> {
    /// Starts the writer thread, which owns `db` until the `GroupCommit` is dropped.
    pub(super) fn start(name: &str, db: E) -> StoreResult<Self> {
        let (jobs, queue) = mpsc::channel::<Job<E>>();
        let thread =
            std::thread::Builder::new().name(name.into()).spawn(move || writer(&db, &queue)).map_err(super::backend)?;
        Ok(GroupCommit { jobs: Some(jobs), thread: Some(thread) })
    }

    /// Runs `f` in the next group's transaction (durable: its commit `fsync`s) and answers once
    /// that group is committed.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        durable: bool,
        f: impl FnOnce(&mut E::Txn<'_>, i64) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (answer, answered) = tokio::sync::oneshot::channel::<StoreResult<T>>();
        let run: Run<E> = Box::new(move |open, now| {
            let out = match open {
                Ok(txn) => f(txn, now),
                Err(e) => Err(e.clone()),
            };
            Box::new(move |commit: &StoreResult<()>| {
                let _ = answer.send(match commit {
                    Ok(()) => out,
                    Err(e) => Err(e.clone()),
                });
            })
        });
        let jobs = self.jobs.as_ref().ok_or_else(|| StoreError::Backend("the store is closed".into()))?;
        jobs.send(Job { run, durable }).map_err(|_| StoreError::Backend("the store's writer has stopped".into()))?;
        answered.await.map_err(|_| StoreError::Backend("the store's writer has stopped".into()))?
    }
}

impl<E: Engine> Drop for GroupCommit<E> {
    /// Stops the writer once it has finished what was queued, so the database is closed on return
    /// (it can be opened again at once).
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn writer<E: Engine>(db: &E, queue: &mpsc::Receiver<Job<E>>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let (durable, lazy): (Vec<Job<E>>, Vec<Job<E>>) = group.into_iter().partition(|j| j.durable);
        if !lazy.is_empty() {
            answer(commit_group(db, lazy, false));
        }
        if !durable.is_empty() {
            answer(commit_group(db, durable, true));
        }
    }
}

/// Answers every job of a group with its commit's outcome.
fn answer((completions, outcome): Committed) {
    for complete in completions {
        complete(&outcome);
    }
}

/// One transaction for the whole group: the jobs' answers, and the commit's outcome.
fn commit_group<E: Engine>(db: &E, group: Vec<Job<E>>, durable: bool) -> Committed {
    let now = now_epoch_seconds();
    let mut completions = Vec::with_capacity(group.len());
    let outcome = match db.begin(durable) {
        Err(e) => {
            for job in group {
                completions.push((job.run)(Err(&e), now));
            }
            Err(e)
        }
        Ok(mut txn) => {
            let ran = std::panic::catch_unwind(AssertUnwindSafe(|| {
                for job in group {
                    completions.push((job.run)(Ok(&mut txn), now));
                }
            }));
            match ran {
                Ok(()) => E::commit(txn),
                Err(_) => Err(StoreError::Backend("a write panicked; its group was abandoned".into())),
            }
        }
    };
    (completions, outcome)
}
