//! Ledger events: every change of state is one event, and an event's canonical bytes are one entry
//! of the verifiable log (docs/ledger.md; R1 全程留痕、永久存储、有据可查).
//!
//! Encoding, schema version 1 (documented in docs/architecture.md so that others can check it):
//! UTF-8 JSON with object keys sorted by byte order, no insignificant white space, integers only
//! (no floating point), strings escaped as `serde_json` escapes them. Every event carries `v` (the
//! schema version), `salt` (16 random bytes, base64) so that hashes reveal nothing guessable,
//! `at` (RFC 3339 UTC), `actor` (user name), `court` (court id) and a `type` with its fields.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use liuhen_rules::{
    AppealOutcome, ApprovalAction, ComplaintStep, ContactKind, CourtLevel, Disposition, FindingKind, MaterialCategory,
    OversightOutcome, Permission, Record, Role, Sanction, Screening,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

mod canonical;
pub mod cosignature;
#[macro_use]
mod kind;
pub mod receipt;
pub mod tlog;

pub use kind::{Category, EventKind};

pub const SCHEMA_VERSION: u32 = 1;
/// A tlog-tiles entry bundle stores lengths in 16 bits.
pub const MAX_ENTRY_BYTES: usize = 65_535;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(
        "事件编码后为 {0} 字节，超过日志条目上限 65535 字节；请把长文本作为材料上传 (event is {0} bytes, over the 65,535-byte entry limit)"
    )]
    EntryTooLarge(usize),
    #[error("事件含有浮点数，不能规范编码 (floating-point numbers cannot be encoded canonically)")]
    FloatNotAllowed,
    #[error("日志条目无法解析 (entry cannot be decoded): {0}")]
    Decode(String),
    #[error("日志条目不是规范编码 (entry is not in canonical form)")]
    NotCanonical,
    #[error("日志条目的模式版本 {0} 不受支持 (unsupported schema version)")]
    UnsupportedVersion(u32),
}

/// Where a record came from (R3: entries made in the case-management system are synced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Source {
    /// `web`, `api` or `case_system`.
    pub channel: String,
    /// The case-management system's own id for the inquiry.
    pub external_id: Option<String>,
    /// SHA-256 of the Idempotency-Key, so a repeated push is recognised.
    pub idempotency_key_hash: Option<String>,
}

/// What happened. Field names are part of the encoding: never rename, only add new types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// A record was made (R1, S2). Version 1.
    RecordCreated {
        record_id: Uuid,
        source: Source,
        record: Record,
    },
    /// A correction: a new version that points at the one it replaces, with the reason (R1).
    RecordAmended {
        record_id: Uuid,
        version: u32,
        replaces_version: u32,
        reason: String,
        record: Record,
    },
    /// A court staff member present at an oral inquiry confirmed the record (R4, S4).
    RecordCosigned {
        record_id: Uuid,
        version: u32,
        signer: String,
    },
    /// A court staff member present disputed the record, with the reason (R4).
    RecordDisputed {
        record_id: Uuid,
        version: u32,
        signer: String,
        reason: String,
    },
    /// A material was stored by its hash (R5, S4 ¶2).
    MaterialAdded {
        record_id: Uuid,
        material_id: Uuid,
        sha256: String,
        size: u64,
        category: MaterialCategory,
        file_name: String,
        media_type: String,
        disposition: Disposition,
        whereabouts: Option<String>,
    },
    /// Someone read a record's contents (查看留痕): which record, which part (`record`, `material`,
    /// `receipt`) and through what (`api`, `page`). The actor is the reader.
    RecordViewed {
        record_id: Uuid,
        part: String,
        material_id: Option<Uuid>,
        via: String,
    },
    /// Someone was shown a list of records, whose lines name interveners: which records.
    RecordsListed {
        record_ids: Vec<Uuid>,
        via: String,
    },
    /// An account was made (S3): who, in which court, in what role — never a password.
    UserAdded {
        username: String,
        display_name: String,
        user_court: String,
        role: Role,
    },
    /// A court joined the hierarchy.
    CourtAdded {
        court_id: String,
        name: String,
        level: CourtLevel,
        parent_id: Option<String>,
        case_code: String,
    },
    /// An API token was issued for a service account: its id and scopes, never the token.
    TokenIssued {
        token_id: String,
        username: String,
        name: String,
        scopes: Vec<Permission>,
        #[serde(with = "time::serde::rfc3339::option")]
        expires_at: Option<OffsetDateTime>,
    },
    TokenRevoked {
        token_id: String,
    },
    /// A password was set: by its owner, or reset by an administrator.
    PasswordSet {
        username: String,
        by_owner: bool,
    },
    /// An administrator lifted a lockout after failed logins.
    UserUnlocked {
        username: String,
    },
    /// An account's role changed (S3: a role is what a person may see and do).
    RoleChanged {
        username: String,
        from: Role,
        to: Role,
    },
    /// An account was disabled: it can no longer log in; its history stays.
    UserDisabled {
        username: String,
    },
    /// An administrator removed an account's second factor (a lost authenticator); the user sets
    /// up a new one.
    SecondFactorReset {
        username: String,
    },
    /// The permission matrix in force (S3, S11), each time it differs from the last one recorded:
    /// role code → permission codes.
    PermissionsSet {
        grants: std::collections::BTreeMap<String, Vec<String>>,
    },
    /// A report was drafted (R8): its content, frozen, is kept by its SHA-256 (like a material);
    /// `recipients` are the court ids it goes to, computed by rule; a correction names the report
    /// it supersedes. The actor is the drafter.
    ReportDrafted {
        report_id: Uuid,
        kind: String,
        period: String,
        content_sha256: String,
        content_size: u64,
        recipients: Vec<String>,
        supersedes: Option<Uuid>,
    },
    /// A court leader other than the drafter approved the report and it was sealed: the hashes
    /// of every file sent are in this entry, so what was sent can be proved later. The actor is the
    /// approver.
    ReportSealed {
        report_id: Uuid,
        content_sha256: String,
        files: Vec<SealedFile>,
    },
    /// A court the report goes to acknowledged it (R9: an immediate report is acknowledged level
    /// by level up to the Supreme People's Court). The actor is who acknowledged, for that court.
    ReportAcknowledged {
        report_id: Uuid,
        court_id: String,
    },
    /// An upper court inspected a court below (督促检查, R10): when, what, and what it found.
    InspectionRecorded {
        inspection_id: Uuid,
        inspected_court: String,
        inspected_on: String,
        subject: String,
        findings: String,
    },
    /// The store's maintainers screened an entry (甄别, issue 8): what it is, and why. A later
    /// screening of the same entry supersedes the earlier one; both stay.
    RecordScreened {
        record_id: Uuid,
        classification: Screening,
        reason: String,
    },
    /// A check (核查) of an entry was opened: what is to be checked.
    CheckOpened {
        check_id: Uuid,
        record_id: Uuid,
        subject: String,
    },
    /// A check ended with its findings.
    CheckConcluded {
        check_id: Uuid,
        findings: String,
    },
    /// Discipline inspection found that a member of staff did not record, recorded untruthfully,
    /// or as supervisor instructed so (R14, S8). `prior_standing` is how many earlier findings
    /// against the same person stood when this one was made; `proposed` is what the rule allows;
    /// `decided` is what the inspector decided, with the reason when it differs.
    FindingRecorded {
        finding_id: Uuid,
        subject: String,
        kind: FindingKind,
        record_id: Option<Uuid>,
        case_number: Option<String>,
        facts: String,
        prior_standing: u32,
        proposed: Vec<Sanction>,
        decided: Sanction,
        decision_reason: String,
    },
    /// The person found against appealed, with their grounds. The actor is the appellant.
    FindingAppealed {
        finding_id: Uuid,
        grounds: String,
    },
    /// An appeal was decided by another inspector; an overturned finding no longer counts as a
    /// prior finding, and stays in the register.
    AppealDecided {
        finding_id: Uuid,
        outcome: AppealOutcome,
        sanction: Option<Sanction>,
        reason: String,
    },
    /// A member of staff complained of retaliation (刁难、打击、报复, R15, S9) to the court one level
    /// up. The actor is the complainant; only the handlers there read it.
    ComplaintFiled {
        complaint_id: Uuid,
        to_court: String,
        account: String,
    },
    /// A step of handling a complaint at the court it went to.
    ComplaintHandled {
        complaint_id: Uuid,
        step: ComplaintStep,
        note: String,
    },
    /// A judge or judicial assistant had nothing to record in a period (零报告). The actor attests.
    ZeroReportAttested {
        period: String,
    },
    /// The office reminded those who had neither recorded nor attested for a period.
    ZeroReportReminded {
        period: String,
        usernames: Vec<String>,
    },
    /// The case-management system reported a contact it logged (a visit, a letter) about a case,
    /// so that one with no entry becomes a question to the case's judge.
    ContactReported {
        contact_id: Uuid,
        external_id: String,
        kind: ContactKind,
        case_number: String,
        judge: String,
        person: Option<String>,
        unit: Option<String>,
        #[serde(with = "time::serde::rfc3339")]
        occurred_at: OffsetDateTime,
    },
    /// The judge answered a contact's question: the entry that records it, or why none is due.
    ContactAnswered {
        contact_id: Uuid,
        record_id: Option<Uuid>,
        explanation: String,
    },
    /// The office confirmed that two ways of naming a cadre (name / unit / post) are one person
    /// (R16): entries under `from_key` join the history of `into_key`.
    CadresMerged {
        from_key: String,
        into_key: String,
        reason: String,
    },
    /// What an oversight body decided about an entry (R17, C9): notified, disciplined, transferred.
    OutcomeReported {
        record_id: Uuid,
        outcome: OversightOutcome,
        body: String,
        note: String,
    },
    /// Someone was shown contents other than a record's (查看留痕): a report, a report's file,
    /// log entries, a cadre list, complaints, findings, timeliness. `part` says what, `subject`
    /// which one (an id, a period, a tile), `via` through what (`api`, `page`). The actor is the
    /// reader.
    ContentViewed {
        part: String,
        subject: Option<String>,
        via: String,
    },
    /// Two-person rule (三员分立): a change that needs a second person was asked for — granting a
    /// role that reads contents (or approves or audits), resetting the password or second factor
    /// of an account that reads contents, a token with a content scope. Never a secret. The actor
    /// asked.
    ApprovalRequested {
        approval_id: Uuid,
        action: ApprovalAction,
        username: String,
        role: Option<Role>,
        token_id: Option<String>,
        reason: String,
    },
    /// The security administrator (never the one who asked) approved or refused; an approved
    /// change is made in the same transaction, with its own entry.
    ApprovalDecided {
        approval_id: Uuid,
        approved: bool,
        note: String,
    },
    /// A one-time code to enrol a first authenticator was issued for an account (never the code):
    /// the actor hands it to the person out of band.
    EnrolmentCodeIssued {
        username: String,
    },
}

/// A file of a sealed report, by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedFile {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

impl EventBody {
    /// The kind's name (`crate::kind`, where every kind is declared).
    pub fn kind(&self) -> &'static str {
        self.event_kind().name()
    }

    pub fn record_id(&self) -> Option<Uuid> {
        match self {
            EventBody::RecordCreated { record_id, .. }
            | EventBody::RecordAmended { record_id, .. }
            | EventBody::RecordCosigned { record_id, .. }
            | EventBody::RecordDisputed { record_id, .. }
            | EventBody::MaterialAdded { record_id, .. }
            | EventBody::RecordViewed { record_id, .. }
            | EventBody::RecordScreened { record_id, .. }
            | EventBody::CheckOpened { record_id, .. }
            | EventBody::OutcomeReported { record_id, .. } => Some(*record_id),
            EventBody::FindingRecorded { record_id, .. } | EventBody::ContactAnswered { record_id, .. } => *record_id,
            EventBody::RecordsListed { .. }
            | EventBody::ContentViewed { .. }
            | administration_kinds!()
            | duty_kinds!()
            | report_kinds!()
            | EventBody::CheckConcluded { .. }
            | EventBody::FindingAppealed { .. }
            | EventBody::AppealDecided { .. }
            | EventBody::ComplaintFiled { .. }
            | EventBody::ComplaintHandled { .. }
            | EventBody::ZeroReportAttested { .. }
            | EventBody::ZeroReportReminded { .. }
            | EventBody::ContactReported { .. }
            | EventBody::CadresMerged { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub v: u32,
    pub salt: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub court: String,
    #[serde(flatten)]
    pub body: EventBody,
}

impl Event {
    /// A new event with a fresh random salt.
    pub fn new(at: OffsetDateTime, actor: &str, court: &str, body: EventBody) -> Event {
        let salt: [u8; 16] = rand::random();
        Event {
            v: SCHEMA_VERSION,
            salt: BASE64.encode(salt),
            at: at.to_offset(time::UtcOffset::UTC),
            actor: actor.to_string(),
            court: court.to_string(),
            body,
        }
    }

    /// The canonical bytes: the log entry.
    pub fn encode(&self) -> Result<Vec<u8>, LedgerError> {
        let out = canonical::to_canonical_vec(self, 1024)?;
        if out.len() > MAX_ENTRY_BYTES {
            return Err(LedgerError::EntryTooLarge(out.len()));
        }
        Ok(out)
    }

    /// Decode an entry and check that it is in canonical form, so that one event has exactly one
    /// byte string and therefore one hash.
    pub fn decode(entry: &[u8]) -> Result<Event, LedgerError> {
        let event: Event = serde_json::from_slice(entry).map_err(|e| LedgerError::Decode(e.to_string()))?;
        if event.v != SCHEMA_VERSION {
            return Err(LedgerError::UnsupportedVersion(event.v));
        }
        if event.encode()? != entry {
            return Err(LedgerError::NotCanonical);
        }
        Ok(event)
    }
}

/// RFC 6962 / RFC 9162 leaf hash: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn cosigned() -> Event {
        Event::new(
            datetime!(2026-05-20 02:00:00.123456 UTC),
            "judge2",
            "demo-0101",
            EventBody::RecordCosigned { record_id: Uuid::nil(), version: 1, signer: "judge2".into() },
        )
    }

    #[test]
    fn encoding_is_sorted_compact_and_round_trips() {
        let e = cosigned();
        let bytes = e.encode().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with("{\"actor\":\"judge2\",\"at\":\"2026-05-20T02:00:00.123456Z\",\"court\":\"demo-0101\""),
            "{text}"
        );
        assert!(text.contains("\"type\":\"record_cosigned\""));
        assert!(!text.contains(' '));
        assert_eq!(Event::decode(&bytes).unwrap(), e);
    }

    #[test]
    fn salts_differ_so_equal_events_hash_differently() {
        let a = cosigned().encode().unwrap();
        let b = cosigned().encode().unwrap();
        assert_ne!(leaf_hash(&a), leaf_hash(&b));
    }

    #[test]
    fn non_canonical_bytes_are_refused() {
        let bytes = cosigned().encode().unwrap();
        let mut spaced = b"{ ".to_vec();
        spaced.extend_from_slice(&bytes[1..]);
        assert!(matches!(Event::decode(&spaced), Err(LedgerError::NotCanonical)));
    }

    #[test]
    fn leaf_hash_is_rfc6962() {
        // RFC 6962 test vector: the hash of an empty leaf.
        assert_eq!(hex::encode(leaf_hash(b"")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    }

    #[test]
    fn oversized_events_are_refused() {
        let e = Event::new(
            datetime!(2026-05-20 02:00 UTC),
            "clerk1",
            "c",
            EventBody::RecordDisputed {
                record_id: Uuid::nil(),
                version: 1,
                signer: "x".into(),
                reason: "某".repeat(30_000),
            },
        );
        assert!(matches!(e.encode(), Err(LedgerError::EntryTooLarge(_))));
    }
}
