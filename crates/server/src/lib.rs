//! The HTTP server: the API of the store of outside inquiries (R3) and its OpenAPI description.

pub mod api;
pub mod auth;
pub mod error;
pub mod log;
pub mod oidc;
pub mod openapi;
pub mod pages;
pub mod witness;

use std::sync::Arc;

use api::accountability;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use liuhen_store::Store;
use pages::reports;
use tower_http::set_header::SetResponseHeaderLayer;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// Mark the session cookie Secure (when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the real client (for login throttling).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Single sign-on through the court's identity provider, when configured.
    pub oidc: Option<Arc<oidc::Oidc>>,
    /// A province's additions to where reports go (S11, R19).
    pub report_routing: Arc<liuhen_reports::RoutingRules>,
    /// Approvals one at a time: a sealed document's number (发文字号) counts the court's sealed
    /// reports, so two approvals at once must not both take the same one.
    pub sealing: Arc<tokio::sync::Mutex<()>>,
}

impl AppState {
    pub fn new(store: Arc<Store>) -> AppState {
        AppState {
            store,
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            oidc: None,
            report_routing: Default::default(),
            sealing: Default::default(),
        }
    }
}

async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi::document().to_pretty_json().unwrap_or_default())
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../assets/liuhen.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../assets/entry.js"),
    )
}

async fn healthz() -> &'static str {
    "ok"
}

/// Every route, declared once: the router is built from this list and `ROUTE_PATHS` is read
/// from it, so the access test (tests/route_access.rs) sees every route there is.
macro_rules! routes {
    ($limit:ident; $($path:literal => $handler:expr,)*) => {
        /// Every path the router serves (with axum's `{param}` placeholders).
        pub const ROUTE_PATHS: &[&str] = &[$($path),*];

        fn routes($limit: usize) -> Router<AppState> {
            Router::new()$(.route($path, $handler))*
        }
    };
}

routes! { upload_limit;
    "/" => get(pages::index),
    "/records/{id}/receipt" => get(pages::receipt),
    "/records/new" => get(pages::records::new_record).post(pages::records::post_record),
    "/records" => get(pages::records::list),
    "/records.csv" => get(pages::records::export_csv),
    "/records/{id}" => get(pages::records::record),
    "/records/{id}/amend" => get(pages::records::amend_form).post(pages::records::amend),
    "/records/{id}/materials" => post(pages::records::upload).layer(DefaultBodyLimit::max(upload_limit)),
    "/records/{id}/cosign" => post(pages::records::cosign),
    "/records/{id}/dispute" => post(pages::records::dispute),
    "/records/{id}/handling/{action}" => post(pages::records::handle),
    "/cosign" => get(pages::records::inbox),
    "/ledger" => get(pages::ledger),
    "/reports/quarterly" => get(reports::quarterly_page),
    "/reports/quarterly.xlsx" => get(reports::quarterly_xlsx),
    "/reports/quarterly.docx" => get(reports::quarterly_docx),
    "/reports/quarterly.csv" => get(reports::quarterly_csv_file),
    "/reports" => get(reports::list),
    "/reports/quarterly/draft" => post(reports::draft),
    "/reports/{id}" => get(reports::report),
    "/reports/{id}/approve" => post(reports::approve),
    "/reports/{id}/acknowledge" => post(reports::acknowledge),
    "/reports/immediate/draft" => post(reports::draft_immediate),
    "/reports/notification/{id}" => get(reports::notification),
    "/reports/half-year" => get(reports::half_year_page),
    "/reports/half-year/draft" => post(reports::draft_half_year),
    "/reports/inspections" => post(reports::record_inspection),
    "/reports/{id}/files/{sha256}" => get(reports::file),
    "/api/v1/reports/quarterly" => get(reports::quarterly),
    "/account" => get(pages::account::account),
    "/account/password" => post(pages::account::change_password),
    "/account/totp" => post(pages::account::start_totp),
    "/account/totp/confirm" => post(pages::account::confirm_totp),
    "/assets/entry.js" => get(script),
    "/login" => get(pages::session::login_form).post(pages::session::login_submit),
    "/logout" => post(pages::session::logout),
    "/lang/{code}" => get(pages::session::switch_language),
    "/admin/users" => get(pages::admin::users).post(pages::admin::add_user),
    "/admin/users/{username}" => get(pages::admin::user),
    "/admin/users/{username}/{action}" => post(pages::admin::user_action),
    "/admin/courts" => get(pages::admin::courts).post(pages::admin::add_court),
    "/admin/tokens" => get(pages::admin::tokens).post(pages::admin::issue_token),
    "/admin/tokens/{id}/revoke" => post(pages::admin::revoke_token),
    "/filing" => get(pages::accountability::filing),
    "/filing/zero-report" => post(pages::accountability::attest),
    "/filing/reminders" => post(pages::accountability::remind),
    "/filing/contacts/{id}/answer" => post(pages::accountability::answer),
    "/findings" => get(pages::accountability::findings).post(pages::accountability::record_finding),
    "/findings/{id}/appeal" => post(pages::accountability::appeal),
    "/findings/{id}/decision" => post(pages::accountability::decide),
    "/complaints" => get(pages::accountability::complaints).post(pages::accountability::file_complaint),
    "/complaints/{id}/steps" => post(pages::accountability::complaint_step),
    "/cadres" => get(pages::accountability::cadres),
    "/cadres/history" => get(pages::accountability::cadre),
    "/cadres/history.csv" => get(pages::accountability::cadre_csv),
    "/cadres/merges" => post(pages::accountability::merge),
    "/healthz" => get(healthz),
    "/assets/liuhen.css" => get(stylesheet),
    "/api/openapi.json" => get(openapi_json),
    "/auth/oidc/login" => get(oidc::begin),
    "/auth/oidc/callback" => get(oidc::callback),
    "/api/v1/session" => post(api::login).delete(api::logout),
    "/api/v1/me" => get(api::me),
    "/api/v1/me/password" => post(api::change_password),
    "/api/v1/me/totp" => post(api::start_totp),
    "/api/v1/me/totp/confirm" => post(api::confirm_totp),
    "/api/v1/me/tokens" => post(api::duties::request_own_token),
    "/api/v1/approvals" => get(api::duties::approvals),
    "/api/v1/approvals/{id}/decision" => post(api::duties::decide),
    "/api/v1/audit" => get(api::duties::audit),
    "/security/approvals" => get(pages::security::approvals_list),
    "/security/approvals/{id}" => post(pages::security::approvals_decide),
    "/audit" => get(pages::security::audit_page),
    "/api/v1/lists" => get(api::lists),
    "/api/v1/courts" => get(api::courts),
    "/api/v1/case-numbers/{case_number}" => get(api::check_case_number),
    "/api/v1/records" => post(api::create_record).get(api::list_records),
    "/api/v1/records/{id}" => get(api::get_record),
    "/api/v1/records/{id}/views" => get(api::record_views),
    "/api/v1/records/{id}/amendments" => post(api::amend_record),
    "/api/v1/records/{id}/cosign" => post(api::cosign),
    "/api/v1/records/{id}/dispute" => post(api::dispute),
    "/api/v1/records/{id}/materials" => post(api::upload_material).layer(DefaultBodyLimit::max(upload_limit)),
    "/api/v1/cosign-inbox" => get(api::cosign_inbox),
    "/api/v1/materials/{id}" => get(api::download_material),
    "/api/v1/records/{id}/receipt" => get(log::record_receipt),
    "/api/v1/log/receipts/{index}" => get(log::event_receipt),
    "/api/v1/log/extension" => get(log::extension),
    "/api/v1/log/key" => get(log::key),
    "/log/checkpoint" => get(log::checkpoint),
    "/log/tile/{*path}" => get(log::tile),
    "/api/v1/log/status" => get(witness::status),
    "/witness/add-checkpoint" => post(witness::add_checkpoint),
    "/api/v1/witness/alerts" => get(witness::alerts),
    "/api/v1/witness/logs" => get(witness::logs),
    "/api/v1/records/{id}/handling" => get(accountability::handling),
    "/api/v1/records/{id}/screenings" => post(accountability::screen),
    "/api/v1/records/{id}/checks" => post(accountability::open_check),
    "/api/v1/checks/{id}/conclusion" => post(accountability::conclude_check),
    "/api/v1/records/{id}/outcomes" => post(accountability::report_outcome),
    "/api/v1/findings" => get(accountability::findings).post(accountability::record_finding),
    "/api/v1/findings/proposal" => get(accountability::proposal),
    "/api/v1/findings/{id}" => get(accountability::finding),
    "/api/v1/findings/{id}/appeal" => post(accountability::appeal),
    "/api/v1/findings/{id}/decision" => post(accountability::decide),
    "/api/v1/complaints" => get(accountability::complaints).post(accountability::file_complaint),
    "/api/v1/complaints/{id}" => get(accountability::complaint),
    "/api/v1/complaints/{id}/steps" => post(accountability::handle_complaint),
    "/api/v1/zero-reports" => post(accountability::attest),
    "/api/v1/filing" => get(accountability::filing),
    "/api/v1/filing/reminders" => post(accountability::remind),
    "/api/v1/timeliness" => get(accountability::timeliness),
    "/api/v1/contacts" => get(accountability::contacts).post(accountability::report_contact),
    "/api/v1/contacts/{id}/answer" => post(accountability::answer_contact),
    "/api/v1/cadres" => get(accountability::cadres),
    "/api/v1/cadres/history" => get(accountability::cadre_history),
    "/api/v1/cadres/merges" => post(accountability::merge),
}

pub fn router(state: AppState) -> Router {
    // Uploads are limited by the material size limit while they stream, not by a body buffer.
    let upload_limit =
        usize::try_from(state.store.config().max_material_bytes).unwrap_or(usize::MAX).saturating_add(1 << 20);
    routes(upload_limit)
        .fallback(|| async {
            error::ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "没有这个地址", "no such address")
        })
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "这个地址不接受此种请求方法",
                "this address does not accept this request method",
            )
        })
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::localise_problems))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state)
}

/// Serve on an already-bound listener (tests bind port 0) until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
