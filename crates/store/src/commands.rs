//! The commands on records (S2, R4, R5): recording, amending, co-signing or disputing, adding a
//! material — each validated in the caller's task, then checked against the current state and
//! written by the sequencer (`sequencer.rs`).

use liuhen_ledger::{Event, EventBody, Source};
use liuhen_rules::{
    CosignState, Listed, MaterialMeta, Permission, Problem, Record, RecordDraft, Role, validate_record,
};
use uuid::Uuid;

use crate::account_changes::AdminChange;
use crate::projection::append;
use crate::records::{check_reason, decode_record, hash_key, load_record_for_write, not_found};
use crate::sequencer::{Op, Outcome, unexpected};
use crate::sql::{Db, args};
use crate::{Created, Result, Store, StoreError, StoredObject, User, now, tree};

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

pub(crate) fn create(
    conn: &dyn Db,
    actor: User,
    record: Record,
    source: Source,
    app: &mut tree::Appender,
) -> Result<Created> {
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

pub(crate) fn amend(
    conn: &dyn Db,
    actor: User,
    id: Uuid,
    record: Record,
    reason: String,
    expected: Option<u32>,
    app: &mut tree::Appender,
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

pub(crate) fn sign(
    conn: &dyn Db,
    actor: User,
    id: Uuid,
    version: Option<u32>,
    dispute: Option<String>,
    app: &mut tree::Appender,
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

pub(crate) fn add_material(
    conn: &dyn Db,
    actor: User,
    id: Uuid,
    meta: MaterialMeta,
    stored: StoredObject,
    app: &mut tree::Appender,
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
        category: meta.category(),
        file_name: meta.file_name().to_string(),
        media_type: stored.media_type,
        disposition: meta.disposition(),
        whereabouts: meta.whereabouts().map(str::to_string),
    };
    let seq = append(conn, app, &Event::new(now(), &actor.username, &actor.court_id, body))?;
    Ok(Outcome::Material(material_id, seq))
}

impl Store {
    /// Check a draft as recording it would, without recording: the entry page's review step.
    pub fn check_draft(&self, actor: &User, draft: &RecordDraft) -> Result<Record> {
        self.require_recorder_role(actor)?;
        self.validate(actor, draft)
    }

    fn validate(&self, actor: &User, draft: &RecordDraft) -> Result<Record> {
        let ctx = liuhen_rules::Context {
            now: now(),
            recorder: &actor.username,
            extra_regions: &self.config.policy.extra_regions,
        };
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

    /// Record a material already written to the material store (R5), described as the rules
    /// allow (`MaterialMeta::parse`).
    pub async fn add_material(
        &self,
        actor: &User,
        id: Uuid,
        meta: &MaterialMeta,
        stored: &StoredObject,
    ) -> Result<(Uuid, i64)> {
        match self
            .sequencer
            .submit(Op::AddMaterial { actor: actor.clone(), id, meta: meta.clone(), stored: stored.clone() })
            .await?
        {
            Outcome::Material(id, seq) => Ok((id, seq)),
            _ => Err(unexpected()),
        }
    }
}
