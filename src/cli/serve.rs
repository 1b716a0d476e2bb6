//! Serving: `liuhen serve` and `liuhen demo`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use liuhen::config::Settings;
use liuhen::demo;
use liuhen_server::AppState;
use liuhen_store::Store;

use super::{Cli, settings};

/// `liuhen serve`: the store of the configured data directory, served.
pub(super) async fn serve_command(cli: &Cli, listen: Option<&str>) -> anyhow::Result<()> {
    let mut s = settings(cli)?;
    if let Some(l) = listen {
        s.listen = l.to_string();
    }
    let store = liuhen::storage::open(s.store_config()?)
        .await
        .with_context(|| format!("无法打开数据目录 {}", s.data_dir.display()))?;
    // Issue 17: once the two-person rule holds, contents are never served on a password
    // alone; only the demo's own data directory runs without second factors.
    if !s.policy.second_factor_for_contents && store.two_person_rule().await? && !s.data_dir.join(demo::MARKER).exists()
    {
        store.close().await;
        anyhow::bail!(
            "second_factor_for_contents = false 只用于演示：本专库已有安全保密管理员，查看内容须第二因素\n(second_factor_for_contents = false is for the demo only: this store has a security administrator, and reading contents needs a second factor)"
        );
    }
    serve(store, &s).await
}

/// `liuhen demo`: fictional courts, accounts and records in a data directory of its own, served.
pub(super) async fn demo(cli: &Cli, listen: &str, records: usize, reset: bool, no_serve: bool) -> anyhow::Result<()> {
    let mut s = settings(cli)?;
    // Its own directory by default (made by earlier versions without the marker too).
    let own_default = cli.data_dir.is_none() && std::env::var_os("LIUHEN_DATA_DIR").is_none();
    if own_default {
        s.data_dir = PathBuf::from("data/demo");
    }
    s.listen = listen.to_string();
    s.policy.extra_regions = vec![demo::REGION.to_string()];
    // The demo's store readers need no authenticator app; a real deployment's do. So the
    // demo runs only in a data directory it made itself (marked), never on a real store,
    // and only on SQLite.
    s.policy.second_factor_for_contents = false;
    s.database_url = None;
    let marker = s.data_dir.join(demo::MARKER);
    anyhow::ensure!(
        !s.data_dir.join("liuhen.db").exists() || marker.exists() || own_default,
        "{} 中的专库不是演示数据：演示只在它自己生成的数据目录中运行\n({} holds a store the demo did not make: the demo runs only in a data directory of its own)",
        s.data_dir.display(),
        s.data_dir.display()
    );
    if reset && (marker.exists() || own_default) && s.data_dir.exists() {
        std::fs::remove_dir_all(&s.data_dir)?;
    }
    let mut private = std::fs::DirBuilder::new();
    std::os::unix::fs::DirBuilderExt::mode(private.recursive(true), 0o700);
    private.create(&s.data_dir)?;
    std::fs::write(&marker, "liuhen demo: fictional data, second factors off\n")?;
    let store = liuhen::storage::open(s.store_config()?).await?;
    if store.courts().await?.is_empty() {
        let n = demo::populate(&store, records).await?;
        println!(
            "已生成演示数据：{} 个法院，{n} 条虚构的过问记录 (demo data: fictional courts and {n} records)",
            demo::COURTS.len()
        );
    } else {
        println!("沿用已有演示数据 {} (reusing the existing demo data; --reset starts again)", s.data_dir.display());
    }
    demo::print_accounts();
    if no_serve {
        store.close().await;
        return Ok(());
    }
    serve(store, &s).await
}

pub(super) async fn serve(store: Store, s: &Settings) -> anyhow::Result<()> {
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
pub(super) async fn shutdown_signal() {
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
