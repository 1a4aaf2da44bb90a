//! The stored form of server accounts: users, sessions, personal access
//! tokens, break-glass grants, and the facts access depends on (who is
//! assigned to a client, who supervises whom). The store knows none of the
//! rules (timeouts, throttling, who may create whom): those are the
//! application layer's (`confidant-service/src/accounts.rs`).
//!
//! `Debug` of anything here prints ids, times and counts only: never a
//! username, a label, a reason, a hash or a secret.

use confidant_core::ids::{ClientId, GrantId, PractitionerId, SessionId, TokenId, UserId};
use confidant_core::record::Timestamp;
use std::fmt;
use zeroize::Zeroizing;

/// A user to create. `password_hash` is an Argon2id PHC string.
pub struct NewUser {
    pub username: String,
    pub roles: Vec<String>,
    pub practitioner_id: Option<PractitionerId>,
    pub password_hash: String,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("roles", &self.roles)
            .field("practitioner_id", &self.practitioner_id)
            .finish_non_exhaustive()
    }
}

/// The outcome of creating a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCreated {
    Created(UserId),
    /// Another account has that username; nothing was written.
    UsernameTaken,
    /// The setup link given is unknown, used or expired; nothing written.
    SetupLinkInvalid,
    /// The practitioner record is already linked to an active account;
    /// nothing was written.
    PractitionerLinked,
}

/// A user account, unsealed.
pub struct StoredUser {
    pub id: UserId,
    pub created_at: Timestamp,
    pub username: String,
    pub roles: Vec<String>,
    pub practitioner_id: Option<PractitionerId>,
    pub password_hash: String,
    /// The confirmed TOTP secret (None: enrolment still due).
    pub totp_secret: Option<Zeroizing<Vec<u8>>>,
    /// A secret shown for enrolment, not yet confirmed.
    pub totp_pending: Option<Zeroizing<Vec<u8>>>,
    pub totp_last_step: Option<u64>,
    /// JSON of the unused recovery codes' salt and keyed hashes.
    pub recovery: Option<String>,
    pub disabled: bool,
}

impl fmt::Debug for StoredUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredUser")
            .field("id", &self.id)
            .field("roles", &self.roles)
            .field("practitioner_id", &self.practitioner_id)
            .field("enrolled", &self.totp_secret.is_some())
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// A session as stored (the cookie's secret is only a hash in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub id: SessionId,
    pub user_id: UserId,
    /// `password` (second factor or enrolment due) or `full`.
    pub stage: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A session to create.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: UserId,
    pub token_hash: [u8; 32],
    pub stage: String,
    pub expires_at: Timestamp,
    /// A session this one replaces (id rotation): revoked in the same
    /// transaction.
    pub replaces: Option<SessionId>,
}

/// A personal access token as stored.
#[derive(Clone)]
pub struct StoredToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub label: String,
    pub scopes: Vec<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A token to create.
pub struct NewToken {
    pub user_id: UserId,
    pub token_hash: [u8; 32],
    pub label: String,
    pub scopes: Vec<String>,
    pub expires_at: Timestamp,
}

/// A break-glass grant, its reason unsealed.
#[derive(Clone)]
pub struct StoredGrant {
    pub id: GrantId,
    pub user_id: UserId,
    pub client_id: ClientId,
    pub reason: String,
    pub granted_at: Timestamp,
    pub expires_at: Timestamp,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<Timestamp>,
}

impl fmt::Debug for StoredGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredGrant")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .field("reviewed_at", &self.reviewed_at)
            .finish_non_exhaustive()
    }
}

/// The people related to a client's record, for the access policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientRelations {
    /// Users whose practitioner record is assigned to the client.
    pub assigned_users: Vec<UserId>,
    /// Users whose practitioner record supervises an assigned one.
    pub supervisor_users: Vec<UserId>,
}

/// The caller's throttle rule for `Store::claim_sign_in_attempt`: given
/// each key's (failures, last failure in unix seconds), how many seconds
/// the attempt must still wait, if any.
pub type ThrottleWait = dyn Fn(&[(u32, Option<i64>)]) -> Option<i64> + Send + Sync;
