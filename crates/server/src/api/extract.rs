//! `Query` and `Path` whose rejections are problem documents in the caller's language naming what is
//! wrong (issue 19), instead of the framework's plain-text 400. `ApiJson` does the same for bodies.

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
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
