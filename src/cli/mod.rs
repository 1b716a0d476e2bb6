//! The `liuhen` command line: its commands and options, and where each is carried out — serving
//! (`serve.rs`), courts, accounts and tokens at the console (`accounts.rs`), the data directory's
//! upkeep (`maintenance.rs`) and checking the log (`verify.rs`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use liuhen::config::Settings;
use liuhen_store::Store;

mod accounts;
mod maintenance;
mod serve;
mod verify;

#[derive(Parser)]
#[command(
    name = "liuhen",
    version,
    about = "留痕：外部人员过问信息专库 (the register of outside interference in court cases)"
)]
pub struct Cli {
    /// Configuration file (TOML); default ./liuhen.toml when present. Environment: LIUHEN_CONFIG.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (database and materials). Environment: LIUHEN_DATA_DIR.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Serve the API (listen address: --listen or LIUHEN_LISTEN).
    Serve {
        #[arg(long)]
        listen: Option<String>,
    },
    /// Create a demo data directory with a fictional court hierarchy and records, then serve it.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Number of fictional records to generate.
        #[arg(long, default_value_t = 320)]
        records: usize,
        /// Delete the demo data directory first and start again.
        #[arg(long)]
        reset: bool,
        /// Set up the data but do not serve.
        #[arg(long)]
        no_serve: bool,
    },
    /// Add a court to the hierarchy.
    CourtAdd {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// supreme, high, intermediate, basic or special.
        #[arg(long)]
        level: String,
        #[arg(long)]
        parent: Option<String>,
        /// 法院代字, e.g. 示0101.
        #[arg(long)]
        code: String,
    },
    /// Add a user; the password comes from LIUHEN_NEW_PASSWORD or the first line of standard input.
    UserAdd {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        court: String,
        /// recorder, store_maintainer, court_leader, discipline_inspector, system_administrator,
        /// security_administrator, security_auditor, auditor, witness, report_recipient or
        /// case_system.
        #[arg(long)]
        role: String,
        /// Why, for the security administrator: a role that reads contents (or approves or
        /// audits) is granted when they approve, once the deployment has one.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Set a new password for an account (read from LIUHEN_NEW_PASSWORD or standard input) and end
    /// its sessions; shows no record content.
    UserPassword {
        #[arg(long)]
        username: String,
        /// Why, for the security administrator (an account that reads contents).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Change an account's role (recorder, store_maintainer, court_leader, discipline_inspector,
    /// system_administrator, auditor, witness); its sessions end.
    UserRole {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
        /// Why, for the security administrator (a role that reads contents, approves or audits).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Disable an account: no more logins, sessions end, tokens revoked; nothing is deleted.
    UserDisable {
        #[arg(long)]
        username: String,
    },
    /// Remove an account's TOTP second factor (a lost authenticator); the user sets up a new one.
    UserResetTotp {
        #[arg(long)]
        username: String,
        /// Why, for the security administrator (an account that reads contents).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// A one-time code for an account to enrol its first authenticator, printed to hand over out
    /// of band: for accounts that read no contents, or while the deployment has no security
    /// administrator yet.
    UserEnrolmentCode {
        #[arg(long)]
        username: String,
    },
    /// Unlock an account locked after failed logins (等保), before its lock runs out.
    UserUnlock {
        #[arg(long)]
        username: String,
    },
    /// Copy the data directory consistently while the server runs (database snapshot + materials).
    Backup {
        /// An empty directory to hold the copy; serve it with --data-dir to restore.
        #[arg(long)]
        to: PathBuf,
    },
    /// Move the store's tables between SQLite and PostgreSQL (either way) into a new, empty
    /// target, then verify the target from its events and compare it with the source (the same
    /// newest checkpoint and materials). Stop the servers first.
    MigrateStore {
        /// Where the tables are: postgres://… or a data directory (sqlite:PATH or PATH); default
        /// the configured store.
        #[arg(long)]
        from: Option<String>,
        /// Where they go: postgres://… (an empty database; materials and keys stay in the data
        /// directory) or a new data directory for SQLite (materials and keys copied there).
        #[arg(long)]
        to: String,
        /// The log's public verifier key(s) to check both with; default the data directory's.
        #[arg(long)]
        key: Vec<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set up a data directory: the database and the log's signing key; prints the public key.
    Init {
        /// The log's name in its checkpoints (no spaces or '+').
        #[arg(long)]
        origin: Option<String>,
    },
    /// Print the log's public verifier key(s) (publish them; receipts and checkpoints are checked
    /// with them), or rotate the key without a flag day: `rotate` makes a next key that signs
    /// alongside the current one from the next start; `promote` makes it the current one.
    LogKey {
        #[arg(value_parser = ["rotate", "promote"])]
        action: Option<String>,
    },
    /// Check a data directory or backup from the events up: leaves, tree, signed checkpoints,
    /// query tables, materials. Exits non-zero naming the first bad entry.
    Verify {
        /// The log's public key(s) to trust (name+id+base64; repeat across a rotation). Default:
        /// derived from the data directory's own key files, which cannot show a re-signing.
        #[arg(long)]
        key: Vec<String>,
        /// Print a machine-readable summary.
        #[arg(long)]
        json: bool,
        /// Check a running server's log over HTTP instead of a data directory.
        #[arg(long)]
        url: Option<String>,
        /// Bearer token for --url (an auditor's also checks every entry).
        #[arg(long, env = "LIUHEN_TOKEN")]
        token: Option<String>,
        /// With --url: witness keys whose cosignatures the checkpoint must carry.
        #[arg(long)]
        witness_key: Vec<String>,
        /// Check the ledger in a PostgreSQL database (postgres://…) instead of a data directory;
        /// needs --key.
        #[arg(long, conflicts_with = "url")]
        postgres: Option<String>,
        /// A checkpoint published earlier (saved from GET /log/checkpoint, or a witness's copy);
        /// repeatable. The data must contain it: a restored backup older than it fails, naming the
        /// acknowledged entries it lacks.
        #[arg(long, conflicts_with_all = ["url", "postgres"])]
        against: Vec<PathBuf>,
    },
    /// Receipts (回执): check one offline.
    Receipt {
        #[command(subcommand)]
        command: ReceiptCommand,
    },
    /// This deployment as a witness of the logs of the courts below.
    Witness {
        #[command(subcommand)]
        command: WitnessCommand,
    },
    /// Rebuild the query tables from the event table and check they come out the same.
    RebuildProjections,
    /// Scoped API tokens for service accounts (the case-management system, witnesses, auditors).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Issue a token acting as USERNAME within the given scopes (permissions its role holds);
    /// the token is printed once.
    Issue {
        #[arg(long)]
        username: String,
        /// What it is for, e.g. "案件管理系统推送".
        #[arg(long)]
        name: String,
        /// A permission, e.g. record.create (repeat for more).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Days until it expires (default: never; revoke it when no longer needed).
        #[arg(long)]
        days: Option<i64>,
    },
    /// List every token issued (never the tokens themselves).
    List,
    /// Revoke a token by its id.
    Revoke {
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum ReceiptCommand {
    /// Prove that the receipt's event is in the log (and, with --checkpoint, still is later).
    Verify {
        file: PathBuf,
        /// A newer checkpoint with its consistency proof (GET /api/v1/log/extension?from=SIZE).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The log's public key to trust, as the court publishes it (`liuhen log-key`, GET
        /// /api/v1/log/key). Required: the key written in the receipt proves nothing, as anyone
        /// can sign a receipt with a key of their own.
        #[arg(long)]
        key: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum WitnessCommand {
    /// Print this deployment's cosignature key (give it to the logs that push to it).
    Key,
    /// Witness the log with this verifier key (from `liuhen log-key` at that court).
    Follow {
        #[arg(long)]
        key: String,
    },
    /// List the refusals this witness raised (rollbacks, forks, rewritten histories).
    Alerts,
}

/// Carry out the command given.
pub async fn run(cli: &Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Serve { listen } => serve::serve_command(cli, listen.as_deref()).await,
        Command::Demo { listen, records, reset, no_serve } => {
            serve::demo(cli, listen, *records, *reset, *no_serve).await
        }
        Command::CourtAdd { id, name, level, parent, code } => {
            accounts::court_add(cli, id, name, level, parent.as_deref(), code).await
        }
        Command::UserAdd { username, name, court, role, reason } => {
            accounts::user_add(cli, username, name, court, role, reason).await
        }
        Command::UserPassword { username, reason } => accounts::user_password(cli, username, reason).await,
        Command::UserRole { username, role, reason } => accounts::user_role(cli, username, role, reason).await,
        Command::UserDisable { username } => accounts::user_disable(cli, username).await,
        Command::UserResetTotp { username, reason } => accounts::user_reset_totp(cli, username, reason).await,
        Command::UserEnrolmentCode { username } => accounts::user_enrolment_code(cli, username).await,
        Command::UserUnlock { username } => accounts::user_unlock(cli, username).await,
        Command::Token { command } => {
            with_store(cli, async |store| accounts::token_command(store, command).await).await
        }
        Command::Backup { to } => maintenance::backup(cli, to).await,
        Command::MigrateStore { from, to, key, json } => {
            maintenance::migrate_store(cli, from.as_deref(), to, key, *json).await
        }
        Command::Init { origin } => maintenance::init(cli, origin.as_deref()).await,
        Command::LogKey { action } => maintenance::log_key(cli, action.as_deref()).await,
        Command::Verify { key, json, url: Some(url), token, witness_key, .. } => {
            verify::verify_remote(url, token.as_deref(), key, witness_key, *json).await
        }
        Command::Verify { key, json, postgres: Some(database), .. } => verify::verify_postgres(database, key, *json),
        Command::Verify { key, json, url: None, against, .. } => {
            verify::verify(&settings(cli)?, key.clone(), against, *json).await
        }
        Command::Receipt { command: ReceiptCommand::Verify { file, checkpoint, key } } => {
            verify::receipt_verify(file, checkpoint.as_deref(), key.as_deref())
        }
        Command::Witness { command } => maintenance::witness(cli, command).await,
        Command::RebuildProjections => maintenance::rebuild_projections(cli).await,
    }
}

/// Open the store of the configured data directory, run `f` on it, and close it whatever `f`
/// answered (the account and token commands).
pub(crate) async fn with_store<T>(cli: &Cli, f: impl AsyncFnOnce(&Store) -> anyhow::Result<T>) -> anyhow::Result<T> {
    let store = liuhen::storage::open(settings(cli)?.store_config()?).await?;
    let result = f(&store).await;
    store.close().await;
    result
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut s = Settings::load(cli.config.as_deref())?;
    if let Some(d) = &cli.data_dir {
        s.data_dir = d.clone();
    }
    Ok(s)
}
