//! What reports read from the store (R8): the store's entries of a court and the courts below,
//! for those who may see reports; the reading itself is a ledger event (查看留痕).

use liuhen_ledger::EventBody;
use liuhen_rules::{Permission, RecordFacts};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::backend::Backend;
use crate::records::decode_record;
use crate::sql::params;
use crate::sql::{Db, DbExt, args};
use crate::{Result, Store, StoreError, User, ts};

/// One entry as a report takes it: one that counts in the analysis, by its facts.
pub struct ReportEntry {
    pub id: Uuid,
    pub court_id: String,
    pub facts: RecordFacts,
}

/// An earlier entry of an intervener of the period (R8: repeat interveners), one that counts in
/// the analysis: a leading cadre's own, or made for a named cadre.
pub struct EarlierEntry {
    pub name: String,
    pub unit: String,
    pub occurred_at: OffsetDateTime,
    /// The case number, or the case's title when it has none.
    pub case: Option<String>,
}

/// What a report reads from the store for a period.
pub struct ReportData {
    /// Every entry of the courts in reach that counts in the analysis and occurred in the period.
    pub entries: Vec<ReportEntry>,
    /// For each comparison period asked for, the entries that count in the analysis.
    pub comparison_totals: Vec<u64>,
    /// The earlier entries, before the period, by the period's interveners (same name and unit).
    pub earlier: Vec<EarlierEntry>,
    /// The courts read: the viewer's and every court below it.
    pub courts: std::collections::BTreeSet<String>,
    /// R16: (name, unit) spellings of cadres the office merged → the one the report shows.
    pub aliases: std::collections::HashMap<(String, String), (String, String)>,
    /// The latest screening of each of the period's entries that has one (issue 8).
    pub screenings: std::collections::HashMap<Uuid, liuhen_rules::Screening>,
}

type Range = (OffsetDateTime, OffsetDateTime);

/// Whether an entry counts in the analysis, in SQL: a leading cadre's own, or made for a named
/// cadre (`Record::counts_in_analysis` says the same over a decoded record).
pub(crate) const COUNTS: &str = "(r.leading_cadre = 1 OR r.principal_named = 1)";

/// The entries of `courts` that count in the analysis and occurred in [`from`, `until`), by their
/// facts: one range of `record_facts` per court.
fn read_entries(backend: &dyn Backend, courts: &[String], from: &str, until: &str) -> Result<Vec<ReportEntry>> {
    let conn = backend.reader()?;
    let mut entries = Vec::new();
    for court in courts {
        conn.each(
            "SELECT record_id, facts FROM record_facts WHERE court_id = $1 AND occurred_at >= $2 AND occurred_at < $3",
            args![court, from, until],
            &mut |row| {
                let id: String = row.get(0)?;
                entries.push(ReportEntry {
                    id: id.parse().map_err(|e| StoreError::Internal(format!("record id {id}: {e}")))?,
                    court_id: court.clone(),
                    facts: serde_json::from_str(&row.get::<String>(1)?)
                        .map_err(|e| StoreError::Internal(format!("facts of record {id}: {e}")))?,
                });
                Ok(())
            },
        )?;
    }
    Ok(entries)
}

/// The earlier entries, before `from`, of `people` (name and unit) in the courts of `reach`:
/// from the index alone (`records_intervener`), the record only for a case known by its title.
fn read_earlier(
    backend: &dyn Backend,
    people: &[(&str, &str)],
    from: &str,
    reach: &std::collections::HashSet<&str>,
) -> Result<Vec<EarlierEntry>> {
    let conn = backend.reader()?;
    let query = format!(
        "SELECT r.court_id, r.occurred_at, r.case_number, r.id FROM records r
         WHERE r.intervener_name = $1 AND r.intervener_unit = $2 AND r.register = 'store' AND r.occurred_at < $3
         AND {COUNTS}"
    );
    let mut earlier = Vec::new();
    for &(name, unit) in people {
        for row in conn.rows(&query, args![name, unit, from])? {
            if !reach.contains(row.get::<String>(0)?.as_str()) {
                continue;
            }
            let mut case: Option<String> = row.get(2)?;
            if case.is_none() {
                let data: String = conn.scalar(
                    "SELECT v.data FROM records r JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
                     WHERE r.id = $1",
                    args![row.get::<String>(3)?],
                )?;
                case = decode_record(&data)?.case_title;
            }
            earlier.push(EarlierEntry {
                name: name.to_string(),
                unit: unit.to_string(),
                occurred_at: crate::parse_ts(&row.get::<String>(1)?)?,
                case,
            });
        }
    }
    Ok(earlier)
}

/// The reading itself, on read-only connections of its own, off the async threads: a province's
/// quarter is tens of thousands of entries, read and decoded on both cores (half the courts
/// each), then the comparisons counted and the earlier entries looked up from the indexes.
fn read_report_data(
    backend: &dyn Backend,
    courts: &[String],
    period: Range,
    comparisons: &[Range],
) -> Result<ReportData> {
    let reach: std::collections::HashSet<&str> = courts.iter().map(String::as_str).collect();
    let (from, until) = (ts(period.0), ts(period.1));
    let half = courts.len() / 2;
    let (first, other) = std::thread::scope(|s| {
        let other = s.spawn(|| read_entries(backend, &courts[half..], &from, &until));
        (read_entries(backend, &courts[..half], &from, &until), other.join())
    });
    let mut entries = first?;
    entries.extend(other.map_err(|_| StoreError::Internal("reading entries failed".into()))??);

    let conn = backend.reader()?;
    let count = format!(
        "SELECT count(*) FROM records r WHERE r.court_id = $1 AND r.register = 'store'
         AND r.occurred_at >= $2 AND r.occurred_at < $3 AND {COUNTS}"
    );
    let aliases = crate::accountability::cadre_aliases(&*conn)?;
    let mut screenings = std::collections::HashMap::new();
    for court in courts {
        for (id, s) in crate::accountability::screenings_in(&*conn, court, &from, &until)? {
            screenings.insert(id.parse().map_err(|e| StoreError::Internal(format!("record id {id}: {e}")))?, s);
        }
    }
    let mut comparison_totals = Vec::new();
    for (a, b) in comparisons {
        let mut total = 0u64;
        for court in courts {
            total += conn.scalar::<i64>(&count, args![court, ts(*a), ts(*b)])? as u64;
        }
        comparison_totals.push(total);
    }
    drop(conn);

    // Half the period's interveners on each core, with every spelling the office merged with them.
    let mut people: std::collections::BTreeSet<(&str, &str)> =
        entries.iter().map(|e| (e.facts.intervener.name.as_str(), e.facts.intervener.unit.as_str())).collect();
    let canonical: std::collections::BTreeSet<(String, String)> = people
        .iter()
        .map(|(n, u)| {
            let pair = (n.trim().to_string(), u.trim().to_string());
            aliases.get(&pair).cloned().unwrap_or(pair)
        })
        .collect();
    for (spelling, target) in &aliases {
        if canonical.contains(target) {
            people.insert((spelling.0.as_str(), spelling.1.as_str()));
            people.insert((target.0.as_str(), target.1.as_str()));
        }
    }
    let people: Vec<(&str, &str)> = people.into_iter().collect();
    let (first, other) = people.split_at(people.len() / 2);
    let (first, other) = std::thread::scope(|s| {
        let other = s.spawn(|| read_earlier(backend, other, &from, &reach));
        (read_earlier(backend, first, &from, &reach), other.join())
    });
    let mut earlier = first?;
    earlier.extend(other.map_err(|_| StoreError::Internal("reading earlier entries failed".into()))??);
    Ok(ReportData { entries, comparison_totals, earlier, courts: Default::default(), aliases, screenings })
}

impl Store {
    /// `report.view`, or its refusal (with the second factor's when that is what is missing).
    fn require_report_view(&self, viewer: &User) -> Result<()> {
        self.require_permission(viewer, Permission::ReportView, "您的角色不查看报告", "your role does not see reports")
    }

    /// What a report of `viewer`'s court and the courts below needs for `period`: its entries,
    /// the totals of the `comparisons` periods and the earlier entries of its interveners. Needs
    /// `report.view` (and, where the configuration asks for it, a login with a second factor, as
    /// reading the store does). The caller records what the report shows one by one with
    /// [`Store::note_report_shown`].
    pub async fn report_data(&self, viewer: &User, period: Range, comparisons: Vec<Range>) -> Result<ReportData> {
        self.require_report_view(viewer)?;
        let reach = self.courts_under(&viewer.court_id).await?;
        let courts: Vec<String> = reach.iter().cloned().collect();
        let backend = self.backend.clone();
        let data = tokio::task::spawn_blocking(move || read_report_data(&*backend, &courts, period, &comparisons))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))??;
        Ok(ReportData { courts: reach, ..data })
    }

    /// Record that a report showed `viewer` these entries one by one (查看留痕, S9): the entries
    /// a report lists with their details, not the ones it only counts.
    /// The reading of the report itself is noted separately (`content_viewed`), so a report that
    /// lists no entry one by one adds no empty list.
    pub async fn note_report_shown(&self, viewer: &User, ids: Vec<Uuid>, via: &str) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.note_listed_ids(viewer, ids, via).await
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

fn row_report(row: &crate::sql::Row) -> Result<ReportInfo> {
    let internal = |e: String| StoreError::Internal(e);
    let uuid = |s: String| s.parse::<Uuid>().map_err(|e| internal(e.to_string()));
    Ok(ReportInfo {
        id: uuid(row.get("id")?)?,
        court_id: row.get("court_id")?,
        kind: row.get("kind")?,
        period: row.get("period")?,
        state: row.get("state")?,
        drafted_by: row.get("drafted_by")?,
        drafted_at: crate::parse_ts(&row.get::<String>("drafted_at")?)?,
        drafted_seq: row.get("drafted_seq")?,
        content_sha256: row.get("content_sha256")?,
        recipients: serde_json::from_str(&row.get::<String>("recipients")?).map_err(|e| internal(e.to_string()))?,
        supersedes: row.get::<Option<String>>("supersedes")?.map(uuid).transpose()?,
        approved_by: row.get("approved_by")?,
        sealed_at: row.get::<Option<String>>("sealed_at")?.map(|t| crate::parse_ts(&t)).transpose()?,
        sealed_seq: row.get("sealed_seq")?,
        files: serde_json::from_str(&row.get::<String>("files")?).map_err(|e| internal(e.to_string()))?,
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
        self.require_permission(
            drafter,
            Permission::ReportDraft,
            "您的角色不起草报告",
            "your role does not draft reports",
        )?;
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
        self.require_permission(
            approver,
            Permission::ReportApprove,
            "您的角色不审批报告",
            "your role does not approve reports",
        )?;
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
        self.append_op(crate::sequencer::Op::Report { actor: actor.clone(), body }).await
    }

    /// A report `viewer` may see: one of their court's, or one addressed to it (R8: the court
    /// above receives the reports of the courts below). Anything else is not found.
    pub async fn report(&self, viewer: &User, id: Uuid) -> Result<ReportInfo> {
        self.require_report_view(viewer)?;
        let row = self.reader.row("SELECT * FROM reports WHERE id = $1", params![id.to_string()]).await?;
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
        self.require_report_view(viewer)?;
        let rows = self.reader.rows("SELECT * FROM reports ORDER BY drafted_seq DESC", params![]).await?;
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
        let rows =
            self.reader.rows("SELECT * FROM report_acks WHERE report_id = $1", params![report.id.to_string()]).await?;
        let mut acks = std::collections::BTreeMap::new();
        for r in &rows {
            let at = crate::parse_ts(&r.get::<String>("acknowledged_at")?)?;
            acks.insert(r.get::<String>("court_id")?, (r.get::<String>("acknowledged_by")?, at, r.get::<i64>("seq")?));
        }
        let limit = time::Duration::hours(self.config.policy.immediate_step_hours);
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
        let rows = self
            .reader
            .rows(
                "SELECT * FROM reports WHERE kind = 'immediate' AND period = $1 AND court_id = $2 ORDER BY drafted_seq",
                params![record_id.to_string(), &viewer.court_id],
            )
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
        self.require_permission(
            by,
            Permission::ReportDraft,
            "您的角色不记录督促检查",
            "your role does not record inspections",
        )?;
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
        self.require_report_view(viewer)?;
        let rows = self
            .reader
            .rows(
                "SELECT * FROM inspections WHERE court_id = $1 AND inspected_on >= $2 AND inspected_on < $3
                   ORDER BY inspected_on, seq",
                params![&viewer.court_id, from, to],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.get("id")?;
                Ok(Inspection {
                    id: id.parse().map_err(|e: uuid::Error| StoreError::Internal(e.to_string()))?,
                    court_id: r.get("court_id")?,
                    inspected_court: r.get("inspected_court")?,
                    inspected_on: r.get("inspected_on")?,
                    subject: r.get("subject")?,
                    findings: r.get("findings")?,
                    recorded_by: r.get("recorded_by")?,
                    seq: r.get("seq")?,
                })
            })
            .collect()
    }
}

/// Check a report's step against the report's state in the sequencer's transaction (R8–R10). A
/// new draft and an inspection need nothing checked; any other kind is not a report's step.
pub(crate) fn check(conn: &dyn Db, actor: &User, body: &EventBody) -> Result<()> {
    match body {
        EventBody::ReportSealed { report_id, content_sha256, .. } => {
            check_seal(conn, actor, *report_id, content_sha256)
        }
        EventBody::ReportAcknowledged { report_id, court_id } => check_acknowledgement(conn, *report_id, court_id),
        EventBody::ReportDrafted { .. } | EventBody::InspectionRecorded { .. } => Ok(()),
        liuhen_ledger::record_kinds!()
        | liuhen_ledger::view_kinds!()
        | liuhen_ledger::administration_kinds!()
        | liuhen_ledger::duty_kinds!()
        | liuhen_ledger::accountability_kinds!() => {
            Err(StoreError::Internal(format!("{} is not a report's step", body.kind())))
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
