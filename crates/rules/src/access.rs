//! Who may do what (S3; docs/security.md). The permission matrix is data: shipped defaults that a
//! province may change by configuration (S11), deny by default, and with the separation of duties
//! built in so that no configuration can break it.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Listed, Permission, Problem, Role};

/// The shipped defaults, as docs/security.md tables them.
pub fn default_grants(role: Role) -> &'static [Permission] {
    use Permission::*;
    match role {
        // Every member of staff records, and reads what they recorded or were present at.
        Role::Recorder => &[RecordCreate, RecordReadOwn, RecordCosign, LogTiles],
        // Leaders see reports, not the raw store (docs/security.md).
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
        // 三员分立 (等保 level 3): three roles, none of which reaches contents, none of which holds
        // another's duty.
        Role::SystemAdministrator => &[AdminUsers, AdminCourts, LogTiles],
        Role::SecurityAdministrator => &[SecurityApprove, LogTiles],
        Role::SecurityAuditor => &[AuditRead, LogTiles],
        Role::Auditor => &[LogTiles, LogEntries],
        Role::Witness => &[LogTiles],
        // Outside bodies read only the reports addressed to them (the reports issue): nothing of
        // the store, the log or the court's accounts.
        Role::ReportRecipient => &[],
        // The case-management system pushes records and the contacts it logged (issue 8
        // cross-checks) and reads nothing back. Only its account reports contacts, so that a
        // colleague cannot invent questions against another.
        Role::CaseSystem => &[RecordCreate, ContactReport, LogTiles],
    }
}

/// The duties that 三员分立 keeps apart: no role holds permissions of two of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Duty {
    /// Recording and reading what was recorded, and everything derived from it.
    Contents,
    /// 系统管理员: accounts, courts, configuration.
    Administration,
    /// 安全保密管理员: approves grants of content-reading roles and resets of their credentials.
    Security,
    /// 安全审计员: reads the administrative and security audit trail.
    Audit,
}

impl Duty {
    /// The one role that may hold the duty's permissions (Contents: any role but the three).
    fn role(self) -> Option<Role> {
        match self {
            Duty::Contents => None,
            Duty::Administration => Some(Role::SystemAdministrator),
            Duty::Security => Some(Role::SecurityAdministrator),
            Duty::Audit => Some(Role::SecurityAuditor),
        }
    }
}

/// Which duty a permission belongs to; `None` for what reaches no contents and changes nothing
/// (the log's hashes).
pub fn duty(permission: Permission) -> Option<Duty> {
    use Permission::*;
    match permission {
        RecordCreate | RecordReadOwn | RecordReadCourt | RecordSeeRecorder | RecordViews | RecordCosign
        | ReportView | ReportDraft | ReportApprove | LogEntries | RecordScreen | FilingOversee | FindingRecord
        | ComplaintHandle | ContactReport => Some(Duty::Contents),
        AdminUsers | AdminCourts => Some(Duty::Administration),
        SecurityApprove => Some(Duty::Security),
        AuditRead => Some(Duty::Audit),
        LogTiles => None,
    }
}

/// Whether a permission lets its holder read record contents or the people in them, in any form
/// (records, lists, reports, log entries, findings, complaints). Such reads need a second factor
/// and leave a view event; a token with such a scope is issued only to its holder, with a second
/// person's approval.
pub fn reads_contents(permission: Permission) -> bool {
    duty(permission) == Some(Duty::Contents)
        && !matches!(permission, Permission::RecordCreate | Permission::ContactReport)
}

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

/// Whether using a permission needs a login with a second factor (where the configuration asks
/// for one): everything that reads contents, and the security duties.
pub fn needs_second_factor(permission: Permission) -> bool {
    reads_contents(permission) || matches!(duty(permission), Some(Duty::Security | Duty::Audit))
}

/// Roles whose accounts an administrator makes alone: they never read contents, whatever the
/// configuration says.
fn made_without_approval(role: Role) -> bool {
    matches!(role, Role::Witness | Role::ReportRecipient | Role::CaseSystem)
}

/// The duty a role is reserved for, if it is one of the three (三员).
fn role_duty(role: Role) -> Option<Duty> {
    [Duty::Administration, Duty::Security, Duty::Audit].into_iter().find(|d| d.role() == Some(role))
}

fn separation_problem(field: &str, role: Role, p: Permission) -> Problem {
    Problem::new(
        field,
        "S3",
        "separation_of_duties",
        format!(
            "“{}”不能被授予“{}”：系统管理员、安全保密管理员、安全审计员三员分立，互不兼任，且都不接触过问记录内容",
            role.zh(),
            p.zh()
        ),
        format!(
            "\"{}\" cannot be granted \"{}\": the system administrator, the security administrator and the security auditor are kept apart, none holds another's duty, and none reaches record contents",
            role.code(),
            p.code()
        ),
    )
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
                    Some(p) if duty(p).is_some_and(|d| d.role().is_some_and(|r| r != role)) => {
                        problems.push(separation_problem(&field, role, p))
                    }
                    Some(p) if duty(p) == Some(Duty::Contents) && role_duty(role).is_some() => {
                        problems.push(separation_problem(&field, role, p))
                    }
                    // Service accounts and outside bodies are made without a second person's
                    // approval, so their roles never read contents (issue 17).
                    Some(p) if reads_contents(p) && made_without_approval(role) => problems.push(Problem::new(
                        &field,
                        "S3",
                        "service_reads_contents",
                        format!("“{}”的账号无须批准即可开设，不能被授予查看内容的“{}”", role.zh(), p.zh()),
                        format!(
                            "accounts of \"{}\" are made without a second person's approval, so the role cannot be granted \"{}\", which reads contents",
                            role.code(),
                            p.code()
                        ),
                    )),
                    Some(p) => {
                        granted.insert(p);
                    }
                }
            }
            matrix.grants.insert(role, granted);
        }
        if problems.is_empty() { Ok(matrix) } else { Err(problems) }
    }

    /// Whether the role reads record contents or the people in them (see `reads_contents`).
    pub fn reads_contents(&self, role: Role) -> bool {
        self.grants(role).into_iter().any(reads_contents)
    }

    /// Whether granting the role to an account needs a second person's approval (two-person
    /// rule): it reads contents, or it approves or audits such grants.
    pub fn grant_needs_approval(&self, role: Role) -> bool {
        self.reads_contents(role) || matches!(role_duty(role), Some(Duty::Security | Duty::Audit))
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
        for p in Permission::ALL.iter().copied().filter(|p| duty(*p) == Some(Duty::Contents)) {
            for role in [Role::SystemAdministrator, Role::SecurityAdministrator, Role::SecurityAuditor] {
                assert!(!m.permits(role, p), "{role:?} {p:?}");
            }
        }
        let err = PermissionMatrix::with_overrides(&overrides(&[("system_administrator", &["record.read_court"])]))
            .unwrap_err();
        assert_eq!(err[0].rule, "S3");
        assert_eq!(err[0].field, "permissions.system_administrator");
    }

    #[test]
    fn no_role_combines_two_of_the_three_duties() {
        let m = PermissionMatrix::default();
        for role in Role::ALL {
            let duties: BTreeSet<Duty> = m.grants(*role).into_iter().filter_map(duty).collect();
            assert!(duties.len() <= 1, "{role:?} holds {duties:?}");
        }
        for (role, perms) in [
            ("system_administrator", &["admin.users", "security.approve"][..]),
            ("security_administrator", &["security.approve", "audit.read"][..]),
            ("security_auditor", &["audit.read", "record.read_own"][..]),
            ("store_maintainer", &["record.read_court", "admin.users"][..]),
            ("witness", &["security.approve"][..]),
            ("witness", &["log.tiles", "log.entries"][..]),
            ("case_system", &["record.create", "record.read_court"][..]),
            ("report_recipient", &["report.view"][..]),
        ] {
            let err = PermissionMatrix::with_overrides(&overrides(&[(role, perms)])).unwrap_err();
            assert_eq!(err.len(), 1, "{role}: {err:?}");
            assert!(["separation_of_duties", "service_reads_contents"].contains(&err[0].code), "{role}: {err:?}");
        }
    }

    #[test]
    fn content_reading_roles_need_a_second_person_to_grant() {
        let m = PermissionMatrix::default();
        for role in [Role::Recorder, Role::StoreMaintainer, Role::CourtLeader, Role::DisciplineInspector, Role::Auditor]
        {
            assert!(m.reads_contents(role) && m.grant_needs_approval(role), "{role:?}");
        }
        for role in [Role::SecurityAdministrator, Role::SecurityAuditor] {
            assert!(!m.reads_contents(role) && m.grant_needs_approval(role), "{role:?}");
        }
        for role in [Role::SystemAdministrator, Role::Witness, Role::ReportRecipient, Role::CaseSystem] {
            assert!(!m.reads_contents(role) && !m.grant_needs_approval(role), "{role:?}");
        }
        assert!(!reads_contents(Permission::RecordCreate) && reads_contents(Permission::LogEntries));
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
