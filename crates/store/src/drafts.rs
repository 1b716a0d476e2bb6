//! Drafts: entries a user began and has not submitted (issue 5). They are the author's own working
//! copy, outside the ledger; a record exists only once submitted.

use uuid::Uuid;

use crate::sql::params;
use crate::{Result, Store, User, now, parse_ts, ts};

/// A saved draft as listed on the desk.
#[derive(Debug, Clone)]
pub struct Draft {
    pub id: Uuid,
    pub saved_at: time::OffsetDateTime,
    pub fields: Vec<(String, String)>,
}

impl Draft {
    /// A field's value, for a one-line description.
    pub fn field(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

/// Drafts are small: a form's worth of text.
const MAX_DRAFT_BYTES: usize = 64 * 1024;

impl Store {
    /// Save (or save again) the author's draft; returns its id.
    pub async fn save_draft(&self, author: &User, id: Option<Uuid>, fields: &[(String, String)]) -> Result<Uuid> {
        let json = serde_json::to_string(fields).map_err(|e| crate::StoreError::Internal(e.to_string()))?;
        if json.len() > MAX_DRAFT_BYTES {
            return Err(crate::StoreError::invalid(liuhen_rules::Problem::new(
                "content",
                "R1",
                "too_long",
                "草稿过长，无法保存；请缩短内容或直接提交",
                "the draft is too long to save; shorten it or submit it",
            )));
        }
        // Saved again: only the author's own row changes. Otherwise a new draft with a new id (an
        // id from the form is never trusted to name a new row).
        if let Some(id) = id {
            let updated = self
                .writer
                .exec(
                    "UPDATE drafts SET saved_at = $1, fields = $2 WHERE id = $3 AND username = $4",
                    params![ts(now()), &json, id.to_string(), &author.username],
                )
                .await?;
            if updated == 1 {
                return Ok(id);
            }
        }
        let id = Uuid::now_v7();
        self.writer
            .exec(
                "INSERT INTO drafts (id, username, saved_at, fields) VALUES ($1, $2, $3, $4)",
                params![id.to_string(), &author.username, ts(now()), &json],
            )
            .await?;
        Ok(id)
    }

    /// Reading a draft back is reading what was written about an inquiry: like a record, it needs
    /// a login with a second factor (issue 17). Drafts are outside the ledger, so no view event.
    fn may_read_drafts(&self, author: &User) -> Result<()> {
        self.require_permission(
            author,
            liuhen_rules::Permission::RecordReadOwn,
            "你的角色不能查看过问记录",
            "your role may not read records",
        )
    }

    /// The author's drafts, latest first; none to a login that may not read them.
    pub async fn drafts(&self, author: &User) -> Result<Vec<Draft>> {
        if self.may_read_drafts(author).is_err() {
            return Ok(Vec::new());
        }
        let rows = self
            .reader
            .rows("SELECT * FROM drafts WHERE username = $1 ORDER BY saved_at DESC", params![&author.username])
            .await?;
        rows.iter().map(row_draft).collect()
    }

    /// One of the author's drafts (nobody else's).
    pub async fn draft(&self, author: &User, id: Uuid) -> Result<Option<Draft>> {
        self.may_read_drafts(author)?;
        let row = self
            .reader
            .row("SELECT * FROM drafts WHERE id = $1 AND username = $2", params![id.to_string(), &author.username])
            .await?;
        row.as_ref().map(row_draft).transpose()
    }

    /// Drop the author's draft (after it was submitted).
    pub async fn delete_draft(&self, author: &User, id: Uuid) -> Result<()> {
        self.writer
            .exec("DELETE FROM drafts WHERE id = $1 AND username = $2", params![id.to_string(), &author.username])
            .await?;
        Ok(())
    }
}

fn row_draft(row: &crate::sql::Row) -> Result<Draft> {
    let id: String = row.get("id")?;
    let fields: String = row.get("fields")?;
    Ok(Draft {
        id: id.parse().map_err(|e| crate::StoreError::Internal(format!("draft id {id}: {e}")))?,
        saved_at: parse_ts(&row.get::<String>("saved_at")?)?,
        fields: serde_json::from_str(&fields).map_err(|e| crate::StoreError::Internal(e.to_string()))?,
    })
}
