//! Records: what is stored of them and who may read it (S9: read scopes, the recorder shown only
//! to those who may see it). The commands that change records are in `commands.rs`; the views
//! are in `views.rs`, the reads and lists in `reads.rs`.

mod reads;
mod views;

pub use views::*;

use liuhen_rules::{
    CaseNumber, CosignState, Disposition, Form, Listed, MaterialCategory, Permission, Problem, Record, Register,
    parse_case_number_with, parse_recorded_case_number,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::sql::params;
use crate::{MaterialStore, Result, Store, StoreError, User, parse_ts, ts};
use liuhen_ledger::EventBody;

pub(crate) struct RecordRow {
    pub court_id: String,
    pub recorder: String,
    pub version: u32,
    pub record: Record,
}

pub(crate) fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

pub(crate) fn not_found() -> StoreError {
    StoreError::not_found("记录不存在，或不在你可以查看的范围内", "no such record, or not one you may see")
}

pub(crate) fn decode_record(json: &str) -> Result<Record> {
    serde_json::from_str(json).map_err(|e| StoreError::Internal(format!("stored record does not decode: {e}")))
}

pub(crate) fn u32_of(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// The current version of a record (the sequencer reads it on its own connection).
pub(crate) fn load_record_for_write(conn: &dyn crate::sql::Db, id: Uuid) -> Result<Option<RecordRow>> {
    let row = conn.row(
        "SELECT r.court_id, r.recorder, r.version, v.data FROM records r
         JOIN record_versions v ON v.record_id = r.id AND v.version = r.version WHERE r.id = $1",
        crate::sql::args![id.to_string()],
    )?;
    row.map(|r| {
        Ok(RecordRow {
            court_id: r.get(0)?,
            recorder: r.get(1)?,
            version: u32_of(r.get(2)?),
            record: decode_record(&r.get::<String>(3)?)?,
        })
    })
    .transpose()
}

pub(crate) fn check_reason(field: &str, reason: &str, zh: &str, en: &str) -> Result<String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::invalid(Problem::new(field, "R1", "required", zh, en)));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(StoreError::invalid(Problem::new(
            field,
            "R1",
            "too_long",
            format!("理由最多 {MAX_REASON_CHARS} 字"),
            format!("the reason may have at most {MAX_REASON_CHARS} characters"),
        )));
    }
    Ok(reason.to_string())
}

impl Store {
    /// Whether `actor` may amend the record: checked before the amendment is validated, so that
    /// someone else's record answers "not found" or "forbidden", never with details of the draft;
    /// the sequencer checks again when it writes.
    pub async fn check_can_amend(&self, actor: &User, id: Uuid) -> Result<()> {
        // Out of the actor's read scope: not found, like any id they may not see.
        let (_, recorder) = self.readable_record(actor, id).await?;
        if recorder != actor.username {
            return Err(StoreError::forbidden("只有录入人可以修改自己的记录", "only the recorder can amend a record"));
        }
        Ok(())
    }

    /// Whether `actor` may add materials to the record: checked before an upload is streamed, and
    /// again when it is recorded.
    pub async fn check_can_add_material(&self, actor: &User, id: Uuid) -> Result<()> {
        let current = self
            .reader
            .run(move |db| load_record_for_write(db, id))
            .await?
            .filter(|r| r.court_id == actor.court_id)
            .ok_or_else(not_found)?;
        if current.recorder != actor.username {
            return Err(StoreError::forbidden("只有录入人可以为记录添加材料", "only the recorder can add materials"));
        }
        Ok(())
    }

    /// What `viewer` may read (S3): the court's whole store, or only the records they recorded or
    /// were present at; nothing at all for roles without a record permission (the system
    /// administrator: separation of duties).
    fn read_scope(&self, viewer: &User) -> Result<ReadScope> {
        if self.permits(viewer, Permission::RecordReadCourt) {
            return Ok(ReadScope::Court);
        }
        if self.permits(viewer, Permission::RecordReadOwn) {
            return Ok(ReadScope::Own);
        }
        if !viewer.may_read_records() {
            return Err(StoreError::forbidden(
                "系统管理员、安全保密管理员和安全审计员不能查看过问记录的内容（三员分立）",
                "the system administrator, the security administrator and the security auditor cannot read record contents (separation of duties)",
            ));
        }
        Err(self.refusal(
            viewer,
            Permission::RecordReadOwn,
            "你的角色不能查看过问记录",
            "your role may not read records",
        ))
    }

    /// Whether `viewer` may see who recorded a record `recorder` wrote (S9).
    fn sees_recorder(&self, viewer: &User, recorder: &str) -> bool {
        recorder == viewer.username || self.permits(viewer, Permission::RecordSeeRecorder)
    }

    /// The record's court, recorder and whether it is in `viewer`'s read scope; not found (never
    /// "forbidden") when it is not, so that guessing ids reveals nothing.
    pub(crate) async fn readable_record(&self, viewer: &User, id: Uuid) -> Result<(crate::sql::Row, String)> {
        let scope = self.read_scope(viewer)?;
        let row = self
            .reader
            .row(
                "SELECT r.*, v.data FROM records r JOIN record_versions v ON v.record_id = r.id
                   AND v.version = r.version
             WHERE r.id = $1 AND r.court_id = $2",
                params![id.to_string(), &viewer.court_id],
            )
            .await?
            .ok_or_else(not_found)?;
        let recorder: String = row.get("recorder")?;
        if scope == ReadScope::Own && recorder != viewer.username {
            let present: bool = self
                .reader
                .scalar(
                    "SELECT EXISTS (SELECT 1 FROM cosignatures WHERE record_id = $1 AND signer = $2)",
                    params![id.to_string(), &viewer.username],
                )
                .await?;
            if !present {
                return Err(not_found());
            }
        }
        Ok((row, recorder))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadScope {
    Court,
    Own,
}
