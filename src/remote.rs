//! `liuhen verify --url`: check a running server's log from outside, over the C2SP endpoints only:
//! the signed checkpoint against the given key(s), every level-0 hash tile rebuilt into the signed
//! root, and — with an auditor token — every entry against its leaf hash and the canonical encoding.

use liuhen_ledger::cosignature::WitnessVerifier;
use liuhen_ledger::tlog::{self, Hash, TILE_WIDTH, TreeBuilder, open_checkpoint_any, parse_entry_bundle, tile_path};
use liuhen_ledger::{Event, leaf_hash};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct RemoteReport {
    pub ok: bool,
    pub url: String,
    pub size: u64,
    pub root: String,
    pub entries_checked: u64,
    pub cosignatures_verified: usize,
    pub faults: Vec<String>,
}

async fn get(client: &reqwest::Client, url: &str, token: Option<&str>) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut req = client.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await?;
    Ok((r.status().as_u16(), r.bytes().await?.to_vec()))
}

pub async fn verify_url(
    base: &str,
    token: Option<&str>,
    keys: &[String],
    witness_keys: &[String],
    progress: &mut dyn FnMut(u64, u64),
) -> anyhow::Result<RemoteReport> {
    anyhow::ensure!(
        !keys.is_empty(),
        "校验远程日志须用 --key 给出法院公布的日志公钥 (give the published key with --key)"
    );
    let base = base.trim_end_matches('/');
    let client = reqwest::Client::new();
    let (status, note) = get(&client, &format!("{base}/log/checkpoint"), token).await?;
    anyhow::ensure!(status == 200, "无法取得检查点：HTTP {status}（需要 --token 登录令牌）");
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let checkpoint = open_checkpoint_any(&note, &key_refs).map_err(|e| anyhow::anyhow!("检查点签名无效：{e}"))?;
    let size = checkpoint.size();
    let mut faults = Vec::new();
    let body = String::from_utf8_lossy(&note).split("\n\n").next().unwrap_or("").to_string() + "\n";
    let mut cosignatures_verified = 0;
    for wk in witness_keys {
        let verifier = WitnessVerifier::new(wk).map_err(|e| anyhow::anyhow!("{e}"))?;
        let ok = String::from_utf8_lossy(&note)
            .lines()
            .any(|l| matches!(verifier.verify_line(body.as_bytes(), l), Some(Ok(_))));
        if ok {
            cosignatures_verified += 1;
        } else {
            faults.push(format!("见证 {} 没有为此检查点联署 (no valid cosignature from this witness)", verifier.name));
        }
    }
    let mut builder = TreeBuilder::default();
    let mut entries_checked = 0u64;
    let mut entries_allowed = token.is_some();
    let tiles = size.div_ceil(TILE_WIDTH);
    for n in 0..tiles {
        let width = (size - n * TILE_WIDTH).min(TILE_WIDTH);
        let (status, tile) = get(&client, &format!("{base}/log/{}", tile_path(Some(0), n, width)), token).await?;
        if status != 200 || tile.len() as u64 != width * 32 {
            faults.push(format!("哈希瓦片 {n} 取不到或长度不对 (HTTP {status})"));
            break;
        }
        let hashes: Vec<Hash> = tile.chunks(32).map(|c| tlog::hash_from_slice(c).expect("32 bytes")).collect();
        if entries_allowed {
            let (status, bundle) = get(&client, &format!("{base}/log/{}", tile_path(None, n, width)), token).await?;
            if status == 403 {
                entries_allowed = false;
            } else if status != 200 {
                faults.push(format!("条目包 {n} 取不到 (HTTP {status})"));
            } else {
                let entries = parse_entry_bundle(&bundle).map_err(|e| anyhow::anyhow!("{e}"))?;
                for (i, entry) in entries.iter().enumerate() {
                    let index = n * TILE_WIDTH + i as u64;
                    if hashes.get(i).map(|h| h.0) != Some(leaf_hash(entry)) {
                        faults.push(format!("条目 {index} 与其叶哈希不符"));
                    }
                    if let Err(e) = Event::decode(entry) {
                        faults.push(format!("条目 {index} 不是规范编码的事件：{e}"));
                    }
                    entries_checked += 1;
                }
            }
        }
        for h in hashes {
            builder.push(h);
        }
        progress((n + 1) * TILE_WIDTH.min(size), size);
    }
    if builder.root() != *checkpoint.hash() {
        faults.push(format!("由哈希瓦片算出的根哈希与签名的检查点（{size} 个条目）不符"));
    }
    use base64::Engine;
    Ok(RemoteReport {
        ok: faults.is_empty(),
        url: base.to_string(),
        size,
        root: base64::engine::general_purpose::STANDARD.encode(checkpoint.hash().0),
        entries_checked,
        cosignatures_verified,
        faults,
    })
}
