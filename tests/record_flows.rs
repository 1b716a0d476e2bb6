//! Whole flows: co-signature with a dispute (R4), amendment history (R1), materials by hash (R5),
//! idempotent case-system pushes (R3), and the append-only event table (R1).

mod common;

use common::{in_person, letter, problems, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[tokio::test]
async fn oral_record_is_confirmed_by_one_and_disputed_by_another() {
    let app = spawn_app().await;
    let clerk = app.token("clerk").await;
    let judge_a = app.token("judge_a").await;
    let judge_b = app.token("judge_b").await;
    let office = app.token("office").await;
    let id = app.create(&clerk, &in_person(&["judge_a", "judge_b"])).await;
    let path = |action: &str| format!("/api/v1/records/{id}/{action}");

    let (_, view) = app.get(&clerk, &format!("/api/v1/records/{id}")).await;
    assert_eq!(view["cosign_status"], "pending");
    let (_, inbox) = app.get(&judge_a, "/api/v1/cosign-inbox").await;
    assert_eq!(inbox[0]["id"], id.as_str(), "waiting in judge_a's inbox");

    // Nobody signs for anyone else: only the people named can answer, each under their own login.
    assert_eq!(app.post(&office, &path("cosign"), &json!({})).await.0, 403);
    assert_eq!(app.post(&clerk, &path("cosign"), &json!({})).await.0, 403);

    assert_eq!(app.post(&judge_a, &path("cosign"), &json!({"version": 1})).await.0, 201);
    assert_eq!(app.post(&judge_a, &path("cosign"), &json!({"version": 1})).await.0, 409, "already confirmed");
    let (_, view) = app.get(&clerk, &format!("/api/v1/records/{id}")).await;
    assert_eq!(view["cosign_status"], "pending", "judge_b has not answered yet");

    let (status, answer) = app.post(&judge_b, &path("dispute"), &json!({"version": 1})).await;
    assert_eq!(status, 422, "a dispute needs a reason");
    assert_eq!(problems(&answer), vec![("reason".to_string(), "R1".to_string())]);
    assert_eq!(
        app.post(&judge_b, &path("dispute"), &json!({"version": 1, "reason": "对方还要求尽快结案，记录未写"})).await.0,
        201
    );

    let (_, view) = app.get(&clerk, &format!("/api/v1/records/{id}")).await;
    assert_eq!(view["cosign_status"], "disputed");
    let signatures = view["cosignatures"].as_array().unwrap();
    let by = |who: &str| signatures.iter().find(|s| s["signer"] == who).unwrap().clone();
    assert_eq!(by("judge_a")["state"], "confirmed");
    assert_eq!(by("judge_b")["state"], "disputed");
    assert_eq!(by("judge_b")["reason"], "对方还要求尽快结案，记录未写");
    assert!(by("judge_b")["seq"].as_i64().unwrap() > 0, "the dispute is a ledger event");
    let (_, inbox) = app.get(&judge_a, "/api/v1/cosign-inbox").await;
    assert_eq!(inbox, json!([]));

    // The recorder corrects the record; both colleagues confirm the new version afresh.
    let mut corrected = in_person(&["judge_a", "judge_b"]);
    corrected["content"] = json!("在协调会上要求驳回起诉，称关系地方稳定，并要求尽快结案");
    let (status, _) = app
        .post(
            &clerk,
            &path("amendments"),
            &json!({"record": corrected, "reason": "补充李法官指出的遗漏", "expected_version": 1}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        app.post(&judge_a, &path("cosign"), &json!({"version": 1})).await.0,
        409,
        "version 1 is no longer current"
    );
    assert_eq!(app.post(&judge_a, &path("cosign"), &json!({"version": 2})).await.0, 201);
    assert_eq!(app.post(&judge_b, &path("cosign"), &json!({"version": 2})).await.0, 201);
    let (_, view) = app.get(&clerk, &format!("/api/v1/records/{id}")).await;
    assert_eq!(view["cosign_status"], "confirmed");
    assert_eq!(view["cosignatures"].as_array().unwrap().len(), 4, "version 1's answers stay in the history");
}

#[tokio::test]
async fn amendments_keep_every_version_with_who_when_and_why() {
    let app = spawn_app().await;
    let s = app.store.event_count().await.unwrap();
    let clerk = app.token("clerk").await;
    let judge = app.token("judge_a").await;
    let id = app.create(&clerk, &letter()).await;
    let amend = format!("/api/v1/records/{id}/amendments");

    let mut v2 = letter();
    v2["handling"] = json!("已告知依法办理，未采纳");
    let (status, answer) = app.post(&clerk, &amend, &json!({"record": v2, "reason": ""})).await;
    assert_eq!(status, 422);
    assert_eq!(problems(&answer), vec![("reason".to_string(), "R1".to_string())]);
    assert_eq!(
        app.post(&judge, &amend, &json!({"record": v2, "reason": "补充"})).await.0,
        404,
        "only the recorder amends; a colleague who may not read the record does not learn it exists"
    );
    assert_eq!(
        app.post(&clerk, &amend, &json!({"record": letter(), "reason": "无变化"})).await.0,
        409,
        "an amendment must change something"
    );
    let (status, _) =
        app.post(&clerk, &amend, &json!({"record": v2, "reason": "补充处理情况", "expected_version": 1})).await;
    assert_eq!(status, 201);
    let mut v3 = v2.clone();
    v3["special_items"] = json!([1, 4]);
    assert_eq!(
        app.post(&clerk, &amend, &json!({"record": v3, "reason": "增加第四项", "expected_version": 1})).await.0,
        409,
        "stale version"
    );
    let mut bad = v3.clone();
    bad["form"] = json!("sms");
    let (status, answer) = app.post(&clerk, &amend, &json!({"record": bad, "reason": "改"})).await;
    assert_eq!(status, 422, "an amendment meets the same rules");
    assert_eq!(problems(&answer), vec![("storage_medium".to_string(), "R4".to_string())]);
    assert_eq!(
        app.post(&clerk, &amend, &json!({"record": v3, "reason": "增加第四项", "expected_version": 2})).await.0,
        201
    );

    let (_, view) = app.get(&clerk, &format!("/api/v1/records/{id}")).await;
    assert_eq!(view["version"], 3);
    assert_eq!(view["record"]["special_items"], json!([1, 4]));
    let versions = view["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[0]["reason"], Value::Null);
    assert_eq!(versions[0]["record"]["handling"], Value::Null, "the first version is kept as it was");
    assert_eq!(versions[1]["reason"], "补充处理情况");
    assert_eq!(versions[1]["record"]["handling"], "已告知依法办理，未采纳");
    assert_eq!(versions[2]["reason"], "增加第四项");
    for v in versions {
        assert_eq!(v["actor"], "clerk");
        assert!(v["at"].as_str().unwrap().ends_with('Z'));
    }
    assert!(versions[0]["seq"].as_i64() < versions[1]["seq"].as_i64());
    assert_eq!(app.store.event_count().await.unwrap(), s + 4, "three versions and the one read of them");
}

#[tokio::test]
async fn materials_round_trip_by_hash_and_a_changed_file_is_refused() {
    let app = spawn_app().await;
    let clerk = app.token("clerk").await;
    let office = app.token("office").await;
    let id = app.create(&clerk, &letter()).await;
    let content = "%PDF-1.4\n示例函件：请关照某某有限公司。\n".repeat(2000).into_bytes();
    let expected = hex::encode(Sha256::digest(&content));

    let (status, added) =
        app.upload(&clerk, &id, &[("category", "official_letter")], "某区人民政府函.pdf", content.clone()).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["sha256"], expected.as_str());
    assert_eq!(added["size"], content.len());
    assert_eq!(added["media_type"], "application/pdf");

    let (_, view) = app.get(&office, &format!("/api/v1/records/{id}")).await;
    let material = &view["materials"][0];
    assert_eq!(material["file_name"], "某区人民政府函.pdf");
    assert_eq!(material["disposition"], "filed_with_case", "written materials go into the case file");
    assert_eq!(material["sha256"], expected.as_str());
    let material_id = material["id"].as_str().unwrap().to_string();

    let r =
        app.client.get(app.url(&format!("/api/v1/materials/{material_id}"))).bearer_auth(&office).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let digest = r.headers()["repr-digest"].to_str().unwrap().to_string();
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''%E6%9F%90"));
    let body = r.bytes().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(&body)), expected);
    assert!(digest.starts_with("sha-256=:"));

    // Someone changes the file on disk: it is no longer served.
    let path = app.store.material_store().file_path(&expected);
    let mut tampered = content.clone();
    tampered[20] ^= 1;
    std::fs::write(&path, &tampered).unwrap();
    let r =
        app.client.get(app.url(&format!("/api/v1/materials/{material_id}"))).bearer_auth(&office).send().await.unwrap();
    assert_eq!(r.status(), 500);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/material_corrupt");

    let other = app.token("other_court").await;
    let r =
        app.client.get(app.url(&format!("/api/v1/materials/{material_id}"))).bearer_auth(&other).send().await.unwrap();
    assert_eq!(r.status(), 404, "another court cannot fetch it");
}

#[tokio::test]
async fn material_rules_and_size_limit() {
    let app = spawn_app_with(|c| c.max_material_bytes = 1000).await;
    let clerk = app.token("clerk").await;
    let judge = app.token("judge_a").await;
    let id = app.create(&clerk, &letter()).await;

    let (status, answer) =
        app.upload(&clerk, &id, &[("category", "audiovisual")], "录音.amr", b"#!AMR\nxxxx".to_vec()).await;
    assert_eq!(status, 422, "audio needs its whereabouts");
    assert_eq!(problems(&answer), vec![("whereabouts".to_string(), "R5".to_string())]);
    let (status, answer) = app
        .upload(
            &clerk,
            &id,
            &[("category", "letter"), ("disposition", "whereabouts"), ("whereabouts", "x")],
            "信.txt",
            b"letter".to_vec(),
        )
        .await;
    assert_eq!(status, 422, "letters are filed with the case");
    assert_eq!(problems(&answer), vec![("disposition".to_string(), "R5".to_string())]);
    let (status, answer) = app
        .upload(
            &clerk,
            &id,
            &[("category", "audiovisual"), ("whereabouts", "原始录音交档案室保存")],
            "录音.amr",
            b"#!AMR\nxxxx".to_vec(),
        )
        .await;
    assert_eq!(status, 201, "{answer}");

    let (status, answer) =
        app.upload(&clerk, &id, &[("category", "other"), ("whereabouts", "x")], "big.bin", vec![7u8; 1001]).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer["detail"].as_str().unwrap().contains("大小上限"));
    assert_eq!(
        app.upload(&judge, &id, &[("category", "other"), ("whereabouts", "x")], "a.txt", b"a".to_vec()).await.0,
        403,
        "only the recorder adds materials"
    );

    let (_, view) = app.get(&clerk, &format!("/api/v1/records/{id}")).await;
    assert_eq!(view["materials"].as_array().unwrap().len(), 1, "refused uploads leave nothing behind");
    assert_eq!(view["materials"][0]["whereabouts"], "原始录音交档案室保存");
}

#[tokio::test]
async fn a_repeated_case_system_push_creates_no_duplicate() {
    let app = spawn_app().await;
    let s = app.store.event_count().await.unwrap();
    let token = app.token("clerk").await;
    let mut body = letter();
    body["external_id"] = json!("CMS-2026-000123");
    let push = |body: Value, key: &'static str| {
        let req =
            app.client.post(app.url("/api/v1/records")).bearer_auth(&token).header("idempotency-key", key).json(&body);
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let (s1, first) = push(body.clone(), "cms-push-123").await;
    let (s2, second) = push(body.clone(), "cms-push-123").await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(first["record_id"], second["record_id"]);
    assert_eq!(second["replayed"], true);
    assert_eq!(app.store.event_count().await.unwrap(), s + 1, "one event only");

    // Concurrent retries of a new push still give one record.
    let answers = futures::future::join_all((0..4).map(|_| push(body.clone(), "cms-push-124"))).await;
    let ids: std::collections::HashSet<_> =
        answers.iter().map(|(_, v)| v["record_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(app.store.event_count().await.unwrap(), s + 2);

    let mut changed = body.clone();
    changed["content"] = json!("另一件事");
    let (status, problem) = push(changed, "cms-push-123").await;
    assert_eq!(status, 409, "{problem}");

    let (_, view) = app.get(&token, &format!("/api/v1/records/{}", first["record_id"].as_str().unwrap())).await;
    assert_eq!(view["channel"], "case_system");
    assert_eq!(view["external_id"], "CMS-2026-000123");
}

#[tokio::test]
async fn the_database_refuses_update_and_delete_on_events() {
    let app = spawn_app().await;
    let s = app.store.event_count().await.unwrap();
    let token = app.token("clerk").await;
    app.create(&token, &letter()).await;
    let update = common::sql(&app.store, "UPDATE events SET kind = 'nothing' WHERE seq = 0").await;
    let message = update.expect_err("UPDATE must be refused").to_string();
    assert!(message.contains("append-only"), "{message}");
    let delete = common::sql(&app.store, "DELETE FROM events").await;
    assert!(delete.expect_err("DELETE must be refused").to_string().contains("append-only"));
    assert_eq!(app.store.event_count().await.unwrap(), s + 1);
}

#[tokio::test]
async fn projections_rebuilt_from_events_equal_the_live_ones() {
    let app = spawn_app().await;
    let s = app.store.event_count().await.unwrap() as u64;
    let clerk = app.token("clerk").await;
    let judge = app.token("judge_a").await;
    let a = app.create(&clerk, &in_person(&["judge_a"])).await;
    app.post(&judge, &format!("/api/v1/records/{a}/cosign"), &json!({})).await;
    let mut v2 = letter();
    v2["handling"] = json!("未采纳");
    app.post(
        &clerk,
        &format!("/api/v1/records/{}/amendments", app.create(&clerk, &letter()).await),
        &json!({"record": v2, "reason": "补充"}),
    )
    .await;
    app.upload(&clerk, &a, &[("category", "letter")], "a.txt", b"hello".to_vec()).await;

    let before = app.store.projection_digest().await.unwrap();
    assert_eq!(app.store.rebuild_projections().await.unwrap(), s + 5, "every event is replayed");
    assert_eq!(app.store.projection_digest().await.unwrap(), before);

    // A hand edit of a query table is undone by a rebuild: the events are the truth.
    common::sql(&app.store, "UPDATE records SET intervener_name = '改过的名字'").await.unwrap();
    assert_ne!(app.store.projection_digest().await.unwrap(), before);
    app.store.rebuild_projections().await.unwrap();
    assert_eq!(app.store.projection_digest().await.unwrap(), before);
}

#[tokio::test]
async fn a_backup_taken_while_serving_holds_every_event_and_material() {
    let app = spawn_app().await;
    let s = app.store.event_count().await.unwrap();
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &letter()).await;
    app.upload(&clerk, &id, &[("category", "letter")], "信.txt", "示例来信".as_bytes().to_vec()).await;
    let target = tempfile::tempdir().unwrap();
    let (events, files) = liuhen::storage::backup(&app.store, &target.path().join("copy")).await.unwrap();
    assert_eq!((events, files), (s + 2, 1));
    assert!(
        liuhen::storage::backup(&app.store, &target.path().join("copy")).await.is_err(),
        "never overwrites a database"
    );

    let copy = liuhen::storage::open(common::config(&target.path().join("copy"))).await.unwrap();
    assert_eq!(copy.projection_digest().await.unwrap(), app.store.projection_digest().await.unwrap());
    let clerk_user = copy.user("clerk").await.unwrap().unwrap();
    let view = copy.record(&clerk_user, id.parse().unwrap(), "api").await.unwrap();
    let material = &view.materials[0];
    let bytes: Vec<u8> = futures::StreamExt::concat(futures::StreamExt::map(
        copy.material_store().get_verified(&material.sha256).await.unwrap(),
        |c| c.unwrap().to_vec(),
    ))
    .await;
    assert_eq!(bytes, "示例来信".as_bytes());
}
