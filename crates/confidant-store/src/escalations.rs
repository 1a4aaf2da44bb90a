// Matters escalated to a safeguarding officer, written once and compiled
// per backend like `promises.rs` (see `backend.rs`, `escalation_ops!`).
//
// - a row holds ids and a time only; it decides who may see a matter, so
//   it carries a MAC under the audit key over every column, checked on
//   every read (an SQL edit is refused as corrupt, never trusted);
// - append-only (trigger), deleted only with the client;
// - a write and the officer's listing are audit entries in the same
//   transaction. The fact lookup for an access check is not audited (the
//   check's own outcome is).

use sqlx::Row;

type Pool = sqlx::Pool<Db>;

fn query(sql: &str) -> sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments<'_>> {
    sqlx::query::<Db>(sql)
}

fn escalation_mac(keys: &Keys, e: &StoredEscalation) -> [u8; 32] {
    let mut msg = Vec::with_capacity(256);
    msg.extend_from_slice(b"confidant escalation v1");
    for part in [
        e.id.as_str(),
        e.matter_id.as_str(),
        e.client_id.as_str(),
        e.to_user.as_str(),
        e.actor.as_str(),
    ] {
        msg.extend_from_slice(&(part.len() as u64).to_be_bytes());
        msg.extend_from_slice(part.as_bytes());
    }
    msg.extend_from_slice(&e.at.0.to_be_bytes());
    keys.audit.mac(&msg)
}

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt { what }
}

fn escalation_row(keys: &Keys, r: &<Db as sqlx::Database>::Row) -> Result<StoredEscalation> {
    let id: String = r.try_get("id")?;
    let matter: String = r.try_get("matter_id")?;
    let client: String = r.try_get("client_id")?;
    let to_user: String = r.try_get("to_user")?;
    let e = StoredEscalation {
        id: id.parse().map_err(|_| corrupt("escalation id"))?,
        matter_id: matter.parse().map_err(|_| corrupt("escalation matter"))?,
        client_id: client.parse().map_err(|_| corrupt("escalation client"))?,
        to_user: to_user.parse().map_err(|_| corrupt("escalation user"))?,
        at: Timestamp(r.try_get("at")?),
        actor: r.try_get("actor")?,
    };
    let mac: Vec<u8> = r.try_get("mac")?;
    if mac.as_slice() != escalation_mac(keys, &e).as_slice() {
        return Err(corrupt("an escalation's signature does not verify"));
    }
    Ok(e)
}

const COLUMNS: &str = "id, matter_id, client_id, to_user, at, actor, mac";

pub(crate) async fn add_escalation(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    matter: &MatterId,
    to_user: &UserId,
) -> Result<EscalationId> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let row = query("SELECT client_id, closed_at FROM matters WHERE id = $1")
        .bind(matter.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::UnknownRecord { kind: "matter" })?;
    let client: String = row.try_get("client_id")?;
    let closed: Option<i64> = row.try_get("closed_at")?;
    if closed.is_some() {
        return Err(StoreError::AlreadyRecorded {
            what: "that matter is closed",
        });
    }
    let done = query("SELECT 1 AS one FROM escalations WHERE matter_id = $1 AND to_user = $2")
        .bind(matter.as_str())
        .bind(to_user.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if done.is_some() {
        return Err(StoreError::AlreadyRecorded {
            what: "that matter is already escalated to that person",
        });
    }
    let e = StoredEscalation {
        id: EscalationId::from_bytes(new_id_bytes()),
        matter_id: matter.clone(),
        client_id: client.parse().map_err(|_| corrupt("matter client"))?,
        to_user: to_user.clone(),
        at: Timestamp(now_micros()),
        actor: actor.to_owned(),
    };
    let mac = escalation_mac(keys, &e);
    query(
        "INSERT INTO escalations (id, matter_id, client_id, to_user, at, actor, mac) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.id.as_str())
    .bind(e.matter_id.as_str())
    .bind(e.client_id.as_str())
    .bind(e.to_user.as_str())
    .bind(e.at.0)
    .bind(actor)
    .bind(mac.to_vec())
    .execute(&mut *tx)
    .await?;
    let ids = vec![
        e.id.to_string(),
        e.matter_id.to_string(),
        e.client_id.to_string(),
        e.to_user.to_string(),
    ];
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::MatterEscalate, ids)]).await?;
    tx.commit().await?;
    Ok(e.id)
}

/// The users a matter is escalated to (for the access check), each row's
/// MAC checked.
pub(crate) async fn escalated_to(pool: &Pool, keys: &Keys, matter: &MatterId) -> Result<Vec<UserId>> {
    let sql = format!("SELECT {COLUMNS} FROM escalations WHERE matter_id = $1 ORDER BY seq");
    let rows = query(&sql).bind(matter.as_str()).fetch_all(pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let e = escalation_row(keys, &r)?;
        if &e.matter_id != matter {
            return Err(corrupt("an escalation names another matter"));
        }
        out.push(e.to_user);
    }
    Ok(out)
}

/// The escalations to `user`, oldest first, on matters still open (audited
/// as one listing).
pub(crate) async fn escalations_to(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    user: &UserId,
) -> Result<Vec<StoredEscalation>> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let rows = query(
        "SELECT e.id, e.matter_id, e.client_id, e.to_user, e.at, e.actor, e.mac \
         FROM escalations e JOIN matters m ON m.id = e.matter_id \
         WHERE e.to_user = $1 AND m.closed_at IS NULL ORDER BY e.seq",
    ).bind(user.as_str()).fetch_all(&mut *tx).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let e = escalation_row(keys, &r)?;
        if &e.to_user != user {
            return Err(corrupt("an escalation names another user"));
        }
        out.push(e);
    }
    let mut ids = vec![user.to_string()];
    ids.extend(out.iter().map(|e| e.id.to_string()));
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::EscalationList, ids)]).await?;
    tx.commit().await?;
    Ok(out)
}
