//! The log over HTTP in the c2sp.org/tlog-tiles layout, and the recorder's receipts (R1, S9).

use crate::api::{ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liuhen_ledger::tlog::parse_tile_path;
use liuhen_rules::Permission;
use liuhen_store::{Extension, Receipt};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ProblemDocument};

/// S3: the checkpoint and hash tiles reveal no content, but are still read only by roles granted
/// `log.tiles` (every staff role, witnesses and auditors by default).
fn require_tiles(state: &AppState, user: &liuhen_store::User) -> Result<(), ApiError> {
    if state.store.permits(user, Permission::LogTiles) {
        return Ok(());
    }
    Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "你的角色不能读取日志", "your role may not read the log"))
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "日志中还没有这一部分", "that part of the log does not exist yet")
}

/// The latest signed checkpoint (c2sp.org/tlog-checkpoint, signed note) with the witnesses'
/// cosignatures received for it. Reveals no content.
#[utoipa::path(get, path = "/log/checkpoint", tag = "log", responses((status = 200, content_type = "text/plain; charset=utf-8", body = String)))]
pub async fn checkpoint(State(state): State<AppState>, CurrentUser(user): CurrentUser) -> Result<Response, ApiError> {
    require_tiles(&state, &user)?;
    let note = state.store.cosigned_checkpoint().await?.ok_or_else(not_found)?;
    let mut response = note.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// A hash tile `tile/<L>/<N>[.p/<W>]` or an entry bundle `tile/entries/<N>[.p/<W>]`. Hash tiles
/// reveal no content (entries are salted); entry bundles only to auditor accounts, which may
/// read the whole log.
#[utoipa::path(get, path = "/log/tile/{path}", tag = "log", params(("path" = String, Path, description = "e.g. 0/x001/234.p/17 or entries/000")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 403, body = ProblemDocument), (status = 404, body = ProblemDocument)))]
pub async fn tile(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(path): ApiPath<String>,
) -> Result<Response, ApiError> {
    let coord = parse_tile_path(&format!("tile/{path}"))
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string(), e.to_string()))?;
    require_tiles(&state, &user)?;
    if coord.level.is_none() {
        state.store.require_permission(
            &user,
            Permission::LogEntries,
            "条目包含记录内容，只有审计账户可以读取",
            "entry bundles hold record contents; only auditor accounts may read them",
        )?;
    }
    let data = state.store.tile(coord).await?.ok_or_else(not_found)?;
    if coord.level.is_none() {
        // 查看留痕: an entry bundle holds records' contents.
        state.store.note_content_viewed(&user, "log_entries", Some(path.clone()), "api").await?;
    }
    let mut response = data.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    // Every tile is served only to a logged-in caller, so no shared cache (a proxy, a CDN) may keep
    // one; an entry bundle holds record contents, so no cache at all keeps it. A full hash tile
    // never changes and the caller's own browser may keep it; a partial one is replaced by wider
    // ones as the log grows.
    let cache = if coord.level.is_some() && coord.width == liuhen_ledger::tlog::TILE_WIDTH {
        "private, max-age=31536000, immutable"
    } else {
        "private, no-store"
    };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LogKeyInfo {
    /// The log's origin line in its checkpoints.
    pub origin: String,
    /// The Ed25519 verifier key, `name+id+base64` (c2sp.org/signed-note).
    pub verifier_key: String,
}

/// The log's public verifier key: publish it, and check receipts and checkpoints against it.
#[utoipa::path(get, path = "/api/v1/log/key", tag = "log", security(()), responses((status = 200, body = LogKeyInfo)))]
pub async fn key(State(state): State<AppState>) -> Json<LogKeyInfo> {
    Json(LogKeyInfo { origin: state.store.log_origin().into(), verifier_key: state.store.verifier_key().into() })
}

/// The receipt (回执) for the creation of a record: only its recorder gets it (S8, S9).
#[utoipa::path(get, path = "/api/v1/records/{id}/receipt", tag = "log", params(("id" = Uuid, Path)),
    responses((status = 200, body = Receipt), (status = 403, body = ProblemDocument), (status = 404, body = ProblemDocument)))]
pub async fn record_receipt(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Receipt>, ApiError> {
    Ok(Json(state.store.record_receipt(&user, id, "api").await?))
}

/// The receipt for any event you made (a confirmation, a dispute, an amendment, a material).
#[utoipa::path(get, path = "/api/v1/log/receipts/{index}", tag = "log", params(("index" = u64, Path)),
    responses((status = 200, body = Receipt), (status = 403, body = ProblemDocument), (status = 404, body = ProblemDocument)))]
pub async fn event_receipt(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(index): ApiPath<u64>,
) -> Result<Json<Receipt>, ApiError> {
    Ok(Json(state.store.receipt_for(&user, index).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExtensionQuery {
    /// The size of the older tree (a receipt's checkpoint).
    pub from: u64,
}

/// The latest checkpoint with the proof that it extends an older tree: feed it to
/// `liuhen receipt verify --checkpoint`.
#[utoipa::path(get, path = "/api/v1/log/extension", tag = "log", params(ExtensionQuery),
    responses((status = 200, body = Extension), (status = 422, body = ProblemDocument)))]
pub async fn extension(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<ExtensionQuery>,
) -> Result<Json<Extension>, ApiError> {
    require_tiles(&state, &user)?;
    Ok(Json(state.store.extension(q.from).await?))
}
