//! Record intake through the HTTP API: validation (R4, R6, R18), case numbers, history, filters,
//! the registers outside the store, separation of duties and court scoping.

mod common;

use common::{in_person, letter, problems, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn each_form_requires_its_fields_and_names_field_and_rule() {
    let app = spawn_app().await;
    let token = app.token("clerk").await;
    // (form, the problems a bare letter turned into this form must report)
    let cases: [(&str, &[&str]); 13] = [
        ("official_letter", &[]),
        ("letter", &[]),
        ("document", &[]),
        ("other", &[]),
        ("sms", &["storage_medium"]),
        ("weibo", &["storage_medium"]),
        ("wechat", &["storage_medium"]),
        ("email", &["storage_medium"]),
        ("other_network", &["storage_medium"]),
        ("phone", &["court_staff_present"]),
        ("in_person", &["place", "persons_present", "court_staff_present"]),
        ("briefing", &["place", "persons_present", "court_staff_present"]),
        ("coordination_meeting", &["place", "persons_present", "court_staff_present"]),
    ];
    for (form, missing) in cases {
        let mut body = letter();
        body["form"] = json!(form);
        let (status, answer) = app.post(&token, "/api/v1/records", &body).await;
        if missing.is_empty() {
            assert_eq!(status, 201, "{form}: {answer}");
            continue;
        }
        assert_eq!(status, 422, "{form}: {answer}");
        let found = problems(&answer);
        let expected: Vec<(String, String)> = missing.iter().map(|f| (f.to_string(), "R4".to_string())).collect();
        assert_eq!(found, expected, "{form}");
        for e in answer["errors"].as_array().unwrap() {
            assert!(
                e["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "message in Chinese: {e}"
            );
        }
    }
}

#[tokio::test]
async fn every_common_field_is_required_and_all_problems_come_at_once() {
    let app = spawn_app().await;
    let before = app.store.event_count().await.unwrap();
    let token = app.token("clerk").await;
    let r = app.client.post(app.url("/api/v1/records")).bearer_auth(&token).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    let found = problems(&body);
    for (field, rule) in [
        ("stage", "R4"),
        ("case_number", "R4"),
        ("intervener.name", "R4"),
        ("intervener.unit", "R4"),
        ("intervener.post", "R4"),
        ("intervener.unit_type", "R18"),
        ("intervener.relation", "R2"),
        ("intervener.leading_cadre", "R18"),
        ("occurred_at", "R4"),
        ("form", "R4"),
        ("content", "R4"),
    ] {
        assert!(found.contains(&(field.to_string(), rule.to_string())), "{field} {rule} in {found:?}");
    }
    assert_eq!(app.store.event_count().await.unwrap(), before, "nothing stored");
}

#[tokio::test]
async fn errors_speak_english_when_asked() {
    let app = spawn_app().await;
    let token = app.token("clerk").await;
    let mut body = letter();
    body["form"] = json!("email");
    let r = app
        .client
        .post(app.url("/api/v1/records"))
        .bearer_auth(&token)
        .header("accept-language", "en-GB,en;q=0.9")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-language"], "en");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "storage_medium");
    assert_eq!(body["errors"][0]["message"], "an inquiry by e-mail needs the storage medium recorded (S4)");
}

#[tokio::test]
async fn real_case_numbers_parse_and_malformed_ones_are_refused_with_a_reason() {
    let app = spawn_app().await;
    let token = app.token("clerk").await;
    for (number, court, level, special, kind, seq) in [
        ("（2021）京0105执异4546号", "京0105", "basic", Value::Null, "执异", 4546),
        ("（2021）最高法知民终1469号", "最高法", "supreme", json!("知"), "民终", 1469),
        ("（2024）甘0191民初4488号", "甘0191", "basic", Value::Null, "民初", 4488),
    ] {
        let (status, parts) = app.get(&token, &format!("/api/v1/case-numbers/{number}")).await;
        assert_eq!(status, 200, "{number}: {parts}");
        assert_eq!(parts["court_code"], court);
        assert_eq!(parts["court_level"], level);
        assert_eq!(parts["special_trial_code"], special);
        assert_eq!(parts["case_type_code"], kind);
        assert_eq!(parts["sequence"], seq);
    }
    for (number, says) in [
        ("2021京0105执异4546号", "收案年度"),
        ("（2021）京105执异4546号", "中级法院 2 位"),
        ("（2021）京0105执异4546", "“号”结尾"),
        ("（2021）京0105某某4546号", "类型代字"),
        ("（2021）Q0105民初1号", "法院代字"),
    ] {
        let (status, problem) = app.get(&token, &format!("/api/v1/case-numbers/{number}")).await;
        assert_eq!(status, 422, "{number}");
        assert_eq!(problem["errors"][0]["field"], "case_number");
        assert_eq!(problem["errors"][0]["rule"], "R4");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{number}: {message}");
    }
    // The same rules apply when a record is created.
    let mut body = letter();
    body["case_number"] = json!("（2026）示0101民初012号");
    let (status, answer) = app.post(&token, "/api/v1/records", &body).await;
    assert_eq!(status, 422);
    assert_eq!(problems(&answer), vec![("case_number".to_string(), "R4".to_string())]);
}

#[tokio::test]
async fn a_record_is_stored_with_its_parts_and_read_back() {
    let app = spawn_app().await;
    let s = app.store.event_count().await.unwrap();
    let token = app.token("clerk").await;
    let mut body = letter();
    body["intervener"]["relation"] = json!("relative");
    body["intervener"]["principal"] = json!({"name": "王某", "unit": "某市人民政府", "post": "副市长"});
    body["intervener"]["retired"] = json!(true);
    body["special_items"] = json!([3, 1]);
    body["c8_kind"] = json!(3);
    body["serious"] = json!(true);
    body["handling"] = json!("未采纳，已告知依法办理");
    let id = app.create(&token, &body).await;
    let (status, view) = app.get(&token, &format!("/api/v1/records/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(view["recorder"], "clerk");
    assert_eq!(view["court_id"], "basic1");
    assert_eq!(view["version"], 1);
    assert_eq!(
        view["record"]["occurred_at"], "2026-03-31T15:30:00Z",
        "wall-clock input is China Standard Time, stored in UTC"
    );
    assert_eq!(view["record"]["intervener"]["principal"]["name"], "王某");
    assert_eq!(view["record"]["intervener"]["retired"], true);
    assert_eq!(view["record"]["special_items"], json!([1, 3]));
    assert_eq!(view["record"]["c8_kind"], 3);
    assert_eq!(view["record"]["serious"], true);
    assert_eq!(view["case"]["case_type_name"], "民事一审");
    assert_eq!(view["cosign_status"], "not_required");
    assert_eq!(view["ledger"]["created_seq"], s, "the entry after the fixture's administrative events");
    assert_eq!(view["versions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn lists_filter_by_form_item_case_intervener_and_time() {
    let app = spawn_app().await;
    let token = app.token("clerk").await;
    let a = app.create(&token, &letter()).await;
    let mut b = letter();
    b["form"] = json!("wechat");
    b["storage_medium"] = json!("手机截屏");
    b["special_items"] = json!([7]);
    b["case_number"] = json!("(2026)示0101执3号");
    b["intervener"]["name"] = json!("李某");
    b["occurred_at"] = json!("2026-04-01 00:30");
    let b = app.create(&token, &b).await;

    let ids = |v: &Value| {
        v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let (_, all) = app.get(&token, "/api/v1/records").await;
    assert_eq!(all["total"], 2);
    assert_eq!(ids(&all), vec![b.clone(), a.clone()], "newest inquiry first");
    for (query, expect) in [
        ("form=wechat", vec![b.clone()]),
        ("special_item=1", vec![a.clone()]),
        ("case_number=（2026）示0101执3号", vec![b.clone()]),
        ("case_number=(2026)示0101执3号", vec![b.clone()]),
        ("intervener=李", vec![b.clone()]),
        ("intervener=某区人民政府", vec![b.clone(), a.clone()]),
        // Quarters are cut in China Standard Time: 03-31 23:30 is the first quarter.
        ("from=2026-01-01&to=2026-03-31", vec![a.clone()]),
        ("from=2026-04-01", vec![b.clone()]),
    ] {
        let (status, page) = app.get(&token, &format!("/api/v1/records?{query}")).await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(ids(&page), expect, "{query}");
    }
    let (status, bad) = app.get(&token, "/api/v1/records?form=fax&from=yesterday").await;
    assert_eq!(status, 422);
    assert_eq!(problems(&bad).len(), 2);
    let (_, paged) = app.get(&token, "/api/v1/records?per_page=1&page=2").await;
    assert_eq!(ids(&paged), vec![a]);
}

#[tokio::test]
async fn entrusted_opinions_and_internal_inquiries_stay_out_of_the_store() {
    let app = spawn_app().await;
    let token = app.token("clerk").await;
    app.create(&token, &letter()).await;

    // S5 / R6: an entrusted opinion needs its basis, and is kept apart.
    let mut opinion = letter();
    opinion["register"] = json!("entrusted_opinion");
    let (status, answer) = app.post(&token, "/api/v1/records", &opinion).await;
    assert_eq!(status, 422);
    assert_eq!(problems(&answer), vec![("entrusted_basis".to_string(), "R6".to_string())]);
    opinion["entrusted_basis"] = json!("本院征询意见函（示例）");
    opinion["special_items"] = json!([]);
    let opinion_id = app.create(&token, &opinion).await;

    // S10 ¶3 / R18: a court intervener is refused in the store and accepted in the internal register.
    let mut internal = letter();
    internal["intervener"]["unit_type"] = json!("court");
    internal["intervener"]["unit"] = json!("某中级人民法院");
    let (status, answer) = app.post(&token, "/api/v1/records", &internal).await;
    assert_eq!(status, 422);
    assert_eq!(problems(&answer), vec![("intervener.unit_type".to_string(), "R18".to_string())]);
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("内部人员过问"));
    internal["register"] = json!("internal_inquiry");
    let internal_id = app.create(&token, &internal).await;

    let (_, store) = app.get(&token, "/api/v1/records").await;
    assert_eq!(store["total"], 1, "the store lists only its own entries");
    let (_, opinions) = app.get(&token, "/api/v1/records?register=entrusted_opinion").await;
    assert_eq!(opinions["items"][0]["id"], opinion_id.as_str());
    let (_, internals) = app.get(&token, "/api/v1/records?register=internal_inquiry").await;
    assert_eq!(internals["items"][0]["id"], internal_id.as_str());
}

#[tokio::test]
async fn access_is_scoped_to_the_court_and_the_administrator_reads_nothing() {
    let app = spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &letter()).await;

    let r = app.client.get(app.url(&format!("/api/v1/records/{id}"))).send().await.unwrap();
    assert_eq!(r.status(), 401, "no credentials");
    let other = app.token("other_court").await;
    assert_eq!(app.get(&other, &format!("/api/v1/records/{id}")).await.0, 404, "another court does not see it");
    assert_eq!(app.get(&other, "/api/v1/records").await.1["total"], 0);
    let office = app.token("office").await;
    assert_eq!(app.get(&office, &format!("/api/v1/records/{id}")).await.0, 200, "same court");

    let admin = app.token("admin").await;
    assert_eq!(app.get(&admin, &format!("/api/v1/records/{id}")).await.0, 403);
    assert_eq!(app.get(&admin, "/api/v1/records").await.0, 403);
    assert_eq!(app.post(&admin, "/api/v1/records", &letter()).await.0, 403);

    let r = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "clerk", "password": "wrong-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_header_to_change_anything() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "clerk", "password": common::PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();

    let r = app.client.get(app.url("/api/v1/me")).header("cookie", &pair).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app.client.post(app.url("/api/v1/records")).header("cookie", &pair).json(&letter()).send().await.unwrap();
    assert_eq!(r.status(), 403, "no CSRF header");
    let r = app
        .client
        .post(app.url("/api/v1/records"))
        .header("cookie", &pair)
        .header("x-liuhen-csrf", "1")
        .json(&letter())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let r = app
        .client
        .delete(app.url("/api/v1/session"))
        .header("cookie", &pair)
        .header("x-liuhen-csrf", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app.client.get(app.url("/api/v1/me")).header("cookie", &pair).send().await.unwrap();
    assert_eq!(r.status(), 401, "logged out");
}

#[tokio::test]
async fn malformed_json_gets_a_problem_document() {
    let app = spawn_app().await;
    let token = app.token("clerk").await;
    let r = app
        .client
        .post(app.url("/api/v1/records"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let (status, body) = app.post(&token, "/api/v1/records", &json!({"special_items": "one"})).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "body");
}

#[tokio::test]
async fn the_lists_carry_the_full_text_of_s7() {
    let app = spawn_app().await;
    let (status, lists) = app.get("", "/api/v1/lists").await;
    assert_eq!(status, 200);
    let items = lists["special_items"].as_array().unwrap();
    assert_eq!(items.len(), 15);
    assert_eq!(items[12]["numeral"], "（十三）");
    assert_eq!(items[12]["text_zh"], "要求人民法院在减刑、假释案件审理过程中对罪犯从严或者从宽处理的");
    assert_eq!(lists["forms"].as_array().unwrap().len(), 13);
    assert_eq!(lists["oral_forms"], json!(["in_person", "phone", "briefing", "coordination_meeting"]));
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let app = spawn_app().await;
    let (status, doc) = app.get("", "/api/openapi.json").await;
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/session", "post"),
        ("/api/v1/session", "delete"),
        ("/api/v1/me", "get"),
        ("/api/v1/lists", "get"),
        ("/api/v1/courts", "get"),
        ("/api/v1/case-numbers/{case_number}", "get"),
        ("/api/v1/records", "post"),
        ("/api/v1/records", "get"),
        ("/api/v1/records/{id}", "get"),
        ("/api/v1/records/{id}/views", "get"),
        ("/api/v1/me/password", "post"),
        ("/api/v1/me/totp", "post"),
        ("/api/v1/me/totp/confirm", "post"),
        ("/api/v1/records/{id}/amendments", "post"),
        ("/api/v1/records/{id}/cosign", "post"),
        ("/api/v1/records/{id}/dispute", "post"),
        ("/api/v1/cosign-inbox", "get"),
        ("/api/v1/records/{id}/materials", "post"),
        ("/api/v1/materials/{id}", "get"),
        ("/api/v1/records/{id}/receipt", "get"),
        ("/api/v1/log/receipts/{index}", "get"),
        ("/api/v1/log/extension", "get"),
        ("/api/v1/log/key", "get"),
        ("/log/checkpoint", "get"),
        ("/log/tile/{path}", "get"),
        ("/api/v1/log/status", "get"),
        ("/witness/add-checkpoint", "post"),
        ("/api/v1/witness/alerts", "get"),
        ("/api/v1/witness/logs", "get"),
        ("/api/v1/reports/quarterly", "get"),
        ("/api/v1/records/{id}/handling", "get"),
        ("/api/v1/records/{id}/screenings", "post"),
        ("/api/v1/records/{id}/checks", "post"),
        ("/api/v1/checks/{id}/conclusion", "post"),
        ("/api/v1/records/{id}/outcomes", "post"),
        ("/api/v1/findings", "get"),
        ("/api/v1/findings", "post"),
        ("/api/v1/findings/proposal", "get"),
        ("/api/v1/findings/{id}", "get"),
        ("/api/v1/findings/{id}/appeal", "post"),
        ("/api/v1/findings/{id}/decision", "post"),
        ("/api/v1/complaints", "get"),
        ("/api/v1/complaints", "post"),
        ("/api/v1/complaints/{id}", "get"),
        ("/api/v1/complaints/{id}/steps", "post"),
        ("/api/v1/zero-reports", "post"),
        ("/api/v1/filing", "get"),
        ("/api/v1/filing/reminders", "post"),
        ("/api/v1/timeliness", "get"),
        ("/api/v1/contacts", "get"),
        ("/api/v1/contacts", "post"),
        ("/api/v1/contacts/{id}/answer", "post"),
        ("/api/v1/cadres", "get"),
        ("/api/v1/cadres/history", "get"),
        ("/api/v1/cadres/merges", "post"),
        ("/api/v1/me/tokens", "post"),
        ("/api/v1/approvals", "get"),
        ("/api/v1/approvals/{id}/decision", "post"),
        ("/api/v1/audit", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing from OpenAPI");
    }
    assert_eq!(paths.len(), 54, "a new path must be added to this list: {:?}", paths.keys().collect::<Vec<_>>());
}

#[tokio::test]
async fn in_person_records_list_the_staff_present_who_must_exist_in_the_court() {
    let app = spawn_app().await;
    let token = app.token("clerk").await;
    let (status, answer) = app.post(&token, "/api/v1/records", &in_person(&["judge_a", "nobody", "other_court"])).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        problems(&answer),
        vec![
            ("court_staff_present[1]".to_string(), "R4".to_string()),
            ("court_staff_present[2]".to_string(), "R4".to_string())
        ]
    );
    let (status, answer) = app.post(&token, "/api/v1/records", &in_person(&["clerk"])).await;
    assert_eq!(status, 422);
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("不能为自己的记录签字"));
}
