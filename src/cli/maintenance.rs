//! The data directory's upkeep: set-up, backup, moving between backends, the log's keys, witnessing
//! and rebuilding the query tables.

use std::path::Path;

use super::{Cli, WitnessCommand, settings};

/// `liuhen backup`.
pub(super) async fn backup(cli: &Cli, to: &Path) -> anyhow::Result<()> {
    let s = settings(cli)?;
    let store = liuhen::storage::open(s.store_config()?).await?;
    let (events, files) = liuhen::storage::backup(&store, to).await?;
    store.close().await;
    println!(
        "已备份到 {}：{events} 个事件，{files} 个材料文件 (backed up {events} events and {files} material files)",
        to.display()
    );
    Ok(())
}

/// `liuhen migrate-store`.
pub(super) async fn migrate_store(
    cli: &Cli,
    from: Option<&str>,
    to: &str,
    key: &[String],
    json: bool,
) -> anyhow::Result<()> {
    let s = settings(cli)?;
    let source = match from {
        Some(arg) => liuhen::migrate::location(arg, &s.data_dir),
        None => liuhen::storage::Location {
            data_dir: s.data_dir.clone(),
            database_url: s.database_url.clone().filter(|u| !u.is_empty()),
        },
    };
    let target = liuhen::migrate::location(to, &s.data_dir);
    let report = liuhen::migrate::migrate_store(&source, &target, key.to_vec(), s.policy.log_key_file.clone()).await?;
    if json {
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

/// `liuhen init`.
pub(super) async fn init(cli: &Cli, origin: Option<&str>) -> anyhow::Result<()> {
    let mut s = settings(cli)?;
    if let Some(o) = origin {
        s.policy.log_origin = o.to_string();
    }
    let store = liuhen::storage::open(s.store_config()?).await?;
    println!("数据目录 {} 已就绪 (data directory ready)", s.data_dir.display());
    println!("日志公钥 / log verifier key: {}", store.verifier_key());
    store.close().await;
    Ok(())
}

/// `liuhen log-key [rotate|promote]`.
pub(super) async fn log_key(cli: &Cli, action: Option<&str>) -> anyhow::Result<()> {
    let s = settings(cli)?;
    match action {
        Some("rotate") => {
            // Make sure the data directory and its first key exist.
            liuhen::storage::open(s.store_config()?).await?.close().await;
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
            let store = liuhen::storage::open(s.store_config()?).await?;
            for key in store.verifier_keys() {
                println!("{key}");
            }
            store.close().await;
        }
    }
    Ok(())
}

/// `liuhen witness …`.
pub(super) async fn witness(cli: &Cli, command: &WitnessCommand) -> anyhow::Result<()> {
    let s = settings(cli)?;
    let store = liuhen::storage::open(s.store_config()?).await?;
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

/// `liuhen rebuild-projections`.
pub(super) async fn rebuild_projections(cli: &Cli) -> anyhow::Result<()> {
    let s = settings(cli)?;
    let store = liuhen::storage::open(s.store_config()?).await?;
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
