//! The two backends' schemas cannot drift apart (issue 18): the SQLite migrations
//! (`crates/store-sqlite/migrations`, a history of steps) and the PostgreSQL ones (`crates/store-pg/migrations`, the end
//! state) leave the same tables with the same columns, each of the same kind of type. A table or column added to one
//! and not the other fails here, naming it. The few differences by design are listed with their reasons.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{ConnectOptions, Row};

/// table → column → kind of type.
type Schema = BTreeMap<String, BTreeMap<String, String>>;

/// What both databases agree a column holds: integers (flags and counters included), text or bytes.
fn kind(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") || t == "boolean" {
        "integer".into()
    } else if t.contains("char") || t == "text" || t.is_empty() {
        "text".into()
    } else if t.contains("blob") || t == "bytea" {
        "bytes".into()
    } else {
        t
    }
}

/// Tables that exist on one backend only, by design.
const ONE_SIDED: [(&str, &str); 1] = [
    // PostgreSQL: the sequencer's lease and epoch, which fence several server processes over one database
    // (SQLite has one writer by its file lock).
    ("sequencer_lease", "postgres"),
];

/// SQLite's search index is an FTS5 virtual table with shadow tables of its own; PostgreSQL's is a plain table
/// with a trigram index. Both are derived from the records and rebuilt from them.
fn search_index(table: &str) -> bool {
    table == "record_search" || table.starts_with("record_search_")
}

async fn sqlite_schema(dir: &std::path::Path) -> Schema {
    liuhen::storage::open(liuhen_store::StoreConfig::new(dir)).await.unwrap().close().await;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join("liuhen.db"))
        .read_only(true)
        .connect()
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for table in tables {
        let columns = sqlx::query("SELECT name, type FROM pragma_table_info($1)")
            .bind(&table)
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<String, _>(0), kind(&r.get::<String, _>(1))))
            .collect();
        schema.insert(table, columns);
    }
    schema
}

async fn postgres_schema(db: &liuhen_store_pg::testing::TestDb, dir: &std::path::Path) -> Schema {
    let mut config = liuhen_store::StoreConfig::new(dir);
    config.database_url = Some(db.url());
    liuhen::storage::open(config).await.unwrap().close().await;
    let pool = db.pool().await;
    let rows = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for r in rows {
        schema.entry(r.get(0)).or_default().insert(r.get(1), kind(&r.get::<String, _>(2)));
    }
    pool.close().await;
    schema
}

/// Every table or column that is not the same on both sides, but for the differences by design.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut differences = Vec::new();
    let tables: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for table in tables {
        if search_index(table) {
            continue;
        }
        match (sqlite.get(table), postgres.get(table)) {
            (Some(s), Some(p)) => {
                let columns: BTreeSet<&String> = s.keys().chain(p.keys()).collect();
                for column in columns.into_iter().filter(|c| s.get(*c) != p.get(*c)) {
                    differences.push(format!(
                        "{table}.{column}: SQLite {:?}, PostgreSQL {:?}",
                        s.get(column),
                        p.get(column)
                    ));
                }
            }
            (Some(_), None) if !ONE_SIDED.contains(&(table.as_str(), "sqlite")) => {
                differences.push(format!("{table}: only in SQLite"))
            }
            (None, Some(_)) if !ONE_SIDED.contains(&(table.as_str(), "postgres")) => {
                differences.push(format!("{table}: only in PostgreSQL"))
            }
            _ => {}
        }
    }
    differences
}

#[tokio::test]
async fn sqlite_and_postgresql_hold_the_same_tables_and_columns() {
    let (dir, pg_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let db = liuhen_store_pg::testing::TestDb::new().await;
    let (sqlite, postgres) = (sqlite_schema(dir.path()).await, postgres_schema(&db, pg_dir.path()).await);
    assert!(sqlite.len() > 30 && postgres.len() > 30, "both migrated: {} and {} tables", sqlite.len(), postgres.len());
    assert_eq!(sqlite["events"].len(), postgres["events"].len());
    let found = differences(&sqlite, &postgres);
    assert!(found.is_empty(), "the schemas differ:\n{}", found.join("\n"));

    // A column added on one side only is found and named.
    let pool = db.pool().await;
    sqlx::query("ALTER TABLE approvals ADD COLUMN added_on_one_side TEXT").execute(&pool).await.unwrap();
    pool.close().await;
    let postgres = postgres_schema(&db, pg_dir.path()).await;
    assert_eq!(
        differences(&sqlite, &postgres),
        ["approvals.added_on_one_side: SQLite None, PostgreSQL Some(\"text\")"]
    );
}

/// Every table of the PostgreSQL schema is granted to the application's role (docs/operations.md), as appended to
/// or as written, and every granted table exists: a table added without its grant would be refused to the server at
/// its first write.
#[tokio::test]
async fn every_postgresql_table_is_granted_to_the_application() {
    let dir = tempfile::tempdir().unwrap();
    let db = liuhen_store_pg::testing::TestDb::new().await;
    let tables: BTreeSet<String> = postgres_schema(&db, dir.path()).await.into_keys().collect();
    let list = |names: &'static str| names.split(',').map(|t| t.trim().to_string()).collect::<BTreeSet<_>>();
    let granted: BTreeSet<String> = list(liuhen_store_pg::APPEND_ONLY_TABLES)
        .into_iter()
        .chain(list(liuhen_store_pg::WRITABLE_TABLES))
        .chain(["sequencer_lease".to_string()])
        .collect();
    assert!(tables.len() > 30, "{tables:?}");
    let ungranted: Vec<_> = tables.difference(&granted).collect();
    assert!(ungranted.is_empty(), "tables the application role is not granted: {ungranted:?}");
    let missing: Vec<_> = granted.difference(&tables).collect();
    assert!(missing.is_empty(), "granted tables that do not exist: {missing:?}");
}

/// Every table the migrations make is copied by `migrate-store` and `backup`, or rebuilt there from the events
/// (`liuhen_store::carries_over`), so a table added later cannot be left behind in a move between backends.
#[tokio::test]
async fn every_table_is_copied_or_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let schema = sqlite_schema(dir.path()).await;
    assert!(schema.len() > 30, "{:?}", schema.keys());
    for table in schema.keys() {
        assert!(
            liuhen_store::carries_over(table),
            "{table} is neither copied (copy.rs COPIED) nor rebuilt (projection.rs PROJECTION_TABLES)"
        );
    }
}

/// Both databases guard the same tables against change with triggers of their own (SQLite's refuse UPDATE and
/// DELETE; PostgreSQL's also TRUNCATE and an insert out of order), and those are the tables the application's role
/// may only append to: a table added to the ledger on one side only, or left unguarded, fails here.
#[tokio::test]
async fn both_databases_guard_the_same_append_only_tables() {
    let (dir, pg_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    sqlite_schema(dir.path()).await;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("liuhen.db"))
        .read_only(true)
        .connect()
        .await
        .unwrap();
    let sqlite: BTreeSet<String> =
        sqlx::query_scalar("SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let db = liuhen_store_pg::testing::TestDb::new().await;
    postgres_schema(&db, pg_dir.path()).await;
    let pool = db.pool().await;
    let postgres: BTreeSet<String> = sqlx::query_scalar(
        "SELECT DISTINCT c.relname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    pool.close().await;
    let append_only: BTreeSet<String> =
        liuhen_store_pg::APPEND_ONLY_TABLES.split(',').map(|t| t.trim().to_string()).collect();
    assert!(append_only.contains("events") && append_only.contains("checkpoints"), "{append_only:?}");
    assert_eq!(sqlite, append_only, "SQLite's guarded tables");
    assert_eq!(postgres, append_only, "PostgreSQL's guarded tables");
}
