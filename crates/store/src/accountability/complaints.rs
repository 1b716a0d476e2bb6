//! Retaliation complaints to the court above, and their handling (R15).

use super::*;
use crate::sql::params;

impl Store {
    /// A member of staff complains of retaliation to the court one level up (S9); returns its id.
    pub async fn file_complaint(&self, by: &User, account: &str) -> Result<Uuid> {
        if !by.role.is_court_staff() || by.via_token {
            return Err(StoreError::forbidden(
                "控告由法院工作人员本人提出",
                "a complaint is made by a member of court staff in person",
            ));
        }
        let court = self.court(&by.court_id).await?.ok_or_else(|| StoreError::Internal("no court".into()))?;
        let Some(to_court) = court.parent_id else {
            return Err(StoreError::conflict(
                "最高人民法院没有上一级法院；请向有关机关反映",
                "the Supreme People's Court has no court above it",
            ));
        };
        let mut problems = Vec::new();
        required(&mut problems, "account", "R15", account, "请写明遭遇刁难、打击、报复的情况", "say what happened");
        invalid_if(problems)?;
        let complaint_id = Uuid::now_v7();
        self.accountability_step(
            by,
            EventBody::ComplaintFiled { complaint_id, to_court, account: account.trim().into() },
        )
        .await?;
        Ok(complaint_id)
    }

    /// The complaints `viewer` may read: those addressed to their court if they handle
    /// complaints (at the Supreme People's Court also those reported up to it, S9), and their
    /// own. Nobody else — not their court's leadership — sees any.
    pub async fn complaints(&self, viewer: &User) -> Result<Vec<ComplaintView>> {
        self.complaints_of(viewer, None).await
    }

    pub async fn complaint(&self, viewer: &User, id: Uuid) -> Result<ComplaintView> {
        self.complaints_of(viewer, Some(id)).await?.pop().ok_or_else(no_complaint)
    }

    /// The complaints `viewer` may read, all or the one `only`.
    async fn complaints_of(&self, viewer: &User, only: Option<Uuid>) -> Result<Vec<ComplaintView>> {
        let handler = self.permits(viewer, Permission::ComplaintHandle);
        let supreme = self.court(&viewer.court_id).await?.is_some_and(|c| c.level == liuhen_rules::CourtLevel::Supreme);
        let rows = self
            .reader
            .rows(
                "SELECT * FROM complaints
             WHERE (complainant = $1 OR ($3 = 1 AND (to_court = $2 OR (escalated = 1 AND $4 = 1))))
             AND ($5 = '' OR id = $5) ORDER BY seq DESC",
                params![
                    &viewer.username,
                    &viewer.court_id,
                    i64::from(handler),
                    i64::from(supreme),
                    only.map(|id| id.to_string()).unwrap_or_default()
                ],
            )
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: String = r.get("id")?;
            let steps = self
                .reader
                .rows("SELECT * FROM complaint_steps WHERE complaint_id = $1 ORDER BY seq", params![&id])
                .await?
                .iter()
                .map(|s| {
                    Ok(ComplaintStepView {
                        step: listed(&s.get::<String>("step")?)?,
                        note: s.get("note")?,
                        handled_by: s.get("handled_by")?,
                        at: parse_ts(&s.get::<String>("at")?)?,
                    })
                })
                .collect::<Result<_>>()?;
            out.push(ComplaintView {
                id: uuid_of(&id)?,
                complainant: r.get("complainant")?,
                complainant_court: r.get("complainant_court")?,
                to_court: r.get("to_court")?,
                account: r.get("account")?,
                filed_at: parse_ts(&r.get::<String>("filed_at")?)?,
                state: r.get("state")?,
                steps,
            });
        }
        Ok(out)
    }

    pub async fn handle_complaint(&self, by: &User, id: Uuid, step: &str, note: &str) -> Result<i64> {
        self.require(by, Permission::ComplaintHandle, "您的角色不办理控告", "your role does not handle complaints")?;
        let mut problems = Vec::new();
        let step = code_of::<ComplaintStep>(&mut problems, "step", "R15", step);
        required(&mut problems, "note", "R15", note, "请写明办理情况", "say what was done");
        let step = parsed(problems, step)?;
        self.accountability_step(by, EventBody::ComplaintHandled { complaint_id: id, step, note: note.trim().into() })
            .await
    }
}
