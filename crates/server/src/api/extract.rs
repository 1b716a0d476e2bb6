//! The request extractors of the API and the pages, whose rejections are problem documents in the
//! caller's language naming what is wrong (issue 19) — rendered as problem+json for the API and as
//! the error page for a browser — instead of the framework's plain-text 400. axum's own `Path`,
//! `Query`, `Json` and `Form` are refused by clippy (`clippy.toml`) everywhere but here.
#![allow(clippy::disallowed_types)]

use axum::Json;
use axum::RequestExt;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use liuhen_rules::Problem;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The query string, read into `T`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(e) => {
                let why = e.body_text();
                let why = why.strip_prefix("Failed to deserialize query string: ").unwrap_or(&why);
                Err(ApiError::bad_request(
                    format!("查询参数有误：{why}"),
                    format!("the query string is not valid: {why}"),
                ))
            }
        }
    }
}

/// The parameters the path names, read into `T`.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(e) => {
                let why = e.body_text();
                Err(ApiError::bad_request(
                    format!("路径中的编号有误（应为 UUID 等）：{why}"),
                    format!("a parameter of the path is not valid: {why}"),
                ))
            }
        }
    }
}

/// A JSON request body, read into `T`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::invalid(vec![Problem::new(
                "body",
                "R4",
                "type",
                format!("请求体中有字段的类型不对：{}", e.body_text()),
                format!("a field of the request body has the wrong type: {}", e.body_text()),
            )])),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请求须为 JSON（Content-Type: application/json）",
                "the request must be JSON (Content-Type: application/json)",
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::bad_request(
                format!("请求体不是有效的 JSON：{}", e.body_text()),
                format!("the request body is not valid JSON: {}", e.body_text()),
            )),
            Err(e) => Err(unreadable_body(e.status(), e.body_text())),
        }
    }
}

/// A form body (`application/x-www-form-urlencoded`) read into `T`, for forms posted without a
/// session (logging in); the others go through `PageForm`, which checks the session and CSRF token.
pub struct ApiForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Form::<T>::from_request(req, state).await {
            Ok(Form(v)) => Ok(ApiForm(v)),
            Err(e @ (FormRejection::FailedToDeserializeForm(_) | FormRejection::FailedToDeserializeFormBody(_))) => {
                Err(ApiError::bad_request(
                    format!("表单内容有误：{}", e.body_text()),
                    format!("the form is not valid: {}", e.body_text()),
                ))
            }
            Err(e) => Err(unreadable_body(e.status(), e.body_text())),
        }
    }
}

/// A body that could not be read at all: too large (413), of the wrong type (415) or broken.
fn unreadable_body(status: StatusCode, why: String) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(status, "too_large", "请求体超过大小上限", "the request body is larger than the limit")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            format!("请求体的类型（Content-Type）不对：{why}"),
            format!("the request body's Content-Type is not accepted: {why}"),
        ),
        _ => ApiError::bad_request(format!("请求体无法读取：{why}"), format!("the request body is not valid: {why}")),
    }
}

/// A `multipart/form-data` body, whose parts the handler streams (`liuhen_upload::read_upload`).
/// The route's `DefaultBodyLimit` holds for it as for any other body.
pub struct ApiMultipart(pub liuhen_upload::UploadBody<'static>);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let Some(boundary) = content_type.and_then(|t| liuhen_upload::parse_boundary(t).ok()) else {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "上传须为 multipart/form-data，并注明 boundary",
                "an upload must be multipart/form-data with a boundary",
            ));
        };
        let body = req.with_limited_body().into_body();
        Ok(ApiMultipart(liuhen_upload::UploadBody::new(body.into_data_stream(), boundary)))
    }
}
