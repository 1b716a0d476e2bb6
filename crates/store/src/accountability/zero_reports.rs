//! Zero reports (零报告) and the timeliness of entries (S2, S11).

use super::*;
use crate::sql::params;

impl Store {
    /// Check a period code of this deployment's cycle, not in the future.
    pub fn check_period(&self, field: &str, code: &str) -> Result<(OffsetDateTime, OffsetDateTime)> {
        let cycle = self.reporting_cycle();
        let example = period_code(cycle, now());
        match period_bounds(cycle, code.trim()) {
            Some((from, to)) if from <= now() => Ok((from, to)),
            Some(_) => {
                Err(StoreError::invalid(problem(field, "S11", "future", "期间尚未开始", "that period has not begun")))
            }
            None => Err(StoreError::invalid(problem(
                field,
                "S11",
                "invalid",
                format!("期间格式应为 {example}（{}）", cycle.zh()),
                format!("a period is written like {example} ({})", cycle.en()),
            ))),
        }
    }

    /// Entries `username` recorded in the store about inquiries of `[from, to)`.
    async fn entries_in(&self, username: &str, from: OffsetDateTime, to: OffsetDateTime) -> Result<i64> {
        self.reader
            .scalar(
                "SELECT COUNT(*) FROM records WHERE recorder = $1 AND register = 'store' AND occurred_at >= $2
                   AND occurred_at < $3",
                params![username, ts(from), ts(to)],
            )
            .await
    }

    /// A judge or judicial assistant attests that they had nothing to record in `period`.
    pub async fn attest_zero_report(&self, by: &User, period: &str) -> Result<i64> {
        if !self.permits(by, Permission::RecordCreate) || !by.role.is_court_staff() || by.via_token {
            return Err(StoreError::forbidden(
                "零报告由办案人员本人作出",
                "a zero report is made by the judge in person",
            ));
        }
        let (from, to) = self.check_period("period", period)?;
        if self.entries_in(&by.username, from, to).await? > 0 {
            return Err(StoreError::conflict(
                "您在这一期间录入过过问记录，无需零报告",
                "you recorded entries in this period: no zero report is due",
            ));
        }
        self.accountability_step(by, EventBody::ZeroReportAttested { period: period.trim().into() }).await
    }

    /// The judges and judicial assistants (recorders) of the viewer's court and where each stands.
    pub async fn filing_overview(&self, viewer: &User, period: &str) -> Result<FilingOverview> {
        self.require(
            viewer,
            Permission::FilingOversee,
            "您的角色不查看零报告情况",
            "your role does not oversee filing",
        )?;
        let (from, to) = self.check_period("period", period)?;
        let staff = self
            .reader
            .rows(
                "SELECT username, display_name, court_id FROM users WHERE court_id = $1 AND role = $2
                   AND disabled_at IS NULL
             ORDER BY username",
                params![&viewer.court_id, Role::Recorder.code()],
            )
            .await?;
        // One query per kind for the whole court, not per person.
        let period = period.trim();
        let counts = |sql: &'static str, args: Vec<String>| {
            let (reader, court) = (&self.reader, viewer.court_id.clone());
            async move {
                let params = std::iter::once(court).chain(args).map(|a| crate::sql::Owned::of(&a)).collect();
                reader
                    .rows(sql, params)
                    .await?
                    .iter()
                    .map(|r| Ok((r.get::<String>(0)?, r.get::<i64>(1)?)))
                    .collect::<Result<BTreeMap<String, i64>>>()
            }
        };
        let entries_of = counts(
            "SELECT recorder, COUNT(*) FROM records WHERE court_id = $1 AND register = 'store'
             AND occurred_at >= $2 AND occurred_at < $3 GROUP BY recorder",
            vec![ts(from), ts(to)],
        )
        .await?;
        let attested = counts(
            "SELECT username, COUNT(*) FROM zero_reports WHERE court_id = $1 AND period = $2 GROUP BY username",
            vec![period.into()],
        )
        .await?;
        let reminded = counts(
            "SELECT username, COUNT(*) FROM zero_report_reminders WHERE court_id = $1 AND period = $2
               GROUP BY username",
            vec![period.into()],
        )
        .await?;
        // Service accounts (with API tokens) push for systems, not for a person.
        let services: BTreeSet<String> = self
            .reader
            .rows("SELECT DISTINCT username FROM api_tokens", params![])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::new();
        for s in staff {
            let username: String = s.get("username")?;
            if services.contains(&username) {
                continue;
            }
            let entries = entries_of.get(&username).copied().unwrap_or(0);
            let zero_report = attested.contains_key(&username);
            let reminders = reminded.get(&username).copied().unwrap_or(0);
            out.push(FilingStatus {
                display_name: s.get("display_name")?,
                court_id: s.get("court_id")?,
                missing: entries == 0 && !zero_report,
                username,
                entries,
                zero_report,
                reminders,
            });
        }
        Ok(FilingOverview { period: period.into(), cycle: self.reporting_cycle(), staff: out })
    }

    /// Remind everyone still missing for `period`; returns who was reminded.
    pub async fn remind_missing(&self, by: &User, period: &str) -> Result<Vec<String>> {
        let overview = self.filing_overview(by, period).await?;
        let usernames: Vec<String> = overview.staff.into_iter().filter(|s| s.missing).map(|s| s.username).collect();
        if !usernames.is_empty() {
            self.accountability_step(
                by,
                EventBody::ZeroReportReminded { period: period.trim().into(), usernames: usernames.clone() },
            )
            .await?;
        }
        Ok(usernames)
    }

    /// The last period, when `user` owes a zero report for it (neither entries nor a zero
    /// report): the reminder on their desk.
    pub async fn zero_report_due(&self, user: &User) -> Result<Option<String>> {
        if user.role != Role::Recorder || user.scopes.is_some() || self.is_service_account(&user.username).await? {
            return Ok(None);
        }
        let period = previous_period(self.reporting_cycle(), now());
        let (from, to) = period_bounds(self.reporting_cycle(), &period).expect("a period's own code parses");
        let created = self.user_created_at(&user.username).await?;
        if created.is_some_and(|c| c >= to) || self.entries_in(&user.username, from, to).await? > 0 {
            return Ok(None);
        }
        let attested = self
            .reader
            .row("SELECT 1 FROM zero_reports WHERE username = $1 AND period = $2", params![&user.username, &period])
            .await?
            .is_some();
        Ok((!attested).then_some(period))
    }

    /// Service accounts (with API tokens) push for systems, not for a person: they owe no zero report.
    async fn is_service_account(&self, username: &str) -> Result<bool> {
        let tokens: i64 =
            self.reader.one("SELECT COUNT(*) FROM api_tokens WHERE username = $1", params![username]).await?.get(0)?;
        Ok(tokens > 0)
    }

    async fn user_created_at(&self, username: &str) -> Result<Option<OffsetDateTime>> {
        let row = self.reader.row("SELECT created_at FROM users WHERE username = $1", params![username]).await?;
        row.map(|r| parse_ts(&r.get::<String>(0)?)).transpose()
    }

    /// How promptly the viewer's court and the courts below recorded the inquiries of `period`
    /// (S2 ¶1, S11): each entry's delay, the late ones, counts per court and per division.
    pub async fn timeliness(&self, viewer: &User, period: &str) -> Result<Timeliness> {
        self.require(
            viewer,
            Permission::FilingOversee,
            "您的角色不查看及时性情况",
            "your role does not oversee filing",
        )?;
        let (from, to) = self.check_period("period", period)?;
        let courts = self.courts_under(&viewer.court_id).await?;
        let limit = time::Duration::days(self.config.policy.recording_time_limit_days);
        let mut by_court: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut by_division: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut late = Vec::new();
        let mut delays = Vec::new();
        for court in &courts {
            let rows = self.reader
                .rows(
                    "SELECT id, court_id, recorder, case_type_code, occurred_at, created_at FROM records
                 WHERE court_id = $1 AND register = 'store' AND occurred_at >= $2 AND occurred_at < $3 ORDER BY occurred_at",
                    params![court, ts(from), ts(to)],
                )
            .await?;
            for r in rows {
                let occurred_at = parse_ts(&r.get::<String>("occurred_at")?)?;
                let recorded_at = parse_ts(&r.get::<String>("created_at")?)?;
                let division = division_of(r.get::<Option<String>>("case_type_code")?.as_deref());
                let is_late = is_late(occurred_at, recorded_at, limit);
                let delay_hours = recording_delay(occurred_at, recorded_at).whole_hours();
                delays.push(delay_hours);
                for (map, key) in [(&mut by_court, court.clone()), (&mut by_division, division.clone())] {
                    let c = map.entry(key).or_default();
                    c.0 += 1;
                    c.1 += i64::from(is_late);
                }
                if is_late {
                    late.push(LateEntry {
                        record_id: uuid_of(&r.get::<String>("id")?)?,
                        court_id: r.get("court_id")?,
                        recorder: r.get("recorder")?,
                        division,
                        occurred_at,
                        recorded_at,
                        delay_hours,
                    });
                }
            }
        }
        delays.sort_unstable();
        let counts = |m: BTreeMap<String, (i64, i64)>| {
            m.into_iter().map(|(key, (entries, late))| TimelinessCount { key, entries, late }).collect()
        };
        Ok(Timeliness {
            period: period.trim().into(),
            limit_days: self.config.policy.recording_time_limit_days,
            entries: delays.len() as i64,
            median_delay_hours: delays.get(delays.len() / 2).copied().unwrap_or(0),
            late,
            by_court: counts(by_court),
            by_division: counts(by_division),
        })
    }
}
