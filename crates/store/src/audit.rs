//! The security auditor's trail (安全审计员, issue 17): administration, security and view events
//! read from the ledger, with records, materials and the people a view concerned shown by
//! pseudonym — who did what and when, never what the records say.

use liuhen_ledger::Event;
use liuhen_rules::Permission;
use sha2::{Digest, Sha256};

use crate::sql::params;
use crate::{Result, Store, User};

impl Store {
    /// The administrative and security audit trail (安全审计员, audit.read): every change of
    /// accounts, courts, tokens, permissions and approvals, and every view event (who read what,
    /// never the contents), of the auditor's court and the courts below; newest first.
    pub async fn audit_trail(&self, viewer: &User, before: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
        self.require_permission(
            viewer,
            Permission::AuditRead,
            "您的角色不查看审计记录",
            "your role does not read the audit trail",
        )?;
        let reach = self.courts_under(&viewer.court_id).await?;
        // The kinds the auditor reads (administration, security and views; never contents) are
        // declared with each kind (`liuhen_ledger::EventKind::audited`).
        let kinds = liuhen_ledger::EventKind::ALL
            .iter()
            .filter(|k| k.audited())
            .map(|k| format!("'{}'", k.name()))
            .collect::<Vec<_>>()
            .join(", ");
        let limit = limit.clamp(1, 500);
        let mut out = Vec::new();
        let mut cursor = before.unwrap_or(i64::MAX);
        // Read newest first in pages until enough entries of the auditor's courts are found.
        while out.len() < limit as usize {
            // `kinds` is built from the declared kinds, never from input.
            let rows = self.reader
                .rows(
                    &format!(
                "SELECT seq, entry FROM events WHERE kind IN ({kinds}) AND seq < $1 ORDER BY seq DESC LIMIT 1000"
            ),
                    params![cursor],
                )
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let seq: i64 = row.get(0)?;
                cursor = seq;
                let event = Event::decode(&row.get::<Vec<u8>>(1)?)?;
                // Court-less entries (the permission matrix) concern every court.
                if !event.court.is_empty() && !reach.contains(&event.court) {
                    continue;
                }
                out.push(AuditEntry::of(seq, event));
                if out.len() >= limit as usize {
                    break;
                }
            }
        }
        Ok(out)
    }
}

/// One entry of the audit trail: who did what when, where.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
    pub actor: String,
    pub court: String,
    pub kind: String,
    /// The entry's fields (administrative facts and ids, never record contents).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// A stand-in for an id or a name the auditor may follow but not read: the same value always
/// gives the same stand-in, and nobody without the value learns it from the stand-in.
fn pseudonym(value: &str) -> String {
    format!("#{}", &hex::encode(Sha256::digest(value.as_bytes()))[..16])
}

impl AuditEntry {
    /// The entry as the security auditor sees it: who did what, when; records, materials and the
    /// cadres or staff a view concerned appear by pseudonym, so that views of one record can be
    /// followed without the auditor learning which record it is (or who recorded it).
    fn of(seq: i64, event: Event) -> AuditEntry {
        let kind = event.body.kind().to_string();
        let mut detail = serde_json::to_value(&event.body).unwrap_or_default();
        if let Some(map) = detail.as_object_mut() {
            map.remove("type");
            for key in ["record_id", "material_id"] {
                if let Some(serde_json::Value::String(id)) = map.get(key) {
                    let hidden = pseudonym(id);
                    map.insert(key.into(), hidden.into());
                }
            }
            if let Some(serde_json::Value::Array(ids)) = map.get_mut("record_ids") {
                for id in ids.iter_mut() {
                    if let Some(text) = id.as_str() {
                        *id = pseudonym(text).into();
                    }
                }
            }
            let names_someone =
                matches!(map.get("part").and_then(|p| p.as_str()), Some("cadre_history" | "finding_proposal"));
            if names_someone && let Some(serde_json::Value::String(subject)) = map.get("subject") {
                let hidden = pseudonym(subject);
                map.insert("subject".into(), hidden.into());
            }
        }
        AuditEntry { seq, at: event.at, actor: event.actor, court: event.court, kind, detail }
    }
}
