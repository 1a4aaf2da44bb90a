//! The `Store` methods for account management and form faults (operations
//! in `../account_admin.rs`, compiled per backend). No rules here: the
//! caller (`confidant-service/src/account_admin.rs`) decides.

use super::{Db, Store, pg_accounts, sqlite_accounts};
use crate::error::Result;
use confidant_audit::Action;
use confidant_core::ids::{ClientId, SessionId, UserId};
use confidant_core::record::Timestamp;
use zeroize::Zeroizing;

macro_rules! dispatch {
    ($self:ident . $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$self.db {
            Db::Sqlite(pool) => sqlite_accounts::$f(pool, &$self.keys, $($arg),*).await,
            Db::Postgres(pool) => pg_accounts::$f(pool, &$self.keys, $($arg),*).await,
        }
    };
}

/// A bounded refusal record (see [`Store::record_refusal_coalesced`]).
pub struct CoalescedRefusal<'a> {
    pub actor: &'a str,
    /// Throttle keys that count this failure.
    pub throttle_keys: &'a [String],
    pub now_unix: i64,
    pub action: Action,
    pub ids: Vec<String>,
    /// Who is refused (kind of credential and a hash of the address).
    pub coalesce_key: &'a str,
    pub window_seconds: i64,
}

impl Store {
    /// A refused, unauthenticated attempt: counted on its throttle keys;
    /// audited in full only as the first of its window for `coalesce_key`,
    /// the rest of the window counted into one later
    /// `sign_in.refusals_coalesced` entry. True: a full entry was written.
    pub async fn record_refusal_coalesced(&self, r: CoalescedRefusal<'_>) -> Result<bool> {
        dispatch!(self.record_refusal_coalesced(
            r.actor,
            r.throttle_keys,
            r.now_unix,
            r.action,
            r.ids,
            r.coalesce_key,
            r.window_seconds
        ))
    }

    /// A new password hash after a re-authentication whose TOTP `step` is
    /// taken (false: already used); the user's other sessions end.
    pub async fn change_password(
        &self,
        actor: &str,
        user: &UserId,
        password_hash: &str,
        step: u64,
        keep: Option<&SessionId>,
    ) -> Result<bool> {
        dispatch!(self.change_password(actor, user, password_hash, step, keep))
    }

    pub async fn replace_recovery_codes(
        &self,
        actor: &str,
        user: &UserId,
        step: u64,
        recovery_json: &str,
    ) -> Result<bool> {
        dispatch!(self.replace_recovery_codes(actor, user, step, recovery_json))
    }

    /// Disables (ending every session and token) or enables an account.
    /// False: no such user.
    pub async fn set_user_disabled(
        &self,
        actor: &str,
        user: &UserId,
        disabled: bool,
    ) -> Result<bool> {
        dispatch!(self.set_disabled(actor, user, disabled))
    }

    pub async fn create_password_reset(
        &self,
        actor: &str,
        user: &UserId,
        token_hash: &[u8; 32],
        expires_at: Timestamp,
    ) -> Result<()> {
        dispatch!(self.create_password_reset(
            actor,
            user,
            token_hash.as_slice(),
            expires_at.unix_micros()
        ))
    }

    pub async fn password_reset_user(
        &self,
        token_hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Option<UserId>> {
        dispatch!(self.password_reset_user(token_hash.as_slice(), now.unix_micros()))
    }

    pub async fn use_password_reset(
        &self,
        token_hash: &[u8; 32],
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Option<UserId>> {
        dispatch!(self.use_password_reset(token_hash.as_slice(), password_hash, now.unix_micros()))
    }

    /// True the first time a form nonce is used (on any replica).
    pub async fn consume_form_nonce(&self, nonce: &str, now: Timestamp) -> Result<bool> {
        dispatch!(self.consume_form_nonce(nonce, now.unix_micros()))
    }

    pub async fn save_note_draft(
        &self,
        user: &UserId,
        client: &ClientId,
        text: &str,
    ) -> Result<String> {
        dispatch!(self.save_note_draft(user, client, text))
    }

    pub async fn note_drafts(
        &self,
        user: &UserId,
        client: &ClientId,
    ) -> Result<Vec<(String, Timestamp, Zeroizing<String>)>> {
        dispatch!(self.note_drafts(user, client))
    }

    pub async fn delete_note_draft(&self, user: &UserId, id: &str) -> Result<bool> {
        dispatch!(self.delete_note_draft(user, id))
    }
}
