//! Configuration: defaults, then a TOML file (`--config`, `LIUHEN_CONFIG`, or `./liuhen.toml` when
//! present), then `LIUHEN_*` environment variables.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Where the materials and signing keys live, and the SQLite database by default.
    pub data_dir: PathBuf,
    /// A PostgreSQL database for the tables (`postgres://user@host/db`), for a deployment that
    /// outgrows one SQLite file or runs several server processes (issue 7); SQLite when absent.
    pub database_url: Option<String>,
    /// Address to listen on.
    pub listen: String,
    /// R5: largest material, in megabytes (10^6 bytes).
    pub max_material_mb: u64,
    /// S11: extra region abbreviations accepted in case numbers.
    pub extra_regions: Vec<String>,
    /// Mark the session cookie Secure (set when served over TLS).
    pub secure_cookies: bool,
    pub session_hours: i64,
    /// A session ends after this many minutes without a request (等保).
    pub session_idle_minutes: i64,
    /// Consecutive failed logins that lock an account (等保), and for how many minutes.
    pub max_failed_logins: u32,
    pub lockout_minutes: i64,
    /// Every read of contents needs a login with a second factor (等保; issue 17; called
    /// `second_factor_for_store` before, when it covered the court's whole store only). Only the
    /// demo turns this off.
    pub second_factor_for_contents: bool,
    /// Failed logins from one client address in a minute before further attempts are refused.
    pub login_failures_per_minute: u32,
    /// Days within which the staff present should confirm an oral record (R4); later ones show
    /// as overdue.
    pub cosign_overdue_days: i64,
    /// Hours each court has to acknowledge an immediate report before the step is overdue (R9).
    pub immediate_step_hours: i64,
    /// S11: how often judges and judicial assistants record or attest a zero report: `monthly`
    /// (the default) or `quarterly`.
    pub zero_report_cycle: String,
    /// S2 ¶1, S11: days within which an inquiry is to be recorded; later entries are flagged late,
    /// and a contact the case system logged with no entry by then becomes a question to the judge.
    pub recording_time_limit_days: i64,
    /// Reverse proxies in front of the server, whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The log's name in its checkpoints, used when the signing key is first made
    /// (no spaces or '+'; e.g. `liuhen.example-high-court.cn/log`).
    pub log_origin: String,
    /// The log's signing key; default `<data_dir>/log-signing.key`. Keep it off the database's disk.
    pub log_key_file: Option<PathBuf>,
    /// Milliseconds the sequencer waits for more writes to join a batch (0: only those queued).
    pub batch_linger_ms: u64,
    /// The name this deployment cosigns under when it witnesses the logs of courts below.
    pub witness_name: String,
    /// Witnesses this log pushes its checkpoints to (c2sp.org/tlog-witness).
    pub witnesses: Vec<WitnessSetting>,
    /// Cosignatures needed before a checkpoint counts as witnessed.
    pub witness_quorum: usize,
    /// How often to push new checkpoints to the witnesses, in milliseconds.
    pub witness_push_ms: u64,
    /// S3, S11: a province's changes to the shipped permission matrix — for each role named, the
    /// full list of permissions it holds (`liuhen permissions` lists the defaults).
    pub permissions: std::collections::BTreeMap<String, Vec<String>>,
    /// Single sign-on through the court's OpenID Connect provider (`[oidc]`); off when absent.
    pub oidc: Option<liuhen_server::oidc::OidcConfig>,
    /// S11, R19: a province's additions to where reports go (`[report_routing]`): committees by
    /// their proper names, and recipients a high court adds for its courts.
    pub report_routing: liuhen_reports::RoutingRules,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WitnessSetting {
    /// The witness's submission prefix, e.g. `http://high-court.example:8080/witness`.
    pub url: String,
    /// Its cosignature key, `name+id+base64` (printed by `liuhen witness key` there).
    pub verifier_key: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data/liuhen"),
            database_url: None,
            listen: "127.0.0.1:8080".into(),
            max_material_mb: 500,
            extra_regions: Vec::new(),
            secure_cookies: false,
            session_hours: 12,
            session_idle_minutes: 30,
            max_failed_logins: 5,
            lockout_minutes: 15,
            second_factor_for_contents: true,
            login_failures_per_minute: 20,
            cosign_overdue_days: 3,
            immediate_step_hours: 24,
            zero_report_cycle: "monthly".into(),
            recording_time_limit_days: 3,
            trusted_proxies: Vec::new(),
            log_origin: "liuhen.local/log".into(),
            log_key_file: None,
            batch_linger_ms: 0,
            witness_name: "liuhen.local/witness".into(),
            witnesses: Vec::new(),
            witness_quorum: 1,
            witness_push_ms: 1000,
            permissions: Default::default(),
            oidc: None,
            report_routing: Default::default(),
        }
    }
}

impl Settings {
    pub fn load(config_file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        let file = config_file.map(Path::to_path_buf).or_else(|| std::env::var_os("LIUHEN_CONFIG").map(PathBuf::from));
        match file {
            Some(f) => {
                anyhow::ensure!(f.exists(), "配置文件 {} 不存在 (config file not found)", f.display());
                figment = figment.merge(Toml::file(f));
            }
            None => figment = figment.merge(Toml::file("liuhen.toml")),
        }
        let settings: Settings = figment
            .merge(Env::prefixed("LIUHEN_").ignore(&["config"]).map(|k| k.as_str().to_ascii_lowercase().into()))
            .extract()
            .map_err(|e| anyhow::anyhow!("配置有误 (configuration error): {e}"))?;
        Ok(settings)
    }

    /// The store's settings; refuses a permission matrix that names unknown roles or permissions
    /// or breaks the separation of duties, listing every problem.
    pub fn store_config(&self) -> anyhow::Result<liuhen_store::StoreConfig> {
        let mut c = liuhen_store::StoreConfig::new(&self.data_dir);
        c.database_url = self.database_url.clone().filter(|u| !u.is_empty());
        c.permissions = liuhen_rules::PermissionMatrix::with_overrides(&self.permissions).map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(|p| format!("  {}: {} ({})", p.field, p.zh, p.en)).collect();
            anyhow::anyhow!("配置有误 (configuration error):\n{}", lines.join("\n"))
        })?;
        c.max_material_bytes = self.max_material_mb.saturating_mul(1_000_000);
        c.extra_regions = self.extra_regions.clone();
        c.session_hours = self.session_hours;
        c.session_idle_minutes = self.session_idle_minutes;
        c.max_failed_logins = self.max_failed_logins.max(1);
        c.lockout_minutes = self.lockout_minutes;
        c.second_factor_for_contents = self.second_factor_for_contents;
        // Administrative changes made from this command line name the account at the console.
        let who = std::env::var("SUDO_USER").or_else(|_| std::env::var("USER")).unwrap_or_default();
        let who: String = who.chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).take(64).collect();
        c.operator = if who.is_empty() { "console".into() } else { format!("console:{who}") };
        c.login_failures_per_minute = self.login_failures_per_minute.max(1);
        c.cosign_overdue_days = self.cosign_overdue_days.max(1);
        c.immediate_step_hours = self.immediate_step_hours.max(1);
        c.zero_report_cycle =
            <liuhen_rules::ReportingCycle as liuhen_rules::Listed>::from_code(&self.zero_report_cycle).ok_or_else(|| {
                anyhow::anyhow!(
                    "配置有误 (configuration error):\n  zero_report_cycle: 应为 monthly 或 quarterly (must be monthly or quarterly), 而不是 \"{}\"",
                    self.zero_report_cycle
                )
            })?;
        c.recording_time_limit_days = self.recording_time_limit_days.max(1);
        c.log_origin = self.log_origin.clone();
        c.log_key_file = self.log_key_file.clone();
        c.batch_linger = std::time::Duration::from_millis(self.batch_linger_ms);
        c.witness_name = self.witness_name.clone();
        c.witnesses = self
            .witnesses
            .iter()
            .map(|w| liuhen_store::witness::WitnessEndpoint {
                url: w.url.clone(),
                verifier_key: w.verifier_key.clone(),
            })
            .collect();
        c.witness_quorum = self.witness_quorum;
        Ok(c)
    }
}
