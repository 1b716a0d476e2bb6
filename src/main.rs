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
        /// recorder, store_maintainer, court_leader, discipline_inspector or system_administrator.
        #[arg(long)]
        role: String,
    },
    /// Copy the data directory consistently while the server runs (database snapshot + materials).
    Backup {
        /// An empty directory to hold the copy; serve it with --data-dir to restore.
        #[arg(long)]
        to: PathBuf,
    },
    /// Rebuild the query tables from the event table and check they come out the same.
    RebuildProjections,
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut s = Settings::load(cli.config.as_deref())?;
    if let Some(d) = &cli.data_dir {
        s.data_dir = d.clone();
    }
    Ok(s)
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
            let store = Store::open(s.store_config())
                .await
                .with_context(|| format!("无法打开数据目录 {}", s.data_dir.display()))?;
            serve(store, &s).await
        }
        Command::Demo { listen, records, reset, no_serve } => {
            let mut s = settings(&cli)?;
            if cli.data_dir.is_none() && std::env::var_os("LIUHEN_DATA_DIR").is_none() {
                s.data_dir = PathBuf::from("data/demo");
            }
            s.listen = listen.clone();
            s.extra_regions = vec![demo::REGION.to_string()];
            if *reset && s.data_dir.exists() {
                std::fs::remove_dir_all(&s.data_dir)?;
            }
            let store = Store::open(s.store_config()).await?;
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
            let store = Store::open(s.store_config()).await?;
            let level = CourtLevel::from_code(level)
                .with_context(|| format!("法院层级应为 {}", CourtLevel::codes().join(", ")))?;
            store
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
        Command::UserAdd { username, name, court, role } => {
            let s = settings(&cli)?;
            let store = Store::open(s.store_config()).await?;
            let role = Role::from_code(role).with_context(|| format!("角色应为 {}", Role::codes().join(", ")))?;
            let password = match std::env::var("LIUHEN_NEW_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let user = store
                .add_user(NewUser {
                    username: username.clone(),
                    display_name: name.clone(),
                    court_id: court.clone(),
                    role,
                    password,
                })
                .await?;
            println!("已添加用户 {} ({})", user.username, user.role.zh());
            store.close().await;
            Ok(())
        }
        Command::Backup { to } => {
            let s = settings(&cli)?;
            let store = Store::open(s.store_config()).await?;
            let (events, files) = store.backup_to(to).await?;
            store.close().await;
            println!(
                "已备份到 {}：{events} 个事件，{files} 个材料文件 (backed up {events} events and {files} material files)",
                to.display()
            );
            Ok(())
        }
        Command::RebuildProjections => {
            let s = settings(&cli)?;
            let store = Store::open(s.store_config()).await?;
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
    let listener = tokio::net::TcpListener::bind(&s.listen)
        .await
        .with_context(|| format!("无法监听 {} (cannot listen)", s.listen))?;
    let addr = listener.local_addr()?;
    println!("留痕已启动，请在浏览器打开 http://{addr}/ (liuhen is serving at http://{addr}/)");
    let store = Arc::new(store);
    let state = AppState { store: store.clone(), secure_cookies: s.secure_cookies };
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
