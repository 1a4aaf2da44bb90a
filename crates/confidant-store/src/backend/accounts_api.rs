//! The `Store` methods for server accounts (operations in
//! `../accounts.rs`, compiled per backend). No rules here: the caller
//! (`confidant-service`) decides; the store seals, compares-and-sets,
//! appends and audits.

use super::{Db, Store, pg_accounts, sqlite_accounts};
use crate::account_model::{
    ClientRelations, NewSession, NewToken, NewUser, StoredGrant, StoredSession, StoredToken,
    StoredUser, ThrottleWait, UserCreated,
};
use crate::error::Result;
use confidant_audit::Action;
use confidant_core::ids::{ClientId, GrantId, PractitionerId, SessionId, TokenId, UserId};
use confidant_core::record::Timestamp;

macro_rules! dispatch_accounts {
    ($self:ident . $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$self.db {
            Db::Sqlite(pool) => sqlite_accounts::$f(pool, &$self.keys, $($arg),*).await,
            Db::Postgres(pool) => pg_accounts::$f(pool, &$self.keys, $($arg),*).await,
        }
    };
}

impl Store {
    pub async fn count_users(&self) -> Result<u64> {
        dispatch_accounts!(self.count_users())
    }

    /// Stores a one-time setup link (its SHA-256 only).
    pub async fn create_setup_token(
        &self,
        actor: &str,
        token_hash: &[u8; 32],
        expires_at: Timestamp,
    ) -> Result<()> {
        dispatch_accounts!(self.create_setup_token(actor, token_hash, expires_at.unix_micros()))
    }

    /// Creates a user (username sealed under a new per-user key); with a
    /// setup link's hash, consumes the link in the same transaction.
    pub async fn create_user(
        &self,
        actor: &str,
        new: &NewUser,
        setup_token_hash: Option<&[u8; 32]>,
    ) -> Result<UserCreated> {
        let setup = setup_token_hash.map(|h| h.as_slice());
        dispatch_accounts!(self.create_user(actor, new, setup))
    }

    /// The user with this username, by blind index (not audited: the
    /// caller audits the sign-in it is part of).
    pub async fn find_user(&self, username: &str) -> Result<Option<StoredUser>> {
        dispatch_accounts!(self.find_user(username))
    }

    pub async fn get_user(&self, id: &UserId) -> Result<StoredUser> {
        dispatch_accounts!(self.get_user(id))
    }

    pub async fn list_users(&self) -> Result<Vec<StoredUser>> {
        dispatch_accounts!(self.list_users())
    }

    pub async fn set_totp_pending(&self, actor: &str, user: &UserId, secret: &[u8]) -> Result<()> {
        dispatch_accounts!(self.set_totp_pending(actor, user, secret))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn confirm_totp(
        &self,
        actor: &str,
        user: &UserId,
        secret: &[u8],
        step: u64,
        recovery_json: &str,
        session: &NewSession,
    ) -> Result<Option<SessionId>> {
        dispatch_accounts!(self.confirm_totp(actor, user, secret, step, recovery_json, session))
    }

    pub async fn accept_totp_step(
        &self,
        actor: &str,
        user: &UserId,
        step: u64,
        session: &NewSession,
        clear_throttles: &[String],
    ) -> Result<Option<SessionId>> {
        dispatch_accounts!(self.accept_totp_step(actor, user, step, session, clear_throttles))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn use_recovery_code(
        &self,
        actor: &str,
        user: &UserId,
        expected_json: &str,
        remaining_json: &str,
        session: &NewSession,
        clear_throttles: &[String],
    ) -> Result<Option<SessionId>> {
        dispatch_accounts!(self.use_recovery_code(
            actor,
            user,
            expected_json,
            remaining_json,
            session,
            clear_throttles
        ))
    }

    /// (failures, last failure in unix seconds) for each throttle key.
    pub async fn throttles(&self, keys: &[String]) -> Result<Vec<(u32, Option<i64>)>> {
        dispatch_accounts!(self.throttles(keys))
    }

    /// Check-and-count in one atomic step: `wait` (the caller's rule) sees
    /// each key's (failures, last failure); `Some(seconds)`: refused, nothing
    /// counted; `None`: the attempt is counted as a failure on every key
    /// (cleared by the caller on success).
    pub async fn claim_sign_in_attempt(
        &self,
        throttle_keys: &[String],
        now_unix: i64,
        wait: &ThrottleWait,
    ) -> Result<Option<i64>> {
        dispatch_accounts!(self.claim_sign_in_attempt(throttle_keys, now_unix, wait))
    }

    /// Clears throttle keys (after a success).
    pub async fn clear_sign_in_throttles(&self, throttle_keys: &[String]) -> Result<()> {
        dispatch_accounts!(self.clear_sign_in_throttles(throttle_keys))
    }

    /// Ends every session and revokes every token of the user, audited as
    /// `action`: (sessions ended, tokens revoked).
    pub async fn revoke_all_credentials(
        &self,
        actor: &str,
        user: &UserId,
        action: Action,
    ) -> Result<(u64, u64)> {
        dispatch_accounts!(self.revoke_all_credentials(actor, user, action))
    }

    /// A refused sign-in: one more failure on each of `throttle_keys`, and
    /// the audit entry, in one transaction.
    pub async fn record_sign_in_refusal(
        &self,
        actor: &str,
        throttle_keys: &[String],
        now_unix: i64,
        action: Action,
        ids: Vec<String>,
    ) -> Result<()> {
        dispatch_accounts!(self.record_sign_in_refusal(actor, throttle_keys, now_unix, action, ids))
    }

    pub async fn create_session(
        &self,
        actor: &str,
        session: &NewSession,
        action: Action,
        clear_throttles: &[String],
    ) -> Result<SessionId> {
        dispatch_accounts!(self.create_session(actor, session, action, clear_throttles))
    }

    pub async fn session_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<StoredSession>> {
        let h = token_hash.as_slice();
        dispatch_accounts!(self.session_by_token(h))
    }

    pub async fn touch_session(&self, id: &SessionId, now: Timestamp) -> Result<()> {
        dispatch_accounts!(self.touch_session(id, now.unix_micros()))
    }

    pub async fn list_sessions(&self, user: &UserId) -> Result<Vec<StoredSession>> {
        dispatch_accounts!(self.list_sessions(user))
    }

    pub async fn revoke_sessions(
        &self,
        actor: &str,
        user: &UserId,
        only: Option<&SessionId>,
        action: Action,
    ) -> Result<u64> {
        dispatch_accounts!(self.revoke_sessions(actor, user, only, action))
    }

    pub async fn create_token(&self, actor: &str, new: &NewToken) -> Result<TokenId> {
        dispatch_accounts!(self.create_token(actor, new))
    }

    pub async fn token_by_hash(&self, token_hash: &[u8; 32]) -> Result<Option<StoredToken>> {
        let h = token_hash.as_slice();
        dispatch_accounts!(self.token_by_hash(h))
    }

    pub async fn touch_token(&self, id: &TokenId, now: Timestamp) -> Result<()> {
        dispatch_accounts!(self.touch_token(id, now.unix_micros()))
    }

    pub async fn list_tokens(&self, user: &UserId) -> Result<Vec<StoredToken>> {
        dispatch_accounts!(self.list_tokens(user))
    }

    pub async fn revoke_token(&self, actor: &str, user: &UserId, id: &TokenId) -> Result<bool> {
        dispatch_accounts!(self.revoke_token(actor, user, id))
    }

    pub async fn create_grant(
        &self,
        actor: &str,
        user: &UserId,
        client: &ClientId,
        reason: &str,
        expires_at: Timestamp,
    ) -> Result<GrantId> {
        dispatch_accounts!(self.create_grant(actor, user, client, reason, expires_at))
    }

    pub async fn active_grant(
        &self,
        user: &UserId,
        client: &ClientId,
        now: Timestamp,
    ) -> Result<bool> {
        dispatch_accounts!(self.active_grant(user, client, now.unix_micros()))
    }

    pub async fn list_grants(&self, open_only: bool) -> Result<Vec<StoredGrant>> {
        dispatch_accounts!(self.list_grants(open_only))
    }

    pub async fn review_grant(&self, actor: &str, id: &GrantId) -> Result<bool> {
        dispatch_accounts!(self.review_grant(actor, id))
    }

    pub async fn assign_client(
        &self,
        actor: &str,
        client: &ClientId,
        practitioner: &PractitionerId,
    ) -> Result<()> {
        dispatch_accounts!(self.assign_client(actor, client, practitioner))
    }

    pub async fn add_supervision(
        &self,
        actor: &str,
        supervisor: &PractitionerId,
        supervisee: &PractitionerId,
    ) -> Result<()> {
        dispatch_accounts!(self.add_supervision(actor, supervisor, supervisee))
    }

    pub async fn client_relations(&self, client: &ClientId) -> Result<ClientRelations> {
        dispatch_accounts!(self.client_relations(client))
    }

    pub async fn clients_assigned_to(
        &self,
        practitioner: &PractitionerId,
    ) -> Result<Vec<ClientId>> {
        dispatch_accounts!(self.clients_assigned_to(practitioner))
    }

    /// The client a matter is on (ids only; not audited).
    pub async fn matter_client(&self, matter: &confidant_core::ids::MatterId) -> Result<ClientId> {
        let m = matter.as_str();
        dispatch_accounts!(self.matter_client(m))
    }

    /// The client a consent belongs to (ids only; not audited).
    pub async fn consent_client(
        &self,
        consent: &confidant_core::ids::ConsentId,
    ) -> Result<ClientId> {
        let c = consent.as_str();
        dispatch_accounts!(self.consent_client(c))
    }

    /// Which client a legal hold (standing or released) is on.
    pub async fn hold_client(&self, hold: &confidant_core::ids::HoldId) -> Result<ClientId> {
        let h = hold.as_str();
        dispatch_accounts!(self.hold_client(h))
    }

    /// Enrols TOTP without a sign-in (the operator's demo seeding).
    pub async fn enrol_totp_directly(
        &self,
        actor: &str,
        user: &UserId,
        secret: &[u8],
        recovery_json: &str,
    ) -> Result<()> {
        dispatch_accounts!(self.enrol_totp_directly(actor, user, secret, recovery_json))
    }
}
