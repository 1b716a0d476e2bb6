//! Witnessing (c2sp.org/tlog-witness, tlog-cosignature). An upper court's deployment witnesses the
//! logs of the courts below: it cosigns each new checkpoint only if it extends the last one it
//! cosigned, atomically per log, and keeps every refusal as an alert nobody can clear. A log
//! pushes its checkpoints to its witnesses and keeps their cosignatures.

use liuhen_ledger::cosignature::{WitnessKey, WitnessVerifier, parse_add_checkpoint};
use liuhen_ledger::tlog::{self, open_checkpoint_any, with_hashes};
use serde::Serialize;

use crate::sql::params;
use crate::sql::{Db, args};
use crate::tree::read_hashes;
use crate::{Result, Store, StoreConfig, StoreError, now, parse_ts, ts};

/// A witness a log pushes its checkpoints to, as the configuration names it (`[[witnesses]]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessEndpoint {
    /// Its submission prefix; `add-checkpoint` is appended.
    pub url: String,
    /// Its cosigning key, `name+id+base64(0x04 ‖ key)`.
    pub verifier_key: String,
}

/// The witness's answer to `add-checkpoint`, as c2sp.org/tlog-witness defines the statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WitnessAnswer {
    /// 200: the cosignature lines.
    Cosigned(String),
    /// 400: malformed, or the old size is above the checkpoint's.
    BadRequest(String),
    /// 403: no trusted signature.
    NotSigned,
    /// 404: a log this witness does not follow.
    UnknownOrigin,
    /// 409: the old size is not the size last cosigned (which is given), or same size, other root.
    Conflict(u64),
    /// 422: the consistency proof does not verify.
    ProofRejected,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WitnessAlert {
    pub origin: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
    /// rollback, fork or inconsistent.
    pub kind: String,
    pub witnessed_size: u64,
    pub offered_size: u64,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WitnessedLog {
    pub origin: String,
    pub verifier_key: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WitnessState {
    pub name: String,
    /// The size this witness last cosigned.
    pub size: u64,
    pub refusals: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LogStatus {
    pub origin: String,
    pub verifier_key: String,
    pub latest_size: u64,
    /// The largest checkpoint cosigned by at least `quorum` witnesses.
    pub witnessed_size: u64,
    pub quorum: usize,
    pub witnesses: Vec<WitnessState>,
}

/// What a log sends one witness next.
pub struct PushPlan {
    pub old_size: u64,
    pub size: u64,
    pub body: Vec<u8>,
}

pub(crate) fn load_or_create_witness_key(config: &StoreConfig) -> Result<WitnessKey> {
    let path = config.data_dir.join("witness-signing.key");
    if path.exists() {
        return WitnessKey::from_private(&std::fs::read_to_string(&path)?)
            .map_err(|e| StoreError::Internal(e.to_string()));
    }
    let (key, private) =
        WitnessKey::generate(&config.policy.witness_name).map_err(|e| StoreError::Internal(e.to_string()))?;
    crate::ledger::write_secret(&path, &private)?;
    Ok(key)
}

fn checkpoint_body(note: &[u8]) -> Result<Vec<u8>> {
    let parsed = signed_note::Note::from_bytes(note).map_err(|e| StoreError::Internal(e.to_string()))?;
    Ok(parsed.text().to_vec())
}

/// The largest `add-checkpoint` request taken: a checkpoint note with a few signatures and at
/// most 63 proof lines is a few KB.
pub const MAX_ADD_CHECKPOINT_BYTES: usize = 64 * 1024;

/// A followed log as the witness holds it.
struct Followed {
    verifier_key: String,
    size: u64,
    root: Option<Vec<u8>>,
}

/// A followed log's keys and the checkpoint last cosigned for it.
fn followed(db: &dyn Db, origin: &str) -> Result<Option<Followed>> {
    let Some(row) = db.row("SELECT verifier_key, size, root FROM witness_logs WHERE origin = $1", args![origin])?
    else {
        return Ok(None);
    };
    Ok(Some(Followed { verifier_key: row.get(0)?, size: row.get::<i64>(1)? as u64, root: row.get(2)? }))
}

/// Whether an alert of `kind` was raised already for this very checkpoint (the signed note;
/// the unsigned proof beside it may vary).
fn alerted(
    db: &dyn Db,
    origin: &str,
    kind: &str,
    size: u64,
    add: &liuhen_ledger::cosignature::AddCheckpoint,
) -> Result<bool> {
    let rows = db.rows(
        "SELECT request FROM witness_alerts WHERE origin = $1 AND kind = $2 AND offered_size = $3",
        args![origin, kind, size as i64],
    )?;
    for row in rows {
        let earlier: Vec<u8> = row.get(0)?;
        if parse_add_checkpoint(&earlier).is_ok_and(|e| e.checkpoint == add.checkpoint) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The size of our log that `witness` cosigned last.
fn set_state(db: &dyn Db, witness: &str, size: u64) -> Result<()> {
    db.exec(
        "INSERT INTO log_witness_state (witness, size, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT(witness) DO UPDATE SET size = excluded.size, updated_at = excluded.updated_at",
        args![witness, size as i64, ts(now())],
    )?;
    Ok(())
}

/// What to answer a validly signed checkpoint of a followed log, and whether to advance the log
/// or raise an alert.
struct Decision {
    answer: WitnessAnswer,
    advance: bool,
    alert: Option<(&'static str, String)>,
}

/// c2sp.org/tlog-witness, in its order: the old size above the checkpoint's is a bad request; an
/// old size other than the one cosigned last is a conflict answered with that size — which covers
/// every checkpoint older than the one cosigned (every receipt carries one, so an old checkpoint
/// alone proves nothing: no alert); the same size must have the same root (another is a fork,
/// alerted); a larger one must come with a consistency proof (one that does not verify is
/// alerted as a rewritten history).
fn decide(
    add: &liuhen_ledger::cosignature::AddCheckpoint,
    size: u64,
    root: tlog::Hash,
    state: &Followed,
) -> Result<Decision> {
    let refuse = |answer| Decision { answer, advance: false, alert: None };
    let stored_size = state.size;
    if add.old_size > size {
        return Ok(refuse(WitnessAnswer::BadRequest("old size above checkpoint size".into())));
    }
    if add.old_size != stored_size {
        return Ok(refuse(WitnessAnswer::Conflict(stored_size)));
    }
    let cosign = |advance| Decision { answer: WitnessAnswer::Cosigned(String::new()), advance, alert: None };
    if size == stored_size {
        return Ok(if stored_size == 0 || state.root.as_deref() == Some(&root.0[..]) {
            // The checkpoint cosigned last, again: its cosignature again, nothing to store.
            cosign(false)
        } else {
            Decision {
                answer: WitnessAnswer::Conflict(stored_size),
                advance: false,
                alert: Some(("fork", format!("同为 {size} 个条目，日志却签署了另一个根哈希：日志分叉"))),
            }
        });
    }
    if stored_size == 0 {
        return Ok(if add.proof.is_empty() { cosign(true) } else { refuse(WitnessAnswer::ProofRejected) });
    }
    let old_root = state
        .root
        .as_deref()
        .and_then(tlog::hash_from_slice)
        .ok_or_else(|| StoreError::Internal("witness state without root".into()))?;
    Ok(match tlog::check_tree(&add.proof, size, root, stored_size, old_root) {
        Ok(()) => cosign(true),
        Err(_) => Decision {
            answer: WitnessAnswer::ProofRejected,
            advance: false,
            alert: Some((
                "inconsistent",
                format!("{size} 个条目的检查点不是本见证已联署的 {stored_size} 个条目的延续：历史被改写"),
            )),
        },
    })
}

impl Store {
    /// This deployment's key as a witness.
    pub fn witness_verifier_key(&self) -> String {
        self.witness_key.verifier_key()
    }

    /// Follow (witness) the log with this verifier key.
    pub async fn follow_log(&self, verifier_key: &str) -> Result<String> {
        signed_note::StandardVerifier::new(verifier_key).map_err(|e| {
            StoreError::invalid(liuhen_rules::Problem::new(
                "key",
                "R1",
                "invalid",
                format!("日志公钥无效：{e}"),
                format!("invalid log key: {e}"),
            ))
        })?;
        // A second key for a known origin is the log's rotation: both are trusted.
        let origin = verifier_key.split('+').next().unwrap_or("").to_string();
        let known = self.backend.dialect().lacks("witness_logs.verifier_key", "excluded.verifier_key");
        self.writer
            .exec(
                &format!(
                    "INSERT INTO witness_logs (origin, verifier_key) VALUES ($1, $2)
                     ON CONFLICT(origin) DO UPDATE SET verifier_key = witness_logs.verifier_key || $3 || excluded.verifier_key
                     WHERE {known}"
                ),
                params![&origin, verifier_key.trim(), "\n"],
            )
            .await?;
        Ok(origin)
    }

    pub async fn followed_logs(&self) -> Result<Vec<WitnessedLog>> {
        let rows =
            self.reader.rows("SELECT origin, verifier_key, size FROM witness_logs ORDER BY origin", params![]).await?;
        rows.iter()
            .map(|r| Ok(WitnessedLog { origin: r.get(0)?, verifier_key: r.get(1)?, size: r.get::<i64>(2)? as u64 }))
            .collect()
    }

    /// `add-checkpoint` (c2sp.org/tlog-witness): check, store atomically, then cosign.
    ///
    /// Anyone can call this (the log's signature is the authentication), and every receipt
    /// carries a signed checkpoint of the log, so nothing is written before the signature has
    /// verified and the request is known to change something: a checkpoint older than or equal
    /// to the one cosigned last is answered (409 with the size, or the cosignature again) from a
    /// read; a write transaction opens only to advance the log or to raise an alert, and an alert
    /// is raised once for a given checkpoint (an identical replay finds it raised).
    pub async fn witness_add_checkpoint(&self, request: &[u8]) -> Result<WitnessAnswer> {
        if request.len() > MAX_ADD_CHECKPOINT_BYTES {
            return Ok(WitnessAnswer::BadRequest("request too large".into()));
        }
        let Ok(add) = parse_add_checkpoint(request) else {
            return Ok(WitnessAnswer::BadRequest("malformed request".into()));
        };
        let Ok(note) = signed_note::Note::from_bytes(&add.checkpoint) else {
            return Ok(WitnessAnswer::BadRequest("malformed checkpoint".into()));
        };
        let origin = String::from_utf8_lossy(note.text()).lines().next().unwrap_or("").to_string();
        // First, from a read: the log, its keys and the signature.
        let read_origin = origin.clone();
        let Some(state) = self.reader.run(move |db| followed(db, &read_origin)).await? else {
            return Ok(WitnessAnswer::UnknownOrigin);
        };
        let keys: Vec<&str> = state.verifier_key.lines().collect();
        let Ok(checkpoint) = open_checkpoint_any(&add.checkpoint, &keys) else {
            return Ok(WitnessAnswer::NotSigned);
        };
        let (size, root) = (checkpoint.size(), *checkpoint.hash());
        let decision = decide(&add, size, root, &state)?;
        let needs_write = decision.advance
            || match decision.alert {
                Some((kind, _)) => {
                    let (origin, add) = (origin.clone(), add.clone());
                    !self.reader.run(move |db| alerted(db, &origin, kind, size, &add)).await?
                }
                None => false,
            };
        if !needs_write {
            return Ok(match decision.answer {
                WitnessAnswer::Cosigned(_) => self.cosign_note(&note),
                other => other,
            });
        }
        // Then, under the write lock: the same decision on the state as it is now.
        let request = request.to_vec();
        let answer = self
            .writer
            .transaction(move |db| {
                let Some(state) = followed(db, &origin)? else {
                    return Ok(WitnessAnswer::UnknownOrigin);
                };
                let decision = decide(&add, size, root, &state)?;
                if let Some((kind, detail)) = &decision.alert
                    && !alerted(db, &origin, kind, size, &add)?
                {
                    db.exec(
                        "INSERT INTO witness_alerts (origin, at, kind, witnessed_size, offered_size, detail, request)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        crate::sql::args![origin, ts(now()), *kind, state.size as i64, size as i64, detail, request],
                    )?;
                    tracing::error!(%origin, kind, %detail, "witness refused a checkpoint");
                }
                if decision.advance {
                    db.exec(
                        "UPDATE witness_logs SET size = $1, root = $2, updated_at = $3 WHERE origin = $4",
                        crate::sql::args![size as i64, root.0, ts(now()), origin],
                    )?;
                }
                Ok(decision.answer)
            })
            .await?;
        Ok(match answer {
            WitnessAnswer::Cosigned(_) => self.cosign_note(&note),
            other => other,
        })
    }

    fn cosign_note(&self, note: &signed_note::Note) -> WitnessAnswer {
        let timestamp = now().unix_timestamp().max(0) as u64;
        WitnessAnswer::Cosigned(self.witness_key.cosign(note.text(), timestamp))
    }

    /// Refusals this witness raised; they cannot be changed or cleared.
    pub async fn witness_alerts(&self) -> Result<Vec<WitnessAlert>> {
        let rows = self
            .reader
            .rows(
                "SELECT origin, at, kind, witnessed_size, offered_size, detail FROM witness_alerts ORDER BY id",
                params![],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(WitnessAlert {
                    origin: r.get(0)?,
                    at: parse_ts(&r.get::<String>(1)?)?,
                    kind: r.get(2)?,
                    witnessed_size: r.get::<i64>(3)? as u64,
                    offered_size: r.get::<i64>(4)? as u64,
                    detail: r.get(5)?,
                })
            })
            .collect()
    }

    // ---- the log side ----------------------------------------------------------------------

    fn witness_verifier(endpoint: &WitnessEndpoint) -> Result<WitnessVerifier> {
        WitnessVerifier::new(&endpoint.verifier_key).map_err(|e| StoreError::Internal(e.to_string()))
    }

    /// The request to send a witness now, if it has not cosigned the latest checkpoint.
    pub async fn witness_push_plan(&self, endpoint: &WitnessEndpoint) -> Result<Option<PushPlan>> {
        let name = Self::witness_verifier(endpoint)?.name;
        let Some(latest) = self.latest_checkpoint().await? else { return Ok(None) };
        let old_size = self
            .reader
            .row("SELECT size FROM log_witness_state WHERE witness = $1", params![&name])
            .await?
            .map(|r| r.get::<i64>(0))
            .transpose()?
            .unwrap_or(0) as u64;
        if old_size == latest.size {
            return Ok(None);
        }
        let proof = if old_size == 0 || old_size > latest.size {
            Vec::new()
        } else {
            with_hashes(
                |r| tlog::prove_tree(latest.size, old_size, r),
                |idx| async move { read_hashes(&self.reader, &idx).await },
            )
            .await?
        };
        Ok(Some(PushPlan {
            old_size,
            size: latest.size,
            body: liuhen_ledger::cosignature::add_checkpoint_body(old_size, &proof, latest.note.as_bytes()),
        }))
    }

    /// Keep a witness's cosignature of our checkpoint of `size` (checked first).
    pub async fn record_cosignature(&self, endpoint: &WitnessEndpoint, size: u64, lines: &str) -> Result<bool> {
        let verifier = Self::witness_verifier(endpoint)?;
        let note: Vec<u8> =
            self.reader.one("SELECT note FROM checkpoints WHERE size = $1", params![size as i64]).await?.get(0)?;
        let body = checkpoint_body(&note)?;
        let Some(line) = lines.lines().find(|l| matches!(verifier.verify_line(&body, l), Some(Ok(_)))) else {
            return Ok(false);
        };
        let (name, line) = (verifier.name, format!("{line}\n"));
        self.writer
            .transaction(move |db| {
                db.exec(
                    "INSERT INTO log_cosignatures (size, witness, line, at) VALUES ($1, $2, $3, $4)
                       ON CONFLICT DO NOTHING",
                    args![size as i64, name, line, ts(now())],
                )?;
                set_state(db, &name, size)
            })
            .await?;
        Ok(true)
    }

    /// After a 409: the witness says it last cosigned `size`.
    pub async fn set_witness_size(&self, endpoint: &WitnessEndpoint, size: u64) -> Result<()> {
        let name = Self::witness_verifier(endpoint)?.name;
        self.writer.run(move |db| set_state(db, &name, size)).await
    }

    /// A witness refused our checkpoint: kept for ever, shown on the log's status.
    pub async fn record_refusal(&self, endpoint: &WitnessEndpoint, status: u16, size: u64, body: &str) -> Result<()> {
        let name = Self::witness_verifier(endpoint)?.name;
        self.writer
            .exec(
                "INSERT INTO log_witness_refusals (witness, at, status, size, body) VALUES ($1, $2, $3, $4, $5)",
                params![&name, ts(now()), i64::from(status), size as i64, body],
            )
            .await?;
        tracing::error!(witness = %name, status, size, "a witness refused our checkpoint");
        Ok(())
    }

    /// The latest checkpoint with every cosignature received for it.
    pub async fn cosigned_checkpoint(&self) -> Result<Option<String>> {
        let Some(latest) = self.latest_checkpoint().await? else { return Ok(None) };
        let lines: Vec<String> = self
            .reader
            .rows("SELECT line FROM log_cosignatures WHERE size = $1 ORDER BY witness", params![latest.size as i64])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect::<Result<_, _>>()?;
        Ok(Some(format!("{}{}", latest.note, lines.concat())))
    }

    pub async fn log_status(&self) -> Result<LogStatus> {
        let latest_size = self.latest_checkpoint().await?.map_or(0, |c| c.size);
        let quorum = self.config.policy.witness_quorum;
        let witnessed: Option<i64> = self
            .reader
            .scalar(
                "SELECT MAX(size) FROM (SELECT size FROM log_cosignatures
                       GROUP BY size HAVING COUNT(*) >= $1) AS witnessed",
                params![quorum as i64],
            )
            .await?;
        let mut witnesses = Vec::new();
        for endpoint in &self.config.witnesses {
            let name = Self::witness_verifier(endpoint)?.name;
            let size: Option<i64> = self
                .reader
                .row("SELECT size FROM log_witness_state WHERE witness = $1", params![&name])
                .await?
                .map(|r| r.get(0))
                .transpose()?;
            let refusals: i64 = self
                .reader
                .scalar("SELECT COUNT(*) FROM log_witness_refusals WHERE witness = $1", params![&name])
                .await?;
            witnesses.push(WitnessState { name, size: size.unwrap_or(0) as u64, refusals: refusals as u64 });
        }
        Ok(LogStatus {
            origin: self.log_origin().into(),
            verifier_key: self.verifier_key().into(),
            latest_size,
            witnessed_size: if quorum == 0 { latest_size } else { witnessed.unwrap_or(0) as u64 },
            quorum,
            witnesses,
        })
    }
}
