//! `liuhen migrate-store` (issue 7): move a store's tables between SQLite and PostgreSQL, either
//! way, then verify the target from its events up and compare it with the source — the same
//! newest checkpoint, the same materials.

use std::path::{Path, PathBuf};

use liuhen_store::verify::{VerifyOptions, VerifyReport};

use crate::storage::{Location, verify_data_dir};
use serde::Serialize;

/// What the move did and found.
#[derive(Debug, Clone, Serialize)]
pub struct MigrateReport {
    pub from: String,
    pub to: String,
    pub tables: Vec<(String, u64)>,
    pub events_replayed: u64,
    /// Material and key files copied into the target's data directory (none when it is the same).
    pub files_copied: u64,
    /// The newest checkpoint of the source and of the target (base64 root and size): equal.
    pub source_checkpoint: Option<(u64, String)>,
    pub target: VerifyReport,
}

/// A `--from`/`--to` argument: `postgres://…` (the tables there, materials and keys in
/// `data_dir`), or a data directory (`sqlite:` followed by its path, or the path alone).
pub fn location(arg: &str, data_dir: &Path) -> Location {
    if liuhen_store_pg::is_postgres_url(arg) {
        Location { data_dir: data_dir.to_path_buf(), database_url: Some(arg.to_string()) }
    } else {
        let path = arg.strip_prefix("sqlite://").or_else(|| arg.strip_prefix("sqlite:")).unwrap_or(arg);
        Location { data_dir: PathBuf::from(path), database_url: None }
    }
}

/// Copy key files and every material file of `from` into `to` that is not there yet.
fn copy_files(from: &Path, to: &Path) -> std::io::Result<u64> {
    let mut copied = 0;
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        let target = to.join(&name);
        if path.is_dir() && name == "materials" {
            let mut stack = vec![(path, target)];
            while let Some((dir, into)) = stack.pop() {
                std::fs::create_dir_all(&into)?;
                for entry in std::fs::read_dir(&dir)? {
                    let p = entry?.path();
                    let t = into.join(p.file_name().expect("a name"));
                    if p.is_dir() {
                        stack.push((p, t));
                    } else if !t.exists() {
                        std::fs::copy(&p, &t)?;
                        copied += 1;
                    }
                }
            }
        } else if name.ends_with(".key") && !target.exists() {
            std::fs::copy(&path, &target)?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// The newest checkpoint as `liuhen verify` recomputed it: (size, base64 root).
fn newest(report: &VerifyReport) -> Option<(u64, String)> {
    report.latest_checkpoint.map(|size| (size, report.root.clone()))
}

/// Move the tables of `from` into the new, empty `to`, copy the files where the data directory
/// changes, and verify both with `keys` (the source's own key files when none are given). Fails,
/// saying why, when the source does not verify (nothing is copied) or the target does not match.
pub async fn migrate_store(
    from: &Location,
    to: &Location,
    keys: Vec<String>,
    key_file: Option<PathBuf>,
) -> anyhow::Result<MigrateReport> {
    let check = |at: &Location| {
        let options = VerifyOptions {
            data_dir: at.data_dir.clone(),
            verifier_keys: keys.clone(),
            key_file: key_file.clone(),
            published: Vec::new(),
        };
        let database_url = at.database_url.clone();
        tokio::task::spawn_blocking(move || verify_data_dir(&options, database_url.as_deref(), &mut |_, _| {}))
    };
    let source = check(from).await??;
    anyhow::ensure!(
        source.ok,
        "源库校验未通过，未迁移：{} (the source does not verify; nothing was copied)",
        source.faults.first().map(|f| f.zh.as_str()).unwrap_or("")
    );
    let counts = crate::storage::copy_store(from, to, |_, _| {}).await?;
    let files_copied = if from.data_dir != to.data_dir { copy_files(&from.data_dir, &to.data_dir)? } else { 0 };
    let target = check(to).await??;
    let report = MigrateReport {
        from: from.describe(),
        to: to.describe(),
        tables: counts.tables,
        events_replayed: counts.events_replayed,
        files_copied,
        source_checkpoint: newest(&source),
        target,
    };
    anyhow::ensure!(
        report.target.ok,
        "迁移后的目标库校验未通过：{} (the target does not verify)",
        report.target.faults.first().map(|f| f.zh.as_str()).unwrap_or("")
    );
    anyhow::ensure!(
        newest(&report.target) == report.source_checkpoint && report.target.materials == source.materials,
        "目标库与源库不一致：检查点 {:?} / {:?}，材料 {} / {} (the target differs from the source)",
        newest(&report.target),
        report.source_checkpoint,
        report.target.materials,
        source.materials
    );
    Ok(report)
}
