//! Cross-checks of the contacts the case-management system logged (C9–C11).

use super::*;
use crate::sql::params;

impl Store {
    /// Take a contact the case-management system logged; a repeated push (same external id) is
    /// answered with the contact already taken. Returns its id and whether it is new.
    pub async fn report_contact(&self, by: &User, input: &ContactInput) -> Result<(Uuid, bool)> {
        self.require(by, Permission::ContactReport, "您的角色不报送接触登记", "your role does not send contacts")?;
        let mut problems = Vec::new();
        if !text_ok(&input.external_id, 200) {
            problems.push(problem(
                "external_id",
                "R3",
                "required",
                "请提供案件管理系统的登记编号",
                "give the case system's id",
            ));
        }
        let kind = code_of::<ContactKind>(&mut problems, "kind", "R3", &input.kind);
        // Kept in the canonical form entries are stored in, so that matching compares like with like.
        let case_number =
            match liuhen_rules::parse_case_number_with(&input.case_number, &self.config.policy.extra_regions) {
                Ok(parsed) => Some(parsed.text),
                Err(e) => {
                    problems.push(problem("case_number", "R3", e.code, e.zh, e.en));
                    None
                }
            };
        let judge = self.user(input.judge.trim()).await?.filter(|u| u.court_id == by.court_id);
        if judge.is_none() {
            problems.push(problem(
                "judge",
                "R3",
                "unknown_user",
                "本院没有这位承办法官（用户名）",
                "no such judge in this court",
            ));
        }
        let occurred_at = parse_instant(&input.occurred_at).filter(|t| *t <= now() + time::Duration::minutes(5));
        if occurred_at.is_none() {
            problems.push(problem(
                "occurred_at",
                "R3",
                "invalid",
                "接触时间格式应为 2026-05-20 09:30，且不晚于现在",
                "the time is like 2026-05-20 09:30 and not in the future",
            ));
        }
        let ((kind, case_number), occurred_at) = parsed(problems, kind.zip(case_number).zip(occurred_at))?;
        let external_id = input.external_id.trim();
        if let Some(r) = self
            .reader
            .row("SELECT id FROM contacts WHERE court_id = $1 AND external_id = $2", params![&by.court_id, external_id])
            .await?
        {
            return Ok((uuid_of(&r.get::<String>(0)?)?, false));
        }
        let contact_id = Uuid::now_v7();
        let trimmed = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let body = EventBody::ContactReported {
            contact_id,
            external_id: external_id.into(),
            kind,
            case_number,
            judge: input.judge.trim().into(),
            person: trimmed(&input.person),
            unit: trimmed(&input.unit),
            occurred_at,
        };
        self.accountability_step(by, body).await?;
        Ok((contact_id, true))
    }

    /// Contacts with where each stands: the judge's own (`mine`), or the whole court's for those
    /// who oversee filing. A contact due without an entry is a question for the judge.
    pub async fn contacts(&self, viewer: &User, mine: bool) -> Result<Vec<ContactView>> {
        let rows = if mine {
            self.reader
                .rows(
                    "SELECT * FROM contacts WHERE judge = $1 AND court_id = $2 ORDER BY occurred_at DESC",
                    params![&viewer.username, &viewer.court_id],
                )
                .await?
        } else {
            self.require(
                viewer,
                Permission::FilingOversee,
                "您的角色不查看交叉核对",
                "your role does not oversee filing",
            )?;
            self.reader
                .rows("SELECT * FROM contacts WHERE court_id = $1 ORDER BY occurred_at DESC", params![&viewer.court_id])
                .await?
        };
        let limit = time::Duration::days(self.config.policy.recording_time_limit_days);
        // The court's entries of the contacts' cases, once per case, by the case-number index (both
        // sides hold the canonical case number).
        let mut entries: BTreeMap<String, Vec<(Uuid, OffsetDateTime, String)>> = BTreeMap::new();
        for r in &rows {
            let case: String = r.get("case_number")?;
            if entries.contains_key(&case) {
                continue;
            }
            let candidates = self
                .reader
                .rows(
                    "SELECT id, occurred_at, intervener_name FROM records
                 WHERE case_number = $1 AND court_id = $2 AND register <> 'internal_inquiry'",
                    params![&case, &viewer.court_id],
                )
                .await?
                .iter()
                .map(|c| {
                    Ok((
                        uuid_of(&c.get::<String>("id")?)?,
                        parse_ts(&c.get::<String>("occurred_at")?)?,
                        c.get("intervener_name")?,
                    ))
                })
                .collect::<Result<_>>()?;
            entries.insert(case, candidates);
        }
        let mut out = Vec::new();
        for r in rows {
            let case_number: String = r.get("case_number")?;
            let person: Option<String> = r.get("person")?;
            let occurred_at = parse_ts(&r.get::<String>("occurred_at")?)?;
            let court_id: String = r.get("court_id")?;
            let facts = ContactFacts { case_number: &case_number, occurred_at, person: person.as_deref() };
            let same_case = entries.get(&case_number);
            let matched = same_case.into_iter().flatten().find_map(|(id, at, name)| {
                let entry = EntryFacts { case_number: Some(&case_number), occurred_at: *at, intervener_name: name };
                entry_answers_contact(&facts, &entry, limit).then_some(*id)
            });
            let answer: Option<String> = r.get("answer")?;
            let answer_record = r.get::<Option<String>>("answer_record")?.as_deref().map(uuid_of).transpose()?;
            let status = if matched.is_some() {
                "matched"
            } else if r.get::<Option<i64>>("answered_seq")?.is_some() {
                "answered"
            } else if contact_is_due(occurred_at, limit, now()) {
                "question"
            } else {
                "waiting"
            };
            out.push(ContactView {
                id: uuid_of(&r.get::<String>("id")?)?,
                court_id,
                external_id: r.get("external_id")?,
                kind: listed(&r.get::<String>("kind")?)?,
                case_number,
                judge: r.get("judge")?,
                person,
                unit: r.get("unit")?,
                occurred_at,
                status: status.into(),
                matched_record: matched,
                answer,
                answer_record,
            });
        }
        Ok(out)
    }

    /// The judge answers a question: the entry that records the contact, or why none is due.
    pub async fn answer_contact(&self, by: &User, id: Uuid, record_id: Option<Uuid>, explanation: &str) -> Result<i64> {
        let mut problems = Vec::new();
        if record_id.is_none() {
            required(
                &mut problems,
                "explanation",
                "R1",
                explanation,
                "请说明为何没有过问记录，或指明记录",
                "say why there is no entry, or name the entry",
            );
        }
        if let Some(r) = record_id
            && self.readable_record(by, r).await.is_err()
        {
            problems.push(problem("record_id", "R1", "unknown_record", "没有这条记录", "no such record"));
        }
        invalid_if(problems)?;
        self.accountability_step(
            by,
            EventBody::ContactAnswered { contact_id: id, record_id, explanation: explanation.trim().into() },
        )
        .await
    }
}
