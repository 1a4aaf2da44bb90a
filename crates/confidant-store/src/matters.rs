// Matters, their steps and the accounting of disclosures, written once and
// compiled once per backend like `ops.rs` (see `backend.rs`, `matter_ops!`).
// The store knows nothing of the rules about matters (that is the
// application layer, `confidant-service`); it guarantees what storage can:
//
// - every body is sealed under the client's data key with AAD (table,
//   body_ct, row id, client id), and every step carries a MAC under the
//   audit key over exactly the bytes sealed, its author and time (the
//   author's signature), checked on every read;
// - steps and disclosures are only ever inserted (the schema refuses
//   UPDATE); a matter's only change is being closed;
// - a step is appended only if the matter still has exactly the steps the
//   caller decided on (`expect_steps`), so two writers can never both act on
//   the same state: the application layer's checks always see the state the
//   step is appended to;
// - every step, read and listing is an audit entry in the same transaction,
//   and a delivery's step and its disclosure row commit together or not at
//   all.

use sqlx::Row;

type Pool = sqlx::Pool<Db>;
type Conn = <Db as sqlx::Database>::Connection;

fn query(sql: &str) -> sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments<'_>> {
    sqlx::query::<Db>(sql)
}

async fn matter_client_key(conn: &mut Conn, keys: &Keys, client: &ClientId) -> Result<DataKey> {
    let row = query("SELECT wrapped FROM data_keys WHERE owner_id = $1")
        .bind(client.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::UnknownClient)?;
    let wrapped: Vec<u8> = row.try_get("wrapped")?;
    keys.unwrap(client.as_str(), &wrapped)
}

/// The signature of a step: HMAC-SHA256 under the audit key over a
/// length-prefixed encoding of everything the step says.
fn step_mac(
    keys: &Keys,
    id: &str,
    matter: &str,
    kind: &str,
    at: i64,
    actor: &str,
    body: &[u8],
) -> [u8; 32] {
    let mut msg = Vec::with_capacity(body.len() + 128);
    msg.extend_from_slice(b"confidant matter step v1");
    for part in [id.as_bytes(), matter.as_bytes(), kind.as_bytes(), actor.as_bytes()] {
        msg.extend_from_slice(&(part.len() as u64).to_be_bytes());
        msg.extend_from_slice(part);
    }
    msg.extend_from_slice(&at.to_be_bytes());
    msg.extend_from_slice(&(body.len() as u64).to_be_bytes());
    msg.extend_from_slice(body);
    keys.audit.mac(&msg)
}

fn seal_json(
    key: &DataKey,
    table: &str,
    row: &str,
    client: &ClientId,
    body: &[u8],
) -> Vec<u8> {
    seal(key, &aad(table, "body_ct", row, client.as_str()), body)
}

fn open_json(
    key: &DataKey,
    table: &str,
    row: &str,
    client: &ClientId,
    ct: &[u8],
) -> Result<serde_json::Value> {
    let text = open_text(key, table, "body_ct", row, client.as_str(), ct)?;
    serde_json::from_str(&text).map_err(|_| StoreError::Corrupt {
        what: "sealed matter body is not JSON",
    })
}

/// A test hook for the "crash mid-delivery" guarantee: with
/// `CONFIDANT_FAULT=abort-before-commit:<step kind>` the process aborts
/// after the step (and its disclosure) are written but before the commit,
/// exactly as a crash would. Nothing else reads the variable.
fn fault_point(kind: StepKind) {
    if let Ok(v) = std::env::var("CONFIDANT_FAULT")
        && v.strip_prefix("abort-before-commit:") == Some(kind.as_str())
    {
        std::process::abort();
    }
}

pub(crate) async fn open_matter(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    new: &NewMatter,
) -> Result<MatterId> {
    let body = serde_json::to_vec(&new.body).map_err(|_| StoreError::Corrupt {
        what: "matter body does not serialise",
    })?;
    let id = MatterId::from_bytes(new_id_bytes());
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = matter_client_key(&mut tx, keys, &new.client_id).await?;
    if let Some(case) = &new.case_id {
        // Links are keyed digests bound to the case (`ops_integrity.rs`).
        let party = query("SELECT 1 AS one FROM case_parties WHERE case_id = $1 AND party = $2")
            .bind(case.as_str())
            .bind(crate::integrity::link_digest(
                &keys.links,
                "case_parties",
                case.as_str(),
                new.client_id.as_str(),
            ))
            .fetch_optional(&mut *tx)
            .await?;
        if party.is_none() {
            let case_exists = query("SELECT 1 AS one FROM cases WHERE id = $1")
                .bind(case.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            return Err(if case_exists.is_some() {
                StoreError::NotAParty
            } else {
                StoreError::UnknownRecord { kind: "case" }
            });
        }
    }
    let ct = seal_json(&key, "matters", id.as_str(), &new.client_id, &body);
    query(
        "INSERT INTO matters (id, client_id, case_id, opened_at, opened_by, body_ct) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.as_str())
    .bind(new.client_id.as_str())
    .bind(new.case_id.as_ref().map(|c| c.as_str().to_owned()))
    .bind(now_micros())
    .bind(actor)
    .bind(ct)
    .execute(&mut *tx)
    .await?;
    let mut ids = vec![id.to_string(), new.client_id.to_string()];
    ids.extend(new.case_id.iter().map(ToString::to_string));
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::MatterOpen, ids)]).await?;
    tx.commit().await?;
    Ok(id)
}

async fn read_matter(
    conn: &mut Conn,
    keys: &Keys,
    row: &<Db as sqlx::Database>::Row,
    key_cache: &mut HashMap<String, DataKey>,
) -> Result<StoredMatter> {
    let id: String = row.try_get("id")?;
    let client: String = row.try_get("client_id")?;
    let client_id: ClientId = client.parse().map_err(|_| StoreError::Corrupt {
        what: "matter client",
    })?;
    if !key_cache.contains_key(client_id.as_str()) {
        let key = matter_client_key(conn, keys, &client_id).await?;
        key_cache.insert(client_id.to_string(), key);
    }
    let key = key_cache
        .get(client_id.as_str())
        .ok_or(StoreError::UnknownClient)?;
    let ct: Vec<u8> = row.try_get("body_ct")?;
    let body = open_json(key, "matters", &id, &client_id, &ct)?;
    let case: Option<String> = row.try_get("case_id")?;
    let steps = query(
        "SELECT id, kind, at, actor, body_ct, mac FROM matter_events WHERE matter_id = $1 ORDER BY seq",
    )
    .bind(&id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(steps.len());
    for s in steps {
        let sid: String = s.try_get("id")?;
        let kind: String = s.try_get("kind")?;
        let at: i64 = s.try_get("at")?;
        let actor: String = s.try_get("actor")?;
        let ct: Vec<u8> = s.try_get("body_ct")?;
        let mac: Vec<u8> = s.try_get("mac")?;
        let plain = open_text(key, "matter_events", "body_ct", &sid, client_id.as_str(), &ct)?;
        let want = step_mac(keys, &sid, &id, &kind, at, &actor, plain.as_bytes());
        if mac.as_slice() != want.as_slice() {
            return Err(StoreError::Corrupt {
                what: "a matter step's signature does not verify",
            });
        }
        out.push(MatterStep {
            kind: kind.parse().map_err(|_| StoreError::Corrupt {
                what: "matter step kind",
            })?,
            id: sid,
            at: Timestamp(at),
            actor,
            body: serde_json::from_str(&plain).map_err(|_| StoreError::Corrupt {
                what: "matter step body",
            })?,
            signature: hex_lower(&mac),
        });
    }
    Ok(StoredMatter {
        id: id.parse().map_err(|_| StoreError::Corrupt { what: "matter id" })?,
        client_id,
        case_id: case
            .map(|c| c.parse())
            .transpose()
            .map_err(|_| StoreError::Corrupt {
                what: "matter case",
            })?,
        opened_at: Timestamp(row.try_get("opened_at")?),
        opened_by: row.try_get("opened_by")?,
        closed_at: row.try_get::<Option<i64>, _>("closed_at")?.map(Timestamp),
        body,
        steps: out,
    })
}

fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}

pub(crate) async fn get_matter(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    id: &MatterId,
) -> Result<StoredMatter> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let row = query(
        "SELECT id, client_id, case_id, opened_at, opened_by, closed_at, body_ct FROM matters WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::UnknownRecord { kind: "matter" })?;
    let mut cache = HashMap::new();
    let m = read_matter(&mut tx, keys, &row, &mut cache).await?;
    let mut ids = vec![m.id.to_string(), m.client_id.to_string()];
    ids.extend(m.steps.iter().map(|s| s.id.clone()));
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::MatterRead, ids)]).await?;
    tx.commit().await?;
    Ok(m)
}

pub(crate) async fn list_matters(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    client: &ClientId,
) -> Result<Vec<StoredMatter>> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let mut cache = HashMap::new();
    cache.insert(
        client.to_string(),
        matter_client_key(&mut tx, keys, client).await?,
    );
    let rows = query(
        "SELECT id, client_id, case_id, opened_at, opened_by, closed_at, body_ct FROM matters \
         WHERE client_id = $1 ORDER BY seq",
    )
    .bind(client.as_str())
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(read_matter(&mut tx, keys, r, &mut cache).await?);
    }
    let mut ids = vec![client.to_string()];
    ids.extend(out.iter().map(|m| m.id.to_string()));
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::MatterList, ids)]).await?;
    tx.commit().await?;
    Ok(out)
}

pub(crate) async fn append_step(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    matter: &MatterId,
    expect_steps: usize,
    step: &NewStep,
) -> Result<AppendedStep> {
    let body = serde_json::to_vec(&step.body).map_err(|_| StoreError::Corrupt {
        what: "matter step does not serialise",
    })?;
    let id = match step.kind {
        StepKind::PackageBuilt => PackageId::from_bytes(new_id_bytes()).to_string(),
        _ => MatterEventId::from_bytes(new_id_bytes()).to_string(),
    };
    if step.disclosure.is_some() != (step.kind == StepKind::PackageDelivered) {
        return Err(StoreError::Corrupt {
            what: "a disclosure is recorded with exactly the delivery step",
        });
    }
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let row = query("SELECT client_id, closed_at FROM matters WHERE id = $1")
        .bind(matter.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::UnknownRecord { kind: "matter" })?;
    if row.try_get::<Option<i64>, _>("closed_at")?.is_some() {
        return Err(StoreError::MatterClosed);
    }
    let client: String = row.try_get("client_id")?;
    let client: ClientId = client.parse().map_err(|_| StoreError::Corrupt {
        what: "matter client",
    })?;
    let n = query("SELECT COUNT(*) AS n FROM matter_events WHERE matter_id = $1")
        .bind(matter.as_str())
        .fetch_one(&mut *tx)
        .await?;
    if usize::try_from(n.try_get::<i64, _>("n")?).ok() != Some(expect_steps) {
        return Err(StoreError::MatterChanged);
    }
    let key = matter_client_key(&mut tx, keys, &client).await?;
    let at = now_micros();
    let mac = step_mac(keys, &id, matter.as_str(), step.kind.as_str(), at, actor, &body);
    query(
        "INSERT INTO matter_events (id, matter_id, client_id, kind, at, actor, body_ct, mac) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(matter.as_str())
    .bind(client.as_str())
    .bind(step.kind.as_str())
    .bind(at)
    .bind(actor)
    .bind(seal_json(&key, "matter_events", &id, &client, &body))
    .bind(mac.to_vec())
    .execute(&mut *tx)
    .await?;
    let mut ids = vec![id.clone(), matter.to_string(), client.to_string()];
    let mut disclosure_id = None;
    if let Some(d) = &step.disclosure {
        let did = DisclosureId::from_bytes(new_id_bytes());
        let dbody = serde_json::to_vec(&d.body).map_err(|_| StoreError::Corrupt {
            what: "disclosure does not serialise",
        })?;
        query(
            "INSERT INTO disclosures (id, client_id, matter_id, package_id, record_id, at, manifest_hash, body_ct) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(did.as_str())
        .bind(client.as_str())
        .bind(matter.as_str())
        .bind(d.package_id.as_str())
        .bind(d.record_id.as_str())
        .bind(at)
        .bind(&d.manifest_hash)
        .bind(seal_json(&key, "disclosures", did.as_str(), &client, &dbody))
        .execute(&mut *tx)
        .await?;
        ids.push(did.to_string());
        ids.push(d.package_id.to_string());
        disclosure_id = Some(did);
    }
    if step.kind == StepKind::Closed {
        query("UPDATE matters SET closed_at = $1 WHERE id = $2")
            .bind(at)
            .bind(matter.as_str())
            .execute(&mut *tx)
            .await?;
    }
    write_entries(
        &mut tx,
        keys,
        &mut chain,
        vec![draft(actor, step.kind.action(), ids)],
    )
    .await?;
    fault_point(step.kind);
    tx.commit().await?;
    Ok(AppendedStep {
        id,
        at: Timestamp(at),
        disclosure_id,
    })
}

pub(crate) async fn list_disclosures(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    client: &ClientId,
) -> Result<Vec<Disclosure>> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = matter_client_key(&mut tx, keys, client).await?;
    let rows = query(
        "SELECT id, matter_id, package_id, record_id, at, manifest_hash, body_ct FROM disclosures \
         WHERE client_id = $1 ORDER BY seq",
    )
    .bind(client.as_str())
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        let ct: Vec<u8> = r.try_get("body_ct")?;
        let corrupt = |what| move |_| StoreError::Corrupt { what };
        out.push(Disclosure {
            body: open_json(&key, "disclosures", &id, client, &ct)?,
            id: id.parse().map_err(corrupt("disclosure id"))?,
            client_id: client.clone(),
            matter_id: r
                .try_get::<String, _>("matter_id")?
                .parse()
                .map_err(corrupt("disclosure matter"))?,
            package_id: r
                .try_get::<String, _>("package_id")?
                .parse()
                .map_err(corrupt("disclosure package"))?,
            record_id: r.try_get("record_id")?,
            at: Timestamp(r.try_get("at")?),
            manifest_hash: r.try_get("manifest_hash")?,
        });
    }
    let mut ids = vec![client.to_string()];
    ids.extend(out.iter().map(|d| d.id.to_string()));
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::DisclosureList, ids)])
        .await?;
    tx.commit().await?;
    Ok(out)
}

/// The matter a step (e.g. a package) belongs to. Not audited: it reveals
/// ids only, and every use of it is followed by an audited read.
pub(crate) async fn matter_of_step(pool: &Pool, _keys: &Keys, step: &str) -> Result<MatterId> {
    let row = query("SELECT matter_id FROM matter_events WHERE id = $1")
        .bind(step)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::UnknownRecord { kind: "package" })?;
    let id: String = row.try_get("matter_id")?;
    id.parse().map_err(|_| StoreError::Corrupt { what: "matter id" })
}
