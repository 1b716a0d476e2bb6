//! The permission matrix in force (S3, S11; issue 17): the configured one, recorded in the ledger
//! when it changes — with the security administrator's approval once the two-person rule holds —
//! and what a requested matrix changes, for the approver to see.

use liuhen_ledger::{Event, EventBody};
use liuhen_rules::{ApprovalAction, Listed, Role};
use uuid::Uuid;

use crate::account_changes::AdminChange;
use crate::duties::Request;
use crate::sql::params;
use crate::{Result, Store, StoreError};

/// A permission matrix as the ledger records it: role code → permission codes.
pub(crate) type Grants = std::collections::BTreeMap<String, Vec<String>>;

pub(crate) fn grants_of(m: &liuhen_rules::PermissionMatrix) -> Grants {
    Role::ALL
        .iter()
        .map(|r| (r.code().to_string(), m.grants(*r).iter().map(|p| p.code().to_string()).collect()))
        .collect()
}

/// What `asked` changes against `current`, role by role.
pub(crate) fn matrix_changes(current: &Grants, asked: &Grants) -> Vec<String> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let code = role.code().to_string();
        let now = current.get(&code).cloned().unwrap_or_default();
        let then = asked.get(&code).cloned().unwrap_or_default();
        let added = then.iter().filter(|p| !now.contains(p)).map(|p| format!("+{p}"));
        let removed = now.iter().filter(|p| !then.contains(p)).map(|p| format!("−{p}"));
        let change: Vec<String> = added.chain(removed).collect();
        if !change.is_empty() {
            out.push(format!("{code}: {}", change.join(" ")));
        }
    }
    out
}

impl Store {
    /// The permission matrix in force (S3, S11).
    pub fn permissions(&self) -> std::sync::Arc<liuhen_rules::PermissionMatrix> {
        self.matrix.read().map(|m| m.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// The last matrix recorded in the ledger (the shipped defaults when none is).
    async fn recorded_grants(&self) -> Result<Grants> {
        let last = self
            .reader
            .row("SELECT entry FROM events WHERE kind = 'permissions_set' ORDER BY seq DESC LIMIT 1", params![])
            .await?;
        Ok(match last {
            Some(row) => match Event::decode(&row.get::<Vec<u8>>(0)?)?.body {
                EventBody::PermissionsSet { grants } => grants,
                _ => return Err(StoreError::Internal("a permissions_set row holds another event".into())),
            },
            None => grants_of(&liuhen_rules::PermissionMatrix::default()),
        })
    }

    /// Put the last recorded matrix in force.
    pub(crate) async fn load_recorded_permissions(&self) -> Result<()> {
        let grants = self.recorded_grants().await?;
        let matrix = liuhen_rules::PermissionMatrix::with_overrides(&grants).map_err(|problems| {
            StoreError::Internal(format!("the recorded permission matrix is no longer valid: {problems:?}"))
        })?;
        if let Ok(mut m) = self.matrix.write() {
            *m = std::sync::Arc::new(matrix);
        }
        Ok(())
    }

    /// S3, S11 at start: the configured matrix goes into the ledger when it differs from the last
    /// one recorded, so that a change of who may do what is itself on the record. Once the
    /// two-person rule holds, the security administrator sets it (三员分立): a changed
    /// configuration is asked of them (once) and the recorded matrix stays in force until they
    /// approve.
    pub(crate) async fn settle_permissions(&self) -> Result<()> {
        let configured = grants_of(&self.config.permissions);
        if configured == self.recorded_grants().await? {
            return Ok(());
        }
        if !self.two_person_rule().await? {
            self.administer(&self.config.operator, AdminChange::SetPermissions(configured)).await?;
            return self.load_recorded_permissions().await;
        }
        self.load_recorded_permissions().await?;
        let detail = serde_json::to_string(&configured).map_err(|e| StoreError::Internal(e.to_string()))?;
        let asked = self
            .reader
            .one(
                "SELECT COUNT(*) FROM approvals WHERE action = $1 AND state = 'pending' AND detail = $2",
                params![ApprovalAction::SetPermissions.code(), &detail],
            )
            .await?
            .get::<i64>(0)?;
        if asked > 0 {
            return Ok(());
        }
        let top: String = self
            .reader
            .one("SELECT id FROM courts WHERE parent_id IS NULL ORDER BY id LIMIT 1", params![])
            .await?
            .get(0)?;
        tracing::warn!("the configured permission matrix waits for the security administrator's approval");
        let request = Request {
            id: Uuid::now_v7(),
            action: ApprovalAction::SetPermissions,
            username: String::new(),
            court_id: top,
            role: None,
            display_name: None,
            password_hash: None,
            reason: "配置文件中的权限矩阵已更改 (the permission matrix in the configuration changed)".into(),
            token: None,
            grants: Some(configured),
        };
        self.request_approval(&self.config.operator, request).await?;
        Ok(())
    }
}
