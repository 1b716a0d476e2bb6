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
    /// Mark the session cookie Secure (set when served over TLS).
    pub secure_cookies: bool,
    /// Reverse proxies in front of the server, whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The store's rules and names (sessions, logins, time limits, the log's names), at the top
    /// level of the file: `liuhen_store::Policy` declares each with its default. Read apart from
    /// the rest of the file (not flattened), so that an error names its key and where it came from.
    #[serde(skip)]
    pub policy: liuhen_store::Policy,
    /// Milliseconds the sequencer waits for more writes to join a batch (0: only those queued).
    pub batch_linger_ms: u64,
    /// Witnesses this log pushes its checkpoints to (c2sp.org/tlog-witness), each `url` and
    /// `verifier_key`.
    pub witnesses: Vec<liuhen_store::witness::WitnessEndpoint>,
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

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data/liuhen"),
            database_url: None,
            listen: "127.0.0.1:8080".into(),
            max_material_mb: 500,
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            policy: liuhen_store::Policy::default(),
            batch_linger_ms: 0,
            witnesses: Vec::new(),
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
        let figment =
            figment.merge(Env::prefixed("LIUHEN_").ignore(&["config"]).map(|k| k.as_str().to_ascii_lowercase().into()));
        let refused = |e: figment::Error| anyhow::anyhow!("配置有误 (configuration error): {e}");
        let mut settings: Settings = figment.extract().map_err(refused)?;
        settings.policy = figment.extract().map_err(refused)?;
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
        c.policy = self.policy.clone().at_least_one();
        // Administrative changes made from this command line name the account at the console.
        let who = std::env::var("SUDO_USER").or_else(|_| std::env::var("USER")).unwrap_or_default();
        let who: String = who.chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).take(64).collect();
        c.operator = if who.is_empty() { "console".into() } else { format!("console:{who}") };
        c.batch_linger = std::time::Duration::from_millis(self.batch_linger_ms);
        c.witnesses = self.witnesses.clone();
        Ok(c)
    }
}
