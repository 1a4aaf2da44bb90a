// Server accounts, written once and compiled per backend like `ops.rs` (see
// `backend.rs`, `account_ops!`). The store seals, hashes nothing itself
// (the caller hands over hashes), appends and audits; the rules live in
// `confidant-service/src/accounts.rs`.
//
// - a user's username and TOTP secret are sealed under the user's own data
//   key (owner id = user id), AAD (table, column, user id, user id); the
//   username is found through the blind index;
// - a break-glass reason is sealed under the client's data key;
// - every change is one transaction with its audit entry; compare-and-set
//   updates (the TOTP step, the recovery codes, a setup link) make replays
//   and double use impossible even across replicas.

use sqlx::Row;

type Pool = sqlx::Pool<Db>;
type Conn = <Db as sqlx::Database>::Connection;

fn query(sql: &str) -> sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments<'_>> {
    sqlx::query::<Db>(sql)
}

const USER_COLUMNS: &str = "id, created_at, username_ct, roles, practitioner_id, password_hash, \
     totp_ct, totp_pending_ct, totp_last_step, recovery, disabled_at";

fn username_index(keys: &Keys, username: &str) -> Vec<u8> {
    keys.blind.index("username", username).to_vec()
}

async fn owner_key(conn: &mut Conn, keys: &Keys, owner: &str, missing: StoreError) -> Result<DataKey> {
    let row = query("SELECT wrapped FROM data_keys WHERE owner_id = $1")
        .bind(owner)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(missing)?;
    let wrapped: Vec<u8> = row.try_get("wrapped")?;
    keys.unwrap(owner, &wrapped)
}

fn open_bytes(key: &DataKey, table: &str, column: &str, row: &str, ct: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    Ok(confidant_crypto::open(key, &aad(table, column, row, row), ct)?)
}

fn opt_ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp)
}

fn words(s: &str) -> Vec<String> {
    s.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect()
}

fn parse_id<T: std::str::FromStr>(s: &str, what: &'static str) -> Result<T> {
    s.parse().map_err(|_| StoreError::Corrupt { what })
}

async fn read_user(conn: &mut Conn, keys: &Keys, row: &<Db as sqlx::Database>::Row) -> Result<StoredUser> {
    let id: String = row.try_get("id")?;
    let key = owner_key(conn, keys, &id, StoreError::Corrupt { what: "user key" }).await?;
    let name_ct: Vec<u8> = row.try_get("username_ct")?;
    let username = open_text(&key, "users", "username_ct", &id, &id, &name_ct)?;
    let totp_ct: Option<Vec<u8>> = row.try_get("totp_ct")?;
    let pending_ct: Option<Vec<u8>> = row.try_get("totp_pending_ct")?;
    let roles: String = row.try_get("roles")?;
    let practitioner: Option<String> = row.try_get("practitioner_id")?;
    Ok(StoredUser {
        id: parse_id(&id, "user id")?,
        created_at: Timestamp(row.try_get("created_at")?),
        username,
        roles: words(&roles),
        practitioner_id: match practitioner {
            Some(p) => Some(parse_id(&p, "practitioner id")?),
            None => None,
        },
        password_hash: row.try_get("password_hash")?,
        totp_secret: match totp_ct {
            Some(ct) => Some(open_bytes(&key, "users", "totp_ct", &id, &ct)?),
            None => None,
        },
        totp_pending: match pending_ct {
            Some(ct) => Some(open_bytes(&key, "users", "totp_pending_ct", &id, &ct)?),
            None => None,
        },
        totp_last_step: row
            .try_get::<Option<i64>, _>("totp_last_step")?
            .and_then(|s| u64::try_from(s).ok()),
        recovery: row.try_get("recovery")?,
        disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
    })
}

pub(crate) async fn count_users(pool: &Pool, _keys: &Keys) -> Result<u64> {
    let row = query("SELECT COUNT(*) AS n FROM users").fetch_one(pool).await?;
    Ok(u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0))
}

pub(crate) async fn create_setup_token(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    token_hash: &[u8],
    expires_at: i64,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    query("INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash.to_vec())
        .bind(now_micros())
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::SetupLinkCreate, Vec::new())]).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn create_user(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    new: &NewUser,
    setup_token_hash: Option<&[u8]>,
) -> Result<UserCreated> {
    if new.username.trim().is_empty() {
        return Err(FieldError::Empty { field: "username" }.into());
    }
    let id = UserId::from_bytes(new_id_bytes());
    let now = now_micros();
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    if let Some(hash) = setup_token_hash {
        let used = query(
            "UPDATE setup_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(hash.to_vec())
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() != 1 {
            return Ok(UserCreated::SetupLinkInvalid);
        }
    }
    let index = username_index(keys, &new.username);
    let taken = query("SELECT 1 AS one FROM users WHERE username_index = $1")
        .bind(index.clone())
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Ok(UserCreated::UsernameTaken);
    }
    if let Some(p) = &new.practitioner_id {
        let exists = query("SELECT 1 AS one FROM practitioners WHERE id = $1")
            .bind(p.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::UnknownRecord { kind: "practitioner" });
        }
        // One active account per practitioner record (also a unique index,
        // migration 0012, so a race cannot link two).
        let linked = query("SELECT 1 AS one FROM users WHERE practitioner_id = $1 AND disabled_at IS NULL")
            .bind(p.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if linked.is_some() {
            return Ok(UserCreated::PractitionerLinked);
        }
    }
    // Wrapped after the writer lock, so under the generation in force.
    let key = DataKey::generate();
    let wrapped = keys.wrap(id.as_str(), &key)?;
    query("INSERT INTO data_keys (owner_id, wrapped, created_at) VALUES ($1, $2, $3)")
        .bind(id.as_str())
        .bind(wrapped)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let name_ct = seal(&key, &aad("users", "username_ct", id.as_str(), id.as_str()), new.username.as_bytes());
    query(
        "INSERT INTO users (id, created_at, created_by, username_index, username_ct, roles, practitioner_id, password_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.as_str())
    .bind(now)
    .bind(actor)
    .bind(index)
    .bind(name_ct)
    .bind(new.roles.join(" "))
    .bind(new.practitioner_id.as_ref().map(|p| p.as_str().to_owned()))
    .bind(&new.password_hash)
    .execute(&mut *tx)
    .await?;
    let mut ids = vec![id.to_string()];
    ids.extend(new.practitioner_id.iter().map(ToString::to_string));
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::UserCreate, ids)]).await?;
    tx.commit().await?;
    Ok(UserCreated::Created(id))
}

pub(crate) async fn find_user(pool: &Pool, keys: &Keys, username: &str) -> Result<Option<StoredUser>> {
    let mut conn = pool.acquire().await?;
    let row = query(&format!("SELECT {USER_COLUMNS} FROM users WHERE username_index = $1"))
        .bind(username_index(keys, username))
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => Ok(Some(read_user(&mut conn, keys, &r).await?)),
        None => Ok(None),
    }
}

pub(crate) async fn get_user(pool: &Pool, keys: &Keys, id: &UserId) -> Result<StoredUser> {
    let mut conn = pool.acquire().await?;
    let row = query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::UnknownRecord { kind: "user" })?;
    read_user(&mut conn, keys, &row).await
}

pub(crate) async fn list_users(pool: &Pool, keys: &Keys) -> Result<Vec<StoredUser>> {
    let mut conn = pool.acquire().await?;
    let rows = query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY seq"))
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(read_user(&mut conn, keys, r).await?);
    }
    Ok(out)
}

/// The user linked to each of `practitioners`.
async fn users_of(conn: &mut Conn, practitioners: &[String]) -> Result<Vec<UserId>> {
    let mut out = Vec::new();
    for p in practitioners {
        let rows = query("SELECT id FROM users WHERE practitioner_id = $1 AND disabled_at IS NULL")
            .bind(p.as_str())
            .fetch_all(&mut *conn)
            .await?;
        for r in rows {
            let id: String = r.try_get("id")?;
            out.push(parse_id(&id, "user id")?);
        }
    }
    Ok(out)
}

pub(crate) async fn set_totp_pending(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
    secret: &[u8],
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = owner_key(&mut tx, keys, user.as_str(), StoreError::UnknownRecord { kind: "user" }).await?;
    let ct = seal(&key, &aad("users", "totp_pending_ct", user.as_str(), user.as_str()), secret);
    query("UPDATE users SET totp_pending_ct = $1 WHERE id = $2")
        .bind(ct)
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::MfaChange, vec![user.to_string()])]).await?;
    tx.commit().await?;
    Ok(())
}

/// Confirms enrolment: the secret becomes the account's, the step it was
/// confirmed with is the last used, the recovery codes are stored, and the
/// session is rotated to a fully signed-in one, all in one transaction.
/// `None` if the enrolment was already confirmed (nothing written).
pub(crate) async fn confirm_totp(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
    secret: &[u8],
    step: u64,
    recovery: &str,
    session: &NewSession,
) -> Result<Option<SessionId>> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = owner_key(&mut tx, keys, user.as_str(), StoreError::UnknownRecord { kind: "user" }).await?;
    let ct = seal(&key, &aad("users", "totp_ct", user.as_str(), user.as_str()), secret);
    let done = query(
        "UPDATE users SET totp_ct = $1, totp_pending_ct = NULL, totp_last_step = $2, recovery = $3 \
         WHERE id = $4 AND totp_ct IS NULL AND totp_pending_ct IS NOT NULL",
    )
    .bind(ct)
    .bind(i64::try_from(step).unwrap_or(i64::MAX))
    .bind(recovery)
    .bind(user.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let id = insert_session(&mut tx, session).await?;
    write_entries(
        &mut tx,
        keys,
        &mut chain,
        vec![
            draft(actor, Action::MfaChange, vec![user.to_string()]),
            draft(actor, Action::MfaVerify, vec![user.to_string(), id.to_string()]),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Accepts a TOTP step (only if later than the last accepted one) and
/// rotates the session to a fully signed-in one. `None`: replayed.
pub(crate) async fn accept_totp_step(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
    step: u64,
    session: &NewSession,
    clear: &[String],
) -> Result<Option<SessionId>> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let done = query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_ct IS NOT NULL \
         AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    clear_throttles(&mut tx, clear).await?;
    let id = insert_session(&mut tx, session).await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::MfaVerify, vec![user.to_string(), id.to_string()])]).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Replaces the recovery codes `expected` by `remaining` (one used) and
/// rotates the session. `None`: the codes changed meanwhile (the code was
/// used by another request).
pub(crate) async fn use_recovery_code(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
    expected: &str,
    remaining: &str,
    session: &NewSession,
    clear: &[String],
) -> Result<Option<SessionId>> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let done = query("UPDATE users SET recovery = $1 WHERE id = $2 AND recovery = $3")
        .bind(remaining)
        .bind(user.as_str())
        .bind(expected)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    clear_throttles(&mut tx, clear).await?;
    let id = insert_session(&mut tx, session).await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::MfaRecoveryUse, vec![user.to_string(), id.to_string()])]).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Failures recorded for each throttle key: (failures, last failure, unix s).
pub(crate) async fn throttles(pool: &Pool, _keys: &Keys, ks: &[String]) -> Result<Vec<(u32, Option<i64>)>> {
    let mut out = Vec::with_capacity(ks.len());
    for k in ks {
        let row = query("SELECT failures, last_failure FROM sign_in_throttles WHERE k = $1")
            .bind(k.as_str())
            .fetch_optional(pool)
            .await?;
        out.push(match row {
            Some(r) => (
                u32::try_from(r.try_get::<i64, _>("failures")?).unwrap_or(u32::MAX),
                r.try_get::<Option<i64>, _>("last_failure")?,
            ),
            None => (0, None),
        });
    }
    Ok(out)
}

/// Check-and-count in one step: under the writer lock (so parallel
/// attempts queue behind each other, on either backend), reads each key's
/// state and asks `wait` (the caller's rule) whether the attempt must wait.
/// If so, nothing is counted and `Some(seconds)` is returned; otherwise the
/// attempt is counted as a failure on every key now, before the secret is
/// checked, and `None` is returned: the caller clears the keys when the
/// attempt succeeds.
pub(crate) async fn claim_sign_in_attempt(
    pool: &Pool,
    _keys: &Keys,
    ks: &[String],
    now_unix: i64,
    wait: &ThrottleWait,
) -> Result<Option<i64>> {
    let mut tx = pool.begin().await?;
    // The same lock every audited write takes: the attempts for one key
    // are serialised without a lock of their own.
    query("UPDATE audit_state SET writes = writes + 1 WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    let mut states = Vec::with_capacity(ks.len());
    for k in ks {
        let row = query("SELECT failures, last_failure FROM sign_in_throttles WHERE k = $1")
            .bind(k.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        states.push(match row {
            Some(r) => (
                u32::try_from(r.try_get::<i64, _>("failures")?).unwrap_or(u32::MAX),
                r.try_get::<Option<i64>, _>("last_failure")?,
            ),
            None => (0, None),
        });
    }
    if let Some(seconds) = wait(&states) {
        tx.rollback().await?;
        return Ok(Some(seconds));
    }
    for k in ks {
        query(
            "INSERT INTO sign_in_throttles (k, failures, last_failure) VALUES ($1, 1, $2) \
             ON CONFLICT (k) DO UPDATE SET failures = sign_in_throttles.failures + 1, last_failure = $2",
        )
        .bind(k.as_str())
        .bind(now_unix)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(None)
}

/// Clears throttle keys after a success that has no transaction of its own
/// to clear them in.
pub(crate) async fn clear_sign_in_throttles(pool: &Pool, _keys: &Keys, ks: &[String]) -> Result<()> {
    let mut conn = pool.acquire().await?;
    clear_throttles(&mut conn, ks).await
}

async fn clear_throttles(conn: &mut Conn, ks: &[String]) -> Result<()> {
    for k in ks {
        query("DELETE FROM sign_in_throttles WHERE k = $1")
            .bind(k.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Records a refused sign-in: one more failure on each key (when
/// `count_failure`), and its audit entry, in one transaction.
pub(crate) async fn record_sign_in_refusal(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    ks: &[String],
    now_unix: i64,
    action: Action,
    ids: Vec<String>,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    for k in ks {
        query(
            "INSERT INTO sign_in_throttles (k, failures, last_failure) VALUES ($1, 1, $2) \
             ON CONFLICT (k) DO UPDATE SET failures = sign_in_throttles.failures + 1, last_failure = $2",
        )
        .bind(k.as_str())
        .bind(now_unix)
        .execute(&mut *tx)
        .await?;
    }
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, action, ids)]).await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_session(conn: &mut Conn, s: &NewSession) -> Result<SessionId> {
    let id = SessionId::from_bytes(new_id_bytes());
    let now = now_micros();
    if let Some(old) = &s.replaces {
        query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(old.as_str())
            .execute(&mut *conn)
            .await?;
    }
    query(
        "INSERT INTO sessions (id, token_hash, user_id, stage, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(id.as_str())
    .bind(s.token_hash.to_vec())
    .bind(s.user_id.as_str())
    .bind(&s.stage)
    .bind(now)
    .bind(s.expires_at.unix_micros())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// A session after a password was accepted: throttles on `clear` reset,
/// audited as `action`.
pub(crate) async fn create_session(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    session: &NewSession,
    action: Action,
    clear: &[String],
) -> Result<SessionId> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    clear_throttles(&mut tx, clear).await?;
    let id = insert_session(&mut tx, session).await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, action, vec![session.user_id.to_string(), id.to_string()])]).await?;
    tx.commit().await?;
    Ok(id)
}

fn read_session(r: &<Db as sqlx::Database>::Row) -> Result<StoredSession> {
    let id: String = r.try_get("id")?;
    let user: String = r.try_get("user_id")?;
    Ok(StoredSession {
        id: parse_id(&id, "session id")?,
        user_id: parse_id(&user, "user id")?,
        stage: r.try_get("stage")?,
        created_at: Timestamp(r.try_get("created_at")?),
        last_seen_at: Timestamp(r.try_get("last_seen_at")?),
        expires_at: Timestamp(r.try_get("expires_at")?),
        revoked_at: opt_ts(r.try_get("revoked_at")?),
    })
}

const SESSION_COLUMNS: &str = "id, user_id, stage, created_at, last_seen_at, expires_at, revoked_at";

pub(crate) async fn session_by_token(pool: &Pool, _keys: &Keys, token_hash: &[u8]) -> Result<Option<StoredSession>> {
    let row = query(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"))
        .bind(token_hash.to_vec())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(read_session).transpose()
}

pub(crate) async fn touch_session(pool: &Pool, _keys: &Keys, id: &SessionId, now: i64) -> Result<()> {
    query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1")
        .bind(now)
        .bind(id.as_str())
        .execute(pool)
        .await?;
    Ok(())
}

pub(crate) async fn list_sessions(pool: &Pool, _keys: &Keys, user: &UserId) -> Result<Vec<StoredSession>> {
    let rows = query(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND revoked_at IS NULL ORDER BY seq"
    ))
    .bind(user.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter().map(read_session).collect()
}

/// Revokes the user's session `only`, or all of them; audited as
/// `action`. Returns how many were revoked.
pub(crate) async fn revoke_sessions(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
    only: Option<&SessionId>,
    action: Action,
) -> Result<u64> {
    let now = now_micros();
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let done = match only {
        Some(id) => {
            query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND id = $3 AND revoked_at IS NULL")
                .bind(now)
                .bind(user.as_str())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?
        }
        None => {
            query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(user.as_str())
                .execute(&mut *tx)
                .await?
        }
    };
    let mut ids = vec![user.to_string()];
    ids.extend(only.map(ToString::to_string));
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, action, ids)]).await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Ends every session of the user and revokes every personal access token
/// of theirs, in one transaction with one audit entry (`action`). Returns
/// (sessions ended, tokens revoked).
pub(crate) async fn revoke_all_credentials(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
    action: Action,
) -> Result<(u64, u64)> {
    let now = now_micros();
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let sessions = query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let tokens = query("UPDATE access_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, action, vec![user.to_string()])]).await?;
    tx.commit().await?;
    Ok((sessions, tokens))
}

pub(crate) async fn create_token(pool: &Pool, keys: &Keys, actor: &str, new: &NewToken) -> Result<TokenId> {
    let id = TokenId::from_bytes(new_id_bytes());
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = owner_key(&mut tx, keys, new.user_id.as_str(), StoreError::UnknownRecord { kind: "user" }).await?;
    let label_ct = seal(&key, &aad("access_tokens", "label_ct", id.as_str(), new.user_id.as_str()), new.label.as_bytes());
    query(
        "INSERT INTO access_tokens (id, token_hash, user_id, label_ct, scopes, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.as_str())
    .bind(new.token_hash.to_vec())
    .bind(new.user_id.as_str())
    .bind(label_ct)
    .bind(new.scopes.join(" "))
    .bind(now_micros())
    .bind(new.expires_at.unix_micros())
    .execute(&mut *tx)
    .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::TokenCreate, vec![new.user_id.to_string(), id.to_string()])]).await?;
    tx.commit().await?;
    Ok(id)
}

const TOKEN_COLUMNS: &str = "id, user_id, label_ct, scopes, created_at, expires_at, revoked_at, last_used_at";

async fn read_token(conn: &mut Conn, keys: &Keys, r: &<Db as sqlx::Database>::Row) -> Result<StoredToken> {
    let id: String = r.try_get("id")?;
    let user: String = r.try_get("user_id")?;
    let key = owner_key(conn, keys, &user, StoreError::Corrupt { what: "user key" }).await?;
    let ct: Vec<u8> = r.try_get("label_ct")?;
    let scopes: String = r.try_get("scopes")?;
    Ok(StoredToken {
        label: open_text(&key, "access_tokens", "label_ct", &id, &user, &ct)?,
        id: parse_id(&id, "token id")?,
        user_id: parse_id(&user, "user id")?,
        scopes: words(&scopes),
        created_at: Timestamp(r.try_get("created_at")?),
        expires_at: Timestamp(r.try_get("expires_at")?),
        revoked_at: opt_ts(r.try_get("revoked_at")?),
        last_used_at: opt_ts(r.try_get("last_used_at")?),
    })
}

pub(crate) async fn token_by_hash(pool: &Pool, keys: &Keys, token_hash: &[u8]) -> Result<Option<StoredToken>> {
    let mut conn = pool.acquire().await?;
    let row = query(&format!("SELECT {TOKEN_COLUMNS} FROM access_tokens WHERE token_hash = $1"))
        .bind(token_hash.to_vec())
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => Ok(Some(read_token(&mut conn, keys, &r).await?)),
        None => Ok(None),
    }
}

pub(crate) async fn touch_token(pool: &Pool, _keys: &Keys, id: &TokenId, now: i64) -> Result<()> {
    query("UPDATE access_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.as_str())
        .execute(pool)
        .await?;
    Ok(())
}

pub(crate) async fn list_tokens(pool: &Pool, keys: &Keys, user: &UserId) -> Result<Vec<StoredToken>> {
    let mut conn = pool.acquire().await?;
    let rows = query(&format!("SELECT {TOKEN_COLUMNS} FROM access_tokens WHERE user_id = $1 ORDER BY seq"))
        .bind(user.as_str())
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(read_token(&mut conn, keys, r).await?);
    }
    Ok(out)
}

/// Revokes the user's token; false if they have no such unrevoked token.
pub(crate) async fn revoke_token(pool: &Pool, keys: &Keys, actor: &str, user: &UserId, id: &TokenId) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let done = query("UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now_micros())
        .bind(id.as_str())
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::TokenRevoke, vec![user.to_string(), id.to_string()])]).await?;
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn create_grant(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
    client: &ClientId,
    reason: &str,
    expires_at: Timestamp,
) -> Result<GrantId> {
    let id = GrantId::from_bytes(new_id_bytes());
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = owner_key(&mut tx, keys, client.as_str(), StoreError::UnknownClient).await?;
    let ct = seal(&key, &aad("break_glass_grants", "reason_ct", id.as_str(), client.as_str()), reason.as_bytes());
    query(
        "INSERT INTO break_glass_grants (id, user_id, client_id, reason_ct, granted_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.as_str())
    .bind(user.as_str())
    .bind(client.as_str())
    .bind(ct)
    .bind(now_micros())
    .bind(expires_at.unix_micros())
    .execute(&mut *tx)
    .await?;
    write_entries(
        &mut tx,
        keys,
        &mut chain,
        vec![draft(actor, Action::BreakGlassGrant, vec![id.to_string(), client.to_string(), user.to_string()])],
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub(crate) async fn active_grant(pool: &Pool, _keys: &Keys, user: &UserId, client: &ClientId, now: i64) -> Result<bool> {
    let row = query("SELECT 1 AS one FROM break_glass_grants WHERE user_id = $1 AND client_id = $2 AND expires_at > $3")
        .bind(user.as_str())
        .bind(client.as_str())
        .bind(now)
        .fetch_optional(pool)
        .await?;
    Ok(row.is_some())
}

/// Grants, oldest first; only those not yet reviewed when `open_only`.
pub(crate) async fn list_grants(pool: &Pool, keys: &Keys, open_only: bool) -> Result<Vec<StoredGrant>> {
    let mut conn = pool.acquire().await?;
    let sql = if open_only {
        "SELECT id, user_id, client_id, reason_ct, granted_at, expires_at, reviewed_by, reviewed_at \
         FROM break_glass_grants WHERE reviewed_at IS NULL ORDER BY seq"
    } else {
        "SELECT id, user_id, client_id, reason_ct, granted_at, expires_at, reviewed_by, reviewed_at \
         FROM break_glass_grants ORDER BY seq"
    };
    let rows = query(sql).fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: String = r.try_get("id")?;
        let client: String = r.try_get("client_id")?;
        let user: String = r.try_get("user_id")?;
        // A destroyed client's grants have nothing left to show but ids.
        let reason = match owner_key(&mut conn, keys, &client, StoreError::UnknownClient).await {
            Ok(key) => {
                let ct: Vec<u8> = r.try_get("reason_ct")?;
                open_text(&key, "break_glass_grants", "reason_ct", &id, &client, &ct)?
            }
            Err(StoreError::UnknownClient) => String::new(),
            Err(e) => return Err(e),
        };
        out.push(StoredGrant {
            id: parse_id(&id, "grant id")?,
            user_id: parse_id(&user, "user id")?,
            client_id: parse_id(&client, "client id")?,
            reason,
            granted_at: Timestamp(r.try_get("granted_at")?),
            expires_at: Timestamp(r.try_get("expires_at")?),
            reviewed_by: r.try_get("reviewed_by")?,
            reviewed_at: opt_ts(r.try_get("reviewed_at")?),
        });
    }
    Ok(out)
}

/// Closes a grant's review; false if unknown or already reviewed.
pub(crate) async fn review_grant(pool: &Pool, keys: &Keys, actor: &str, id: &GrantId) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    // Separation of duties: the grantee never closes the review of their
    // own grant (the actor is the reviewing user's id).
    let done = query(
        "UPDATE break_glass_grants SET reviewed_by = $1, reviewed_at = $2 \
         WHERE id = $3 AND reviewed_at IS NULL AND user_id <> $1",
    )
        .bind(actor)
        .bind(now_micros())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::BreakGlassReview, vec![id.to_string()])]).await?;
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn assign_client(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    client: &ClientId,
    practitioner: &PractitionerId,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    if query("SELECT 1 AS one FROM clients WHERE id = $1").bind(client.as_str()).fetch_optional(&mut *tx).await?.is_none() {
        return Err(StoreError::UnknownClient);
    }
    if query("SELECT 1 AS one FROM practitioners WHERE id = $1").bind(practitioner.as_str()).fetch_optional(&mut *tx).await?.is_none() {
        return Err(StoreError::UnknownRecord { kind: "practitioner" });
    }
    query("INSERT INTO client_assignments (client_id, practitioner_id, assigned_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(client.as_str())
        .bind(practitioner.as_str())
        .bind(now_micros())
        .execute(&mut *tx)
        .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::AssignmentChange, vec![client.to_string(), practitioner.to_string()])]).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn add_supervision(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    supervisor: &PractitionerId,
    supervisee: &PractitionerId,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    for p in [supervisor, supervisee] {
        if query("SELECT 1 AS one FROM practitioners WHERE id = $1").bind(p.as_str()).fetch_optional(&mut *tx).await?.is_none() {
            return Err(StoreError::UnknownRecord { kind: "practitioner" });
        }
    }
    query("INSERT INTO supervisions (supervisor_id, supervisee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(supervisor.as_str())
        .bind(supervisee.as_str())
        .execute(&mut *tx)
        .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::AssignmentChange, vec![supervisor.to_string(), supervisee.to_string()])]).await?;
    tx.commit().await?;
    Ok(())
}

/// The users related to a client's record. Ids only, not audited (the
/// read that follows an allowed check is).
pub(crate) async fn client_relations(pool: &Pool, _keys: &Keys, client: &ClientId) -> Result<ClientRelations> {
    let mut conn = pool.acquire().await?;
    let rows = query("SELECT practitioner_id FROM client_assignments WHERE client_id = $1")
        .bind(client.as_str())
        .fetch_all(&mut *conn)
        .await?;
    let assigned: Vec<String> = rows.iter().map(|r| r.try_get("practitioner_id")).collect::<Result<_, _>>()?;
    let mut supervisors = Vec::new();
    for p in &assigned {
        let rows = query("SELECT supervisor_id FROM supervisions WHERE supervisee_id = $1")
            .bind(p.as_str())
            .fetch_all(&mut *conn)
            .await?;
        for r in rows {
            supervisors.push(r.try_get::<String, _>("supervisor_id")?);
        }
    }
    Ok(ClientRelations {
        assigned_users: users_of(&mut conn, &assigned).await?,
        supervisor_users: users_of(&mut conn, &supervisors).await?,
    })
}

/// The clients a practitioner is assigned to, oldest assignment first.
pub(crate) async fn clients_assigned_to(pool: &Pool, _keys: &Keys, practitioner: &PractitionerId) -> Result<Vec<ClientId>> {
    let rows = query("SELECT client_id FROM client_assignments WHERE practitioner_id = $1 ORDER BY assigned_at, client_id")
        .bind(practitioner.as_str())
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            let c: String = r.try_get("client_id")?;
            parse_id(&c, "client id")
        })
        .collect()
}

/// The client a matter is on (ids only, not audited: the read that follows
/// an allowed check is).
pub(crate) async fn matter_client(pool: &Pool, _keys: &Keys, matter: &str) -> Result<ClientId> {
    let row = query("SELECT client_id FROM matters WHERE id = $1")
        .bind(matter)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::UnknownRecord { kind: "matter" })?;
    let c: String = row.try_get("client_id")?;
    parse_id(&c, "client id")
}

/// The client a consent belongs to (ids only, not audited).
pub(crate) async fn consent_client(pool: &Pool, _keys: &Keys, consent: &str) -> Result<ClientId> {
    let row = query("SELECT client_id FROM consents WHERE id = $1")
        .bind(consent)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::UnknownRecord { kind: "consent" })?;
    let c: String = row.try_get("client_id")?;
    parse_id(&c, "client id")
}

pub(crate) async fn hold_client(pool: &Pool, _keys: &Keys, hold: &str) -> Result<ClientId> {
    let row = query("SELECT client_id FROM legal_holds WHERE id = $1")
        .bind(hold)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::UnknownRecord { kind: "legal hold" })?;
    let c: String = row.try_get("client_id")?;
    parse_id(&c, "client id")
}

/// Enrols a TOTP secret directly (the operator's demo seeding), with the
/// recovery codes; audited as an MFA change.
pub(crate) async fn enrol_totp_directly(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
    secret: &[u8],
    recovery: &str,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = owner_key(&mut tx, keys, user.as_str(), StoreError::UnknownRecord { kind: "user" }).await?;
    let ct = seal(&key, &aad("users", "totp_ct", user.as_str(), user.as_str()), secret);
    query("UPDATE users SET totp_ct = $1, totp_pending_ct = NULL, recovery = $2 WHERE id = $3")
        .bind(ct)
        .bind(recovery)
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::MfaChange, vec![user.to_string()])]).await?;
    tx.commit().await?;
    Ok(())
}
