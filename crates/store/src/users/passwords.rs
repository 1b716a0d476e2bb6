//! Passwords (等保): the policy, Argon2 hashing off the async threads, and the throttle on failed
//! logins from one address.

use super::*;

/// 等保: at least 10 characters, of at least two kinds (letters, digits, other signs), and not the
/// user name.
pub(crate) fn check_password_policy(username: &str, password: &str) -> Result<()> {
    let kinds = [
        password.chars().any(char::is_alphabetic),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if password.chars().count() < 10 || kinds < 2 || password.eq_ignore_ascii_case(username) {
        return Err(StoreError::invalid(Problem::new(
            "password",
            "S3",
            "weak_password",
            "密码至少 10 个字符，须含字母、数字、符号中的至少两类，且不能与用户名相同",
            "a password has at least 10 characters of at least two kinds (letters, digits, signs) and is not the user name",
        )));
    }
    Ok(())
}

/// Whether `password` matches the stored argon2id hash (checked off the async threads).
pub(super) async fn password_matches(stored: String, password: &str) -> Result<bool> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .map_err(|e| StoreError::Internal(e.to_string()))
}

pub(crate) async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt_bytes: [u8; 16] = rand::random();
        let salt = SaltString::encode_b64(&salt_bytes)?;
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| StoreError::Internal(e.to_string()))?
    .map_err(|e| StoreError::Internal(e.to_string()))
}

/// Failed logins per client address over the last minute, and the bound on password hashing.
pub(crate) struct LoginThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, Vec<std::time::Instant>>>,
    /// Password checks running at once: argon2id takes 19 MiB and a core for tens of
    /// milliseconds, so a burst of logins waits here instead of running them all together.
    pub(super) hashing: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Default for LoginThrottle {
    fn default() -> LoginThrottle {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        LoginThrottle { failures: Default::default(), hashing: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)) }
    }
}

/// An attempt from one address, counted as a failure until it is released (a success).
pub(crate) struct AttemptReservation {
    ip: std::net::IpAddr,
    at: std::time::Instant,
}

impl LoginThrottle {
    const WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

    /// Seconds to wait, when `ip` has failed `limit` times within the window.
    pub(super) fn refuses(&self, ip: std::net::IpAddr, limit: u32) -> Option<u64> {
        let mut map = self.failures.lock().ok()?;
        let failures = map.get_mut(&ip)?;
        failures.retain(|at| at.elapsed() < Self::WINDOW);
        let oldest = *failures.first()?;
        (failures.len() >= limit as usize).then(|| (Self::WINDOW - oldest.elapsed()).as_secs() + 1)
    }

    pub(super) fn failed(&self, ip: std::net::IpAddr) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() > 100_000 {
                map.retain(|_, f| f.last().is_some_and(|at| at.elapsed() < Self::WINDOW));
            }
            map.entry(ip).or_default().push(std::time::Instant::now());
        }
    }

    /// Check and count an attempt from `ip` in one step, so that a burst of attempts cannot all
    /// pass the check before any is counted: the attempt counts as a failure unless released.
    /// Err: seconds to wait.
    pub(super) fn reserve(&self, ip: std::net::IpAddr, limit: u32) -> std::result::Result<AttemptReservation, u64> {
        if let Some(retry_after) = self.refuses(ip, limit) {
            return Err(retry_after);
        }
        let Ok(mut map) = self.failures.lock() else { return Err(Self::WINDOW.as_secs()) };
        if map.len() > 100_000 {
            map.retain(|_, f| f.last().is_some_and(|at| at.elapsed() < Self::WINDOW));
        }
        let failures = map.entry(ip).or_default();
        failures.retain(|at| at.elapsed() < Self::WINDOW);
        if failures.len() >= limit as usize {
            let oldest = failures.first().map_or(std::time::Duration::ZERO, |at| at.elapsed());
            return Err(Self::WINDOW.saturating_sub(oldest).as_secs() + 1);
        }
        let at = std::time::Instant::now();
        failures.push(at);
        Ok(AttemptReservation { ip, at })
    }

    /// The attempt did not fail: it no longer counts.
    pub(super) fn release(&self, attempt: AttemptReservation) {
        if let Ok(mut map) = self.failures.lock()
            && let Some(failures) = map.get_mut(&attempt.ip)
            && let Some(i) = failures.iter().position(|at| *at == attempt.at)
        {
            failures.remove(i);
        }
    }
}
