//! Test harness: a fresh data directory and server per test, bound to port 0, with a small
//! fictional court hierarchy and users.
#![allow(dead_code)]

pub mod binary;

use std::sync::Arc;

use liuhen_rules::{CourtLevel, Role};
use liuhen_server::AppState;
use liuhen_store::{NewCourt, NewUser, Store, StoreConfig};
pub use liuhen_store_pg::testing::TestDb;
use serde_json::{Value, json};

pub const PASSWORD: &str = "test-password-1";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<Store>,
    pub dir: tempfile::TempDir,
    /// The test's own PostgreSQL database when the suite runs on PostgreSQL; dropped with the
    /// last app (or stopped data directory) that holds it.
    pub db: Option<Arc<TestDb>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Whether this run of the suite keeps the tables in PostgreSQL (`LIUHEN_TEST_BACKEND=postgres`,
/// the second run of `./scripts/test`) rather than SQLite in the data directory.
pub fn on_postgres() -> bool {
    std::env::var("LIUHEN_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// A data directory between two starts of a server, with the test's PostgreSQL database when the
/// suite runs on PostgreSQL.
pub struct DataDir {
    pub dir: tempfile::TempDir,
    pub db: Option<Arc<TestDb>>,
}

impl From<tempfile::TempDir> for DataDir {
    fn from(dir: tempfile::TempDir) -> DataDir {
        DataDir { dir, db: None }
    }
}

impl std::ops::Deref for DataDir {
    type Target = tempfile::TempDir;
    fn deref(&self) -> &tempfile::TempDir {
        &self.dir
    }
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
        store.console().add_court(&NewCourt::new(id, name, level, parent, code)).await.unwrap();
    }
    for (username, court, role) in [
        ("clerk", "basic1", Role::Recorder),
        ("judge_a", "basic1", Role::Recorder),
        ("judge_b", "basic1", Role::Recorder),
        ("office", "basic1", Role::StoreMaintainer),
        ("admin", "basic1", Role::SystemAdministrator),
        ("other_court", "basic2", Role::Recorder),
    ] {
        add_account(store, username, court, role).await;
    }
}

/// An account `username` with `role` in `court`, added at the console, with the test password.
pub async fn add_account(store: &Store, username: &str, court: &str, role: Role) {
    store
        .console()
        .add_user(NewUser {
            username: username.into(),
            display_name: format!("测试{username}"),
            court_id: court.into(),
            role,
            password: PASSWORD.into(),
            reason: String::new(),
        })
        .await
        .unwrap();
}

pub fn config(dir: &std::path::Path) -> StoreConfig {
    let mut c = StoreConfig::new(dir);
    c.policy.extra_regions = vec!["示".into()];
    // Tests of other behaviour read the store with a password alone; tests/auth.rs checks that a
    // real deployment (the default) asks store readers for their second factor.
    c.policy.second_factor_for_contents = false;
    c
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut StoreConfig)) -> TestApp {
    spawn_app_in(tempfile::tempdir().unwrap(), true, adjust).await
}

/// Serve the data directory `dir` (seeded with courts and users first when `fresh`).
pub async fn spawn_app_in(dir: impl Into<DataDir>, fresh: bool, adjust: impl FnOnce(&mut StoreConfig)) -> TestApp {
    spawn_app_full(dir, fresh, adjust, |_| {}).await
}

/// As `spawn_app_in`, with a say over the server's state (single sign-on, proxies).
pub async fn spawn_app_full(
    dir: impl Into<DataDir>,
    fresh: bool,
    adjust: impl FnOnce(&mut StoreConfig),
    adjust_state: impl FnOnce(&mut AppState),
) -> TestApp {
    // RUST_LOG=warn (or finer) shows the server's log beside a failing test.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
    let DataDir { dir, db } = dir.into();
    // The test's adjustments may choose the backend themselves (SQLite: no URL), so the test's
    // own database is made only when it is still wanted after them.
    const PENDING: &str = "postgres://pending.invalid/the-test-database";
    let mut cfg = config(dir.path());
    cfg.database_url = match &db {
        Some(db) => Some(db.url()),
        None if on_postgres() => Some(PENDING.into()),
        None => None,
    };
    adjust(&mut cfg);
    let db = match (db, cfg.database_url.as_deref()) {
        (Some(db), Some(url)) if url == db.url() => Some(db),
        (None, Some(PENDING)) => {
            let db = TestDb::new().await;
            // A data directory with a SQLite database (a backup) is restored into PostgreSQL as an
            // operator would: `liuhen migrate-store` from it.
            if dir.path().join("liuhen.db").exists() {
                let from = liuhen::storage::Location { data_dir: dir.path().to_path_buf(), database_url: None };
                let to = liuhen::storage::Location { data_dir: dir.path().to_path_buf(), database_url: Some(db.url()) };
                liuhen::storage::copy_store(&from, &to, |_, _| {}).await.unwrap();
            }
            cfg.database_url = Some(db.url());
            Some(Arc::new(db))
        }
        _ => None,
    };
    let store = Arc::new(liuhen::storage::open(cfg).await.unwrap());
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
    TestApp { base, client: reqwest::Client::new(), store, dir, db, shutdown: Some(tx) }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A password login: its status and answer (the token, or the problem).
    pub async fn login(&self, username: &str, password: &str) -> (u16, Value) {
        let r = self
            .client
            .post(self.url("/api/v1/session"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
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
        add_account(&self.store, username, court, role).await;
        self.token(username).await
    }

    /// A one-time enrolment code for `username`, as the console gives it while the deployment has
    /// no security administrator (or for an account that reads no contents).
    pub async fn enrolment_code(&self, username: &str) -> String {
        self.store.console().enrolment_code(username).await.unwrap()
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
    let rows: Vec<Vec<u8>> = column(&app.store, "SELECT entry FROM events ORDER BY seq").await;
    rows.iter().map(|e| liuhen_ledger::Event::decode(e).unwrap()).collect()
}

/// Run `sql` on the store's own database connection (what the database itself allows or refuses).
pub async fn sql(store: &Store, sql: &str) -> liuhen_store::Result<Vec<Vec<liuhen_store::Cell>>> {
    store.sql_for_tests(sql, Vec::new()).await
}

/// The first column of every row of `sql`.
pub async fn column<T: liuhen_store::FromCell>(store: &Store, query: &str) -> Vec<T> {
    let rows = sql(store, query).await.unwrap();
    rows.iter().map(|r| r[0].get::<T>().unwrap_or_else(|| panic!("{:?} from {query}", r[0]))).collect()
}

/// The first cell of the one row of `sql`.
pub async fn scalar<T: liuhen_store::FromCell>(store: &Store, query: &str) -> T {
    column(store, query).await.into_iter().next().unwrap_or_else(|| panic!("no row from {query}"))
}

/// The cells of the one row of `sql`.
pub async fn one_row(store: &Store, query: &str) -> Vec<liuhen_store::Cell> {
    sql(store, query).await.unwrap().into_iter().next().unwrap_or_else(|| panic!("no row from {query}"))
}

/// A browser without JavaScript: keeps cookies, does not follow redirects, asks for HTML.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    pub cookies: std::collections::BTreeMap<String, String>,
}

pub struct Answer {
    pub status: u16,
    pub location: String,
    pub body: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { http, base: app.base.clone(), cookies: Default::default() }
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Answer {
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let r = req.header("accept", "text/html").header("cookie", cookie.join("; ")).send().await.unwrap();
        for set in r.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let status = r.status().as_u16();
        let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
        Answer { status, location, body: r.text().await.unwrap() }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// A file as the browser downloads it: status, Content-Disposition and the bytes.
    pub async fn download(&self, path: &str) -> (u16, String, Vec<u8>) {
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let r = self.http.get(format!("{}{path}", self.base)).header("cookie", cookie.join("; ")).send().await.unwrap();
        let status = r.status().as_u16();
        let disposition =
            r.headers().get("content-disposition").map_or(String::new(), |v| v.to_str().unwrap().to_string());
        (status, disposition, r.bytes().await.unwrap().to_vec())
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let req = self.http.post(format!("{}{path}", self.base)).form(fields);
        self.send(req).await
    }

    /// Post a form as the page would: with the CSRF token the page carries.
    pub async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Answer {
        let form = self.get(page).await;
        assert_eq!(form.status, 200, "{page}: {}", form.body);
        let csrf = hidden(&form.body, "csrf");
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// A browser that has logged in as `username` with the test password (and was let in).
    pub async fn logged_in(app: &TestApp, username: &str) -> Browser {
        let mut browser = Browser::new(app);
        let answer = browser.log_in(username, PASSWORD).await;
        assert_eq!(answer.status, 303, "{username} logs in: {}", answer.body);
        browser
    }

    pub async fn log_in(&mut self, username: &str, password: &str) -> Answer {
        let page = self.get("/login").await;
        assert_eq!(page.status, 200);
        let login_csrf = hidden(&page.body, "login_csrf");
        self.post(
            "/login",
            &[("login_csrf", &login_csrf), ("username", username), ("password", password), ("next", "/admin/users")],
        )
        .await
    }
}

/// The value of a hidden field in a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} field in {page}")) + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

impl TestApp {
    /// Stop serving and close the store, keeping the data directory for another start.
    pub async fn stop(mut self) -> DataDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.store.close().await;
        DataDir { dir: std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap()), db: self.db.take() }
    }

    /// The store's configuration as the harness made it (the test's database included).
    pub fn config(&self) -> StoreConfig {
        let mut c = config(self.dir.path());
        c.database_url = self.db.as_ref().map(|db| db.url());
        c
    }

    /// `liuhen verify` of this app's store, trusting `keys` (none: the key in the data directory).
    pub fn verify(&self, keys: &[String]) -> liuhen_store::verify::VerifyReport {
        verify_store(&self.config(), keys)
    }
}

/// `liuhen verify` of a store's data directory and tables, as an operator runs it, trusting
/// `keys` (none: the key in the data directory).
pub fn verify_store(config: &StoreConfig, keys: &[String]) -> liuhen_store::verify::VerifyReport {
    let options = liuhen_store::verify::VerifyOptions {
        data_dir: config.data_dir.clone(),
        verifier_keys: keys.to_vec(),
        key_file: None,
        published: Vec::new(),
    };
    liuhen::storage::verify_data_dir(&options, config.database_url.as_deref(), &mut |_, _| {}).unwrap()
}

/// Percent-encoding for a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `liuhen` binary on data directory `dir`, as an operator at the console `registrar` runs it
/// (`LIUHEN_NEW_PASSWORD` answers the password prompt): whether it succeeded, and what it printed.
pub fn cli<'a>(dir: &'a std::path::Path, new_password: &'a str) -> impl Fn(&[&str]) -> (bool, String) + 'a {
    move |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
            .arg("--data-dir")
            .arg(dir)
            .args(args)
            .env("LIUHEN_NEW_PASSWORD", new_password)
            .env("USER", "registrar")
            .env_remove("SUDO_USER")
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    }
}
