//! Account management and form faults: the rules, written once for the
//! server (API and pages). The store compares-and-sets and audits
//! (`confidant-store/src/account_admin.rs`, migration 0009).
//!
//! Rules kept here (tested in `crates/confidant-server/tests/account_admin.rs`):
//! - changing one's password needs the current password and a fresh TOTP
//!   code (its step is taken, so it cannot be replayed); the new password
//!   follows the NIST rules; every other session of the user ends;
//! - regenerating recovery codes needs a fresh TOTP code; the old codes
//!   stop working;
//! - only a user allowed to manage users (the administrator, by the Cedar
//!   policy) disables, enables or resets an account, and never their own;
//!   disabling ends the account's sessions and tokens at once;
//! - a reset link is 256 random bits, stored only as its SHA-256, single
//!   use, expiring (24 hours by default), and the newest one only; using it
//!   sets a new password and clears the authenticator and recovery codes,
//!   so the user enrols TOTP again at the next sign-in;
//! - a note submitted with a session that ended by time (idle or absolute
//!   timeout, not sign-out or revocation) is kept sealed under its author's
//!   key and offered back to that author only;
//! - form nonces are kept in the store, so a form submitted twice creates
//!   one record whichever replicas receive it.

use crate::accounts::{
    Credential, Principal, UserView, blocking, csrf_of, random_secret, secret_hash, unix_seconds,
    user_view,
};
use crate::{Result, Service, ServiceError, refuse};
use confidant_access::{Operation, Target};
use confidant_auth::password;
use confidant_auth::recovery::RecoveryCodes;
use confidant_auth::totp::{TotpError, TotpSecret};
use confidant_core::ids::{ClientId, UserId};
use confidant_core::record::Timestamp;
use confidant_store::{Action, StoredUser};
use std::fmt;
use std::net::IpAddr;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A note kept from a session that ended mid-form, for its author.
#[derive(Clone)]
pub struct NoteDraft {
    pub id: String,
    pub kept_at: String,
    pub text: Zeroizing<String>,
}

impl fmt::Debug for NoteDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteDraft({})", self.id)
    }
}

/// A reset link's secret, shown once to the administrator.
pub struct IssuedReset {
    pub secret: Zeroizing<String>,
    pub expires_at: Timestamp,
}

impl fmt::Debug for IssuedReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuedReset(expires {})", self.expires_at)
    }
}

const MAX_DRAFT_BYTES: usize = 1024 * 1024;

impl Service {
    /// A fresh TOTP code of the signed-in user, for a change that needs
    /// re-authentication: its step (to be taken by the change). A wrong code
    /// is audited and counts against the account's throttle.
    async fn fresh_code_step(&self, user: &StoredUser, code: &str, now: Timestamp) -> Result<u64> {
        let keys = vec![format!("user:{}", user.id)];
        self.check_throttles(&keys, now, vec![user.id.to_string()])
            .await?;
        self.verify_fresh_code(user, code, now).await
    }

    /// The code check of `fresh_code_step`, for a change that has already
    /// claimed its one throttled attempt (`check_throttles` counts every
    /// attempt up front; claiming twice would count one attempt twice).
    /// A right code clears the account's count.
    async fn verify_fresh_code(
        &self,
        user: &StoredUser,
        code: &str,
        now: Timestamp,
    ) -> Result<u64> {
        let keys = vec![format!("user:{}", user.id)];
        let Some(secret) = &user.totp_secret else {
            return refuse("enrol an authenticator first");
        };
        let secret =
            TotpSecret::from_bytes(secret).map_err(|e| ServiceError::Refused(e.to_string()))?;
        let now_s = u64::try_from(unix_seconds(now)).unwrap_or(0);
        match secret.verify(code.trim(), now_s, user.totp_last_step) {
            Ok(step) => {
                // `check_throttles` counted this attempt as a failure up
                // front (atomically); a right code clears the count.
                self.store().clear_sign_in_throttles(&keys).await?;
                Ok(step)
            }
            Err(e) => self.refuse_fresh_code(user, e, now).await,
        }
    }

    async fn refuse_fresh_code<T>(
        &self,
        user: &StoredUser,
        e: TotpError,
        now: Timestamp,
    ) -> Result<T> {
        self.store()
            .record_sign_in_refusal(
                user.id.as_str(),
                // Counted already by `check_throttles`: the audit entry only.
                &[],
                unix_seconds(now),
                Action::SignInFail,
                vec![user.id.to_string()],
            )
            .await?;
        Err(ServiceError::SignInRefused(match e {
            TotpError::Replayed => e.to_string(),
            _ => "the one-time code is not right".into(),
        }))
    }

    fn session_only(who: &Principal) -> Result<()> {
        match who.credential {
            Credential::Session { .. } => Ok(()),
            Credential::Token { .. } => Err(ServiceError::NotAllowed),
        }
    }

    /// Changes the signed-in user's password: the current password and a
    /// fresh TOTP code first. Every other session of the user ends.
    pub async fn change_password(
        &self,
        who: &Principal,
        current: Zeroizing<String>,
        code: &str,
        new_password: Zeroizing<String>,
        now: Timestamp,
    ) -> Result<()> {
        Self::session_only(who)?;
        let user = self.store().get_user(&who.user_id).await?;
        // A new password that breaks the rules is bad input, not a failed
        // credential: refused before the attempt is counted.
        self.check_new_password(&user.username, &new_password)?;
        let keys = vec![format!("user:{}", user.id)];
        self.check_throttles(&keys, now, vec![user.id.to_string()])
            .await?;
        let ok = if current.chars().count() > password::MAX_LENGTH {
            false
        } else {
            let stored = user.password_hash.clone();
            blocking(move || password::verify(&current, &stored)).await?
        };
        if !ok {
            self.store()
                .record_sign_in_refusal(
                    user.id.as_str(),
                    // Counted already by `check_throttles`: the audit entry only.
                    &[],
                    unix_seconds(now),
                    Action::SignInFail,
                    vec![user.id.to_string()],
                )
                .await?;
            return Err(ServiceError::SignInRefused(
                "the current password is not right".into(),
            ));
        }
        let hash = self.new_password_hash(&user.username, new_password).await?;
        let step = self.verify_fresh_code(&user, code, now).await?;
        let keep = match &who.credential {
            Credential::Session { id, .. } => Some(id),
            Credential::Token { .. } => None,
        };
        if self
            .store()
            .change_password(who.actor(), &user.id, &hash, step, keep)
            .await?
        {
            Ok(())
        } else {
            self.refuse_fresh_code(&user, TotpError::Replayed, now)
                .await
        }
    }

    /// NIST SP 800-63B rules for a new password (length, the commonest
    /// passwords, the username and service name).
    fn check_new_password(&self, username: &str, new_password: &str) -> Result<()> {
        let context = [username, self.account_settings().issuer.as_str()];
        self.account_settings()
            .password_rules
            .check(new_password, &context)
            .map_err(|e| ServiceError::Refused(e.to_string()))
    }

    async fn new_password_hash(
        &self,
        username: &str,
        new_password: Zeroizing<String>,
    ) -> Result<String> {
        self.check_new_password(username, &new_password)?;
        blocking(move || password::hash(&new_password))
            .await?
            .map_err(|e| ServiceError::Refused(e.to_string()))
    }

    /// New recovery codes for the signed-in user (a fresh TOTP code first):
    /// returned once; the old ones stop working.
    pub async fn regenerate_recovery_codes(
        &self,
        who: &Principal,
        code: &str,
        now: Timestamp,
    ) -> Result<Vec<Zeroizing<String>>> {
        Self::session_only(who)?;
        let user = self.store().get_user(&who.user_id).await?;
        let step = self.fresh_code_step(&user, code, now).await?;
        let (codes, shown) =
            RecoveryCodes::generate().map_err(|e| ServiceError::Refused(e.to_string()))?;
        let json = serde_json::to_string(&codes)
            .map_err(|_| ServiceError::Refused("recovery codes could not be stored".into()))?;
        if self
            .store()
            .replace_recovery_codes(who.actor(), &user.id, step, &json)
            .await?
        {
            Ok(shown)
        } else {
            self.refuse_fresh_code(&user, TotpError::Replayed, now)
                .await
        }
    }

    async fn managed_user(&self, by: &Principal, user: &UserId) -> Result<StoredUser> {
        self.authorize(by, Operation::ManageUsers, &Target::Service)
            .await?;
        if &by.user_id == user {
            return refuse("you cannot do this to your own account; ask another administrator");
        }
        self.store()
            .get_user(user)
            .await
            .map_err(ServiceError::from)
    }

    /// Disables an account (its sessions and tokens stop at once) or
    /// enables it again. Administrators only, never their own account.
    pub async fn set_account_disabled(
        &self,
        by: &Principal,
        user: &UserId,
        disabled: bool,
    ) -> Result<UserView> {
        self.managed_user(by, user).await?;
        if !self
            .store()
            .set_user_disabled(by.actor(), user, disabled)
            .await?
        {
            return Err(ServiceError::Store(
                confidant_store::StoreError::UnknownRecord { kind: "user" },
            ));
        }
        user_view(&self.store().get_user(user).await?)
    }

    /// A one-time password reset link's secret for another user's account
    /// (administrators only): single use, expiring, the newest one only.
    pub async fn issue_password_reset(&self, by: &Principal, user: &UserId) -> Result<IssuedReset> {
        let target = self.managed_user(by, user).await?;
        if target.disabled {
            return refuse("enable the account before resetting it");
        }
        let secret = random_secret()?;
        let expires_at =
            Timestamp(confidant_store::now_micros() + self.account_settings().reset_link_micros);
        self.store()
            .create_password_reset(by.actor(), user, &secret_hash(&secret), expires_at)
            .await?;
        Ok(IssuedReset { secret, expires_at })
    }

    /// True when `secret` is a current reset link (for showing its page).
    pub async fn password_reset_is_current(&self, secret: &str, now: Timestamp) -> Result<bool> {
        Ok(self
            .store()
            .password_reset_user(&secret_hash(secret), now)
            .await?
            .is_some())
    }

    /// Uses a reset link: a new password; the authenticator and recovery
    /// codes are cleared (enrolled again at the next sign-in); every session
    /// and token of the account ends. An unknown, used or expired link is
    /// refused and audited (bounded per address).
    pub async fn complete_password_reset(
        &self,
        secret: &str,
        new_password: Zeroizing<String>,
        address: Option<IpAddr>,
        now: Timestamp,
    ) -> Result<UserId> {
        let hash = secret_hash(secret);
        let Some(user) = self.store().password_reset_user(&hash, now).await? else {
            return self.refuse_reset(address, now).await;
        };
        let stored = self.store().get_user(&user).await?;
        let new_hash = self
            .new_password_hash(&stored.username, new_password)
            .await?;
        match self
            .store()
            .use_password_reset(&hash, &new_hash, now)
            .await?
        {
            Some(id) => Ok(id),
            None => self.refuse_reset(address, now).await,
        }
    }

    async fn refuse_reset<T>(&self, address: Option<IpAddr>, now: Timestamp) -> Result<T> {
        self.record_refusal("reset", address, &[], now, Action::SignInFail, Vec::new())
            .await?;
        Err(ServiceError::SignInRefused(
            "the reset link is unknown, already used or expired; ask your administrator for a new one"
                .into(),
        ))
    }

    /// Enrols a new authenticator for an account without one, for the
    /// operator's CLI (`confidant user enrol`), who holds the store's keys:
    /// the base32 secret, shown once. Refused once enrolled.
    pub async fn enrol_totp_unchecked(
        &self,
        actor: &str,
        username: &str,
    ) -> Result<Zeroizing<String>> {
        let id = self.user_id_of(username).await?;
        let user = self.store().get_user(&id).await?;
        if user.totp_secret.is_some() {
            return refuse("this account has already enrolled its authenticator");
        }
        let secret = TotpSecret::generate().map_err(|e| ServiceError::Refused(e.to_string()))?;
        let (codes, _) =
            RecoveryCodes::generate().map_err(|e| ServiceError::Refused(e.to_string()))?;
        let json = serde_json::to_string(&codes)
            .map_err(|_| ServiceError::Refused("recovery codes could not be stored".into()))?;
        self.store()
            .enrol_totp_directly(actor, &id, secret.as_bytes(), &json)
            .await?;
        Ok(secret.base32())
    }

    // ------------------------------------------------------------ faults

    /// True the first time a form's nonce is used, on any replica.
    pub async fn consume_form_nonce(&self, nonce: &str) -> Result<bool> {
        if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(false);
        }
        Ok(self
            .store()
            .consume_form_nonce(nonce, Timestamp(confidant_store::now_micros()))
            .await?)
    }

    /// Keeps a note submitted with a session cookie that no longer signs
    /// in, when that session was a full one that ended by time (not signed
    /// out or revoked) within the grace period: sealed for its author.
    /// Returns true when the note was kept. Anything else keeps nothing.
    pub async fn keep_note_after_session_end(
        &self,
        cookie: &str,
        csrf_token: &str,
        client: &ClientId,
        text: &str,
        now: Timestamp,
    ) -> Result<bool> {
        if text.trim().is_empty() || text.len() > MAX_DRAFT_BYTES {
            return Ok(false);
        }
        // The form must carry that session's CSRF token, as any write.
        if !bool::from(csrf_of(cookie).as_bytes().ct_eq(csrf_token.as_bytes())) {
            return Ok(false);
        }
        let Some(s) = self.store().session_by_token(&secret_hash(cookie)).await? else {
            return Ok(false);
        };
        let settings = self.account_settings();
        let ended = (s.last_seen_at.unix_micros() + settings.idle_timeout_micros)
            .min(s.expires_at.unix_micros())
            .min(s.created_at.unix_micros() + settings.absolute_timeout_micros);
        if s.stage != "full"
            || s.revoked_at.is_some()
            || now.unix_micros() < ended
            || now.unix_micros() > ended + settings.draft_grace_micros
        {
            return Ok(false);
        }
        let user = self.store().get_user(&s.user_id).await?;
        if user.disabled {
            return Ok(false);
        }
        self.store().save_note_draft(&user.id, client, text).await?;
        Ok(true)
    }

    /// The signed-in user's kept notes for a client (theirs only), if they
    /// may still write notes there.
    pub async fn my_note_drafts(
        &self,
        who: &Principal,
        client: &ClientId,
    ) -> Result<Vec<NoteDraft>> {
        let drafts = self.store().note_drafts(&who.user_id, client).await?;
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        self.authorize_client(who, Operation::WriteNote, client)
            .await?;
        Ok(drafts
            .into_iter()
            .map(|(id, at, text)| NoteDraft {
                id,
                kept_at: at.to_string(),
                text,
            })
            .collect())
    }

    /// Removes one of the user's kept notes (taken back or discarded).
    pub async fn discard_note_draft(&self, who: &Principal, id: &str) -> Result<()> {
        if self.store().delete_note_draft(&who.user_id, id).await? {
            Ok(())
        } else {
            Err(ServiceError::Store(
                confidant_store::StoreError::UnknownRecord { kind: "kept note" },
            ))
        }
    }
}
