//! Issue 17, item 9: the smaller hardening items. Each test here failed on the code before its fix:
//! an open redirect after login, panics and 500s reachable from input, multipart text fields
//! buffered whole, files made with the default umask, `receipt verify` trusting the receipt's own
//! key, court ids and file names written raw into `Content-Disposition`.

mod common;

use common::{Browser, letter};
use serde_json::{Value, json};

/// Only a plain path on this site is followed after login (or the language switch); anything a
/// browser might read as another site (`//host`, `/\host`, a tab or newline that browsers drop,
/// the same percent-encoded) goes to `/` instead.
#[tokio::test]
async fn login_sends_on_only_to_a_plain_path_on_this_site() {
    let app = common::spawn_app().await;
    let mut browser = Browser::new(&app);

    // Through the login form itself.
    for bad in ["/\t/evil.example", "//evil.example", "/\\evil.example"] {
        let mut fresh = Browser::new(&app);
        let page = fresh.get("/login").await;
        let login_csrf = common::hidden(&page.body, "login_csrf");
        let r = fresh
            .post(
                "/login",
                &[("login_csrf", &login_csrf), ("username", "clerk"), ("password", common::PASSWORD), ("next", bad)],
            )
            .await;
        assert_eq!(r.status, 303, "{bad:?}: {}", r.body);
        assert_eq!(r.location, "/", "{bad:?} must not be followed");
    }
    browser.log_in("clerk", common::PASSWORD).await;

    // Logged in, /login?next=… sends on at once; /lang/… too.
    let bad = [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/ /evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%09/evil.example",
        "/%2F/evil.example",
        "/%2f%2fevil.example",
        "/%5Cevil.example",
        "/%0a/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        " /records",
        "",
    ];
    for next in bad {
        for route in ["/login", "/lang/en"] {
            let url = format!("{route}?next={}", urlencode(next));
            let r = browser.get(&url).await;
            assert_eq!(r.status, 303, "{url}");
            assert_eq!(r.location, "/", "{route} with next={next:?} must not be followed");
        }
    }
    for good in ["/records", "/records?case_number=%EF%BC%882026%EF%BC%89&page=2", "/admin/users", "/"] {
        let r = browser.get(&format!("/login?next={}", urlencode(good))).await;
        assert_eq!(r.location, good, "a path on this site is followed");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A time beyond what the calendar can hold once moved to UTC or China Standard Time is a 422
/// naming the field, not a panic.
#[tokio::test]
async fn an_instant_at_the_end_of_the_calendar_is_refused_not_a_crash() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    for at in ["9999-12-31T23:00:00-05:00", "9999-12-31T20:00:00Z", "9999-12-31 23:59", "-9999-01-01T00:00:00+05:00"] {
        let mut body = letter();
        body["occurred_at"] = json!(at);
        let r = app.client.post(app.url("/api/v1/records")).bearer_auth(&clerk).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 422, "{at}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
        let body: Value = r.json().await.unwrap();
        assert!(common::problems(&body).iter().any(|(f, _)| f == "occurred_at"), "{at}: {body}");
    }
    let office = app.token("office").await;
    for q in ["from=9999-12-31T23:00:00-05:00", "to=9999-12-31", "to=9999-12-31T20:00:00Z"] {
        let r = app.client.get(app.url(&format!("/api/v1/records?{q}"))).bearer_auth(&office).send().await.unwrap();
        assert_eq!(r.status(), 422, "{q}");
        let body: Value = r.json().await.unwrap();
        let field = q.split('=').next().unwrap();
        assert!(common::problems(&body).iter().any(|(f, _)| f == field), "{q}: {body}");
    }
}

/// Tiles of levels whose span overflows the arithmetic are simply not there.
#[tokio::test]
async fn a_tile_far_above_the_tree_is_not_found() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    app.create(&clerk, &letter()).await;
    let auditor = app.auditor().await;
    for path in [
        "15/000",
        "16/000",
        "63/000",
        "63/x999/x999/x999/x999/x999/x999/999",
        "7/x018/x446/x744/x073/x709/x551/615",
        "8/000.p/1",
        "0/x018/x446/x744/x073/x709/x551/615",
        "entries/x018/x446/x744/x073/x709/x551/615",
    ] {
        let r = app.client.get(app.url(&format!("/log/tile/{path}"))).bearer_auth(&auditor).send().await.unwrap();
        let status = r.status().as_u16();
        assert!(status == 404 || status == 400, "{path}: {status}");
    }
    // The tile that exists is still served.
    let r = app.client.get(app.url("/log/tile/entries/000.p/1")).bearer_auth(&auditor).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

/// A page number whose offset overflows is a 422 naming `page` (beyond u32) or an empty page,
/// never a 500 or a panic.
#[tokio::test]
async fn a_page_far_beyond_the_end_is_empty_or_refused() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    app.create(&clerk, &letter()).await;
    let office = app.token("office").await;
    let r = app
        .client
        .get(app.url("/api/v1/records?page=18446744073709551615&per_page=100"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
    let body: Value = r.json().await.unwrap();
    assert!(common::problems(&body).iter().any(|(f, _)| f == "page"), "{body}");

    for q in ["page=4294967295&per_page=200", "page=4294967295&per_page=4294967295"] {
        let (status, page) = app.get(&office, &format!("/api/v1/records?{q}")).await;
        assert_eq!(status, 200, "{q}: {page}");
        assert_eq!(page["total"], 1, "{q}");
        assert_eq!(page["items"], json!([]), "{q}");
    }
    // Issue 19: what the OpenAPI document says is out of range is refused, naming the field.
    for (q, field) in [("page=0", "page"), ("per_page=0", "per_page")] {
        let (status, body) = app.get(&office, &format!("/api/v1/records?{q}")).await;
        assert_eq!(status, 422, "{q}: {body}");
        assert!(common::problems(&body).iter().any(|(f, _)| f == field), "{q}: {body}");
    }
    let (status, body) = app.get(&office, "/api/v1/records?per_page=18446744073709551615").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("per_page"), "{body}");
    // The page of the list, too.
    let mut browser = Browser::logged_in(&app, "office").await;
    let r = browser.get("/records?page=4294967295").await;
    assert_eq!(r.status, 200);
}

/// A record whose every field keeps to its own limit can still make an event over the log's
/// 65,535-byte entry limit: that is a 422 that says so, not a 500.
#[tokio::test]
async fn a_record_too_large_for_one_log_entry_is_refused_with_a_reason() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let wide = "𠀀"; // four bytes in UTF-8
    let mut body = common::in_person(&["judge_a"]);
    body["content"] = json!(wide.repeat(liuhen_rules::record::MAX_CONTENT_CHARS));
    body["handling"] = json!(wide.repeat(liuhen_rules::record::MAX_HANDLING_CHARS));
    let people: Vec<String> = (0..liuhen_rules::record::MAX_PERSONS)
        .map(|i| format!("{i:02}{}", wide.repeat(liuhen_rules::record::MAX_SHORT_CHARS - 2)))
        .collect();
    body["persons_present"] = json!(people);
    let r = app
        .client
        .post(app.url("/api/v1/records"))
        .bearer_auth(&clerk)
        .header("accept-language", "en")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
    let answer: Value = r.json().await.unwrap();
    let problems = common::problems(&answer);
    assert_eq!(problems.len(), 1, "{answer}");
    assert_eq!(problems[0].1, "R1", "{answer}");
    assert_eq!(answer["errors"][0]["code"], "too_large", "{answer}");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("65,535"), "{answer}");
    // Chinese by default.
    let (status, answer) = app.post(&clerk, "/api/v1/records", &body).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("65535 字节"), "{answer}");
    // The log goes on.
    app.create(&clerk, &letter()).await;
}

/// The text fields of an upload are read only up to a few KiB each, not up to the upload limit;
/// a longer one is refused naming the field.
#[tokio::test]
async fn upload_text_fields_are_capped() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &letter()).await;
    let long = "x".repeat(1_000_000);
    for field in ["category", "disposition", "whereabouts"] {
        let mut fields = vec![("category", "audiovisual"), ("whereabouts", "退回")];
        fields.retain(|(k, _)| *k != field);
        fields.insert(0, (field, long.as_str()));
        let (status, body) = app.upload(&clerk, &id, &fields, "a.txt", b"hello".to_vec()).await;
        assert!(status == 422 || status == 413, "{field}: {status}");
        let problems = common::problems(&body);
        assert!(problems.iter().any(|(f, _)| f == field), "{field}: {body}");
        assert_eq!(body["errors"][0]["code"], "too_long", "{field}: {body}");
        assert!(body.to_string().len() < 4096, "{field}: the value is not echoed back");
    }
    // Within the cap all is well.
    let (status, body) =
        app.upload(&clerk, &id, &[("category", "audiovisual"), ("whereabouts", "退回")], "a.txt", b"hi".to_vec()).await;
    assert_eq!(status, 201, "{body}");

    // The file itself is not held to that bound, however fast it arrives.
    let large = vec![b'%'; 3 * liuhen_upload::MAX_HEAD_BYTES];
    let (status, body) =
        app.upload(&clerk, &id, &[("category", "audiovisual"), ("whereabouts", "退回")], "large.bin", large).await;
    assert_eq!((status, body["size"].as_u64()), (201, Some(3 << 20)), "{body}");

    // A part's header that never ends would be held in memory up to the upload's limit: what comes
    // before the file is bounded (liuhen_upload::MAX_HEAD_BYTES).
    let mut endless = b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nX-Pad: ".to_vec();
    endless.resize(2 << 20, b'x');
    let answer = app
        .client
        .post(app.url(&format!("/api/v1/records/{id}/materials")))
        .bearer_auth(&clerk)
        .header("content-type", "multipart/form-data; boundary=B")
        .body(endless)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["type"], "/problems/too_large", "{body}");
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

/// The data directory and what is in it are its owner's alone, whatever the umask: directories
/// 0700, the database, keys and materials 0600; a backup likewise.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_readable_by_its_owner_only() {
    let outer = tempfile::tempdir().unwrap();
    let data = outer.path().join("data");
    let mut cfg = common::config(&data);
    cfg.database_url = None;
    let store = liuhen::storage::open(cfg).await.unwrap();
    let body = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"%PDF-1.4\nhello"))]);
    let stored = store.material_store().put_stream(Box::pin(body), 1 << 20).await.unwrap();
    let material = store.material_store().file_path(&stored.sha256);
    common::seed(&store).await;

    assert_eq!(mode(&data), 0o700, "data directory");
    for file in ["liuhen.db", "liuhen.db-wal", "log-signing.key", "witness-signing.key"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    all_private(&data);
    assert_eq!(mode(&material), 0o600, "material");
    store.close().await;

    // A backup of a running server's store (either backend), with a material recorded.
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &letter()).await;
    let (status, added) =
        app.upload(&clerk, &id, &[("category", "letter")], "a.pdf", b"%PDF-1.4\nbackup".to_vec()).await;
    assert_eq!(status, 201, "{added}");
    all_private(app.dir.path());
    let backup = outer.path().join("backup");
    liuhen::storage::backup(&app.store, &backup).await.unwrap();
    assert_eq!(mode(&backup), 0o700, "backup directory");
    assert_eq!(mode(&backup.join("liuhen.db")), 0o600, "backup database");
    let sha = added["sha256"].as_str().unwrap();
    let copy = backup.join(format!("materials/sha256/{}/{}/{sha}", &sha[0..2], &sha[2..4]));
    assert_eq!(mode(&copy), 0o600, "backup material");
    all_private(&backup);
}

/// Every directory under `dir` is 0700 and every file 0600.
#[cfg(unix)]
fn all_private(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_eq!(mode(&path), 0o700, "{}", path.display());
            all_private(&path);
        } else {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}

/// Without `--key`, a receipt is checked only against the key it carries itself, which proves
/// nothing (anyone can sign a receipt with a key of their own): the CLI says so and does not
/// claim it verified.
#[tokio::test]
async fn receipt_verify_without_a_key_does_not_claim_success() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &letter()).await;
    let mut receipt = Value::Null;
    for _ in 0..50 {
        let (status, r) = app.get(&clerk, &format!("/api/v1/records/{id}/receipt")).await;
        if status == 200 {
            receipt = r;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(receipt.is_object(), "a receipt");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.json");
    std::fs::write(&file, serde_json::to_vec(&receipt).unwrap()).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
            .args(["receipt", "verify", file.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "without --key it must not succeed: {stdout}");
    assert!(!stdout.contains('✓') && !stderr.contains('✓'), "no ✓ without --key: {stdout}{stderr}");
    assert!(stderr.contains("--key") && stderr.contains("公钥") && stderr.contains("public key"), "{stderr}");

    let key = receipt["verifier_key"].as_str().unwrap();
    let out = run(&["--key", key]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains('✓'));
}

/// Court ids are short ASCII words, checked when a court is added: they end up in URLs, file
/// names and headers.
#[tokio::test]
async fn a_court_id_is_a_plain_word() {
    let app = common::spawn_app().await;
    let console = app.store.console();
    for bad in ["", "a\"b", "a b", "x\r\nSet-Cookie: y=1", "法院", "a/b", "a;b", &"x".repeat(65)] {
        let err = console
            .add_court(&liuhen_store::NewCourt::new(
                bad,
                "示例市丙区人民法院",
                liuhen_rules::CourtLevel::Basic,
                Some("high"),
                "示0103",
            ))
            .await
            .expect_err(bad);
        let api = liuhen_server::error::ApiError::from(err);
        assert_eq!(api.status, 422, "{bad:?}");
        assert!(api.problems.iter().any(|p| p.field == "id"), "{bad:?}: {api:?}");
    }
    for (i, good) in ["basic3", "Court_3-a", &"x".repeat(64)].into_iter().enumerate() {
        console
            .add_court(&liuhen_store::NewCourt::new(
                good,
                &format!("示例市第{i}区人民法院"),
                liuhen_rules::CourtLevel::Basic,
                Some("high"),
                &format!("示010{}", i + 3),
            ))
            .await
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
}

/// Every download names its file in both forms of RFC 6266: an ASCII `filename` without quotes or
/// line breaks, and the exact name in `filename*` (RFC 5987).
#[tokio::test]
async fn downloads_name_their_files_safely() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &letter()).await;
    let office = Browser::logged_in(&app, "office").await;

    let (status, disposition, _) = office.download("/reports/quarterly.xlsx?year=2026&quarter=1").await;
    assert_eq!(status, 200);
    assert_eq!(
        disposition,
        "attachment; filename=\"quarterly-basic1-2026Q1.xlsx\"; filename*=UTF-8''quarterly-basic1-2026Q1.xlsx"
    );
    let (status, disposition, _) = office.download("/records.csv").await;
    assert_eq!(status, 200);
    assert_eq!(disposition, "attachment; filename=\"liuhen-records.csv\"; filename*=UTF-8''liuhen-records.csv");

    // A material's name is the uploader's: spaces, semicolons and Chinese come through only encoded.
    let name = "来函; 附件 (1).pdf";
    // Sent as browsers send it: the name in UTF-8 between quotes.
    let form = reqwest::multipart::Form::new()
        .percent_encode_noop()
        .text("category", "letter")
        .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4\n".to_vec()).file_name(name));
    let r = app
        .client
        .post(app.url(&format!("/api/v1/records/{id}/materials")))
        .bearer_auth(&clerk)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let added: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{added}");
    let material = added["material_id"].as_str().unwrap();
    let r = app.client.get(app.url(&format!("/api/v1/materials/{material}"))).bearer_auth(&clerk).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
    let (fallback, exact) = disposition
        .strip_prefix("attachment; filename=\"")
        .and_then(|rest| rest.split_once("\"; filename*=UTF-8''"))
        .unwrap_or_else(|| panic!("both forms: {disposition}"));
    assert!(fallback.ends_with(".pdf") && fallback.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)));
    assert_eq!(exact, urlencode(name));
}

/// Issue 19: a malformed id in the path or a malformed query value is refused as a problem
/// document in the caller's language, like every other error, not as the framework's plain text.
#[tokio::test]
async fn a_malformed_path_or_query_is_a_problem_document() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    for (path, lang, says) in [
        ("/api/v1/records/not-a-uuid", "zh", "路径中的编号有误"),
        ("/api/v1/records/not-a-uuid", "en", "a parameter of the path is not valid"),
        ("/api/v1/records?special_item=many", "zh", "查询参数有误"),
        ("/api/v1/records?special_item=many", "en", "the query string is not valid"),
    ] {
        let answer =
            app.client.get(app.url(path)).bearer_auth(&clerk).header("accept-language", lang).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{path}");
        let kind = answer.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(kind, "application/problem+json", "{path}");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert!(body["detail"].as_str().unwrap().contains(says), "{path} {lang}: {body}");
        assert_eq!(body["status"], 400);
    }
}

/// Issue 19: the pages read their paths and queries through the same extractors as the API, so a
/// malformed one is the site's own error page in the reader's language, not the framework's
/// English plain text.
#[tokio::test]
async fn a_malformed_page_address_is_an_error_page() {
    let app = common::spawn_app().await;
    let mut browser = Browser::logged_in(&app, "office").await;
    for (path, says) in [
        ("/records/not-a-uuid", "路径中的编号有误"),
        ("/reports/quarterly?year=abc", "查询参数有误"),
        ("/cadres/history?key=x&key=y", "查询参数有误"),
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 400, "{path}: {}", page.body);
        assert!(page.body.starts_with("<!doctype html>"), "{path}: {}", page.body);
        assert!(page.body.contains(says), "{path}: {}", page.body);
    }
}

/// Issue 19: the other ways a request can be unreadable — the wrong method, a JSON body sent as
/// something else, an upload that is not multipart, a login form that is not a form — are problem
/// documents with the status that says what is wrong.
#[tokio::test]
async fn an_unreadable_request_is_a_problem_document_with_its_own_status() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &common::in_person(&[])).await;
    let requests = [
        (app.client.put(app.url("/api/v1/records")), 405, "请求方法"),
        (app.client.post(app.url("/api/v1/records")).header("content-type", "text/plain").body("{}"), 415, "JSON"),
        (app.client.post(app.url(&format!("/api/v1/records/{id}/materials"))).body("x"), 415, "multipart"),
        (
            app.client.post(app.url("/api/v1/records")).header("content-type", "application/json").body("{"),
            400,
            "不是有效的 JSON",
        ),
    ];
    for (request, status, says) in requests {
        let answer = request.bearer_auth(&clerk).send().await.unwrap();
        assert_eq!(answer.status(), status, "{says}");
        assert_eq!(answer.headers()["content-type"], "application/problem+json", "{says}");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert!(body["detail"].as_str().unwrap().contains(says), "{says}: {body}");
    }
    let answer = app.client.post(app.url("/login")).header("content-type", "application/json").body("{}").send().await;
    let answer = answer.unwrap();
    assert_eq!(answer.status(), 415);
    assert_eq!(answer.headers()["content-type"], "application/problem+json");
}
