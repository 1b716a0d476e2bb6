//! Checking the log: a data directory, a PostgreSQL database, a server by its URL, or one receipt.

use anyhow::Context;
use liuhen::config::Settings;

pub(super) async fn verify(
    s: &Settings,
    key: Vec<String>,
    against: &[std::path::PathBuf],
    json: bool,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let published = against
        .iter()
        .map(|file| std::fs::read(file).with_context(|| format!("读取已公布的检查点 {}", file.display())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let options = liuhen_store::verify::VerifyOptions {
        data_dir: s.data_dir.clone(),
        verifier_keys: key,
        key_file: s.policy.log_key_file.clone(),
        published,
    };
    // Say what is checked: with `--data-dir` pointing at a restored backup, a `database_url` from
    // the configuration or the environment would still send the tables' check to that database.
    if !json {
        match s.database_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => println!(
                "数据目录 {}，表在 PostgreSQL {} (tables in PostgreSQL, from database_url)",
                s.data_dir.display(),
                url.rsplit('@').next().unwrap_or(url)
            ),
            None => {
                println!("数据目录 {}，表在其中的 SQLite (tables in the data directory's SQLite)", s.data_dir.display())
            }
        }
    }
    let terminal = std::io::stderr().is_terminal() && !json;
    let mut progress = |done: u64, total: u64| {
        if terminal && total > 0 {
            let width = 40;
            let filled = (done * width / total) as usize;
            eprint!("\r校验中 [{}{}] {done}/{total}", "#".repeat(filled), " ".repeat(width as usize - filled));
        }
    };
    let report = liuhen::storage::verify_data_dir(&options, s.database_url.as_deref(), &mut progress)?;
    if terminal {
        eprintln!();
    }
    print_verification(&report, json)
}

/// A verification's report on the terminal (or as JSON); an error naming the first fault when it failed.
pub(super) fn print_verification(report: &liuhen_store::verify::VerifyReport, json: bool) -> anyhow::Result<()> {
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
pub(super) fn verify_postgres(database: &str, key: &[String], json: bool) -> anyhow::Result<()> {
    let report = liuhen::storage::verify_ledger(database, key.to_vec(), &mut |_, _| {})?;
    print_verification(&report, json)
}

pub(super) fn receipt_verify(
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

pub(super) async fn verify_remote(
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
