//! Every kind of event, declared once: its name in the log, the part of the register it belongs
//! to, and whether the security auditor reads it. `EventBody::kind()`, the auditor's list and the
//! tests that cover every kind are derived from this one table; a variant of [`EventBody`] missing
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
    ($($variant:ident => $name:literal, $category:ident, $audited:ident;)*) => {
        /// The kind of an [`EventBody`], without its fields.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $($variant,)*
        }

        impl EventKind {
            /// Every kind, in the order of the declaration.
            pub const ALL: &[EventKind] = &[$(EventKind::$variant,)*];

            /// The kind's name in an entry's `type` and in the `events.kind` column.
            pub fn name(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)*
                }
            }

            pub fn category(self) -> Category {
                match self {
                    $(EventKind::$variant => Category::$category,)*
                }
            }

            /// Whether the security auditor reads entries of this kind: administration, security
            /// and views — never contents (issue 17).
            pub fn audited(self) -> bool {
                match self {
                    $(EventKind::$variant => event_kinds!(@audited $audited),)*
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
                    $(EventBody::$variant { .. } => EventKind::$variant,)*
                }
            }
        }
    };
    (@audited audited) => { true };
    (@audited contents) => { false };
}

event_kinds! {
    RecordCreated => "record_created", Record, contents;
    RecordAmended => "record_amended", Record, contents;
    RecordCosigned => "record_cosigned", Record, contents;
    RecordDisputed => "record_disputed", Record, contents;
    MaterialAdded => "material_added", Record, contents;
    RecordViewed => "record_viewed", View, audited;
    RecordsListed => "records_listed", View, audited;
    UserAdded => "user_added", Administration, audited;
    CourtAdded => "court_added", Administration, audited;
    TokenIssued => "token_issued", Administration, audited;
    TokenRevoked => "token_revoked", Administration, audited;
    PasswordSet => "password_set", Administration, audited;
    UserUnlocked => "user_unlocked", Administration, audited;
    RoleChanged => "role_changed", Administration, audited;
    UserDisabled => "user_disabled", Administration, audited;
    SecondFactorReset => "second_factor_reset", Administration, audited;
    PermissionsSet => "permissions_set", Administration, audited;
    // Who drafted, sealed and received which report is audited, without its content.
    ReportDrafted => "report_drafted", Report, audited;
    ReportSealed => "report_sealed", Report, audited;
    ReportAcknowledged => "report_acknowledged", Report, audited;
    InspectionRecorded => "inspection_recorded", Report, contents;
    RecordScreened => "record_screened", Accountability, contents;
    CheckOpened => "check_opened", Accountability, contents;
    CheckConcluded => "check_concluded", Accountability, contents;
    FindingRecorded => "finding_recorded", Accountability, contents;
    FindingAppealed => "finding_appealed", Accountability, contents;
    AppealDecided => "appeal_decided", Accountability, contents;
    ComplaintFiled => "complaint_filed", Accountability, contents;
    ComplaintHandled => "complaint_handled", Accountability, contents;
    ZeroReportAttested => "zero_report_attested", Accountability, contents;
    ZeroReportReminded => "zero_report_reminded", Accountability, contents;
    ContactReported => "contact_reported", Accountability, contents;
    ContactAnswered => "contact_answered", Accountability, contents;
    CadresMerged => "cadres_merged", Accountability, contents;
    OutcomeReported => "outcome_reported", Accountability, contents;
    ContentViewed => "content_viewed", View, audited;
    ApprovalRequested => "approval_requested", Duty, audited;
    ApprovalDecided => "approval_decided", Duty, audited;
    EnrolmentCodeIssued => "enrolment_code_issued", Duty, audited;
}
