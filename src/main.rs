//! `liuhen`: serve the store of outside inquiries, set up a demo, administer courts and users.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use liuhen_rules::{CourtLevel, Listed, Role};
use liuhen_server::AppState;
use liuhen_store::{NewCourt, NewUser, Store};

use liuhen::config::Settings;
use liuhen::demo;

// Canonical encoding, `verify` and the API allocate many small objects; mimalloc serves them
// faster than glibc's malloc (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "liuhen",
    version,
    about = "留痕：外部人员过问信息专库 (the register of outside interference in court cases)"
)]
struct Cli {
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
enum Command {
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
enum TokenCommand {
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
enum ReceiptCommand {
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
enum WitnessCommand {
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

/// Open the store of the configured data directory, run `f` on it, and close it whatever `f`
/// answered (the account and token commands).
async fn with_store<T>(cli: &Cli, f: impl AsyncFnOnce(&Store) -> anyhow::Result<T>) -> anyhow::Result<T> {
    let store = Store::open(settings(cli)?.store_config()?).await?;
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

async fn token_command(store: &Store, command: &TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Issue { username, name, scopes, days } => {
            let (token, listed) = store.console().issue_token(username, name, scopes, *days).await.map_err(explain)?;
            let scopes: Vec<&str> = listed.scopes.iter().map(|p| p.code()).collect();
            println!("令牌（只显示这一次，请妥善保存）(the token, shown this once):\n{token}");
            println!("id {} · {} · {} · {}", listed.id, listed.username, listed.name, scopes.join(", "));
        }
        TokenCommand::List => {
            for t in store.tokens().await? {
                let state = match (t.revoked_at, t.expires_at) {
                    (Some(at), _) => format!("已撤销 revoked {}", liuhen_rules::period::format_cst(at)),
                    (None, Some(at)) => format!("有效至 until {}", liuhen_rules::period::format_cst(at)),
                    (None, None) => "长期有效 no expiry".to_string(),
                };
                let scopes: Vec<&str> = t.scopes.iter().map(|p| p.code()).collect();
                println!("{}  {}  {}  [{}]  {state}", t.id, t.username, t.name, scopes.join(", "));
            }
        }
        TokenCommand::Revoke { id } => {
            anyhow::ensure!(
                store.console().revoke_token(id).await?,
                "没有未撤销的令牌 {id} (no live token with that id)"
            );
            println!("已撤销 {id}");
        }
    }
    Ok(())
}

/// A new password from LIUHEN_NEW_PASSWORD, or the first line of standard input.
fn new_password() -> anyhow::Result<String> {
    Ok(match std::env::var("LIUHEN_NEW_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    })
}

/// A store refusal as lines a person can act on.
fn explain(e: liuhen_store::StoreError) -> anyhow::Error {
    match e {
        liuhen_store::StoreError::Invalid(problems) => anyhow::anyhow!(
            "{}",
            problems.iter().map(|p| format!("{}: {} ({})", p.field, p.zh, p.en)).collect::<Vec<_>>().join("\n")
        ),
        other => other.into(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIUHEN_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match &cli.command {
        Command::Serve { listen } => {
            let mut s = settings(&cli)?;
            if let Some(l) = listen {
                s.listen = l.clone();
            }
            let store = Store::open(s.store_config()?)
                .await
                .with_context(|| format!("无法打开数据目录 {}", s.data_dir.display()))?;
            // Issue 17: once the two-person rule holds, contents are never served on a password
            // alone; only the demo's own data directory runs without second factors.
            if !s.second_factor_for_contents
                && store.two_person_rule().await?
                && !s.data_dir.join(demo::MARKER).exists()
            {
                store.close().await;
                anyhow::bail!(
                    "second_factor_for_contents = false 只用于演示：本专库已有安全保密管理员，查看内容须第二因素\n(second_factor_for_contents = false is for the demo only: this store has a security administrator, and reading contents needs a second factor)"
                );
            }
            serve(store, &s).await
        }
        Command::Demo { listen, records, reset, no_serve } => {
            let mut s = settings(&cli)?;
            // Its own directory by default (made by earlier versions without the marker too).
            let own_default = cli.data_dir.is_none() && std::env::var_os("LIUHEN_DATA_DIR").is_none();
            if own_default {
                s.data_dir = PathBuf::from("data/demo");
            }
            s.listen = listen.clone();
            s.extra_regions = vec![demo::REGION.to_string()];
            // The demo's store readers need no authenticator app; a real deployment's do. So the
            // demo runs only in a data directory it made itself (marked), never on a real store,
            // and only on SQLite.
            s.second_factor_for_contents = false;
            s.database_url = None;
            let marker = s.data_dir.join(demo::MARKER);
            anyhow::ensure!(
                !s.data_dir.join("liuhen.db").exists() || marker.exists() || own_default,
                "{} 中的专库不是演示数据：演示只在它自己生成的数据目录中运行\n({} holds a store the demo did not make: the demo runs only in a data directory of its own)",
                s.data_dir.display(),
                s.data_dir.display()
            );
            if *reset && (marker.exists() || own_default) && s.data_dir.exists() {
                std::fs::remove_dir_all(&s.data_dir)?;
            }
            let mut private = std::fs::DirBuilder::new();
            std::os::unix::fs::DirBuilderExt::mode(private.recursive(true), 0o700);
            private.create(&s.data_dir)?;
            std::fs::write(&marker, "liuhen demo: fictional data, second factors off\n")?;
            let store = Store::open(s.store_config()?).await?;
            if store.courts().await?.is_empty() {
                let n = demo::populate(&store, *records).await?;
                println!(
                    "已生成演示数据：{} 个法院，{n} 条虚构的过问记录 (demo data: fictional courts and {n} records)",
                    demo::COURTS.len()
                );
            } else {
                println!(
                    "沿用已有演示数据 {} (reusing the existing demo data; --reset starts again)",
                    s.data_dir.display()
                );
            }
            demo::print_accounts();
            if *no_serve {
                store.close().await;
                return Ok(());
            }
            serve(store, &s).await
        }
        Command::CourtAdd { id, name, level, parent, code } => {
            let s = settings(&cli)?;
            let store = Store::open(s.store_config()?).await?;
            let level = CourtLevel::from_code(level)
                .with_context(|| format!("法院层级应为 {}", CourtLevel::codes().join(", ")))?;
            store
                .console()
                .add_court(&NewCourt {
                    id: id.clone(),
                    name: name.clone(),
                    level,
                    parent_id: parent.clone(),
                    case_code: code.clone(),
                })
                .await?;
            println!("已添加法院 {name} ({id})");
            store.close().await;
            Ok(())
        }
        Command::UserAdd { username, name, court, role, reason } => {
            let s = settings(&cli)?;
            let store = Store::open(s.store_config()?).await?;
            let role = Role::from_code(role).with_context(|| format!("角色应为 {}", Role::codes().join(", ")))?;
            let password = new_password()?;
            let change = store
                .console()
                .add_user(NewUser {
                    username: username.clone(),
                    display_name: name.clone(),
                    court_id: court.clone(),
                    role,
                    password,
                    reason: reason.clone(),
                })
                .await
                .map_err(explain)?;
            print_change(&change, &format!("已添加用户 {username} ({})", role.zh()));
            store.close().await;
            Ok(())
        }
        Command::UserPassword { username, reason } => {
            let password = new_password()?;
            let change = with_store(&cli, async |store| {
                store.console().reset_password(username, &password, reason).await.map_err(explain)
            })
            .await?;
            print_change(
                &change,
                &format!("已为 {username} 设置新密码，其所有会话已结束 (password set; every session ended)"),
            );
            Ok(())
        }
        Command::UserRole { username, role, reason } => {
            let role = Role::from_code(role).with_context(|| format!("角色应为 {}", Role::codes().join(", ")))?;
            let change =
                with_store(&cli, async |store| store.console().set_role(username, role, reason).await.map_err(explain))
                    .await?;
            print_change(
                &change,
                &format!("{username} 现为{}，其会话已结束 (role changed; sessions ended)", role.zh()),
            );
            Ok(())
        }
        Command::UserDisable { username } => {
            with_store(&cli, async |store| store.console().disable_user(username).await.map_err(explain)).await?;
            println!("已停用 {username}：不能再登录，会话已结束，令牌已撤销 (disabled)");
            Ok(())
        }
        Command::UserResetTotp { username, reason } => {
            let change = with_store(&cli, async |store| {
                store.console().reset_second_factor(username, reason).await.map_err(explain)
            })
            .await?;
            print_change(
                &change,
                &format!(
                    "已清除 {username} 的第二因素，请其用启用码重新设置 (second factor removed; the user sets up a new one with an enrolment code: liuhen user-enrolment-code)"
                ),
            );
            Ok(())
        }
        Command::UserEnrolmentCode { username } => {
            let code =
                with_store(&cli, async |store| store.console().enrolment_code(username).await.map_err(explain)).await?;
            println!("{username} 的一次性启用码（7 天内有效，请当面交给本人）: {code}");
            println!("(one-time enrolment code, good for 7 days; hand it to the person)");
            Ok(())
        }
        Command::UserUnlock { username } => {
            let unlocked = with_store(&cli, async |store| Ok(store.console().unlock_user(username).await?)).await?;
            anyhow::ensure!(unlocked, "没有用户 {username} (no such user)");
            println!("已解锁 {username}");
            Ok(())
        }
        Command::Token { command } => with_store(&cli, async |store| token_command(store, command).await).await,
        Command::Backup { to } => {
            let s = settings(&cli)?;
            let store = Store::open(s.store_config()?).await?;
            let (events, files) = store.backup_to(to).await?;
            store.close().await;
            println!(
                "已备份到 {}：{events} 个事件，{files} 个材料文件 (backed up {events} events and {files} material files)",
                to.display()
            );
            Ok(())
        }
        Command::MigrateStore { from, to, key, json } => {
            let s = settings(&cli)?;
            let source = match from {
                Some(arg) => liuhen::migrate::location(arg, &s.data_dir),
                None => liuhen_store::Location {
                    data_dir: s.data_dir.clone(),
                    database_url: s.database_url.clone().filter(|u| !u.is_empty()),
                },
            };
            let target = liuhen::migrate::location(to, &s.data_dir);
            let report =
                liuhen::migrate::migrate_store(&source, &target, key.clone(), s.log_key_file.clone(), &s.extra_regions)
                    .await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for (table, rows) in &report.tables {
                    println!("{table}: {rows}");
                }
                println!(
                    "已从 {} 迁移到 {}：{} 个事件重建查询表，复制文件 {} 个；目标库校验通过，最新检查点与源库相同 (migrated and verified)",
                    report.from, report.to, report.events_replayed, report.files_copied
                );
            }
            Ok(())
        }
        Command::Init { origin } => {
            let mut s = settings(&cli)?;
            if let Some(o) = origin {
                s.log_origin = o.clone();
            }
            let store = Store::open(s.store_config()?).await?;
            println!("数据目录 {} 已就绪 (data directory ready)", s.data_dir.display());
            println!("日志公钥 / log verifier key: {}", store.verifier_key());
            store.close().await;
            Ok(())
        }
        Command::LogKey { action } => {
            let s = settings(&cli)?;
            match action.as_deref() {
                Some("rotate") => {
                    // Make sure the data directory and its first key exist.
                    Store::open(s.store_config()?).await?.close().await;
                    let next = liuhen_store::rotate_key(&s.store_config()?)?;
                    println!(
                        "新密钥已生成，下次启动起与旧密钥同时签名 (next key; signs alongside the current one from the next start):"
                    );
                    println!("{next}");
                }
                Some(_) => {
                    let current = liuhen_store::promote_key(&s.store_config()?)?;
                    println!(
                        "新密钥已成为当前密钥；旧密钥已退役但保留以校验旧检查点 (promoted; the old key is retired and kept):"
                    );
                    println!("{current}");
                }
                None => {
                    let store = Store::open(s.store_config()?).await?;
                    for key in store.verifier_keys() {
                        println!("{key}");
                    }
                    store.close().await;
                }
            }
            Ok(())
        }
        Command::Verify { key, json, url: Some(url), token, witness_key, .. } => {
            verify_remote(url, token.as_deref(), key, witness_key, *json).await
        }
        Command::Verify { key, json, postgres: Some(database), .. } => verify_postgres(database, key, *json),
        Command::Verify { key, json, url: None, .. } => verify(&settings(&cli)?, key.clone(), *json).await,
        Command::Receipt { command: ReceiptCommand::Verify { file, checkpoint, key } } => {
            receipt_verify(file, checkpoint.as_deref(), key.as_deref())
        }
        Command::Witness { command } => {
            let s = settings(&cli)?;
            let store = Store::open(s.store_config()?).await?;
            match command {
                WitnessCommand::Key => println!("{}", store.witness_verifier_key()),
                WitnessCommand::Follow { key } => {
                    let origin = store.follow_log(key).await?;
                    println!("已开始见证日志 {origin} (now witnessing)");
                }
                WitnessCommand::Alerts => {
                    let alerts = store.witness_alerts().await?;
                    if alerts.is_empty() {
                        println!("没有见证告警 (no alerts)");
                    }
                    for a in alerts {
                        println!(
                            "{} {} [{}] 已见证 {}，收到 {}：{}",
                            liuhen_rules::period::format_cst(a.at),
                            a.origin,
                            a.kind,
                            a.witnessed_size,
                            a.offered_size,
                            a.detail
                        );
                    }
                }
            }
            store.close().await;
            Ok(())
        }
        Command::RebuildProjections => {
            let s = settings(&cli)?;
            let store = Store::open(s.store_config()?).await?;
            let before = store.projection_digest().await?;
            let n = store.rebuild_projections().await?;
            let after = store.projection_digest().await?;
            store.close().await;
            if before == after {
                println!("已从 {n} 个事件重建查询表，结果与重建前一致 (rebuilt from {n} events; identical)");
                Ok(())
            } else {
                anyhow::bail!(
                    "已从 {n} 个事件重建查询表，但结果与重建前不同：重建前的查询表曾被改动 (rebuilt from {n} events; the tables differed before, so they had been changed outside the event log)"
                )
            }
        }
    }
}

async fn serve(store: Store, s: &Settings) -> anyhow::Result<()> {
    let oidc = s
        .oidc
        .clone()
        .map(liuhen_server::oidc::Oidc::new)
        .transpose()
        .map_err(|e| anyhow::anyhow!("统一身份认证配置有误 (OpenID Connect configuration error):\n{e}"))?
        .map(Arc::new);
    // The routing rules name courts: checked against the store's before serving.
    let courts = store.courts().await?;
    let known: Vec<liuhen_reports::routing::KnownCourt> =
        courts.iter().map(|c| liuhen_reports::routing::KnownCourt { id: &c.id, level: c.level }).collect();
    let problems = s.report_routing.problems(&known);
    anyhow::ensure!(
        problems.is_empty(),
        "报送规则配置有误 (report routing configuration error):\n  {}",
        problems.join("\n  ")
    );
    let listener = tokio::net::TcpListener::bind(&s.listen)
        .await
        .with_context(|| format!("无法监听 {} (cannot listen)", s.listen))?;
    let addr = listener.local_addr()?;
    println!("留痕已启动，请在浏览器打开 http://{addr}/ (liuhen is serving at http://{addr}/)");
    let store = Arc::new(store);
    liuhen_server::witness::spawn_pusher(store.clone(), std::time::Duration::from_millis(s.witness_push_ms.max(50)));
    let mut state = AppState::new(store.clone());
    state.secure_cookies = s.secure_cookies;
    state.trusted_proxies = s.trusted_proxies.clone();
    state.oidc = oidc;
    state.report_routing = Arc::new(s.report_routing.clone());
    liuhen_server::serve(listener, state, shutdown_signal()).await?;
    store.close().await;
    Ok(())
}

/// Stop on Ctrl-C or SIGTERM; in-flight requests finish, and every acknowledged write is already
/// committed.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn verify(s: &Settings, key: Vec<String>, json: bool) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let options = liuhen_store::verify::VerifyOptions {
        data_dir: s.data_dir.clone(),
        database_url: s.database_url.clone().filter(|u| !u.is_empty()),
        verifier_keys: key,
        key_file: s.log_key_file.clone(),
        extra_regions: s.extra_regions.clone(),
    };
    let terminal = std::io::stderr().is_terminal() && !json;
    let mut progress = |done: u64, total: u64| {
        if terminal && total > 0 {
            let width = 40;
            let filled = (done * width / total) as usize;
            eprint!("\r校验中 [{}{}] {done}/{total}", "#".repeat(filled), " ".repeat(width as usize - filled));
        }
    };
    let report = liuhen_store::verify::verify_data_dir(&options, &mut progress)?;
    if terminal {
        eprintln!();
    }
    print_verification(&report, json)
}

/// A verification's report on the terminal (or as JSON); an error naming the first fault when it failed.
fn print_verification(report: &liuhen_store::verify::VerifyReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "条目 {}，Merkle 哈希 {}，检查点 {}，材料 {}；根哈希 {}",
            report.events, report.stored_hashes, report.checkpoints, report.materials, report.root
        );
        println!("用时 {:.2} 秒，校验 {} 字节", report.seconds, report.bytes_hashed);
        if !report.key_given {
            println!(
                "注意：未用 --key 提供公钥，签名以数据目录自己的密钥校验，不能发现用该密钥重新签名的篡改 (no --key given)"
            );
        }
        for fault in &report.faults {
            match fault.entry {
                Some(e) => println!("✗ 条目 {e}: {} ({})", fault.zh, fault.en),
                None => println!("✗ {} ({})", fault.zh, fault.en),
            }
        }
    }
    if report.ok {
        if !json {
            println!("✓ 校验通过 (verified)");
        }
        Ok(())
    } else {
        let first = &report.faults[0];
        anyhow::bail!(
            "校验未通过，第一个问题{}：{} (verification failed)",
            first.entry.map(|e| format!("在条目 {e}")).unwrap_or_default(),
            first.zh
        )
    }
}

/// `liuhen verify --postgres`: the ledger in a PostgreSQL database, from its events, against the
/// keys given (a database holds no key of its own to trust), without a data directory.
fn verify_postgres(database: &str, key: &[String], json: bool) -> anyhow::Result<()> {
    let report = liuhen_store::verify::verify_ledger(database, key.to_vec(), &mut |_, _| {})?;
    print_verification(&report, json)
}

fn receipt_verify(
    file: &std::path::Path,
    checkpoint: Option<&std::path::Path>,
    key: Option<&str>,
) -> anyhow::Result<()> {
    use liuhen_ledger::receipt::{Extension, Receipt, verify_receipt};
    // Issue 17: a receipt checked against its own key would pass for any forgery signed with a
    // key of the forger's, so nothing is claimed without the published key.
    let Some(trusted) = key else {
        anyhow::bail!(
            "未用 --key 提供日志公钥，不能证明回执：回执中的公钥可能是伪造者自己的。请向法院取得公布的日志公钥（liuhen log-key 或 GET /api/v1/log/key），再运行 liuhen receipt verify {} --key '<公钥>' \
             (no --key given: the receipt cannot be verified against the key it carries itself, which a forger chooses; pass the log's published public key with --key)",
            file.display()
        );
    };
    let receipt: Receipt =
        serde_json::from_slice(&std::fs::read(file).with_context(|| format!("无法读取 {}", file.display()))?)
            .context("回执文件格式有误 (malformed receipt)")?;
    let extension: Option<Extension> = match checkpoint {
        Some(p) => Some(
            serde_json::from_slice(&std::fs::read(p).with_context(|| format!("无法读取 {}", p.display()))?)
                .context("检查点文件格式有误")?,
        ),
        None => None,
    };
    let check = verify_receipt(&receipt, trusted, extension.as_ref())?;
    println!(
        "✓ 条目 {} 在日志 {} 大小为 {} 的已签名检查点中 (the entry is in the signed checkpoint)",
        check.index, receipt.origin, check.checkpoint_size
    );
    println!(
        "  事件：{}，{}，{}",
        check.event.body.kind(),
        check.event.actor,
        liuhen_rules::period::format_cst(check.event.at)
    );
    if let Some(size) = check.extended_to {
        println!("✓ 较新的检查点（大小 {size}）是其延续，该条目仍在日志中 (a newer checkpoint extends it)");
    }
    Ok(())
}

async fn verify_remote(
    url: &str,
    token: Option<&str>,
    keys: &[String],
    witness_keys: &[String],
    json: bool,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal() && !json;
    let mut progress = |done: u64, total: u64| {
        if terminal && total > 0 {
            eprint!("\r校验中 {done}/{total}");
        }
    };
    let report = liuhen::remote::verify_url(url, token, keys, witness_keys, &mut progress).await?;
    if terminal {
        eprintln!();
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{}：{} 个条目，根哈希 {}；逐条校验 {} 个条目，见证联署 {} 个",
            report.url, report.size, report.root, report.entries_checked, report.cosignatures_verified
        );
        for f in &report.faults {
            println!("✗ {f}");
        }
    }
    if report.ok {
        if !json {
            println!("✓ 校验通过 (verified)");
        }
        Ok(())
    } else {
        anyhow::bail!("校验未通过：{} (verification failed)", report.faults[0])
    }
}

/// What a change that may need a second person came to, for the console.
fn print_change(change: &liuhen_store::Change, made: &str) {
    match change {
        liuhen_store::Change::Made => println!("{made}"),
        liuhen_store::Change::AwaitsApproval(id) => println!(
            "已提交安全保密管理员批准（双人规则），批准后生效；申请编号 {id}\n(asked of the security administrator under the two-person rule; it takes effect when approved; request {id})"
        ),
    }
}
