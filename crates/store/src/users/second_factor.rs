//! The second factor (TOTP, RFC 6238): enrolment with a one-time code handed over out of band, and
//! confirmation.

use super::*;
use crate::sql::params;

/// The TOTP generator of a stored base32 secret: RFC 6238 defaults (SHA-1, 6 digits, 30 s, one
/// step of skew either way), which every authenticator app reads.
pub(super) fn totp(secret_base32: &str, username: &str) -> Result<totp_rs::Totp> {
    let secret = totp_rs::Secret::try_from_base32(secret_base32)
        .map_err(|e| StoreError::Internal(format!("stored TOTP secret: {e:?}")))?;
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name(username.replace(':', "_"))
        .with_issuer(Some("liuhen"))
        .build()
        .map_err(|e| StoreError::Internal(format!("TOTP: {e:?}")))
}

pub(super) fn unix_now() -> u64 {
    now().unix_timestamp().max(0) as u64
}

/// What a user needs to set up their authenticator: the secret, and the same as an otpauth URL
/// (for a QR code).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TotpEnrolment {
    /// Base32, as authenticator apps take it when typed in.
    pub secret: String,
    pub otpauth_url: String,
}

impl Store {
    /// Begin enrolling a TOTP second factor: a new secret, which counts once a code from it is
    /// confirmed. It takes the one-time enrolment code handed to the person out of band (issue
    /// 17: a password alone, which an administrator may know, never enrols an authenticator).
    /// Starting again takes a new code; a confirmed factor stays until it is reset.
    pub async fn start_second_factor(&self, user: &User, enrolment_code: &str) -> Result<TotpEnrolment> {
        if user.second_factor || self.user(&user.username).await?.is_some_and(|u| u.second_factor) {
            return Err(StoreError::conflict("已启用第二因素", "the second factor is already set up"));
        }
        if user.via_token {
            return Err(StoreError::forbidden("令牌不能启用第二因素", "a token cannot enrol a second factor"));
        }
        self.redeem_enrolment_code(&user.username, enrolment_code).await?;
        let secret = totp_rs::Secret::from(rand::random::<[u8; 20]>()).to_base32();
        let otpauth_url =
            totp(&secret, &user.username)?.to_url().map_err(|e| StoreError::Internal(format!("{e:?}")))?;
        self.writer
            .exec(
                "UPDATE users SET totp_secret = $1, totp_enabled = 0 WHERE username = $2 AND totp_enabled = 0",
                params![&secret, &user.username],
            )
            .await?;
        Ok(TotpEnrolment { secret, otpauth_url })
    }

    /// Confirm the second factor with a code from the authenticator. The session that confirms
    /// it has shown both factors; every other session of the user, opened with the password
    /// alone, is ended.
    pub async fn confirm_second_factor(&self, user: &User, code: &str, this_token: &str) -> Result<()> {
        let row = self
            .reader
            .one("SELECT totp_secret, totp_enabled FROM users WHERE username = $1", params![&user.username])
            .await?;
        if row.get::<i64>("totp_enabled")? != 0 {
            return Err(StoreError::conflict("已启用第二因素", "the second factor is already set up"));
        }
        let Some(secret) = row.get::<Option<String>>("totp_secret")? else {
            return Err(StoreError::conflict(
                "请先开始设置第二因素（POST /api/v1/me/totp）",
                "start setting up the second factor first (POST /api/v1/me/totp)",
            ));
        };
        let Some(step) = totp(&secret, &user.username)?.check(code.trim(), unix_now()) else {
            return Err(StoreError::invalid(Problem::new(
                "code",
                "S3",
                "invalid",
                "验证码不对：请输入验证器当前显示的 6 位数字",
                "wrong code: enter the 6 digits your authenticator shows now",
            )));
        };
        let (username, keep) = (user.username.clone(), token_hash(this_token));
        self.writer
            .transaction(move |db| {
                db.exec(
                    "UPDATE users SET totp_enabled = 1, totp_last_step = $1 WHERE username = $2",
                    crate::sql::args![step as i64, username],
                )?;
                db.exec(
                    "DELETE FROM sessions WHERE username = $1 AND token_hash <> $2",
                    crate::sql::args![username, keep],
                )
            })
            .await?;
        self.sessions.forget_user(&user.username);
        Ok(())
    }
}
