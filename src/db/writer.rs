//! The single writer: one thread owns the write connection and commits queued jobs in groups.
//!
//! Jobs arriving while a commit is in progress are run together in the next transaction, each
//! inside its own savepoint, so one fsync (`synchronous=FULL`) covers many requests and a failing
//! job rolls back only its own changes. Callers hear back only after the commit.

use crate::error::Error;
use rusqlite::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Most jobs folded into one transaction.
const MAX_GROUP: usize = 512;
/// Jobs that may wait in the queue before submitters block.
const QUEUE_DEPTH: usize = 4096;

type Delivery = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> Delivery + Send>;

/// Handle to the writer thread.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::SyncSender<Job>,
}

pub(super) fn gone() -> Error {
    Error::Internal(anyhow::anyhow!("the database writer has stopped"))
}

impl Writer {
    /// Starts the writer thread on an open, migrated connection.
    pub fn start(conn: Connection) -> anyhow::Result<Self> {
        let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("fluenzr-db-writer".into())
            .spawn(move || run(conn, queue))?;
        Ok(Self { jobs })
    }

    /// Queues `work`; the receiver yields its result once committed.
    pub fn submit<T, F>(&self, work: F) -> Result<oneshot::Receiver<Result<T, Error>>, Error>
    where
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        let job: Job = Box::new(move |conn: &Connection| {
            let outcome = run_in_savepoint(conn, work);
            Box::new(move |commit: Result<(), String>| {
                let result = match commit {
                    Ok(()) => outcome,
                    Err(message) => {
                        Err(Error::Internal(anyhow::anyhow!("commit failed: {message}")))
                    }
                };
                let _ = reply.send(result);
            }) as Delivery
        });
        self.jobs.send(job).map_err(|_| gone())?;
        Ok(receiver)
    }
}

fn run_in_savepoint<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, Error>,
) -> Result<T, Error> {
    conn.execute_batch("SAVEPOINT job")?;
    let outcome = match catch_unwind(AssertUnwindSafe(|| work(conn))) {
        Ok(outcome) => outcome,
        Err(_) => Err(Error::Internal(anyhow::anyhow!("a database job panicked"))),
    };
    match &outcome {
        Ok(_) => conn.execute_batch("RELEASE job")?,
        Err(_) => conn.execute_batch("ROLLBACK TO job; RELEASE job")?,
    }
    outcome
}

fn run(conn: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if let Err(error) = conn.execute_batch("BEGIN IMMEDIATE") {
            let message = error.to_string();
            tracing::error!(%message, "could not begin a write transaction");
            for job in group {
                // A job must still be delivered: run it outside a transaction is unsafe, so fail it.
                drop(job);
            }
            continue;
        }
        let jobs = group.len();
        let started = std::time::Instant::now();
        let deliveries: Vec<Delivery> = group.into_iter().map(|job| job(&conn)).collect();
        let worked = started.elapsed();
        let commit = conn
            .execute_batch("COMMIT")
            .map_err(|error| error.to_string());
        tracing::debug!(
            jobs,
            work_us = worked.as_micros() as u64,
            commit_us = (started.elapsed() - worked).as_micros() as u64,
            "write group committed"
        );
        if let Err(message) = &commit {
            tracing::error!(%message, "write transaction failed to commit");
            let _ = conn.execute_batch("ROLLBACK");
        }
        for deliver in deliveries {
            deliver(commit.clone());
        }
    }
}
