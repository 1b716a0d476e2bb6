//! Who may do what (S3; DESIGN.md "Roles"). The permission matrix is data: shipped defaults that a
//! province may change by configuration (S11), deny by default, and with the separation of duties
//! built in so that no configuration can break it.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Listed, Permission, Problem, Role};

/// The shipped defaults, from DESIGN.md's table of roles.
pub fn default_grants(role: Role) -> &'static [Permission] {
    use Permission::*;
    match role {
        // The case-management system's service account is a recorder with a scoped token: it
        // sends records and the contacts it logged (issue 8 cross-checks).
        Role::Recorder => &[RecordCreate, RecordReadOwn, RecordCosign, LogTiles, ContactReport],
        // Leaders see reports, not the raw store (DESIGN.md).
        Role::CourtLeader => &[RecordCreate, RecordReadOwn, RecordCosign, ReportView, ReportApprove, LogTiles],
        // The trial-management office maintains the store and drafts its reports (S3, R8).
        Role::StoreMaintainer => &[
            RecordCreate,
            RecordReadOwn,
            RecordCosign,
            RecordReadCourt,
            RecordSeeRecorder,
            RecordViews,
            ReportView,
            ReportDraft,
            RecordScreen,
            FilingOversee,
            LogTiles,
        ],
        // Discipline inspection finds and decides (S8) and handles complaints (S9).
        Role::DisciplineInspector => &[
            RecordCreate,
            RecordReadOwn,
            RecordCosign,
            RecordReadCourt,
            RecordSeeRecorder,
            RecordViews,
            ReportView,
            FilingOversee,
            FindingRecord,
            ComplaintHandle,
            LogTiles,
        ],
        Role::SystemAdministrator => &[AdminUsers, AdminCourts, LogTiles],
        Role::Auditor => &[LogTiles, LogEntries],
        Role::Witness => &[LogTiles],
        // Outside bodies read only the reports addressed to them (the reports issue): nothing of
        // the store, the log or the court's accounts.
        Role::ReportRecipient => &[],
    }
}

/// Permissions that reach record contents or the people in them: never the system
/// administrator's (separation of duties, DESIGN.md), whatever the configuration says.
const CONTENT: [Permission; 15] = [
    Permission::ReportView,
    Permission::ReportDraft,
    Permission::ReportApprove,
    Permission::RecordCreate,
    Permission::RecordReadOwn,
    Permission::RecordReadCourt,
    Permission::RecordSeeRecorder,
    Permission::RecordViews,
    Permission::RecordCosign,
    Permission::LogEntries,
    Permission::RecordScreen,
    Permission::FilingOversee,
    Permission::FindingRecord,
    Permission::ComplaintHandle,
    Permission::ContactReport,
];

/// For each role, the permissions it holds; anything not held is denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionMatrix {
    grants: BTreeMap<Role, BTreeSet<Permission>>,
}

impl Default for PermissionMatrix {
    fn default() -> Self {
        let grants = Role::ALL.iter().map(|r| (*r, default_grants(*r).iter().copied().collect())).collect();
        PermissionMatrix { grants }
    }
}

impl PermissionMatrix {
    /// The defaults, with the grants of each role named in `overrides` (role code → permission
    /// codes) replaced. Every problem is reported: an unknown role or permission, or a grant that
    /// would let the system administrator reach record contents.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Self, Vec<Problem>> {
        let mut matrix = PermissionMatrix::default();
        let mut problems = Vec::new();
        for (role_code, codes) in overrides {
            let field = format!("permissions.{role_code}");
            let Some(role) = Role::from_code(role_code) else {
                problems.push(Problem::new(
                    &field,
                    "S11",
                    "unknown_role",
                    format!("没有“{role_code}”这个角色；可用：{}", Role::codes().join("、")),
                    format!("there is no role \"{role_code}\"; roles: {}", Role::codes().join(", ")),
                ));
                continue;
            };
            let mut granted = BTreeSet::new();
            for code in codes {
                match Permission::from_code(code) {
                    None => problems.push(Problem::new(
                        &field,
                        "S11",
                        "unknown_permission",
                        format!("没有“{code}”这项权限；可用：{}", Permission::codes().join("、")),
                        format!("there is no permission \"{code}\"; permissions: {}", Permission::codes().join(", ")),
                    )),
                    Some(p) if role == Role::SystemAdministrator && CONTENT.contains(&p) => {
                        problems.push(Problem::new(
                            &field,
                            "S3",
                            "separation_of_duties",
                            format!("系统管理员不能被授予“{}”：系统管理员不接触过问记录内容（职责分离）", p.zh()),
                            format!(
                                "the system administrator cannot be granted \"{code}\": they never reach record contents (separation of duties)"
                            ),
                        ))
                    }
                    Some(p) => {
                        granted.insert(p);
                    }
                }
            }
            matrix.grants.insert(role, granted);
        }
        if problems.is_empty() { Ok(matrix) } else { Err(problems) }
    }

    pub fn permits(&self, role: Role, permission: Permission) -> bool {
        self.grants.get(&role).is_some_and(|g| g.contains(&permission))
    }

    /// The permissions a role holds, in list order.
    pub fn grants(&self, role: Role) -> Vec<Permission> {
        Permission::ALL.iter().copied().filter(|p| self.permits(role, *p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overrides(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs.iter().map(|(r, ps)| (r.to_string(), ps.iter().map(|p| p.to_string()).collect())).collect()
    }

    #[test]
    fn defaults_follow_the_design_table() {
        let m = PermissionMatrix::default();
        assert!(m.permits(Role::Recorder, Permission::RecordCreate));
        assert!(!m.permits(Role::Recorder, Permission::RecordReadCourt), "a clerk sees only their own records");
        assert!(m.permits(Role::StoreMaintainer, Permission::RecordReadCourt));
        assert!(m.permits(Role::DisciplineInspector, Permission::RecordSeeRecorder));
        assert!(!m.permits(Role::CourtLeader, Permission::RecordReadCourt), "leaders see reports, not the raw store");
        assert!(!m.permits(Role::Auditor, Permission::RecordReadOwn));
        assert!(m.permits(Role::Auditor, Permission::LogEntries));
        assert!(!m.permits(Role::Witness, Permission::LogEntries));
        assert!(m.grants(Role::ReportRecipient).is_empty(), "outside recipients reach nothing of the store");
    }

    #[test]
    fn the_administrator_never_reaches_contents() {
        let m = PermissionMatrix::default();
        for p in CONTENT {
            assert!(!m.permits(Role::SystemAdministrator, p), "{p:?}");
        }
        let err = PermissionMatrix::with_overrides(&overrides(&[("system_administrator", &["record.read_court"])]))
            .unwrap_err();
        assert_eq!(err[0].rule, "S3");
        assert_eq!(err[0].field, "permissions.system_administrator");
    }

    #[test]
    fn a_province_can_change_a_role() {
        let m = PermissionMatrix::with_overrides(&overrides(&[(
            "court_leader",
            &["record.create", "record.read_own", "record.read_court"],
        )]))
        .unwrap();
        assert!(m.permits(Role::CourtLeader, Permission::RecordReadCourt));
        assert!(!m.permits(Role::CourtLeader, Permission::LogTiles), "an override replaces the role's grants");
        assert_eq!(m.grants(Role::Recorder), default_grants(Role::Recorder), "other roles keep the defaults");
    }

    #[test]
    fn unknown_names_are_reported_together() {
        let err =
            PermissionMatrix::with_overrides(&overrides(&[("clerk", &[]), ("recorder", &["record.fly"])])).unwrap_err();
        let codes: Vec<&str> = err.iter().map(|p| p.code).collect();
        assert_eq!(codes, ["unknown_role", "unknown_permission"]);
    }
}
