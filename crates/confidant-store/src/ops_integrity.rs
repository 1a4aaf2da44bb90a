// Sealed metadata, row MACs, link digests, per-client digests and the store
// manifest (issue 8 part A), compiled once per backend like `ops.rs`
// (included after it into the same module). Formats: `integrity.rs`.
//
// The rules every operation follows:
// - a read checks the MAC of every row it returns and opens its sealed
//   metadata; a list read also checks the client's digest (a deleted or
//   added row of that client fails);
// - a write first checks the manifest and the digest of every client it
//   touches (so it never re-signs over a deleted or replayed row), then
//   changes the rows, recomputes those digests and the manifest, and the
//   manifest is signed with the checkpoint in `write_entries`.

use crate::retention_model::ClientActivity;
use crate::integrity::{
    CASES_DIGEST_ID, Field, RECORDS_FORMAT, RowRef, client_digest, flags_meta, link_digest,
    manifest, manifest_message, pad, row_mac, seal_meta, unpad,
};

pub(crate) const CLIENT_COLS: &str = "id, created_at, name_ct, dob_ct, email_ct, phone_ct, address_ct, \
     postcode_ct, nhs_number_ct, meta_ct, mac";
pub(crate) const NOTE_COLS: &str =
    "id, client_id, case_id, author_id, created_at, shared, text_ct, meta_ct, mac";
pub(crate) const CONSENT_COLS: &str = "id, client_id, case_id, evidence_ct, meta_ct, mac";
pub(crate) const HOLD_COLS: &str = "id, client_id, meta_ct, mac";
pub(crate) const CASE_COLS: &str = "id, kind, created_at, parties_ct, mac";

type DbRow = <Db as sqlx::Database>::Row;

fn tampered(table: &'static str, row: &str) -> StoreError {
    StoreError::Tampered {
        table,
        row: row.to_owned(),
    }
}

/// The MAC a row of `table` must carry, from its stored columns (the
/// column sets above).
fn expected_mac(keys: &Keys, table: &'static str, r: &DbRow) -> Result<[u8; 32]> {
    let id: String = r.try_get("id")?;
    let b = |c: &str| -> Result<Option<Vec<u8>>> { Ok(r.try_get::<Option<Vec<u8>>, _>(c)?) };
    let t = |c: &str| -> Result<Option<String>> { Ok(r.try_get::<Option<String>, _>(c)?) };
    let i = |c: &str| -> Result<Option<i64>> { Ok(r.try_get::<Option<i64>, _>(c)?) };
    Ok(match table {
        "clients" => {
            let cols: Vec<Option<Vec<u8>>> = [
                "name_ct",
                "dob_ct",
                "email_ct",
                "phone_ct",
                "address_ct",
                "postcode_ct",
                "nhs_number_ct",
                "meta_ct",
            ]
            .iter()
            .map(|c| b(c))
            .collect::<Result<_>>()?;
            let mut fields = vec![Field::Int(i("created_at")?)];
            fields.extend(cols.iter().map(|c| Field::Bytes(c.as_deref())));
            row_mac(&keys.records, table, &id, &id, &fields)
        }
        "notes" => {
            let client: String = r.try_get("client_id")?;
            let (case, author, text, meta) = (t("case_id")?, t("author_id")?, b("text_ct")?, b("meta_ct")?);
            row_mac(
                &keys.records,
                table,
                &id,
                &client,
                &[
                    Field::Text(case.as_deref()),
                    Field::Text(author.as_deref()),
                    Field::Int(i("created_at")?),
                    Field::Int(i("shared")?),
                    Field::Bytes(text.as_deref()),
                    Field::Bytes(meta.as_deref()),
                ],
            )
        }
        "consents" => {
            let client: String = r.try_get("client_id")?;
            let (case, ev, meta) = (t("case_id")?, b("evidence_ct")?, b("meta_ct")?);
            row_mac(
                &keys.records,
                table,
                &id,
                &client,
                &[
                    Field::Text(case.as_deref()),
                    Field::Bytes(ev.as_deref()),
                    Field::Bytes(meta.as_deref()),
                ],
            )
        }
        "legal_holds" => {
            let client: String = r.try_get("client_id")?;
            let meta = b("meta_ct")?;
            row_mac(&keys.records, table, &id, &client, &[Field::Bytes(meta.as_deref())])
        }
        _ => {
            // cases
            let (kind, parties) = (t("kind")?, b("parties_ct")?);
            row_mac(
                &keys.records,
                "cases",
                &id,
                "",
                &[
                    Field::Text(kind.as_deref()),
                    Field::Int(i("created_at")?),
                    Field::Bytes(parties.as_deref()),
                ],
            )
        }
    })
}

/// Checks a fetched row's MAC; the error names the table and row.
fn check_row(keys: &Keys, table: &'static str, r: &DbRow) -> Result<()> {
    let id: String = r.try_get("id")?;
    if !keys.records_sealed() {
        return Err(StoreError::UpgradePending);
    }
    let stored: Option<Vec<u8>> = r.try_get("mac")?;
    let want = expected_mac(keys, table, r)?;
    match stored {
        Some(m) if m.as_slice() == want.as_slice() => Ok(()),
        _ => Err(tampered(table, &id)),
    }
}

/// Recomputes and stores the MAC of one row after it changed.
async fn remac(conn: &mut Conn, keys: &Keys, table: &'static str, id: &str) -> Result<Vec<u8>> {
    let cols = match table {
        "clients" => CLIENT_COLS,
        "notes" => NOTE_COLS,
        "consents" => CONSENT_COLS,
        "legal_holds" => HOLD_COLS,
        _ => CASE_COLS,
    };
    let row = query(&format!("SELECT {cols} FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| tampered(table, id))?;
    let mac = expected_mac(keys, table, &row)?.to_vec();
    drop(row);
    query(&format!("UPDATE {table} SET mac = $1 WHERE id = $2"))
        .bind(mac.clone())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(mac)
}

/// Opens a row's sealed metadata; anything wrong is tampering with that row.
fn open_meta(
    key: &DataKey,
    table: &'static str,
    row: &str,
    client: &str,
    ct: Option<&[u8]>,
) -> Result<serde_json::Value> {
    let ct = ct.ok_or_else(|| tampered(table, row))?;
    let plain = confidant_crypto::open(key, &aad(table, "meta_ct", row, client), ct)
        .map_err(|_| tampered(table, row))?;
    let inner = unpad(&plain).ok_or_else(|| tampered(table, row))?;
    serde_json::from_slice(inner).map_err(|_| tampered(table, row))
}

fn meta_str<'a>(m: &'a serde_json::Value, k: &str, table: &'static str, row: &str) -> Result<&'a str> {
    m.get(k).and_then(|v| v.as_str()).ok_or_else(|| tampered(table, row))
}

fn meta_bool(m: &serde_json::Value, k: &str, table: &'static str, row: &str) -> Result<bool> {
    m.get(k).and_then(|v| v.as_bool()).ok_or_else(|| tampered(table, row))
}

fn meta_time(m: &serde_json::Value, k: &str, table: &'static str, row: &str) -> Result<Option<Timestamp>> {
    match m.get(k) {
        Some(serde_json::Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(|t| Some(Timestamp(t))).ok_or_else(|| tampered(table, row)),
        None => Err(tampered(table, row)),
    }
}

fn flags_from_meta(m: &serde_json::Value, id: &str) -> Result<ClientFlags> {
    Ok(ClientFlags {
        protected: meta_bool(m, "protected", "clients", id)?,
        capacity_concern: meta_bool(m, "capacity_concern", "clients", id)?,
        parental_responsibility_held_elsewhere: meta_bool(m, "parental_responsibility", "clients", id)?,
        work_ended: meta_bool(m, "work_ended", "clients", id)?,
    })
}

/// A client's flags from a checked `clients` row (CLIENT_COLS).
fn client_flags(keys: &Keys, key: &DataKey, r: &DbRow) -> Result<ClientFlags> {
    check_row(keys, "clients", r)?;
    let id: String = r.try_get("id")?;
    let meta: Option<Vec<u8>> = r.try_get("meta_ct")?;
    let m = open_meta(key, "clients", &id, &id, meta.as_deref())?;
    flags_from_meta(&m, &id)
}

fn consent_meta(
    purpose: &str,
    form: &str,
    status: &str,
    recorded_at: i64,
    given_at: Option<i64>,
    withdrawn_at: Option<i64>,
) -> serde_json::Value {
    serde_json::json!({
        "purpose": purpose,
        "form": form,
        "status": status,
        "recorded_at": recorded_at,
        "given_at": given_at,
        "withdrawn_at": withdrawn_at,
    })
}

/// A consent from a `consents` row (CONSENT_COLS), checked and opened.
fn consent_from_row(keys: &Keys, key: &DataKey, client: &ClientId, r: &DbRow) -> Result<Consent> {
    check_row(keys, "consents", r)?;
    let id: String = r.try_get("id")?;
    let owner: String = r.try_get("client_id")?;
    if owner != client.as_str() {
        return Err(tampered("consents", &id));
    }
    let meta: Option<Vec<u8>> = r.try_get("meta_ct")?;
    let m = open_meta(key, "consents", &id, client.as_str(), meta.as_deref())?;
    let ev: Option<Vec<u8>> = r.try_get("evidence_ct")?;
    let evidence = ev
        .map(|ct| open_text(key, "consents", "evidence_ct", &id, client.as_str(), &ct))
        .transpose()?;
    let case_id: Option<String> = r.try_get("case_id")?;
    let bad = || tampered("consents", &id);
    Ok(Consent {
        id: id.parse().map_err(|_| bad())?,
        client_id: client.clone(),
        case_id: case_id.map(|c| c.parse()).transpose().map_err(|_| bad())?,
        purpose: meta_str(&m, "purpose", "consents", &id)?.parse().map_err(|_| bad())?,
        form: meta_str(&m, "form", "consents", &id)?.parse().map_err(|_| bad())?,
        status: meta_str(&m, "status", "consents", &id)?.parse().map_err(|_| bad())?,
        recorded_at: meta_time(&m, "recorded_at", "consents", &id)?.ok_or_else(bad)?,
        given_at: meta_time(&m, "given_at", "consents", &id)?,
        withdrawn_at: meta_time(&m, "withdrawn_at", "consents", &id)?,
        evidence,
    })
}

fn hold_meta(reason: &str, placed_at: i64, placed_by: &str, released_at: Option<i64>) -> serde_json::Value {
    serde_json::json!({
        "reason": reason,
        "placed_at": placed_at,
        "placed_by": placed_by,
        "released_at": released_at,
    })
}

/// A legal hold from a `legal_holds` row (HOLD_COLS), checked and opened.
fn hold_from_row(keys: &Keys, key: &DataKey, client: &ClientId, r: &DbRow) -> Result<LegalHold> {
    check_row(keys, "legal_holds", r)?;
    let id: String = r.try_get("id")?;
    let owner: String = r.try_get("client_id")?;
    if owner != client.as_str() {
        return Err(tampered("legal_holds", &id));
    }
    let meta: Option<Vec<u8>> = r.try_get("meta_ct")?;
    let m = open_meta(key, "legal_holds", &id, client.as_str(), meta.as_deref())?;
    let bad = || tampered("legal_holds", &id);
    Ok(LegalHold {
        id: id.parse().map_err(|_| bad())?,
        client_id: client.clone(),
        reason: meta_str(&m, "reason", "legal_holds", &id)?.parse().map_err(|_| bad())?,
        placed_at: meta_time(&m, "placed_at", "legal_holds", &id)?.ok_or_else(bad)?,
        placed_by: meta_str(&m, "placed_by", "legal_holds", &id)?.to_owned(),
        released_at: meta_time(&m, "released_at", "legal_holds", &id)?,
    })
}

/// Every legal hold of a client, checked (the caller holds the key).
async fn holds_of(conn: &mut Conn, keys: &Keys, key: &DataKey, client: &ClientId) -> Result<Vec<LegalHold>> {
    let rows = query(&format!(
        "SELECT {HOLD_COLS} FROM legal_holds WHERE client_id = $1 ORDER BY seq"
    ))
    .bind(client.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| hold_from_row(keys, key, client, r)).collect()
}

/// A note's parties from its checked row (NOTE_COLS): the sealed list,
/// which must agree with the stored link digests (`links`: the digests
/// stored for this note).
fn note_parties_from_row(
    keys: &Keys,
    key: &DataKey,
    r: &DbRow,
    links: Option<&[String]>,
) -> Result<Vec<ClientId>> {
    let id: String = r.try_get("id")?;
    let owner: String = r.try_get("client_id")?;
    let meta: Option<Vec<u8>> = r.try_get("meta_ct")?;
    let m = open_meta(key, "notes", &id, &owner, meta.as_deref())?;
    let list = m
        .get("parties")
        .and_then(|v| v.as_array())
        .ok_or_else(|| tampered("notes", &id))?;
    let mut parties = Vec::with_capacity(list.len());
    for p in list {
        let p: ClientId = p
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| tampered("notes", &id))?;
        parties.push(p);
    }
    if let Some(links) = links {
        let mut want: Vec<String> = parties
            .iter()
            .map(|p| link_digest(&keys.links, "note_parties", &id, p.as_str()))
            .collect();
        want.sort();
        let mut have = links.to_vec();
        have.sort();
        if want != have {
            return Err(tampered("note_parties", &id));
        }
    }
    Ok(parties)
}

/// The link digests stored for each of `client`'s notes.
async fn note_links_of(conn: &mut Conn, client: &str) -> Result<HashMap<String, Vec<String>>> {
    let rows = query(
        "SELECT np.note_id, np.party FROM note_parties np JOIN notes n ON n.id = np.note_id \
         WHERE n.client_id = $1",
    )
    .bind(client)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows {
        out.entry(r.try_get("note_id")?)
            .or_default()
            .push(r.try_get("party")?);
    }
    Ok(out)
}

/// A case's parties from its checked row (CASE_COLS), against the stored
/// link digests.
async fn case_parties_checked(conn: &mut Conn, keys: &Keys, r: &DbRow) -> Result<Vec<ClientId>> {
    check_row(keys, "cases", r)?;
    let id: String = r.try_get("id")?;
    let ct: Option<Vec<u8>> = r.try_get("parties_ct")?;
    let ct = ct.ok_or_else(|| tampered("cases", &id))?;
    let plain = confidant_crypto::open(&keys.case_parties, &aad("cases", "parties_ct", &id, ""), &ct)
        .map_err(|_| tampered("cases", &id))?;
    let inner = unpad(&plain).ok_or_else(|| tampered("cases", &id))?;
    let list: Vec<String> = serde_json::from_slice(inner).map_err(|_| tampered("cases", &id))?;
    let parties: Vec<ClientId> = list
        .iter()
        .map(|p| p.parse().map_err(|_| tampered("cases", &id)))
        .collect::<Result<_>>()?;
    let rows = query("SELECT party FROM case_parties WHERE case_id = $1")
        .bind(id.as_str())
        .fetch_all(&mut *conn)
        .await?;
    let mut have: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("party"))
        .collect::<Result<_, _>>()?;
    have.sort();
    let mut want: Vec<String> = parties
        .iter()
        .map(|p| link_digest(&keys.links, "case_parties", &id, p.as_str()))
        .collect();
    want.sort();
    if have != want {
        return Err(tampered("case_parties", &id));
    }
    Ok(parties)
}

fn seal_case_parties(keys: &Keys, case: &str, parties: &[String]) -> Vec<u8> {
    let json = serde_json::Value::from(parties.to_vec()).to_string();
    let plain = zeroize::Zeroizing::new(pad(json.as_bytes()));
    seal(&keys.case_parties, &aad("cases", "parties_ct", case, ""), &plain)
}

/// The rows that make up a client's digest (or, for `CASES_DIGEST_ID`,
/// every case and case link).
async fn digest_rows(conn: &mut Conn, client: &str) -> Result<Vec<RowRef>> {
    if client == CASES_DIGEST_ID {
        return cases_digest_rows(conn).await;
    }
    // One round trip for the five row sets (a read checks this on every
    // view): the table name comes back as a small code.
    let rows = query(
        "SELECT CAST(0 AS BIGINT) AS t, id AS r, mac AS m FROM clients WHERE id = $1 \
         UNION ALL SELECT CAST(1 AS BIGINT) AS t, id AS r, mac AS m FROM notes WHERE client_id = $1 \
         UNION ALL SELECT CAST(2 AS BIGINT) AS t, np.note_id || ':' || np.party AS r, NULL AS m FROM note_parties np \
           JOIN notes n ON n.id = np.note_id WHERE n.client_id = $1 \
         UNION ALL SELECT CAST(3 AS BIGINT) AS t, id AS r, mac AS m FROM consents WHERE client_id = $1 \
         UNION ALL SELECT CAST(4 AS BIGINT) AS t, id AS r, mac AS m FROM legal_holds WHERE client_id = $1",
    )
    .bind(client)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<RowRef> = Vec::with_capacity(rows.len());
    for r in rows {
        let code: i64 = r.try_get("t")?;
        let table: &'static str = match code {
            0 => "clients",
            1 => "notes",
            2 => "note_parties",
            3 => "consents",
            4 => "legal_holds",
            _ => return Err(StoreError::Corrupt { what: "digest row set" }),
        };
        let id: String = r.try_get("r")?;
        let mac: Option<Vec<u8>> = if table == "note_parties" { None } else { r.try_get("m")? };
        out.push((table, id, mac.unwrap_or_default()));
    }
    Ok(out)
}

/// The rows of the `CASES_DIGEST_ID` digest: every case and case link.
async fn cases_digest_rows(conn: &mut Conn) -> Result<Vec<RowRef>> {
    let mut out: Vec<RowRef> = Vec::new();
    for (table, sql) in [
        ("cases", "SELECT id AS r, mac AS m FROM cases"),
        ("case_parties", "SELECT case_id || ':' || party AS r FROM case_parties"),
    ] {
        let rows = query(sql).fetch_all(&mut *conn).await?;
        for r in rows {
            let id: String = r.try_get("r")?;
            let mac: Option<Vec<u8>> = if table == "cases" { r.try_get("m")? } else { None };
            out.push((table, id, mac.unwrap_or_default()));
        }
    }
    Ok(out)
}

async fn stored_digest(conn: &mut Conn, client: &str) -> Result<Option<Vec<u8>>> {
    let row = query("SELECT digest FROM client_digests WHERE client_id = $1")
        .bind(client)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get("digest")).transpose()?)
}

/// Checks a client's rows against their stored digest: a deleted, added,
/// moved or replayed row of that client fails.
async fn check_client_digest(conn: &mut Conn, keys: &Keys, client: &str) -> Result<()> {
    if !keys.records_sealed() {
        return Err(StoreError::UpgradePending);
    }
    let mut rows = digest_rows(conn, client).await?;
    let stored = stored_digest(conn, client).await?;
    let ok = match stored {
        None => rows.is_empty(),
        Some(d) => d.as_slice() == client_digest(&keys.records, client, &mut rows).as_slice(),
    };
    if ok { Ok(()) } else { Err(tampered("client_digests", client)) }
}

/// Recomputes a client's digest from their rows (removes it when none are
/// left), after a change.
async fn refresh_client_digest(conn: &mut Conn, keys: &Keys, client: &str) -> Result<()> {
    let mut rows = digest_rows(conn, client).await?;
    if rows.is_empty() {
        query("DELETE FROM client_digests WHERE client_id = $1")
            .bind(client)
            .execute(&mut *conn)
            .await?;
        return Ok(());
    }
    let digest = client_digest(&keys.records, client, &mut rows);
    query(
        "INSERT INTO client_digests (client_id, digest) VALUES ($1, $2) \
         ON CONFLICT (client_id) DO UPDATE SET digest = excluded.digest",
    )
    .bind(client)
    .bind(digest.to_vec())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn computed_manifest(conn: &mut Conn, keys: &Keys) -> Result<[u8; 32]> {
    let rows = query("SELECT client_id, digest FROM client_digests")
        .fetch_all(&mut *conn)
        .await?;
    let mut digests: Vec<(String, Vec<u8>)> = rows
        .iter()
        .map(|r| Ok((r.try_get("client_id")?, r.try_get("digest")?)))
        .collect::<Result<_>>()?;
    Ok(manifest(&keys.records, &mut digests))
}

/// The client digests agree with the manifest signed with the checkpoint
/// (whose signature `lock_chain` checked).
async fn check_manifest(conn: &mut Conn, keys: &Keys) -> Result<()> {
    let row = query("SELECT manifest FROM audit_state WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let stored: Option<Vec<u8>> = row.try_get("manifest")?;
    drop(row);
    let want = computed_manifest(conn, keys).await?;
    match stored {
        Some(m) if m.as_slice() == want.as_slice() => Ok(()),
        _ => Err(StoreError::ManifestInvalid),
    }
}

async fn refresh_manifest(conn: &mut Conn, keys: &Keys) -> Result<()> {
    let m = computed_manifest(conn, keys).await?;
    query("UPDATE audit_state SET manifest = $1 WHERE id = 1")
        .bind(m.to_vec())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Before a write: the manifest and the digests of the clients it touches
/// are intact (a write must never re-sign over tampering).
async fn begin_write(conn: &mut Conn, keys: &Keys, clients: &[&str]) -> Result<()> {
    check_manifest(conn, keys).await?;
    for c in clients {
        check_client_digest(conn, keys, c).await?;
    }
    Ok(())
}

/// After a write: the touched digests and the manifest, recomputed (signed
/// with the checkpoint by `write_entries`).
async fn end_write(conn: &mut Conn, keys: &Keys, clients: &[&str]) -> Result<()> {
    for c in clients {
        refresh_client_digest(conn, keys, c).await?;
    }
    refresh_manifest(conn, keys).await
}

/// Checks the manifest's signature bound to the checkpoint `lock_chain`
/// just verified.
fn check_manifest_signature(
    keys: &Keys,
    checkpoint: &confidant_audit::Checkpoint,
    manifest: Option<Vec<u8>>,
    sig: Option<Vec<u8>>,
) -> Result<()> {
    let Some(m) = manifest else {
        return if keys.records_sealed() {
            Err(StoreError::ManifestInvalid)
        } else {
            Ok(())
        };
    };
    let Some(pk) = keys.verifying_key() else {
        // A sealed store always signs: no recorded key is tampering.
        return if keys.records_sealed() {
            Err(match &keys.signer {
                Some(_) => StoreError::AuditKeyRecordMissing,
                None => StoreError::ManifestInvalid,
            })
        } else {
            Ok(())
        };
    };
    let ok = sig
        .and_then(|s| <[u8; 64]>::try_from(s.as_slice()).ok())
        .is_some_and(|s| pk.verify(&manifest_message(checkpoint.count, &checkpoint.head_hash, &m), &s));
    if ok { Ok(()) } else { Err(StoreError::ManifestInvalid) }
}

/// The manifest signature for the checkpoint about to be written.
async fn manifest_signature(conn: &mut Conn, keys: &Keys, cp: &confidant_audit::Checkpoint) -> Result<Option<Vec<u8>>> {
    let row = query("SELECT manifest FROM audit_state WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let m: Option<Vec<u8>> = row.try_get("manifest")?;
    Ok(match (&keys.signer, m) {
        (Some(s), Some(m)) => Some(s.sign(&manifest_message(cp.count, &cp.head_hash, &m)).to_vec()),
        _ => None,
    })
}

// ------------------------------------------------------------------ retention

/// Every client with the dates a retention rule can start from, oldest
/// first: `work_ended` and the standing holds come from the sealed,
/// checked rows; a shared note counts for every party in its sealed list.
pub(crate) async fn client_activity(pool: &Pool, keys: &Keys) -> Result<Vec<ClientActivity>> {
    let mut conn = pool.begin().await?;
    if <Db as sqlx::Database>::NAME == "PostgreSQL" {
        query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *conn)
            .await?;
    }
    let clients = query(&format!("SELECT {CLIENT_COLS} FROM clients ORDER BY seq"))
        .fetch_all(&mut *conn)
        .await?;
    let mut client_keys: HashMap<String, DataKey> = HashMap::new();
    let mut out = Vec::with_capacity(clients.len());
    for r in &clients {
        let id: String = r.try_get("id")?;
        let cid: ClientId = id.parse().map_err(|_| tampered("clients", &id))?;
        let key = client_key(&mut conn, keys, &cid).await?;
        let flags = client_flags(keys, &key, r)?;
        let open_holds = holds_of(&mut conn, keys, &key, &cid)
            .await?
            .iter()
            .filter(|h| h.released_at.is_none())
            .count() as u64;
        let last: Option<i64> = query("SELECT MAX(created_at) AS m FROM notes WHERE client_id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *conn)
            .await?
            .try_get("m")?;
        out.push(ClientActivity {
            id: cid,
            created_at: Timestamp(r.try_get("created_at")?),
            work_ended: flags.work_ended,
            last_note_at: last.map(Timestamp),
            open_holds,
        });
        client_keys.insert(id, key);
    }
    drop(clients);
    // A joint note is each party's last session too.
    let shared = query(&format!("SELECT {NOTE_COLS} FROM notes WHERE shared = 1"))
        .fetch_all(&mut *conn)
        .await?;
    let mut latest: HashMap<ClientId, i64> = HashMap::new();
    for n in &shared {
        check_row(keys, "notes", n)?;
        let owner: String = n.try_get("client_id")?;
        let Some(key) = client_keys.get(&owner) else {
            let id: String = n.try_get("id")?;
            return Err(tampered("notes", &id));
        };
        let at: i64 = n.try_get("created_at")?;
        for p in note_parties_from_row(keys, key, n, None)? {
            let e = latest.entry(p).or_insert(at);
            *e = (*e).max(at);
        }
    }
    drop(shared);
    for a in &mut out {
        if let Some(at) = latest.get(&a.id) {
            let at = Timestamp(*at);
            a.last_note_at = Some(a.last_note_at.map_or(at, |l| l.max(at)));
        }
    }
    conn.rollback().await?;
    Ok(out)
}

// ------------------------------------------------------------------ store verify

/// What `store verify` checked.
pub(crate) async fn verify_store(pool: &Pool, keys: &Keys) -> Result<crate::integrity::StoreSummary> {
    let mut conn = pool.begin().await?;
    if <Db as sqlx::Database>::NAME == "PostgreSQL" {
        query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *conn)
            .await?;
    }
    if keys.format_marker_missing.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(StoreError::RecordsFormatTampered);
    }
    if !keys.records_sealed() {
        return Err(StoreError::UpgradePending);
    }
    // The manifest's signature over the checkpoint.
    let st = query("SELECT count, head_hash, mac, manifest, manifest_sig FROM audit_state WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotInitialised)?;
    let checkpoint = checkpoint_from_parts(st.try_get("count")?, st.try_get("head_hash")?, st.try_get("mac")?)
        .ok_or(StoreError::AuditCheckpointInvalid)?;
    let m: Option<Vec<u8>> = st.try_get("manifest")?;
    let msig: Option<Vec<u8>> = st.try_get("manifest_sig")?;
    drop(st);
    check_manifest_signature(keys, &checkpoint, m, msig)?;
    let mut summary = crate::integrity::StoreSummary::default();
    // Every client that has (or should have) rows.
    let mut ids: Vec<String> = Vec::new();
    for sql in [
        "SELECT id AS c FROM clients",
        "SELECT client_id AS c FROM notes",
        "SELECT client_id AS c FROM consents",
        "SELECT client_id AS c FROM legal_holds",
        "SELECT client_id AS c FROM client_digests",
    ] {
        for r in query(sql).fetch_all(&mut *conn).await? {
            ids.push(r.try_get("c")?);
        }
    }
    ids.sort();
    ids.dedup();
    for id in ids.iter().filter(|i| i.as_str() != CASES_DIGEST_ID) {
        let client: ClientId = id.parse().map_err(|_| tampered("client_digests", id))?;
        let wrapped = query("SELECT wrapped FROM data_keys WHERE owner_id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        let Some(wrapped) = wrapped else {
            return Err(tampered("clients", id));
        };
        let key = keys.unwrap(id, &wrapped.try_get::<Vec<u8>, _>("wrapped")?)?;
        let row = query(&format!("SELECT {CLIENT_COLS} FROM clients WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| tampered("clients", id))?;
        client_flags(keys, &key, &row)?;
        drop(row);
        let links = note_links_of(&mut conn, id).await?;
        let notes = query(&format!("SELECT {NOTE_COLS} FROM notes WHERE client_id = $1"))
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await?;
        for n in &notes {
            check_row(keys, "notes", n)?;
            let nid: String = n.try_get("id")?;
            let empty = Vec::new();
            note_parties_from_row(keys, &key, n, Some(links.get(&nid).unwrap_or(&empty)))?;
            summary.rows += 1;
        }
        let consents = query(&format!("SELECT {CONSENT_COLS} FROM consents WHERE client_id = $1"))
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await?;
        for c in &consents {
            consent_from_row(keys, &key, &client, c)?;
            summary.rows += 1;
        }
        summary.rows += holds_of(&mut conn, keys, &key, &client).await?.len() as u64;
        check_client_digest(&mut conn, keys, id).await?;
        summary.clients += 1;
        summary.rows += 1;
    }
    // Cases, their links, and links pointing at nothing.
    let cases = query(&format!("SELECT {CASE_COLS} FROM cases"))
        .fetch_all(&mut *conn)
        .await?;
    for c in &cases {
        case_parties_checked(&mut conn, keys, c).await?;
        summary.rows += 1;
    }
    for (table, sql) in [
        (
            "case_parties",
            "SELECT case_id AS r FROM case_parties WHERE case_id NOT IN (SELECT id FROM cases)",
        ),
        (
            "note_parties",
            "SELECT note_id AS r FROM note_parties WHERE note_id NOT IN (SELECT id FROM notes)",
        ),
    ] {
        if let Some(r) = query(sql).fetch_optional(&mut *conn).await? {
            let id: String = r.try_get("r")?;
            return Err(tampered(table, &id));
        }
    }
    check_client_digest(&mut conn, keys, CASES_DIGEST_ID).await?;
    check_manifest(&mut conn, keys).await?;
    conn.rollback().await?;
    Ok(summary)
}

// ------------------------------------------------------------------ upgrade

/// Whether the database's rows are in the sealed format.
pub(crate) async fn read_records_format(pool: &Pool, _keys: &Keys) -> Result<bool> {
    let row = query("SELECT v FROM meta WHERE k = 'records_format'")
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<Vec<u8>, _>("v")? == RECORDS_FORMAT.as_bytes(),
        None => false,
    })
}

/// Upgrades a schema-4 store (plaintext metadata, unauthenticated rows) in
/// one transaction: seals every plaintext column into `meta_ct` and blanks
/// it, turns links into keyed digests, computes every row MAC, client
/// digest and the manifest, and records `meta.records_format = 2` with one
/// `store.upgrade` audit entry.
pub(crate) async fn upgrade_records(pool: &Pool, keys: &Keys, actor: &str) -> Result<()> {
    // Never an unsigned upgrade: the sealed rows, MACs and manifest are
    // only worth what the signature over them is.
    if keys.signer.is_none() {
        return Err(StoreError::AuditSigningKeyMissing(keys.signer_path.display().to_string()));
    }
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let done = query("SELECT v FROM meta WHERE k = 'records_format'")
        .fetch_optional(&mut *tx)
        .await?;
    if done.is_some() {
        return Ok(());
    }
    let mut keyring: HashMap<String, DataKey> = HashMap::new();
    let clients = query(
        "SELECT id, protected, capacity_concern, parental_responsibility, work_ended FROM clients",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut client_ids = Vec::with_capacity(clients.len());
    for r in &clients {
        let id: String = r.try_get("id")?;
        let cid: ClientId = id.parse().map_err(corrupt("client id"))?;
        let key = client_key(&mut tx, keys, &cid).await?;
        let flag = |c: &str| -> Result<bool> { Ok(r.try_get::<i64, _>(c)? != 0) };
        let flags = ClientFlags {
            protected: flag("protected")?,
            capacity_concern: flag("capacity_concern")?,
            parental_responsibility_held_elsewhere: flag("parental_responsibility")?,
            work_ended: flag("work_ended")?,
        };
        let meta = seal_meta(&key, "clients", &id, &id, &flags_meta(&flags));
        query(
            "UPDATE clients SET meta_ct = $1, protected = 0, capacity_concern = 0, \
             parental_responsibility = 0, work_ended = 0 WHERE id = $2",
        )
        .bind(meta)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        remac(&mut tx, keys, "clients", &id).await?;
        // The blind index of schema 4 (a full digest per name and per part,
        // linking clients who share one) becomes 256 buckets.
        let row = query("SELECT name_ct, nhs_number_ct FROM clients WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let name_ct: Vec<u8> = row.try_get("name_ct")?;
        let nhs_ct: Option<Vec<u8>> = row.try_get("nhs_number_ct")?;
        drop(row);
        let name = open_text_padded(&key, "clients", "name_ct", &id, &id, &name_ct)?;
        let nhs = nhs_ct
            .map(|ct| open_text_padded(&key, "clients", "nhs_number_ct", &id, &id, &ct))
            .transpose()?;
        query("DELETE FROM client_index WHERE client_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        for (kind, digest) in crate::keys::name_index(keys, &name, nhs.as_deref()) {
            query("INSERT INTO client_index (kind, digest, client_id) VALUES ($1, $2, $3)")
                .bind(kind)
                .bind(digest)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
        }
        keyring.insert(id.clone(), key);
        client_ids.push(id);
    }
    drop(clients);
    // Notes: parties from the plaintext links, sealed; links as digests.
    let notes = query("SELECT id, client_id FROM notes").fetch_all(&mut *tx).await?;
    for r in &notes {
        let id: String = r.try_get("id")?;
        let owner: String = r.try_get("client_id")?;
        let key = keyring.get(&owner).ok_or(StoreError::Corrupt { what: "note owner" })?;
        let links = query("SELECT party FROM note_parties WHERE note_id = $1")
            .bind(id.as_str())
            .fetch_all(&mut *tx)
            .await?;
        let mut parties: Vec<String> = links
            .iter()
            .map(|l| l.try_get::<String, _>("party"))
            .collect::<Result<_, _>>()?;
        if parties.is_empty() {
            parties.push(owner.clone());
        }
        parties.sort();
        parties.dedup();
        query("DELETE FROM note_parties WHERE note_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        for p in &parties {
            query("INSERT INTO note_parties (note_id, party) VALUES ($1, $2)")
                .bind(id.as_str())
                .bind(link_digest(&keys.links, "note_parties", &id, p))
                .execute(&mut *tx)
                .await?;
        }
        let meta = seal_meta(key, "notes", &id, &owner, &serde_json::json!({ "parties": parties }));
        query("UPDATE notes SET meta_ct = $1 WHERE id = $2")
            .bind(meta)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        remac(&mut tx, keys, "notes", &id).await?;
    }
    drop(notes);
    let consents = query(
        "SELECT id, client_id, purpose, form, status, recorded_at, given_at, withdrawn_at FROM consents",
    )
    .fetch_all(&mut *tx)
    .await?;
    for r in &consents {
        let id: String = r.try_get("id")?;
        let owner: String = r.try_get("client_id")?;
        let key = keyring.get(&owner).ok_or(StoreError::Corrupt { what: "consent owner" })?;
        let m = consent_meta(
            &r.try_get::<String, _>("purpose")?,
            &r.try_get::<String, _>("form")?,
            &r.try_get::<String, _>("status")?,
            r.try_get("recorded_at")?,
            r.try_get("given_at")?,
            r.try_get("withdrawn_at")?,
        );
        query(
            "UPDATE consents SET meta_ct = $1, purpose = '', form = '', status = '', recorded_at = 0, \
             given_at = NULL, withdrawn_at = NULL WHERE id = $2",
        )
        .bind(seal_meta(key, "consents", &id, &owner, &m))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        remac(&mut tx, keys, "consents", &id).await?;
    }
    drop(consents);
    let holds = query("SELECT id, client_id, reason, placed_at, placed_by, released_at FROM legal_holds")
        .fetch_all(&mut *tx)
        .await?;
    for r in &holds {
        let id: String = r.try_get("id")?;
        let owner: String = r.try_get("client_id")?;
        let key = keyring.get(&owner).ok_or(StoreError::Corrupt { what: "hold owner" })?;
        let m = hold_meta(
            &r.try_get::<String, _>("reason")?,
            r.try_get("placed_at")?,
            &r.try_get::<String, _>("placed_by")?,
            r.try_get("released_at")?,
        );
        query(
            "UPDATE legal_holds SET meta_ct = $1, reason = '', placed_at = 0, placed_by = '', \
             released_at = NULL WHERE id = $2",
        )
        .bind(seal_meta(key, "legal_holds", &id, &owner, &m))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        remac(&mut tx, keys, "legal_holds", &id).await?;
    }
    drop(holds);
    let cases = query("SELECT id FROM cases").fetch_all(&mut *tx).await?;
    for r in &cases {
        let id: String = r.try_get("id")?;
        let links = query("SELECT party FROM case_parties WHERE case_id = $1")
            .bind(id.as_str())
            .fetch_all(&mut *tx)
            .await?;
        let mut parties: Vec<String> = links
            .iter()
            .map(|l| l.try_get::<String, _>("party"))
            .collect::<Result<_, _>>()?;
        parties.sort();
        parties.dedup();
        query("DELETE FROM case_parties WHERE case_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        for p in &parties {
            query("INSERT INTO case_parties (case_id, party) VALUES ($1, $2)")
                .bind(id.as_str())
                .bind(link_digest(&keys.links, "case_parties", &id, p))
                .execute(&mut *tx)
                .await?;
        }
        query("UPDATE cases SET parties_ct = $1 WHERE id = $2")
            .bind(seal_case_parties(keys, &id, &parties))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        remac(&mut tx, keys, "cases", &id).await?;
    }
    drop(cases);
    client_ids.push(CASES_DIGEST_ID.to_owned());
    let refs: Vec<&str> = client_ids.iter().map(String::as_str).collect();
    end_write(&mut tx, keys, &refs).await?;
    query("INSERT INTO meta (k, v) VALUES ('records_format', $1)")
        .bind(RECORDS_FORMAT.as_bytes().to_vec())
        .execute(&mut *tx)
        .await?;
    write_entries(
        &mut tx,
        keys,
        &mut chain,
        vec![draft(
            actor,
            Action::StoreUpgrade,
            vec![crate::integrity::FORMAT_MARKER.to_owned()],
        )],
    )
    .await?;
    tx.commit().await?;
    keys.records_sealed.store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}
