//! What the store answers about records: views, list lines, filters and pages.

use super::*;

pub const MAX_REASON_CHARS: usize = 2000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub record_id: Uuid,
    /// The record's index in the ledger.
    pub seq: i64,
    /// True when an Idempotency-Key matched an earlier push: nothing new was stored.
    pub replayed: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CosignatureView {
    pub version: u32,
    pub signer: String,
    pub state: CosignState,
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
    pub seq: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: u32,
    /// Who wrote this version (the recorder); shown only to the recorder and to roles that may see
    /// recorders (S9).
    pub actor: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Why the record was amended; none for the first version.
    pub reason: Option<String>,
    pub seq: i64,
    pub record: Record,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaterialView {
    pub id: Uuid,
    pub sha256: String,
    pub size: u64,
    pub category: MaterialCategory,
    pub file_name: String,
    pub media_type: String,
    pub disposition: Disposition,
    pub whereabouts: Option<String>,
    /// The recorder, who added it; hidden like `RecordView::recorder`.
    pub added_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    pub seq: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerPosition {
    pub created_seq: i64,
    pub last_seq: i64,
}

/// A record with everything that happened to it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub id: Uuid,
    pub court_id: String,
    /// Who recorded it: shown to the recorder and to roles that need it (the store's maintainers,
    /// discipline inspection); null for everyone else (S9, protecting the recorder).
    pub recorder: Option<String>,
    pub version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub channel: String,
    pub external_id: Option<String>,
    pub record: Record,
    /// The case number taken apart.
    pub case: Option<CaseNumber>,
    /// not_required, pending, confirmed or disputed (for the current version).
    pub cosign_status: String,
    pub cosignatures: Vec<CosignatureView>,
    pub versions: Vec<VersionView>,
    pub materials: Vec<MaterialView>,
    pub ledger: LedgerPosition,
}

/// One read of a record (查看留痕).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ViewEntry {
    /// Who read it.
    pub viewer: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `record`, `material`, `receipt` or `list` (it was a line of a list shown to them).
    pub part: String,
    pub material_id: Option<Uuid>,
    /// `api` or `page`.
    pub via: String,
    /// The view's entry in the ledger.
    pub seq: i64,
}

/// One line of a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordSummary {
    pub id: Uuid,
    pub court_id: String,
    /// Hidden (null) as in `RecordView`.
    pub recorder: Option<String>,
    pub register: Register,
    pub version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub case_number: Option<String>,
    pub stage: String,
    pub form: Form,
    pub intervener_name: String,
    pub intervener_unit: String,
    pub unit_type: String,
    pub leading_cadre: bool,
    pub serious: bool,
    pub special_items: Vec<u8>,
    pub cosign_status: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub court_id: Option<String>,
    /// Default: the store only (S5 and internal entries stay out of it, R6, R18).
    pub register: Option<Register>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub form: Option<Form>,
    pub special_item: Option<u8>,
    pub case_number: Option<String>,
    /// Part of the intervener's name or unit.
    pub intervener: Option<String>,
    pub recorder: Option<String>,
    pub serious: Option<bool>,
    /// Words anywhere in the current version: content, handling, the intervener's name, unit and
    /// post, the persons present, place, case number and title (Chinese matched as written).
    pub text: Option<String>,
    /// Only records with (true) or without (false) any S7 special item.
    pub any_special_item: Option<bool>,
    /// The order of the list; newest inquiry first by default.
    pub sort: RecordSort,
    pub page: u32,
    pub per_page: u32,
}

/// How a list of records is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RecordSort {
    /// Newest inquiry first.
    #[default]
    OccurredDesc,
    OccurredAsc,
    /// Most recently recorded first.
    RecordedDesc,
    RecordedAsc,
}

impl RecordSort {
    /// `occurred_at`, `-occurred_at`, `created_at`, `-created_at` (a leading `-`: newest first).
    pub fn from_code(code: &str) -> Option<RecordSort> {
        Some(match code {
            "-occurred_at" => RecordSort::OccurredDesc,
            "occurred_at" => RecordSort::OccurredAsc,
            "-created_at" => RecordSort::RecordedDesc,
            "created_at" => RecordSort::RecordedAsc,
            _ => return None,
        })
    }

    pub(super) fn order_by(self) -> &'static str {
        match self {
            RecordSort::OccurredDesc => " ORDER BY occurred_at DESC, id DESC",
            RecordSort::OccurredAsc => " ORDER BY occurred_at ASC, id ASC",
            RecordSort::RecordedDesc => " ORDER BY created_seq DESC",
            RecordSort::RecordedAsc => " ORDER BY created_seq ASC",
        }
    }
}
