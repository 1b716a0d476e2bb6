//! Group commit over the PostgreSQL ledger: appends wait in one queue; the server process that is
//! the sequencer takes every append waiting and writes them in one transaction, the others wait
//! for the lock. Several servers serve one queue — within a process here; between processes the
//! queue is the forwarding of appends to the sequencer.

use std::sync::Arc;
use std::time::Duration;

use liuhen_ledger::tlog::LogKey;
use sqlx::postgres::PgConnectOptions;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::{PgError, Result, Sequencer};

/// Most appends one transaction takes; the rest go in the next.
const MAX_BATCH: usize = 512;

struct Job {
    entries: Vec<Vec<u8>>,
    reply: oneshot::Sender<Result<u64>>,
}

/// Where appends are sent (cloned by every writer).
#[derive(Clone)]
pub struct LedgerQueue(mpsc::Sender<Job>);

/// The receiving end, served by [`serve_as_sequencer`] (by several servers at once, if need be).
#[derive(Clone)]
pub struct Jobs(Arc<Mutex<mpsc::Receiver<Job>>>);

/// A queue of appends holding at most `capacity` waiting ones (writers wait beyond that).
pub fn ledger_queue(capacity: usize) -> (LedgerQueue, Jobs) {
    let (send, receive) = mpsc::channel(capacity);
    (LedgerQueue(send), Jobs(Arc::new(Mutex::new(receive))))
}

impl LedgerQueue {
    /// Append `entries` (canonical event bytes) together; returns the index of the first once the
    /// transaction that holds them is committed. An error means they were not acknowledged: they
    /// may or may not be in the log (the session can die between commit and answer), so a client
    /// looks before it sends them again.
    pub async fn append(&self, entries: Vec<Vec<u8>>) -> Result<u64> {
        let (reply, answer) = oneshot::channel();
        self.0.send(Job { entries, reply }).await.map_err(|_| PgError::Stopped)?;
        answer.await.map_err(|_| PgError::Stopped)?
    }
}

/// Serve `jobs` as the sequencer whenever this server may be: wait for the lock, then write what
/// waits, a batch a transaction, until the session fails; then wait for the lock again. Returns
/// when every [`LedgerQueue`] is gone. `keys` are the private log keys that sign checkpoints.
pub async fn serve_as_sequencer(options: PgConnectOptions, holder: String, keys: Vec<String>, jobs: Jobs) {
    loop {
        let signing: std::result::Result<Vec<LogKey>, _> = keys.iter().map(|k| LogKey::from_private(k)).collect();
        let sequencer = match signing {
            Ok(signing) => Sequencer::acquire(&options, &holder, signing).await,
            Err(e) => Err(PgError::Tree(format!("log key: {e}"))),
        };
        let mut sequencer = match sequencer {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(holder = %holder, error = %e, "cannot become the sequencer yet");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        loop {
            let batch = {
                let mut queue = jobs.0.lock().await;
                let Some(first) = queue.recv().await else { return };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                batch
            };
            let counts: Vec<usize> = batch.iter().map(|j| j.entries.len()).collect();
            let (entries, replies): (Vec<Vec<Vec<u8>>>, Vec<_>) =
                batch.into_iter().map(|j| (j.entries, j.reply)).unzip();
            let entries: Vec<Vec<u8>> = entries.into_iter().flatten().collect();
            match sequencer.append(&entries).await {
                Ok(appended) => {
                    let mut next = appended.first;
                    for (reply, count) in replies.into_iter().zip(counts) {
                        let _ = reply.send(Ok(next));
                        next += count as u64;
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    for reply in replies {
                        let _ = reply.send(Err(PgError::NotWritten(message.clone())));
                    }
                    // The session may be gone: take the lock again, or wait for whoever has it.
                    break;
                }
            }
        }
    }
}
