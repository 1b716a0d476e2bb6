//! The store on PostgreSQL (issue 7; docs/architecture.md): the same event, Merkle-tree,
//! checkpoint and query tables as the SQLite store, the ledger append-only in the database itself,
//! and the role the application runs as.
//!
//! - [`PgBackend`] is the store's backend on PostgreSQL: its connections, schema and dialect.
//! - [`migrate`] brings a database's schema up to date (run as the owning role).
//! - [`app_role_grants`] is what the application's role may do: read, and append — never change,
//!   delete or truncate the ledger (R1).
//! - [`testing`] gives each test a database of its own.

mod backend;
pub mod testing;

pub use backend::{PgBackend, PgDb, is_postgres_url};

/// The one error type of this layer. Messages say what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("PostgreSQL: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrating the PostgreSQL schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T> = std::result::Result<T, PgError>;

/// Bring the schema of the database behind `pool` up to date. A schema already up to date is left
/// alone without asking for any right beyond reading `_sqlx_migrations`, so the application's role
/// (which may not create tables) starts on a database its owner migrated.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<()> {
    let migrator = sqlx::migrate!("./migrations");
    let latest = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    let applied: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .ok()
        .flatten();
    if applied.is_some_and(|v| v >= latest) {
        return Ok(());
    }
    migrator.run(pool).await?;
    Ok(())
}

/// The tables the application reads, appends to and never changes: the ledger, and what a
/// witness saw or collected.
pub const APPEND_ONLY_TABLES: &str =
    "events, tlog_hashes, checkpoints, witness_alerts, log_cosignatures, log_witness_refusals";

/// The tables the application writes freely: accounts and sessions (their changes are ledger
/// events too), drafts, witness positions, and the query tables derived from the events (a
/// rebuild empties and refills them).
pub const WRITABLE_TABLES: &str = "courts, users, sessions, api_tokens, drafts, witness_logs, log_witness_state, \
     records, record_facts, record_special_items, record_versions, cosignatures, materials, idempotency, \
     record_views, record_search, reports, report_acks, inspections, screenings, checks, findings, complaints, \
     complaint_steps, zero_reports, zero_report_reminders, contacts, record_cadres, cadre_merges, outcomes, \
     derived_backlog, approvals, enrolment_codes";

/// The grants for the application's role `role` on a migrated database: read everything, append to
/// the ledger, write the other tables, move the sequencer's lease — and no UPDATE, DELETE or
/// TRUNCATE of the ledger. The tables stay owned by the role that ran the migrations;
/// docs/operations.md shows the set-up.
pub fn app_role_grants(role: &str) -> Vec<String> {
    let role = quote_identifier(role);
    vec![
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT ON {APPEND_ONLY_TABLES} TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON {WRITABLE_TABLES} TO {role}"),
        format!("GRANT SELECT, UPDATE ON sequencer_lease TO {role}"),
        format!("GRANT SELECT ON _sqlx_migrations TO {role}"),
        format!("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        format!("REVOKE UPDATE, DELETE, TRUNCATE ON {APPEND_ONLY_TABLES} FROM {role}"),
    ]
}

/// A PostgreSQL identifier in double quotes, inner quotes doubled.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    /// docs/operations.md shows the operator the grants to type; they must be the ones
    /// `app_role_grants` gives, or a deployment set up by hand misses a table.
    #[test]
    fn the_operations_guide_shows_the_grants_the_code_gives() {
        let normal = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").replace('"', "");
        let guide = normal(include_str!("../../../docs/operations.md"));
        for statement in super::app_role_grants("liuhen_app") {
            assert!(guide.contains(&format!("{};", normal(&statement))), "docs/operations.md lacks: {statement}");
        }
    }
}
