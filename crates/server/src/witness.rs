//! Witnessing over HTTP: the witness side's `POST /witness/add-checkpoint` (c2sp.org/tlog-witness)
//! and its alerts, and the log side's pusher that sends each new checkpoint to the configured
//! witnesses and keeps their cosignatures.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liuhen_store::Store;
use liuhen_store::witness::{LogStatus, MAX_ADD_CHECKPOINT_BYTES, WitnessAlert, WitnessAnswer, WitnessedLog};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ProblemDocument};

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// c2sp.org/tlog-witness `add-checkpoint`: authenticated by the log's signature on the checkpoint.
#[utoipa::path(post, path = "/witness/add-checkpoint", tag = "witness", security(()), request_body(content = String, content_type = "text/plain"),
    responses((status = 200, description = "cosignature lines"), (status = 400), (status = 403), (status = 404), (status = 409, description = "text/x.tlog.size"), (status = 413, description = "larger than 64 KiB"), (status = 422)))]
pub async fn add_checkpoint(State(state): State<AppState>, body: Body) -> Result<Response, ApiError> {
    // Anyone may call this: a checkpoint and its proof are a few KB, and more is not read.
    let Ok(body) = axum::body::to_bytes(body, MAX_ADD_CHECKPOINT_BYTES).await else {
        return Ok(text(StatusCode::PAYLOAD_TOO_LARGE, "text/plain; charset=utf-8", "request too large\n".into()));
    };
    Ok(match state.store.witness_add_checkpoint(&body).await? {
        WitnessAnswer::Cosigned(lines) => text(StatusCode::OK, "text/plain; charset=utf-8", lines),
        WitnessAnswer::BadRequest(why) => {
            text(StatusCode::BAD_REQUEST, "text/plain; charset=utf-8", format!("{why}\n"))
        }
        WitnessAnswer::NotSigned => {
            text(StatusCode::FORBIDDEN, "text/plain; charset=utf-8", "no signature from a trusted key\n".into())
        }
        WitnessAnswer::UnknownOrigin => {
            text(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "unknown log\n".into())
        }
        WitnessAnswer::Conflict(size) => text(StatusCode::CONFLICT, "text/x.tlog.size", format!("{size}\n")),
        WitnessAnswer::ProofRejected => text(
            StatusCode::UNPROCESSABLE_ENTITY,
            "text/plain; charset=utf-8",
            "consistency proof does not verify\n".into(),
        ),
    })
}

/// Refusals this deployment raised as a witness (rolled-back, forked or rewritten logs of the
/// courts below). They cannot be cleared.
#[utoipa::path(get, path = "/api/v1/witness/alerts", tag = "witness", responses((status = 200, body = Vec<WitnessAlert>), (status = 403, body = ProblemDocument)))]
pub async fn alerts(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<WitnessAlert>>, ApiError> {
    if !user.may_read_records() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "系统管理员不查看见证告警",
            "the system administrator does not see witness alerts",
        ));
    }
    Ok(Json(state.store.witness_alerts().await?))
}

/// The logs this deployment witnesses, with the size it last cosigned.
#[utoipa::path(get, path = "/api/v1/witness/logs", tag = "witness", responses((status = 200, body = Vec<WitnessedLog>)))]
pub async fn logs(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> Result<Json<Vec<WitnessedLog>>, ApiError> {
    Ok(Json(state.store.followed_logs().await?))
}

/// This log: latest checkpoint, what the witnesses cosigned, refusals.
#[utoipa::path(get, path = "/api/v1/log/status", tag = "log", responses((status = 200, body = LogStatus)))]
pub async fn status(State(state): State<AppState>, CurrentUser(_): CurrentUser) -> Result<Json<LogStatus>, ApiError> {
    Ok(Json(state.store.log_status().await?))
}

/// What one push to one witness came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    UpToDate,
    Cosigned(u64),
    Refused(u16),
    Unreachable(String),
}

/// Send the latest checkpoint to every configured witness once. A 409 (the witness is at another
/// size) is retried once from the size it names; refusals are recorded.
pub async fn push_once(store: &Store, client: &reqwest::Client) -> Vec<PushOutcome> {
    let mut outcomes = Vec::new();
    for endpoint in &store.config().witnesses {
        outcomes.push(push_one(store, client, endpoint).await.unwrap_or_else(PushOutcome::Unreachable));
    }
    outcomes
}

async fn push_one(
    store: &Store,
    client: &reqwest::Client,
    endpoint: &liuhen_store::witness::WitnessEndpoint,
) -> Result<PushOutcome, String> {
    let url = format!("{}/add-checkpoint", endpoint.url.trim_end_matches('/'));
    for _attempt in 0..2 {
        let Some(plan) = store.witness_push_plan(endpoint).await.map_err(|e| e.to_string())? else {
            return Ok(PushOutcome::UpToDate);
        };
        let response = client.post(&url).body(plan.body).send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| e.to_string())?;
        match status {
            200 => {
                return if store.record_cosignature(endpoint, plan.size, &body).await.map_err(|e| e.to_string())? {
                    Ok(PushOutcome::Cosigned(plan.size))
                } else {
                    store
                        .record_refusal(endpoint, status, plan.size, "no valid cosignature in the answer")
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(PushOutcome::Refused(status))
                };
            }
            409 => {
                let witnessed: u64 = body.trim().parse().map_err(|_| format!("409 without a size: {body}"))?;
                if witnessed > plan.size {
                    // The witness has cosigned a larger tree than this log has: this log went back.
                    store
                        .record_refusal(
                            endpoint,
                            status,
                            plan.size,
                            &format!("witness has cosigned {witnessed} entries; this log has {}", plan.size),
                        )
                        .await
                        .map_err(|e| e.to_string())?;
                    return Ok(PushOutcome::Refused(status));
                }
                if witnessed == plan.old_size {
                    store.record_refusal(endpoint, status, plan.size, &body).await.map_err(|e| e.to_string())?;
                    return Ok(PushOutcome::Refused(status));
                }
                store.set_witness_size(endpoint, witnessed).await.map_err(|e| e.to_string())?;
            }
            _ => {
                store.record_refusal(endpoint, status, plan.size, &body).await.map_err(|e| e.to_string())?;
                return Ok(PushOutcome::Refused(status));
            }
        }
    }
    Ok(PushOutcome::Refused(409))
}

/// Push to the witnesses every `interval` for as long as the process runs.
pub fn spawn_pusher(store: Arc<Store>, interval: Duration) {
    if store.config().witnesses.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        loop {
            for outcome in push_once(&store, &client).await {
                if let PushOutcome::Unreachable(e) = outcome {
                    tracing::warn!(error = %e, "a witness could not be reached; will retry");
                }
            }
            tokio::time::sleep(interval).await;
        }
    });
}
