// Account management and form faults, written once and compiled per backend
// in the same module as `accounts.rs` (see `backend.rs`, `account_ops!`).
// The rules (who may, which checks first) live in
// `confidant-service/src/account_admin.rs`; the store compares-and-sets,
// seals and audits, each change one transaction with its audit entry
// (migration 0009: password_resets, form_nonces, note_drafts).

/// Records an unauthenticated refusal, bounded: failures are counted on
/// `ks` (the sign-in throttles) as always, but only the first refusal per
/// `coalesce_key` per window of `window_s` seconds is audited in full; the
/// later ones in that window are counted, and the count is audited as one
/// `sign_in.refusals_coalesced` entry when the next window opens. Returns
/// true when a full entry was written.
pub(crate) async fn record_refusal_coalesced(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    ks: &[String],
    now_unix: i64,
    action: Action,
    ids: Vec<String>,
    coalesce_key: &str,
    window_s: i64,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
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
    // In the window: count it (the UPDATE only matches a current window).
    let counted = query(
        "UPDATE sign_in_throttles SET failures = failures + 1 WHERE k = $1 AND last_failure > $2",
    )
    .bind(coalesce_key)
    .bind(now_unix - window_s)
    .execute(&mut *tx)
    .await?;
    if counted.rows_affected() == 1 {
        tx.commit().await?;
        return Ok(false);
    }
    let mut chain = lock_chain(&mut tx, keys).await?;
    let previous = query("SELECT failures FROM sign_in_throttles WHERE k = $1")
        .bind(coalesce_key)
        .fetch_optional(&mut *tx)
        .await?;
    let suppressed: i64 = match previous {
        Some(r) => r.try_get("failures")?,
        None => 0,
    };
    query(
        "INSERT INTO sign_in_throttles (k, failures, last_failure) VALUES ($1, 0, $2) \
         ON CONFLICT (k) DO UPDATE SET failures = 0, last_failure = $2",
    )
    .bind(coalesce_key)
    .bind(now_unix)
    .execute(&mut *tx)
    .await?;
    let mut drafts = Vec::with_capacity(2);
    if suppressed > 0 {
        drafts.push(draft(
            "anonymous",
            Action::SignInRefusalsCoalesced,
            vec![format!("count:{suppressed}"), format!("kind:{}", action.as_str())],
        ));
    }
    drafts.push(draft(actor, action, ids));
    write_entries(&mut tx, keys, &mut chain, drafts).await?;
    tx.commit().await?;
    Ok(true)
}

/// Accepts a TOTP step for a re-authenticated change (compare-and-set:
/// false when the step, or a later one, was used already).
async fn take_totp_step(conn: &mut Conn, user: &UserId, step: u64) -> Result<bool> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let done = query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A new password hash; every other session of the user ends. False (and
/// nothing written) when the TOTP step was already used.
pub(crate) async fn change_password(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
    password_hash: &str,
    step: u64,
    keep: Option<&SessionId>,
) -> Result<bool> {
    let now = now_micros();
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    if !take_totp_step(&mut tx, user, step).await? {
        return Ok(false);
    }
    query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
    query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3")
        .bind(now)
        .bind(user.as_str())
        .bind(keep.map(|s| s.as_str().to_owned()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::PasswordChange, vec![user.to_string()])]).await?;
    tx.commit().await?;
    Ok(true)
}

/// New recovery codes (the old ones stop working). False when the TOTP
/// step was already used.
pub(crate) async fn replace_recovery_codes(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
    step: u64,
    recovery_json: &str,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    if !take_totp_step(&mut tx, user, step).await? {
        return Ok(false);
    }
    query("UPDATE users SET recovery = $1 WHERE id = $2")
        .bind(recovery_json)
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::MfaChange, vec![user.to_string()])]).await?;
    tx.commit().await?;
    Ok(true)
}

/// Disables (every session and token of the account ends with it) or
/// enables an account. False: no such user.
pub(crate) async fn set_disabled(pool: &Pool, keys: &Keys, actor: &str, user: &UserId, disabled: bool) -> Result<bool> {
    let now = now_micros();
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    if disabled {
        query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
            .bind(now)
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
    } else {
        query("UPDATE users SET disabled_at = NULL WHERE id = $1")
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
    }
    let exists = query("SELECT 1 AS one FROM users WHERE id = $1")
        .bind(user.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Ok(false);
    }
    if disabled {
        query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
        query("UPDATE access_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
    }
    let action = if disabled { Action::AccountDisable } else { Action::AccountEnable };
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, action, vec![user.to_string()])]).await?;
    tx.commit().await?;
    Ok(true)
}

/// Stores a reset link's hash for `user`; earlier unused links of the
/// user stop working.
pub(crate) async fn create_password_reset(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
    token_hash: &[u8],
    expires_at: i64,
) -> Result<()> {
    let now = now_micros();
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
    query("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash.to_vec())
        .bind(user.as_str())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::PasswordResetIssue, vec![user.to_string()])]).await?;
    tx.commit().await?;
    Ok(())
}

/// The user a current (unused, unexpired) reset link is for.
pub(crate) async fn password_reset_user(pool: &Pool, _keys: &Keys, token_hash: &[u8], now: i64) -> Result<Option<UserId>> {
    let row = query("SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
        .bind(token_hash.to_vec())
        .bind(now)
        .fetch_optional(pool)
        .await?;
    match row {
        Some(r) => Ok(Some(parse_id(&r.try_get::<String, _>("user_id")?, "user id")?)),
        None => Ok(None),
    }
}

/// Uses a reset link once: the new password, the authenticator and
/// recovery codes cleared (to be enrolled again at the next sign-in), every
/// session and token ended. None (nothing written) when the link is
/// unknown, used or expired, or its account disabled.
pub(crate) async fn use_password_reset(
    pool: &Pool,
    keys: &Keys,
    token_hash: &[u8],
    password_hash: &str,
    now: i64,
) -> Result<Option<UserId>> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let row = query("SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
        .bind(token_hash.to_vec())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let user: String = row.try_get("user_id")?;
    let used = query("UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
        .bind(now)
        .bind(token_hash.to_vec())
        .execute(&mut *tx)
        .await?;
    if used.rows_affected() != 1 {
        return Ok(None);
    }
    let changed = query(
        "UPDATE users SET password_hash = $1, totp_ct = NULL, totp_pending_ct = NULL, recovery = NULL \
         WHERE id = $2 AND disabled_at IS NULL",
    )
    .bind(password_hash)
    .bind(user.as_str())
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() != 1 {
        return Ok(None);
    }
    query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
    query("UPDATE access_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(&user, Action::PasswordResetUse, vec![user.clone()])]).await?;
    tx.commit().await?;
    Ok(Some(parse_id(&user, "user id")?))
}

/// True the first time `nonce` is used, on any replica.
pub(crate) async fn consume_form_nonce(pool: &Pool, _keys: &Keys, nonce: &str, now: i64) -> Result<bool> {
    let done = query("INSERT INTO form_nonces (nonce, used_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING")
        .bind(nonce)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Keeps a note's text sealed under its author's key, for that author to
/// take back. Audited (ids only).
pub(crate) async fn save_note_draft(
    pool: &Pool,
    keys: &Keys,
    user: &UserId,
    client: &ClientId,
    text: &str,
) -> Result<String> {
    let id = format!("drf_{}", uuid::Uuid::from_bytes(new_id_bytes()).simple());
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = owner_key(&mut tx, keys, user.as_str(), StoreError::UnknownRecord { kind: "user" }).await?;
    let ct = seal(&key, &aad("note_drafts", "body_ct", &id, user.as_str()), text.as_bytes());
    query("INSERT INTO note_drafts (id, user_id, client_id, created_at, body_ct) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(user.as_str())
        .bind(client.as_str())
        .bind(now_micros())
        .bind(ct)
        .execute(&mut *tx)
        .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(user.as_str(), Action::NoteDraft, vec![user.to_string(), client.to_string(), id.clone()])]).await?;
    tx.commit().await?;
    Ok(id)
}

/// The user's drafts for a client, oldest first: (id, kept at, text).
pub(crate) async fn note_drafts(
    pool: &Pool,
    keys: &Keys,
    user: &UserId,
    client: &ClientId,
) -> Result<Vec<(String, Timestamp, Zeroizing<String>)>> {
    let mut conn = pool.acquire().await?;
    let rows = query("SELECT id, created_at, body_ct FROM note_drafts WHERE user_id = $1 AND client_id = $2 ORDER BY seq")
        .bind(user.as_str())
        .bind(client.as_str())
        .fetch_all(&mut *conn)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let key = owner_key(&mut conn, keys, user.as_str(), StoreError::Corrupt { what: "user key" }).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        let ct: Vec<u8> = r.try_get("body_ct")?;
        let text = open_text(&key, "note_drafts", "body_ct", &id, user.as_str(), &ct)?;
        out.push((id, Timestamp(r.try_get("created_at")?), Zeroizing::new(text)));
    }
    Ok(out)
}

/// Deletes one of the user's drafts (taken back or discarded). False: no
/// such draft of theirs.
pub(crate) async fn delete_note_draft(pool: &Pool, keys: &Keys, user: &UserId, id: &str) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let done = query("DELETE FROM note_drafts WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    write_entries(&mut tx, keys, &mut chain, vec![draft(user.as_str(), Action::NoteDraft, vec![user.to_string(), id.to_owned()])]).await?;
    tx.commit().await?;
    Ok(true)
}
