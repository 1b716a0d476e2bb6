//! Commands that change state, and the sequencer that writes them (docs/architecture.md: one writer, group
//! commit). A command is validated in the caller's task; the sequencer, on its own thread with its
//! own synchronous SQLite connection, then runs every command waiting at that moment in one
//! transaction — every command checks before it writes, so a refused one leaves nothing behind and
//! the others go on — signs one checkpoint for the batch, commits (one fsync), and only then
//! answers each caller with its outcome and ledger index.

use std::sync::Arc;
use std::time::Duration;

use crate::ledger::LogKeys;
use liuhen_ledger::{Event, EventBody, Source};
use liuhen_rules::{CosignState, Disposition, Listed, Permission, Problem, Record, RecordDraft, Role, validate_record};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::projection::append;
use crate::records::{check_reason, decode_record, hash_key, load_record_for_write, not_found};
use crate::sql::{Db, DbExt, args, in_transaction};
use crate::{Created, MaterialMeta, Result, Store, StoreError, StoredObject, User, now, tree};

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
        disposition: Disposition,
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

/// Administrative changes (issue 4: they are ledger events too). Each is checked, written to its
/// table and appended to the ledger in the sequencer's transaction, so the two never part.
pub(crate) enum AdminChange {
    AddCourt(crate::Court),
    AddUser {
        user: User,
        password_hash: String,
    },
    IssueToken {
        token: crate::ApiToken,
        token_hash: String,
        /// Whether the session that issued it showed a second factor (the token carries it).
        second_factor: bool,
    },
    RevokeToken {
        id: String,
    },
    /// A new password; `keep` is the hash of the session that stays (the owner's own change).
    SetPassword {
        username: String,
        hash: String,
        keep: Option<String>,
    },
    Unlock {
        username: String,
    },
    SetRole {
        username: String,
        role: Role,
    },
    Disable {
        username: String,
    },
    ResetSecondFactor {
        username: String,
    },
    SetPermissions(std::collections::BTreeMap<String, Vec<String>>),
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
        backend: crate::backend::Backend,
        key: Arc<LogKeys>,
        extra_regions: Vec<String>,
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
                run(&*conn, &key, &extra_regions, linger, queue);
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

/// The sequencer's loop; it ends when every `Sequencer` handle is gone.
fn run(conn: &dyn Db, key: &LogKeys, extra_regions: &[String], linger: Duration, mut queue: mpsc::Receiver<Job>) {
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
        match write_batch(conn, key, extra_regions, ops) {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "a batch could not be written; nothing of it was stored");
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Internal(format!("写入失败，未保存 (not stored): {e}"))));
                }
            }
        }
    }
}

/// One batch in one write transaction. The tree is read afresh at its start, so a batch always
/// continues the log as it stands, whichever server process wrote last.
fn write_batch(conn: &dyn Db, key: &LogKeys, extra_regions: &[String], ops: Vec<Op>) -> Result<Vec<Result<Outcome>>> {
    in_transaction(conn, |tx| {
        let mut appender = tree::Appender::start(tx, extra_regions)?;
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

fn execute(conn: &dyn Db, op: Op, app: &mut tree::Appender<'_>) -> Result<Outcome> {
    match op {
        Op::Create { actor, record, source } => create(conn, actor, record, source, app).map(Outcome::Created),
        Op::Amend { actor, id, record, reason, expected } => {
            amend(conn, actor, id, record, reason, expected, app).map(Outcome::Appended)
        }
        Op::Sign { actor, id, version, dispute } => sign(conn, actor, id, version, dispute, app).map(Outcome::Appended),
        Op::AddMaterial { actor, id, meta, disposition, stored } => {
            add_material(conn, actor, id, meta, disposition, stored, app)
        }
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
            match &body {
                EventBody::ReportSealed { report_id, content_sha256, .. } => {
                    check_seal(conn, &actor, *report_id, content_sha256)?
                }
                EventBody::ReportAcknowledged { report_id, court_id } => {
                    check_acknowledgement(conn, *report_id, court_id)?
                }
                _ => {}
            }
            append(conn, app, &Event::new(now(), &actor.username, &actor.court_id, body)).map(Outcome::Appended)
        }
    }
}

/// R9: a sealed immediate report, addressed to this court, whose courts below in the chain have
/// all acknowledged it, and this court not yet.
fn check_acknowledgement(conn: &dyn Db, id: Uuid, court_id: &str) -> Result<()> {
    let row = conn
        .row("SELECT kind, state, recipients FROM reports WHERE id = $1", args![id.to_string()])?
        .map(|r| Ok::<_, StoreError>((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?)))
        .transpose()?;
    let Some((kind, state, recipients)) = row else {
        return Err(StoreError::not_found("没有这份报告", "no such report"));
    };
    let chain: Vec<String> = serde_json::from_str(&recipients).map_err(|e| StoreError::Internal(e.to_string()))?;
    let Some(position) = chain.iter().position(|c| c == court_id) else {
        return Err(StoreError::not_found("没有这份报告", "no such report"));
    };
    if kind != "immediate" || state != "sealed" {
        return Err(StoreError::conflict(
            "只有已盖章的立即报告需要逐级确认接收",
            "only a sealed immediate report is acknowledged",
        ));
    }
    let acked: Vec<String> = conn
        .rows("SELECT court_id FROM report_acks WHERE report_id = $1", args![id.to_string()])?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_>>()?;
    if acked.iter().any(|c| c == court_id) {
        return Err(StoreError::conflict("本院已确认接收", "this court has already acknowledged it"));
    }
    if chain[..position].iter().any(|c| !acked.contains(c)) {
        return Err(StoreError::conflict(
            "下级法院尚未确认接收；立即报告逐级上报",
            "a court below has not acknowledged it yet; an immediate report goes up level by level",
        ));
    }
    Ok(())
}

/// R8: a draft of the approver's own court, still a draft, and not their own (nobody approves
/// their own report).
fn check_seal(conn: &dyn Db, approver: &User, id: Uuid, content_sha256: &str) -> Result<()> {
    let row = conn
        .row("SELECT court_id, state, drafted_by, content_sha256 FROM reports WHERE id = $1", args![id.to_string()])?
        .map(|r| {
            Ok::<_, StoreError>((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?, r.get::<String>(3)?))
        })
        .transpose()?;
    let Some((_, state, drafter, content)) = row.filter(|r| r.0 == approver.court_id) else {
        return Err(StoreError::not_found("没有这份报告", "no such report"));
    };
    if state != "drafted" {
        return Err(StoreError::conflict(
            "这份报告已经审批盖章，不能再改变",
            "this report is already approved and sealed",
        ));
    }
    if drafter == approver.username {
        return Err(StoreError::forbidden(
            "起草人不能审批自己起草的报告，请由另一位院领导审批",
            "the drafter cannot approve their own report; another court leader approves it",
        ));
    }
    if content != content_sha256 {
        return Err(StoreError::conflict("报告内容与草稿不符", "the report's content is not the draft's"));
    }
    Ok(())
}

fn exists(conn: &dyn Db, sql: &str, value: &str) -> Result<bool> {
    conn.scalar(sql, args![value])
}

fn no_user(username: &str) -> StoreError {
    StoreError::not_found(format!("没有用户 {username}"), format!("no user {username}"))
}

/// The court of an account, for the event of a change to it.
fn court_of(conn: &dyn Db, username: &str) -> Result<String> {
    conn.row("SELECT court_id FROM users WHERE username = $1", args![username])?
        .ok_or_else(|| no_user(username))?
        .get(0)
}

/// An account or court change checked and written to its table; returns the court and the ledger
/// event to append with it.
pub(crate) fn account_change(conn: &dyn Db, change: AdminChange) -> Result<(String, EventBody)> {
    Ok(match change {
        AdminChange::AddCourt(court) => {
            if let Some(parent) = &court.parent_id
                && !exists(conn, "SELECT EXISTS (SELECT 1 FROM courts WHERE id = $1)", parent)?
            {
                return Err(StoreError::not_found(
                    format!("上级法院 {parent} 不存在"),
                    format!("parent court {parent} does not exist"),
                ));
            }
            let taken: bool = conn.scalar(
                "SELECT EXISTS (SELECT 1 FROM courts WHERE id = $1 OR case_code = $2)",
                args![court.id, court.case_code],
            )?;
            if taken {
                return Err(StoreError::conflict(
                    format!("法院 {} 或法院代字 {} 已存在", court.id, court.case_code),
                    "court id or code exists already",
                ));
            }
            conn.exec(
                "INSERT INTO courts (id, name, level, parent_id, case_code) VALUES ($1, $2, $3, $4, $5)",
                args![court.id, court.name, court.level.code(), court.parent_id, court.case_code],
            )?;
            let body = EventBody::CourtAdded {
                court_id: court.id.clone(),
                name: court.name,
                level: court.level,
                parent_id: court.parent_id,
                case_code: court.case_code,
            };
            (court.id, body)
        }
        AdminChange::AddUser { user, password_hash } => {
            if !exists(conn, "SELECT EXISTS (SELECT 1 FROM courts WHERE id = $1)", &user.court_id)? {
                return Err(StoreError::not_found(
                    format!("法院 {} 不存在", user.court_id),
                    format!("court {} does not exist", user.court_id),
                ));
            }
            if exists(conn, "SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)", &user.username)? {
                return Err(StoreError::conflict(
                    format!("用户名 {} 已被使用", user.username),
                    format!("user name {} is taken", user.username),
                ));
            }
            conn.exec(
                "INSERT INTO users (username, display_name, court_id, role, password_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                args![
                    user.username,
                    user.display_name,
                    user.court_id,
                    user.role.code(),
                    password_hash,
                    crate::ts(now())
                ],
            )?;
            let body = EventBody::UserAdded {
                username: user.username,
                display_name: user.display_name,
                user_court: user.court_id.clone(),
                role: user.role,
            };
            (user.court_id, body)
        }
        AdminChange::IssueToken { token, token_hash, second_factor } => {
            let court = court_of(conn, &token.username)?;
            conn.exec(
                "INSERT INTO api_tokens (id, token_hash, name, username, scopes, created_at, expires_at, second_factor)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                args![
                    token.id,
                    token_hash,
                    token.name,
                    token.username,
                    token.scopes.iter().map(|p| p.code()).collect::<Vec<_>>().join(","),
                    crate::ts(token.created_at),
                    token.expires_at.map(crate::ts),
                    i64::from(second_factor)
                ],
            )?;
            let body = EventBody::TokenIssued {
                token_id: token.id,
                username: token.username,
                name: token.name,
                scopes: token.scopes,
                expires_at: token.expires_at,
            };
            (court, body)
        }
        AdminChange::RevokeToken { id } => {
            let username: String = conn
                .row("SELECT username FROM api_tokens WHERE id = $1 AND revoked_at IS NULL", args![id])?
                .ok_or_else(|| StoreError::not_found("没有未撤销的这个令牌", "no live token with that id"))?
                .get(0)?;
            conn.exec("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2", args![crate::ts(now()), id])?;
            (court_of(conn, &username)?, EventBody::TokenRevoked { token_id: id })
        }
        AdminChange::SetPassword { username, hash, keep } => {
            let court = court_of(conn, &username)?;
            conn.exec(
                "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE username = $2",
                args![hash, username],
            )?;
            conn.exec(
                "DELETE FROM sessions WHERE username = $1 AND token_hash <> $2",
                args![username, keep.clone().unwrap_or_default()],
            )?;
            (court, EventBody::PasswordSet { username, by_owner: keep.is_some() })
        }
        AdminChange::Unlock { username } => {
            let court = court_of(conn, &username)?;
            conn.exec("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = $1", args![&username])?;
            (court, EventBody::UserUnlocked { username })
        }
        AdminChange::SetRole { username, role } => {
            let row = conn
                .row("SELECT court_id, role FROM users WHERE username = $1", args![username])?
                .ok_or_else(|| no_user(&username))?;
            let (court, from): (String, String) = (row.get(0)?, row.get(1)?);
            let from = Role::from_code(&from).ok_or_else(|| StoreError::Internal(format!("unknown role {from}")))?;
            if from == role {
                return Err(StoreError::conflict(
                    format!("{username} 已是{}", role.zh()),
                    format!("{username} is a {} already", role.code()),
                ));
            }
            // 三员分立: the two-person rule never lapses by the last approver's role going away.
            if from == Role::SecurityAdministrator {
                let others: i64 = conn.scalar(
                    "SELECT COUNT(*) FROM users WHERE role = $1 AND username <> $2",
                    args![Role::SecurityAdministrator.code(), username],
                )?;
                if others == 0 {
                    return Err(StoreError::conflict(
                        "这是唯一的安全保密管理员：须先有另一位安全保密管理员，才能更改其角色",
                        "this is the only security administrator: another must exist before their role changes",
                    ));
                }
            }
            conn.exec("UPDATE users SET role = $1 WHERE username = $2", args![role.code(), username])?;
            // What the account may see changes now, not when its sessions or tokens run out.
            conn.exec("DELETE FROM sessions WHERE username = $1", args![&username])?;
            conn.exec(
                "UPDATE api_tokens SET revoked_at = $1 WHERE username = $2 AND revoked_at IS NULL",
                args![crate::ts(now()), username],
            )?;
            (court, EventBody::RoleChanged { username, from, to: role })
        }
        AdminChange::Disable { username } => {
            let court = court_of(conn, &username)?;
            conn.exec(
                "UPDATE users SET disabled_at = $1 WHERE username = $2 AND disabled_at IS NULL",
                args![crate::ts(now()), username],
            )?;
            conn.exec("DELETE FROM sessions WHERE username = $1", args![&username])?;
            conn.exec(
                "UPDATE api_tokens SET revoked_at = $1 WHERE username = $2 AND revoked_at IS NULL",
                args![crate::ts(now()), username],
            )?;
            (court, EventBody::UserDisabled { username })
        }
        AdminChange::ResetSecondFactor { username } => {
            let court = court_of(conn, &username)?;
            conn.exec(
                "UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = 0 WHERE username = $1",
                args![&username],
            )?;
            // Sessions opened with the old factor end too, and tokens that carry it: whoever holds
            // the lost device is out.
            conn.exec("DELETE FROM sessions WHERE username = $1", args![&username])?;
            conn.exec(
                "UPDATE api_tokens SET revoked_at = $1 WHERE username = $2 AND revoked_at IS NULL AND second_factor = 1",
                args![crate::ts(now()), username],
            )?;
            (court, EventBody::SecondFactorReset { username })
        }
        AdminChange::SetPermissions(grants) => (String::new(), EventBody::PermissionsSet { grants }),
    })
}

/// R4: the court staff present must be users of the recorder's court who can sign.
fn check_cosigners(conn: &dyn Db, actor: &User, record: &Record) -> Result<()> {
    let mut problems = Vec::new();
    for (i, signer) in record.court_staff_present.iter().enumerate() {
        let row = conn
            .row("SELECT court_id, role FROM users WHERE username = $1", args![signer])?
            .map(|r| Ok::<_, StoreError>((r.get::<String>(0)?, r.get::<String>(1)?)))
            .transpose()?;
        let ok = row.is_some_and(|(court, role)| {
            court == actor.court_id && Role::from_code(&role).is_some_and(|r| r.is_court_staff())
        });
        if !ok {
            problems.push(Problem::new(
                format!("court_staff_present[{i}]"),
                "R4",
                "unknown_user",
                format!("“{signer}”不是本院可以签字确认的工作人员账号"),
                format!("\"{signer}\" is not an account of this court's staff who can co-sign"),
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(StoreError::Invalid(problems)) }
}

fn create(conn: &dyn Db, actor: User, record: Record, source: Source, app: &mut tree::Appender<'_>) -> Result<Created> {
    if let Some(key_hash) = &source.idempotency_key_hash {
        let earlier = conn
            .row(
                "SELECT i.record_id, r.created_seq, v.data FROM idempotency i
                 JOIN records r ON r.id = i.record_id
                 JOIN record_versions v ON v.record_id = i.record_id AND v.version = 1
                 WHERE i.actor = $1 AND i.key_hash = $2",
                args![actor.username, key_hash],
            )?
            .map(|r| Ok::<_, StoreError>((r.get::<String>(0)?, r.get::<i64>(1)?, r.get::<String>(2)?)))
            .transpose()?;
        if let Some((record_id, seq, data)) = earlier {
            if decode_record(&data)? != record {
                return Err(StoreError::conflict(
                    "这个 Idempotency-Key 已用于一条内容不同的记录；新的记录请用新的键",
                    "this Idempotency-Key was used for a different record; use a new key for a new record",
                ));
            }
            return Ok(Created {
                record_id: record_id.parse().map_err(|e| StoreError::Internal(format!("{e}")))?,
                seq,
                replayed: true,
            });
        }
    }
    check_cosigners(conn, &actor, &record)?;
    let record_id = Uuid::now_v7();
    let event =
        Event::new(now(), &actor.username, &actor.court_id, EventBody::RecordCreated { record_id, source, record });
    let seq = append(conn, app, &event)?;
    Ok(Created { record_id, seq, replayed: false })
}

fn amend(
    conn: &dyn Db,
    actor: User,
    id: Uuid,
    record: Record,
    reason: String,
    expected: Option<u32>,
    app: &mut tree::Appender<'_>,
) -> Result<i64> {
    let current = load_record_for_write(conn, id)?.filter(|r| r.court_id == actor.court_id).ok_or_else(not_found)?;
    if current.recorder != actor.username {
        return Err(StoreError::forbidden("只有录入人可以修改自己的记录", "only the recorder can amend a record"));
    }
    if let Some(expected) = expected
        && expected != current.version
    {
        return Err(StoreError::conflict(
            format!("记录已是第 {} 版，你修改的是第 {expected} 版；请先查看最新版本", current.version),
            format!(
                "the record is at version {}, you amended version {expected}; look at the latest first",
                current.version
            ),
        ));
    }
    if current.record == record {
        return Err(StoreError::conflict("修改后的内容与当前版本相同", "the amendment changes nothing"));
    }
    check_cosigners(conn, &actor, &record)?;
    let body = EventBody::RecordAmended {
        record_id: id,
        version: current.version + 1,
        replaces_version: current.version,
        reason,
        record,
    };
    append(conn, app, &Event::new(now(), &actor.username, &actor.court_id, body))
}

fn sign(
    conn: &dyn Db,
    actor: User,
    id: Uuid,
    version: Option<u32>,
    dispute: Option<String>,
    app: &mut tree::Appender<'_>,
) -> Result<i64> {
    let current = load_record_for_write(conn, id)?.filter(|r| r.court_id == actor.court_id).ok_or_else(not_found)?;
    if let Some(v) = version
        && v != current.version
    {
        return Err(StoreError::conflict(
            format!("记录已修改为第 {} 版，请查看并确认新版本", current.version),
            format!("the record was amended to version {}; read and confirm the new version", current.version),
        ));
    }
    let state: Option<String> = conn
        .row(
            "SELECT state FROM cosignatures WHERE record_id = $1 AND version = $2 AND signer = $3",
            args![id.to_string(), i64::from(current.version), actor.username],
        )?
        .map(|r| r.get(0))
        .transpose()?;
    match state.as_deref() {
        None => {
            return Err(StoreError::forbidden(
                "你不在本记录列明的在场法院工作人员中，不能签字确认",
                "you are not among the court staff present named in this record",
            ));
        }
        Some("pending") => {}
        Some(other) => {
            let label = CosignState::from_code(other).map(|s| s.zh()).unwrap_or(other);
            return Err(StoreError::conflict(
                format!("你已对此版本作出表示：{label}"),
                format!("you have already answered for this version: {other}"),
            ));
        }
    }
    let version = current.version;
    let signer = actor.username.clone();
    let body = match dispute {
        None => EventBody::RecordCosigned { record_id: id, version, signer },
        Some(reason) => EventBody::RecordDisputed { record_id: id, version, signer, reason },
    };
    append(conn, app, &Event::new(now(), &actor.username, &actor.court_id, body))
}

fn add_material(
    conn: &dyn Db,
    actor: User,
    id: Uuid,
    meta: MaterialMeta,
    disposition: Disposition,
    stored: StoredObject,
    app: &mut tree::Appender<'_>,
) -> Result<Outcome> {
    let current = load_record_for_write(conn, id)?.filter(|r| r.court_id == actor.court_id).ok_or_else(not_found)?;
    if current.recorder != actor.username {
        return Err(StoreError::forbidden("只有录入人可以为记录添加材料", "only the recorder can add materials"));
    }
    let material_id = Uuid::now_v7();
    let body = EventBody::MaterialAdded {
        record_id: id,
        material_id,
        sha256: stored.sha256,
        size: stored.size,
        category: meta.category,
        file_name: meta.file_name.trim().to_string(),
        media_type: stored.media_type,
        disposition,
        whereabouts: meta.whereabouts.as_deref().map(str::trim).filter(|w| !w.is_empty()).map(str::to_string),
    };
    let seq = append(conn, app, &Event::new(now(), &actor.username, &actor.court_id, body))?;
    Ok(Outcome::Material(material_id, seq))
}

fn unexpected() -> StoreError {
    StoreError::Internal("the sequencer answered with another kind of outcome".into())
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

impl Store {
    /// Check a draft as recording it would, without recording: the entry page's review step.
    pub fn check_draft(&self, actor: &User, draft: &RecordDraft) -> Result<Record> {
        self.require_recorder_role(actor)?;
        self.validate(actor, draft)
    }

    fn validate(&self, actor: &User, draft: &RecordDraft) -> Result<Record> {
        let ctx =
            liuhen_rules::Context { now: now(), recorder: &actor.username, extra_regions: &self.config.extra_regions };
        validate_record(draft, &ctx).map_err(StoreError::Invalid)
    }

    /// S3: recording (and amending one's own records) needs `record.create`; the system
    /// administrator never holds it (separation of duties).
    fn require_recorder_role(&self, actor: &User) -> Result<()> {
        if self.permits(actor, Permission::RecordCreate) {
            return Ok(());
        }
        if actor.role == Role::SystemAdministrator {
            return Err(StoreError::forbidden(
                "系统管理员不能录入或查看过问记录（职责分离）",
                "the system administrator neither records nor reads records (separation of duties)",
            ));
        }
        Err(StoreError::forbidden("你的角色不能录入过问记录", "your role may not record inquiries"))
    }

    /// Record an inquiry (R1, S2). With an idempotency key (R3, the case-management system's
    /// push), a repeated request returns the record made the first time.
    pub async fn create_record(
        &self,
        actor: &User,
        draft: &RecordDraft,
        channel: &str,
        external_id: Option<String>,
        idempotency_key: Option<&str>,
    ) -> Result<Created> {
        self.require_recorder_role(actor)?;
        let record = self.validate(actor, draft)?;
        let source =
            Source { channel: channel.to_string(), external_id, idempotency_key_hash: idempotency_key.map(hash_key) };
        match self.sequencer.submit(Op::Create { actor: actor.clone(), record, source }).await? {
            Outcome::Created(c) => Ok(c),
            _ => Err(unexpected()),
        }
    }

    /// A correction: a new version pointing at the one it replaces, with the reason (R1). Only the
    /// recorder amends; co-signers present confirm the new version afresh (R4).
    pub async fn amend_record(
        &self,
        actor: &User,
        id: Uuid,
        draft: &RecordDraft,
        reason: &str,
        expected_version: Option<u32>,
    ) -> Result<i64> {
        self.require_recorder_role(actor)?;
        self.check_can_amend(actor, id).await?;
        let reason = check_reason("reason", reason, "请说明修改理由", "give the reason for the amendment");
        let (reason, record) = match (reason, self.validate(actor, draft)) {
            (Ok(r), Ok(rec)) => (r, rec),
            (Err(StoreError::Invalid(mut a)), Err(StoreError::Invalid(b))) => {
                a.extend(b);
                return Err(StoreError::Invalid(a));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        self.append_op(Op::Amend { actor: actor.clone(), id, record, reason, expected: expected_version }).await
    }

    /// R4: a court staff member present confirms the current version under their own login.
    pub async fn cosign(&self, actor: &User, id: Uuid, version: Option<u32>) -> Result<i64> {
        self.sign(actor, id, version, None).await
    }

    /// R4: a court staff member present disputes the current version, with the reason.
    pub async fn dispute(&self, actor: &User, id: Uuid, version: Option<u32>, reason: &str) -> Result<i64> {
        let reason = check_reason("reason", reason, "请说明异议理由", "give the reason for the dispute")?;
        self.sign(actor, id, version, Some(reason)).await
    }

    async fn sign(&self, actor: &User, id: Uuid, version: Option<u32>, dispute: Option<String>) -> Result<i64> {
        if !self.permits(actor, Permission::RecordCosign) {
            return Err(StoreError::forbidden("你的角色不签字确认过问记录", "your role does not co-sign records"));
        }
        self.append_op(Op::Sign { actor: actor.clone(), id, version, dispute }).await
    }

    /// 查看留痕: note in the ledger that `viewer` read what `body` says, durably, before the
    /// contents are handed over. Returns the event's index.
    pub(crate) async fn note_view(&self, viewer: &User, body: EventBody) -> Result<i64> {
        self.append_op(Op::Note { actor: viewer.clone(), body }).await
    }

    /// Carry out an administrative change and record it in the ledger (issue 4). `actor` is the
    /// account that made it, or `console` for the command line.
    pub(crate) async fn administer(&self, actor: &str, change: AdminChange) -> Result<i64> {
        self.append_op(Op::Admin { actor: actor.to_string(), change }).await
    }

    /// Record a material already written to the material store (R5).
    pub async fn add_material(
        &self,
        actor: &User,
        id: Uuid,
        meta: &MaterialMeta,
        stored: &StoredObject,
    ) -> Result<(Uuid, i64)> {
        let disposition = Self::check_material_meta(meta)?;
        match self
            .sequencer
            .submit(Op::AddMaterial {
                actor: actor.clone(),
                id,
                meta: meta.clone(),
                disposition,
                stored: stored.clone(),
            })
            .await?
        {
            Outcome::Material(id, seq) => Ok((id, seq)),
            _ => Err(unexpected()),
        }
    }
}
