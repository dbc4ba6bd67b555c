//! Group commit for the embedded store: one writer thread owns the database's write side; every
//! write (a record store put, delete, transaction or bulk load; a queue's send, receive or delete)
//! is queued to it as a job, and the thread runs every job waiting at that moment inside **one**
//! redb write transaction and one commit (one `fsync`), then answers each job. Under concurrent load a commit serves many requests; alone, a
//! write costs what it did before.
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
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use redb::{Database, Durability, WriteTransaction};

use super::backend;
use super::record::Tables;
use crate::ports::{StoreError, StoreResult, now_epoch_seconds};

/// The most jobs one commit takes (a bound on one transaction's size, not a tuning knob).
const MAX_GROUP: usize = 256;

/// What a job leaves to do once the group's commit is known: answer its caller.
type Completion = Box<dyn FnOnce(&StoreResult<()>) + Send>;
/// A job: its writes in the group's transaction, on the record store's tables (open once per group)
/// or on others it opens itself (the queues'); or the error that kept the transaction from opening.
type Run = Box<
    dyn for<'a, 'b> FnOnce(Result<(&'b WriteTransaction, &'a mut Tables<'b>), &StoreError>, i64) -> Completion + Send,
>;

struct Job {
    run: Run,
    durable: bool,
}

/// The writer thread of one database, and the way to it.
pub(super) struct GroupCommit {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl GroupCommit {
    pub(super) fn start(db: Arc<Database>) -> StoreResult<Arc<Self>> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("redb-group-commit".into())
            .spawn(move || writer(&db, &queue))
            .map_err(backend)?;
        Ok(Arc::new(GroupCommit { jobs: Some(jobs), thread: Some(thread) }))
    }

    /// Runs `f` on the record store's tables in the next group; answers once that group is committed.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        durability: Durability,
        f: impl FnOnce(&mut Tables<'_>, i64) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.write_in(durability, move |_, tables, now| f(tables, now)).await
    }

    /// Runs `f` on the next group's transaction itself, for tables other than the record store's
    /// (the queues'), and answers once that group is committed.
    pub(super) async fn write_txn<T: Send + 'static>(
        &self,
        durability: Durability,
        f: impl FnOnce(&WriteTransaction) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.write_in(durability, move |txn, _, _| f(txn)).await
    }

    async fn write_in<T: Send + 'static>(
        &self,
        durability: Durability,
        f: impl FnOnce(&WriteTransaction, &mut Tables<'_>, i64) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (answer, answered) = tokio::sync::oneshot::channel::<StoreResult<T>>();
        let run: Run = Box::new(move |open, now| {
            let out = match open {
                Ok((txn, tables)) => f(txn, tables, now),
                Err(e) => Err(e.clone()),
            };
            Box::new(move |commit: &StoreResult<()>| {
                let _ = answer.send(match commit {
                    Ok(()) => out,
                    Err(e) => Err(e.clone()),
                });
            })
        });
        let job = Job { run, durable: !matches!(durability, Durability::None) };
        let jobs = self.jobs.as_ref().ok_or_else(|| StoreError::Backend("the store is closed".into()))?;
        jobs.send(job).map_err(|_| StoreError::Backend("the store's writer has stopped".into()))?;
        answered.await.map_err(|_| StoreError::Backend("the store's writer has stopped".into()))?
    }
}

impl Drop for GroupCommit {
    /// Stops the writer once it has finished what was queued, so the database is closed on return
    /// (it can be opened again at once).
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn writer(db: &Database, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let (durable, lazy): (Vec<Job>, Vec<Job>) = group.into_iter().partition(|j| j.durable);
        if !lazy.is_empty() {
            commit_group(db, lazy, false);
        }
        if !durable.is_empty() {
            commit_group(db, durable, true);
        }
    }
}

/// One transaction for the whole group; then every job is answered with the commit's outcome.
fn commit_group(db: &Database, group: Vec<Job>, durable: bool) {
    let now = now_epoch_seconds();
    let mut completions = Vec::with_capacity(group.len());
    let txn = db.begin_write().map_err(backend).and_then(|mut txn| {
        txn.set_durability(if durable { Durability::Immediate } else { Durability::None }).map_err(backend)?;
        Ok(txn)
    });
    let outcome = match txn {
        Err(e) => {
            for job in group {
                completions.push((job.run)(Err(&e), now));
            }
            Err(e)
        }
        Ok(txn) => {
            let ran = std::panic::catch_unwind(AssertUnwindSafe(|| -> StoreResult<()> {
                let mut tables = Tables::open(&txn)?;
                for job in group {
                    completions.push((job.run)(Ok((&txn, &mut tables)), now));
                }
                Ok(())
            }));
            match ran {
                Ok(Ok(())) => txn.commit().map_err(backend),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(StoreError::Backend("a write panicked; its group was abandoned".into())),
            }
        }
    };
    for complete in completions {
        complete(&outcome);
    }
}
