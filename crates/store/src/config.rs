//! What the store is told when it opens: where it lives, and the rules and names a deployment sets.
//! `Policy` is declared once, here, with its defaults; the command line's configuration
//! (src/config.rs) reads it from the file and `LIUHEN_*` as it is.

use std::path::PathBuf;
use std::time::Duration;

use liuhen_rules::{PermissionMatrix, ReportingCycle};
use serde::Deserialize;

use crate::{users, witness};

/// The rules a court's deployment sets for its store (等保's limits on sessions and logins, the
/// time limits of S11) and the names its log goes by. Every field may be left out of the
/// configuration file; the defaults are the shipped rules.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// S11: region abbreviations added to the case-number rules (the demo's 示).
    pub extra_regions: Vec<String>,
    /// How long a login session lasts at most, in hours.
    pub session_hours: i64,
    /// A session ends after this many minutes without a request (等保).
    pub session_idle_minutes: i64,
    /// Consecutive failed logins that lock an account (等保), and for how many minutes.
    pub max_failed_logins: u32,
    pub lockout_minutes: i64,
    /// Every read of contents (any permission `liuhen_rules::reads_contents`) and the security
    /// duties need a login with a second factor (等保): a session or token without one acts with
    /// those permissions taken away (`Store::factor_limits`). Only the demo turns this off.
    pub second_factor_for_contents: bool,
    /// Failed logins from one client address in a minute before further attempts are refused.
    pub login_failures_per_minute: u32,
    /// R4, S11: days within which the staff present should confirm an oral record; later ones
    /// show as overdue on their desk.
    pub cosign_overdue_days: i64,
    /// R9, S11: hours each court of an immediate report's chain has to acknowledge it before the
    /// step shows as overdue.
    pub immediate_step_hours: i64,
    /// S2 ¶1, S11: days within which an inquiry is to be recorded; later entries are flagged late,
    /// and a contact the case system logged with no entry by then becomes a question to the judge.
    pub recording_time_limit_days: i64,
    /// S11: how often judges and judicial assistants record or attest a zero report: `monthly`
    /// or `quarterly`.
    pub zero_report_cycle: ReportingCycle,
    /// The log's name in its checkpoints (c2sp.org/tlog-checkpoint origin), used when the signing
    /// key is first made (no spaces or '+'; e.g. `liuhen.example-high-court.cn/log`).
    pub log_origin: String,
    /// The log's signing key; default `<data_dir>/log-signing.key`. Keep it off the database's disk.
    pub log_key_file: Option<PathBuf>,
    /// The name this deployment cosigns under when it witnesses the logs of courts below.
    pub witness_name: String,
    /// Cosignatures needed before a checkpoint counts as witnessed.
    pub witness_quorum: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            extra_regions: Vec::new(),
            session_hours: 12,
            session_idle_minutes: 30,
            max_failed_logins: 5,
            lockout_minutes: 15,
            second_factor_for_contents: true,
            login_failures_per_minute: 20,
            cosign_overdue_days: 3,
            immediate_step_hours: 24,
            recording_time_limit_days: 3,
            zero_report_cycle: ReportingCycle::Monthly,
            log_origin: "liuhen.local/log".into(),
            log_key_file: None,
            witness_name: "liuhen.local/witness".into(),
            witness_quorum: 1,
        }
    }
}

impl Policy {
    /// The limits that make no sense below one (a lock after zero failures, a throttle of zero
    /// logins a minute, a time limit of zero days) raised to one.
    pub fn at_least_one(self) -> Policy {
        Policy {
            max_failed_logins: self.max_failed_logins.max(1),
            login_failures_per_minute: self.login_failures_per_minute.max(1),
            cosign_overdue_days: self.cosign_overdue_days.max(1),
            immediate_step_hours: self.immediate_step_hours.max(1),
            recording_time_limit_days: self.recording_time_limit_days.max(1),
            ..self
        }
    }
}

/// Settings the store needs; the command line makes them from its configuration.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Materials and signing keys live here (and, by default, the SQLite database).
    pub data_dir: PathBuf,
    /// A PostgreSQL database (`postgres://…`) for the tables instead of SQLite in `data_dir`
    /// (issue 7); materials and keys stay in `data_dir`. The store itself is handed its
    /// [`crate::Backend`]; whoever opens it chooses one by this.
    pub database_url: Option<String>,
    /// R5: largest material accepted, in bytes (default 500 MB).
    pub max_material_bytes: u64,
    pub policy: Policy,
    /// Who makes administrative changes through this store handle, as the ledger records it: the
    /// CLI names the operating-system account at the console (`console:<user>`).
    pub operator: String,
    /// How long the sequencer waits for more writes to join a batch (0: only those already queued).
    pub batch_linger: Duration,
    /// The witnesses this log pushes its checkpoints to.
    pub witnesses: Vec<witness::WitnessEndpoint>,
    /// Who may do what (S3); the shipped defaults unless the configuration changes them (S11).
    pub permissions: PermissionMatrix,
}

impl StoreConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        StoreConfig {
            data_dir: data_dir.into(),
            database_url: None,
            max_material_bytes: 500 * 1000 * 1000,
            policy: Policy::default(),
            operator: users::CONSOLE.to_string(),
            batch_linger: Duration::ZERO,
            witnesses: Vec::new(),
            permissions: Default::default(),
        }
    }
}
