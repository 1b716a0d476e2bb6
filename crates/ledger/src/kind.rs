//! Every kind of event, declared once, under the part of the register it belongs to: its name in
//! the log and whether the security auditor reads it. `EventBody::kind()`, the auditor's list, the
//! tests that cover every kind and a pattern per category (`record_kinds!()`,
//! `accountability_kinds!()`…) are derived from this one table; a variant of [`EventBody`] missing
//! here does not compile.

use crate::EventBody;

/// The part of the register an event belongs to: where the sequencer checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// A record and its versions, co-signatures and materials (checked by the record commands).
    Record,
    /// A read of contents (appended as it is: nothing to check against).
    View,
    /// Courts, accounts, tokens and the permission matrix (checked with their table change).
    Administration,
    /// The separation of duties: approvals and enrolment codes.
    Duty,
    /// Reports and the inspections they count (checked against the report's state).
    Report,
    /// Holding to account and protecting (checked against the state of the step's subject).
    Accountability,
}

macro_rules! event_kinds {
    ($($category:ident, $pattern:ident {
        $($variant:ident => $name:literal, $audited:ident;)*
    })*) => {
        /// The kind of an [`EventBody`], without its fields.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $($($variant,)*)*
        }

        impl EventKind {
            /// Every kind, in the order of the declaration.
            pub const ALL: &[EventKind] = &[$($(EventKind::$variant,)*)*];

            /// The kind's name in an entry's `type` and in the `events.kind` column.
            pub fn name(self) -> &'static str {
                match self {
                    $($(EventKind::$variant => $name,)*)*
                }
            }

            pub fn category(self) -> Category {
                match self {
                    $($(EventKind::$variant => Category::$category,)*)*
                }
            }

            /// Whether the security auditor reads entries of this kind: administration, security
            /// and views — never contents (issue 17).
            pub fn audited(self) -> bool {
                match self {
                    $($(EventKind::$variant => event_kinds!(@audited $audited),)*)*
                }
            }

            /// The kind of the given name.
            pub fn from_name(name: &str) -> Option<EventKind> {
                EventKind::ALL.iter().copied().find(|k| k.name() == name)
            }
        }

        impl EventBody {
            pub fn event_kind(&self) -> EventKind {
                match self {
                    $($(EventBody::$variant { .. } => EventKind::$variant,)*)*
                }
            }
        }

        $(
            /// The pattern that matches every [`EventBody`] of one category, for the arm of a match
            /// that leaves a whole category to another module: the match stays exhaustive, and a
            /// kind added to the category reaches every such arm without another edit.
            #[macro_export]
            macro_rules! $pattern {
                () => { $($crate::EventBody::$variant { .. })|* };
            }
        )*
    };
    (@audited audited) => { true };
    (@audited contents) => { false };
}

event_kinds! {
    Record, record_kinds {
        RecordCreated => "record_created", contents;
        RecordAmended => "record_amended", contents;
        RecordCosigned => "record_cosigned", contents;
        RecordDisputed => "record_disputed", contents;
        MaterialAdded => "material_added", contents;
    }
    View, view_kinds {
        RecordViewed => "record_viewed", audited;
        RecordsListed => "records_listed", audited;
        ContentViewed => "content_viewed", audited;
    }
    Administration, administration_kinds {
        UserAdded => "user_added", audited;
        CourtAdded => "court_added", audited;
        TokenIssued => "token_issued", audited;
        TokenRevoked => "token_revoked", audited;
        PasswordSet => "password_set", audited;
        UserUnlocked => "user_unlocked", audited;
        RoleChanged => "role_changed", audited;
        UserDisabled => "user_disabled", audited;
        SecondFactorReset => "second_factor_reset", audited;
        PermissionsSet => "permissions_set", audited;
    }
    Duty, duty_kinds {
        ApprovalRequested => "approval_requested", audited;
        ApprovalDecided => "approval_decided", audited;
        EnrolmentCodeIssued => "enrolment_code_issued", audited;
    }
    // Who drafted, sealed and received which report is audited, without its content.
    Report, report_kinds {
        ReportDrafted => "report_drafted", audited;
        ReportSealed => "report_sealed", audited;
        ReportAcknowledged => "report_acknowledged", audited;
        InspectionRecorded => "inspection_recorded", contents;
    }
    Accountability, accountability_kinds {
        RecordScreened => "record_screened", contents;
        CheckOpened => "check_opened", contents;
        CheckConcluded => "check_concluded", contents;
        FindingRecorded => "finding_recorded", contents;
        FindingAppealed => "finding_appealed", contents;
        AppealDecided => "appeal_decided", contents;
        ComplaintFiled => "complaint_filed", contents;
        ComplaintHandled => "complaint_handled", contents;
        ZeroReportAttested => "zero_report_attested", contents;
        ZeroReportReminded => "zero_report_reminded", contents;
        ContactReported => "contact_reported", contents;
        ContactAnswered => "contact_answered", contents;
        CadresMerged => "cadres_merged", contents;
        OutcomeReported => "outcome_reported", contents;
    }
}

#[cfg(test)]
mod tests {
    use liuhen_rules::{
        AppealOutcome, ApprovalAction, ComplaintStep, ContactKind, FindingKind, Listed, OversightOutcome, Permission,
        Role, Sanction, Screening,
    };
    use time::macros::datetime;
    use uuid::Uuid;

    use super::EventKind;
    use crate::{Event, EventBody, SealedFile, Source};

    /// An example of every kind (the match names each, so a new kind needs one here).
    fn example(kind: EventKind) -> EventBody {
        let draft: liuhen_rules::RecordDraft = serde_json::from_value(serde_json::json!({
            "case_number": "（2026）示0101民初12号", "stage": "trial",
            "intervener": {"name": "张某", "unit": "某区人民政府", "post": "副区长", "unit_type": "government",
                           "leading_cadre": true, "relation": "self", "managing_level": "municipal"},
            "occurred_at": "2026-03-31 23:30", "form": "in_person", "place": "办公室\n三楼",
            "persons_present": ["李某"], "court_staff_present": ["judge2"],
            "content": "要求“从轻”处理\t\"引号\"", "special_items": [1, 4],
        }))
        .unwrap();
        let ctx = liuhen_rules::Context {
            now: datetime!(2026-04-01 00:00 UTC),
            recorder: "clerk1",
            extra_regions: &["示".to_string()],
        };
        let record = liuhen_rules::validate_record(&draft, &ctx).unwrap();
        let source = Source { channel: "api".into(), external_id: Some("X-1".into()), idempotency_key_hash: None };
        match kind {
            EventKind::RecordCreated => {
                EventBody::RecordCreated { record_id: Uuid::nil(), source, record: record.clone() }
            }
            EventKind::RecordAmended => EventBody::RecordAmended {
                record_id: Uuid::nil(),
                version: 2,
                replaces_version: 1,
                reason: "更正".into(),
                record,
            },
            EventKind::RecordCosigned => {
                EventBody::RecordCosigned { record_id: Uuid::nil(), version: 1, signer: "judge2".into() }
            }
            EventKind::RecordDisputed => EventBody::RecordDisputed {
                record_id: Uuid::nil(),
                version: 1,
                signer: "judge2".into(),
                reason: "不符".into(),
            },
            EventKind::MaterialAdded => EventBody::MaterialAdded {
                record_id: Uuid::nil(),
                material_id: Uuid::max(),
                sha256: "ab".repeat(32),
                size: u64::MAX,
                category: liuhen_rules::MaterialCategory::OfficialLetter,
                file_name: "来信.pdf".into(),
                media_type: "application/pdf".into(),
                disposition: liuhen_rules::Disposition::FiledWithCase,
                whereabouts: None,
            },
            EventKind::RecordViewed => EventBody::RecordViewed {
                record_id: Uuid::nil(),
                part: "material".into(),
                material_id: Some(Uuid::max()),
                via: "api".into(),
            },
            EventKind::RecordsListed => {
                EventBody::RecordsListed { record_ids: vec![Uuid::nil(), Uuid::max()], via: "page".into() }
            }
            EventKind::UserAdded => EventBody::UserAdded {
                username: "clerk1".into(),
                display_name: "书记员张某".into(),
                user_court: "c".into(),
                role: Role::Recorder,
            },
            EventKind::CourtAdded => EventBody::CourtAdded {
                court_id: "c".into(),
                name: "示例市甲区人民法院".into(),
                level: liuhen_rules::CourtLevel::Basic,
                parent_id: None,
                case_code: "示0101".into(),
            },
            EventKind::TokenIssued => EventBody::TokenIssued {
                token_id: "t".into(),
                username: "casesys".into(),
                name: "推送".into(),
                scopes: vec![Permission::RecordCreate],
                expires_at: Some(datetime!(2027-01-01 00:00 UTC)),
            },
            EventKind::TokenRevoked => EventBody::TokenRevoked { token_id: "t".into() },
            EventKind::PasswordSet => EventBody::PasswordSet { username: "clerk1".into(), by_owner: true },
            EventKind::UserUnlocked => EventBody::UserUnlocked { username: "clerk1".into() },
            EventKind::RoleChanged => {
                EventBody::RoleChanged { username: "clerk1".into(), from: Role::Recorder, to: Role::StoreMaintainer }
            }
            EventKind::UserDisabled => EventBody::UserDisabled { username: "clerk1".into() },
            EventKind::SecondFactorReset => EventBody::SecondFactorReset { username: "clerk1".into() },
            EventKind::PermissionsSet => EventBody::PermissionsSet {
                grants: [("recorder".to_string(), vec!["record.create".to_string()])].into(),
            },
            EventKind::ReportDrafted => EventBody::ReportDrafted {
                report_id: Uuid::nil(),
                kind: "quarterly".into(),
                period: "2026Q1".into(),
                content_sha256: "ab".repeat(32),
                content_size: 1200,
                recipients: vec!["high".into()],
                supersedes: None,
            },
            EventKind::ReportSealed => EventBody::ReportSealed {
                report_id: Uuid::nil(),
                content_sha256: "ab".repeat(32),
                files: vec![SealedFile { name: "季度报告.xlsx".into(), sha256: "cd".repeat(32), size: 9000 }],
            },
            EventKind::ReportAcknowledged => {
                EventBody::ReportAcknowledged { report_id: Uuid::nil(), court_id: "high".into() }
            }
            EventKind::InspectionRecorded => EventBody::InspectionRecorded {
                inspection_id: Uuid::nil(),
                inspected_court: "c".into(),
                inspected_on: "2026-05-20".into(),
                subject: "专库录入及时性".into(),
                findings: "抽查十件，均已及时录入".into(),
            },
            EventKind::RecordScreened => EventBody::RecordScreened {
                record_id: Uuid::nil(),
                classification: Screening::ALL[0],
                reason: "属实".into(),
            },
            EventKind::CheckOpened => EventBody::CheckOpened {
                check_id: Uuid::max(),
                record_id: Uuid::nil(),
                subject: "核查是否如实记录".into(),
            },
            EventKind::CheckConcluded => {
                EventBody::CheckConcluded { check_id: Uuid::max(), findings: "记录属实".into() }
            }
            EventKind::FindingRecorded => EventBody::FindingRecorded {
                finding_id: Uuid::nil(),
                subject: "judge2".into(),
                kind: FindingKind::ALL[0],
                record_id: Some(Uuid::max()),
                case_number: Some("（2026）示0101民初12号".into()),
                facts: "未记录".into(),
                prior_standing: 1,
                proposed: vec![Sanction::ALL[0]],
                decided: Sanction::ALL[0],
                decision_reason: "初次".into(),
            },
            EventKind::FindingAppealed => {
                EventBody::FindingAppealed { finding_id: Uuid::nil(), grounds: "已口头报告".into() }
            }
            EventKind::AppealDecided => EventBody::AppealDecided {
                finding_id: Uuid::nil(),
                outcome: AppealOutcome::ALL[0],
                sanction: None,
                reason: "维持".into(),
            },
            EventKind::ComplaintFiled => EventBody::ComplaintFiled {
                complaint_id: Uuid::nil(),
                to_court: "high".into(),
                account: "被调岗".into(),
            },
            EventKind::ComplaintHandled => EventBody::ComplaintHandled {
                complaint_id: Uuid::nil(),
                step: ComplaintStep::ALL[0],
                note: "已受理".into(),
            },
            EventKind::ZeroReportAttested => EventBody::ZeroReportAttested { period: "2026-05".into() },
            EventKind::ZeroReportReminded => {
                EventBody::ZeroReportReminded { period: "2026-05".into(), usernames: vec!["judge2".into()] }
            }
            EventKind::ContactReported => EventBody::ContactReported {
                contact_id: Uuid::nil(),
                external_id: "CMS-1".into(),
                kind: ContactKind::ALL[0],
                case_number: "（2026）示0101民初12号".into(),
                judge: "judge2".into(),
                person: Some("王某".into()),
                unit: None,
                occurred_at: datetime!(2026-05-19 09:30 UTC),
            },
            EventKind::ContactAnswered => EventBody::ContactAnswered {
                contact_id: Uuid::nil(),
                record_id: None,
                explanation: "系正常接待".into(),
            },
            EventKind::CadresMerged => EventBody::CadresMerged {
                from_key: "张某|某区政府".into(),
                into_key: "张某|某区人民政府".into(),
                reason: "同一人".into(),
            },
            EventKind::OutcomeReported => EventBody::OutcomeReported {
                record_id: Uuid::nil(),
                outcome: OversightOutcome::ALL[0],
                body: "纪委监委".into(),
                note: "已立案".into(),
            },
            EventKind::ContentViewed => {
                EventBody::ContentViewed { part: "report".into(), subject: Some("r".into()), via: "page".into() }
            }
            EventKind::ApprovalRequested => EventBody::ApprovalRequested {
                approval_id: Uuid::nil(),
                action: ApprovalAction::ALL[0],
                username: "clerk1".into(),
                role: Some(Role::Recorder),
                token_id: None,
                reason: "新进人员".into(),
            },
            EventKind::ApprovalDecided => {
                EventBody::ApprovalDecided { approval_id: Uuid::nil(), approved: true, note: "同意".into() }
            }
            EventKind::EnrolmentCodeIssued => EventBody::EnrolmentCodeIssued { username: "clerk1".into() },
        }
    }

    /// Every kind of event, enumerated from its declaration: it encodes exactly as the sorted
    /// `serde_json::Value` of it would, under the `type` its declaration names, and decodes back.
    #[test]
    fn encoding_matches_the_sorted_value_for_every_kind() {
        for kind in EventKind::ALL.iter().copied() {
            let event = Event::new(datetime!(2026-05-20 02:00 UTC), "clerk1", "c", example(kind));
            assert_eq!(event.body.event_kind(), kind);
            let value = serde_json::to_value(&event).unwrap();
            assert_eq!(value["type"], kind.name(), "{kind:?}");
            assert_eq!(EventKind::from_name(kind.name()), Some(kind));
            let sorted = serde_json::to_vec(&value).unwrap();
            assert_eq!(event.encode().unwrap(), sorted, "{}", kind.name());
            assert_eq!(Event::decode(&sorted).unwrap(), event);
        }
    }
}
