//! The sequencer (docs/architecture.md: one writer, group commit). A command is validated in the
//! caller's task; the sequencer, on its own thread with its own synchronous connection, then runs
//! every command waiting at that moment in one transaction — every command checks before it
//! writes, so a refused one leaves nothing behind and the others go on — signs one checkpoint for
//! the batch, commits (one fsync), and only then answers each caller with its outcome and ledger
//! index.

use std::sync::Arc;
use std::time::Duration;

use liuhen_ledger::{Event, EventBody, Source};
use liuhen_rules::{MaterialMeta, Record};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::account_changes::{AdminChange, account_change};
use crate::commands::{add_material, amend, create, sign};
use crate::ledger::LogKeys;
use crate::projection::append;
use crate::sql::{Db, in_transaction};
use crate::{Created, Result, Store, StoreError, StoredObject, User, now, tree};

/// Most commands one batch takes; the rest wait for the next batch.
const MAX_BATCH: usize = 512;

pub(crate) enum Op {
    Create {
        actor: User,
        record: Record,
        source: Source,
    },
    Amend {
        actor: User,
        id: Uuid,
        record: Record,
        reason: String,
        expected: Option<u32>,
    },
    Sign {
        actor: User,
        id: Uuid,
        version: Option<u32>,
        dispute: Option<String>,
    },
    AddMaterial {
        actor: User,
        id: Uuid,
        meta: MaterialMeta,
        stored: StoredObject,
    },
    /// An event that needs no check of the current state (a view).
    Note {
        actor: User,
        body: EventBody,
    },
    /// An administrative change: its table write and its ledger event together.
    Admin {
        actor: String,
        change: AdminChange,
    },
    /// A change of the separation of duties (issue 17): approvals and enrolment codes.
    Duty {
        actor: String,
        change: crate::duties::DutyChange,
    },
    /// A report's step (R8), checked against the report's state in the same transaction.
    Report {
        actor: User,
        body: EventBody,
    },
    /// A step of holding to account or protecting (issue 8), checked against the state in the
    /// same transaction.
    Accountability {
        actor: User,
        body: EventBody,
    },
}

pub(crate) enum Outcome {
    Created(Created),
    Appended(i64),
    Material(Uuid, i64),
}

struct Job {
    op: Op,
    reply: oneshot::Sender<Result<Outcome>>,
}

#[derive(Clone)]
pub(crate) struct Sequencer {
    jobs: mpsc::Sender<Job>,
}

impl Sequencer {
    /// Start the sequencer's thread on a write connection of its own (the one connection of this
    /// process that appends events). It first brings the tree and checkpoints up to the events;
    /// that result is returned here.
    pub(crate) async fn start(
        backend: std::sync::Arc<dyn crate::backend::Backend>,
        key: Arc<LogKeys>,
        linger: Duration,
    ) -> Result<Sequencer> {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let (ready, started) = oneshot::channel();
        std::thread::Builder::new().name("liuhen-sequencer".into()).spawn(move || {
            let conn = match backend.writer() {
                Ok(conn) => conn,
                Err(e) => {
                    let _ = ready.send(Err(e));
                    return;
                }
            };
            let caught_up = crate::ledger::catch_up(&*conn, &key);
            let ok = caught_up.is_ok();
            let _ = ready.send(caught_up);
            if ok {
                run(&*backend, conn, &key, linger, queue);
            }
        })?;
        started.await.map_err(|_| StoreError::Internal("the sequencer did not start".into()))??;
        Ok(Sequencer { jobs })
    }

    pub(crate) async fn submit(&self, op: Op) -> Result<Outcome> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { op, reply })
            .await
            .map_err(|_| StoreError::Internal("the sequencer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Internal("the sequencer stopped before answering".into()))?
    }
}

/// The sequencer's loop; it ends when every `Sequencer` handle is gone. A batch that fails leaves
/// its connection behind: the next batch opens a fresh one, so a database restarted or a network
/// cut costs the batches in flight, not the process (tests/faults.rs).
fn run(
    backend: &dyn crate::backend::Backend,
    conn: crate::backend::SyncDb,
    key: &LogKeys,
    linger: Duration,
    mut queue: mpsc::Receiver<Job>,
) {
    let mut conn = Some(conn);
    let mut last_batch = std::time::Instant::now();
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        if !linger.is_zero() {
            std::thread::sleep(linger);
        }
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (ops, replies): (Vec<Op>, Vec<_>) = batch.into_iter().map(|j| (j.op, j.reply)).unzip();
        // A connection that sat idle may have been cut meanwhile (a database restart): one cheap
        // statement finds out before a batch is spent on it.
        if last_batch.elapsed() > IDLE_BEFORE_PROBE
            && let Some(open) = &conn
            && open.exec("SELECT 1", &[]).is_err()
        {
            tracing::warn!("the sequencer's connection was lost while idle; it opens a new one");
            conn = None;
        }
        last_batch = std::time::Instant::now();
        let written = match conn.take().map_or_else(|| backend.writer(), Ok) {
            Ok(open) => {
                let written = write_batch(&*open, key, ops);
                if written.is_ok() {
                    conn = Some(open);
                }
                written
            }
            Err(e) => Err(e),
        };
        match written {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "a batch could not be written");
                // Each caller is told what is known: a full disk or a lost connection as such (and
                // a commit whose outcome is unknown as unknown), anything else as not stored.
                for reply in replies {
                    let said = e.to_string();
                    let _ = reply.send(Err(match &e {
                        StoreError::OutcomeUnknown(_) => StoreError::OutcomeUnknown(said),
                        StoreError::ConnectionLost(_) => StoreError::ConnectionLost(said),
                        full if full.is_storage_full() => StoreError::StorageFull(said),
                        _ => StoreError::Internal(format!("写入失败，未保存 (not stored): {said}")),
                    }));
                }
            }
        }
    }
}

/// How long the sequencer's connection may sit unused before a batch checks it first.
const IDLE_BEFORE_PROBE: Duration = Duration::from_secs(1);

/// One batch in one write transaction. The tree is read afresh at its start, so a batch always
/// continues the log as it stands, whichever server process wrote last.
fn write_batch(conn: &dyn Db, key: &LogKeys, ops: Vec<Op>) -> Result<Vec<Result<Outcome>>> {
    in_transaction(conn, |tx| {
        let mut appender = tree::Appender::start(tx)?;
        let mut outcomes = Vec::with_capacity(ops.len());
        for op in ops {
            // Every command checks everything before its first write, so a refusal has written
            // nothing and the batch goes on. Any other failure may have written half a command:
            // the whole batch is rolled back and every caller told.
            match execute(tx, op, &mut appender) {
                Ok(outcome) => outcomes.push(Ok(outcome)),
                Err(e) if e.is_refusal() => outcomes.push(Err(e)),
                Err(e) => return Err(e),
            }
        }
        appender.flush(tx)?;
        if let Some((_, root)) = tree::sign_checkpoint(tx, key)?
            && root != appender.root()
        {
            return Err(StoreError::Internal(
                "the stored tree and the sequencer's tree disagree; nothing written".into(),
            ));
        }
        Ok(outcomes)
    })
}

fn execute(conn: &dyn Db, op: Op, app: &mut tree::Appender) -> Result<Outcome> {
    match op {
        Op::Create { actor, record, source } => create(conn, actor, record, source, app).map(Outcome::Created),
        Op::Amend { actor, id, record, reason, expected } => {
            amend(conn, actor, id, record, reason, expected, app).map(Outcome::Appended)
        }
        Op::Sign { actor, id, version, dispute } => sign(conn, actor, id, version, dispute, app).map(Outcome::Appended),
        Op::AddMaterial { actor, id, meta, stored } => add_material(conn, actor, id, meta, stored, app),
        Op::Note { actor, body } => {
            append(conn, app, &Event::new(now(), &actor.username, &actor.court_id, body)).map(Outcome::Appended)
        }
        Op::Admin { actor, change } => {
            let (court, body) = account_change(conn, change)?;
            append(conn, app, &Event::new(now(), &actor, &court, body)).map(Outcome::Appended)
        }
        Op::Duty { actor, change } => crate::duties::apply(conn, &actor, change, app).map(Outcome::Appended),
        Op::Accountability { actor, body } => {
            let body = crate::accountability::check(conn, &actor, body)?;
            append(conn, app, &Event::new(now(), &actor.username, &actor.court_id, body)).map(Outcome::Appended)
        }
        Op::Report { actor, body } => {
            crate::reports::check(conn, &actor, &body)?;
            append(conn, app, &Event::new(now(), &actor.username, &actor.court_id, body)).map(Outcome::Appended)
        }
    }
}

impl Store {
    /// Submit a command whose outcome is one appended event, and return its index.
    pub(crate) async fn append_op(&self, op: Op) -> Result<i64> {
        match self.sequencer.submit(op).await? {
            Outcome::Appended(seq) => Ok(seq),
            _ => Err(unexpected()),
        }
    }
}

pub(crate) fn unexpected() -> StoreError {
    StoreError::Internal("the sequencer answered with another kind of outcome".into())
}
