// What the service promised and did, on the record, written once and
// compiled per backend like `ops.rs` (see `backend.rs`, `promise_ops!`).
// The store seals, signs, appends and audits; the rules (what a complaint
// needs, that closing one releases its hold) are the application layer's.
//
// - a promise's body is sealed under the client's data key with AAD
//   (promises, body_ct, row id, client id);
// - a policy review is not about a client: its columns are plaintext and
//   carry a MAC under the audit key, checked on every read;
// - both tables are append-only (triggers); promises go only with the
//   client's destruction; a complaint is closed once (a unique index);
// - every write, read and listing is an audit entry in the same
//   transaction.

use sqlx::Row;

type Pool = sqlx::Pool<Db>;
type Conn = <Db as sqlx::Database>::Connection;

fn query(sql: &str) -> sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments<'_>> {
    sqlx::query::<Db>(sql)
}

async fn promise_client_key(conn: &mut Conn, keys: &Keys, client: &ClientId) -> Result<DataKey> {
    let row = query("SELECT wrapped FROM data_keys WHERE owner_id = $1")
        .bind(client.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::UnknownClient)?;
    let wrapped: Vec<u8> = row.try_get("wrapped")?;
    keys.unwrap(client.as_str(), &wrapped)
}

fn review_mac(keys: &Keys, r: &NewReview, id: &str, at: i64, actor: &str) -> [u8; 32] {
    let mut msg = Vec::with_capacity(256);
    msg.extend_from_slice(b"confidant policy review v1");
    for part in [
        id,
        r.policy_name.as_str(),
        r.policy_sha256.as_str(),
        r.reviewed_on.as_str(),
        r.approved_by.as_str(),
        actor,
    ] {
        msg.extend_from_slice(&(part.len() as u64).to_be_bytes());
        msg.extend_from_slice(part.as_bytes());
    }
    msg.extend_from_slice(&at.to_be_bytes());
    keys.audit.mac(&msg)
}

pub(crate) async fn add_promise(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    new: &NewPromise,
) -> Result<PromiseId> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let (id, entry) = insert_promise(&mut tx, keys, actor, new).await?;
    write_entries(&mut tx, keys, &mut chain, vec![entry]).await?;
    tx.commit().await?;
    Ok(id)
}

/// Inserts a promise inside the caller's transaction (the chain locked);
/// returns its id and the audit entry for the caller to write.
async fn insert_promise(
    tx: &mut Conn,
    keys: &Keys,
    actor: &str,
    new: &NewPromise,
) -> Result<(PromiseId, EntryDraft)> {
    let body = serde_json::to_vec(&new.body).map_err(|_| StoreError::Corrupt {
        what: "promise body does not serialise",
    })?;
    let id = PromiseId::from_bytes(new_id_bytes());
    let key = promise_client_key(&mut *tx, keys, &new.client_id).await?;
    if new.kind == PromiseKind::ComplaintClosed {
        let done = query("SELECT 1 AS one FROM promises WHERE kind = 'complaint-closed' AND ref_id = $1")
            .bind(new.ref_id.as_deref().unwrap_or(""))
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            return Err(StoreError::AlreadyRecorded {
                what: "that complaint is already closed",
            });
        }
    }
    let ct = seal(
        &key,
        &aad("promises", "body_ct", id.as_str(), new.client_id.as_str()),
        &body,
    );
    query(
        "INSERT INTO promises (id, client_id, kind, ref_id, at, actor, body_ct) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.as_str())
    .bind(new.client_id.as_str())
    .bind(new.kind.as_str())
    .bind(new.ref_id.clone())
    .bind(now_micros())
    .bind(actor)
    .bind(ct)
    .execute(&mut *tx)
    .await?;
    let ids = vec![id.to_string(), new.client_id.to_string()];
    Ok((id, draft(actor, Action::PromiseRecord, ids)))
}

/// Places a complaint hold on the client and records the complaint whose
/// body names it, in one transaction: both or neither. The hold's id is
/// put in the body's `hold_id` and in `ref_id`.
pub(crate) async fn open_complaint(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    new: &NewPromise,
) -> Result<(PromiseId, HoldId)> {
    if new.kind != PromiseKind::ComplaintOpened {
        return Err(StoreError::Corrupt {
            what: "open_complaint records only a complaint",
        });
    }
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let (hold, hold_entry) =
        place_hold_tx(&mut tx, keys, actor, &new.client_id, HoldReason::Complaint).await?;
    let mut with_hold = new.clone();
    with_hold.ref_id = Some(hold.to_string());
    match with_hold.body.as_object_mut() {
        Some(map) => {
            map.insert("hold_id".into(), serde_json::Value::String(hold.to_string()));
        }
        None => {
            return Err(StoreError::Corrupt {
                what: "a complaint body is not an object",
            });
        }
    }
    let (id, entry) = insert_promise(&mut tx, keys, actor, &with_hold).await?;
    write_entries(&mut tx, keys, &mut chain, vec![hold_entry, entry]).await?;
    tx.commit().await?;
    Ok((id, hold))
}

/// Records a complaint's closing and releases its hold (when it still
/// stands), in one transaction: both or neither.
pub(crate) async fn close_complaint(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    new: &NewPromise,
    hold: Option<&HoldId>,
) -> Result<PromiseId> {
    if new.kind != PromiseKind::ComplaintClosed {
        return Err(StoreError::Corrupt {
            what: "close_complaint records only a complaint's closing",
        });
    }
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let (id, entry) = insert_promise(&mut tx, keys, actor, new).await?;
    let mut entries = vec![entry];
    if let Some(h) = hold {
        entries.push(release_hold_tx(&mut tx, keys, actor, h).await?);
    }
    write_entries(&mut tx, keys, &mut chain, entries).await?;
    tx.commit().await?;
    Ok(id)
}

pub(crate) async fn list_promises(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    client: &ClientId,
) -> Result<Vec<StoredPromise>> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = promise_client_key(&mut tx, keys, client).await?;
    let rows = query(
        "SELECT id, kind, ref_id, at, actor, body_ct FROM promises WHERE client_id = $1 ORDER BY seq",
    )
    .bind(client.as_str())
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        let ct: Vec<u8> = r.try_get("body_ct")?;
        let text = open_text(&key, "promises", "body_ct", &id, client.as_str(), &ct)?;
        let kind: String = r.try_get("kind")?;
        out.push(StoredPromise {
            id: id.parse().map_err(|_| StoreError::Corrupt { what: "promise id" })?,
            client_id: client.clone(),
            kind: kind.parse().map_err(|_| StoreError::Corrupt { what: "promise kind" })?,
            ref_id: r.try_get("ref_id")?,
            at: Timestamp(r.try_get("at")?),
            actor: r.try_get("actor")?,
            body: serde_json::from_str(&text).map_err(|_| StoreError::Corrupt {
                what: "promise body",
            })?,
        });
    }
    let mut ids = vec![client.to_string()];
    ids.extend(out.iter().map(|p| p.id.to_string()));
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::PromiseRead, ids)]).await?;
    tx.commit().await?;
    Ok(out)
}

/// Every client with the statement hashes recorded as given (plaintext
/// columns only; no key is unwrapped).
pub(crate) async fn limits_given(pool: &Pool, keys: &Keys, actor: &str) -> Result<Vec<LimitsGivenRow>> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let rows = query(
        "SELECT c.id AS client_id, p.ref_id FROM clients c \
         LEFT JOIN promises p ON p.client_id = c.id AND p.kind = 'limits-given' \
         ORDER BY c.seq, p.seq",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut out: Vec<LimitsGivenRow> = Vec::new();
    for r in rows {
        let id: String = r.try_get("client_id")?;
        let hash: Option<String> = r.try_get("ref_id")?;
        if out.last().is_none_or(|l| l.client_id.as_str() != id) {
            out.push(LimitsGivenRow {
                client_id: id.parse().map_err(|_| StoreError::Corrupt { what: "client id" })?,
                statement_sha256: Vec::new(),
            });
        }
        if let (Some(h), Some(last)) = (hash, out.last_mut()) {
            last.statement_sha256.push(h);
        }
    }
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::PromiseRead, Vec::new())]).await?;
    tx.commit().await?;
    Ok(out)
}

pub(crate) async fn add_review(pool: &Pool, keys: &Keys, actor: &str, new: &NewReview) -> Result<ReviewId> {
    let id = ReviewId::from_bytes(new_id_bytes());
    let at = now_micros();
    let mac = review_mac(keys, new, id.as_str(), at, actor);
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    query(
        "INSERT INTO policy_reviews (id, policy_name, policy_sha256, reviewed_on, approved_by, at, actor, mac) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.as_str())
    .bind(new.policy_name.as_str())
    .bind(new.policy_sha256.as_str())
    .bind(new.reviewed_on.as_str())
    .bind(new.approved_by.as_str())
    .bind(at)
    .bind(actor)
    .bind(mac.to_vec())
    .execute(&mut *tx)
    .await?;
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::PolicyReview, vec![id.to_string()])]).await?;
    tx.commit().await?;
    Ok(id)
}

/// The recorded reviews of the policy named `name`, oldest first, each
/// MAC checked.
pub(crate) async fn reviews(pool: &Pool, keys: &Keys, actor: &str, name: &str) -> Result<Vec<StoredReview>> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let rows = query(
        "SELECT id, policy_name, policy_sha256, reviewed_on, approved_by, at, actor, mac \
         FROM policy_reviews WHERE policy_name = $1 ORDER BY seq",
    )
    .bind(name)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        let review = NewReview {
            policy_name: r.try_get("policy_name")?,
            policy_sha256: r.try_get("policy_sha256")?,
            reviewed_on: r.try_get("reviewed_on")?,
            approved_by: r.try_get("approved_by")?,
        };
        let at: i64 = r.try_get("at")?;
        let who: String = r.try_get("actor")?;
        let mac: Vec<u8> = r.try_get("mac")?;
        if mac.as_slice() != review_mac(keys, &review, &id, at, &who).as_slice() {
            return Err(StoreError::Corrupt {
                what: "a policy review's signature does not verify",
            });
        }
        out.push(StoredReview {
            id: id.parse().map_err(|_| StoreError::Corrupt { what: "review id" })?,
            policy_name: review.policy_name,
            policy_sha256: review.policy_sha256,
            reviewed_on: review.reviewed_on,
            approved_by: review.approved_by,
            at: Timestamp(at),
            actor: who,
        });
    }
    let ids = out.iter().map(|r| r.id.to_string()).collect();
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::PolicyReviewRead, ids)]).await?;
    tx.commit().await?;
    Ok(out)
}
