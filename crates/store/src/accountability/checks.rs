//! What the sequencer checks in its write transaction before an accountability step is appended.

use super::*;

/// Check an accountability step against the state in the write transaction; a finding gets the
/// count of standing findings and the proposal as they are at that moment (two findings made at
/// once are counted in order).
pub(crate) fn check(conn: &dyn Db, actor: &User, body: EventBody) -> Result<EventBody> {
    match body {
        EventBody::FindingRecorded {
            finding_id,
            subject,
            kind,
            record_id,
            case_number,
            facts,
            decided,
            decision_reason,
            ..
        } => {
            let prior: i64 = conn.scalar(
                "SELECT COUNT(*) FROM findings WHERE subject = $1 AND state <> 'overturned'
                 AND kind <> 'instructed_not_to_record'",
                args![subject],
            )?;
            let prior = u32::try_from(prior).unwrap_or(u32::MAX);
            let proposal = propose_sanction(kind, prior);
            if !proposal.allowed.contains(&decided) && decision_reason.trim().is_empty() {
                return Err(StoreError::invalid(problem(
                    "decision_reason",
                    "R14",
                    "required",
                    format!(
                        "所作决定与规定不同（{}），须写明理由",
                        proposal.allowed.iter().map(|s| s.zh()).collect::<Vec<_>>().join("或")
                    ),
                    "the decision differs from what S8 provides: give the reason",
                )));
            }
            Ok(EventBody::FindingRecorded {
                finding_id,
                subject,
                kind,
                record_id,
                case_number,
                facts,
                prior_standing: prior,
                proposed: proposal.allowed,
                decided,
                decision_reason,
            })
        }
        EventBody::FindingAppealed { finding_id, grounds } => {
            let row = conn
                .row("SELECT subject, state FROM findings WHERE id = $1", args![finding_id.to_string()])?
                .ok_or_else(no_finding)?;
            let (subject, state): (String, String) = (row.get(0)?, row.get(1)?);
            if subject != actor.username {
                return Err(no_finding());
            }
            if state != "standing" {
                return Err(StoreError::conflict("这项认定已经申诉过", "this finding has been appealed already"));
            }
            Ok(EventBody::FindingAppealed { finding_id, grounds })
        }
        EventBody::AppealDecided { finding_id, outcome, sanction, reason } => {
            let row = conn
                .row(
                    "SELECT court_id, subject, state, recorded_by FROM findings WHERE id = $1",
                    args![finding_id.to_string()],
                )?
                .ok_or_else(no_finding)?;
            let (court, subject, state, recorder): (String, String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            if court != actor.court_id {
                return Err(no_finding());
            }
            if subject == actor.username {
                return Err(StoreError::forbidden("不能决定自己的申诉", "nobody decides their own appeal"));
            }
            // An appeal is a second look: not by whoever made the finding.
            if recorder == actor.username {
                return Err(StoreError::forbidden(
                    "申诉由作出认定以外的纪检监察人员决定",
                    "an appeal is decided by an inspector other than the one who made the finding",
                ));
            }
            if state != "appealed" {
                return Err(StoreError::conflict("这项认定没有待决定的申诉", "this finding has no appeal to decide"));
            }
            Ok(EventBody::AppealDecided { finding_id, outcome, sanction, reason })
        }
        EventBody::ComplaintHandled { complaint_id, step, note } => {
            let row = conn
                .row(
                    "SELECT to_court, state, escalated FROM complaints WHERE id = $1",
                    args![complaint_id.to_string()],
                )?
                .ok_or_else(no_complaint)?;
            let (to_court, state, escalated): (String, String, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
            let supreme: bool = conn.scalar(
                "SELECT EXISTS (SELECT 1 FROM courts WHERE id = $1 AND level = 'supreme')",
                args![actor.court_id],
            )?;
            if to_court != actor.court_id && !(escalated == 1 && supreme) {
                return Err(no_complaint());
            }
            if state == ComplaintStep::Concluded.code() {
                return Err(StoreError::conflict("这件控告已经办结", "this complaint is concluded"));
            }
            Ok(EventBody::ComplaintHandled { complaint_id, step, note })
        }
        EventBody::ContactAnswered { contact_id, record_id, explanation } => {
            let row = conn
                .row("SELECT judge, answered_seq FROM contacts WHERE id = $1", args![contact_id.to_string()])?
                .ok_or_else(no_contact)?;
            let (judge, answered): (String, Option<i64>) = (row.get(0)?, row.get(1)?);
            if judge != actor.username {
                return Err(no_contact());
            }
            if answered.is_some() {
                return Err(StoreError::conflict("这个问题已经答复", "this question is answered already"));
            }
            Ok(EventBody::ContactAnswered { contact_id, record_id, explanation })
        }
        EventBody::ZeroReportAttested { period } => {
            let done: bool = conn.scalar(
                "SELECT EXISTS (SELECT 1 FROM zero_reports WHERE username = $1 AND period = $2)",
                args![actor.username, period],
            )?;
            if done {
                return Err(StoreError::conflict(
                    format!("您已就 {period} 作出零报告"),
                    format!("you have attested a zero report for {period} already"),
                ));
            }
            Ok(EventBody::ZeroReportAttested { period })
        }
        EventBody::CadresMerged { from_key, into_key, reason } => {
            let merged: bool =
                conn.scalar("SELECT EXISTS (SELECT 1 FROM cadre_merges WHERE from_key = $1)", args![from_key])?;
            if merged {
                return Err(StoreError::conflict("这个干部已经合并过", "these entries are merged already"));
            }
            Ok(EventBody::CadresMerged { from_key, into_key, reason })
        }
        EventBody::CheckConcluded { check_id, findings } => {
            let row = conn
                .row("SELECT court_id, concluded_seq FROM checks WHERE id = $1", args![check_id.to_string()])?
                .ok_or_else(|| StoreError::not_found("没有这项核查", "no such check"))?;
            let (court, concluded): (String, Option<i64>) = (row.get(0)?, row.get(1)?);
            if court != actor.court_id {
                return Err(StoreError::not_found("没有这项核查", "no such check"));
            }
            if concluded.is_some() {
                return Err(StoreError::conflict("这项核查已经办结", "this check is concluded"));
            }
            Ok(EventBody::CheckConcluded { check_id, findings })
        }
        // Steps whose input checks, made before they were queued, are all they need.
        body @ (EventBody::RecordScreened { .. }
        | EventBody::CheckOpened { .. }
        | EventBody::ComplaintFiled { .. }
        | EventBody::ZeroReportReminded { .. }
        | EventBody::ContactReported { .. }
        | EventBody::OutcomeReported { .. }) => Ok(body),
        // Not steps of holding to account: the store never queues them as such.
        body @ (liuhen_ledger::record_kinds!()
        | liuhen_ledger::view_kinds!()
        | liuhen_ledger::administration_kinds!()
        | liuhen_ledger::duty_kinds!()
        | liuhen_ledger::report_kinds!()) => {
            Err(StoreError::Internal(format!("{} is not a step of holding to account", body.kind())))
        }
    }
}
