//! A database of one's own for each test (the tests of this crate and of the workspace): made
//! on the server at `LIUHEN_TEST_POSTGRES_URL` (default: the local one, which `./scripts/test`
//! starts when none answers) and dropped, with the roles made for it, when the test ends however
//! it ends. A test that cannot reach the server fails; it never skips.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Executor, PgPool};

use crate::{app_role_grants, quote_identifier};

/// Run one statement made at run time (names of this test's database and roles).
pub async fn run<'c, E: Executor<'c, Database = sqlx::Postgres>>(executor: E, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(executor).await.unwrap();
}

pub fn admin_url() -> String {
    std::env::var("LIUHEN_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database (and roles) of one test, dropped when the test ends, however it ends.
pub struct TestDb {
    pub name: String,
    pub options: PgConnectOptions,
    roles: std::sync::Mutex<Vec<String>>,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let admin = PgConnectOptions::from_str(&admin_url()).unwrap();
        let mut conn = admin.connect().await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {} is not reachable ({e}): ./scripts/test starts one", admin_url())
        });
        let name = format!("liuhen_test_{}", uuid::Uuid::new_v4().simple());
        run(&mut conn, format!("CREATE DATABASE {}", quote_identifier(&name))).await;
        TestDb { options: admin.database(&name), name, roles: Default::default() }
    }

    /// The database's URL, for tools run as processes (the admin URL with this database's name).
    pub fn url(&self) -> String {
        let admin = admin_url();
        let (base, query) = admin.split_once('?').map_or((admin.as_str(), None), |(b, q)| (b, Some(q)));
        let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
        match query {
            Some(q) => format!("{server}/{}?{q}", self.name),
            None => format!("{server}/{}", self.name),
        }
    }

    /// The database's URL for another login role (trust authentication, as the test server has).
    pub fn url_as(&self, role: &str) -> String {
        let url = self.url();
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => format!("{}{role}{}", &url[..scheme + 3], &url[at..]),
            _ => url.replacen("://", &format!("://{role}@"), 1),
        }
    }

    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new().max_connections(4).connect_with(self.options.clone()).await.unwrap()
    }

    /// Cut every connection to this database, as a restarted server or a network fault would;
    /// returns how many there were.
    pub async fn terminate_connections(&self) -> usize {
        let mut conn = PgConnectOptions::from_str(&admin_url()).unwrap().connect().await.unwrap();
        let cut: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        cut.into_iter().filter(|(done,)| *done).count()
    }

    /// A login role of this test with the application's grants.
    pub async fn app_role(&self, pool: &PgPool) -> PgConnectOptions {
        let role = format!("{}_app", self.name);
        run(pool, format!("CREATE ROLE {} LOGIN", quote_identifier(&role))).await;
        self.roles.lock().unwrap().push(role.clone());
        for grant in app_role_grants(&role) {
            run(pool, grant).await;
        }
        self.options.clone().username(&role)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (name, roles) = (self.name.clone(), std::mem::take(&mut *self.roles.lock().unwrap()));
        // Drop runs outside any runtime's async context: a thread of its own does the dropping.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let mut conn = PgConnectOptions::from_str(&admin_url()).unwrap().connect().await.unwrap();
                run(&mut conn, format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_identifier(&name))).await;
                for role in roles {
                    run(&mut conn, format!("DROP ROLE IF EXISTS {}", quote_identifier(&role))).await;
                }
            })
        })
        .join()
        .unwrap();
    }
}
