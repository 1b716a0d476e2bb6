//! What reports read from the store (R8): the store's entries of a court and the courts below,
//! for those who may see reports; the reading itself is a ledger event (查看留痕).

use liuhen_ledger::EventBody;
use liuhen_rules::{Permission, Record};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::records::decode_record;
use crate::{Result, Store, StoreError, User, ts};

/// One entry as a report takes it.
pub struct ReportEntry {
    pub id: Uuid,
    pub court_id: String,
    pub record: Record,
}

impl Store {
    /// Every store entry (current version) of `viewer`'s court and the courts below that occurred
    /// before `until`. Needs `report.view` (and, where the configuration asks for it, a login
    /// with a second factor, as reading the store does). The entries that occurred from `shown_from`
    /// on — those the report shows — are recorded as read, `via` the report.
    pub async fn report_entries(
        &self,
        viewer: &User,
        shown_from: OffsetDateTime,
        until: OffsetDateTime,
        via: &str,
    ) -> Result<Vec<ReportEntry>> {
        if !self.permits(viewer, Permission::ReportView) {
            return Err(StoreError::forbidden("您的角色不查看报告", "your role does not see reports"));
        }
        if self.config.second_factor_for_store && !viewer.second_factor {
            return Err(StoreError::forbidden(
                "查看报告须以第二因素登录：在“我的账号”（/account）中启用 TOTP 后用密码和验证码登录",
                "reports need a login with a second factor: set up TOTP under My account (/account) and log in with it",
            ));
        }
        let courts = self.courts_under(&viewer.court_id).await?;
        let mut entries = Vec::new();
        for court in &courts {
            let rows = sqlx::query(
                "SELECT r.id, r.court_id, v.data FROM records r
                 JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
                 WHERE r.court_id = ? AND r.register = 'store' AND r.occurred_at < ?",
            )
            .bind(court)
            .bind(ts(until))
            .fetch_all(&self.reader)
            .await?;
            for row in &rows {
                let id: String = row.try_get("id")?;
                entries.push(ReportEntry {
                    id: id.parse().map_err(|e| StoreError::Internal(format!("record id {id}: {e}")))?,
                    court_id: row.try_get("court_id")?,
                    record: decode_record(&row.try_get::<String, _>("data")?)?,
                });
            }
        }
        let shown: Vec<Uuid> = entries.iter().filter(|e| e.record.occurred_at >= shown_from).map(|e| e.id).collect();
        if !shown.is_empty() {
            self.note_view(viewer, EventBody::RecordsListed { record_ids: shown, via: via.into() }).await?;
        }
        Ok(entries)
    }
}

/// A report as listed and shown.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReportInfo {
    pub id: Uuid,
    pub court_id: String,
    pub kind: String,
    pub period: String,
    /// `drafted` or `sealed`.
    pub state: String,
    pub drafted_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub drafted_at: OffsetDateTime,
    pub drafted_seq: i64,
    pub content_sha256: String,
    pub recipients: Vec<String>,
    pub supersedes: Option<Uuid>,
    pub approved_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sealed_at: Option<OffsetDateTime>,
    pub sealed_seq: Option<i64>,
    #[schema(value_type = Vec<Object>)]
    pub files: Vec<liuhen_ledger::SealedFile>,
}

fn row_report(row: &sqlx::sqlite::SqliteRow) -> Result<ReportInfo> {
    let internal = |e: String| StoreError::Internal(e);
    let uuid = |s: String| s.parse::<Uuid>().map_err(|e| internal(e.to_string()));
    Ok(ReportInfo {
        id: uuid(row.try_get("id")?)?,
        court_id: row.try_get("court_id")?,
        kind: row.try_get("kind")?,
        period: row.try_get("period")?,
        state: row.try_get("state")?,
        drafted_by: row.try_get("drafted_by")?,
        drafted_at: crate::parse_ts(&row.try_get::<String, _>("drafted_at")?)?,
        drafted_seq: row.try_get("drafted_seq")?,
        content_sha256: row.try_get("content_sha256")?,
        recipients: serde_json::from_str(&row.try_get::<String, _>("recipients")?)
            .map_err(|e| internal(e.to_string()))?,
        supersedes: row.try_get::<Option<String>, _>("supersedes")?.map(uuid).transpose()?,
        approved_by: row.try_get("approved_by")?,
        sealed_at: row.try_get::<Option<String>, _>("sealed_at")?.map(|t| crate::parse_ts(&t)).transpose()?,
        sealed_seq: row.try_get("sealed_seq")?,
        files: serde_json::from_str(&row.try_get::<String, _>("files")?).map_err(|e| internal(e.to_string()))?,
    })
}

async fn put_bytes(store: &Store, bytes: Vec<u8>) -> Result<crate::StoredObject> {
    let size = bytes.len() as u64;
    let stream = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(bytes))]);
    store.material_store().put_stream(stream, size.max(1)).await
}

impl Store {
    /// Draft a report (R8): its content is kept by its hash and the draft is a ledger event. The
    /// office drafts (`report.draft`); `recipients` are computed by rule by the caller.
    pub async fn draft_report(
        &self,
        drafter: &User,
        kind: &str,
        period: &str,
        content: Vec<u8>,
        recipients: Vec<String>,
        supersedes: Option<Uuid>,
    ) -> Result<Uuid> {
        if !self.permits(drafter, Permission::ReportDraft) {
            return Err(StoreError::forbidden("您的角色不起草报告", "your role does not draft reports"));
        }
        if let Some(old) = supersedes {
            let previous = self.report(drafter, old).await?;
            if previous.state != "sealed" {
                return Err(StoreError::conflict("只能更正已盖章的报告", "only a sealed report can be corrected"));
            }
            // A correction replaces a report of the same court, kind and period, nothing else.
            if previous.court_id != drafter.court_id || previous.kind != kind || previous.period != period {
                return Err(StoreError::conflict(
                    "更正报告须与被更正的报告同一法院、同一种类、同一期间",
                    "a correction is of the same court, kind and period as the report it corrects",
                ));
            }
        }
        let stored = put_bytes(self, content).await?;
        let report_id = Uuid::now_v7();
        let body = EventBody::ReportDrafted {
            report_id,
            kind: kind.into(),
            period: period.into(),
            content_sha256: stored.sha256,
            content_size: stored.size,
            recipients,
            supersedes,
        };
        self.report_step(drafter, body).await?;
        Ok(report_id)
    }

    /// Approve and seal a draft (R8): a court leader other than the drafter; every file sent is
    /// stored by its hash and the hashes go into the ledger in the sealing entry.
    pub async fn seal_report(&self, approver: &User, id: Uuid, files: Vec<(String, Vec<u8>)>) -> Result<i64> {
        if !self.permits(approver, Permission::ReportApprove) {
            return Err(StoreError::forbidden("您的角色不审批报告", "your role does not approve reports"));
        }
        let report = self.report(approver, id).await?;
        let mut sealed = Vec::new();
        for (name, bytes) in files {
            let stored = put_bytes(self, bytes).await?;
            sealed.push(liuhen_ledger::SealedFile { name, sha256: stored.sha256, size: stored.size });
        }
        let body = EventBody::ReportSealed { report_id: id, content_sha256: report.content_sha256, files: sealed };
        self.report_step(approver, body).await
    }

    async fn report_step(&self, actor: &User, body: EventBody) -> Result<i64> {
        match self.sequencer.submit(crate::commands::Op::Report { actor: actor.clone(), body }).await? {
            crate::commands::Outcome::Appended(seq) => Ok(seq),
            _ => Err(StoreError::Internal("unexpected answer from the sequencer".into())),
        }
    }

    /// A report `viewer` may see: one of their court's, or one addressed to it (R8: the court
    /// above receives the reports of the courts below). Anything else is not found.
    pub async fn report(&self, viewer: &User, id: Uuid) -> Result<ReportInfo> {
        if !self.permits(viewer, Permission::ReportView) {
            return Err(StoreError::forbidden("您的角色不查看报告", "your role does not see reports"));
        }
        let row =
            sqlx::query("SELECT * FROM reports WHERE id = ?").bind(id.to_string()).fetch_optional(&self.reader).await?;
        let report = row.as_ref().map(row_report).transpose()?;
        match report {
            Some(r)
                if r.court_id == viewer.court_id
                    || (r.state == "sealed" && r.recipients.contains(&viewer.court_id)) =>
            {
                Ok(r)
            }
            _ => Err(StoreError::not_found("没有这份报告", "no such report")),
        }
    }

    /// The reports of `viewer`'s court, and the sealed ones addressed to it, newest first.
    pub async fn reports(&self, viewer: &User) -> Result<Vec<ReportInfo>> {
        if !self.permits(viewer, Permission::ReportView) {
            return Err(StoreError::forbidden("您的角色不查看报告", "your role does not see reports"));
        }
        let rows = sqlx::query("SELECT * FROM reports ORDER BY drafted_seq DESC").fetch_all(&self.reader).await?;
        let mut out = Vec::new();
        for row in &rows {
            let r = row_report(row)?;
            if r.court_id == viewer.court_id || (r.state == "sealed" && r.recipients.contains(&viewer.court_id)) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// A stored object of a report `viewer` may see (its content or one of its files), checked
    /// against its hash.
    pub async fn report_object(&self, viewer: &User, id: Uuid, sha256: &str) -> Result<Vec<u8>> {
        use futures::TryStreamExt;
        let r = self.report(viewer, id).await?;
        if r.content_sha256 != sha256 && !r.files.iter().any(|f| f.sha256 == sha256) {
            return Err(StoreError::not_found("没有这个文件", "no such file"));
        }
        let chunks: Vec<bytes::Bytes> = self.material_store().get_verified(sha256).await?.try_collect().await?;
        Ok(chunks.concat())
    }
}

/// One court's step of an immediate report's chain (R9).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ChainStep {
    pub court_id: String,
    /// When the step began: the sealing for the first court, the acknowledgement below for the
    /// others; none while a court below has not acknowledged.
    #[serde(with = "time::serde::rfc3339::option")]
    pub since: Option<OffsetDateTime>,
    pub acknowledged_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub acknowledged_at: Option<OffsetDateTime>,
    pub seq: Option<i64>,
    /// Waiting longer than `immediate_step_hours`.
    pub overdue: bool,
}

impl Store {
    /// Acknowledge an immediate report for the viewer's court (R9): in the order of the chain,
    /// each court after the one below it.
    pub async fn acknowledge_report(&self, viewer: &User, id: Uuid) -> Result<i64> {
        let report = self.report(viewer, id).await?;
        if !report.recipients.contains(&viewer.court_id) {
            return Err(StoreError::forbidden("这份报告不是报送本院的", "this report is not addressed to your court"));
        }
        let body = EventBody::ReportAcknowledged { report_id: id, court_id: viewer.court_id.clone() };
        self.report_step(viewer, body).await
    }

    /// The chain of an immediate report: each court in order, acknowledged or waiting, and overdue
    /// when a step waits longer than the configured hours.
    pub async fn report_chain(&self, report: &ReportInfo) -> Result<Vec<ChainStep>> {
        let rows = sqlx::query("SELECT * FROM report_acks WHERE report_id = ?")
            .bind(report.id.to_string())
            .fetch_all(&self.reader)
            .await?;
        let mut acks = std::collections::BTreeMap::new();
        for r in &rows {
            let at = crate::parse_ts(&r.try_get::<String, _>("acknowledged_at")?)?;
            acks.insert(
                r.try_get::<String, _>("court_id")?,
                (r.try_get::<String, _>("acknowledged_by")?, at, r.try_get::<i64, _>("seq")?),
            );
        }
        let limit = time::Duration::hours(self.config.immediate_step_hours);
        let now = crate::now();
        let mut since = report.sealed_at;
        let mut steps = Vec::new();
        for court in &report.recipients {
            let ack = acks.get(court);
            steps.push(ChainStep {
                court_id: court.clone(),
                since,
                acknowledged_by: ack.map(|a| a.0.clone()),
                acknowledged_at: ack.map(|a| a.1),
                seq: ack.map(|a| a.2),
                overdue: ack.is_none() && since.is_some_and(|s| now - s > limit),
            });
            since = ack.map(|a| a.1);
        }
        Ok(steps)
    }

    /// The immediate reports made about a record (R9), for its page.
    pub async fn immediate_reports_of(&self, viewer: &User, record_id: Uuid) -> Result<Vec<ReportInfo>> {
        if !self.permits(viewer, Permission::ReportView) {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT * FROM reports WHERE kind = 'immediate' AND period = ? AND court_id = ? ORDER BY drafted_seq",
        )
        .bind(record_id.to_string())
        .bind(&viewer.court_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(row_report).collect()
    }
}

/// An inspection (督促检查) of a court below, as the half-year report lists it (R10).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Inspection {
    pub id: Uuid,
    pub court_id: String,
    pub inspected_court: String,
    /// `YYYY-MM-DD`, China Standard Time.
    pub inspected_on: String,
    pub subject: String,
    pub findings: String,
    pub recorded_by: String,
    pub seq: i64,
}

impl Store {
    /// Record an inspection of a court below (R10): by the office of an upper court, of a court
    /// under it, on a date; a ledger event.
    pub async fn record_inspection(
        &self,
        by: &User,
        inspected_court: &str,
        inspected_on: &str,
        subject: &str,
        findings: &str,
    ) -> Result<i64> {
        if !self.permits(by, Permission::ReportDraft) {
            return Err(StoreError::forbidden("您的角色不记录督促检查", "your role does not record inspections"));
        }
        let mut problems = Vec::new();
        let below = self.courts_under(&by.court_id).await?;
        if inspected_court == by.court_id || !below.contains(inspected_court) {
            problems.push(liuhen_rules::Problem::new(
                "inspected_court",
                "R10",
                "invalid",
                "请选择本院辖区内的下级法院",
                "choose a court below this one",
            ));
        }
        let date_ok =
            time::Date::parse(inspected_on.trim(), time::macros::format_description!("[year]-[month]-[day]")).is_ok();
        if !date_ok {
            problems.push(liuhen_rules::Problem::new(
                "inspected_on",
                "R10",
                "invalid",
                "检查日期格式应为 2026-05-20",
                "the date of the inspection is like 2026-05-20",
            ));
        }
        for (field, value, zh, en) in [
            ("subject", subject, "请填写检查事项", "say what was inspected"),
            ("findings", findings, "请填写检查发现和督促意见", "give the findings"),
        ] {
            if value.trim().is_empty() || value.chars().count() > 4000 {
                problems.push(liuhen_rules::Problem::new(field, "R10", "required", zh, en));
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let body = EventBody::InspectionRecorded {
            inspection_id: Uuid::now_v7(),
            inspected_court: inspected_court.to_string(),
            inspected_on: inspected_on.trim().to_string(),
            subject: subject.trim().to_string(),
            findings: findings.trim().to_string(),
        };
        self.report_step(by, body).await
    }

    /// The inspections `viewer`'s court made between two dates (`YYYY-MM-DD`, end excluded).
    pub async fn inspections(&self, viewer: &User, from: &str, to: &str) -> Result<Vec<Inspection>> {
        if !self.permits(viewer, Permission::ReportView) {
            return Err(StoreError::forbidden("您的角色不查看报告", "your role does not see reports"));
        }
        let rows = sqlx::query(
            "SELECT * FROM inspections WHERE court_id = ? AND inspected_on >= ? AND inspected_on < ? ORDER BY inspected_on, seq",
        )
        .bind(&viewer.court_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(Inspection {
                    id: id.parse().map_err(|e: uuid::Error| StoreError::Internal(e.to_string()))?,
                    court_id: r.try_get("court_id")?,
                    inspected_court: r.try_get("inspected_court")?,
                    inspected_on: r.try_get("inspected_on")?,
                    subject: r.try_get("subject")?,
                    findings: r.try_get("findings")?,
                    recorded_by: r.try_get("recorded_by")?,
                    seq: r.try_get("seq")?,
                })
            })
            .collect()
    }
}
