//! Every route the router has, against every role, inside and outside the record's court (issue 4,
//! S3): the table says who is allowed and who is refused. The routes come from the router itself
//! (`liuhen_server::ROUTE_PATHS`) and the methods each serves are found by asking it, so a new route
//! or method that is not in the table fails this test.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use liuhen_rules::Role;
use reqwest::Method;
use serde_json::json;

/// Who asks. The record of each case is made by `clerk` (basic1) with `judge_a` named present.
const WHO: [&str; 17] = [
    "anonymous",
    "clerk",        // the recorder of the record
    "judge_a",      // present at the inquiry, named in the record
    "judge_b",      // a colleague of the same court, not present
    "office",       // 专库管理员 of the court
    "leader",       // 院领导 of the court
    "inspector",    // 纪检监察 of the court
    "admin",        // 系统管理员 of the court
    "auditor",      // auditor service account (high court)
    "witness",      // witness service account (high court)
    "other_court",  // a recorder of another court
    "other_office", // 专库管理员 of another court
    "upper_office", // 专库管理员 of the court above: reports and escalations only (issue 6)
    "recipient",    // an outside report recipient (政法委): what is addressed to it only (issue 6)
    "security",     // 安全保密管理员 of the court: approves, reads no contents (issue 17)
    "secaudit",     // 安全审计员 of the court: the audit trail, no contents (issue 17)
    "casesys",      // the case-management system's account: pushes records and contacts (issue 8, 17)
];

/// (method, route, variant, who may: one letter per `WHO`, `A` allowed, `-` refused; what the
/// route asks of a read of contents: `2` — a login without a second factor is refused, whoever
/// asks; `V` — every successful answer appended a view event (查看留痕) first, and a route
/// without `V` appends none). Refused means 401, 403 or 404; anything else (2xx, 400, 409, 422)
/// means the request got through.
const TABLE: &[(&str, &str, &str, &str, &str)] = &[
    ("GET", "/", "", "AAAAAAAAAAAAAAAAA", ""),
    ("GET", "/records/{id}/receipt", "", "-A---------------", "2V"),
    ("GET", "/records/new", "", "-AAAAAA---AAA---A", ""),
    ("POST", "/records/new", "", "-AAAAAA---AAA---A", ""),
    ("GET", "/records", "", "-AAAAAA---AAA----", "2V"),
    ("GET", "/records.csv", "", "-AAAAAA---AAA----", "2V"),
    ("GET", "/records/{id}", "", "-AA-A-A----------", "2V"),
    ("GET", "/records/{id}/amend", "", "-A---------------", "2V"),
    ("POST", "/records/{id}/amend", "", "-A---------------", "2"),
    ("POST", "/records/{id}/materials", "", "-A---------------", "2"),
    ("POST", "/records/{id}/cosign", "", "--A--------------", "2"),
    ("POST", "/records/{id}/dispute", "", "--A--------------", "2"),
    // Screening from the record's page (issue 8): the office of the record's court.
    ("POST", "/records/{id}/handling/{action}", "", "----A------------", "2"),
    ("GET", "/cosign", "", "-AAAAAA---AAA----", "2V"),
    ("GET", "/ledger", "", "-AAAAAAAAAAAAAAAA", ""),
    ("GET", "/reports/quarterly", "", "----AAA----AA----", "2V"),
    ("GET", "/reports/quarterly.xlsx", "", "----AAA----AA----", "2V"),
    ("GET", "/reports/quarterly.docx", "", "----AAA----AA----", "2V"),
    ("GET", "/reports/quarterly.csv", "", "----AAA----AA----", "2V"),
    ("GET", "/reports", "", "----AAA----AA----", "2V"),
    ("POST", "/reports/quarterly/draft", "", "----A------AA----", "2"),
    // The fixture's id is a record's, not a report's: 404 for all. tests/reports.rs runs these
    // against real reports (the drafting court, the court above, another court, the drafter).
    ("GET", "/reports/{id}", "", "-----------------", ""),
    ("POST", "/reports/{id}/approve", "", "-----------------", ""),
    ("GET", "/reports/{id}/files/{sha256}", "", "-----------------", ""),
    ("POST", "/reports/{id}/acknowledge", "", "-----------------", ""),
    // Drafted about a record id that does not exist here: refused for all; tests/reports.rs
    // drafts real immediate reports.
    ("POST", "/reports/immediate/draft", "", "-----------------", ""),
    // The fixture's record has no C8 kind: 422 for those who may read it and see reports.
    ("GET", "/reports/notification/{id}", "", "----A-A----------", "2V"),
    // Half-year reports are the high court's: here only its maintainer's.
    ("GET", "/reports/half-year", "", "------------A----", "2V"),
    ("POST", "/reports/half-year/draft", "", "------------A----", "2"),
    ("POST", "/reports/inspections", "", "------------A----", "2"),
    ("GET", "/api/v1/reports/quarterly", "", "----AAA----AA----", "2V"),
    ("GET", "/account", "", "-AAAAAAAAAAAAAAAA", ""),
    ("POST", "/account/password", "", "-AAAAAAAAAAAAAAAA", ""),
    ("POST", "/account/totp", "", "-AAAAAAAAAAAAAAAA", ""),
    ("POST", "/account/totp/confirm", "", "-AAAAAAAAAAAAAAAA", ""),
    ("GET", "/assets/entry.js", "", "AAAAAAAAAAAAAAAAA", ""),
    ("GET", "/login", "", "AAAAAAAAAAAAAAAAA", ""),
    ("POST", "/login", "", "AAAAAAAAAAAAAAAAA", ""),
    ("POST", "/logout", "", "-AAAAAAAAAAAAAAAA", ""),
    ("GET", "/lang/{code}", "", "AAAAAAAAAAAAAAAAA", ""),
    ("GET", "/admin/users", "", "-------A---------", ""),
    ("POST", "/admin/users", "", "-------A---------", ""),
    ("GET", "/admin/users/{username}", "", "-------A---------", ""),
    ("POST", "/admin/users/{username}/{action}", "", "-------A---------", ""),
    ("GET", "/admin/courts", "", "-------A---------", ""),
    ("POST", "/admin/courts", "", "-------A---------", ""),
    ("GET", "/admin/tokens", "", "-------A---------", ""),
    ("POST", "/admin/tokens", "", "-------A---------", ""),
    ("POST", "/admin/tokens/{id}/revoke", "", "-------A---------", ""),
    ("GET", "/healthz", "", "AAAAAAAAAAAAAAAAA", ""),
    ("GET", "/assets/liuhen.css", "", "AAAAAAAAAAAAAAAAA", ""),
    ("GET", "/api/openapi.json", "", "AAAAAAAAAAAAAAAAA", ""),
    // Single sign-on is not configured in this fixture, so it answers 404 to all; tests/oidc.rs
    // runs it configured.
    ("GET", "/auth/oidc/login", "", "-----------------", ""),
    ("GET", "/auth/oidc/callback", "", "-----------------", ""),
    ("POST", "/api/v1/session", "", "AAAAAAAAAAAAAAAAA", ""),
    ("DELETE", "/api/v1/session", "", "AAAAAAAAAAAAAAAAA", ""),
    ("GET", "/api/v1/me", "", "-AAAAAAAAAAAAAAAA", ""),
    ("POST", "/api/v1/me/password", "", "-AAAAAAAAAAAAAAAA", ""),
    ("POST", "/api/v1/me/totp", "", "-AAAAAAAAAAAAAAAA", ""),
    ("POST", "/api/v1/me/totp/confirm", "", "-AAAAAAAAAAAAAAAA", ""),
    ("GET", "/api/v1/lists", "", "AAAAAAAAAAAAAAAAA", ""),
    ("GET", "/api/v1/courts", "", "-AAAAAAAAAAAAAAAA", ""),
    ("GET", "/api/v1/case-numbers/{case_number}", "", "-AAAAAAAAAAAAAAAA", ""),
    ("POST", "/api/v1/records", "", "-AAAAAA---AAA---A", ""),
    ("GET", "/api/v1/records", "", "-AAAAAA---AAA----", "2V"),
    ("GET", "/api/v1/records/{id}", "", "-AA-A-A----------", "2V"),
    ("GET", "/api/v1/records/{id}/views", "", "-A--A-A----------", "2"),
    ("POST", "/api/v1/records/{id}/amendments", "", "-A---------------", "2"),
    ("POST", "/api/v1/records/{id}/cosign", "", "--A--------------", "2"),
    ("POST", "/api/v1/records/{id}/dispute", "", "--A--------------", "2"),
    ("POST", "/api/v1/records/{id}/materials", "", "-A---------------", ""),
    ("GET", "/api/v1/cosign-inbox", "", "-AAAAAA---AAA----", "2V"),
    ("GET", "/api/v1/materials/{id}", "", "-AA-A-A----------", "2V"),
    ("GET", "/api/v1/records/{id}/receipt", "", "-A---------------", "2V"),
    ("GET", "/api/v1/log/receipts/{index}", "", "-A---------------", "2V"),
    ("GET", "/api/v1/log/extension", "", "-AAAAAAAAAAAA-AAA", ""),
    ("GET", "/api/v1/log/key", "", "AAAAAAAAAAAAAAAAA", ""),
    ("GET", "/log/checkpoint", "", "-AAAAAAAAAAAA-AAA", ""),
    ("GET", "/log/tile/{*path}", "hash tile", "-AAAAAAAAAAAA-AAA", ""),
    ("GET", "/log/tile/{*path}", "entry bundle", "--------A--------", "2V"),
    ("GET", "/api/v1/log/status", "", "-AAAAAAAAAAAAAAAA", ""),
    ("POST", "/witness/add-checkpoint", "", "AAAAAAAAAAAAAAAAA", ""),
    ("GET", "/api/v1/witness/alerts", "", "-AAAAAA-AAAAAA--A", ""),
    ("GET", "/api/v1/witness/logs", "", "-AAAAAAAAAAAAAAAA", ""),
    // Issue 8. Ids here are the record's: a finding, complaint, check or contact of that id does
    // not exist, so those rows refuse all; tests/accountability.rs runs them against real ones.
    ("GET", "/api/v1/records/{id}/handling", "", "----A-A----------", "2V"),
    ("POST", "/api/v1/records/{id}/screenings", "", "----A------------", "2"),
    ("POST", "/api/v1/records/{id}/checks", "", "----A------------", "2"),
    ("POST", "/api/v1/checks/{id}/conclusion", "", "-----------------", ""),
    ("POST", "/api/v1/records/{id}/outcomes", "", "----A------------", "2"),
    ("GET", "/api/v1/findings", "", "-AAAAAAAAAAAAAAAA", "V"),
    ("POST", "/api/v1/findings", "", "------A----------", "2"),
    ("GET", "/api/v1/findings/proposal", "", "------A----------", "2V"),
    ("GET", "/api/v1/findings/{id}", "", "-----------------", ""),
    ("POST", "/api/v1/findings/{id}/appeal", "", "-----------------", ""),
    ("POST", "/api/v1/findings/{id}/decision", "", "-----------------", ""),
    ("GET", "/api/v1/complaints", "", "-AAAAAAAAAAAAAAAA", "V"),
    // Any member of staff may complain; the court above's staff get "no court above" (409).
    ("POST", "/api/v1/complaints", "", "-AAAAAA---AAA----", ""),
    ("GET", "/api/v1/complaints/{id}", "", "-----------------", ""),
    ("POST", "/api/v1/complaints/{id}/steps", "", "-----------------", ""),
    ("POST", "/api/v1/zero-reports", "", "-AAAAAA---AAA----", ""),
    ("GET", "/api/v1/filing", "", "----A-A----AA----", "2V"),
    ("POST", "/api/v1/filing/reminders", "", "----A-A----AA----", "2"),
    ("GET", "/api/v1/timeliness", "", "----A-A----AA----", "2V"),
    ("GET", "/api/v1/contacts", "", "----A-A----AA----", "2V"),
    // Only the case-management system's account reports contacts (issue 17, item 8).
    ("POST", "/api/v1/contacts", "", "----------------A", ""),
    ("POST", "/api/v1/contacts/{id}/answer", "", "-----------------", ""),
    ("GET", "/api/v1/cadres", "", "----A-A----AA----", "2V"),
    // The fixture's cadre is named in both basic courts (other_court records a letter above):
    // each court's readers see their own court's entries, the court above both.
    ("GET", "/api/v1/cadres/history", "", "----A-A----AA----", "2V"),
    ("POST", "/api/v1/cadres/merges", "", "----A------AA----", "2"),
    ("GET", "/filing", "", "-AAAAAAAAAAAAAAAA", "V"),
    ("POST", "/filing/zero-report", "", "-AAAAAA---AAA----", ""),
    ("POST", "/filing/reminders", "", "----A-A----AA----", "2"),
    ("POST", "/filing/contacts/{id}/answer", "", "-----------------", ""),
    ("GET", "/findings", "", "-AAAAAAAAAAAAAAAA", "V"),
    ("POST", "/findings", "", "------A----------", "2"),
    ("POST", "/findings/{id}/appeal", "", "-----------------", ""),
    ("POST", "/findings/{id}/decision", "", "-----------------", ""),
    ("GET", "/complaints", "", "-AAAAAAAAAAAAAAAA", "V"),
    ("POST", "/complaints", "", "-AAAAAA---AAA----", ""),
    ("POST", "/complaints/{id}/steps", "", "-----------------", ""),
    ("GET", "/cadres", "", "----A-A----AA----", "2V"),
    ("GET", "/cadres/history", "", "----A-A----AA----", "2V"),
    ("GET", "/cadres/history.csv", "", "----A-A----AA----", "2V"),
    ("POST", "/api/v1/me/tokens", "", "-AAAAAAAAAAAAAAAA", ""),
    ("GET", "/api/v1/approvals", "", "--------------A--", "2"),
    ("POST", "/api/v1/approvals/{id}/decision", "", "-----------------", ""),
    ("GET", "/api/v1/audit", "", "---------------A-", "2V"),
    ("GET", "/security/approvals", "", "--------------A--", "2"),
    ("POST", "/security/approvals/{id}", "", "-----------------", ""),
    ("GET", "/audit", "", "---------------A-", "2V"),
    ("POST", "/cadres/merges", "", "----A------AA----", "2"),
];

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// What a route needs: a fresh record of `clerk` with `judge_a` present, and one material on it.
struct Fixture {
    record: String,
    seq: i64,
    material: String,
    /// A live API token of the case system's, for the revoke form.
    token: String,
}

async fn fixture(app: &common::TestApp, clerk: &str) -> Fixture {
    let (status, created) = app.post(clerk, "/api/v1/records", &common::in_person(&["judge_a"])).await;
    assert_eq!(status, 201, "{created}");
    let record = created["record_id"].as_str().unwrap().to_string();
    let fields = [("category", "other"), ("disposition", "filed_with_case")];
    let (status, material) = app.upload(clerk, &record, &fields, "a.pdf", b"%PDF-1.4 fixture".to_vec()).await;
    assert_eq!(status, 201, "{material}");
    let material = material["material_id"].as_str().unwrap().to_string();
    let (_, token) =
        app.store.console().issue_token("casesys", "route test", &["log.tiles".into()], None).await.unwrap();
    Fixture { record, seq: created["seq"].as_i64().unwrap(), material, token: token.id }
}

fn concrete(route: &str, variant: &str, f: &Fixture) -> String {
    let path = route
        .replace(
            "{id}",
            if route.starts_with("/api/v1/materials/") {
                &f.material
            } else if route.starts_with("/admin/tokens/") {
                &f.token
            } else {
                &f.record
            },
        )
        .replace("{index}", &f.seq.to_string())
        .replace("{case_number}", "（2026）示0101民初12号")
        .replace("{code}", "en")
        .replace("{username}", "judge_b")
        .replace("{sha256}", &"0".repeat(64))
        .replace("{action}", if route.starts_with("/records/") { "screen" } else { "unlock" })
        .replace("{*path}", if variant == "entry bundle" { "entries/000.p/1" } else { "0/000.p/1" });
    match route {
        "/api/v1/log/extension" => format!("{path}?from=1"),
        "/api/v1/findings/proposal" => format!("{path}?subject=clerk&kind=not_recorded"),
        "/api/v1/cadres/history" | "/cadres/history" | "/cadres/history.csv" => {
            format!("{path}?key={}", common::urlencode("张某/某区人民政府/副区长"))
        }
        _ => path,
    }
}

async fn request(
    app: &common::TestApp,
    method: &str,
    route: &str,
    path: &str,
    token: Option<&str>,
) -> reqwest::Response {
    let mut req = app.client.request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req = match (method, route) {
        // The login form's double-submit value, as the login page hands it out.
        ("POST", "/login") => req.header("cookie", "liuhen_login=route-test").form(&[
            ("login_csrf", "route-test"),
            ("username", "clerk"),
            ("password", common::PASSWORD),
        ]),
        ("POST", "/api/v1/session") => req.json(&json!({"username": "clerk", "password": common::PASSWORD})),
        ("POST", "/api/v1/records") => req.json(&common::letter()),
        ("POST", "/api/v1/records/{id}/amendments") => {
            let mut record = common::in_person(&["judge_a"]);
            record["handling"] = json!("已告知依法办理");
            req.json(&json!({"record": record, "reason": "补充处理情况", "expected_version": 1}))
        }
        ("POST", "/api/v1/records/{id}/cosign") => req.json(&json!({})),
        ("POST", "/api/v1/me/totp/confirm") => req.json(&json!({"code": "000000"})),
        ("POST", "/api/v1/me/password") => {
            req.json(&json!({"current_password": "not-the-password-1", "new_password": "short"}))
        }
        ("POST", "/api/v1/records/{id}/dispute") => req.json(&json!({"reason": "与所见不符"})),
        ("POST", "/reports/quarterly/draft") => req.form(&[("year", "2026"), ("quarter", "1")]),
        ("POST", "/reports/half-year/draft") => req.form(&[("year", "2026"), ("half", "1")]),
        ("POST", "/reports/immediate/draft") => req.form(&[("record_id", uuid::Uuid::nil().to_string())]),
        ("POST", "/records/{id}/dispute") => req.form(&[("reason", "与所见不符")]),
        ("POST", "/api/v1/records/{id}/materials" | "/records/{id}/materials") => req.multipart(
            reqwest::multipart::Form::new()
                .text("category", "other")
                .text("disposition", "filed_with_case")
                .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 x".to_vec()).file_name("b.pdf")),
        ),
        ("POST", "/witness/add-checkpoint") => req.body("old 0\n\nnot a checkpoint\n"),
        ("POST", "/api/v1/me/tokens") => {
            req.json(&json!({"name": "路由测试", "scopes": ["log.tiles"], "reason": "测试"}))
        }
        ("POST", "/api/v1/approvals/{id}/decision") => req.json(&json!({"approve": true, "note": "同意"})),
        ("POST", "/security/approvals/{id}") => req.form(&[("decision", "approve"), ("note", "同意")]),
        // Complete requests about ids that do not exist, so that the answer is "not found".
        ("POST", "/api/v1/checks/{id}/conclusion") => req.json(&json!({"findings": "核查完毕"})),
        ("POST", "/api/v1/findings/{id}/appeal") => req.json(&json!({"grounds": "已报告"})),
        ("POST", "/findings/{id}/appeal") => req.form(&[("grounds", "已报告")]),
        ("POST", "/api/v1/findings/{id}/decision") => req.json(&json!({"outcome": "upheld", "reason": "属实"})),
        ("POST", "/findings/{id}/decision") => req.form(&[("outcome", "upheld"), ("reason", "属实")]),
        ("POST", "/api/v1/complaints/{id}/steps") => req.json(&json!({"step": "received", "note": "受理"})),
        ("POST", "/complaints/{id}/steps") => req.form(&[("step", "received"), ("note", "受理")]),
        ("POST", "/api/v1/contacts/{id}/answer") => req.json(&json!({"explanation": "非过问"})),
        ("POST", "/filing/contacts/{id}/answer") => req.form(&[("explanation", "非过问")]),
        ("POST", r)
            if r.starts_with("/api/v1/")
                && [
                    "findings",
                    "complaints",
                    "zero-reports",
                    "filing",
                    "contacts",
                    "cadres",
                    "screenings",
                    "checks",
                    "outcomes",
                ]
                .iter()
                .any(|w| r.contains(w)) =>
        {
            req.json(&json!({}))
        }
        (_, _) => req,
    };
    req.send().await.unwrap()
}

/// How many view events (查看留痕) the ledger holds.
async fn view_events(app: &common::TestApp) -> i64 {
    common::scalar(
        &app.store,
        "SELECT COUNT(*) FROM events WHERE kind IN ('record_viewed', 'records_listed', 'content_viewed')",
    )
    .await
}

/// A session of `who` with (`strong`) or without a second factor, as the court's identity
/// provider would open it.
async fn session(app: &common::TestApp, who: &str, strong: bool) -> String {
    app.store.login_federated(None, who, strong).await.unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_against_every_role() {
    // Every read of contents needs a second factor here, as in a real deployment.
    let app = common::spawn_app_with(|c| c.policy.second_factor_for_contents = true).await;
    // The security administrator last: from then on, roles that read contents need approval.
    for (name, court, role) in [
        ("leader", "basic1", Role::CourtLeader),
        ("inspector", "basic1", Role::DisciplineInspector),
        ("auditor", "high", Role::Auditor),
        ("witness", "high", Role::Witness),
        ("other_office", "basic2", Role::StoreMaintainer),
        ("upper_office", "high", Role::StoreMaintainer),
        ("recipient", "basic1", Role::ReportRecipient),
        ("casesys", "basic1", Role::CaseSystem),
        ("secaudit", "basic1", Role::SecurityAuditor),
        ("security", "basic1", Role::SecurityAdministrator),
    ] {
        app.user(name, court, role).await;
    }

    // The methods each route serves, as the router answers (405: not served).
    let mut served: BTreeSet<(String, String)> = BTreeSet::new();
    let nil = uuid::Uuid::nil().to_string();
    let probe = Fixture { record: nil.clone(), seq: 0, material: nil.clone(), token: nil };
    for route in liuhen_server::ROUTE_PATHS {
        for method in METHODS {
            let r = request(&app, method, route, &concrete(route, "", &probe), None).await;
            if r.status() != 405 {
                served.insert((method.to_string(), route.to_string()));
            }
        }
    }
    let table: BTreeSet<(String, String)> =
        TABLE.iter().map(|(m, r, _, _, _)| (m.to_string(), r.to_string())).collect();
    assert_eq!(served, table, "every route and method the router serves has a row in TABLE, and no more");

    let mut strong: BTreeMap<&str, String> = BTreeMap::new();
    let mut weak: BTreeMap<&str, String> = BTreeMap::new();
    let mut wrong = Vec::new();
    for (method, route, variant, allowed, asks) in TABLE {
        for (who, expect) in WHO.iter().zip(allowed.chars()) {
            if *who != "anonymous" && !strong.contains_key(who) {
                strong.insert(who, session(&app, who, true).await);
                weak.insert(who, session(&app, who, false).await);
            }
            let clerk = strong.get("clerk").cloned().unwrap_or(session(&app, "clerk", true).await);
            let f = fixture(&app, &clerk).await;
            let path = concrete(route, variant, &f);
            let before = view_events(&app).await;
            let status = request(&app, method, route, &path, strong.get(who).map(String::as_str)).await.status();
            let viewed = view_events(&app).await > before;
            let refused = matches!(status.as_u16(), 401 | 403 | 404);
            if refused == (expect == 'A') {
                wrong.push(format!("{method} {path} ({variant}) as {who}: {status}, expected {expect}"));
            }
            // A read refused after its view was noted leaves a trace but no contents: allowed.
            let must_view = asks.contains('V') && status.is_success();
            if method == &"GET" && (must_view && !viewed || !asks.contains('V') && viewed) {
                wrong.push(format!(
                    "{method} {path} ({variant}) as {who}: view event appended: {viewed}, table: {asks}"
                ));
            }
            if (*method, *route) == ("DELETE", "/api/v1/session") {
                strong.remove(who); // logged out: log in again for the next row
                weak.remove(who);
                continue;
            }
            // The same caller without a second factor: refused wherever the route reads contents.
            if expect == 'A' && *who != "anonymous" {
                let f = fixture(&app, &clerk).await;
                let path = concrete(route, variant, &f);
                let status = request(&app, method, route, &path, weak.get(who).map(String::as_str)).await.status();
                let refused = matches!(status.as_u16(), 401 | 403 | 404);
                if refused != asks.contains('2') {
                    wrong.push(format!(
                        "{method} {path} ({variant}) as {who} without a second factor: {status}, table: {asks}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} cases disagree with the table:\n{}", wrong.len(), wrong.join("\n"));
}
