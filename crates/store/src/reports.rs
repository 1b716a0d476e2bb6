//! What reports read from the store (R8): the store's entries of a court and the courts below,
//! for those who may see reports; the reading itself is a ledger event (查看留痕).

use liuhen_ledger::EventBody;
use liuhen_rules::{Permission, Record};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::records::decode_record;
use crate::{Result, Store, StoreError, User, ts};

/// One entry as a report takes it.
pub struct ReportEntry {
    pub id: Uuid,
    pub court_id: String,
    pub record: Record,
}

impl Store {
    /// Every store entry (current version) of `viewer`'s court and the courts below that occurred
    /// before `until`. Needs `report.view` (and, where the configuration asks for it, a login
    /// with a second factor, as reading the store does). The entries that occurred from `shown_from`
    /// on — those the report shows — are recorded as read, `via` the report.
    pub async fn report_entries(
        &self,
        viewer: &User,
        shown_from: OffsetDateTime,
        until: OffsetDateTime,
        via: &str,
    ) -> Result<Vec<ReportEntry>> {
        if !self.permits(viewer, Permission::ReportView) {
            return Err(StoreError::forbidden("您的角色不查看报告", "your role does not see reports"));
        }
        if self.config.second_factor_for_store && !viewer.second_factor {
            return Err(StoreError::forbidden(
                "查看报告须以第二因素登录：在“我的账号”（/account）中启用 TOTP 后用密码和验证码登录",
                "reports need a login with a second factor: set up TOTP under My account (/account) and log in with it",
            ));
        }
        let courts = self.courts_under(&viewer.court_id).await?;
        let mut entries = Vec::new();
        for court in &courts {
            let rows = sqlx::query(
                "SELECT r.id, r.court_id, v.data FROM records r
                 JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
                 WHERE r.court_id = ? AND r.register = 'store' AND r.occurred_at < ?",
            )
            .bind(court)
            .bind(ts(until))
            .fetch_all(&self.reader)
            .await?;
            for row in &rows {
                let id: String = row.try_get("id")?;
                entries.push(ReportEntry {
                    id: id.parse().map_err(|e| StoreError::Internal(format!("record id {id}: {e}")))?,
                    court_id: row.try_get("court_id")?,
                    record: decode_record(&row.try_get::<String, _>("data")?)?,
                });
            }
        }
        let shown: Vec<Uuid> = entries.iter().filter(|e| e.record.occurred_at >= shown_from).map(|e| e.id).collect();
        if !shown.is_empty() {
            self.note_view(viewer, EventBody::RecordsListed { record_ids: shown, via: via.into() }).await?;
        }
        Ok(entries)
    }
}
