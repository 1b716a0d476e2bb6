//! Commands on records (create, amend, co-sign, dispute, add material) and the queries over them.
//! Each command validates, checks the current state and appends its event in one transaction.

use liuhen_ledger::{Event, EventBody, Source};
use liuhen_rules::{
    CaseNumber, CosignState, Disposition, Form, Listed, MaterialCategory, Problem, Record, RecordDraft, Register, Role,
    parse_case_number_with, validate_record,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::projection::append;
use crate::{MaterialStore, Result, Store, StoreError, StoredObject, User, now, parse_ts, ts};

pub const MAX_REASON_CHARS: usize = 2000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub record_id: Uuid,
    /// The record's index in the ledger.
    pub seq: i64,
    /// True when an Idempotency-Key matched an earlier push: nothing new was stored.
    pub replayed: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CosignatureView {
    pub version: u32,
    pub signer: String,
    pub state: CosignState,
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
    pub seq: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: u32,
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Why the record was amended; none for the first version.
    pub reason: Option<String>,
    pub seq: i64,
    pub record: Record,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaterialView {
    pub id: Uuid,
    pub sha256: String,
    pub size: u64,
    pub category: MaterialCategory,
    pub file_name: String,
    pub media_type: String,
    pub disposition: Disposition,
    pub whereabouts: Option<String>,
    pub added_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    pub seq: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerPosition {
    pub created_seq: i64,
    pub last_seq: i64,
}

/// A record with everything that happened to it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub id: Uuid,
    pub court_id: String,
    pub recorder: String,
    pub version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub channel: String,
    pub external_id: Option<String>,
    pub record: Record,
    /// The case number taken apart.
    pub case: Option<CaseNumber>,
    /// not_required, pending, confirmed or disputed (for the current version).
    pub cosign_status: String,
    pub cosignatures: Vec<CosignatureView>,
    pub versions: Vec<VersionView>,
    pub materials: Vec<MaterialView>,
    pub ledger: LedgerPosition,
}

/// One line of a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordSummary {
    pub id: Uuid,
    pub court_id: String,
    pub recorder: String,
    pub register: Register,
    pub version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub case_number: Option<String>,
    pub stage: String,
    pub form: Form,
    pub intervener_name: String,
    pub intervener_unit: String,
    pub unit_type: String,
    pub leading_cadre: bool,
    pub serious: bool,
    pub special_items: Vec<u8>,
    pub cosign_status: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub court_id: Option<String>,
    /// Default: the store only (S5 and internal entries stay out of it, R6, R18).
    pub register: Option<Register>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub form: Option<Form>,
    pub special_item: Option<u8>,
    pub case_number: Option<String>,
    /// Part of the intervener's name or unit.
    pub intervener: Option<String>,
    pub recorder: Option<String>,
    pub serious: Option<bool>,
    pub page: u32,
    pub per_page: u32,
}

/// What the uploader says about a material.
#[derive(Debug, Clone)]
pub struct MaterialMeta {
    pub category: MaterialCategory,
    pub disposition: Option<Disposition>,
    pub whereabouts: Option<String>,
    pub file_name: String,
}

struct RecordRow {
    court_id: String,
    recorder: String,
    version: u32,
    record: Record,
}

fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn not_found() -> StoreError {
    StoreError::not_found("记录不存在，或不在你可以查看的范围内", "no such record, or not one you may see")
}

fn decode_record(json: &str) -> Result<Record> {
    serde_json::from_str(json).map_err(|e| StoreError::Internal(format!("stored record does not decode: {e}")))
}

fn u32_of(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

async fn load_record(conn: &mut SqliteConnection, id: Uuid) -> Result<Option<RecordRow>> {
    let row = sqlx::query("SELECT court_id, recorder, version, data FROM records WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(RecordRow {
            court_id: r.try_get("court_id")?,
            recorder: r.try_get("recorder")?,
            version: u32_of(r.try_get("version")?),
            record: decode_record(&r.try_get::<String, _>("data")?)?,
        })
    })
    .transpose()
}

fn check_reason(field: &str, reason: &str, zh: &str, en: &str) -> Result<String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::invalid(Problem::new(field, "R1", "required", zh, en)));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(StoreError::invalid(Problem::new(
            field,
            "R1",
            "too_long",
            format!("理由最多 {MAX_REASON_CHARS} 字"),
            format!("the reason may have at most {MAX_REASON_CHARS} characters"),
        )));
    }
    Ok(reason.to_string())
}

impl Store {
    fn validate(&self, actor: &User, draft: &RecordDraft) -> Result<Record> {
        let ctx =
            liuhen_rules::Context { now: now(), recorder: &actor.username, extra_regions: &self.config.extra_regions };
        validate_record(draft, &ctx).map_err(StoreError::Invalid)
    }

    fn require_recorder_role(actor: &User) -> Result<()> {
        if actor.role == Role::SystemAdministrator {
            return Err(StoreError::forbidden(
                "系统管理员不能录入或查看过问记录（职责分离）",
                "the system administrator neither records nor reads records (separation of duties)",
            ));
        }
        Ok(())
    }

    /// R4: the court staff present must be users of the recorder's court who can sign.
    async fn check_cosigners(conn: &mut SqliteConnection, actor: &User, record: &Record) -> Result<()> {
        let mut problems = Vec::new();
        for (i, signer) in record.court_staff_present.iter().enumerate() {
            let row = sqlx::query("SELECT court_id, role FROM users WHERE username = ?")
                .bind(signer)
                .fetch_optional(&mut *conn)
                .await?;
            let ok = match row {
                Some(r) => {
                    r.try_get::<String, _>("court_id")? == actor.court_id
                        && r.try_get::<String, _>("role")? != Role::SystemAdministrator.code()
                }
                None => false,
            };
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
        Self::require_recorder_role(actor)?;
        let record = self.validate(actor, draft)?;
        let key_hash = idempotency_key.map(hash_key);
        let mut tx = self.begin_write().await?;
        if let Some(key_hash) = &key_hash {
            let earlier = sqlx::query(
                "SELECT i.record_id, r.created_seq, v.data FROM idempotency i
                 JOIN records r ON r.id = i.record_id
                 JOIN record_versions v ON v.record_id = i.record_id AND v.version = 1
                 WHERE i.actor = ? AND i.key_hash = ?",
            )
            .bind(&actor.username)
            .bind(key_hash)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = earlier {
                let first = decode_record(&row.try_get::<String, _>("data")?)?;
                if first != record {
                    return Err(StoreError::conflict(
                        "这个 Idempotency-Key 已用于一条内容不同的记录；新的记录请用新的键",
                        "this Idempotency-Key was used for a different record; use a new key for a new record",
                    ));
                }
                let record_id: String = row.try_get("record_id")?;
                return Ok(Created {
                    record_id: record_id.parse().map_err(|e| StoreError::Internal(format!("{e}")))?,
                    seq: row.try_get("created_seq")?,
                    replayed: true,
                });
            }
        }
        Self::check_cosigners(&mut tx, actor, &record).await?;
        let record_id = Uuid::now_v7();
        let source = Source { channel: channel.to_string(), external_id, idempotency_key_hash: key_hash };
        let event =
            Event::new(now(), &actor.username, &actor.court_id, EventBody::RecordCreated { record_id, source, record });
        let seq = append(&mut tx, &event, &self.config.extra_regions).await?;
        tx.commit().await?;
        Ok(Created { record_id, seq, replayed: false })
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
        Self::require_recorder_role(actor)?;
        let reason = check_reason("reason", reason, "请说明修改理由", "give the reason for the amendment");
        let record = self.validate(actor, draft);
        let (reason, record) = match (reason, record) {
            (Ok(r), Ok(rec)) => (r, rec),
            (Err(StoreError::Invalid(mut a)), Err(StoreError::Invalid(b))) => {
                a.extend(b);
                return Err(StoreError::Invalid(a));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let mut tx = self.begin_write().await?;
        let current = load_record(&mut tx, id).await?.filter(|r| r.court_id == actor.court_id).ok_or_else(not_found)?;
        if current.recorder != actor.username {
            return Err(StoreError::forbidden("只有录入人可以修改自己的记录", "only the recorder can amend a record"));
        }
        if let Some(expected) = expected_version
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
        Self::check_cosigners(&mut tx, actor, &record).await?;
        let body = EventBody::RecordAmended {
            record_id: id,
            version: current.version + 1,
            replaces_version: current.version,
            reason,
            record,
        };
        let seq =
            append(&mut tx, &Event::new(now(), &actor.username, &actor.court_id, body), &self.config.extra_regions)
                .await?;
        tx.commit().await?;
        Ok(seq)
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
        let mut tx = self.begin_write().await?;
        let current = load_record(&mut tx, id).await?.filter(|r| r.court_id == actor.court_id).ok_or_else(not_found)?;
        if let Some(v) = version
            && v != current.version
        {
            return Err(StoreError::conflict(
                format!("记录已修改为第 {} 版，请查看并确认新版本", current.version),
                format!("the record was amended to version {}; read and confirm the new version", current.version),
            ));
        }
        let state: Option<String> =
            sqlx::query("SELECT state FROM cosignatures WHERE record_id = ? AND version = ? AND signer = ?")
                .bind(id.to_string())
                .bind(i64::from(current.version))
                .bind(&actor.username)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("state"))
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
        let seq =
            append(&mut tx, &Event::new(now(), &actor.username, &actor.court_id, body), &self.config.extra_regions)
                .await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Whether `actor` may add materials to the record: checked before an upload is streamed, and
    /// again when it is recorded.
    pub async fn check_can_add_material(&self, actor: &User, id: Uuid) -> Result<()> {
        let mut conn = self.reader.acquire().await?;
        let current =
            load_record(&mut conn, id).await?.filter(|r| r.court_id == actor.court_id).ok_or_else(not_found)?;
        if current.recorder != actor.username {
            return Err(StoreError::forbidden("只有录入人可以为记录添加材料", "only the recorder can add materials"));
        }
        Ok(())
    }

    /// R5: the material's rules, checked before its bytes are accepted.
    pub fn check_material_meta(meta: &MaterialMeta) -> Result<Disposition> {
        let written = matches!(meta.category, MaterialCategory::OfficialLetter | MaterialCategory::Letter);
        let disposition =
            meta.disposition.unwrap_or(if written { Disposition::FiledWithCase } else { Disposition::Whereabouts });
        let mut problems = Vec::new();
        if written && disposition != Disposition::FiledWithCase {
            problems.push(Problem::new(
                "disposition",
                "R5",
                "not_allowed",
                "书面材料（函文、信件）一律附随案件卷宗归档（S4 第二款）",
                "written materials (letters) are always filed with the case (S4 ¶2)",
            ));
        }
        let whereabouts = meta.whereabouts.as_deref().map(str::trim).filter(|w| !w.is_empty());
        if disposition == Disposition::Whereabouts && whereabouts.is_none() {
            problems.push(Problem::new(
                "whereabouts",
                "R5",
                "required",
                "其他材料归档时应当注明去向（S4 第二款）",
                "for other materials, say where they went (S4 ¶2)",
            ));
        }
        if whereabouts.is_some_and(|w| w.chars().count() > 500) {
            problems.push(Problem::new(
                "whereabouts",
                "R5",
                "too_long",
                "去向最多 500 字",
                "whereabouts may have at most 500 characters",
            ));
        }
        if meta.file_name.trim().is_empty() || meta.file_name.chars().count() > 255 {
            problems.push(Problem::new(
                "file",
                "R5",
                "invalid",
                "请选择要上传的文件（文件名不超过 255 字）",
                "choose a file to upload (name at most 255 characters)",
            ));
        }
        if problems.is_empty() { Ok(disposition) } else { Err(StoreError::Invalid(problems)) }
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
        let mut tx = self.begin_write().await?;
        let current = load_record(&mut tx, id).await?.filter(|r| r.court_id == actor.court_id).ok_or_else(not_found)?;
        if current.recorder != actor.username {
            return Err(StoreError::forbidden("只有录入人可以为记录添加材料", "only the recorder can add materials"));
        }
        let material_id = Uuid::now_v7();
        let body = EventBody::MaterialAdded {
            record_id: id,
            material_id,
            sha256: stored.sha256.clone(),
            size: stored.size,
            category: meta.category,
            file_name: meta.file_name.trim().to_string(),
            media_type: stored.media_type.clone(),
            disposition,
            whereabouts: meta.whereabouts.as_deref().map(str::trim).filter(|w| !w.is_empty()).map(str::to_string),
        };
        let seq =
            append(&mut tx, &Event::new(now(), &actor.username, &actor.court_id, body), &self.config.extra_regions)
                .await?;
        tx.commit().await?;
        Ok((material_id, seq))
    }

    fn check_may_read(viewer: &User) -> Result<()> {
        if !viewer.may_read_records() {
            return Err(StoreError::forbidden(
                "系统管理员不能查看过问记录的内容（职责分离）",
                "the system administrator cannot read record contents (separation of duties)",
            ));
        }
        Ok(())
    }

    /// A record with its versions, co-signatures and materials, if `viewer` may see it.
    pub async fn record(&self, viewer: &User, id: Uuid) -> Result<RecordView> {
        Self::check_may_read(viewer)?;
        let sid = id.to_string();
        let row = sqlx::query("SELECT * FROM records WHERE id = ? AND court_id = ?")
            .bind(&sid)
            .bind(&viewer.court_id)
            .fetch_optional(&self.reader)
            .await?
            .ok_or_else(not_found)?;
        let record = decode_record(&row.try_get::<String, _>("data")?)?;
        let case =
            record.case_number.as_deref().and_then(|c| parse_case_number_with(c, &self.config.extra_regions).ok());
        let versions = sqlx::query("SELECT * FROM record_versions WHERE record_id = ? ORDER BY version")
            .bind(&sid)
            .fetch_all(&self.reader)
            .await?;
        let versions = versions
            .iter()
            .map(|v| {
                Ok(VersionView {
                    version: u32_of(v.try_get("version")?),
                    actor: v.try_get("actor")?,
                    at: parse_ts(&v.try_get::<String, _>("at")?)?,
                    reason: v.try_get("reason")?,
                    seq: v.try_get("seq")?,
                    record: decode_record(&v.try_get::<String, _>("data")?)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let cosignatures = sqlx::query("SELECT * FROM cosignatures WHERE record_id = ? ORDER BY version, signer")
            .bind(&sid)
            .fetch_all(&self.reader)
            .await?;
        let cosignatures = cosignatures
            .iter()
            .map(|c| {
                let state: String = c.try_get("state")?;
                Ok(CosignatureView {
                    version: u32_of(c.try_get("version")?),
                    signer: c.try_get("signer")?,
                    state: CosignState::from_code(&state)
                        .ok_or_else(|| StoreError::Internal(format!("state {state}")))?,
                    reason: c.try_get("reason")?,
                    at: c.try_get::<Option<String>, _>("at")?.as_deref().map(parse_ts).transpose()?,
                    seq: c.try_get("seq")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let materials = sqlx::query("SELECT * FROM materials WHERE record_id = ? ORDER BY seq")
            .bind(&sid)
            .fetch_all(&self.reader)
            .await?;
        let materials = materials.iter().map(material_view).collect::<Result<Vec<_>>>()?;
        Ok(RecordView {
            id,
            court_id: row.try_get("court_id")?,
            recorder: row.try_get("recorder")?,
            version: u32_of(row.try_get("version")?),
            created_at: parse_ts(&row.try_get::<String, _>("created_at")?)?,
            updated_at: parse_ts(&row.try_get::<String, _>("updated_at")?)?,
            channel: row.try_get("channel")?,
            external_id: row.try_get("external_id")?,
            record,
            case,
            cosign_status: row.try_get("cosign_status")?,
            cosignatures,
            versions,
            materials,
            ledger: LedgerPosition { created_seq: row.try_get("created_seq")?, last_seq: row.try_get("last_seq")? },
        })
    }

    /// Records of the viewer's court matching `filter`, newest inquiry first.
    pub async fn list_records(&self, viewer: &User, filter: &RecordFilter) -> Result<Page<RecordSummary>> {
        Self::check_may_read(viewer)?;
        if let Some(court) = &filter.court_id
            && court != &viewer.court_id
        {
            return Err(StoreError::forbidden("只能查看本院的记录", "you can see your own court's records only"));
        }
        let per_page = filter.per_page.clamp(1, 200);
        let page = filter.page.max(1);
        let build = |select: &str| {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(select);
            q.push(" FROM records WHERE court_id = ").push_bind(viewer.court_id.clone());
            q.push(" AND register = ").push_bind(filter.register.unwrap_or(Register::Store).code());
            if let Some(from) = filter.from {
                q.push(" AND occurred_at >= ").push_bind(ts(from));
            }
            if let Some(to) = filter.to {
                q.push(" AND occurred_at < ").push_bind(ts(to));
            }
            if let Some(form) = filter.form {
                q.push(" AND form = ").push_bind(form.code());
            }
            if let Some(item) = filter.special_item {
                q.push(" AND id IN (SELECT record_id FROM record_special_items WHERE item = ")
                    .push_bind(i64::from(item))
                    .push(")");
            }
            if let Some(case) = &filter.case_number {
                let normalised = parse_case_number_with(case, &self.config.extra_regions)
                    .map(|c| c.text)
                    .unwrap_or_else(|_| case.trim().to_string());
                q.push(" AND case_number = ").push_bind(normalised);
            }
            if let Some(who) = filter.intervener.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
                let pattern = format!("%{}%", who.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
                q.push(" AND (intervener_name LIKE ")
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\' OR intervener_unit LIKE ")
                    .push_bind(pattern)
                    .push(" ESCAPE '\\')");
            }
            if let Some(recorder) = &filter.recorder {
                q.push(" AND recorder = ").push_bind(recorder.clone());
            }
            if let Some(serious) = filter.serious {
                q.push(" AND serious = ").push_bind(serious);
            }
            q
        };
        let total: i64 = build("SELECT COUNT(*)").build().fetch_one(&self.reader).await?.try_get(0)?;
        let mut q = build("SELECT *");
        q.push(" ORDER BY occurred_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(per_page))
            .push(" OFFSET ")
            .push_bind(i64::from((page - 1) * per_page));
        let rows = q.build().fetch_all(&self.reader).await?;
        let items = rows.iter().map(summary).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total, page, per_page })
    }

    /// The co-signature inbox: records whose current version waits for `viewer` (R4).
    pub async fn cosign_inbox(&self, viewer: &User) -> Result<Vec<RecordSummary>> {
        Self::check_may_read(viewer)?;
        let rows = sqlx::query(
            "SELECT r.* FROM records r JOIN cosignatures c ON c.record_id = r.id AND c.version = r.version
             WHERE c.signer = ? AND c.state = 'pending' AND r.court_id = ? ORDER BY r.created_at",
        )
        .bind(&viewer.username)
        .bind(&viewer.court_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(summary).collect()
    }

    /// A material's description, if `viewer` may see its record.
    pub async fn material(&self, viewer: &User, material_id: Uuid) -> Result<(Uuid, MaterialView)> {
        Self::check_may_read(viewer)?;
        let row = sqlx::query(
            "SELECT m.* FROM materials m JOIN records r ON r.id = m.record_id WHERE m.id = ? AND r.court_id = ?",
        )
        .bind(material_id.to_string())
        .bind(&viewer.court_id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| {
            StoreError::not_found("材料不存在，或不在你可以查看的范围内", "no such material, or not one you may see")
        })?;
        let record_id: String = row.try_get("record_id")?;
        Ok((record_id.parse().map_err(|e| StoreError::Internal(format!("{e}")))?, material_view(&row)?))
    }

    pub fn material_store(&self) -> &MaterialStore {
        &self.materials
    }
}

fn material_view(m: &sqlx::sqlite::SqliteRow) -> Result<MaterialView> {
    let category: String = m.try_get("category")?;
    let disposition: String = m.try_get("disposition")?;
    let id: String = m.try_get("id")?;
    Ok(MaterialView {
        id: id.parse().map_err(|e| StoreError::Internal(format!("{e}")))?,
        sha256: m.try_get("sha256")?,
        size: u64::try_from(m.try_get::<i64, _>("size")?).unwrap_or(0),
        category: MaterialCategory::from_code(&category).ok_or_else(|| StoreError::Internal(category.clone()))?,
        file_name: m.try_get("file_name")?,
        media_type: m.try_get("media_type")?,
        disposition: Disposition::from_code(&disposition).ok_or_else(|| StoreError::Internal(disposition.clone()))?,
        whereabouts: m.try_get("whereabouts")?,
        added_by: m.try_get("added_by")?,
        added_at: parse_ts(&m.try_get::<String, _>("added_at")?)?,
        seq: m.try_get("seq")?,
    })
}

fn summary(r: &sqlx::sqlite::SqliteRow) -> Result<RecordSummary> {
    let id: String = r.try_get("id")?;
    let register: String = r.try_get("register")?;
    let form: String = r.try_get("form")?;
    let items: String = r.try_get("special_items")?;
    Ok(RecordSummary {
        id: id.parse().map_err(|e| StoreError::Internal(format!("{e}")))?,
        court_id: r.try_get("court_id")?,
        recorder: r.try_get("recorder")?,
        register: Register::from_code(&register).ok_or_else(|| StoreError::Internal(register.clone()))?,
        version: u32_of(r.try_get("version")?),
        created_at: parse_ts(&r.try_get::<String, _>("created_at")?)?,
        occurred_at: parse_ts(&r.try_get::<String, _>("occurred_at")?)?,
        case_number: r.try_get("case_number")?,
        stage: r.try_get("stage")?,
        form: Form::from_code(&form).ok_or_else(|| StoreError::Internal(form.clone()))?,
        intervener_name: r.try_get("intervener_name")?,
        intervener_unit: r.try_get("intervener_unit")?,
        unit_type: r.try_get("unit_type")?,
        leading_cadre: r.try_get("leading_cadre")?,
        serious: r.try_get("serious")?,
        special_items: items.split(',').filter_map(|s| s.parse().ok()).collect(),
        cosign_status: r.try_get("cosign_status")?,
    })
}
