//! Findings of not recording and their sanctions, appeals and decisions (R14).

use super::*;
use crate::sql::params;

impl Store {
    /// The sanction the rule proposes for a finding of `kind` against `subject` now.
    pub async fn sanction_proposal(&self, by: &User, subject: &str, kind: FindingKind) -> Result<SanctionProposal> {
        self.require(by, Permission::FindingRecord, "您的角色不作认定", "your role does not record findings")?;
        let prior: i64 = self
            .reader
            .one(
                "SELECT COUNT(*) FROM findings WHERE subject = $1 AND state <> 'overturned'
             AND kind <> 'instructed_not_to_record'",
                params![subject],
            )
            .await?
            .get(0)?;
        let prior = u32::try_from(prior).unwrap_or(u32::MAX);
        let p = propose_sanction(kind, prior);
        Ok(SanctionProposal {
            prior_standing: prior,
            allowed: p.allowed,
            basis_zh: p.basis_zh.into(),
            basis_en: p.basis_en.into(),
        })
    }

    /// Record a finding and the decision on it; returns its id.
    pub async fn record_finding(&self, by: &User, input: &FindingInput) -> Result<Uuid> {
        self.require(by, Permission::FindingRecord, "您的角色不作认定", "your role does not record findings")?;
        let mut problems = Vec::new();
        let subject = input.subject.trim();
        let staff = self.user(subject).await?.filter(|u| u.court_id == by.court_id);
        if staff.is_none() {
            problems.push(problem(
                "subject",
                "R14",
                "unknown_user",
                "请选择本院的工作人员（用户名）",
                "choose a member of this court's staff (user name)",
            ));
        } else if subject == by.username {
            problems.push(problem(
                "subject",
                "R14",
                "self",
                "不能对自己作认定",
                "nobody records a finding against themselves",
            ));
        }
        let kind = code_of::<FindingKind>(&mut problems, "kind", "R14", &input.kind);
        let decided = code_of::<Sanction>(&mut problems, "decided", "R14", &input.decided);
        required(&mut problems, "facts", "R14", &input.facts, "请写明认定的事实", "state the facts found");
        if input.decision_reason.chars().count() > MAX_TEXT {
            problems.push(problem("decision_reason", "R14", "too_long", "理由过长", "the reason is too long"));
        }
        if let Some(id) = input.record_id {
            let ok = self
                .reader
                .row("SELECT 1 FROM records WHERE id = $1 AND court_id = $2", params![id.to_string(), &by.court_id])
                .await?
                .is_some();
            if !ok {
                problems.push(problem(
                    "record_id",
                    "R14",
                    "unknown_record",
                    "本院没有这条记录",
                    "no such record in this court",
                ));
            }
        }
        let (kind, decided) = parsed(problems, kind.zip(decided))?;
        let finding_id = Uuid::now_v7();
        let body = EventBody::FindingRecorded {
            finding_id,
            subject: subject.into(),
            kind,
            record_id: input.record_id,
            case_number: input.case_number.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(String::from),
            facts: input.facts.trim().into(),
            // The sequencer counts and proposes in its transaction.
            prior_standing: 0,
            proposed: Vec::new(),
            decided,
            decision_reason: input.decision_reason.trim().into(),
        };
        self.accountability_step(by, body).await?;
        Ok(finding_id)
    }

    /// Findings `viewer` may see: all of their court's for discipline inspection, their own for
    /// anyone else. Newest first.
    pub async fn findings(&self, viewer: &User) -> Result<Vec<FindingView>> {
        self.findings_of(viewer, None).await
    }

    pub async fn finding(&self, viewer: &User, id: Uuid) -> Result<FindingView> {
        self.findings_of(viewer, Some(id)).await?.pop().ok_or_else(no_finding)
    }

    /// The findings `viewer` may see, all or the one `only`.
    async fn findings_of(&self, viewer: &User, only: Option<Uuid>) -> Result<Vec<FindingView>> {
        let (sql, who) = if self.permits(viewer, Permission::FindingRecord) {
            ("SELECT * FROM findings WHERE court_id = $1 AND ($2 = '' OR id = $2) ORDER BY seq DESC", &viewer.court_id)
        } else {
            ("SELECT * FROM findings WHERE subject = $1 AND ($2 = '' OR id = $2) ORDER BY seq DESC", &viewer.username)
        };
        let rows = self.reader.rows(sql, params![who, only.map(|id| id.to_string()).unwrap_or_default()]).await?;
        rows.iter().map(finding_view).collect()
    }

    pub async fn appeal_finding(&self, by: &User, id: Uuid, grounds: &str) -> Result<i64> {
        let mut problems = Vec::new();
        required(&mut problems, "grounds", "R14", grounds, "请写明申诉理由", "give the grounds of the appeal");
        invalid_if(problems)?;
        self.accountability_step(by, EventBody::FindingAppealed { finding_id: id, grounds: grounds.trim().into() })
            .await
    }

    pub async fn decide_appeal(
        &self,
        by: &User,
        id: Uuid,
        outcome: &str,
        sanction: Option<&str>,
        reason: &str,
    ) -> Result<i64> {
        self.require(by, Permission::FindingRecord, "您的角色不决定申诉", "your role does not decide appeals")?;
        let mut problems = Vec::new();
        let outcome = code_of::<AppealOutcome>(&mut problems, "outcome", "R14", outcome);
        let sanction = match sanction.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => code_of::<Sanction>(&mut problems, "sanction", "R14", s),
            None if outcome == Some(AppealOutcome::Varied) => {
                problems.push(problem(
                    "sanction",
                    "R14",
                    "required",
                    "变更处理须选择新的处理",
                    "a varied sanction names the new one",
                ));
                None
            }
            None => None,
        };
        required(&mut problems, "reason", "R14", reason, "请写明决定理由", "give the reason");
        let outcome = parsed(problems, outcome)?;
        let body = EventBody::AppealDecided { finding_id: id, outcome, sanction, reason: reason.trim().into() };
        self.accountability_step(by, body).await
    }
}

fn finding_view(r: &crate::sql::Row) -> Result<FindingView> {
    let proposed: String = r.get("proposed")?;
    Ok(FindingView {
        id: uuid_of(&r.get::<String>("id")?)?,
        court_id: r.get("court_id")?,
        subject: r.get("subject")?,
        kind: listed(&r.get::<String>("kind")?)?,
        record_id: r.get::<Option<String>>("record_id")?.as_deref().map(uuid_of).transpose()?,
        case_number: r.get("case_number")?,
        facts: r.get("facts")?,
        prior_standing: u32::try_from(r.get::<i64>("prior_standing")?).map_err(internal)?,
        proposed: proposed.split(',').filter(|s| !s.is_empty()).map(listed).collect::<Result<_>>()?,
        decided: listed(&r.get::<String>("decided")?)?,
        decision_reason: r.get("decision_reason")?,
        recorded_by: r.get("recorded_by")?,
        recorded_at: parse_ts(&r.get::<String>("recorded_at")?)?,
        state: r.get("state")?,
        final_sanction: listed(&r.get::<String>("final_sanction")?)?,
        appeal_grounds: r.get("appeal_grounds")?,
        appeal_reason: r.get("appeal_reason")?,
        seq: r.get("seq")?,
    })
}
