//! The OpenAPI document of the API: the operations the handlers declare, the bearer scheme, and the
//! problem answers every operation can give by its shape (issue 19), so that a client generated from
//! the document knows every status and content type it can meet. `tests/openapi.rs` keeps it as a
//! reviewed snapshot (`docs/openapi.json`) and checks it against the running server.

use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

use crate::api::{self, accountability};
use crate::pages::reports;
use crate::{error, log, witness};

/// The document as served at `/api/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    info(title = "留痕 liuhen API", description = "外部人员过问信息专库 — the store of outside inquiries into court cases (中办发〔2015〕23号 and the SPC implementation measures). Errors are application/problem+json in Chinese, or English with Accept-Language: en."),
    paths(
        api::login, api::logout, api::me, api::change_password, api::start_totp, api::confirm_totp, api::lists, api::courts, api::check_case_number,
        api::create_record, api::list_records, api::get_record, api::record_views, api::amend_record,
        api::cosign, api::dispute, api::cosign_inbox, api::upload_material, api::download_material,
        log::checkpoint, log::tile, log::key, log::record_receipt, log::event_receipt, log::extension,
        witness::add_checkpoint, witness::alerts, witness::logs, witness::status,
        reports::quarterly,
        accountability::screen, accountability::handling, accountability::open_check, accountability::conclude_check,
        accountability::report_outcome, accountability::findings, accountability::record_finding,
        accountability::proposal, accountability::finding, accountability::appeal, accountability::decide,
        accountability::complaints, accountability::file_complaint, accountability::complaint,
        accountability::handle_complaint, accountability::attest, accountability::filing, accountability::remind,
        accountability::timeliness, accountability::report_contact, accountability::contacts,
        accountability::answer_contact, accountability::cadres, accountability::cadre_history, accountability::merge,
        api::duties::request_own_token, api::duties::approvals, api::duties::decide, api::duties::audit,
    ),
    components(schemas(error::FieldProblem, error::ProblemDocument)),
    modifiers(&BearerAuth, &ProblemAnswers),
    tags(
        (name = "session", description = "登录 / log in"),
        (name = "reference", description = "列表与案号检查 / lists and case-number check"),
        (name = "records", description = "过问记录 / records (R1–R6)"),
        (name = "cosignature", description = "在场人员签字确认 / co-signature (R4)"),
        (name = "materials", description = "相关材料 / materials (R5)"),
        (name = "reports", description = "季度分析与报送 / reports (R8, R11)"),
        (name = "log", description = "可验证日志与回执 / the verifiable log and receipts (R1)"),
        (name = "witness", description = "上级法院见证 / witnessing by the court above (R1)"),
        (name = "accountability", description = "甄别核查、追责、控告、零报告、交叉核对、干部过问档案 / holding to account and protecting (R14–R17)"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security =
            Some(vec![utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

/// Errors are RFC 9457 problem documents, whatever the operation.
const PROBLEM: &str = "application/problem+json";

/// The statuses the shared layers answer with, added to each operation they can reach: the session
/// check (401, 403 for a role without the permission or a second factor still to give), the
/// extractors of path, query and body (400, 413, 415, 422), the rule that what a user may not
/// see does not exist (404), and the server's own trouble (500; 503 when the database is out of
/// reach; 507 when the disk is full). 503 and 507 reach every operation but the reads open to
/// anyone, which touch no table: a logged-in request writes its session's last use, a read of
/// contents writes its view, and the rest write what they do. An operation's own declaration of a
/// status keeps its wording.
struct ProblemAnswers;

/// The shared answers, each written once under `components/responses` and referred to from the
/// operations it applies to: (name, status, description).
const SHARED: [(&str, &str, &str); 10] = [
    ("Malformed", "400", "请求无法解析（路径、查询参数或请求体） / the request cannot be read (path, query or body)"),
    ("Unauthorized", "401", "未登录，或会话、令牌已失效 / not logged in, or the session or token is no longer valid"),
    (
        "Forbidden",
        "403",
        "角色无此权限，或须先以第二因素登录 / the role may not do this, or a second factor is needed first",
    ),
    ("NotFound", "404", "不存在，或无权查看（越权一律答不存在） / no such thing, or not for this user to see"),
    ("TooLarge", "413", "请求体超过大小上限 / the request body is over the size limit"),
    ("UnsupportedMediaType", "415", "请求体的类型不对 / the request body's Content-Type is not accepted"),
    (
        "Invalid",
        "422",
        "请求体的字段不符合规则，每个问题注明字段和规则 / fields break the rules; each problem names its field and rule",
    ),
    (
        "Internal",
        "500",
        "服务器内部错误，或材料已不符其哈希而不予提供 / an internal error, or a material that no longer matches its hash",
    ),
    (
        "Unavailable",
        "503",
        "数据库暂时不可用（database_unavailable，未做任何事），或提交时连接中断、结果不明（outcome_unknown，先查看再重发） / the database is out of reach (nothing was done), or the connection was lost while committing (look before resending)",
    ),
    (
        "StorageFull",
        "507",
        "存储空间已满，未写入任何内容，也不显示内容（查看须留痕） / no space left: nothing was written, and contents are not shown (their view could not be recorded)",
    ),
];

impl utoipa::Modify for ProblemAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, _, description) in SHARED {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ProblemDocument"))).build();
            let response = ResponseBuilder::new().description(description).content(PROBLEM, content).build();
            components.responses.insert(name.to_string(), RefOr::T(response));
        }
        let everywhere = openapi.security.clone().unwrap_or_default();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                (&mut item.get, true),
                (&mut item.put, false),
                (&mut item.post, false),
                (&mut item.delete, false),
                (&mut item.patch, false),
            ];
            for (operation, get) in operations {
                let Some(operation) = operation else { continue };
                let required = operation.security.as_ref().unwrap_or(&everywhere);
                let secured = !required.is_empty() && !required.contains(&SecurityRequirement::default());
                add_answers(operation, secured, get && !secured);
            }
        }
    }
}

fn add_answers(operation: &mut Operation, secured: bool, public_read: bool) {
    let takes = |place: ParameterIn| operation.parameters.iter().flatten().any(|p| p.parameter_in == place);
    let (path, query) = (takes(ParameterIn::Path), takes(ParameterIn::Query));
    let body = operation.request_body.as_ref().map(|b| b.content.keys().cloned().collect::<Vec<_>>());
    let json = body.as_ref().is_some_and(|types| types.iter().any(|t| t == "application/json"));
    // Bodies the server reads through its extractors, which check their Content-Type; the
    // witness protocol's plain-text body is read as it comes.
    let typed = json || body.as_ref().is_some_and(|types| types.iter().any(|t| t == "multipart/form-data"));
    let applies = |status: &str| match status {
        "400" => path || query || body.is_some(),
        "401" | "403" => secured,
        "404" => path,
        "413" => body.is_some(),
        "415" => typed,
        "422" => json,
        "500" => true,
        "503" | "507" => !public_read,
        _ => false,
    };
    let responses = &mut operation.responses.responses;
    for (name, status, _) in SHARED.into_iter().filter(|(_, status, _)| applies(status)) {
        responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
    }
    // Handlers declare `body = ProblemDocument`, which utoipa files under application/json.
    for response in responses.values_mut() {
        if let RefOr::T(response) = response
            && let Some(content) = response.content.shift_remove("application/json")
        {
            let is_problem =
                matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/ProblemDocument"));
            let key = if is_problem { PROBLEM } else { "application/json" };
            response.content.insert(key.to_string(), content);
        }
    }
}
