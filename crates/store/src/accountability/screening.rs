//! Screening and checking entries, and what oversight bodies reported back (R3, R7).

use super::*;
use crate::sql::params;

impl Store {
    /// Screen an entry of the maintainer's court (甄别; R3: the trial-management office maintains the
    /// store, and R7's C3 overreach is one of the classes).
    pub async fn screen_record(&self, by: &User, record_id: Uuid, classification: &str, reason: &str) -> Result<i64> {
        self.require(by, Permission::RecordScreen, "您的角色不甄别记录", "your role does not screen records")?;
        self.readable_record(by, record_id).await?;
        let mut problems = Vec::new();
        let classification = code_of::<Screening>(&mut problems, "classification", "R3", classification);
        required(&mut problems, "reason", "R3", reason, "请写明甄别理由", "give the reason");
        let classification = parsed(problems, classification)?;
        let body = EventBody::RecordScreened { record_id, classification, reason: reason.trim().into() };
        self.accountability_step(by, body).await
    }

    /// Open a check (核查) of an entry; returns its id.
    pub async fn open_check(&self, by: &User, record_id: Uuid, subject: &str) -> Result<Uuid> {
        self.require(by, Permission::RecordScreen, "您的角色不核查记录", "your role does not check records")?;
        self.readable_record(by, record_id).await?;
        let mut problems = Vec::new();
        required(&mut problems, "subject", "R1", subject, "请写明核查什么", "say what is to be checked");
        invalid_if(problems)?;
        let check_id = Uuid::now_v7();
        self.accountability_step(by, EventBody::CheckOpened { check_id, record_id, subject: subject.trim().into() })
            .await?;
        Ok(check_id)
    }

    pub async fn conclude_check(&self, by: &User, check_id: Uuid, findings: &str) -> Result<i64> {
        self.require(by, Permission::RecordScreen, "您的角色不核查记录", "your role does not check records")?;
        let mut problems = Vec::new();
        required(&mut problems, "findings", "R1", findings, "请写明核查结论", "give the findings");
        invalid_if(problems)?;
        self.accountability_step(by, EventBody::CheckConcluded { check_id, findings: findings.trim().into() }).await
    }

    /// Note what an oversight body decided about an entry (R17).
    pub async fn report_outcome(
        &self,
        by: &User,
        record_id: Uuid,
        outcome: &str,
        body: &str,
        note: &str,
    ) -> Result<i64> {
        self.require(by, Permission::RecordScreen, "您的角色不登记处理结果", "your role does not note outcomes")?;
        self.readable_record(by, record_id).await?;
        let mut problems = Vec::new();
        let outcome = code_of::<OversightOutcome>(&mut problems, "outcome", "R17", outcome);
        required(&mut problems, "body", "R17", body, "请写明作出处理的机关", "name the body that decided");
        if note.chars().count() > MAX_TEXT {
            problems.push(problem("note", "R17", "too_long", "说明过长", "the note is too long"));
        }
        let outcome = parsed(problems, outcome)?;
        let body =
            EventBody::OutcomeReported { record_id, outcome, body: body.trim().into(), note: note.trim().into() };
        self.accountability_step(by, body).await
    }

    /// Screenings, checks and outcomes of an entry, for those who maintain the store or inspect.
    pub async fn record_handling(&self, viewer: &User, record_id: Uuid) -> Result<Option<RecordHandling>> {
        if !self.permits(viewer, Permission::RecordScreen) && !self.permits(viewer, Permission::FindingRecord) {
            return Ok(None);
        }
        self.readable_record(viewer, record_id).await?;
        let id = record_id.to_string();
        let screenings = self
            .reader
            .rows("SELECT * FROM screenings WHERE record_id = $1 ORDER BY seq", params![&id])
            .await?
            .iter()
            .map(|r| {
                Ok(ScreeningView {
                    classification: listed(&r.get::<String>("classification")?)?,
                    reason: r.get("reason")?,
                    screened_by: r.get("screened_by")?,
                    screened_at: parse_ts(&r.get::<String>("screened_at")?)?,
                    seq: r.get("seq")?,
                })
            })
            .collect::<Result<_>>()?;
        let checks = self
            .reader
            .rows("SELECT * FROM checks WHERE record_id = $1 ORDER BY opened_seq", params![&id])
            .await?
            .iter()
            .map(|r| {
                Ok(CheckView {
                    id: uuid_of(&r.get::<String>("id")?)?,
                    subject: r.get("subject")?,
                    opened_by: r.get("opened_by")?,
                    opened_at: parse_ts(&r.get::<String>("opened_at")?)?,
                    findings: r.get("findings")?,
                    concluded_by: r.get("concluded_by")?,
                })
            })
            .collect::<Result<_>>()?;
        let outcomes = self.outcomes_of(&[record_id]).await?;
        Ok(Some(RecordHandling { screenings, checks, outcomes }))
    }

    /// The outcomes reported about the entries `ids`, a few hundred ids to a query.
    pub(super) async fn outcomes_of(&self, ids: &[Uuid]) -> Result<Vec<OutcomeView>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let mut query = crate::sql::Builder::new("SELECT * FROM outcomes WHERE record_id IN (");
            for (i, id) in chunk.iter().enumerate() {
                query.push(if i == 0 { "" } else { ", " }).push_bind(id.to_string());
            }
            query.push(") ORDER BY seq");
            for r in self.reader.rows_of(query).await? {
                out.push(OutcomeView {
                    record_id: uuid_of(&r.get::<String>("record_id")?)?,
                    outcome: listed(&r.get::<String>("outcome")?)?,
                    body: r.get("body")?,
                    note: r.get("note")?,
                    at: parse_ts(&r.get::<String>("at")?)?,
                });
            }
        }
        Ok(out)
    }
}

/// The latest screening of each entry of `court` that occurred in [`from`, `until`).
pub(crate) fn screenings_in(conn: &dyn Db, court: &str, from: &str, until: &str) -> Result<Vec<(String, Screening)>> {
    conn.rows(
        "SELECT s.record_id, s.classification FROM screenings s
         JOIN record_facts f ON f.record_id = s.record_id AND f.court_id = s.court_id
         WHERE f.court_id = $1 AND f.occurred_at >= $2 AND f.occurred_at < $3 ORDER BY s.seq",
        args![court, from, until],
    )?
    .iter()
    .map(|r| Ok((r.get(0)?, listed(&r.get::<String>(1)?)?)))
    .collect()
}
