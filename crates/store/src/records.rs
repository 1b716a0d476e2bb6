//! Commands on records (create, amend, co-sign, dispute, add material) and the queries over them.
//! Each command validates, checks the current state and appends its event in one transaction.

use liuhen_rules::{
    CaseNumber, CosignState, Disposition, Form, Listed, MaterialCategory, Permission, Problem, Record, Register,
    parse_case_number_with,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{MaterialStore, Result, Store, StoreError, User, parse_ts, ts};
use liuhen_ledger::EventBody;

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
    /// Who wrote this version (the recorder); shown only to the recorder and to roles that may see
    /// recorders (S9).
    pub actor: Option<String>,
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
    /// The recorder, who added it; hidden like `RecordView::recorder`.
    pub added_by: Option<String>,
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
    /// Who recorded it: shown to the recorder and to roles that need it (the store's maintainers,
    /// discipline inspection); null for everyone else (S9, protecting the recorder).
    pub recorder: Option<String>,
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

/// One read of a record (查看留痕).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ViewEntry {
    /// Who read it.
    pub viewer: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `record`, `material`, `receipt` or `list` (it was a line of a list shown to them).
    pub part: String,
    pub material_id: Option<Uuid>,
    /// `api` or `page`.
    pub via: String,
    /// The view's entry in the ledger.
    pub seq: i64,
}

/// One line of a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordSummary {
    pub id: Uuid,
    pub court_id: String,
    /// Hidden (null) as in `RecordView`.
    pub recorder: Option<String>,
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
    /// Words anywhere in the current version: content, handling, the intervener's name, unit and
    /// post, the persons present, place, case number and title (Chinese matched as written).
    pub text: Option<String>,
    /// Only records with (true) or without (false) any S7 special item.
    pub any_special_item: Option<bool>,
    /// The order of the list; newest inquiry first by default.
    pub sort: RecordSort,
    pub page: u32,
    pub per_page: u32,
}

/// How a list of records is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RecordSort {
    /// Newest inquiry first.
    #[default]
    OccurredDesc,
    OccurredAsc,
    /// Most recently recorded first.
    RecordedDesc,
    RecordedAsc,
}

impl RecordSort {
    /// `occurred_at`, `-occurred_at`, `created_at`, `-created_at` (a leading `-`: newest first).
    pub fn from_code(code: &str) -> Option<RecordSort> {
        Some(match code {
            "-occurred_at" => RecordSort::OccurredDesc,
            "occurred_at" => RecordSort::OccurredAsc,
            "-created_at" => RecordSort::RecordedDesc,
            "created_at" => RecordSort::RecordedAsc,
            _ => return None,
        })
    }

    fn order_by(self) -> &'static str {
        match self {
            RecordSort::OccurredDesc => " ORDER BY occurred_at DESC, id DESC",
            RecordSort::OccurredAsc => " ORDER BY occurred_at ASC, id ASC",
            RecordSort::RecordedDesc => " ORDER BY created_seq DESC",
            RecordSort::RecordedAsc => " ORDER BY created_seq ASC",
        }
    }
}

/// What the uploader says about a material.
#[derive(Debug, Clone)]
pub struct MaterialMeta {
    pub category: MaterialCategory,
    pub disposition: Option<Disposition>,
    pub whereabouts: Option<String>,
    pub file_name: String,
}

pub(crate) struct RecordRow {
    pub court_id: String,
    pub recorder: String,
    pub version: u32,
    pub record: Record,
}

pub(crate) fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

pub(crate) fn not_found() -> StoreError {
    StoreError::not_found("记录不存在，或不在你可以查看的范围内", "no such record, or not one you may see")
}

pub(crate) fn decode_record(json: &str) -> Result<Record> {
    serde_json::from_str(json).map_err(|e| StoreError::Internal(format!("stored record does not decode: {e}")))
}

pub(crate) fn u32_of(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// The current version of a record, read on the sequencer's connection.
pub(crate) fn load_record_for_write(conn: &dyn crate::sql::Db, id: Uuid) -> Result<Option<RecordRow>> {
    let row = conn.row(
        "SELECT r.court_id, r.recorder, r.version, v.data FROM records r
         JOIN record_versions v ON v.record_id = r.id AND v.version = r.version WHERE r.id = $1",
        crate::sql::args![id.to_string()],
    )?;
    row.map(|r| {
        Ok(RecordRow {
            court_id: r.get(0)?,
            recorder: r.get(1)?,
            version: u32_of(r.get(2)?),
            record: decode_record(&r.get::<String>(3)?)?,
        })
    })
    .transpose()
}

pub(crate) async fn load_record(conn: &mut AnyConnection, id: Uuid) -> Result<Option<RecordRow>> {
    let row = sqlx::query(
        "SELECT r.court_id, r.recorder, r.version, v.data FROM records r
         JOIN record_versions v ON v.record_id = r.id AND v.version = r.version WHERE r.id = $1",
    )
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

pub(crate) fn check_reason(field: &str, reason: &str, zh: &str, en: &str) -> Result<String> {
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
    /// Whether `actor` may amend the record: checked before the amendment is validated, so that
    /// someone else's record answers "not found" or "forbidden", never with details of the draft;
    /// the sequencer checks again when it writes.
    pub async fn check_can_amend(&self, actor: &User, id: Uuid) -> Result<()> {
        // Out of the actor's read scope: not found, like any id they may not see.
        let (_, recorder) = self.readable_record(actor, id).await?;
        if recorder != actor.username {
            return Err(StoreError::forbidden("只有录入人可以修改自己的记录", "only the recorder can amend a record"));
        }
        Ok(())
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

    /// What `viewer` may read (S3): the court's whole store, or only the records they recorded or
    /// were present at; nothing at all for roles without a record permission (the system
    /// administrator: separation of duties).
    fn read_scope(&self, viewer: &User) -> Result<ReadScope> {
        if self.permits(viewer, Permission::RecordReadCourt) {
            return Ok(ReadScope::Court);
        }
        if self.permits(viewer, Permission::RecordReadOwn) {
            return Ok(ReadScope::Own);
        }
        if !viewer.may_read_records() {
            return Err(StoreError::forbidden(
                "系统管理员、安全保密管理员和安全审计员不能查看过问记录的内容（三员分立）",
                "the system administrator, the security administrator and the security auditor cannot read record contents (separation of duties)",
            ));
        }
        Err(self.refusal(
            viewer,
            Permission::RecordReadOwn,
            "你的角色不能查看过问记录",
            "your role may not read records",
        ))
    }

    /// Whether `viewer` may see who recorded a record `recorder` wrote (S9).
    fn sees_recorder(&self, viewer: &User, recorder: &str) -> bool {
        recorder == viewer.username || self.permits(viewer, Permission::RecordSeeRecorder)
    }

    /// The record's court, recorder and whether it is in `viewer`'s read scope; not found (never
    /// "forbidden") when it is not, so that guessing ids reveals nothing.
    pub(crate) async fn readable_record(&self, viewer: &User, id: Uuid) -> Result<(sqlx::any::AnyRow, String)> {
        let scope = self.read_scope(viewer)?;
        let row = sqlx::query(
            "SELECT r.*, v.data FROM records r JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
             WHERE r.id = $1 AND r.court_id = $2",
        )
        .bind(id.to_string())
        .bind(&viewer.court_id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(not_found)?;
        let recorder: String = row.try_get("recorder")?;
        if scope == ReadScope::Own && recorder != viewer.username {
            let present = crate::sql::flag(
                &sqlx::query("SELECT EXISTS (SELECT 1 FROM cosignatures WHERE record_id = $1 AND signer = $2)")
                    .bind(id.to_string())
                    .bind(&viewer.username)
                    .fetch_one(&self.reader)
                    .await?,
                0,
            )?;
            if !present {
                return Err(not_found());
            }
        }
        Ok((row, recorder))
    }

    /// A record with its versions, co-signatures and materials, if `viewer` may see it. The read
    /// is noted in the ledger (查看留痕) before the record is returned; `via` says through what
    /// (`api`, `page`).
    pub async fn record(&self, viewer: &User, id: Uuid, via: &str) -> Result<RecordView> {
        let (row, recorder) = self.readable_record(viewer, id).await?;
        let show_recorder = self.sees_recorder(viewer, &recorder);
        let sid = id.to_string();
        let record = decode_record(&row.try_get::<String, _>("data")?)?;
        let case =
            record.case_number.as_deref().and_then(|c| parse_case_number_with(c, &self.config.extra_regions).ok());
        let versions = sqlx::query("SELECT * FROM record_versions WHERE record_id = $1 ORDER BY version")
            .bind(&sid)
            .fetch_all(&self.reader)
            .await?;
        let versions = versions
            .iter()
            .map(|v| {
                Ok(VersionView {
                    version: u32_of(v.try_get("version")?),
                    actor: show_recorder.then(|| v.try_get("actor")).transpose()?,
                    at: parse_ts(&v.try_get::<String, _>("at")?)?,
                    reason: v.try_get("reason")?,
                    seq: v.try_get("seq")?,
                    record: decode_record(&v.try_get::<String, _>("data")?)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let cosignatures = sqlx::query("SELECT * FROM cosignatures WHERE record_id = $1 ORDER BY version, signer")
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
        let materials = sqlx::query("SELECT * FROM materials WHERE record_id = $1 ORDER BY seq")
            .bind(&sid)
            .fetch_all(&self.reader)
            .await?;
        let mut materials = materials.iter().map(material_view).collect::<Result<Vec<_>>>()?;
        if !show_recorder {
            materials.iter_mut().for_each(|m| m.added_by = None);
        }
        self.note_view(
            viewer,
            EventBody::RecordViewed { record_id: id, part: "record".into(), material_id: None, via: via.into() },
        )
        .await?;
        Ok(RecordView {
            id,
            court_id: row.try_get("court_id")?,
            recorder: show_recorder.then_some(recorder),
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
    /// Its lines name interveners, so the records listed are noted in the ledger (查看留痕).
    /// The records `viewer` may read that match `filter`, as a query beginning with `select`.
    fn filtered(&self, viewer: &User, scope: ReadScope, filter: &RecordFilter, select: &str) -> crate::sql::Builder {
        let mut q = crate::sql::Builder::new(select);
        q.push(" FROM records WHERE court_id = ").push_bind(viewer.court_id.clone());
        q.push(" AND register = ").push_bind(filter.register.unwrap_or(Register::Store).code());
        if scope == ReadScope::Own {
            q.push(" AND (recorder = ")
                .push_bind(viewer.username.clone())
                .push(" OR id IN (SELECT record_id FROM cosignatures WHERE signer = ")
                .push_bind(viewer.username.clone())
                .push("))");
        }
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
        if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // Each word (split at spaces) must appear in the record's current text; the trigram
            // index serves words of three or more characters, shorter ones scan the index's text.
            for word in text.split_whitespace().take(8) {
                // No ESCAPE clause (the index would not serve it): the wildcards are dropped instead.
                let word: String = word.chars().filter(|c| !matches!(c, '%' | '_')).collect();
                if word.is_empty() {
                    continue;
                }
                q.push(" AND id IN (SELECT record_id FROM record_search WHERE body LIKE ")
                    .push_bind(format!("%{word}%"))
                    .push(")");
            }
        }
        if let Some(any) = filter.any_special_item {
            q.push(if any { " AND special_items <> ''" } else { " AND special_items = ''" });
        }
        if let Some(recorder) = &filter.recorder {
            q.push(" AND recorder = ").push_bind(recorder.clone());
        }
        if let Some(serious) = filter.serious {
            q.push(" AND serious = ").push_bind(i64::from(serious));
        }
        q
    }

    /// How many co-signatures wait for `viewer`, and how many of them longer than
    /// `cosign_overdue_days` (numbers for the desk; nothing is read).
    pub async fn pending_cosignatures(&self, viewer: &User) -> Result<(i64, i64)> {
        let cutoff = crate::now() - time::Duration::days(self.config.cosign_overdue_days);
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN v.at < $1 THEN 1 ELSE 0 END), 0) FROM records r
             JOIN cosignatures c ON c.record_id = r.id AND c.version = r.version
             JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
             WHERE c.signer = $2 AND c.state = 'pending' AND r.court_id = $3",
        )
        .bind(ts(cutoff))
        .bind(&viewer.username)
        .bind(&viewer.court_id)
        .fetch_one(&self.reader)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// S9: a filter on the recorder would tell someone who may not see recorders who recorded a
    /// record they can read (a colleague named present, a leader): through the count, the list,
    /// the page or the CSV. Refused unless they may see recorders, or name themselves (their own
    /// records: nothing to learn).
    fn check_filter_discloses_nothing(&self, viewer: &User, filter: &RecordFilter) -> Result<()> {
        match filter.recorder.as_deref() {
            Some(who) if who != viewer.username && !self.permits(viewer, Permission::RecordSeeRecorder) => {
                Err(StoreError::invalid(Problem::new(
                    "recorder",
                    "S9",
                    "not_permitted",
                    "您的角色不能按录入人筛选：录入人只向需要的角色显示（可以只看自己录入的记录）",
                    "your role may not filter by recorder: who recorded is shown only to the roles that need it (you may filter by your own name)",
                )))
            }
            _ => Ok(()),
        }
    }

    /// How many records match, without reading any (numbers for the desk; no view is logged).
    pub async fn count_records(&self, viewer: &User, filter: &RecordFilter) -> Result<i64> {
        let scope = self.read_scope(viewer)?;
        self.check_filter_discloses_nothing(viewer, filter)?;
        Ok(self.filtered(viewer, scope, filter, "SELECT COUNT(*)").build().fetch_one(&self.reader).await?.try_get(0)?)
    }

    pub async fn list_records(&self, viewer: &User, filter: &RecordFilter, via: &str) -> Result<Page<RecordSummary>> {
        let scope = self.read_scope(viewer)?;
        self.check_filter_discloses_nothing(viewer, filter)?;
        if let Some(court) = &filter.court_id
            && court != &viewer.court_id
        {
            return Err(StoreError::forbidden("只能查看本院的记录", "you can see your own court's records only"));
        }
        let per_page = filter.per_page.clamp(1, 200);
        let page = filter.page.max(1);
        let total: i64 = self
            .filtered(viewer, scope, filter, "SELECT COUNT(*)")
            .build()
            .fetch_one(&self.reader)
            .await?
            .try_get(0)?;
        let mut q = self.filtered(viewer, scope, filter, "SELECT *");
        q.push(filter.sort.order_by())
            .push(" LIMIT ")
            .push_bind(i64::from(per_page))
            .push(" OFFSET ")
            // In 64 bits: a page number near u32::MAX times 200 overflowed 32 (issue 17).
            .push_bind(i64::from(page - 1) * i64::from(per_page));
        let rows = q.build().fetch_all(&self.reader).await?;
        let items = rows.iter().map(|r| self.summary_for(viewer, r)).collect::<Result<Vec<_>>>()?;
        self.note_listed(viewer, &items, via).await?;
        Ok(Page { items, total, page, per_page })
    }

    /// The co-signature inbox: records whose current version waits for `viewer` (R4).
    pub async fn cosign_inbox(&self, viewer: &User, via: &str) -> Result<Vec<RecordSummary>> {
        if !self.permits(viewer, Permission::RecordCosign) {
            return Err(StoreError::forbidden("你的角色不签字确认过问记录", "your role does not co-sign records"));
        }
        let rows = sqlx::query(
            "SELECT r.* FROM records r JOIN cosignatures c ON c.record_id = r.id AND c.version = r.version
             WHERE c.signer = $1 AND c.state = 'pending' AND r.court_id = $2 ORDER BY r.created_at",
        )
        .bind(&viewer.username)
        .bind(&viewer.court_id)
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(|r| self.summary_for(viewer, r)).collect::<Result<Vec<_>>>()?;
        self.note_listed(viewer, &items, via).await?;
        Ok(items)
    }

    /// A material's description, if `viewer` may see its record. Reading it is noted in the ledger
    /// (查看留痕) before this returns: call it only to hand the material over.
    pub async fn material(&self, viewer: &User, material_id: Uuid, via: &str) -> Result<(Uuid, MaterialView)> {
        self.read_scope(viewer)?;
        let row = sqlx::query(
            "SELECT m.* FROM materials m JOIN records r ON r.id = m.record_id WHERE m.id = $1 AND r.court_id = $2",
        )
        .bind(material_id.to_string())
        .bind(&viewer.court_id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| {
            StoreError::not_found("材料不存在，或不在你可以查看的范围内", "no such material, or not one you may see")
        })?;
        let record_id: Uuid =
            row.try_get::<String, _>("record_id")?.parse().map_err(|e| StoreError::Internal(format!("{e}")))?;
        // The material is readable exactly when its record is.
        let (_, recorder) = self.readable_record(viewer, record_id).await.map_err(|e| match e {
            StoreError::NotFound { .. } => StoreError::not_found(
                "材料不存在，或不在你可以查看的范围内",
                "no such material, or not one you may see",
            ),
            other => other,
        })?;
        let mut view = material_view(&row)?;
        if !self.sees_recorder(viewer, &recorder) {
            view.added_by = None;
        }
        self.note_view(
            viewer,
            EventBody::RecordViewed {
                record_id,
                part: "material".into(),
                material_id: Some(material_id),
                via: via.into(),
            },
        )
        .await?;
        Ok((record_id, view))
    }

    async fn note_listed(&self, viewer: &User, items: &[RecordSummary], via: &str) -> Result<()> {
        self.note_listed_ids(viewer, items.iter().map(|r| r.id).collect(), via).await
    }

    /// Record that `viewer` was shown the entries `ids` (查看留痕). A ledger entry holds at most
    /// 64 KiB, so a long list — a province's quarter — is written as several `records_listed`
    /// entries of at most `LISTED_PER_EVENT` ids, submitted together so that they share a commit.
    pub(crate) async fn note_listed_ids(&self, viewer: &User, ids: Vec<Uuid>, via: &str) -> Result<()> {
        const LISTED_PER_EVENT: usize = 1_000;
        if ids.is_empty() {
            // Looking and finding nothing is on the record too: every read leaves its trace.
            self.note_view(viewer, EventBody::RecordsListed { record_ids: Vec::new(), via: via.into() }).await?;
            return Ok(());
        }
        let events = ids.chunks(LISTED_PER_EVENT).map(|chunk| {
            self.note_view(viewer, EventBody::RecordsListed { record_ids: chunk.to_vec(), via: via.into() })
        });
        futures::future::try_join_all(events).await?;
        Ok(())
    }

    /// Who has read a record (查看留痕, S9): for its recorder, and for roles granted
    /// `record.views` that may read it. Oldest first.
    pub async fn record_views(&self, viewer: &User, id: Uuid) -> Result<Vec<ViewEntry>> {
        let scope = self.read_scope(viewer)?;
        let recorder: Option<String> = sqlx::query("SELECT recorder FROM records WHERE id = $1 AND court_id = $2")
            .bind(id.to_string())
            .bind(&viewer.court_id)
            .fetch_optional(&self.reader)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        let allowed = match recorder {
            Some(r) if r == viewer.username => true,
            Some(_) => scope == ReadScope::Court && self.permits(viewer, Permission::RecordViews),
            None => false,
        };
        if !allowed {
            return Err(not_found());
        }
        let rows = sqlx::query("SELECT * FROM record_views WHERE record_id = $1 ORDER BY seq")
            .bind(id.to_string())
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ViewEntry {
                    viewer: r.try_get("viewer")?,
                    at: parse_ts(&r.try_get::<String, _>("at")?)?,
                    part: r.try_get("part")?,
                    material_id: r
                        .try_get::<Option<String>, _>("material_id")?
                        .map(|m| m.parse())
                        .transpose()
                        .map_err(|e| StoreError::Internal(format!("{e}")))?,
                    via: r.try_get("via")?,
                    seq: r.try_get("seq")?,
                })
            })
            .collect()
    }

    pub fn material_store(&self) -> &MaterialStore {
        &self.materials
    }
}

fn material_view(m: &sqlx::any::AnyRow) -> Result<MaterialView> {
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
        added_by: Some(m.try_get("added_by")?),
        added_at: parse_ts(&m.try_get::<String, _>("added_at")?)?,
        seq: m.try_get("seq")?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadScope {
    Court,
    Own,
}

impl Store {
    /// A list line, with the recorder hidden unless `viewer` may see it.
    fn summary_for(&self, viewer: &User, r: &sqlx::any::AnyRow) -> Result<RecordSummary> {
        let mut line = summary(r)?;
        if line.recorder.as_deref().is_some_and(|who| !self.sees_recorder(viewer, who)) {
            line.recorder = None;
        }
        Ok(line)
    }
}

fn summary(r: &sqlx::any::AnyRow) -> Result<RecordSummary> {
    let id: String = r.try_get("id")?;
    let register: String = r.try_get("register")?;
    let form: String = r.try_get("form")?;
    let items: String = r.try_get("special_items")?;
    Ok(RecordSummary {
        id: id.parse().map_err(|e| StoreError::Internal(format!("{e}")))?,
        court_id: r.try_get("court_id")?,
        recorder: Some(r.try_get("recorder")?),
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
        leading_cadre: crate::sql::flag(r, "leading_cadre")?,
        serious: crate::sql::flag(r, "serious")?,
        special_items: items.split(',').filter_map(|s| s.parse().ok()).collect(),
        cosign_status: r.try_get("cosign_status")?,
    })
}
