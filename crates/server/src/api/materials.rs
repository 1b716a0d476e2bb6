//! Materials over the API: uploads streamed into the content-addressed store (R5), and downloads.

use super::*;
use liuhen_upload::{Refusal, Upload, read_upload};

/// Multipart form: the text fields first, then `file`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// official_letter, letter, audiovisual, electronic_data or other.
    category: String,
    /// filed_with_case or whereabouts (default by category).
    disposition: Option<String>,
    /// Where a non-written material went (required for whereabouts).
    whereabouts: Option<String>,
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MaterialAdded {
    pub material_id: Uuid,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub seq: i64,
}

/// Upload a material to a record (R5). The file is streamed into the content-addressed store and
/// its SHA-256 goes into the ledger event.
#[utoipa::path(post, path = "/api/v1/records/{id}/materials", tag = "materials", params(("id" = Uuid, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = MaterialAdded), (status = 413, body = ProblemDocument), (status = 422, body = ProblemDocument)))]
pub async fn upload_material(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    upload: ApiMultipart,
) -> Result<(StatusCode, Json<MaterialAdded>), ApiError> {
    Ok((StatusCode::CREATED, Json(receive_material(&state, &user, id, upload, None).await?)))
}

/// Stream an uploaded material into the store and record it. From a page (`csrf` given), the
/// form's `csrf` field must come before the file and match.
pub(crate) async fn receive_material(
    state: &AppState,
    user: &User,
    id: Uuid,
    ApiMultipart(mut body): ApiMultipart,
    csrf: Option<&str>,
) -> Result<MaterialAdded, ApiError> {
    state.store.check_can_add_material(user, id).await?;
    let Upload { meta, file } = read_upload(&mut body, csrf).await.map_err(refused)?;
    let limit = state.store.config().max_material_bytes;
    let stream = file.map_err(|e| e.to_string());
    let stored = state.store.material_store().put_stream(Box::pin(stream), limit).await?;
    let (material_id, seq) = state.store.add_material(user, id, &meta, &stored).await?;
    Ok(MaterialAdded { material_id, sha256: stored.sha256, size: stored.size, media_type: stored.media_type, seq })
}

fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::Malformed(why) => {
            ApiError::bad_request(format!("上传格式有误：{why}"), format!("malformed upload: {why}"))
        }
        Refusal::Forged => ApiError::form_expired(),
        Refusal::Invalid(problems) => ApiError::invalid(problems),
        Refusal::HeadTooLarge => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("文件之前的表单内容超过 {} 字节", liuhen_upload::MAX_HEAD_BYTES),
            format!("more than {} bytes came before the file", liuhen_upload::MAX_HEAD_BYTES),
        ),
    }
}

/// `Content-Disposition: attachment` naming the file `name` safely (RFC 6266): an ASCII `filename`
/// in which anything but letters, digits and `-._~` became `_`, and the exact name in UTF-8,
/// percent-encoded, as `filename*` (RFC 5987). Nothing of the name can end the header or add a
/// parameter to it (issue 17: court ids and file names went in raw).
pub(crate) fn attachment(name: &str) -> HeaderValue {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let name = if name.is_empty() { "download" } else { name };
    let fallback: String = name.chars().map(|c| if c.is_ascii() && plain(c as u8) { c } else { '_' }).collect();
    let encoded: String =
        name.bytes().map(|b| if plain(b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    HeaderValue::from_str(&format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"))
        .expect("only letters, digits and -._~%_ are in it")
}

/// Download a material. The content is checked against its recorded SHA-256 first; the hash is also
/// sent as `Repr-Digest` so the client can check it too.
#[utoipa::path(get, path = "/api/v1/materials/{id}", tag = "materials", params(("id" = Uuid, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = ProblemDocument)))]
pub async fn download_material(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let (_, material) = state.store.material(&user, id, "api").await?;
    let stream = state.store.material_store().get_verified(&material.sha256).await?;
    let digest = hex::decode(&material.sha256).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    let content_type =
        HeaderValue::from_str(&material.media_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(material.size));
    headers.insert(header::CONTENT_DISPOSITION, attachment(&material.file_name));
    if let Ok(v) =
        HeaderValue::from_str(&format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(digest)))
    {
        headers.insert("repr-digest", v);
    }
    Ok(response)
}
