//! The HTTP API under `/api/v1` (R3: the store's flows of 录入、存储、查看 over HTTP).

pub mod accountability;
pub mod duties;
mod extract;
mod materials;
mod records;
mod session;

pub use extract::{ApiForm, ApiJson, ApiMultipart, ApiPath, ApiQuery};
pub use materials::*;
pub use records::*;
pub use session::*;

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::TryStreamExt;
use liuhen_rules::{
    C8_KINDS, CaseNumber, Disposition, Form, Listed, ManagingLevel, MaterialCategory, Problem, RecordDraft, Register,
    RegulationItem, Relation, SPECIAL_ITEMS, Stage, UnitType, parse_case_number_with, period::parse_instant,
};
use liuhen_store::{Court, Created, Page, RecordFilter, RecordSummary, RecordView, TotpEnrolment, User, ViewEntry};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;
use crate::auth::{CurrentUser, SESSION_COOKIE, request_token};
use crate::error::{ApiError, ProblemDocument};

// Reference data

#[derive(Serialize, utoipa::ToSchema)]
pub struct ListEntry {
    pub code: String,
    pub zh: String,
    pub en: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NumberedItem {
    pub number: u8,
    pub numeral: String,
    pub short_zh: String,
    /// The full wording of the regulation.
    pub text_zh: String,
    pub text_en: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Lists {
    pub forms: Vec<ListEntry>,
    pub network_forms: Vec<String>,
    pub oral_forms: Vec<String>,
    pub unit_types: Vec<ListEntry>,
    pub stages: Vec<ListEntry>,
    pub relations: Vec<ListEntry>,
    pub managing_levels: Vec<ListEntry>,
    pub material_categories: Vec<ListEntry>,
    pub dispositions: Vec<ListEntry>,
    pub registers: Vec<ListEntry>,
    /// S7 (一)…(十五) with their full text.
    pub special_items: Vec<NumberedItem>,
    /// C8 (一)…(五).
    pub c8_kinds: Vec<NumberedItem>,
}

fn entries<T: Listed>() -> Vec<ListEntry> {
    T::ALL.iter().map(|t| ListEntry { code: t.code().into(), zh: t.zh().into(), en: t.en().into() }).collect()
}

fn numbered(items: &[RegulationItem]) -> Vec<NumberedItem> {
    items
        .iter()
        .map(|i| NumberedItem {
            number: i.number,
            numeral: i.numeral.into(),
            short_zh: i.short_zh.into(),
            text_zh: i.text_zh.into(),
            text_en: i.text_en.into(),
        })
        .collect()
}

/// The closed lists of the regulations, with labels and the full text of S7 and C8.
#[utoipa::path(get, path = "/api/v1/lists", tag = "reference", security(()), responses((status = 200, body = Lists)))]
pub async fn lists() -> Json<Lists> {
    Json(Lists {
        forms: entries::<Form>(),
        network_forms: Form::ALL.iter().filter(|f| f.is_network()).map(|f| f.code().into()).collect(),
        oral_forms: Form::ALL.iter().filter(|f| f.is_oral()).map(|f| f.code().into()).collect(),
        unit_types: entries::<UnitType>(),
        stages: entries::<Stage>(),
        relations: entries::<Relation>(),
        managing_levels: entries::<ManagingLevel>(),
        material_categories: entries::<MaterialCategory>(),
        dispositions: entries::<Disposition>(),
        registers: entries::<Register>(),
        special_items: numbered(&SPECIAL_ITEMS),
        c8_kinds: numbered(&C8_KINDS),
    })
}

/// The court hierarchy.
#[utoipa::path(get, path = "/api/v1/courts", tag = "reference", responses((status = 200, body = Vec<Court>)))]
pub async fn courts(State(state): State<AppState>, CurrentUser(_): CurrentUser) -> Result<Json<Vec<Court>>, ApiError> {
    Ok(Json(state.store.courts().await?))
}

/// Check a case number as it is typed: its parts, or a 422 saying what is wrong.
#[utoipa::path(get, path = "/api/v1/case-numbers/{case_number}", tag = "reference",
    params(("case_number" = String, Path, description = "案号, e.g. （2024）甘0191民初4488号")),
    responses((status = 200, body = CaseNumber), (status = 422, body = ProblemDocument)))]
pub async fn check_case_number(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    ApiPath(text): ApiPath<String>,
) -> Result<Json<CaseNumber>, ApiError> {
    parse_case_number_with(&text, &state.store.config().policy.extra_regions).map(Json).map_err(|e| {
        ApiError::invalid(vec![Problem::new(
            "case_number",
            "R4",
            e.code,
            format!("案号“{text}”不符合案号规定：{}", e.zh),
            format!("case number \"{text}\" does not follow the rules: {}", e.en),
        )])
    })
}
