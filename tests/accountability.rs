//! Holding to account and protecting (issue 8; R14–R17, S8, S9): findings and their sanction
//! tiers, retaliation complaints the own court cannot see, zero reports, late entries, cross-checks
//! of the case system's contacts, cadre histories with merges, screening and checks — through the
//! HTTP API, on whichever backend the suite runs.

mod common;

use common::{TestApp, letter, problems, spawn_app, spawn_app_with};
use liuhen_rules::accountability::{period_bounds, period_code, previous_period};
use liuhen_rules::{ReportingCycle, Role};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

fn rfc3339(t: OffsetDateTime) -> String {
    liuhen_rules::period::format_utc(t)
}

fn finding(subject: &str, kind: &str, decided: &str) -> Value {
    json!({"subject": subject, "kind": kind, "decided": decided, "facts": "2026年5月接到某区人民政府张某来电过问案件，未录入专库"})
}

async fn event_kinds(app: &TestApp) -> Vec<String> {
    common::events(app).await.iter().map(|e| e.body.kind().to_string()).collect()
}

#[tokio::test]
async fn the_sanction_follows_the_persons_standing_findings_and_appeals_delete_nothing() {
    let app = spawn_app().await;
    let inspector = app.user("inspector", "basic1", Role::DisciplineInspector).await;
    let inspector2 = app.user("inspector2", "basic1", Role::DisciplineInspector).await;
    app.user("leader", "basic1", Role::CourtLeader).await;
    let clerk = app.token("clerk").await;

    // Only discipline inspection records findings (R14).
    let (status, _) = app.post(&clerk, "/api/v1/findings", &finding("judge_a", "not_recorded", "warning")).await;
    assert_eq!(status, 403);

    // First finding: warning or notice of criticism (S8).
    let (status, first) = app.post(&inspector, "/api/v1/findings", &finding("clerk", "not_recorded", "warning")).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["prior_standing"], 0);
    assert_eq!(first["proposed"], json!(["warning", "criticism"]));
    assert_eq!(first["decided"], "warning");

    // Second: art. 54. A decision the rule does not propose needs a reason.
    let (_, proposal) = app.get(&inspector, "/api/v1/findings/proposal?subject=clerk&kind=recorded_untruthfully").await;
    assert_eq!(proposal["allowed"], json!(["discipline_art54"]), "{proposal}");
    assert!(proposal["basis_zh"].as_str().unwrap().contains("第五十四条"));
    let (status, refused) =
        app.post(&inspector, "/api/v1/findings", &finding("clerk", "recorded_untruthfully", "criticism")).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(problems(&refused), [("decision_reason".to_string(), "R14".to_string())]);
    let (status, second) =
        app.post(&inspector, "/api/v1/findings", &finding("clerk", "recorded_untruthfully", "discipline_art54")).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!((second["prior_standing"].as_i64(), &second["proposed"]), (Some(1), &json!(["discipline_art54"])));

    // The supervisor who instructed: art. 76, first time or not.
    let (status, instructed) = app
        .post(&inspector, "/api/v1/findings", &finding("leader", "instructed_not_to_record", "discipline_art76"))
        .await;
    assert_eq!(status, 201, "{instructed}");
    assert_eq!(instructed["proposed"], json!(["discipline_art76"]));

    // Bad input names every field.
    let (status, bad) =
        app.post(&inspector, "/api/v1/findings", &json!({"subject": "nobody", "kind": "x", "decided": "y"})).await;
    assert_eq!(status, 422);
    let fields: Vec<String> = problems(&bad).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["subject", "kind", "decided", "facts"]);

    // The person found against sees their own findings and appeals; a colleague sees none.
    let (_, own) = app.get(&clerk, "/api/v1/findings").await;
    assert_eq!(own.as_array().unwrap().len(), 2);
    let (_, none) = app.get(&app.token("judge_b").await, "/api/v1/findings").await;
    assert_eq!(none, json!([]));
    let first_id = first["id"].as_str().unwrap();
    let (status, _) = app
        .post(&clerk, &format!("/api/v1/findings/{first_id}/appeal"), &json!({"grounds": "当天已口头报告庭长"}))
        .await;
    assert_eq!(status, 201);
    let (status, _) =
        app.post(&clerk, &format!("/api/v1/findings/{first_id}/appeal"), &json!({"grounds": "再次申诉"})).await;
    assert_eq!(status, 409, "one appeal per finding");
    let (status, _) = app
        .post(
            &inspector,
            &format!("/api/v1/findings/{first_id}/decision"),
            &json!({"outcome": "upheld", "reason": "x"}),
        )
        .await;
    assert_eq!(status, 403, "whoever made the finding does not decide the appeal");
    let (status, decided) = app
        .post(
            &inspector2,
            &format!("/api/v1/findings/{first_id}/decision"),
            &json!({"outcome": "overturned", "reason": "经核实已及时报告"}),
        )
        .await;
    assert_eq!(status, 201, "{decided}");

    // The overturned finding stays in the register and no longer counts.
    let (_, after) = app.get(&inspector, &format!("/api/v1/findings/{first_id}")).await;
    assert_eq!((after["state"].as_str(), after["final_sanction"].as_str()), (Some("overturned"), Some("no_sanction")));
    let (_, proposal) = app.get(&inspector, "/api/v1/findings/proposal?subject=clerk&kind=not_recorded").await;
    assert_eq!(proposal["prior_standing"], 1, "only the second finding stands");
    let (_, all) = app.get(&inspector, "/api/v1/findings").await;
    assert_eq!(all.as_array().unwrap().len(), 3);

    let kinds = event_kinds(&app).await;
    for k in ["finding_recorded", "finding_appealed", "appeal_decided"] {
        assert!(kinds.iter().any(|x| x == k), "{k} is a ledger event");
    }
}

#[tokio::test]
async fn a_retaliation_complaint_goes_to_the_court_above_and_its_handlers_alone_read_it() {
    let app = spawn_app().await;
    let clerk = app.token("clerk").await;
    let leader = app.user("leader", "basic1", Role::CourtLeader).await;
    let own_inspector = app.user("inspector", "basic1", Role::DisciplineInspector).await;
    let office = app.token("office").await;
    let upper = app.user("upper_inspector", "high", Role::DisciplineInspector).await;
    let upper_office = app.user("upper_office", "high", Role::StoreMaintainer).await;
    app.store
        .console()
        .add_court(&liuhen_store::NewCourt::new(
            "spc",
            "最高人民法院",
            liuhen_rules::CourtLevel::Supreme,
            None,
            "最高法",
        ))
        .await
        .unwrap();
    let supreme = app.user("spc_inspector", "spc", Role::DisciplineInspector).await;

    let (status, refused) = app.post(&clerk, "/api/v1/complaints", &json!({"account": " "})).await;
    assert_eq!(status, 422);
    assert_eq!(problems(&refused), [("account".to_string(), "R15".to_string())]);
    let account = "如实记录某区领导过问案件后，年度考评被无故评为基本称职";
    let (status, made) = app.post(&clerk, "/api/v1/complaints", &json!({"account": account})).await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap();

    // Nobody of the complainant's own court — leader, office, its own discipline inspection — sees it.
    for (who, token) in
        [("leader", &leader), ("office", &office), ("own inspector", &own_inspector), ("upper office", &upper_office)]
    {
        let (_, list) = app.get(token, "/api/v1/complaints").await;
        assert_eq!(list, json!([]), "{who}");
        let (status, _) = app.get(token, &format!("/api/v1/complaints/{id}")).await;
        assert_eq!(status, 404, "{who}");
        let (status, _) = app
            .post(token, &format!("/api/v1/complaints/{id}/steps"), &json!({"step": "concluded", "note": "x"}))
            .await;
        assert!(matches!(status, 403 | 404), "{who}: {status}");
    }

    let (_, list) = app.get(&supreme, "/api/v1/complaints").await;
    assert_eq!(list, json!([]), "the Supreme People's Court reads it once it is reported up");

    // The court above's discipline inspection handles it and sees who complained.
    let (_, list) = app.get(&upper, "/api/v1/complaints").await;
    assert_eq!(list[0]["complainant"], "clerk");
    assert_eq!((list[0]["to_court"].as_str(), list[0]["account"].as_str()), (Some("high"), Some(account)));
    for step in ["received", "reported_to_committee", "escalated_to_supreme"] {
        let (status, answer) =
            app.post(&upper, &format!("/api/v1/complaints/{id}/steps"), &json!({"step": step, "note": "已办理"})).await;
        assert_eq!(status, 201, "{step}: {answer}");
    }
    let (_, list) = app.get(&supreme, "/api/v1/complaints").await;
    assert_eq!(list[0]["complainant"], "clerk", "reported up, the Supreme People's Court's handlers read it");
    let (status, _) = app
        .post(&supreme, &format!("/api/v1/complaints/{id}/steps"), &json!({"step": "concluded", "note": "已督办"}))
        .await;
    assert_eq!(status, 201);
    let (status, _) =
        app.post(&upper, &format!("/api/v1/complaints/{id}/steps"), &json!({"step": "received", "note": "x"})).await;
    assert_eq!(status, 409, "a concluded complaint takes no more steps");

    // The complainant follows it.
    let (_, mine) = app.get(&clerk, &format!("/api/v1/complaints/{id}")).await;
    assert_eq!(mine["state"], "concluded");
    assert_eq!(mine["steps"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_missing_zero_report_is_listed_reminded_and_then_satisfied() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    let period = previous_period(ReportingCycle::Monthly, now);
    let (from, _) = period_bounds(ReportingCycle::Monthly, &period).unwrap();
    let clerk = app.token("clerk").await;
    let judge_a = app.token("judge_a").await;
    let office = app.token("office").await;
    let mut record = letter();
    record["occurred_at"] = json!(rfc3339(from + Duration::days(1)));
    app.create(&clerk, &record).await;

    let (status, overview) = app.get(&office, &format!("/api/v1/filing?period={period}")).await;
    assert_eq!(status, 200, "{overview}");
    let status_of =
        |o: &Value, who: &str| o["staff"].as_array().unwrap().iter().find(|s| s["username"] == who).cloned();
    assert_eq!(status_of(&overview, "clerk").unwrap()["entries"], 1);
    assert_eq!(status_of(&overview, "clerk").unwrap()["missing"], false);
    assert_eq!(status_of(&overview, "judge_a").unwrap()["missing"], true);
    assert!(status_of(&overview, "other_court").is_none(), "another court's staff are not this office's");
    assert!(status_of(&overview, "office").is_none(), "the list is of judges and judicial assistants");

    let (status, reminded) = app.post(&office, "/api/v1/filing/reminders", &json!({"period": period})).await;
    assert_eq!(status, 201);
    assert_eq!(reminded["reminded"], json!(["judge_a", "judge_b"]));

    // The attestation: once, only without entries, only for a period that has begun.
    let (status, _) = app.post(&judge_a, "/api/v1/zero-reports", &json!({"period": period})).await;
    assert_eq!(status, 201);
    let (status, _) = app.post(&judge_a, "/api/v1/zero-reports", &json!({"period": period})).await;
    assert_eq!(status, 409);
    let (status, _) = app.post(&clerk, "/api/v1/zero-reports", &json!({"period": period})).await;
    assert_eq!(status, 409, "the clerk has entries in the period");
    let next = period_code(ReportingCycle::Monthly, now + Duration::days(40));
    let (status, future) = app.post(&judge_a, "/api/v1/zero-reports", &json!({"period": next})).await;
    assert_eq!((status, problems(&future)), (422, vec![("period".to_string(), "S11".to_string())]));
    let (status, _) = app.post(&judge_a, "/api/v1/zero-reports", &json!({"period": "2026-Q1"})).await;
    assert_eq!(status, 422, "monthly by default");

    let (_, overview) = app.get(&office, &format!("/api/v1/filing?period={period}")).await;
    let a = status_of(&overview, "judge_a").unwrap();
    assert_eq!(
        (a["missing"].as_bool(), a["zero_report"].as_bool(), a["reminders"].as_i64()),
        (Some(false), Some(true), Some(1))
    );
    assert_eq!(status_of(&overview, "judge_b").unwrap()["missing"], true);
    let (status, _) = app.get(&clerk, &format!("/api/v1/filing?period={period}")).await;
    assert_eq!(status, 403);
    assert!(event_kinds(&app).await.iter().any(|k| k == "zero_report_attested"));

    // A province may choose quarters (S11).
    let quarterly = spawn_app_with(|c| c.policy.zero_report_cycle = ReportingCycle::Quarterly).await;
    let judge = quarterly.token("judge_a").await;
    let quarter = previous_period(ReportingCycle::Quarterly, now);
    let (status, _) = quarterly.post(&judge, "/api/v1/zero-reports", &json!({"period": period})).await;
    assert_eq!(status, 422);
    let (status, _) = quarterly.post(&judge, "/api/v1/zero-reports", &json!({"period": quarter})).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn a_late_entry_is_flagged_and_counted_per_court_and_division() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    let clerk = app.token("clerk").await;
    let office = app.token("office").await;
    let last = previous_period(ReportingCycle::Monthly, now);
    let (from, _) = period_bounds(ReportingCycle::Monthly, &last).unwrap();
    // An inquiry of last month recorded today: weeks late. One of a minute ago: on time.
    let mut late = letter();
    late["occurred_at"] = json!(rfc3339(from + Duration::hours(12)));
    let late_id = app.create(&clerk, &late).await;
    let mut prompt = letter();
    prompt["case_number"] = json!("（2026）示0101刑初3号");
    let just_now = now - Duration::minutes(1);
    prompt["occurred_at"] = json!(rfc3339(just_now));
    app.create(&clerk, &prompt).await;

    let (status, t) = app.get(&office, &format!("/api/v1/timeliness?period={last}")).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["limit_days"], 3);
    assert_eq!(t["late"].as_array().unwrap().len(), 1);
    assert_eq!(t["late"][0]["record_id"], late_id.as_str());
    assert_eq!(t["late"][0]["division"], "民");
    assert!(t["late"][0]["delay_hours"].as_i64().unwrap() > 72);
    assert_eq!(t["by_court"], json!([{"key": "basic1", "entries": 1, "late": 1}]));
    assert_eq!(t["by_division"], json!([{"key": "民", "entries": 1, "late": 1}]));

    let current = period_code(ReportingCycle::Monthly, just_now);
    let (_, t) = app.get(&office, &format!("/api/v1/timeliness?period={current}")).await;
    assert_eq!(t["late"], json!([]));
    assert_eq!(t["by_division"], json!([{"key": "刑", "entries": 1, "late": 0}]));

    // The limit is the province's (S11): at 60 days last month's entry may be on time.
    let lenient = spawn_app_with(|c| c.policy.recording_time_limit_days = 400).await;
    let c = lenient.token("clerk").await;
    lenient.create(&c, &late).await;
    let (_, t) = lenient.get(&lenient.token("office").await, &format!("/api/v1/timeliness?period={last}")).await;
    assert_eq!(t["late"], json!([]));
    let (status, _) = app.get(&clerk, &format!("/api/v1/timeliness?period={last}")).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_contact_with_no_entry_becomes_a_question_to_the_cases_judge() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    app.user("casesys", "basic1", Role::CaseSystem).await;
    let (secret, _) =
        app.store.console().issue_token("casesys", "案件管理系统", &["contact.report".into()], None).await.unwrap();
    let casesys = secret;
    let clerk = app.token("clerk").await;
    let judge_a = app.token("judge_a").await;
    let contact = |id: &str, case: &str, at: OffsetDateTime| {
        json!({"external_id": id, "kind": "visit", "case_number": case, "judge": "judge_a", "person": "张某",
               "unit": "某区人民政府", "occurred_at": rfc3339(at)})
    };

    let (status, bad) = app
        .post(&casesys, "/api/v1/contacts", &json!({"external_id": "X", "kind": "visit", "case_number": "12", "judge": "nobody", "occurred_at": "yesterday"}))
        .await;
    assert_eq!(status, 422);
    let fields: Vec<String> = problems(&bad).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["case_number", "judge", "occurred_at"]);

    // A visit five days ago with no entry; one that an entry records; one of an hour ago.
    let (status, first) = app
        .post(&casesys, "/api/v1/contacts", &contact("JD-1", "（2026）示0101民初100号", now - Duration::days(5)))
        .await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = app
        .post(&casesys, "/api/v1/contacts", &contact("JD-1", "（2026）示0101民初100号", now - Duration::days(5)))
        .await;
    assert_eq!((status, &again["id"]), (200, &first["id"]), "a repeated push is the same contact");
    let recorded = app.create(&clerk, &letter()).await;
    let letter_at = liuhen_rules::period::parse_instant("2026-03-31 23:30").unwrap();
    // Written with spaces and half-width brackets: taken in the canonical form entries have.
    app.post(&casesys, "/api/v1/contacts", &contact("JD-2", "(2026)示0101民初 12 号", letter_at + Duration::days(1)))
        .await;
    app.post(&casesys, "/api/v1/contacts", &contact("JD-3", "（2026）示0101民初101号", now - Duration::hours(1))).await;

    let (_, mine) = app.get(&judge_a, "/api/v1/contacts?mine=true").await;
    let status_of = |list: &Value, id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["external_id"] == id)
            .map(|c| c["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status_of(&mine, "JD-1").as_deref(), Some("question"));
    assert_eq!(status_of(&mine, "JD-2").as_deref(), Some("matched"));
    assert_eq!(status_of(&mine, "JD-3").as_deref(), Some("waiting"));
    let matched = mine.as_array().unwrap().iter().find(|c| c["external_id"] == "JD-2").unwrap();
    assert_eq!(matched["matched_record"], recorded.as_str());
    let (_, others) = app.get(&app.token("judge_b").await, "/api/v1/contacts?mine=true").await;
    assert_eq!(others, json!([]), "questions go to the case's judge");

    // The judge answers; nobody else can.
    let id = first["id"].as_str().unwrap();
    let path = format!("/api/v1/contacts/{id}/answer");
    let (status, _) = app.post(&app.token("judge_b").await, &path, &json!({"explanation": "x"})).await;
    assert_eq!(status, 404);
    let (status, refused) = app.post(&judge_a, &path, &json!({})).await;
    assert_eq!((status, problems(&refused)), (422, vec![("explanation".to_string(), "R1".to_string())]));
    let (status, _) =
        app.post(&judge_a, &path, &json!({"explanation": "来访人是当事人的邻居，未就案件提出要求"})).await;
    assert_eq!(status, 201);
    let (status, _) = app.post(&judge_a, &path, &json!({"explanation": "again"})).await;
    assert_eq!(status, 409);
    let (_, court) = app.get(&app.token("office").await, "/api/v1/contacts").await;
    assert_eq!(status_of(&court, "JD-1").as_deref(), Some("answered"));
    assert_eq!(court.as_array().unwrap().len(), 3);
    let (status, _) = app.get(&clerk, "/api/v1/contacts").await;
    assert_eq!(status, 403, "the court's list is for those who oversee filing");
}

#[tokio::test]
async fn entries_of_one_cadre_are_merged_into_one_history_across_courts() {
    let app = spawn_app().await;
    let clerk = app.token("clerk").await;
    let office = app.token("office").await;
    let upper_office = app.user("upper_office", "high", Role::StoreMaintainer).await;
    // The same cadre as deputy head, written with a stray space, and later as head.
    let first = app.create(&clerk, &letter()).await;
    let mut spaced = letter();
    spaced["intervener"]["name"] = json!("张 某");
    spaced["occurred_at"] = json!("2026-04-10 10:00");
    let second = app.create(&clerk, &spaced).await;
    let mut promoted = letter();
    promoted["intervener"]["post"] = json!("区长");
    promoted["occurred_at"] = json!("2026-06-01 09:00");
    let third = app.create(&clerk, &promoted).await;
    let mut elsewhere = promoted.clone();
    elsewhere["case_number"] = json!("（2026）示0102民初7号");
    app.create(&app.token("other_court").await, &elsewhere).await;

    let (status, cadres) = app.get(&office, "/api/v1/cadres").await;
    assert_eq!(status, 200, "{cadres}");
    let keys: Vec<(String, i64)> = cadres
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap().to_string(), c["entries"].as_i64().unwrap()))
        .collect();
    assert_eq!(keys, [("张某/某区人民政府/副区长".to_string(), 2), ("张某/某区人民政府/区长".to_string(), 1)]);
    let (_, repeat) = app.get(&office, "/api/v1/cadres?repeat=true").await;
    assert_eq!(repeat.as_array().unwrap().len(), 1);

    // The office confirms they are one person.
    let merge = json!({"from_key": "张某/某区人民政府/区长", "into_key": "张某/某区人民政府/副区长", "reason": "同一人，2026年5月任区长"});
    let (status, _) = app.post(&clerk, "/api/v1/cadres/merges", &merge).await;
    assert_eq!(status, 403);
    let (status, _) = app.post(&office, "/api/v1/cadres/merges", &merge).await;
    assert_eq!(status, 201);
    let (status, _) = app.post(&office, "/api/v1/cadres/merges", &merge).await;
    assert_eq!(status, 409);
    let (status, refused) = app
        .post(&office, "/api/v1/cadres/merges", &json!({"from_key": "无此人", "into_key": "张某/某区人民政府/副区长"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(problems(&refused).len(), 2, "unknown key and missing reason");

    let (status, outcome) = app
        .post(
            &office,
            &format!("/api/v1/records/{first}/outcomes"),
            &json!({"outcome": "notified", "body": "示例市委政法委", "note": "予以通报"}),
        )
        .await;
    assert_eq!(status, 201, "{outcome}");

    let (_, cadres) = app.get(&office, "/api/v1/cadres").await;
    assert_eq!(cadres.as_array().unwrap().len(), 1);
    assert_eq!(cadres[0]["entries"], 3);
    assert_eq!(cadres[0]["post"], "区长", "the cadre is shown as last recorded");
    let key = "张某/某区人民政府/区长";
    let (status, history) = app.get(&office, &format!("/api/v1/cadres/history?key={}", common::urlencode(key))).await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(history["key"], "张某/某区人民政府/副区长");
    let ids: Vec<&str> =
        history["entries"].as_array().unwrap().iter().map(|e| e["record_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str(), third.as_str()]);
    assert_eq!(history["outcomes"][0]["outcome"], "notified");
    assert_eq!(history["merged"][0][0], key);

    // The court above sees the cadre across the courts below.
    let (_, upper) = app.get(&upper_office, "/api/v1/cadres").await;
    assert_eq!((upper[0]["entries"].as_i64(), upper[0]["courts"].as_i64()), (Some(4), Some(2)));
    let (status, _) = app.get(&clerk, "/api/v1/cadres").await;
    assert_eq!(status, 403);
    // Reading a history is noted in the ledger (查看留痕).
    let listed = common::events(&app).await.into_iter().any(|e| {
        e.actor == "office"
            && matches!(&e.body, liuhen_ledger::EventBody::RecordsListed { record_ids, .. } if record_ids.len() == 3)
    });
    assert!(listed);
}

#[tokio::test]
async fn entries_are_screened_and_checked_in_the_ledger_and_the_query_tables_rebuild_the_same() {
    let app = spawn_app().await;
    let clerk = app.token("clerk").await;
    let office = app.token("office").await;
    let id = app.create(&clerk, &letter()).await;
    let (status, bad) =
        app.post(&office, &format!("/api/v1/records/{id}/screenings"), &json!({"classification": "rumour"})).await;
    assert_eq!(status, 422);
    assert_eq!(problems(&bad).len(), 2);
    let (status, _) = app
        .post(
            &office,
            &format!("/api/v1/records/{id}/screenings"),
            &json!({"classification": "c8_interference", "reason": "要求从轻处理，属请托说情"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .post(
            &clerk,
            &format!("/api/v1/records/{id}/screenings"),
            &json!({"classification": "interference", "reason": "x"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, check) =
        app.post(&office, &format!("/api/v1/records/{id}/checks"), &json!({"subject": "核实来信是否为本人所写"})).await;
    assert_eq!(status, 201);
    let check_id = check["id"].as_str().unwrap();
    let (status, _) = app
        .post(&office, &format!("/api/v1/checks/{check_id}/conclusion"), &json!({"findings": "经电话核实为本人所写"}))
        .await;
    assert_eq!(status, 201);
    let (status, _) =
        app.post(&office, &format!("/api/v1/checks/{check_id}/conclusion"), &json!({"findings": "again"})).await;
    assert_eq!(status, 409);

    let (status, handling) = app.get(&office, &format!("/api/v1/records/{id}/handling")).await;
    assert_eq!(status, 200);
    assert_eq!(handling["screenings"][0]["classification"], "c8_interference");
    assert_eq!(handling["checks"][0]["findings"], "经电话核实为本人所写");
    let (status, _) = app.get(&clerk, &format!("/api/v1/records/{id}/handling")).await;
    assert_eq!(status, 403);
    let (status, _) = app.get(&app.token("other_court").await, &format!("/api/v1/records/{id}/handling")).await;
    assert_eq!(status, 403);

    let kinds = event_kinds(&app).await;
    for k in ["record_screened", "check_opened", "check_concluded"] {
        assert!(kinds.iter().any(|x| x == k), "{k}");
    }
    // Every accountability table is a projection: rebuilt from the events, it is the same.
    let inspector = app.user("inspector", "basic1", Role::DisciplineInspector).await;
    app.post(&inspector, "/api/v1/findings", &finding("clerk", "not_recorded", "warning")).await;
    app.post(&clerk, "/api/v1/complaints", &json!({"account": "考评被无故降等"})).await;
    let before = app.store.projection_digest().await.unwrap();
    app.store.rebuild_projections().await.unwrap();
    assert_eq!(app.store.projection_digest().await.unwrap(), before);
}

#[tokio::test]
async fn the_quarterly_report_counts_screenings_and_takes_the_offices_merges_into_its_repeat_list() {
    let app = spawn_app().await;
    let clerk = app.token("clerk").await;
    let office = app.token("office").await;
    // The same cadre in 2026 Q1, once with the unit written another way.
    let first = app.create(&clerk, &letter()).await;
    let mut other_spelling = letter();
    other_spelling["intervener"]["unit"] = json!("某区政府");
    other_spelling["occurred_at"] = json!("2026-02-10 10:00");
    other_spelling["case_number"] = json!("（2026）示0101民初30号");
    app.create(&clerk, &other_spelling).await;
    let report = || async { app.get(&office, "/api/v1/reports/quarterly?year=2026&quarter=1").await.1 };

    let before = report().await;
    assert_eq!(before["analysis"]["repeat_interveners"], json!([]), "two spellings, two people until merged");
    let count = |r: &Value, code: &str| {
        r["analysis"]["by_screening"].as_array().unwrap().iter().find(|c| c["code"] == code).unwrap()["count"].as_i64()
    };
    assert_eq!(count(&before, "not_screened"), Some(2));

    app.post(
        &office,
        &format!("/api/v1/records/{first}/screenings"),
        &json!({"classification": "interference", "reason": "要求从轻处理"}),
    )
    .await;
    let (status, _) = app
        .post(
            &office,
            "/api/v1/cadres/merges",
            &json!({"from_key": "张某/某区政府/副区长", "into_key": "张某/某区人民政府/副区长", "reason": "同一人，单位简称"}),
        )
        .await;
    assert_eq!(status, 201);

    let after = report().await;
    assert_eq!((count(&after, "interference"), count(&after, "not_screened")), (Some(1), Some(1)));
    let repeat = &after["analysis"]["repeat_interveners"];
    assert_eq!(repeat.as_array().unwrap().len(), 1, "{repeat}");
    assert_eq!((repeat[0]["name"].as_str(), repeat[0]["unit"].as_str()), (Some("张某"), Some("某区人民政府")));
    assert_eq!((repeat[0]["total"].as_i64(), repeat[0]["this_quarter"].as_i64()), (Some(2), Some(2)));

    // An entry of the merged spelling from an earlier quarter counts too.
    let mut earlier = other_spelling.clone();
    earlier["occurred_at"] = json!("2025-11-03 15:00");
    earlier["case_number"] = json!("（2025）示0101民初88号");
    app.create(&clerk, &earlier).await;
    let later = report().await;
    assert_eq!(later["analysis"]["repeat_interveners"][0]["total"], 3);
}

#[tokio::test]
async fn the_office_screens_checks_and_notes_outcomes_from_the_records_page() {
    let app = spawn_app().await;
    let id = app.create(&app.token("clerk").await, &letter()).await;
    let page = format!("/records/{id}");
    let mut office = common::Browser::logged_in(&app, "office").await;
    let shown = office.get(&page).await;
    assert!(shown.body.contains("甄别、核查与处理结果"), "the office gets the forms");

    let refused =
        office.submit(&page, &format!("{page}/handling/screen"), &[("classification", ""), ("reason", "")]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("请写明甄别理由"), "the problem is shown beside the form");
    let done = office
        .submit(
            &page,
            &format!("{page}/handling/screen"),
            &[("classification", "interference"), ("reason", "要求从轻")],
        )
        .await;
    assert_eq!((done.status, done.location.as_str()), (303, format!("{page}?done=handled").as_str()));
    let done = office.submit(&page, &format!("{page}/handling/check"), &[("subject", "核实来信真伪")]).await;
    assert_eq!(done.status, 303);
    let shown = office.get(&page).await;
    let check_id = common::hidden(&shown.body, "check_id");
    let done = office
        .submit(&page, &format!("{page}/handling/conclude"), &[("check_id", &check_id), ("findings", "属实")])
        .await;
    assert_eq!(done.status, 303);
    let done = office
        .submit(
            &page,
            &format!("{page}/handling/outcome"),
            &[("outcome", "disciplined"), ("body", "示例市纪委监委"), ("note", "")],
        )
        .await;
    assert_eq!(done.status, 303);
    let shown = office.get(&page).await;
    for text in ["甄别为", "要求从轻", "核实来信真伪", "属实", "示例市纪委监委", "给予处分"] {
        assert!(shown.body.contains(text), "{text}");
    }

    // The clerk who recorded it sees none of this.
    let mut clerk = common::Browser::logged_in(&app, "clerk").await;
    assert!(!clerk.get(&page).await.body.contains("甄别、核查与处理结果"));
    let refused = clerk
        .submit(&page, &format!("{page}/handling/screen"), &[("classification", "interference"), ("reason", "x")])
        .await;
    assert_eq!(refused.status, 403, "the form's token is right; the role is refused");
}

#[tokio::test]
async fn a_store_from_before_this_migration_gets_its_cadre_rows_when_it_next_opens() {
    let app = spawn_app().await;
    let clerk = app.token("clerk").await;
    app.create(&clerk, &letter()).await;
    app.create(&clerk, &letter()).await;
    // As a store migrated from before issue 8 stands: no cadre rows, the fill noted.
    common::sql(&app.store, "DELETE FROM record_cadres").await.unwrap();
    common::sql(&app.store, "INSERT INTO derived_backlog (name) VALUES ('record_cadres')").await.unwrap();
    let dir = app.stop().await;
    let app = common::spawn_app_in(dir, false, |_| {}).await;
    let (status, cadres) = app.get(&app.token("office").await, "/api/v1/cadres").await;
    assert_eq!(status, 200);
    assert_eq!(cadres[0]["entries"], 2, "{cadres}");
    let left: i64 = common::scalar(&app.store, "SELECT COUNT(*) FROM derived_backlog").await;
    assert_eq!(left, 0, "the fill is done once");
}

/// Issue 17, item 5: a cadre key is "known" to a court's office only when it appears in the store
/// of that court or the courts below; one named only in a sibling court answers exactly as a key
/// nobody ever wrote, and cannot be merged from there.
#[tokio::test]
async fn cadre_keys_of_another_court_are_unknown_and_cannot_be_merged() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let office2 = app.user("office2", "basic2", Role::StoreMaintainer).await;
    let upper_office = app.user("upper_office", "high", Role::StoreMaintainer).await;
    app.create(&app.token("clerk").await, &letter()).await;
    let here = "张某/某区人民政府/副区长";
    let other_court = app.token("other_court").await;
    for (name, post) in [("李某", "县长"), ("李 某", "副县长")] {
        let mut entry = letter();
        entry["case_number"] = json!("（2026）示0102民初7号");
        entry["intervener"]["name"] = json!(name);
        entry["intervener"]["post"] = json!(post);
        app.create(&other_court, &entry).await;
    }
    let (there, there_too) = ("李某/某区人民政府/县长", "李某/某区人民政府/副县长");
    let merge = |from: &str, into: &str| json!({"from_key": from, "into_key": into, "reason": "同一人"});
    let refusal = |body: &Value| {
        (problems(body), body["errors"].as_array().map(|e| e.iter().map(|p| p["code"].clone()).collect::<Vec<_>>()))
    };

    // Probing: a key of the sibling court answers as a key that exists nowhere.
    let (status, nowhere) = app.post(&office, "/api/v1/cadres/merges", &merge("无此人/无/无", here)).await;
    assert_eq!(status, 422, "{nowhere}");
    let (status, sibling) = app.post(&office, "/api/v1/cadres/merges", &merge(there, here)).await;
    assert_eq!(status, 422, "a sibling court's key: {sibling}");
    assert_eq!(refusal(&sibling), refusal(&nowhere));
    let (status, sibling) = app.post(&office, "/api/v1/cadres/merges", &merge(here, there)).await;
    let (_, nowhere) = app.post(&office, "/api/v1/cadres/merges", &merge(here, "无此人/无/无")).await;
    assert_eq!(status, 422, "{sibling}");
    assert_eq!(refusal(&sibling), refusal(&nowhere));
    // Merging two of the sibling court's keys from here: refused, nothing merged.
    let (status, both) = app.post(&office, "/api/v1/cadres/merges", &merge(there, there_too)).await;
    assert_eq!(status, 422, "{both}");
    assert_eq!(problems(&both).len(), 2, "{both}");
    let (_, theirs) = app.get(&office2, "/api/v1/cadres").await;
    assert_eq!(theirs.as_array().unwrap().len(), 2, "still two people in the sibling court: {theirs}");
    // Their history answers as a cadre nobody wrote of.
    let history = |key: &str| format!("/api/v1/cadres/history?key={}", common::urlencode(key));
    let (status, sibling) = app.get(&office, &history(there)).await;
    let (_, nowhere) = app.get(&office, &history("无此人/无/无")).await;
    assert_eq!((status, &sibling["detail"]), (404, &nowhere["detail"]));

    // The court above sees both courts' cadres and may merge them; the court itself may too.
    let (status, merged) = app.post(&upper_office, "/api/v1/cadres/merges", &merge(there_too, there)).await;
    assert_eq!(status, 201, "{merged}");
    let (_, theirs) = app.get(&office2, "/api/v1/cadres").await;
    assert_eq!(theirs.as_array().unwrap().len(), 1, "{theirs}");
}
