//! Accounts, sign-in, sessions, personal access tokens, access control and
//! break-glass: the rules, written once for the server (and the CLI's
//! account commands). The store only seals, compares-and-sets and audits
//! (`confidant-store/src/accounts.rs`); the HTTP layer only parses, sets
//! cookies and maps errors.
//!
//! Rules kept here (tested in `crates/confidant-server/tests/accounts.rs`):
//! - passwords follow `confidant-auth`'s NIST rules and are stored as
//!   Argon2id hashes; an unknown username costs the same Argon2id work as a
//!   known one (`verify_unknown_user`) and gets the same answer;
//! - failed sign-ins are throttled per account (keyed by the username's
//!   blind index, so unknown names are throttled alike) and per address,
//!   with `confidant-auth`'s growing delays and no permanent lockout;
//! - TOTP is required of every account: a password opens only a
//!   `password`-stage session, which can do nothing but enrol (first
//!   sign-in) or give a code; a code for a step already used is refused
//!   (compare-and-set in the store, so also across replicas);
//! - a session's secret is 256 random bits, stored only as its SHA-256; it
//!   is rotated at sign-in and again when the second factor is accepted;
//!   idle timeout 30 minutes, absolute 12 hours by default; its CSRF token
//!   is derived from the secret, so it changes with every rotation;
//! - personal access tokens are stored hashed, scoped (`read`, or `read
//!   write`), expiring and revocable;
//! - every sign-in, failure, throttled attempt, MFA change, session
//!   revocation, access refusal and break-glass grant is audited, with ids
//!   only.

use crate::{Result, Service, ServiceError, refuse};
use confidant_access::{AccessPolicy, ClientFacts, Operation, Role, Subject, Target};
use confidant_auth::password::{self, PasswordRules};
use confidant_auth::recovery::RecoveryCodes;
use confidant_auth::throttle::Throttle;
use confidant_auth::totp::{TotpError, TotpSecret};
use confidant_core::ids::{ClientId, GrantId, PractitionerId, SessionId, TokenId, UserId};
use confidant_core::record::Timestamp;
use confidant_store::{Action, NewSession, NewToken, NewUser, StoredUser, UserCreated};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

const MINUTE: i64 = 60_000_000;

/// The account rules' settings.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// A signed-in session ends after this long without a request.
    pub idle_timeout_micros: i64,
    /// ... and this long after sign-in, whatever happens.
    pub absolute_timeout_micros: i64,
    /// How long a password-stage session waits for the second factor.
    pub second_factor_micros: i64,
    /// How long a break-glass grant lasts.
    pub break_glass_micros: i64,
    /// How long the first administrator's setup link is valid.
    pub setup_link_micros: i64,
    /// The longest a personal access token may live.
    pub max_token_days: u32,
    pub password_rules: PasswordRules,
    /// Shown in authenticator apps and used as a context word.
    pub issuer: String,
}

impl Default for AccountSettings {
    fn default() -> AccountSettings {
        AccountSettings {
            idle_timeout_micros: 30 * MINUTE,
            absolute_timeout_micros: 12 * 60 * MINUTE,
            second_factor_micros: 10 * MINUTE,
            break_glass_micros: 60 * MINUTE,
            setup_link_micros: 24 * 60 * MINUTE,
            max_token_days: 366,
            password_rules: PasswordRules::default(),
            issuer: "Confidant".into(),
        }
    }
}

/// Who made a request, once their session or token has been checked.
#[derive(Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub roles: Vec<Role>,
    /// The practitioner record the user acts as, if linked.
    pub practitioner_id: Option<PractitionerId>,
    pub credential: Credential,
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("user_id", &self.user_id)
            .field("roles", &self.roles)
            .field("practitioner_id", &self.practitioner_id)
            .field("credential", &self.credential)
            .finish()
    }
}

impl Principal {
    /// The id written as the actor of audit entries.
    pub fn actor(&self) -> &str {
        self.user_id.as_str()
    }

    pub fn subject(&self) -> Subject {
        Subject {
            user: self.user_id.to_string(),
            roles: self.roles.clone(),
        }
    }

    /// True when the request may change state: a session always may (with
    /// its CSRF token, checked by the caller), a token only if it has the
    /// `write` scope.
    pub fn may_write(&self) -> bool {
        match &self.credential {
            Credential::Session { .. } => true,
            Credential::Token { write, .. } => *write,
        }
    }

    /// Checks a presented CSRF token against the session's, in constant
    /// time. Token-authenticated requests need none (a bearer token is not
    /// sent by a browser on its own), so they always pass.
    pub fn csrf_ok(&self, presented: Option<&str>) -> bool {
        match &self.credential {
            Credential::Token { .. } => true,
            Credential::Session { csrf_token, .. } => match presented {
                Some(p) => bool::from(p.as_bytes().ct_eq(csrf_token.as_bytes())),
                None => false,
            },
        }
    }
}

/// How the request was authenticated.
#[derive(Clone)]
pub enum Credential {
    /// A fully signed-in browser session.
    Session {
        id: SessionId,
        /// The per-session CSRF token forms and state-changing requests
        /// must carry (derived from the session's secret).
        csrf_token: String,
        /// When the session ends at the latest.
        expires_at: Timestamp,
    },
    /// A personal access token.
    Token { id: TokenId, write: bool },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Session { id, .. } => write!(f, "Session({id})"),
            Credential::Token { id, write } => write!(f, "Token({id}, write: {write})"),
        }
    }
}

/// What the caller presented: the session cookie's value or a bearer token.
#[derive(Clone, Copy)]
pub enum Presented<'a> {
    SessionCookie(&'a str),
    Bearer(&'a str),
}

/// A session secret handed out once, for the cookie.
pub struct IssuedSession {
    pub session_id: SessionId,
    pub secret: Zeroizing<String>,
    pub csrf_token: String,
    /// `totp`, `enrol` (password accepted; second factor due) or `done`.
    pub next: &'static str,
    /// The cookie's lifetime in seconds.
    pub max_age_seconds: i64,
}

impl fmt::Debug for IssuedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuedSession({}, next: {})", self.session_id, self.next)
    }
}

/// A password-stage session: the second factor (or enrolment) is due.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub needs_enrolment: bool,
    pub csrf_token: String,
}

impl PendingSignIn {
    /// Checks the CSRF token presented with a second-factor step.
    pub fn csrf_ok(&self, presented: Option<&str>) -> bool {
        presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(self.csrf_token.as_bytes())))
    }
}

/// The enrolment secret, shown once.
pub struct Enrolment {
    pub secret_base32: Zeroizing<String>,
    pub otpauth_uri: Zeroizing<String>,
}

/// A new account.
pub struct NewAccount {
    pub username: String,
    pub password: Zeroizing<String>,
    pub roles: Vec<Role>,
    pub practitioner_id: Option<PractitionerId>,
}

/// A user, as shown to an administrator or to themselves. No secrets.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserView {
    pub id: UserId,
    pub roles: Vec<Role>,
    pub practitioner_id: Option<PractitionerId>,
    pub mfa_enrolled: bool,
    pub created_at: String,
}

/// One of my sessions.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionView {
    pub id: SessionId,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub current: bool,
}

/// One of my tokens (never its secret).
#[derive(Clone, serde::Serialize)]
pub struct TokenView {
    pub id: TokenId,
    pub label: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: String,
    pub revoked: bool,
}

impl fmt::Debug for TokenView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenView({})", self.id)
    }
}

/// A break-glass grant in the review queue.
#[derive(Clone, serde::Serialize)]
pub struct GrantView {
    pub id: GrantId,
    pub user_id: UserId,
    pub client_id: ClientId,
    pub reason: String,
    pub granted_at: String,
    pub expires_at: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
}

impl fmt::Debug for GrantView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantView({})", self.id)
    }
}

fn random_secret() -> Result<Zeroizing<String>> {
    let mut buf = Zeroizing::new([0u8; 32]);
    getrandom::fill(buf.as_mut())
        .map_err(|_| ServiceError::Refused("the system's random number generator failed".into()))?;
    Ok(Zeroizing::new(hex(buf.as_ref())))
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The session's CSRF token: HMAC-SHA256 keyed by the session secret.
fn csrf_of(secret: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(b"confidant csrf v1");
            hex(&mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; unreachable, and fails closed.
        Err(_) => String::new(),
    }
}

/// Personal access tokens start with this, so a leaked one is recognisable
/// (secret scanners) and never mistaken for a session.
pub const TOKEN_PREFIX: &str = "cfdpat_";

fn unix_seconds(now: Timestamp) -> i64 {
    now.unix_micros().div_euclid(1_000_000)
}

fn parse_roles(words: &[String]) -> Result<Vec<Role>> {
    words
        .iter()
        .map(|w| {
            w.parse::<Role>().map_err(|_| {
                ServiceError::Store(confidant_store::StoreError::Corrupt {
                    what: "stored role",
                })
            })
        })
        .collect()
}

fn default_access_policy() -> Result<&'static AccessPolicy> {
    static POLICY: OnceLock<std::result::Result<AccessPolicy, String>> = OnceLock::new();
    POLICY
        .get_or_init(|| AccessPolicy::default_policy().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| ServiceError::Refused(format!("the access policy is invalid: {e}")))
}

/// Runs the (deliberately slow) Argon2id work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    confidant_store::tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ServiceError::Refused("the password check was interrupted".into()))
}

impl Service {
    pub fn account_settings(&self) -> &AccountSettings {
        &self.accounts
    }

    /// The same service with other account settings (timeouts, ...).
    pub fn with_account_settings(mut self, settings: AccountSettings) -> Service {
        self.accounts = settings;
        self
    }

    /// The same service deciding access with `policy` instead of the
    /// built-in default.
    pub fn with_access_policy(mut self, policy: AccessPolicy) -> Service {
        self.access = Some(Arc::new(policy));
        self
    }

    pub(crate) fn access_policy(&self) -> Result<&AccessPolicy> {
        match &self.access {
            Some(p) => Ok(p),
            None => default_access_policy(),
        }
    }

    // ------------------------------------------------------------ set-up

    /// True while the store has no user: the first administrator is due.
    pub async fn setup_needed(&self) -> Result<bool> {
        Ok(self.store().count_users().await? == 0)
    }

    /// A one-time setup link's secret (stored hashed, single use,
    /// expiring), for creating the first administrator. Refused once any
    /// user exists.
    pub async fn create_setup_link(&self, actor: &str) -> Result<Zeroizing<String>> {
        if !self.setup_needed().await? {
            return refuse("the first administrator already exists");
        }
        let secret = random_secret()?;
        let expires = Timestamp(confidant_store::now_micros() + self.accounts.setup_link_micros);
        self.store()
            .create_setup_token(actor, &secret_hash(&secret), expires)
            .await?;
        Ok(secret)
    }

    /// Creates the first administrator with a setup link's secret.
    pub async fn create_first_administrator(
        &self,
        setup_secret: &str,
        username: &str,
        password: Zeroizing<String>,
    ) -> Result<UserId> {
        let account = NewAccount {
            username: username.to_owned(),
            password,
            roles: vec![Role::Administrator],
            practitioner_id: None,
        };
        let hash = secret_hash(setup_secret);
        match self.insert_user("setup", account, Some(&hash)).await? {
            UserCreated::Created(id) => Ok(id),
            UserCreated::UsernameTaken => refuse("that username is taken"),
            UserCreated::SetupLinkInvalid => Err(ServiceError::SignInRefused(
                "the setup link is unknown, already used or expired".into(),
            )),
        }
    }

    /// Creates an account. Only a user allowed to manage users may.
    pub async fn create_account(&self, by: &Principal, account: NewAccount) -> Result<UserId> {
        self.authorize(by, Operation::ManageUsers, &Target::Service)
            .await?;
        self.create_account_unchecked(by.actor(), account).await
    }

    /// Creates an account without an access check: for the operator's CLI
    /// (`confidant user add`), who holds the store's keys anyway.
    pub async fn create_account_unchecked(
        &self,
        actor: &str,
        account: NewAccount,
    ) -> Result<UserId> {
        match self.insert_user(actor, account, None).await? {
            UserCreated::Created(id) => Ok(id),
            UserCreated::UsernameTaken => refuse("that username is taken"),
            UserCreated::SetupLinkInvalid => refuse("the setup link is not valid"),
        }
    }

    async fn insert_user(
        &self,
        actor: &str,
        account: NewAccount,
        setup: Option<&[u8; 32]>,
    ) -> Result<UserCreated> {
        let username = account.username.trim().to_owned();
        if username.is_empty() || username.chars().count() > 64 {
            return refuse("the username must be 1 to 64 characters");
        }
        if username.chars().any(char::is_control) {
            return refuse("the username must not contain control characters");
        }
        if account.roles.is_empty() {
            return refuse("give the account at least one role");
        }
        let context = [username.as_str(), self.accounts.issuer.as_str()];
        self.accounts
            .password_rules
            .check(&account.password, &context)
            .map_err(|e| ServiceError::Refused(e.to_string()))?;
        let password = account.password;
        let hash = blocking(move || password::hash(&password))
            .await?
            .map_err(|e| ServiceError::Refused(e.to_string()))?;
        let mut roles: Vec<Role> = account.roles;
        roles.sort();
        roles.dedup();
        let new = NewUser {
            username,
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            practitioner_id: account.practitioner_id,
            password_hash: hash,
        };
        Ok(self.store().create_user(actor, &new, setup).await?)
    }

    pub async fn list_accounts(&self, by: &Principal) -> Result<Vec<UserView>> {
        self.authorize(by, Operation::ManageUsers, &Target::Service)
            .await?;
        self.store()
            .list_users()
            .await?
            .iter()
            .map(user_view)
            .collect()
    }

    // ------------------------------------------------------------ sign-in

    fn throttle_keys(&self, username: &str, address: Option<IpAddr>) -> Vec<String> {
        let mut keys = vec![format!(
            "name:{}",
            hex(&Sha256::digest(
                format!(
                    "{}\u{0}{}",
                    self.accounts.issuer,
                    username.trim().to_lowercase()
                )
                .as_bytes()
            ))
        )];
        if let Some(a) = address {
            keys.push(format!(
                "addr:{}",
                hex(&Sha256::digest(a.to_string().as_bytes()))
            ));
        }
        keys
    }

    /// Refuses (and audits) an attempt while a throttle's delay runs.
    async fn check_throttles(
        &self,
        keys: &[String],
        now: Timestamp,
        ids: Vec<String>,
    ) -> Result<()> {
        let states = self.store().throttles(keys).await?;
        let now_s = unix_seconds(now);
        let wait = states
            .iter()
            .filter_map(|(failures, last)| {
                Throttle {
                    failures: *failures,
                    last_failure: *last,
                }
                .check(now_s)
                .err()
            })
            .max();
        if let Some(wait) = wait {
            self.store()
                .record_sign_in_refusal("anonymous", &[], now_s, Action::SignInThrottled, ids)
                .await?;
            return Err(ServiceError::Throttled(wait));
        }
        Ok(())
    }

    fn new_session_secret(&self) -> Result<(Zeroizing<String>, [u8; 32], String)> {
        let secret = random_secret()?;
        let hash = secret_hash(&secret);
        let csrf = csrf_of(&secret);
        Ok((secret, hash, csrf))
    }

    /// Step one: username and password. The same refusal, after the same
    /// Argon2id work, for an unknown user and a wrong password. Accepted,
    /// it opens a password-stage session (a new id: rotation at sign-in).
    pub async fn sign_in_password(
        &self,
        username: &str,
        password: Zeroizing<String>,
        address: Option<IpAddr>,
        now: Timestamp,
    ) -> Result<IssuedSession> {
        let keys = self.throttle_keys(username, address);
        let user = self.store().find_user(username.trim()).await?;
        let ids: Vec<String> = user.iter().map(|u| u.id.to_string()).collect();
        self.check_throttles(&keys, now, ids.clone()).await?;
        if password.chars().count() > password::MAX_LENGTH {
            // Bounded before hashing; the same answer as a wrong password.
            let _ = blocking(|| password::verify_unknown_user("")).await?;
            return self.refuse_sign_in(&keys, now, ids).await;
        }
        let ok = match &user {
            Some(u) if !u.disabled => {
                let stored = u.password_hash.clone();
                blocking(move || password::verify(&password, &stored)).await?
            }
            _ => blocking(move || password::verify_unknown_user(&password)).await?,
        };
        let Some(user) = user.filter(|_| ok) else {
            return self.refuse_sign_in(&keys, now, ids).await;
        };
        let (secret, hash, csrf) = self.new_session_secret()?;
        let expires = Timestamp(now.unix_micros() + self.accounts.second_factor_micros);
        let session_id = self
            .store()
            .create_session(
                user.id.as_str(),
                &NewSession {
                    user_id: user.id.clone(),
                    token_hash: hash,
                    stage: "password".into(),
                    expires_at: expires,
                    replaces: None,
                },
                Action::SignIn,
                &[],
            )
            .await?;
        Ok(IssuedSession {
            session_id,
            secret,
            csrf_token: csrf,
            next: if user.totp_secret.is_some() {
                "totp"
            } else {
                "enrol"
            },
            max_age_seconds: self.accounts.second_factor_micros / 1_000_000,
        })
    }

    async fn refuse_sign_in<T>(
        &self,
        keys: &[String],
        now: Timestamp,
        ids: Vec<String>,
    ) -> Result<T> {
        self.store()
            .record_sign_in_refusal(
                "anonymous",
                keys,
                unix_seconds(now),
                Action::SignInFail,
                ids,
            )
            .await?;
        Err(ServiceError::SignInRefused(
            "the username or password is not right".into(),
        ))
    }

    /// The password-stage session behind a cookie, if it is one and
    /// current. Anything else is refused and audited.
    pub async fn pending_sign_in(&self, cookie: &str, now: Timestamp) -> Result<PendingSignIn> {
        let session = self.store().session_by_token(&secret_hash(cookie)).await?;
        let Some(s) = session
            .filter(|s| s.stage == "password" && s.revoked_at.is_none() && s.expires_at > now)
        else {
            return self.refuse_credential(None).await;
        };
        let user = self.store().get_user(&s.user_id).await?;
        if user.disabled {
            return self.refuse_credential(Some(s.user_id.to_string())).await;
        }
        Ok(PendingSignIn {
            session_id: s.id,
            user_id: s.user_id,
            needs_enrolment: user.totp_secret.is_none(),
            csrf_token: csrf_of(cookie),
        })
    }

    async fn refuse_credential<T>(&self, user: Option<String>) -> Result<T> {
        self.store()
            .record_sign_in_refusal(
                user.as_deref().unwrap_or("anonymous"),
                &[],
                0,
                Action::SignInFail,
                user.iter().cloned().collect(),
            )
            .await?;
        Err(ServiceError::Unauthenticated)
    }

    /// First sign-in: a new TOTP secret, shown once (again on a repeated
    /// call, a new one: only the last shown can be confirmed).
    pub async fn begin_enrolment(&self, pending: &PendingSignIn) -> Result<Enrolment> {
        if !pending.needs_enrolment {
            return refuse("this account has already enrolled its authenticator");
        }
        let user = self.store().get_user(&pending.user_id).await?;
        let secret = TotpSecret::generate().map_err(|e| ServiceError::Refused(e.to_string()))?;
        self.store()
            .set_totp_pending(user.id.as_str(), &user.id, secret.as_bytes())
            .await?;
        Ok(Enrolment {
            secret_base32: secret.base32(),
            otpauth_uri: secret.otpauth_uri(&self.accounts.issuer, &user.username),
        })
    }

    /// Confirms enrolment with a code from the new secret: the session is
    /// rotated to a full one and the recovery codes are returned, once.
    pub async fn confirm_enrolment(
        &self,
        pending: &PendingSignIn,
        code: &str,
        now: Timestamp,
    ) -> Result<(IssuedSession, Vec<Zeroizing<String>>)> {
        let user = self.store().get_user(&pending.user_id).await?;
        // Wrong codes count against the account here too.
        self.check_throttles(
            &[format!("user:{}", user.id)],
            now,
            vec![user.id.to_string()],
        )
        .await?;
        let Some(secret) = user
            .totp_pending
            .as_ref()
            .filter(|_| user.totp_secret.is_none())
        else {
            return refuse("start enrolment first (POST /api/v1/session/enrol)");
        };
        let secret =
            TotpSecret::from_bytes(secret).map_err(|e| ServiceError::Refused(e.to_string()))?;
        let now_s = u64::try_from(unix_seconds(now)).unwrap_or(0);
        let step = match secret.verify(code, now_s, None) {
            Ok(step) => step,
            Err(e) => return self.refuse_code(&user, e).await,
        };
        let (codes, shown) =
            RecoveryCodes::generate().map_err(|e| ServiceError::Refused(e.to_string()))?;
        let json = serde_json::to_string(&codes)
            .map_err(|_| ServiceError::Refused("recovery codes could not be stored".into()))?;
        let (secret_str, hash, csrf) = self.new_session_secret()?;
        let new = self.full_session(&user.id, hash, &pending.session_id, now);
        let Some(id) = self
            .store()
            .confirm_totp(
                user.id.as_str(),
                &user.id,
                secret.as_bytes(),
                step,
                &json,
                &new,
            )
            .await?
        else {
            return refuse("this account has already enrolled its authenticator");
        };
        Ok((self.issued(id, secret_str, csrf), shown))
    }

    fn full_session(
        &self,
        user: &UserId,
        hash: [u8; 32],
        replaces: &SessionId,
        now: Timestamp,
    ) -> NewSession {
        NewSession {
            user_id: user.clone(),
            token_hash: hash,
            stage: "full".into(),
            expires_at: Timestamp(now.unix_micros() + self.accounts.absolute_timeout_micros),
            replaces: Some(replaces.clone()),
        }
    }

    fn issued(&self, id: SessionId, secret: Zeroizing<String>, csrf: String) -> IssuedSession {
        IssuedSession {
            session_id: id,
            secret,
            csrf_token: csrf,
            next: "done",
            max_age_seconds: self.accounts.absolute_timeout_micros / 1_000_000,
        }
    }

    async fn refuse_code<T>(&self, user: &StoredUser, e: TotpError) -> Result<T> {
        self.store()
            .record_sign_in_refusal(
                user.id.as_str(),
                &[format!("user:{}", user.id)],
                unix_seconds(Timestamp(confidant_store::now_micros())),
                Action::SignInFail,
                vec![user.id.to_string()],
            )
            .await?;
        Err(ServiceError::SignInRefused(match e {
            TotpError::Replayed => e.to_string(),
            _ => "the one-time code is not right".into(),
        }))
    }

    /// Step two: the TOTP code (or a recovery code). A code whose step was
    /// already used is refused as a replay. Accepted, the session is
    /// rotated to a full one.
    pub async fn verify_second_factor(
        &self,
        pending: &PendingSignIn,
        code: Option<&str>,
        recovery_code: Option<&str>,
        now: Timestamp,
    ) -> Result<IssuedSession> {
        if pending.needs_enrolment {
            return refuse("enrol an authenticator first (POST /api/v1/session/enrol)");
        }
        let user = self.store().get_user(&pending.user_id).await?;
        let keys = vec![format!("user:{}", user.id)];
        self.check_throttles(&keys, now, vec![user.id.to_string()])
            .await?;
        let (secret_str, hash, csrf) = self.new_session_secret()?;
        let new = self.full_session(&user.id, hash, &pending.session_id, now);
        let id = match (code, recovery_code) {
            (Some(code), None) => {
                let Some(secret) = &user.totp_secret else {
                    return refuse("enrol an authenticator first");
                };
                let secret = TotpSecret::from_bytes(secret)
                    .map_err(|e| ServiceError::Refused(e.to_string()))?;
                let now_s = u64::try_from(unix_seconds(now)).unwrap_or(0);
                let step = match secret.verify(code, now_s, user.totp_last_step) {
                    Ok(step) => step,
                    Err(e) => return self.refuse_code(&user, e).await,
                };
                self.store()
                    .accept_totp_step(user.id.as_str(), &user.id, step, &new, &keys)
                    .await?
            }
            (None, Some(rc)) => {
                let Some(stored) = &user.recovery else {
                    return self.refuse_code(&user, TotpError::Invalid).await;
                };
                let mut codes: RecoveryCodes = serde_json::from_str(stored).map_err(|_| {
                    ServiceError::Store(confidant_store::StoreError::Corrupt {
                        what: "recovery codes",
                    })
                })?;
                let Some(i) = codes.find(rc) else {
                    return self.refuse_code(&user, TotpError::Invalid).await;
                };
                codes.consume(i);
                let remaining = serde_json::to_string(&codes).map_err(|_| {
                    ServiceError::Refused("recovery codes could not be stored".into())
                })?;
                self.store()
                    .use_recovery_code(user.id.as_str(), &user.id, stored, &remaining, &new, &keys)
                    .await?
            }
            _ => return refuse("give exactly one of `code` and `recovery_code`"),
        };
        match id {
            Some(id) => Ok(self.issued(id, secret_str, csrf)),
            None => self.refuse_code(&user, TotpError::Replayed).await,
        }
    }

    // ------------------------------------------------------------ requests

    /// Checks a session cookie or bearer token. Only a full session or a
    /// current, unrevoked token authenticates; a forged, expired or revoked
    /// one is refused and audited.
    pub async fn authenticate(
        &self,
        presented: Presented<'_>,
        now: Timestamp,
    ) -> Result<Principal> {
        match presented {
            Presented::SessionCookie(secret) => {
                let Some(s) = self.store().session_by_token(&secret_hash(secret)).await? else {
                    return self.refuse_credential(None).await;
                };
                let idle_end = s.last_seen_at.unix_micros() + self.accounts.idle_timeout_micros;
                let absolute_end = s
                    .expires_at
                    .unix_micros()
                    .min(s.created_at.unix_micros() + self.accounts.absolute_timeout_micros);
                if s.stage != "full"
                    || s.revoked_at.is_some()
                    || now.unix_micros() >= idle_end
                    || now.unix_micros() >= absolute_end
                {
                    return self.refuse_credential(Some(s.user_id.to_string())).await;
                }
                let user = self.store().get_user(&s.user_id).await?;
                if user.disabled {
                    return self.refuse_credential(Some(s.user_id.to_string())).await;
                }
                // Written at most once a minute: sliding the idle window
                // does not need a write per request.
                if now.unix_micros() - s.last_seen_at.unix_micros() > MINUTE {
                    self.store().touch_session(&s.id, now).await?;
                }
                Ok(Principal {
                    roles: parse_roles(&user.roles)?,
                    practitioner_id: user.practitioner_id,
                    user_id: user.id,
                    credential: Credential::Session {
                        id: s.id,
                        csrf_token: csrf_of(secret),
                        expires_at: Timestamp(absolute_end),
                    },
                })
            }
            Presented::Bearer(token) => {
                if !token.starts_with(TOKEN_PREFIX) {
                    return self.refuse_credential(None).await;
                }
                let Some(t) = self.store().token_by_hash(&secret_hash(token)).await? else {
                    return self.refuse_credential(None).await;
                };
                if t.revoked_at.is_some() || t.expires_at <= now {
                    return self.refuse_credential(Some(t.user_id.to_string())).await;
                }
                let user = self.store().get_user(&t.user_id).await?;
                // A token is made from a fully signed-in session (so after
                // the second factor) or by the operator holding the keys.
                if user.disabled {
                    return self.refuse_credential(Some(t.user_id.to_string())).await;
                }
                if t.last_used_at
                    .is_none_or(|l| now.unix_micros() - l.unix_micros() > MINUTE)
                {
                    self.store().touch_token(&t.id, now).await?;
                }
                Ok(Principal {
                    roles: parse_roles(&user.roles)?,
                    practitioner_id: user.practitioner_id,
                    user_id: user.id,
                    credential: Credential::Token {
                        id: t.id,
                        write: t.scopes.iter().any(|s| s == "write"),
                    },
                })
            }
        }
    }

    /// Audits a refused CSRF check (the caller answers 403).
    pub async fn record_csrf_refusal(&self, who: &Principal) -> Result<()> {
        self.store()
            .record_event(
                who.actor(),
                Action::AccessRefused,
                vec![who.user_id.to_string()],
            )
            .await?;
        Ok(())
    }

    pub async fn sign_out(&self, who: &Principal) -> Result<()> {
        match &who.credential {
            Credential::Session { id, .. } => {
                self.store()
                    .revoke_sessions(who.actor(), &who.user_id, Some(id), Action::SignOut)
                    .await?;
                Ok(())
            }
            Credential::Token { .. } => {
                refuse("a token has no session to sign out of; revoke the token instead")
            }
        }
    }

    /// Ends every session of the user (the current one included).
    pub async fn sign_out_everywhere(&self, who: &Principal) -> Result<u64> {
        Ok(self
            .store()
            .revoke_sessions(who.actor(), &who.user_id, None, Action::SessionRevoke)
            .await?)
    }

    /// Ends one of the user's own sessions; how many were ended (0: no
    /// such session of theirs).
    pub async fn revoke_my_session(&self, who: &Principal, id: &SessionId) -> Result<u64> {
        Ok(self
            .store()
            .revoke_sessions(who.actor(), &who.user_id, Some(id), Action::SessionRevoke)
            .await?)
    }

    /// The user's current sessions.
    pub async fn my_sessions(&self, who: &Principal, now: Timestamp) -> Result<Vec<SessionView>> {
        let current = match &who.credential {
            Credential::Session { id, .. } => Some(id.clone()),
            Credential::Token { .. } => None,
        };
        Ok(self
            .store()
            .list_sessions(&who.user_id)
            .await?
            .into_iter()
            .filter(|s| {
                s.stage == "full"
                    && s.expires_at > now
                    && now.unix_micros()
                        < s.last_seen_at.unix_micros() + self.accounts.idle_timeout_micros
            })
            .map(|s| SessionView {
                current: current.as_ref() == Some(&s.id),
                id: s.id,
                created_at: s.created_at.to_string(),
                last_seen_at: s.last_seen_at.to_string(),
                expires_at: s.expires_at.to_string(),
            })
            .collect())
    }

    pub async fn me(&self, who: &Principal) -> Result<UserView> {
        user_view(&self.store().get_user(&who.user_id).await?)
    }

    // ------------------------------------------------------------ tokens

    /// A new personal access token for the user: the secret, shown once.
    /// Only a signed-in session may create one (a token cannot mint more).
    pub async fn create_token(
        &self,
        who: &Principal,
        label: &str,
        write: bool,
        days: u32,
    ) -> Result<(TokenId, Zeroizing<String>)> {
        if matches!(who.credential, Credential::Token { .. }) {
            return Err(ServiceError::NotAllowed);
        }
        self.create_token_unchecked(
            who.actor(),
            &who.user_id,
            label,
            write,
            days,
            Timestamp(confidant_store::now_micros()),
        )
        .await
    }

    /// For the operator's CLI (`confidant token create`).
    pub async fn create_token_unchecked(
        &self,
        actor: &str,
        user: &UserId,
        label: &str,
        write: bool,
        days: u32,
        now: Timestamp,
    ) -> Result<(TokenId, Zeroizing<String>)> {
        if label.trim().is_empty() || label.chars().count() > 100 {
            return refuse("the token's label must be 1 to 100 characters");
        }
        if days == 0 || days > self.accounts.max_token_days {
            return refuse(format!(
                "a token lives 1 to {} days",
                self.accounts.max_token_days
            ));
        }
        let secret = Zeroizing::new(format!("{TOKEN_PREFIX}{}", random_secret()?.as_str()));
        let mut scopes = vec!["read".to_owned()];
        if write {
            scopes.push("write".into());
        }
        let id = self
            .store()
            .create_token(
                actor,
                &NewToken {
                    user_id: user.clone(),
                    token_hash: secret_hash(&secret),
                    label: label.trim().to_owned(),
                    scopes,
                    expires_at: Timestamp(now.unix_micros() + i64::from(days) * 24 * 60 * MINUTE),
                },
            )
            .await?;
        Ok((id, secret))
    }

    pub async fn list_tokens(&self, who: &Principal) -> Result<Vec<TokenView>> {
        Ok(self
            .store()
            .list_tokens(&who.user_id)
            .await?
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                label: t.label,
                scopes: t.scopes,
                created_at: t.created_at.to_string(),
                expires_at: t.expires_at.to_string(),
                revoked: t.revoked_at.is_some(),
            })
            .collect())
    }

    pub async fn revoke_token(&self, who: &Principal, id: &TokenId) -> Result<()> {
        if self
            .store()
            .revoke_token(who.actor(), &who.user_id, id)
            .await?
        {
            Ok(())
        } else {
            Err(ServiceError::Store(
                confidant_store::StoreError::UnknownRecord {
                    kind: "personal access token",
                },
            ))
        }
    }

    /// The user with this username (for the CLI's `token create`).
    pub async fn user_id_of(&self, username: &str) -> Result<UserId> {
        match self.store().find_user(username.trim()).await? {
            Some(u) => Ok(u.id),
            None => Err(ServiceError::Store(
                confidant_store::StoreError::UnknownRecord { kind: "user" },
            )),
        }
    }

    // ------------------------------------------------------------ access

    /// Asks the access policy; a refusal is audited and answered as "not
    /// allowed", nothing more.
    pub async fn authorize(&self, who: &Principal, op: Operation, target: &Target) -> Result<()> {
        let decision = self.access_policy()?.check(&who.subject(), op, target);
        if decision.allowed {
            return Ok(());
        }
        let mut ids = vec![who.user_id.to_string()];
        match target {
            Target::Client { facts, .. } => ids.push(facts.client.clone()),
            Target::Matter { matter, client, .. } => {
                ids.push(matter.clone());
                ids.push(client.client.clone());
            }
            Target::Service => {}
        }
        self.store()
            .record_event(who.actor(), Action::AccessRefused, ids)
            .await?;
        Err(ServiceError::NotAllowed)
    }

    /// The facts about a client that access depends on (ids only). An
    /// unknown client is "not allowed" too, so ids cannot be probed.
    pub async fn client_facts(&self, client: &ClientId) -> Result<ClientFacts> {
        let rel = self.store().client_relations(client).await?;
        Ok(ClientFacts {
            client: client.to_string(),
            assigned: rel.assigned_users.iter().map(ToString::to_string).collect(),
            supervisors: rel
                .supervisor_users
                .iter()
                .map(ToString::to_string)
                .collect(),
            programme_leads: Vec::new(),
            programme_member: false,
        })
    }

    /// May `who` do `op` to `client`? Looks up the record's facts and any
    /// break-glass grant in force, asks the policy, audits a refusal.
    pub async fn authorize_client(
        &self,
        who: &Principal,
        op: Operation,
        client: &ClientId,
    ) -> Result<()> {
        let facts = self.client_facts(client).await?;
        let now = Timestamp(confidant_store::now_micros());
        let break_glass = self.store().active_grant(&who.user_id, client, now).await?;
        self.authorize(who, op, &Target::Client { facts, break_glass })
            .await
    }

    /// The clients assigned to the user's practitioner record.
    pub async fn my_clients(&self, who: &Principal) -> Result<Vec<ClientId>> {
        match &who.practitioner_id {
            Some(p) => Ok(self.store().clients_assigned_to(p).await?),
            None => Ok(Vec::new()),
        }
    }

    /// Assigns a practitioner to a client (who may: a user allowed to
    /// manage users, or a practitioner assigned already).
    pub async fn assign_client(
        &self,
        who: &Principal,
        client: &ClientId,
        practitioner: &PractitionerId,
    ) -> Result<()> {
        let facts = self.client_facts(client).await?;
        let already = facts.assigned.iter().any(|u| u == who.user_id.as_str());
        if !already {
            self.authorize(who, Operation::ManageUsers, &Target::Service)
                .await?;
        }
        Ok(self
            .store()
            .assign_client(who.actor(), client, practitioner)
            .await?)
    }

    pub async fn assign_client_unchecked(
        &self,
        actor: &str,
        client: &ClientId,
        practitioner: &PractitionerId,
    ) -> Result<()> {
        Ok(self
            .store()
            .assign_client(actor, client, practitioner)
            .await?)
    }

    pub async fn add_supervision(
        &self,
        who: &Principal,
        supervisor: &PractitionerId,
        supervisee: &PractitionerId,
    ) -> Result<()> {
        self.authorize(who, Operation::ManageUsers, &Target::Service)
            .await?;
        Ok(self
            .store()
            .add_supervision(who.actor(), supervisor, supervisee)
            .await?)
    }

    pub async fn add_supervision_unchecked(
        &self,
        actor: &str,
        supervisor: &PractitionerId,
        supervisee: &PractitionerId,
    ) -> Result<()> {
        Ok(self
            .store()
            .add_supervision(actor, supervisor, supervisee)
            .await?)
    }

    // ------------------------------------------------------------ break-glass

    /// A practitioner opens a record they are not assigned to, giving a
    /// reason: a grant for `break_glass_micros`, flagged in the audit log
    /// and put in the review queue.
    pub async fn break_glass(
        &self,
        who: &Principal,
        client: &ClientId,
        reason: &str,
    ) -> Result<GrantView> {
        if !who.roles.contains(&Role::Practitioner) {
            self.store()
                .record_event(
                    who.actor(),
                    Action::AccessRefused,
                    vec![who.user_id.to_string(), client.to_string()],
                )
                .await?;
            return Err(ServiceError::NotAllowed);
        }
        let reason = reason.trim();
        if reason.chars().count() < 10 {
            return refuse("give a reason of at least 10 characters for opening this record");
        }
        if reason.chars().count() > 2000 {
            return refuse("the reason must be at most 2000 characters");
        }
        let now = confidant_store::now_micros();
        let expires = Timestamp(now + self.accounts.break_glass_micros);
        let id = self
            .store()
            .create_grant(who.actor(), &who.user_id, client, reason, expires)
            .await?;
        Ok(GrantView {
            id,
            user_id: who.user_id.clone(),
            client_id: client.clone(),
            reason: reason.to_owned(),
            granted_at: Timestamp(now).to_string(),
            expires_at: expires.to_string(),
            reviewed_by: None,
            reviewed_at: None,
        })
    }

    /// The grants waiting for review (safeguarding officer, records
    /// manager). Reading the queue is audited.
    pub async fn break_glass_queue(&self, who: &Principal) -> Result<Vec<GrantView>> {
        self.authorize(who, Operation::ReviewBreakGlass, &Target::Service)
            .await?;
        let grants = self.store().list_grants(true).await?;
        let mut ids = vec![who.user_id.to_string()];
        ids.extend(grants.iter().map(|g| g.id.to_string()));
        self.store()
            .record_event(who.actor(), Action::BreakGlassReview, ids)
            .await?;
        Ok(grants
            .into_iter()
            .map(|g| GrantView {
                id: g.id,
                user_id: g.user_id,
                client_id: g.client_id,
                reason: g.reason,
                granted_at: g.granted_at.to_string(),
                expires_at: g.expires_at.to_string(),
                reviewed_by: g.reviewed_by,
                reviewed_at: g.reviewed_at.map(|t| t.to_string()),
            })
            .collect())
    }

    /// Closes a grant's review.
    pub async fn review_break_glass(&self, who: &Principal, id: &GrantId) -> Result<()> {
        self.authorize(who, Operation::ReviewBreakGlass, &Target::Service)
            .await?;
        if self.store().review_grant(who.actor(), id).await? {
            Ok(())
        } else {
            Err(ServiceError::Store(
                confidant_store::StoreError::UnknownRecord {
                    kind: "break-glass grant (or it was already reviewed)",
                },
            ))
        }
    }
}

fn user_view(u: &StoredUser) -> Result<UserView> {
    Ok(UserView {
        id: u.id.clone(),
        roles: parse_roles(&u.roles)?,
        practitioner_id: u.practitioner_id.clone(),
        mfa_enrolled: u.totp_secret.is_some(),
        created_at: u.created_at.to_string(),
    })
}
