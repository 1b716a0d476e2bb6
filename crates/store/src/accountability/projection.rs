//! The query tables of the accountability steps and the cadre rows, written from the events.

use super::*;

/// The rows of the cadres an entry of the store names (R16): none for the other registers.
/// `replacing`: the record may have rows already (an amendment, a resumed fill); a new record has
/// none, and its write (the sequencer's hot path) skips the delete.
pub(crate) fn write_cadre_rows(conn: &dyn Db, id: &str, record: &Record, court: &str, replacing: bool) -> Result<()> {
    if replacing {
        conn.exec("DELETE FROM record_cadres WHERE record_id = $1", args![id])?;
    }
    if record.register != Register::Store {
        return Ok(());
    }
    let i = &record.intervener;
    let mut cadres = vec![(i.name.as_str(), i.unit.as_str(), i.post.as_str(), "intervener")];
    if let Some(p) = &i.principal {
        cadres.push((&p.name, p.unit.as_deref().unwrap_or(""), p.post.as_deref().unwrap_or(""), "principal"));
    }
    let at = ts(record.occurred_at);
    for (name, unit, post, role) in cadres {
        conn.exec(
            "INSERT INTO record_cadres (record_id, cadre_key, role, court_id, occurred_at, name, unit, post)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            args![id, cadre_key(name, unit, post), role, court, at, name.trim(), unit.trim(), post.trim()],
        )?;
    }
    Ok(())
}

/// Apply an accountability event to its tables (called by `projection::apply`).
pub(crate) fn apply(conn: &dyn Db, seq: i64, event: &Event) -> Result<()> {
    let at = ts(event.at);
    match &event.body {
        EventBody::RecordScreened { record_id, classification, reason } => {
            conn.exec(
                "INSERT INTO screenings (record_id, seq, court_id, classification, reason, screened_by, screened_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![record_id.to_string(), seq, event.court, classification.code(), reason, event.actor, at],
            )?;
        }
        EventBody::CheckOpened { check_id, record_id, subject } => {
            conn.exec(
                "INSERT INTO checks (id, record_id, court_id, subject, opened_by, opened_at, opened_seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![check_id.to_string(), record_id.to_string(), event.court, subject, event.actor, at, seq],
            )?;
        }
        EventBody::CheckConcluded { check_id, findings } => {
            conn.exec(
                "UPDATE checks SET findings = $1, concluded_by = $2, concluded_at = $3, concluded_seq = $4
                   WHERE id = $5",
                args![findings, event.actor, at, seq, check_id.to_string()],
            )?;
        }
        EventBody::FindingRecorded {
            finding_id,
            subject,
            kind,
            record_id,
            case_number,
            facts,
            prior_standing,
            proposed,
            decided,
            decision_reason,
        } => {
            let proposed = proposed.iter().map(|s| s.code()).collect::<Vec<_>>().join(",");
            conn.exec(
                "INSERT INTO findings (id, court_id, subject, kind, record_id, case_number, facts, prior_standing,
                 proposed, decided, decision_reason, recorded_by, recorded_at, seq, state, final_sanction)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'standing', $10)",
                args![
                    finding_id.to_string(),
                    event.court,
                    subject,
                    kind.code(),
                    record_id.map(|r| r.to_string()),
                    case_number,
                    facts,
                    i64::from(*prior_standing),
                    proposed,
                    decided.code(),
                    decision_reason,
                    event.actor,
                    at,
                    seq
                ],
            )?;
        }
        EventBody::FindingAppealed { finding_id, grounds } => {
            conn.exec(
                "UPDATE findings SET state = 'appealed', appeal_grounds = $1, appealed_at = $2 WHERE id = $3",
                args![grounds, at, finding_id.to_string()],
            )?;
        }
        EventBody::AppealDecided { finding_id, outcome, sanction, reason } => {
            let id = finding_id.to_string();
            let final_sanction: String = match (outcome, sanction) {
                (AppealOutcome::Overturned, _) => Sanction::NoSanction.code().into(),
                (AppealOutcome::Varied, Some(s)) => s.code().into(),
                _ => conn.one("SELECT final_sanction FROM findings WHERE id = $1", args![id])?.get(0)?,
            };
            conn.exec(
                "UPDATE findings SET state = $1, final_sanction = $2, appeal_reason = $3, appeal_decided_by = $4,
                 appeal_decided_at = $5 WHERE id = $6",
                args![outcome.code(), final_sanction, reason, event.actor, at, id],
            )?;
        }
        EventBody::ComplaintFiled { complaint_id, to_court, account } => {
            conn.exec(
                "INSERT INTO complaints (id, complainant, complainant_court, to_court, account, filed_at, seq, state)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'filed')",
                args![complaint_id.to_string(), event.actor, event.court, to_court, account, at, seq],
            )?;
        }
        EventBody::ComplaintHandled { complaint_id, step, note } => {
            conn.exec(
                "INSERT INTO complaint_steps (complaint_id, seq, step, note, handled_by, at)
                   VALUES ($1, $2, $3, $4, $5, $6)",
                args![complaint_id.to_string(), seq, step.code(), note, event.actor, at],
            )?;
            conn.exec("UPDATE complaints SET state = $1 WHERE id = $2", args![step.code(), complaint_id.to_string()])?;
            if *step == ComplaintStep::EscalatedToSupreme {
                conn.exec("UPDATE complaints SET escalated = 1 WHERE id = $1", args![complaint_id.to_string()])?;
            }
        }
        EventBody::ZeroReportAttested { period } => {
            conn.exec(
                "INSERT INTO zero_reports (username, period, court_id, attested_at, seq) VALUES ($1, $2, $3, $4, $5)",
                args![event.actor, period, event.court, at, seq],
            )?;
        }
        EventBody::ZeroReportReminded { period, usernames } => {
            for username in usernames {
                conn.exec(
                    "INSERT INTO zero_report_reminders (period, username, seq, court_id, reminded_by, at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    args![period, username, seq, event.court, event.actor, at],
                )?;
            }
        }
        EventBody::ContactReported { contact_id, external_id, kind, case_number, judge, person, unit, occurred_at } => {
            conn.exec(
                "INSERT INTO contacts (id, court_id, external_id, kind, case_number, judge, person, unit, occurred_at,
                 reported_by, reported_at, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                args![
                    contact_id.to_string(),
                    event.court,
                    external_id,
                    kind.code(),
                    case_number,
                    judge,
                    person,
                    unit,
                    ts(*occurred_at),
                    event.actor,
                    at,
                    seq
                ],
            )?;
        }
        EventBody::ContactAnswered { contact_id, record_id, explanation } => {
            conn.exec(
                "UPDATE contacts SET answer_record = $1, answer = $2, answered_at = $3, answered_seq = $4
                   WHERE id = $5",
                args![record_id.map(|r| r.to_string()), explanation, at, seq, contact_id.to_string()],
            )?;
        }
        EventBody::CadresMerged { from_key, into_key, reason } => {
            conn.exec(
                "INSERT INTO cadre_merges (from_key, into_key, reason, merged_by, court_id, at, seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![from_key, into_key, reason, event.actor, event.court, at, seq],
            )?;
        }
        EventBody::OutcomeReported { record_id, outcome, body, note } => {
            conn.exec(
                "INSERT INTO outcomes (record_id, seq, outcome, body, note, reported_by, at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![record_id.to_string(), seq, outcome.code(), body, note, event.actor, at],
            )?;
        }
        // Projected by `projection::apply` itself, which sends only the kinds above here.
        liuhen_ledger::record_kinds!()
        | liuhen_ledger::view_kinds!()
        | liuhen_ledger::administration_kinds!()
        | liuhen_ledger::duty_kinds!()
        | liuhen_ledger::report_kinds!() => {}
    }
    Ok(())
}
