use liuhen_rules::Problem;

/// Everything the storage layer can refuse or fail at. Messages name what a clerk or an operator
/// can do about it; the server maps each variant to an HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("输入有误 (invalid input)")]
    Invalid(Vec<Problem>),
    #[error("{zh} ({en})")]
    NotFound { zh: String, en: String },
    #[error("{zh} ({en})")]
    Forbidden { zh: String, en: String },
    #[error("{zh} ({en})")]
    Conflict { zh: String, en: String },
    #[error("材料超过大小上限 {limit} 字节 (material larger than the {limit}-byte limit)")]
    TooLarge { limit: u64 },
    #[error("用户名或密码错误 (wrong user name or password)")]
    BadCredentials,
    #[error(
        "统一身份认证的账号“{0}”在本系统中没有对应账号，或已停用；请系统管理员先建立账号 (no account here for the identity provider's user, or it is disabled)"
    )]
    NoFederatedAccount(String),
    #[error("须输入第二因素验证码 (the second-factor code is required)")]
    SecondFactorRequired,
    #[error("第二因素验证码不对或已用过 (wrong or reused second-factor code)")]
    SecondFactorWrong,
    #[error("此地址登录失败过多，请 {retry_after} 秒后再试 (too many failed logins from this address)")]
    TooManyAttempts { retry_after: u64 },
    #[error("登录失败次数过多，账号暂时锁定 (account locked after too many failed logins)")]
    Locked { until: time::OffsetDateTime },
    #[error("材料 {sha256} 的内容与登记的哈希不符，可能已被改动或损坏 (material does not match its recorded hash)")]
    MaterialCorrupt { sha256: String },
    #[error("账本事件无法编码: {0}")]
    Ledger(#[from] liuhen_ledger::LedgerError),
    /// A failure of the database, as its backend reports it.
    #[error("数据库错误 (database error): {0}")]
    Database(String),
    #[error("材料存储错误 (material store error): {0}")]
    Objects(#[from] object_store::Error),
    #[error("文件错误 (I/O error): {0}")]
    Io(#[from] std::io::Error),
    #[error("上传中断 (upload interrupted): {0}")]
    Upload(String),
    /// The disk (or the database server's) has no room left: nothing of the request was written.
    #[error("存储空间已满，未写入 (no space left; nothing was written): {0}")]
    StorageFull(String),
    /// The connection to the database was lost (a restart, a network fault): the request was not
    /// carried out and may be tried again.
    #[error("与数据库的连接中断 (the connection to the database was lost): {0}")]
    ConnectionLost(String),
    /// The connection was lost while a write transaction was committing: the database may or may
    /// not have kept it.
    #[error("提交时与数据库的连接中断，无法确定是否已保存 (the connection was lost while committing): {0}")]
    OutcomeUnknown(String),
    /// The log's signing key cannot be read, is not a key, is not the key that signed the newest
    /// checkpoint, or is missing while the log has checkpoints: the store does not open rather
    /// than sign with another key (docs/operations.md, "Keys and witnesses").
    #[error("日志签名密钥 {path} 无法使用：{zh} (the log signing key cannot be used: {en})")]
    SigningKey { path: String, zh: String, en: String },
    #[error("内部错误 (internal error): {0}")]
    Internal(String),
}

impl StoreError {
    pub fn not_found(zh: impl Into<String>, en: impl Into<String>) -> Self {
        StoreError::NotFound { zh: zh.into(), en: en.into() }
    }
    pub fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> Self {
        StoreError::Forbidden { zh: zh.into(), en: en.into() }
    }
    pub fn conflict(zh: impl Into<String>, en: impl Into<String>) -> Self {
        StoreError::Conflict { zh: zh.into(), en: en.into() }
    }
    pub fn invalid(problem: Problem) -> Self {
        StoreError::Invalid(vec![problem])
    }
    /// A database's own error (a backend's driver, a migration).
    pub fn database(error: impl std::fmt::Display) -> Self {
        StoreError::Database(error.to_string())
    }

    /// Whether this failure is a full disk: said by the database, or an I/O error somewhere in the
    /// chain of causes (a material being written).
    pub fn is_storage_full(&self) -> bool {
        if matches!(self, StoreError::StorageFull(_)) {
            return true;
        }
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = cause {
            if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull) {
                return true;
            }
            cause = e.source();
        }
        false
    }

    /// A refusal of the request itself (bad input, not allowed, not found, conflict), as opposed to
    /// a failure of the system.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            StoreError::Invalid(_)
                | StoreError::NotFound { .. }
                | StoreError::Forbidden { .. }
                | StoreError::Conflict { .. }
                | StoreError::Ledger(_)
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
