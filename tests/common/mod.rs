//! Test harness: a fresh data directory and server per test, bound to port 0, with a small
//! fictional court hierarchy and users.
#![allow(dead_code)]

use std::sync::Arc;

use liuhen_rules::{CourtLevel, Role};
use liuhen_server::AppState;
use liuhen_store::{NewCourt, NewUser, Store, StoreConfig};
use serde_json::{Value, json};

pub const PASSWORD: &str = "test-password-1";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<Store>,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Courts: a high court 示, a basic court 示0101 (where the users are) and another basic court.
pub async fn seed(store: &Store) {
    for (id, name, level, parent, code) in [
        ("high", "示例省高级人民法院", CourtLevel::High, None, "示"),
        ("basic1", "示例市甲区人民法院", CourtLevel::Basic, Some("high"), "示0101"),
        ("basic2", "示例市乙区人民法院", CourtLevel::Basic, Some("high"), "示0102"),
    ] {
        store
            .console()
            .add_court(&NewCourt {
                id: id.into(),
                name: name.into(),
                level,
                parent_id: parent.map(String::from),
                case_code: code.into(),
            })
            .await
            .unwrap();
    }
    for (username, court, role) in [
        ("clerk", "basic1", Role::Recorder),
        ("judge_a", "basic1", Role::Recorder),
        ("judge_b", "basic1", Role::Recorder),
        ("office", "basic1", Role::StoreMaintainer),
        ("admin", "basic1", Role::SystemAdministrator),
        ("other_court", "basic2", Role::Recorder),
    ] {
        store
            .console()
            .add_user(NewUser {
                username: username.into(),
                display_name: format!("测试{username}"),
                court_id: court.into(),
                role,
                password: PASSWORD.into(),
            })
            .await
            .unwrap();
    }
}

pub fn config(dir: &std::path::Path) -> StoreConfig {
    let mut c = StoreConfig::new(dir);
    c.extra_regions = vec!["示".into()];
    // Tests of other behaviour read the store with a password alone; tests/auth.rs checks that a
    // real deployment (the default) asks store readers for their second factor.
    c.second_factor_for_store = false;
    c
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut StoreConfig)) -> TestApp {
    spawn_app_in(tempfile::tempdir().unwrap(), true, adjust).await
}

/// Serve the data directory `dir` (seeded with courts and users first when `fresh`).
pub async fn spawn_app_in(dir: tempfile::TempDir, fresh: bool, adjust: impl FnOnce(&mut StoreConfig)) -> TestApp {
    spawn_app_full(dir, fresh, adjust, |_| {}).await
}

/// As `spawn_app_in`, with a say over the server's state (single sign-on, proxies).
pub async fn spawn_app_full(
    dir: tempfile::TempDir,
    fresh: bool,
    adjust: impl FnOnce(&mut StoreConfig),
    adjust_state: impl FnOnce(&mut AppState),
) -> TestApp {
    let mut cfg = config(dir.path());
    adjust(&mut cfg);
    let store = Arc::new(Store::open(cfg).await.unwrap());
    if fresh {
        seed(&store).await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut state = AppState::new(store.clone());
    adjust_state(&mut state);
    tokio::spawn(liuhen_server::serve(listener, state, async {
        let _ = rx.await;
    }));
    TestApp { base, client: reqwest::Client::new(), store, dir, shutdown: Some(tx) }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn token(&self, username: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/v1/session"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {username}");
        r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self.client.post(self.url(path)).bearer_auth(token).json(body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// An auditor account (reads every log entry) at the high court, logged in.
    pub async fn auditor(&self) -> String {
        self.user("auditor", "high", Role::Auditor).await
    }

    /// A new account with `role` in `court`, logged in.
    pub async fn user(&self, username: &str, court: &str, role: Role) -> String {
        self.store
            .console()
            .add_user(NewUser {
                username: username.into(),
                display_name: format!("测试{username}"),
                court_id: court.into(),
                role,
                password: PASSWORD.into(),
            })
            .await
            .unwrap();
        self.token(username).await
    }

    /// Upload a material to record `id` with the form `fields` (category, disposition, …).
    pub async fn upload(
        &self,
        token: &str,
        id: &str,
        fields: &[(&str, &str)],
        name: &str,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
        let r = self
            .client
            .post(self.url(&format!("/api/v1/records/{id}/materials")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Create a record and return its id.
    pub async fn create(&self, token: &str, body: &Value) -> String {
        let (status, created) = self.post(token, "/api/v1/records", body).await;
        assert_eq!(status, 201, "{created}");
        created["record_id"].as_str().unwrap().to_string()
    }
}

/// A complete record by letter from a leading cadre.
pub fn letter() -> Value {
    json!({
        "case_number": "（2026）示0101民初12号",
        "stage": "trial",
        "intervener": {
            "name": "张某", "unit": "某区人民政府", "post": "副区长", "unit_type": "government",
            "leading_cadre": true, "relation": "self", "managing_level": "municipal"
        },
        "occurred_at": "2026-03-31 23:30",
        "form": "letter",
        "content": "来信要求对某某有限公司从轻处理",
        "special_items": [1],
    })
}

/// A complete oral record made in person with `staff` present.
pub fn in_person(staff: &[&str]) -> Value {
    let mut v = letter();
    v["form"] = json!("in_person");
    v["place"] = json!("某区人民政府第二会议室");
    v["persons_present"] = json!(["张某", "某办公室工作人员"]);
    v["court_staff_present"] = json!(staff);
    v["content"] = json!("在协调会上要求驳回起诉，称关系地方稳定");
    v
}

/// The problems of a 422 response as (field, rule) pairs.
pub fn problems(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["rule"].as_str().unwrap().to_string()))
        .collect()
}

/// Every event of the log, as the ledger holds it.
pub async fn events(app: &TestApp) -> Vec<liuhen_ledger::Event> {
    let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT entry FROM events ORDER BY seq")
        .fetch_all(app.store.writer_pool_for_tests())
        .await
        .unwrap();
    rows.iter().map(|e| liuhen_ledger::Event::decode(e).unwrap()).collect()
}
