//! The quarterly analysis from a store with known contents (issue 6, R8, R11): every number, the
//! routing of an entry on a same-level main leader, a 零报告, the quarter cut in China Standard
//! Time, and who may read it — reading it being itself in the ledger.

mod common;

use liuhen_rules::Role;
use serde_json::{Value, json};

/// A leading cadre's inquiry with the given differences from `common::letter()`.
fn entry(changes: Value) -> Value {
    let mut r = common::letter();
    for (k, v) in changes.as_object().unwrap() {
        if k == "intervener" {
            for (ik, iv) in v.as_object().unwrap() {
                r["intervener"][ik] = iv.clone();
            }
        } else {
            r[k] = v.clone();
        }
    }
    r
}

/// Four leading-cadre entries at basic1 in the first quarter of 2026 (the letter of
/// common::letter is at 2026-03-31 23:30 Beijing time: still the first quarter): two with S7
/// items, one serious, one by phone at the enforcement stage, one on a same-level main leader.
fn first_quarter_entries() -> Vec<Value> {
    vec![
        entry(json!({})),
        entry(json!({"special_items": [1, 4], "serious": true, "handling": "已告知依法办理"})),
        entry(json!({"form": "phone", "persons_present": ["张某"], "court_staff_present": [],
                     "occurred_at": "2026-01-10 10:00", "stage": "enforcement",
                     "case_number": "（2026）示0101执5号", "special_items": []})),
        entry(json!({"intervener": {"name": "李某", "unit": "某市人大常委会", "post": "副主任",
                                    "unit_type": "congress", "managing_level": "provincial"},
                     "same_level_main_leader": true, "occurred_at": "2026-02-01 09:00", "special_items": [7]})),
    ]
}

fn count(list: &Value, code: &str) -> u64 {
    list.as_array().unwrap().iter().find(|c| c["code"] == code).map_or(0, |c| c["count"].as_u64().unwrap())
}

#[tokio::test]
async fn every_number_of_a_quarterly_analysis() {
    let app = common::spawn_app().await;
    app.user("leader", "basic1", Role::CourtLeader).await;
    app.user("high_office", "high", Role::StoreMaintainer).await;
    app.user("clerk2", "basic2", Role::Recorder).await;
    let clerk = app.token("clerk").await;
    let clerk2 = app.token("clerk2").await;

    // The first quarter of 2026 at basic1.
    let q1 = first_quarter_entries().into_iter().chain([
        // Not counted: not a leading cadre; and the S5 register.
        entry(json!({"intervener": {"leading_cadre": false, "managing_level": null}, "special_items": []})),
        entry(json!({"register": "entrusted_opinion", "entrusted_basis": "依本院来函征求意见", "special_items": []})),
    ]);
    for r in &q1.collect::<Vec<_>>() {
        let (status, body) = app.post(&clerk, "/api/v1/records", r).await;
        assert_eq!(status, 201, "{body}");
    }
    // Earlier: 张某 in the fourth quarter of 2025 (a repeat intervener across quarters), and
    // the first quarter of 2025 (the same quarter last year). Later: 2026-04-01 00:00 Beijing time
    // is the second quarter.
    for when in ["2025-11-20 15:00", "2025-02-03 08:00", "2026-04-01 00:00"] {
        let (status, _) = app.post(&clerk, "/api/v1/records", &entry(json!({"occurred_at": when}))).await;
        assert_eq!(status, 201);
    }
    // Also in the fourth quarter: 张某 again, not a leading cadre but acting for one, which
    // counts (S7: a cadre's staff or relatives), among the comparisons and the repeats alike.
    let for_a_cadre = entry(json!({"occurred_at": "2025-12-01 10:00", "special_items": [],
        "intervener": {"leading_cadre": false, "relation": "relative", "managing_level": null,
                       "principal": {"name": "王某", "unit": "某市人民政府", "post": "副市长"}}}));
    let (status, body) = app.post(&clerk, "/api/v1/records", &for_a_cadre).await;
    assert_eq!(status, 201, "{body}");
    // The court next door: counted for the high court, not for basic1.
    let mut other = entry(json!({"case_number": "（2026）示0102民初3号", "occurred_at": "2026-03-01 12:00"}));
    other["intervener"]["name"] = json!("王某");
    assert_eq!(app.post(&clerk2, "/api/v1/records", &other).await.0, 201);

    let office = app.token("office").await;
    let events = app.store.event_count().await.unwrap();
    let (status, report) = app.get(&office, "/api/v1/reports/quarterly?year=2026&quarter=1").await;
    assert_eq!(status, 200, "{report}");
    let a = &report["analysis"];
    assert_eq!(a["label_zh"], "2026年第一季度");
    assert_eq!((a["from"].as_str().unwrap(), a["to"].as_str().unwrap()), ("2026-01-01 00:00", "2026-04-01 00:00"));
    assert_eq!(a["total"], 4, "four leading-cadre entries of the store in the quarter");
    assert_eq!(a["zero_report"], false);
    assert_eq!(a["previous_quarter_total"], 2);
    assert_eq!(a["same_quarter_last_year_total"], 1);
    assert_eq!(a["entries_with_special_items"], 3);
    let items = &a["by_special_item"];
    assert_eq!((count(items, "1"), count(items, "4"), count(items, "7"), count(items, "2")), (2, 1, 1, 0));
    assert_eq!((count(&a["by_unit_type"], "government"), count(&a["by_unit_type"], "congress")), (3, 1));
    assert_eq!((count(&a["by_managing_level"], "municipal"), count(&a["by_managing_level"], "provincial")), (3, 1));
    assert_eq!((count(&a["by_form"], "letter"), count(&a["by_form"], "phone")), (3, 1));
    assert_eq!((count(&a["by_stage"], "trial"), count(&a["by_stage"], "enforcement")), (3, 1));
    assert_eq!(count(&a["by_case_type"], "民初"), 3);
    assert_eq!(count(&a["by_case_type"], "执"), 1);
    assert_eq!((count(&a["by_handling"], "recorded"), count(&a["by_handling"], "missing")), (1, 3));
    assert_eq!(count(&a["by_court"], "basic1"), 4);
    assert_eq!(a["serious"].as_array().unwrap().len(), 1);
    assert_eq!(a["special_items"].as_array().unwrap().len(), 3, "each entry with S7 items, one by one");
    assert_eq!(a["serious"][0]["special_items"], json!([1, 4]));
    // Repeat interveners: 张某 of 某区人民政府, three times this quarter, twice in the last.
    let repeats = a["repeat_interveners"].as_array().unwrap();
    assert_eq!(repeats.len(), 1, "{repeats:?}");
    assert_eq!((repeats[0]["name"].as_str(), repeats[0]["total"].as_u64()), (Some("张某"), Some(6)));
    assert_eq!(repeats[0]["this_quarter"], 3);
    assert_eq!(repeats[0]["quarters"], json!(["2025年第一季度", "2025年第四季度", "2026年第一季度"]));

    // Routing (R8, C7): the report to the same-level committee and the high court; the entry on a
    // same-level main leader, as a separate part, to the committee one level up and the high court.
    let names =
        |v: &Value| v.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(&report["routing"]["main"]), ["示例市甲区党委政法委", "示例省高级人民法院"]);
    assert_eq!(names(&report["routing"]["main_leaders_part"]), ["示例省党委政法委", "示例省高级人民法院"]);
    let main_leaders = a["main_leaders"].as_array().unwrap();
    assert_eq!(main_leaders.len(), 1);
    assert!(main_leaders[0]["intervener"].as_str().unwrap().starts_with("李某"));
    assert!(main_leaders[0]["next_zh"].as_str().unwrap().starts_with("省级党委"), "C7 ¶2: the managing committee");

    // Reading the analysis is in the ledger, and so is reading the entries it shows one by one.
    let log = common::events(&app).await;
    assert_eq!(log.len() as i64, events + 2);
    let kinds: Vec<(&str, &str)> = log.iter().rev().take(2).map(|e| (e.actor.as_str(), e.body.kind())).collect();
    assert_eq!(kinds, [("office", "content_viewed"), ("office", "records_listed")]);

    // The high court sees both courts below, each in the breakdown by court.
    let high = app.token("high_office").await;
    let (_, upper) = app.get(&high, "/api/v1/reports/quarterly?year=2026&quarter=1").await;
    assert_eq!(upper["analysis"]["total"], 5);
    assert_eq!(count(&upper["analysis"]["by_court"], "basic2"), 1);
    assert_eq!(names(&upper["routing"]["main"]), ["示例省党委政法委"], "no court above the high court in this fixture");

    // The leader reads reports; a clerk and the administrator do not.
    let leader = app.token("leader").await;
    assert_eq!(app.get(&leader, "/api/v1/reports/quarterly?year=2026&quarter=1").await.0, 200);
    assert_eq!(app.get(&clerk, "/api/v1/reports/quarterly?year=2026&quarter=1").await.0, 403);
    let admin = app.token("admin").await;
    assert_eq!(app.get(&admin, "/api/v1/reports/quarterly?year=2026&quarter=1").await.0, 403);
    let (status, bad) = app.get(&office, "/api/v1/reports/quarterly?year=2026&quarter=5").await;
    assert_eq!(status, 422);
    assert_eq!(common::problems(&bad), [("quarter".to_string(), "R8".to_string())]);
}

/// The first quarter of 2026's total and the previous quarter's, as `token` reads them.
async fn first_quarter_totals(app: &common::TestApp, token: &str) -> (u64, u64) {
    let (status, report) = app.get(token, "/api/v1/reports/quarterly?year=2026&quarter=1").await;
    assert_eq!(status, 200, "{report}");
    let a = &report["analysis"];
    (a["total"].as_u64().unwrap(), a["previous_quarter_total"].as_u64().unwrap())
}

/// The analysis reads each entry's facts as of its last version (R8, R3): an amendment that moves
/// an entry to another quarter, or makes it no leading cadre's, moves it in the report too; and
/// the facts are derived again from the events alone.
#[tokio::test]
async fn amended_entries_move_in_and_out_of_the_analysis() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let office = app.token("office").await;
    let a = app.create(&clerk, &entry(json!({}))).await;
    let b = app.create(&clerk, &entry(json!({"occurred_at": "2026-02-01 09:00"}))).await;
    assert_eq!(first_quarter_totals(&app, &office).await, (2, 0));

    let amend = |id: &str, record: Value, version: u32| {
        let body = json!({"record": record, "reason": "更正过问时间", "expected_version": version});
        (format!("/api/v1/records/{id}/amendments"), body)
    };
    // A: it happened in December, the quarter before.
    let (path, body) = amend(&a, entry(json!({"occurred_at": "2025-12-15 10:00"})), 1);
    assert_eq!(app.post(&clerk, &path, &body).await.0, 201);
    assert_eq!(first_quarter_totals(&app, &office).await, (1, 1));
    // B: not a leading cadre after all — out of the analysis, still in the store.
    let not_leading = entry(json!({"occurred_at": "2026-02-01 09:00",
        "intervener": {"leading_cadre": false, "managing_level": null}, "special_items": []}));
    let (path, body) = amend(&b, not_leading, 1);
    assert_eq!(app.post(&clerk, &path, &body).await.0, 201);
    assert_eq!(first_quarter_totals(&app, &office).await, (0, 1));
    // And back again.
    let (path, body) = amend(&b, entry(json!({"occurred_at": "2026-03-02 09:00"})), 2);
    assert_eq!(app.post(&clerk, &path, &body).await.0, 201);
    assert_eq!(first_quarter_totals(&app, &office).await, (1, 1));

    let digest = app.store.projection_digest().await.unwrap();
    app.store.rebuild_projections().await.unwrap();
    assert_eq!(app.store.projection_digest().await.unwrap(), digest);
    assert_eq!(first_quarter_totals(&app, &office).await, (1, 1));
}

#[tokio::test]
async fn a_quarter_without_entries_is_a_zero_report() {
    let app = common::spawn_app().await;
    let office = app.token("office").await;
    let events = app.store.event_count().await.unwrap();
    let (status, report) = app.get(&office, "/api/v1/reports/quarterly?year=2026&quarter=2").await;
    assert_eq!(status, 200);
    assert_eq!(report["analysis"]["zero_report"], true);
    assert_eq!(report["analysis"]["total"], 0);
    assert_eq!(app.store.event_count().await.unwrap(), events + 1, "the analysis was read; no entry was shown");
    let mut page = common::Browser::logged_in(&app, "office").await;
    let html = page.get("/reports/quarterly?year=2026&quarter=2").await;
    assert_eq!(html.status, 200);
    assert!(html.body.contains("零报告") && html.body.contains("没有领导干部过问案件的记录"), "{}", html.body);
}

#[tokio::test]
async fn the_analysis_exports_as_a_workbook_with_the_same_numbers() {
    use calamine::{Data, Reader, Xlsx};
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    for r in [entry(json!({})), entry(json!({"form": "email", "storage_medium": "邮件已打印附卷", "serious": true}))]
    {
        assert_eq!(app.post(&clerk, "/api/v1/records", &r).await.0, 201);
    }
    let mut office = common::Browser::logged_in(&app, "office").await;
    let page = office.get("/reports/quarterly?year=2026&quarter=1").await;
    assert!(page.body.contains("/reports/quarterly.xlsx?year=2026&amp;quarter=1"));
    let (status, disposition, bytes) = office.download("/reports/quarterly.xlsx?year=2026&quarter=1").await;
    assert_eq!(status, 200);
    assert!(disposition.contains("quarterly-basic1-2026Q1.xlsx"), "{disposition}");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    for sheet in ["概况", "按专项报告情形", "按过问方式", "按法院", "多次过问人员", "情节严重", "专项报告情形逐条"]
    {
        assert!(names.iter().any(|n| n == sheet), "{sheet} in {names:?}");
    }
    let summary = book.worksheet_range("概况").unwrap();
    let value = |label: &str| {
        summary.rows().find(|r| r[0] == Data::String(label.into())).map(|r| r[1].clone()).unwrap_or(Data::Empty)
    };
    assert_eq!(value("本季度"), Data::Float(2.0));
    assert_eq!(value("主送"), Data::String("示例市甲区党委政法委、示例省高级人民法院".into()));
    let forms = book.worksheet_range("按过问方式").unwrap();
    let of = |name: &str| forms.rows().find(|r| r[0] == Data::String(name.into())).map(|r| r[1].clone());
    assert_eq!(
        (of("信件"), of("电子邮件"), of("电话")),
        (Some(Data::Float(1.0)), Some(Data::Float(1.0)), Some(Data::Float(0.0)))
    );
    let serious = book.worksheet_range("情节严重").unwrap();
    assert_eq!(serious.height(), 2, "the header and the one serious entry");

    // The same numbers as CSV, one line per category.
    assert!(page.body.contains("/reports/quarterly.csv?year=2026&amp;quarter=1"));
    let csv = office.get("/reports/quarterly.csv?year=2026&quarter=1").await;
    assert_eq!(csv.status, 200);
    for line in [
        "合计,2026年第一季度,2",
        "过问方式,信件,1",
        "过问方式,电子邮件,1",
        "过问方式,电话,0",
        "法院,示例市甲区人民法院,2",
    ] {
        assert!(csv.body.lines().any(|l| l == line), "{line} in\n{}", csv.body);
    }
}

#[tokio::test]
async fn a_report_is_drafted_approved_by_another_sealed_and_delivered_up() {
    use sha2::{Digest, Sha256};
    // Leaders may draft here too, to show that a drafter never approves their own report.
    let grants: std::collections::BTreeMap<String, Vec<String>> =
        [("court_leader".to_string(), vec!["report.view".into(), "report.draft".into(), "report.approve".into()])]
            .into();
    let app = common::spawn_app_with(|c| {
        c.permissions = liuhen_rules::PermissionMatrix::with_overrides(&grants).unwrap();
    })
    .await;
    app.user("leader", "basic1", Role::CourtLeader).await;
    app.user("leader2", "basic1", Role::CourtLeader).await;
    app.user("high_office", "high", Role::StoreMaintainer).await;
    app.user("office2", "basic2", Role::StoreMaintainer).await;
    let clerk = app.token("clerk").await;
    assert_eq!(app.post(&clerk, "/api/v1/records", &entry(json!({}))).await.0, 201);

    let mut office = common::Browser::logged_in(&app, "office").await;
    let drafted = office
        .submit(
            "/reports",
            "/reports/quarterly/draft",
            &[("year", "2026"), ("quarter", "1"), ("narrative", "本季度过问一件，已依法处理。")],
        )
        .await;
    assert_eq!(drafted.status, 303, "{}", drafted.body);
    let path = drafted.location.clone();
    let page = office.get(&path).await;
    assert!(page.body.contains("待院领导审批") && page.body.contains("本季度过问一件"), "{}", page.body);
    let id: uuid::Uuid = path.trim_start_matches("/reports/").parse().unwrap();

    // Not yet sent: the court above does not see a draft.
    let mut high = common::Browser::logged_in(&app, "high_office").await;
    assert_eq!(high.get(&path).await.status, 404);

    // The office cannot approve; a leader who drafted cannot approve their own.
    assert_eq!(office.submit(&path, &format!("{path}/approve"), &[]).await.status, 403);
    let mut leader = common::Browser::logged_in(&app, "leader").await;
    let own = leader
        .submit(
            "/reports",
            "/reports/quarterly/draft",
            &[("year", "2026"), ("quarter", "1"), ("narrative", "领导起草")],
        )
        .await;
    let own_path = own.location.clone();
    let refused = leader.submit(&own_path, &format!("{own_path}/approve"), &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("起草人不能审批自己起草的报告"));

    // Another leader approves the office's draft: sealed, with the files' hashes in the ledger.
    let approved = leader.submit(&path, &format!("{path}/approve"), &[]).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    let log = common::events(&app).await;
    let sealed = log
        .iter()
        .find_map(|e| match &e.body {
            liuhen_ledger::EventBody::ReportSealed { report_id, files, .. } if *report_id == id => {
                Some((e.actor.clone(), files.clone()))
            }
            _ => None,
        })
        .expect("a report_sealed entry");
    assert_eq!(sealed.0, "leader");
    let names: Vec<&str> = sealed.1.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["quarterly-basic1-2026Q1.json", "quarterly-basic1-2026Q1.xlsx", "quarterly-basic1-2026Q1.docx"],
        "the content as JSON, the workbook and the official document"
    );
    assert_eq!(leader.submit(&path, &format!("{path}/approve"), &[]).await.status, 409, "sealed once, never again");

    // Delivered: the court above has it in its inbox and gets exactly the files sealed.
    let inbox = high.get("/reports").await;
    assert!(inbox.body.contains(&path), "{}", inbox.body);
    for f in &sealed.1 {
        let (status, _, bytes) = high.download(&format!("{path}/files/{}", f.sha256)).await;
        assert_eq!(status, 200, "{}", f.name);
        assert_eq!(hex::encode(Sha256::digest(&bytes)), f.sha256, "{} matches its hash in the ledger", f.name);
        assert_eq!(bytes.len() as u64, f.size);
    }
    // Another court below the same high court does not see it.
    let mut neighbour = common::Browser::logged_in(&app, "office2").await;
    assert_eq!(neighbour.get(&path).await.status, 404);

    // A correction (R8): the sealed report stays as it was; a new report names it, is approved
    // like any other, and each page points to the other.
    let page = office.get(&path).await;
    assert!(page.body.contains("起草更正报告"), "{}", page.body);
    let wrong_period = office
        .submit(
            &path,
            "/reports/quarterly/draft",
            &[("year", "2026"), ("quarter", "2"), ("supersedes", &id.to_string())],
        )
        .await;
    assert_eq!(wrong_period.status, 409, "a correction is of the same period: {}", wrong_period.body);
    let of_a_draft = office
        .submit(
            &path,
            "/reports/quarterly/draft",
            &[("year", "2026"), ("quarter", "1"), ("supersedes", &own_path[9..])],
        )
        .await;
    assert_eq!(of_a_draft.status, 409, "only a sealed report is corrected: {}", of_a_draft.body);
    let corrected = office
        .submit(
            &path,
            "/reports/quarterly/draft",
            &[
                ("year", "2026"),
                ("quarter", "1"),
                ("supersedes", &id.to_string()),
                ("narrative", "更正：补录一条来信。"),
            ],
        )
        .await;
    assert_eq!(corrected.status, 303, "{}", corrected.body);
    let correction = corrected.location.clone();
    let mut leader2 = common::Browser::logged_in(&app, "leader2").await;
    assert_eq!(leader2.submit(&correction, &format!("{correction}/approve"), &[]).await.status, 303);
    let old_page = office.get(&path).await;
    assert!(old_page.body.contains("已被更正") && old_page.body.contains(&correction[9..]), "{}", old_page.body);
    let new_page = high.get(&correction).await;
    assert!(new_page.body.contains(&format!("/reports/{id}")), "{}", new_page.body);
    let drafted_correction = common::events(&app).await.into_iter().rev().find_map(|e| match e.body {
        liuhen_ledger::EventBody::ReportDrafted { supersedes, .. } => Some(supersedes),
        _ => None,
    });
    assert_eq!(drafted_correction, Some(Some(id)), "the ledger says what it corrects");
    let info = app.store.report(&app.store.user("office").await.unwrap().unwrap(), id).await.unwrap();
    assert_eq!(info.files, sealed.1, "the corrected report's sealed files are as they were");

    // The reports table is a projection like the others: rebuilt from the events, the same.
    let digest = app.store.projection_digest().await.unwrap();
    app.store.rebuild_projections().await.unwrap();
    assert_eq!(app.store.projection_digest().await.unwrap(), digest);
}

#[tokio::test]
async fn verify_checks_the_files_of_sealed_reports() {
    let app = common::spawn_app().await;
    app.user("leader", "basic1", Role::CourtLeader).await;
    let mut office = common::Browser::logged_in(&app, "office").await;
    let drafted = office.submit("/reports", "/reports/quarterly/draft", &[("year", "2026"), ("quarter", "1")]).await;
    let path = drafted.location.clone();
    let mut leader = common::Browser::logged_in(&app, "leader").await;
    assert_eq!(leader.submit(&path, &format!("{path}/approve"), &[]).await.status, 303);
    let report = app.verify(&[]);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.materials, 4, "the content and the three files sent (JSON, XLSX, DOCX)");

    // A file sent, replaced on disk: found.
    let id: uuid::Uuid = path.trim_start_matches("/reports/").parse().unwrap();
    let info = app.store.report(&app.store.user("office").await.unwrap().unwrap(), id).await.unwrap();
    let file = app.store.material_store().file_path(&info.files[1].sha256);
    std::fs::write(&file, b"another workbook").unwrap();
    let report = app.verify(&[]);
    assert!(!report.ok);
    assert!(report.faults[0].en.contains("replaced or damaged"), "{:?}", report.faults);
}

#[tokio::test]
async fn an_immediate_report_goes_up_level_by_level_to_the_supreme_court() {
    use liuhen_rules::CourtLevel;
    use liuhen_store::NewCourt;
    // Every waiting step is overdue at once, to see it shown.
    let app = common::spawn_app_with(|c| c.policy.immediate_step_hours = 0).await;
    for (id, name, level, parent, code) in [
        ("spc", "最高人民法院", CourtLevel::Supreme, None, "最高法"),
        ("high9", "示例省高级人民法院（二）", CourtLevel::High, Some("spc"), "示9"),
        ("mid9", "示例市中级人民法院", CourtLevel::Intermediate, Some("high9"), "示91"),
        ("basic9", "示例市丙区人民法院", CourtLevel::Basic, Some("mid9"), "示9101"),
    ] {
        app.store.console().add_court(&NewCourt::new(id, name, level, parent, code)).await.unwrap();
    }
    for (user, court, role) in [
        ("clerk9", "basic9", Role::Recorder),
        ("office9", "basic9", Role::StoreMaintainer),
        ("leader9", "basic9", Role::CourtLeader),
        ("mid_office", "mid9", Role::StoreMaintainer),
        ("high_office9", "high9", Role::StoreMaintainer),
        ("spc_office", "spc", Role::StoreMaintainer),
    ] {
        app.user(user, court, role).await;
    }
    let clerk = app.token("clerk9").await;
    let mut serious = entry(json!({"serious": true, "case_number": "（2026）示9101民初7号"}));
    serious["handling"] = json!("已拒绝并记录");
    let (status, created) = app.post(&clerk, "/api/v1/records", &serious).await;
    assert_eq!(status, 201, "{created}");
    let record = format!("/records/{}", created["record_id"].as_str().unwrap());
    let (_, plain) = app.post(&clerk, "/api/v1/records", &entry(json!({"case_number": "（2026）示9101民初8号"}))).await;

    let mut office = common::Browser::logged_in(&app, "office9").await;
    let page = office.get(&record).await;
    assert!(page.body.contains("起草立即报告"), "{}", page.body);
    let refused = office
        .submit(&record, "/reports/immediate/draft", &[("record_id", plain["record_id"].as_str().unwrap())])
        .await;
    assert_eq!(refused.status, 422, "only serious entries");
    let drafted = office
        .submit(&record, "/reports/immediate/draft", &[("record_id", &record[9..]), ("narrative", "请上级法院关注")])
        .await;
    assert_eq!(drafted.status, 303, "{}", drafted.body);
    let report = drafted.location.clone();

    let mut leader = common::Browser::logged_in(&app, "leader9").await;
    assert_eq!(leader.submit(&report, &format!("{report}/approve"), &[]).await.status, 303);

    // Level by level: the high court cannot acknowledge before the intermediate court.
    let mut high = common::Browser::logged_in(&app, "high_office9").await;
    let early = high.submit(&report, &format!("{report}/acknowledge"), &[]).await;
    assert_eq!(early.status, 409, "{}", early.body);
    let mut mid = common::Browser::logged_in(&app, "mid_office").await;
    let page = mid.get(&report).await;
    assert!(page.body.contains("确认接收并报上一级"), "{}", page.body);
    assert_eq!(mid.submit(&report, &format!("{report}/acknowledge"), &[]).await.status, 303);

    // The chain on the entry's page: the intermediate court acknowledged, the high court waiting
    // and overdue; the level above sees the waiting step too.
    let page = office.get(&record).await;
    assert!(page.body.contains("示例市中级人民法院：已确认"), "{}", page.body);
    assert!(page.body.contains("示例省高级人民法院（二）：待确认") && page.body.contains("已逾期"), "{}", page.body);
    let mut spc = common::Browser::logged_in(&app, "spc_office").await;
    let above = spc.get(&report).await;
    assert!(above.body.contains("已逾期") && !above.body.contains("确认接收并报上一级"), "{}", above.body);

    assert_eq!(high.submit(&report, &format!("{report}/acknowledge"), &[]).await.status, 303);
    assert_eq!(spc.submit(&report, &format!("{report}/acknowledge"), &[]).await.status, 303);
    assert_eq!(spc.submit(&report, &format!("{report}/acknowledge"), &[]).await.status, 409, "once");
    let acks: Vec<String> = common::events(&app)
        .await
        .iter()
        .filter_map(|e| match &e.body {
            liuhen_ledger::EventBody::ReportAcknowledged { court_id, .. } => Some(court_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(acks, ["mid9", "high9", "spc"], "up to the Supreme People's Court, in order");

    // Sealed with an official document for the court directly above, numbered and signed.
    let office_user = app.store.user("office9").await.unwrap().unwrap();
    let sealed = app.store.report(&office_user, report.trim_start_matches("/reports/").parse().unwrap()).await.unwrap();
    let names: Vec<&str> = sealed.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[1].starts_with("immediate-basic9-") && names[1].ends_with(".docx"), "{names:?}");

    // What went up names no court staff.
    let id: uuid::Uuid = report.trim_start_matches("/reports/").parse().unwrap();
    let spc_user = app.store.user("spc_office").await.unwrap().unwrap();
    let info = app.store.report(&spc_user, id).await.unwrap();
    let content =
        String::from_utf8(app.store.report_object(&spc_user, id, &info.content_sha256).await.unwrap()).unwrap();
    assert!(
        content.contains("已拒绝并记录") && !content.contains("clerk9") && !content.contains("office9"),
        "{content}"
    );
}

#[tokio::test]
async fn a_draft_notification_names_the_cadre_and_no_court_staff() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let mut r = entry(json!({"c8_kind": 1, "form": "in_person", "place": "某区人民政府会议室",
                            "persons_present": ["张某", "测试judge_a"], "court_staff_present": ["judge_a"]}));
    r["content"] = json!("当着测试judge_a和clerk的面要求对某某有限公司从轻处理");
    let (status, created) = app.post(&clerk, "/api/v1/records", &r).await;
    assert_eq!(status, 201, "{created}");
    let id = created["record_id"].as_str().unwrap();
    let (_, plain) = app.post(&clerk, "/api/v1/records", &entry(json!({}))).await;

    let mut office = common::Browser::logged_in(&app, "office").await;
    let record = office.get(&format!("/records/{id}")).await;
    assert!(record.body.contains(&format!("/reports/notification/{id}")));
    let n = office.get(&format!("/reports/notification/{id}")).await;
    assert_eq!(n.status, 200, "{}", n.body);
    let article = &n.body[n.body.find("<article").unwrap()..];
    assert!(article.contains("关于某区人民政府副区长张某干预司法活动情况的通报（草稿）"), "{article}");
    assert!(article.contains("第八条第（一）项") && article.contains("从轻处理"), "{article}");
    for staff in ["测试judge_a", "judge_a", "clerk", "测试clerk"] {
        assert!(!article.contains(staff), "{staff} removed: {article}");
    }
    assert!(article.contains("当着法院工作人员和法院工作人员的面"), "{article}");
    let none = office.get(&format!("/reports/notification/{}", plain["record_id"].as_str().unwrap())).await;
    assert_eq!(none.status, 422, "no C8 kind, no notification");
    // A recorder does not see reports.
    let mut clerk_page = common::Browser::logged_in(&app, "clerk").await;
    assert_eq!(clerk_page.get(&format!("/reports/notification/{id}")).await.status, 403);
}

#[tokio::test]
async fn the_high_court_reports_the_half_year_over_its_courts() {
    let app = common::spawn_app().await;
    app.user("high_office", "high", Role::StoreMaintainer).await;
    app.user("clerk2", "basic2", Role::Recorder).await;
    let clerk = app.token("clerk").await;
    let clerk2 = app.token("clerk2").await;
    // 2026-06-30 23:30 Beijing time is the first half; 2026-07-01 00:00 the second.
    for (token, when) in [(&clerk, "2026-02-01 10:00"), (&clerk, "2026-06-30 23:30"), (&clerk, "2026-07-01 00:00")] {
        assert_eq!(app.post(token, "/api/v1/records", &entry(json!({"occurred_at": when}))).await.0, 201);
    }
    let mut other = entry(json!({"case_number": "（2026）示0102民初3号", "occurred_at": "2026-05-05 09:00"}));
    other["intervener"]["name"] = json!("王某");
    assert_eq!(app.post(&clerk2, "/api/v1/records", &other).await.0, 201);

    let mut high = common::Browser::logged_in(&app, "high_office").await;
    let page = high.get("/reports/half-year?year=2026&half=1").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("2026年上半年") && page.body.contains("示例省党委政法委"), "{}", page.body);
    assert!(page.body.contains("示例市甲区人民法院") && page.body.contains("示例市乙区人民法院"), "by court");
    let total = page.body.split("本半年").nth(1).and_then(|t| t.split("条").next()).unwrap_or_default().to_string();
    assert!(total.contains('3'), "three entries in the first half over both courts: {total}");
    // Inspections of courts below (督促检查) are recorded and go into the report.
    let half = "/reports/half-year?year=2026&half=1";
    let inspection = [
        ("inspected_court", "basic2"),
        ("inspected_on", "2026-05-20"),
        ("subject", "专库录入及时性"),
        ("findings", "抽查十件，均已及时录入"),
        ("year", "2026"),
        ("half", "1"),
    ];
    let recorded = high.submit(half, "/reports/inspections", &inspection).await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let mut own = inspection;
    own[0] = ("inspected_court", "high");
    assert_eq!(high.submit(half, "/reports/inspections", &own).await.status, 422, "a court below, not itself");
    assert!(high.get(half).await.body.contains("抽查十件，均已及时录入"));
    assert!(common::events(&app).await.iter().any(|e| e.body.kind() == "inspection_recorded"));
    let drafted = high
        .submit(
            "/reports/half-year?year=2026&half=1",
            "/reports/half-year/draft",
            &[("year", "2026"), ("half", "1"), ("narrative", "上半年辖区两家法院均已落实。")],
        )
        .await;
    assert_eq!(drafted.status, 303, "{}", drafted.body);
    let report = high.get(&drafted.location).await;
    assert!(report.body.contains("专库录入及时性"), "the inspection is in the report: {}", report.body);
    assert!(
        report.body.contains("2026年上半年") && report.body.contains("上半年辖区两家法院均已落实"),
        "{}",
        report.body
    );

    // A basic court makes no half-year report.
    let mut office = common::Browser::logged_in(&app, "office").await;
    assert_eq!(office.get("/reports/half-year?year=2026&half=1").await.status, 403);
}

/// Runs a command of the document tools, saying what to install when it is missing.
fn run_tool(program: &str, args: &[&str], dir: &std::path::Path) -> String {
    let out = std::process::Command::new(program).args(args).current_dir(dir).output().unwrap_or_else(|e| {
        panic!("{program} is needed to check the documents ({e}): run ./scripts/test, which installs libreoffice-writer, libreoffice-calc and poppler-utils")
    });
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The sealed report's DOCX and XLSX open in LibreOffice (converted to PDF, then to PNG pages by
/// pdftoppm) and read as an official document: issuer, 发文字号, 签发人, title, addressees, body
/// with its numbers, chart, 附件, date and page number; the part on same-level main leaders is a
/// document of its own to its own addressees. `LIUHEN_SCREENSHOTS` keeps the pages.
#[tokio::test]
async fn the_sealed_report_is_an_official_document_that_libreoffice_opens() {
    let app = common::spawn_app().await;
    app.user("leader", "basic1", Role::CourtLeader).await;
    let clerk = app.token("clerk").await;
    for r in first_quarter_entries() {
        assert_eq!(app.post(&clerk, "/api/v1/records", &r).await.0, 201);
    }
    let mut office = common::Browser::logged_in(&app, "office").await;
    // The quarterly page draws its breakdowns as SVG charts.
    let page = office.get("/reports/quarterly?year=2026&quarter=1").await;
    assert!(page.body.contains("<svg") && page.body.contains("按过问人单位类别"), "{}", page.body);
    let drafted = office
        .submit(
            "/reports",
            "/reports/quarterly/draft",
            &[("year", "2026"), ("quarter", "1"), ("narrative", "本季度过问多为来信。\n建议加强宣传。")],
        )
        .await;
    let path = drafted.location.clone();
    let mut leader = common::Browser::logged_in(&app, "leader").await;
    assert_eq!(leader.submit(&path, &format!("{path}/approve"), &[]).await.status, 303);
    let id: uuid::Uuid = path.trim_start_matches("/reports/").parse().unwrap();
    let viewer = app.store.user("office").await.unwrap().unwrap();
    let info = app.store.report(&viewer, id).await.unwrap();
    let names: Vec<&str> = info.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(names[3], "quarterly-basic1-2026Q1-main-leaders.docx");

    // Each file under its own stem, as the PDFs take the stem's name; with them the office's
    // unnumbered draft from the quarterly page.
    let dir = tempfile::tempdir().unwrap();
    let (status, _, draft) = office.download("/reports/quarterly.docx?year=2026&quarter=1").await;
    assert_eq!(status, 200);
    std::fs::write(dir.path().join("draft.docx"), draft).unwrap();
    let mut local = vec!["draft.docx".to_string()];
    for f in &info.files[1..] {
        let bytes = app.store.report_object(&viewer, id, &f.sha256).await.unwrap();
        let name = f.name.replace(".xlsx", "-workbook.xlsx");
        std::fs::write(dir.path().join(&name), bytes).unwrap();
        local.push(name);
    }
    let profile = format!("-env:UserInstallation=file://{}/lo-profile", dir.path().display());
    let mut args = vec![profile.as_str(), "--headless", "--convert-to", "pdf", "--outdir", "."];
    args.extend(local.iter().map(String::as_str));
    run_tool("soffice", &args, dir.path());

    let year = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8)).year();
    let main = run_tool("pdftotext", &["-layout", "quarterly-basic1-2026Q1.pdf", "-"], dir.path());
    let flat: String = main.split_whitespace().collect();
    for part in [
        "示例市甲区人民法院".to_string(),
        format!("示0101法〔{year}〕1号"),
        "签发人：测试leader".to_string(),
        "示例市甲区人民法院关于2026年第一季度领导干部过问案件情况的报告".to_string(),
        "示例市甲区党委政法委、示例省高级人民法院：".to_string(),
        "一、基本情况".to_string(),
        "专库共记录领导干部过问案件情况4条".to_string(),
        "涉及同级党委、政法委主要领导的1条，已另行单独报送".to_string(),
        "二、分类情况".to_string(),
        "按第七条专项报告情形".to_string(),
        "多次过问的人员".to_string(),
        "建议加强宣传。".to_string(),
        "特此报告。".to_string(),
        "附件：1.领导干部过问案件情况分类统计表".to_string(),
        "—1—".to_string(),
    ] {
        assert!(flat.contains(&part), "the document lacks {part}:\n{main}");
    }
    assert!(!flat.contains("草稿"), "a sealed report is no draft");
    // The charts are pictures in the document.
    let images = run_tool("pdfimages", &["-list", "quarterly-basic1-2026Q1.pdf"], dir.path());
    assert!(images.lines().count() >= 2 + 3, "three charts at least:\n{images}");

    let draft: String = run_tool("pdftotext", &["draft.pdf", "-"], dir.path()).split_whitespace().collect();
    assert!(draft.contains("草稿") && draft.contains("（未编号）") && !draft.contains("签发人"), "{draft}");
    let part = run_tool("pdftotext", &["quarterly-basic1-2026Q1-main-leaders.pdf", "-"], dir.path());
    let part: String = part.split_whitespace().collect();
    assert!(part.contains("示例省党委政法委、示例省高级人民法院：") && part.contains("李某"), "{part}");
    let workbook = run_tool("pdftotext", &["quarterly-basic1-2026Q1-workbook.pdf", "-"], dir.path());
    assert!(workbook.contains("统计期间"), "{workbook}");

    // Pages as pictures: what a reader sees.
    run_tool("pdftoppm", &["-png", "-r", "60", "quarterly-basic1-2026Q1.pdf", "report-docx"], dir.path());
    run_tool(
        "pdftoppm",
        &["-png", "-r", "60", "-f", "1", "-l", "1", "quarterly-basic1-2026Q1-workbook.pdf", "report-xlsx"],
        dir.path(),
    );
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    pages.sort();
    assert!(pages.len() >= 3, "{pages:?}");
    for png in &pages {
        assert!(std::fs::metadata(png).unwrap().len() > 5_000, "{} is a page with content", png.display());
    }
    if let Ok(shots) = std::env::var("LIUHEN_SCREENSHOTS") {
        for png in &pages {
            std::fs::copy(png, std::path::Path::new(&shots).join(png.file_name().unwrap())).unwrap();
        }
    }
}

/// S11, R19: a high court's additions to the routing, from the configuration: a recipient for the
/// reports of its basic courts, one for every separate part, and a committee by its proper name.
/// The rules of R8 and C7 stay as they are.
#[tokio::test]
async fn a_high_court_extends_the_routing_by_configuration() {
    let toml = r#"
        [report_routing.committee_names]
        basic1 = "中共示例市甲区委政法委员会"
        [[report_routing.extra]]
        court = "high"
        levels = ["basic"]
        name = "示例省纪委监委驻省高级人民法院纪检监察组"
        [[report_routing.extra]]
        court = "high"
        part = "main_leaders"
        name = "示例省委组织部"
    "#;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("liuhen.toml");
    std::fs::write(&file, toml).unwrap();
    let rules = liuhen::config::Settings::load(Some(&file)).unwrap().report_routing;
    let app = common::spawn_app_full(
        tempfile::tempdir().unwrap(),
        true,
        |_| {},
        |s| {
            s.report_routing = std::sync::Arc::new(rules);
        },
    )
    .await;
    app.user("high_office", "high", Role::StoreMaintainer).await;
    let names =
        |v: &Value| v.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let office = app.token("office").await;
    let (_, report) = app.get(&office, "/api/v1/reports/quarterly?year=2026&quarter=1").await;
    assert_eq!(
        names(&report["routing"]["main"]),
        ["中共示例市甲区委政法委员会", "示例省高级人民法院", "示例省纪委监委驻省高级人民法院纪检监察组"]
    );
    assert_eq!(
        names(&report["routing"]["main_leaders_part"]),
        ["示例省党委政法委", "示例省高级人民法院", "示例省委组织部"]
    );
    // The high court's own report is not a basic court's: only the rule for every level applies.
    let high = app.token("high_office").await;
    let (_, report) = app.get(&high, "/api/v1/reports/quarterly?year=2026&quarter=1").await;
    assert_eq!(names(&report["routing"]["main"]), ["示例省党委政法委"]);
    assert_eq!(names(&report["routing"]["main_leaders_part"]), ["示例省党委政法委", "示例省委组织部"]);
}

/// A rule made by a court that is not a high court, or naming none, stops the server at start
/// with the field and the reason.
#[test]
fn the_server_refuses_routing_rules_that_name_the_wrong_courts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("liuhen.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {data:?}\nlisten = \"127.0.0.1:0\"\n[[report_routing.extra]]\ncourt = \"basic1\"\nname = \"某组\"\n[[report_routing.extra]]\ncourt = \"nowhere\"\nname = \"某组\"\n"
        ),
    )
    .unwrap();
    let liuhen = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap()
    };
    for args in [
        ["court-add", "--id", "high", "--name", "示例省高级人民法院", "--level", "high", "--code", "示"].as_slice(),
        &[
            "court-add",
            "--id",
            "basic1",
            "--name",
            "示例市甲区人民法院",
            "--level",
            "basic",
            "--parent",
            "high",
            "--code",
            "示0101",
        ],
    ] {
        let out = liuhen(args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = liuhen(&["serve"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("报送规则配置有误"), "{said}");
    assert!(said.contains("report_routing.extra[0].court") && said.contains("不是高级人民法院"), "{said}");
    assert!(said.contains("report_routing.extra[1].court") && said.contains("没有编号为 nowhere 的法院"), "{said}");
}

/// A quarter larger than one ledger entry can list (64 KiB holds about 1,600 ids): the reading is
/// written as several `records_listed` entries that together name every entry shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_quarter_is_logged_as_read_in_several_entries() {
    let app = common::spawn_app().await;
    let clerk = app.store.user("clerk").await.unwrap().unwrap();
    let draft: liuhen_rules::RecordDraft = serde_json::from_value(entry(json!({}))).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, clerk, draft) = (app.store.clone(), clerk.clone(), draft.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..300 {
                store.create_record(&clerk, &draft, "test", None, None).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let office = app.token("office").await;
    let before = app.store.event_count().await.unwrap();
    let (status, report) = app.get(&office, "/api/v1/reports/quarterly?year=2026&quarter=1").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["analysis"]["total"], 2400);
    let listed: Vec<usize> = common::events(&app)
        .await
        .iter()
        .skip(before as usize)
        .filter_map(|e| match &e.body {
            liuhen_ledger::EventBody::RecordsListed { record_ids, .. } => Some(record_ids.len()),
            _ => None,
        })
        .collect();
    assert_eq!(listed.iter().sum::<usize>(), 2400, "{listed:?}");
    assert!(listed.len() >= 3, "{listed:?}");
}

/// Two leaders approving at the same moment: each sealed document gets a number of its own
/// (发文字号 counts the court's sealed reports of the year).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_at_the_same_moment_number_their_documents_apart() {
    let app = common::spawn_app().await;
    app.user("leader", "basic1", Role::CourtLeader).await;
    app.user("leader2", "basic1", Role::CourtLeader).await;
    let mut office = common::Browser::logged_in(&app, "office").await;
    let mut drafts = Vec::new();
    for quarter in ["1", "2"] {
        let drafted =
            office.submit("/reports", "/reports/quarterly/draft", &[("year", "2026"), ("quarter", quarter)]).await;
        assert_eq!(drafted.status, 303, "{}", drafted.body);
        drafts.push(drafted.location);
    }
    let mut a = common::Browser::logged_in(&app, "leader").await;
    let mut b = common::Browser::logged_in(&app, "leader2").await;
    let approve: Vec<String> = drafts.iter().map(|d| format!("{d}/approve")).collect();
    let (first, second) = tokio::join!(a.submit(&drafts[0], &approve[0], &[]), b.submit(&drafts[1], &approve[1], &[]));
    assert_eq!((first.status, second.status), (303, 303));
    let viewer = app.store.user("office").await.unwrap().unwrap();
    let mut numbers = Vec::new();
    for path in &drafts {
        let info = app.store.report(&viewer, path.trim_start_matches("/reports/").parse().unwrap()).await.unwrap();
        let docx = info.files.iter().find(|f| f.name.ends_with(".docx")).unwrap();
        let bytes = app.store.report_object(&viewer, info.id, &docx.sha256).await.unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
        let at = xml.find("示0101法〔").expect("a document number");
        numbers.push(xml[at..].split('<').next().unwrap().to_string());
    }
    let year = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8)).year();
    numbers.sort();
    assert_eq!(numbers, [format!("示0101法〔{year}〕1号"), format!("示0101法〔{year}〕2号")]);
}
