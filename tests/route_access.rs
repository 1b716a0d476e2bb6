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
const WHO: [&str; 14] = [
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
];

/// (method, route, variant, who may: one letter per `WHO`, `A` allowed, `-` refused). Refused
/// means 401, 403 or 404; anything else (2xx, 400, 409, 422) means the request got through.
const TABLE: &[(&str, &str, &str, &str)] = &[
    ("GET", "/", "", "AAAAAAAAAAAAAA"),
    ("GET", "/records/{id}/receipt", "", "-A------------"),
    ("GET", "/records/new", "", "-AAAAAA---AAA-"),
    ("POST", "/records/new", "", "-AAAAAA---AAA-"),
    ("GET", "/records", "", "-AAAAAA---AAA-"),
    ("GET", "/records.csv", "", "-AAAAAA---AAA-"),
    ("GET", "/records/{id}", "", "-AA-A-A-------"),
    ("GET", "/records/{id}/amend", "", "-A------------"),
    ("POST", "/records/{id}/amend", "", "-A------------"),
    ("POST", "/records/{id}/materials", "", "-A------------"),
    ("POST", "/records/{id}/cosign", "", "--A-----------"),
    ("POST", "/records/{id}/dispute", "", "--A-----------"),
    // Screening from the record's page (issue 8): the office of the record's court.
    ("POST", "/records/{id}/handling/{action}", "", "----A---------"),
    ("GET", "/cosign", "", "-AAAAAA---AAA-"),
    ("GET", "/ledger", "", "-AAAAAAAAAAAAA"),
    ("GET", "/reports/quarterly", "", "----AAA----AA-"),
    ("GET", "/reports/quarterly.xlsx", "", "----AAA----AA-"),
    ("GET", "/reports/quarterly.docx", "", "----AAA----AA-"),
    ("GET", "/reports/quarterly.csv", "", "----AAA----AA-"),
    ("GET", "/reports", "", "----AAA----AA-"),
    ("POST", "/reports/quarterly/draft", "", "----A------AA-"),
    // The fixture's id is a record's, not a report's: 404 for all. tests/reports.rs runs these
    // against real reports (the drafting court, the court above, another court, the drafter).
    ("GET", "/reports/{id}", "", "--------------"),
    ("POST", "/reports/{id}/approve", "", "--------------"),
    ("GET", "/reports/{id}/files/{sha256}", "", "--------------"),
    ("POST", "/reports/{id}/acknowledge", "", "--------------"),
    // Drafted about a record id that does not exist here: refused for all; tests/reports.rs
    // drafts real immediate reports.
    ("POST", "/reports/immediate/draft", "", "--------------"),
    // The fixture's record has no C8 kind: 422 for those who may read it and see reports.
    ("GET", "/reports/notification/{id}", "", "----A-A-------"),
    // Half-year reports are the high court's: here only its maintainer's.
    ("GET", "/reports/half-year", "", "------------A-"),
    ("POST", "/reports/half-year/draft", "", "------------A-"),
    ("POST", "/reports/inspections", "", "------------A-"),
    ("GET", "/api/v1/reports/quarterly", "", "----AAA----AA-"),
    ("GET", "/account", "", "-AAAAAAAAAAAAA"),
    ("POST", "/account/password", "", "-AAAAAAAAAAAAA"),
    ("POST", "/account/totp", "", "-AAAAAAAAAAAAA"),
    ("POST", "/account/totp/confirm", "", "-AAAAAAAAAAAAA"),
    ("GET", "/assets/entry.js", "", "AAAAAAAAAAAAAA"),
    ("GET", "/login", "", "AAAAAAAAAAAAAA"),
    ("POST", "/login", "", "AAAAAAAAAAAAAA"),
    ("POST", "/logout", "", "-AAAAAAAAAAAAA"),
    ("GET", "/lang/{code}", "", "AAAAAAAAAAAAAA"),
    ("GET", "/admin/users", "", "-------A------"),
    ("POST", "/admin/users", "", "-------A------"),
    ("GET", "/admin/users/{username}", "", "-------A------"),
    ("POST", "/admin/users/{username}/{action}", "", "-------A------"),
    ("GET", "/admin/courts", "", "-------A------"),
    ("POST", "/admin/courts", "", "-------A------"),
    ("GET", "/admin/tokens", "", "-------A------"),
    ("POST", "/admin/tokens", "", "-------A------"),
    ("POST", "/admin/tokens/{id}/revoke", "", "-------A------"),
    ("GET", "/healthz", "", "AAAAAAAAAAAAAA"),
    ("GET", "/assets/liuhen.css", "", "AAAAAAAAAAAAAA"),
    ("GET", "/api/openapi.json", "", "AAAAAAAAAAAAAA"),
    // Single sign-on is not configured in this fixture, so it answers 404 to all; tests/oidc.rs
    // runs it configured.
    ("GET", "/auth/oidc/login", "", "--------------"),
    ("GET", "/auth/oidc/callback", "", "--------------"),
    ("POST", "/api/v1/session", "", "AAAAAAAAAAAAAA"),
    ("DELETE", "/api/v1/session", "", "AAAAAAAAAAAAAA"),
    ("GET", "/api/v1/me", "", "-AAAAAAAAAAAAA"),
    ("POST", "/api/v1/me/password", "", "-AAAAAAAAAAAAA"),
    ("POST", "/api/v1/me/totp", "", "-AAAAAAAAAAAAA"),
    ("POST", "/api/v1/me/totp/confirm", "", "-AAAAAAAAAAAAA"),
    ("GET", "/api/v1/lists", "", "AAAAAAAAAAAAAA"),
    ("GET", "/api/v1/courts", "", "-AAAAAAAAAAAAA"),
    ("GET", "/api/v1/case-numbers/{case_number}", "", "-AAAAAAAAAAAAA"),
    ("POST", "/api/v1/records", "", "-AAAAAA---AAA-"),
    ("GET", "/api/v1/records", "", "-AAAAAA---AAA-"),
    ("GET", "/api/v1/records/{id}", "", "-AA-A-A-------"),
    ("GET", "/api/v1/records/{id}/views", "", "-A--A-A-------"),
    ("POST", "/api/v1/records/{id}/amendments", "", "-A------------"),
    ("POST", "/api/v1/records/{id}/cosign", "", "--A-----------"),
    ("POST", "/api/v1/records/{id}/dispute", "", "--A-----------"),
    ("POST", "/api/v1/records/{id}/materials", "", "-A------------"),
    ("GET", "/api/v1/cosign-inbox", "", "-AAAAAA---AAA-"),
    ("GET", "/api/v1/materials/{id}", "", "-AA-A-A-------"),
    ("GET", "/api/v1/records/{id}/receipt", "", "-A------------"),
    ("GET", "/api/v1/log/receipts/{index}", "", "-A------------"),
    ("GET", "/api/v1/log/extension", "", "-AAAAAAAAAAAA-"),
    ("GET", "/api/v1/log/key", "", "AAAAAAAAAAAAAA"),
    ("GET", "/log/checkpoint", "", "-AAAAAAAAAAAA-"),
    ("GET", "/log/tile/{*path}", "hash tile", "-AAAAAAAAAAAA-"),
    ("GET", "/log/tile/{*path}", "entry bundle", "--------A-----"),
    ("GET", "/api/v1/log/status", "", "-AAAAAAAAAAAAA"),
    ("POST", "/witness/add-checkpoint", "", "AAAAAAAAAAAAAA"),
    ("GET", "/api/v1/witness/alerts", "", "-AAAAAA-AAAAAA"),
    ("GET", "/api/v1/witness/logs", "", "-AAAAAAAAAAAAA"),
    // Issue 8. Ids here are the record's: a finding, complaint, check or contact of that id does
    // not exist, so those rows refuse all; tests/accountability.rs runs them against real ones.
    ("GET", "/api/v1/records/{id}/handling", "", "----A-A-------"),
    ("POST", "/api/v1/records/{id}/screenings", "", "----A---------"),
    ("POST", "/api/v1/records/{id}/checks", "", "----A---------"),
    ("POST", "/api/v1/checks/{id}/conclusion", "", "--------------"),
    ("POST", "/api/v1/records/{id}/outcomes", "", "----A---------"),
    ("GET", "/api/v1/findings", "", "-AAAAAAAAAAAAA"),
    ("POST", "/api/v1/findings", "", "------A-------"),
    ("GET", "/api/v1/findings/proposal", "", "------A-------"),
    ("GET", "/api/v1/findings/{id}", "", "--------------"),
    ("POST", "/api/v1/findings/{id}/appeal", "", "--------------"),
    ("POST", "/api/v1/findings/{id}/decision", "", "--------------"),
    ("GET", "/api/v1/complaints", "", "-AAAAAAAAAAAAA"),
    // Any member of staff may complain; the court above's staff get "no court above" (409).
    ("POST", "/api/v1/complaints", "", "-AAAAAA-AAAAA-"),
    ("GET", "/api/v1/complaints/{id}", "", "--------------"),
    ("POST", "/api/v1/complaints/{id}/steps", "", "--------------"),
    ("POST", "/api/v1/zero-reports", "", "-AAAAAA---AAA-"),
    ("GET", "/api/v1/filing", "", "----A-A----AA-"),
    ("POST", "/api/v1/filing/reminders", "", "----A-A----AA-"),
    ("GET", "/api/v1/timeliness", "", "----A-A----AA-"),
    ("GET", "/api/v1/contacts", "", "----A-A----AA-"),
    ("POST", "/api/v1/contacts", "", "-AAA------A---"),
    ("POST", "/api/v1/contacts/{id}/answer", "", "--------------"),
    ("GET", "/api/v1/cadres", "", "----A-A----AA-"),
    // The fixture's cadre is named in both basic courts (other_court records a letter above):
    // each court's readers see their own court's entries, the court above both.
    ("GET", "/api/v1/cadres/history", "", "----A-A----AA-"),
    ("POST", "/api/v1/cadres/merges", "", "----A------AA-"),
    ("GET", "/filing", "", "-AAAAAAAAAAAAA"),
    ("POST", "/filing/zero-report", "", "-AAAAAA---AAA-"),
    ("POST", "/filing/reminders", "", "----A-A----AA-"),
    ("POST", "/filing/contacts/{id}/answer", "", "--------------"),
    ("GET", "/findings", "", "-AAAAAAAAAAAAA"),
    ("POST", "/findings", "", "------A-------"),
    ("POST", "/findings/{id}/appeal", "", "--------------"),
    ("POST", "/findings/{id}/decision", "", "--------------"),
    ("GET", "/complaints", "", "-AAAAAAAAAAAAA"),
    ("POST", "/complaints", "", "-AAAAAA-AAAAA-"),
    ("POST", "/complaints/{id}/steps", "", "--------------"),
    ("GET", "/cadres", "", "----A-A----AA-"),
    ("GET", "/cadres/history", "", "----A-A----AA-"),
    ("GET", "/cadres/history.csv", "", "----A-A----AA-"),
    ("POST", "/cadres/merges", "", "----A------AA-"),
];

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// What a route needs: a fresh record of `clerk` with `judge_a` present, and one material on it.
struct Fixture {
    record: String,
    seq: i64,
    material: String,
    /// A live API token of judge_b's, for the revoke form.
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
        app.store.console().issue_token("judge_b", "route test", &["log.tiles".into()], None).await.unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_against_every_role() {
    let app = common::spawn_app().await;
    for (name, court, role) in [
        ("leader", "basic1", Role::CourtLeader),
        ("inspector", "basic1", Role::DisciplineInspector),
        ("auditor", "high", Role::Auditor),
        ("witness", "high", Role::Witness),
        ("other_office", "basic2", Role::StoreMaintainer),
        ("upper_office", "high", Role::StoreMaintainer),
        ("recipient", "basic1", Role::ReportRecipient),
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
    let table: BTreeSet<(String, String)> = TABLE.iter().map(|(m, r, _, _)| (m.to_string(), r.to_string())).collect();
    assert_eq!(served, table, "every route and method the router serves has a row in TABLE, and no more");

    let mut tokens: BTreeMap<&str, String> = BTreeMap::new();
    let mut wrong = Vec::new();
    for (method, route, variant, allowed) in TABLE {
        for (who, expect) in WHO.iter().zip(allowed.chars()) {
            if *who != "anonymous" && !tokens.contains_key(who) {
                tokens.insert(who, app.token(who).await);
            }
            let clerk = match tokens.get("clerk") {
                Some(t) => t.clone(),
                None => app.token("clerk").await,
            };
            let f = fixture(&app, &clerk).await;
            let path = concrete(route, variant, &f);
            let token = tokens.get(who).map(String::as_str);
            let status = request(&app, method, route, &path, token).await.status().as_u16();
            let refused = matches!(status, 401 | 403 | 404);
            if refused == (expect == 'A') {
                wrong.push(format!("{method} {path} ({variant}) as {who}: {status}, expected {expect}"));
            }
            if (*method, *route) == ("DELETE", "/api/v1/session") {
                tokens.remove(who); // logged out: log in again for the next row
            }
        }
    }
    assert!(wrong.is_empty(), "{} cases disagree with the table:\n{}", wrong.len(), wrong.join("\n"));
}
