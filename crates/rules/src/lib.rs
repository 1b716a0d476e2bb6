//! The regulations as pure functions (no I/O): the closed lists of the regulations (docs/regulations.md), the SPC case-number
//! rules, record validation with R-ids, and time as China Standard Time cuts it.

#[macro_use]
pub mod lists;
pub mod access;
pub mod accountability;
pub mod case_number;
pub mod material;
pub mod period;
pub mod problem;
pub mod record;

pub use access::{Duty, PermissionMatrix, duty, needs_second_factor, reads_contents};
pub use accountability::{
    AppealOutcome, ComplaintStep, ContactKind, FindingKind, OversightOutcome, ReportingCycle, Sanction, Screening,
};
pub use case_number::{
    CaseNumber, CaseNumberError, parse_case_number, parse_case_number_with, parse_recorded_case_number,
};
pub use lists::*;
pub use material::{MaterialForm, MaterialMeta};
pub use problem::{Lang, Problem};
pub use record::{
    Context, Intervener, IntervenerDraft, Principal, PrincipalDraft, Record, RecordDraft, RecordFacts, validate_record,
};
