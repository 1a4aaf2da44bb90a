// The store's operations, written once and compiled once per backend:
// `backend.rs` includes this file into a module per backend with `Db` set to
// `sqlx::Sqlite` or `sqlx::Postgres`. The SQL is the common subset both
// speak (`$n` binds, RETURNING, no backend-specific functions); where the
// backends differ (connection options, migrations, the WAL checkpoint after
// destruction) the difference lives in `backend.rs`, not here.
//
// Every writing transaction starts with `lock_chain`, whose UPDATE of the
// single audit_state row serialises writers on both backends (SQLite takes
// its write lock at the first write, PostgreSQL a row lock), and ends with
// `write_entries`, which appends the audit entries and re-signs the
// checkpoint in the same transaction as the change.

use sqlx::Row;

type Pool = sqlx::Pool<Db>;
type Conn = <Db as sqlx::Database>::Connection;

/// Rows per multi-row INSERT: well under both backends' bind limits.
const INSERT_CHUNK: usize = 400;

fn query(sql: &str) -> sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments<'_>> {
    sqlx::query::<Db>(sql)
}

/// Takes the writer lock and returns the chain as the signed checkpoint
/// describes it. A checkpoint that does not verify stops all writes: new
/// entries signed over a tampered log would launder the tampering.
pub(crate) async fn lock_chain(conn: &mut Conn, keys: &Keys) -> Result<Chain> {
    let row = query(
        "UPDATE audit_state SET writes = writes + 1 WHERE id = 1 \
         RETURNING count, head_hash, mac, sig, kek_gen, manifest, manifest_sig",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Err(StoreError::NotInitialised);
    };
    let checkpoint = checkpoint_from_parts(
        row.try_get("count")?,
        row.try_get("head_hash")?,
        row.try_get("mac")?,
    )
    .ok_or(StoreError::AuditCheckpointInvalid)?;
    if !checkpoint.verify(&keys.audit) {
        return Err(StoreError::AuditCheckpointInvalid);
    }
    check_signed_checkpoint(&checkpoint, row.try_get("sig")?, keys)?;
    check_manifest_signature(
        keys,
        &checkpoint,
        row.try_get("manifest")?,
        row.try_get("manifest_sig")?,
    )?;
    check_nothing_beyond_checkpoint(conn, &checkpoint).await?;
    let generation: i64 = row.try_get("kek_gen")?;
    drop(row);
    if keys.format_marker_missing.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(StoreError::RecordsFormatTampered);
    }
    // With a witness configured: the log must extend the last head it
    // holds (a rolled-back database is refused before anything is written).
    if let Some((published, hash)) = keys.witness_anchor() {
        if !extends_head(conn, &checkpoint, published, &hash).await? {
            return Err(StoreError::WitnessRollback {
                have: checkpoint.count,
                published,
            });
        }
    }
    keys.observe_generation(u32::try_from(generation).map_err(corrupt("key generation"))?)?;
    Ok(chain_at(&checkpoint))
}

/// Whether the log whose checkpoint is `checkpoint` extends the head
/// `(count, hash)` published earlier: it is at least that long and its
/// entry `count` is the one that head covers.
async fn extends_head(
    conn: &mut Conn,
    checkpoint: &confidant_audit::Checkpoint,
    count: u64,
    hash: &[u8; 32],
) -> Result<bool> {
    if checkpoint.count < count {
        return Ok(false);
    }
    if checkpoint.count == count {
        return Ok(checkpoint.head_hash == *hash);
    }
    if count == 0 {
        return Ok(*hash == confidant_audit::GENESIS_PREV_HASH);
    }
    let row = query("SELECT hash FROM audit_entries WHERE seq = $1")
        .bind(seq_to_i64(count))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<Vec<u8>, _>("hash")?.as_slice() == hash.as_slice(),
        None => false,
    })
}

/// Whether the committed log extends the head `(count, hash)` (checked
/// before a head is handed to the witness).
pub(crate) async fn log_extends(pool: &Pool, keys: &Keys, count: u64, hash: [u8; 32]) -> Result<bool> {
    let mut conn = pool.begin().await?;
    let row = query("SELECT count, head_hash, mac FROM audit_state WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotInitialised)?;
    let checkpoint = checkpoint_from_parts(row.try_get("count")?, row.try_get("head_hash")?, row.try_get("mac")?)
        .ok_or(StoreError::AuditCheckpointInvalid)?;
    drop(row);
    if !checkpoint.verify(&keys.audit) {
        return Err(StoreError::AuditCheckpointInvalid);
    }
    let ok = extends_head(&mut conn, &checkpoint, count, &hash).await?;
    conn.rollback().await?;
    Ok(ok)
}

/// What the verified audit log says about the store's history; None when
/// the log does not verify against its (HMAC) checkpoint.
pub(crate) async fn log_history(pool: &Pool, keys: &Keys) -> Result<Option<crate::integrity::LogHistory>> {
    use futures_util::TryStreamExt;
    let mut conn = pool.begin().await?;
    let checkpoint = match read_checkpoint(&mut conn).await? {
        Ok(Some((cp, _))) => cp,
        _ => return Ok(None),
    };
    let mut verifier = Verifier::new(&keys.audit);
    let mut history = crate::integrity::LogHistory::default();
    let mut rows = query(
        "SELECT seq, at, actor, action, record_ids, prev_hash, hash FROM audit_entries ORDER BY seq",
    )
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        if push_audit_row(&mut verifier, &r)?.is_err() {
            return Ok(None);
        }
        let action: &str = r.try_get(3)?;
        let ids: &str = r.try_get(4)?;
        history.note(action, ids);
    }
    drop(rows);
    conn.rollback().await?;
    if verifier.finish(Some(&checkpoint)).is_err() {
        return Ok(None);
    }
    Ok(Some(history))
}

/// The tail of every single-record change: its one audit entry, then the
/// commit that makes the change and its entry durable together.
async fn commit_with_entry(
    mut tx: sqlx::Transaction<'_, Db>,
    keys: &Keys,
    chain: &mut Chain,
    entry: EntryDraft,
) -> Result<()> {
    write_entries(&mut tx, keys, chain, vec![entry]).await?;
    tx.commit().await?;
    Ok(())
}

/// Appends `drafts` to the chain and the log, and re-signs the checkpoint.
pub(crate) async fn write_entries(
    conn: &mut Conn,
    keys: &Keys,
    chain: &mut Chain,
    drafts: Vec<EntryDraft>,
) -> Result<()> {
    let entries: Vec<Entry> = drafts.into_iter().map(|d| chain.append(d)).collect();
    for chunk in entries.chunks(INSERT_CHUNK) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO audit_entries (seq, at, actor, action, record_ids, prev_hash, hash) ",
        );
        qb.push_values(chunk, |mut b, e| {
            b.push_bind(seq_to_i64(e.seq))
                .push_bind(e.at_unix_micros)
                .push_bind(e.actor.clone())
                .push_bind(e.action.as_str())
                .push_bind(e.record_ids.join(" "))
                .push_bind(e.prev_hash.to_vec())
                .push_bind(e.hash.to_vec());
        });
        qb.build().execute(&mut *conn).await?;
    }
    let cp = chain.checkpoint(&keys.audit);
    // Signed by the Ed25519 key too, when the store has one (every store
    // made or opened by this version does).
    let sig = keys
        .signer
        .as_ref()
        .map(|s| chain.signed_head(s).signature.to_vec());
    // The store manifest is signed together with the new head.
    let manifest_sig = manifest_signature(conn, keys, &cp).await?;
    query(
        "UPDATE audit_state SET count = $1, head_hash = $2, mac = $3, sig = $4, manifest_sig = $5 \
         WHERE id = 1",
    )
    .bind(seq_to_i64(cp.count))
    .bind(cp.head_hash.to_vec())
    .bind(cp.mac.to_vec())
    .bind(sig)
    .bind(manifest_sig)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Creates the schema's singleton rows and the first audit entry.
pub(crate) async fn initialise(pool: &Pool, keys: &Keys, actor: &str) -> Result<()> {
    let mut tx = pool.begin().await?;
    let existing = query("SELECT v FROM meta WHERE k = 'key_check'")
        .fetch_optional(&mut *tx)
        .await?;
    if existing.is_some() {
        return Err(StoreError::AlreadyInitialised);
    }
    query("INSERT INTO meta (k, v) VALUES ('key_check', $1)")
        .bind(keys.key_check().to_vec())
        .execute(&mut *tx)
        .await?;
    let genesis = Chain::genesis();
    let cp = genesis.checkpoint(&keys.audit);
    let sig = record_signing_key(&mut tx, keys, &genesis).await?;
    query(
        "INSERT INTO audit_state (id, count, head_hash, mac, writes, sig, kek_gen) \
         VALUES (1, $1, $2, $3, 0, $4, $5)",
    )
    .bind(seq_to_i64(cp.count))
    .bind(cp.head_hash.to_vec())
    .bind(cp.mac.to_vec())
    .bind(sig)
    .bind(i64::from(keys.generation()))
    .execute(&mut *tx)
    .await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    query("INSERT INTO meta (k, v) VALUES ('records_format', $1)")
        .bind(crate::integrity::RECORDS_FORMAT.as_bytes().to_vec())
        .execute(&mut *tx)
        .await?;
    refresh_manifest(&mut tx, keys).await?;
    // The log records that this store began in the sealed format: a
    // deleted `meta.records_format` can then never start the old-format
    // upgrade (see `LogHistory`).
    commit_with_entry(
        tx,
        keys,
        &mut chain,
        draft(actor, Action::Init, vec![crate::integrity::FORMAT_MARKER.to_owned()]),
    )
    .await?;
    keys.records_sealed
        .store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// Checks that the master key is the one this database was created with.
pub(crate) async fn check_key(pool: &Pool, keys: &Keys) -> Result<()> {
    let row = query("SELECT v FROM meta WHERE k = 'key_check'")
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else {
        return Err(StoreError::NotInitialised);
    };
    let stored: Vec<u8> = row.try_get("v")?;
    if stored.as_slice() != keys.key_check().as_slice() {
        return Err(StoreError::WrongKeyForDatabase);
    }
    Ok(())
}

/// The unwrapped data key of a client or practitioner, if they exist.
async fn data_key(conn: &mut Conn, keys: &Keys, owner_id: &str) -> Result<Option<DataKey>> {
    let row = query("SELECT wrapped FROM data_keys WHERE owner_id = $1")
        .bind(owner_id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        None => Ok(None),
        Some(row) => {
            let wrapped: Vec<u8> = row.try_get("wrapped")?;
            Ok(Some(keys.unwrap(owner_id, &wrapped)?))
        }
    }
}

async fn client_key(conn: &mut Conn, keys: &Keys, client: &ClientId) -> Result<DataKey> {
    data_key(conn, keys, client.as_str())
        .await?
        .ok_or(StoreError::UnknownClient)
}

async fn client_exists(conn: &mut Conn, client: &ClientId) -> Result<bool> {
    Ok(query("SELECT 1 AS one FROM clients WHERE id = $1")
        .bind(client.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

async fn exists(conn: &mut Conn, sql: &str, id: &str) -> Result<bool> {
    Ok(query(sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

// ------------------------------------------------------------------ clients

pub(crate) async fn add_client(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    c: &NewClient,
) -> Result<ClientId> {
    let mut ids = add_clients(pool, keys, actor, std::slice::from_ref(c)).await?;
    ids.pop().ok_or(StoreError::Corrupt {
        what: "a client id was not returned",
    })
}

/// Registers several clients in one transaction (one `client.create`
/// entry each, one commit): a bulk import, or a benchmark's set-up.
pub(crate) async fn add_clients(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    new: &[NewClient],
) -> Result<Vec<ClientId>> {
    let sealed: Vec<SealedClient> = new
        .iter()
        .map(|c| SealedClient::seal(keys, c))
        .collect::<Result<_>>()?;
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    for s in &sealed {
        ensure_current_wrap(keys, &s.wrapped_key)?;
    }
    let refs: Vec<&str> = sealed.iter().map(|s| s.id.as_str()).collect();
    begin_write(&mut tx, keys, &refs).await?;
    for s in &sealed {
        insert_client(&mut tx, keys, s).await?;
    }
    end_write(&mut tx, keys, &refs).await?;
    let drafts = sealed
        .iter()
        .map(|s| draft(actor, Action::ClientCreate, vec![s.id.to_string()]))
        .collect();
    write_entries(&mut tx, keys, &mut chain, drafts).await?;
    tx.commit().await?;
    Ok(sealed.into_iter().map(|s| s.id).collect())
}

async fn insert_client(tx: &mut Conn, keys: &Keys, sealed: &SealedClient) -> Result<()> {
    query("INSERT INTO data_keys (owner_id, wrapped, created_at) VALUES ($1, $2, $3)")
        .bind(sealed.id.as_str())
        .bind(sealed.wrapped_key.clone())
        .bind(sealed.created_at)
        .execute(&mut *tx)
        .await?;
    query(
        "INSERT INTO clients (id, created_at, name_ct, dob_ct, email_ct, phone_ct, address_ct, postcode_ct, \
         nhs_number_ct, meta_ct) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(sealed.id.as_str())
    .bind(sealed.created_at)
    .bind(sealed.name.clone())
    .bind(sealed.dob.clone())
    .bind(sealed.email.clone())
    .bind(sealed.phone.clone())
    .bind(sealed.address.clone())
    .bind(sealed.postcode.clone())
    .bind(sealed.nhs_number.clone())
    .bind(sealed.meta.clone())
    .execute(&mut *tx)
    .await?;
    remac(&mut *tx, keys, "clients", sealed.id.as_str()).await?;
    for (kind, digest) in &sealed.index {
        query("INSERT INTO client_index (kind, digest, client_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(*kind)
            .bind(digest.clone())
            .bind(sealed.id.as_str())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// A read-only transaction for a read whose audit entry is group-committed
/// afterwards (`read_group.rs`): a consistent snapshot on both backends
/// (SQLite's WAL reader; PostgreSQL REPEATABLE READ), and the key
/// generation the database uses. The checkpoint, its signatures and the
/// manifest's are checked by the commit of the read's audit entry, which
/// must succeed before the plaintext is returned.
async fn begin_read<'c>(pool: &'c Pool, keys: &Keys) -> Result<sqlx::Transaction<'c, Db>> {
    let mut tx = pool.begin().await?;
    if <Db as sqlx::Database>::NAME == "PostgreSQL" {
        query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    let row = query("SELECT kek_gen FROM audit_state WHERE id = 1")
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotInitialised)?;
    let generation: i64 = row.try_get("kek_gen")?;
    drop(row);
    if keys.format_marker_missing.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(StoreError::RecordsFormatTampered);
    }
    keys.observe_generation(u32::try_from(generation).map_err(corrupt("key generation"))?)?;
    Ok(tx)
}

/// A client's record, checked (row MAC, sealed metadata, the client's
/// digest) and opened in a read-only transaction; not audited here: the
/// caller (`Store::get_client`) commits the `client.read` entry before
/// returning it.
pub(crate) async fn read_client(pool: &Pool, keys: &Keys, id: &ClientId) -> Result<Client> {
    let mut tx = begin_read(pool, keys).await?;
    let key = client_key(&mut tx, keys, id).await?;
    let row = query(&format!("SELECT {CLIENT_COLS} FROM clients WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::UnknownClient)?;
    let flags = client_flags(keys, &key, &row)?;
    let open_col = |col: &'static str| -> Result<Option<String>> {
        let ct: Option<Vec<u8>> = row.try_get(col)?;
        ct.map(|ct| open_text_padded(&key, "clients", col, id.as_str(), id.as_str(), &ct))
            .transpose()
    };
    let name = open_col("name_ct")?.ok_or(StoreError::Corrupt {
        what: "client name",
    })?;
    let date_of_birth = open_col("dob_ct")?
        .map(|d| CivilDate::parse(&d, "date of birth"))
        .transpose()
        .map_err(|_| StoreError::Corrupt {
            what: "client date of birth",
        })?;
    let nhs_number = open_col("nhs_number_ct")?
        .map(|n| n.parse::<NhsNumber>())
        .transpose()
        .map_err(|_| StoreError::Corrupt {
            what: "client nhs number",
        })?;
    let client = Client {
        id: id.clone(),
        created_at: Timestamp(row.try_get("created_at")?),
        name,
        date_of_birth,
        email: open_col("email_ct")?,
        phone: open_col("phone_ct")?,
        address: open_col("address_ct")?,
        postcode: open_col("postcode_ct")?,
        nhs_number,
        flags,
    };
    drop(row);
    check_client_digest(&mut tx, keys, id.as_str()).await?;
    tx.rollback().await?;
    Ok(client)
}

pub(crate) async fn set_client_flags(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    id: &ClientId,
    flags: ClientFlags,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = client_key(&mut tx, keys, id).await?;
    begin_write(&mut tx, keys, &[id.as_str()]).await?;
    let meta = seal_meta(&key, "clients", id.as_str(), id.as_str(), &flags_meta(&flags));
    let done = query("UPDATE clients SET meta_ct = $1 WHERE id = $2")
        .bind(meta)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::UnknownClient);
    }
    remac(&mut tx, keys, "clients", id.as_str()).await?;
    end_write(&mut tx, keys, &[id.as_str()]).await?;
    commit_with_entry(
        tx,
        keys,
        &mut chain,
        draft(actor, Action::ClientUpdate, vec![id.to_string()]),
    )
    .await?;
    Ok(())
}

/// Clients whose full name, or one of whose name parts, matches `name`
/// (normalised: trimmed, case-folded, whitespace collapsed).
pub(crate) async fn find_clients_by_name(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    name: &str,
) -> Result<Vec<ClientId>> {
    if name.trim().is_empty() {
        return Err(FieldError::Empty { field: "name" }.into());
    }
    // Candidates: every client with the query's bucket (as a full name or
    // as a part); each is confirmed by decrypting its name.
    let bucket = crate::keys::name_bucket(keys, name);
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let rows = query(
        "SELECT DISTINCT client_id FROM client_index WHERE kind = $1 AND digest = $2 ORDER BY client_id",
    )
    .bind(crate::keys::NAME_BUCKET_KIND)
    .bind(bucket)
    .fetch_all(&mut *tx)
    .await?;
    let mut ids = Vec::new();
    for row in rows {
        let id: String = row.try_get("client_id")?;
        let cid = id.parse::<ClientId>().map_err(|_| StoreError::Corrupt {
            what: "client index",
        })?;
        let key = client_key(&mut tx, keys, &cid).await?;
        let r = query(&format!("SELECT {CLIENT_COLS} FROM clients WHERE id = $1"))
            .bind(cid.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::Tampered {
                table: "client_index",
                row: cid.to_string(),
            })?;
        check_row(keys, "clients", &r)?;
        let ct: Vec<u8> = r.try_get("name_ct")?;
        let full = open_text_padded(&key, "clients", "name_ct", cid.as_str(), cid.as_str(), &ct)?;
        if crate::keys::name_matches(&full, name) {
            ids.push(cid);
        }
    }
    let record_ids = ids.iter().map(ToString::to_string).collect();
    commit_with_entry(
        tx,
        keys,
        &mut chain,
        draft(actor, Action::ClientSearch, record_ids),
    )
    .await?;
    Ok(ids)
}

// ------------------------------------------------------------------ practitioners and cases

pub(crate) async fn add_practitioner(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    name: &str,
    roles: &[Role],
) -> Result<PractitionerId> {
    if name.trim().is_empty() {
        return Err(FieldError::Empty { field: "name" }.into());
    }
    let id = PractitionerId::from_bytes(new_id_bytes());
    let key = DataKey::generate();
    let wrapped = keys.wrap(id.as_str(), &key)?;
    let name_ct = seal_padded(&key, "practitioners", "name_ct", id.as_str(), id.as_str(), name);
    let now = now_micros();
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    ensure_current_wrap(keys, &wrapped)?;
    query("INSERT INTO data_keys (owner_id, wrapped, created_at) VALUES ($1, $2, $3)")
        .bind(id.as_str())
        .bind(wrapped)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    query("INSERT INTO practitioners (id, created_at, name_ct) VALUES ($1, $2, $3)")
        .bind(id.as_str())
        .bind(now)
        .bind(name_ct)
        .execute(&mut *tx)
        .await?;
    for role in roles {
        query("INSERT INTO practitioner_roles (practitioner_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id.as_str())
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
    }
    commit_with_entry(
        tx,
        keys,
        &mut chain,
        draft(actor, Action::PractitionerCreate, vec![id.to_string()]),
    )
    .await?;
    Ok(id)
}

pub(crate) async fn get_practitioner(
    pool: &Pool,
    keys: &Keys,
    id: &PractitionerId,
) -> Result<Practitioner> {
    let mut conn = pool.acquire().await?;
    let key = data_key(&mut conn, keys, id.as_str())
        .await?
        .ok_or(StoreError::UnknownRecord {
            kind: "practitioner",
        })?;
    let row = query("SELECT name_ct FROM practitioners WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::UnknownRecord {
            kind: "practitioner",
        })?;
    let ct: Vec<u8> = row.try_get("name_ct")?;
    let name = open_text_padded(
        &key,
        "practitioners",
        "name_ct",
        id.as_str(),
        id.as_str(),
        &ct,
    )?;
    let rows =
        query("SELECT role FROM practitioner_roles WHERE practitioner_id = $1 ORDER BY role")
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await?;
    let mut roles = Vec::new();
    for r in rows {
        let role: String = r.try_get("role")?;
        roles.push(role.parse::<Role>().map_err(|_| StoreError::Corrupt {
            what: "practitioner role",
        })?);
    }
    roles.sort();
    Ok(Practitioner {
        id: id.clone(),
        name,
        roles,
    })
}

pub(crate) async fn add_case(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    kind: CaseKind,
    parties: &[ClientId],
) -> Result<CaseId> {
    let id = CaseId::from_bytes(new_id_bytes());
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    for p in parties {
        if !client_exists(&mut tx, p).await? {
            return Err(StoreError::UnknownClient);
        }
    }
    begin_write(&mut tx, keys, &[CASES_DIGEST_ID]).await?;
    let mut members: Vec<String> = parties.iter().map(ToString::to_string).collect();
    members.sort();
    members.dedup();
    query("INSERT INTO cases (id, kind, created_at, parties_ct) VALUES ($1, $2, $3, $4)")
        .bind(id.as_str())
        .bind(kind.as_str())
        .bind(now_micros())
        .bind(seal_case_parties(keys, id.as_str(), &members))
        .execute(&mut *tx)
        .await?;
    for p in &members {
        query("INSERT INTO case_parties (case_id, party) VALUES ($1, $2)")
            .bind(id.as_str())
            .bind(link_digest(&keys.links, "case_parties", id.as_str(), p))
            .execute(&mut *tx)
            .await?;
    }
    remac(&mut tx, keys, "cases", id.as_str()).await?;
    end_write(&mut tx, keys, &[CASES_DIGEST_ID]).await?;
    let mut ids = vec![id.to_string()];
    ids.extend(parties.iter().map(ToString::to_string));
    commit_with_entry(tx, keys, &mut chain, draft(actor, Action::CaseCreate, ids)).await?;
    Ok(id)
}

pub(crate) async fn get_case(pool: &Pool, keys: &Keys, actor: &str, id: &CaseId) -> Result<Case> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let row = query(&format!("SELECT {CASE_COLS} FROM cases WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::UnknownRecord { kind: "case" })?;
    let mut parties = case_parties_checked(&mut tx, keys, &row).await?;
    parties.sort();
    let kind: String = row.try_get("kind")?;
    let kind = kind
        .parse::<CaseKind>()
        .map_err(|_| StoreError::Corrupt { what: "case kind" })?;
    let created_at: i64 = row.try_get("created_at")?;
    drop(row);
    check_client_digest(&mut tx, keys, CASES_DIGEST_ID).await?;
    commit_with_entry(
        tx,
        keys,
        &mut chain,
        draft(actor, Action::CaseRead, vec![id.to_string()]),
    )
    .await?;
    Ok(Case {
        id: id.clone(),
        kind,
        created_at: Timestamp(created_at),
        parties,
    })
}

// ------------------------------------------------------------------ notes

/// Writes a batch of notes in one transaction (one fsync for the lot), with
/// one audit entry per note. All or nothing: one bad note (unknown client,
/// party, case or author, or empty text) fails the batch and writes nothing.
pub(crate) async fn add_notes(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    notes: &[NewNote],
) -> Result<Vec<NoteId>> {
    match notes {
        [one] => one.validate(keys.max_note_bytes)?,
        _ => confidant_core::record::validate_notes(notes, keys.max_note_bytes)?,
    }
    if notes.is_empty() {
        return Ok(Vec::new());
    }
    let now = now_micros();
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key_cache = check_note_refs(&mut tx, keys, notes).await?;
    struct Row<'a> {
        id: NoteId,
        note: &'a NewNote,
        shared: bool,
        ct: Vec<u8>,
        meta: Vec<u8>,
        mac: Vec<u8>,
        parties: Vec<String>,
    }
    let owners: Vec<String> = key_cache.keys().cloned().collect();
    let owner_refs: Vec<&str> = owners.iter().map(String::as_str).collect();
    begin_write(&mut tx, keys, &owner_refs).await?;
    let mut rows = Vec::with_capacity(notes.len());
    for n in notes {
        let id = NoteId::from_bytes(new_id_bytes());
        let key = key_cache
            .get(n.client_id.as_str())
            .ok_or(StoreError::UnknownClient)?;
        let ct = seal(
            key,
            &aad("notes", "text_ct", id.as_str(), n.client_id.as_str()),
            n.text.as_bytes(),
        );
        let shared = n.parties.iter().any(|p| p != &n.client_id);
        let mut parties: Vec<String> = n.parties.iter().map(ToString::to_string).collect();
        if parties.is_empty() {
            parties.push(n.client_id.to_string());
        }
        parties.sort_unstable();
        parties.dedup();
        let meta = seal_meta(
            key,
            "notes",
            id.as_str(),
            n.client_id.as_str(),
            &serde_json::json!({ "parties": parties }),
        );
        let case = n.case_id.as_ref().map(|c| c.as_str());
        let author = n.author.as_ref().map(|a| a.as_str());
        let mac = row_mac(
            &keys.records,
            "notes",
            id.as_str(),
            n.client_id.as_str(),
            &[
                Field::Text(case),
                Field::Text(author),
                Field::Int(Some(now)),
                Field::Int(Some(i64::from(shared))),
                Field::Bytes(Some(&ct)),
                Field::Bytes(Some(&meta)),
            ],
        )
        .to_vec();
        rows.push(Row {
            id,
            note: n,
            shared,
            ct,
            meta,
            mac,
            parties,
        });
    }
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO notes (id, client_id, case_id, author_id, created_at, shared, text_ct, meta_ct, mac) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.id.as_str().to_owned())
                .push_bind(r.note.client_id.as_str().to_owned())
                .push_bind(r.note.case_id.as_ref().map(|c| c.as_str().to_owned()))
                .push_bind(r.note.author.as_ref().map(|a| a.as_str().to_owned()))
                .push_bind(now)
                .push_bind(i64::from(r.shared))
                .push_bind(r.ct.clone())
                .push_bind(r.meta.clone())
                .push_bind(r.mac.clone());
        });
        qb.build().execute(&mut *tx).await?;
    }
    // Each attribution as a keyed digest bound to its note.
    let attributions: Vec<(&str, String)> = rows
        .iter()
        .flat_map(|r| {
            r.parties.iter().map(move |p| {
                (
                    r.id.as_str(),
                    link_digest(&keys.links, "note_parties", r.id.as_str(), p),
                )
            })
        })
        .collect();
    for chunk in attributions.chunks(INSERT_CHUNK) {
        let mut qb = sqlx::QueryBuilder::<Db>::new("INSERT INTO note_parties (note_id, party) ");
        qb.push_values(chunk, |mut b, (note, party)| {
            b.push_bind(note.to_string()).push_bind(party.clone());
        });
        qb.build().execute(&mut *tx).await?;
    }
    end_write(&mut tx, keys, &owner_refs).await?;
    let drafts = rows
        .iter()
        .map(|r| {
            draft(
                actor,
                Action::NoteWrite,
                vec![r.id.to_string(), r.note.client_id.to_string()],
            )
        })
        .collect();
    write_entries(&mut tx, keys, &mut chain, drafts).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The owners' data keys of a batch of notes, after checking that every
/// client, party, case and author it names exists.
async fn check_note_refs(
    conn: &mut Conn,
    keys: &Keys,
    notes: &[NewNote],
) -> Result<HashMap<String, DataKey>> {
    let mut key_cache: HashMap<String, DataKey> = HashMap::new();
    let mut known: HashSet<String> = HashSet::new();
    for n in notes {
        if !key_cache.contains_key(n.client_id.as_str()) {
            let key = client_key(conn, keys, &n.client_id).await?;
            key_cache.insert(n.client_id.to_string(), key);
        }
        for p in &n.parties {
            if !key_cache.contains_key(p.as_str())
                && known.insert(p.to_string())
                && !client_exists(conn, p).await?
            {
                return Err(StoreError::UnknownClient);
            }
        }
        if let Some(case) = &n.case_id
            && known.insert(case.to_string())
            && !exists(conn, "SELECT 1 AS one FROM cases WHERE id = $1", case.as_str()).await?
        {
            return Err(StoreError::UnknownRecord { kind: "case" });
        }
        if let Some(author) = &n.author
            && known.insert(author.to_string())
            && !exists(
                conn,
                "SELECT 1 AS one FROM practitioners WHERE id = $1",
                author.as_str(),
            )
            .await?
        {
            return Err(StoreError::UnknownRecord {
                kind: "practitioner",
            });
        }
    }
    Ok(key_cache)
}

/// A whole batch checked, nothing written (`Store::check_notes`).
pub(crate) async fn check_notes(pool: &Pool, keys: &Keys, notes: &[NewNote]) -> Result<()> {
    confidant_core::record::validate_notes(notes, keys.max_note_bytes)?;
    let mut conn = pool.begin().await?;
    check_note_refs(&mut conn, keys, notes).await?;
    conn.rollback().await?;
    Ok(())
}

/// The client's notes (those sealed under their key), oldest first. The read
/// is audited in the same transaction: entries name the client and every
/// note id returned, at most `READ_IDS_PER_ENTRY` note ids per entry.
/// A client's notes, checked and opened in a read-only transaction, with
/// the audit entries the caller (`Store::list_notes`) must commit before
/// returning them.
pub(crate) async fn read_notes(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    client: &ClientId,
) -> Result<(Vec<Note>, Vec<EntryDraft>)> {
    let mut tx = begin_read(pool, keys).await?;
    let key = client_key(&mut tx, keys, client).await?;
    let rows = query(&format!(
        "SELECT {NOTE_COLS} FROM notes WHERE client_id = $1 ORDER BY seq"
    ))
    .bind(client.as_str())
    .fetch_all(&mut *tx)
    .await?;
    let links = note_links_of(&mut tx, client.as_str()).await?;
    let no_links = Vec::new();
    let mut notes = Vec::with_capacity(rows.len());
    for r in rows {
        check_row(keys, "notes", &r)?;
        let id: String = r.try_get("id")?;
        let mut note_parties =
            note_parties_from_row(keys, &key, &r, Some(links.get(&id).unwrap_or(&no_links)))?;
        let ct: Vec<u8> = r.try_get("text_ct")?;
        let text = open_text(&key, "notes", "text_ct", &id, client.as_str(), &ct)?;
        let case_id: Option<String> = r.try_get("case_id")?;
        let author: Option<String> = r.try_get("author_id")?;
        note_parties.sort();
        notes.push(Note {
            id: id
                .parse()
                .map_err(|_| StoreError::Corrupt { what: "note id" })?,
            client_id: client.clone(),
            case_id: case_id
                .map(|c| c.parse())
                .transpose()
                .map_err(|_| StoreError::Corrupt { what: "note case" })?,
            author: author
                .map(|a| a.parse())
                .transpose()
                .map_err(|_| StoreError::Corrupt {
                    what: "note author",
                })?,
            parties: note_parties,
            created_at: Timestamp(r.try_get("created_at")?),
            text,
        });
    }
    check_client_digest(&mut tx, keys, client.as_str()).await?;
    let mut drafts = Vec::new();
    if notes.is_empty() {
        drafts.push(draft(actor, Action::NoteRead, vec![client.to_string()]));
    }
    for chunk in notes.chunks(READ_IDS_PER_ENTRY) {
        let mut ids = Vec::with_capacity(chunk.len() + 1);
        ids.push(client.to_string());
        ids.extend(chunk.iter().map(|n| n.id.to_string()));
        drafts.push(draft(actor, Action::NoteRead, ids));
    }
    tx.rollback().await?;
    Ok((notes, drafts))
}

/// The number of notes a client has, without reading them (not audited:
/// it reveals no content and no note ids).
pub(crate) async fn count_notes(pool: &Pool, client: &ClientId) -> Result<u64> {
    let row = query("SELECT COUNT(*) AS n FROM notes WHERE client_id = $1")
        .bind(client.as_str())
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0))
}

// ------------------------------------------------------------------ consents

pub(crate) async fn add_consent(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    c: &NewConsent,
) -> Result<ConsentId> {
    c.validate()?;
    let id = ConsentId::from_bytes(new_id_bytes());
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = client_key(&mut tx, keys, &c.client_id).await?;
    if let Some(case) = &c.case_id
        && !exists(
            &mut tx,
            "SELECT 1 AS one FROM cases WHERE id = $1",
            case.as_str(),
        )
        .await?
    {
        return Err(StoreError::UnknownRecord { kind: "case" });
    }
    begin_write(&mut tx, keys, &[c.client_id.as_str()]).await?;
    let evidence = c.evidence.as_ref().map(|e| {
        seal(
            &key,
            &aad("consents", "evidence_ct", id.as_str(), c.client_id.as_str()),
            e.as_bytes(),
        )
    });
    let meta = consent_meta(
        c.purpose.as_str(),
        c.form.as_str(),
        c.status.as_str(),
        now_micros(),
        c.given_at.map(Timestamp::unix_micros),
        c.withdrawn_at.map(Timestamp::unix_micros),
    );
    // The plaintext columns of schema 4 stay blank: everything is in meta_ct.
    query(
        "INSERT INTO consents (id, client_id, case_id, purpose, form, status, recorded_at, evidence_ct, meta_ct) \
         VALUES ($1, $2, $3, '', '', '', 0, $4, $5)",
    )
    .bind(id.as_str())
    .bind(c.client_id.as_str())
    .bind(c.case_id.as_ref().map(|x| x.as_str().to_owned()))
    .bind(evidence)
    .bind(seal_meta(&key, "consents", id.as_str(), c.client_id.as_str(), &meta))
    .execute(&mut *tx)
    .await?;
    remac(&mut tx, keys, "consents", id.as_str()).await?;
    end_write(&mut tx, keys, &[c.client_id.as_str()]).await?;
    let drafts = vec![draft(
        actor,
        Action::ConsentWrite,
        vec![id.to_string(), c.client_id.to_string()],
    )];
    write_entries(&mut tx, keys, &mut chain, drafts).await?;
    tx.commit().await?;
    Ok(id)
}

/// A client's consents, checked and opened in a read-only transaction,
/// with the audit entry the caller (`Store::list_consents`) must commit
/// before returning them.
pub(crate) async fn read_consents(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    client: &ClientId,
) -> Result<(Vec<Consent>, Vec<EntryDraft>)> {
    let mut tx = begin_read(pool, keys).await?;
    let key = client_key(&mut tx, keys, client).await?;
    let rows = query(&format!(
        "SELECT {CONSENT_COLS} FROM consents WHERE client_id = $1 ORDER BY seq"
    ))
    .bind(client.as_str())
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(consent_from_row(keys, &key, client, r)?);
    }
    drop(rows);
    check_client_digest(&mut tx, keys, client.as_str()).await?;
    let mut ids = vec![client.to_string()];
    ids.extend(out.iter().map(|c| c.id.to_string()));
    tx.rollback().await?;
    Ok((out, vec![draft(actor, Action::ConsentRead, ids)]))
}

/// Marks a consent withdrawn at `at` (the record of it having been given stays).
pub(crate) async fn withdraw_consent(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    id: &ConsentId,
    at: Timestamp,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let row = query(&format!("SELECT {CONSENT_COLS} FROM consents WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::UnknownRecord { kind: "consent" })?;
    let owner: String = row.try_get("client_id")?;
    let client: ClientId = owner.parse().map_err(|_| StoreError::Tampered {
        table: "consents",
        row: id.to_string(),
    })?;
    let key = client_key(&mut tx, keys, &client).await?;
    let consent = consent_from_row(keys, &key, &client, &row)?;
    drop(row);
    if consent.given_at.is_some_and(|g| at < g) {
        return Err(FieldError::Inconsistent {
            rule: "a consent cannot be withdrawn before it was given",
        }
        .into());
    }
    begin_write(&mut tx, keys, &[client.as_str()]).await?;
    let meta = consent_meta(
        consent.purpose.as_str(),
        consent.form.as_str(),
        ConsentStatus::Withdrawn.as_str(),
        consent.recorded_at.unix_micros(),
        consent.given_at.map(Timestamp::unix_micros),
        Some(at.unix_micros()),
    );
    query("UPDATE consents SET meta_ct = $1 WHERE id = $2")
        .bind(seal_meta(&key, "consents", id.as_str(), client.as_str(), &meta))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    remac(&mut tx, keys, "consents", id.as_str()).await?;
    end_write(&mut tx, keys, &[client.as_str()]).await?;
    commit_with_entry(
        tx,
        keys,
        &mut chain,
        draft(actor, Action::ConsentWithdraw, vec![id.to_string()]),
    )
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ legal holds

pub(crate) async fn place_hold(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    client: &ClientId,
    reason: HoldReason,
) -> Result<HoldId> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let (id, entry) = place_hold_tx(&mut tx, keys, actor, client, reason).await?;
    write_entries(&mut tx, keys, &mut chain, vec![entry]).await?;
    tx.commit().await?;
    Ok(id)
}

/// Places a hold inside the caller's transaction (the chain already
/// locked); returns its id and the audit entry for the caller to write.
pub(crate) async fn place_hold_tx(
    tx: &mut Conn,
    keys: &Keys,
    actor: &str,
    client: &ClientId,
    reason: HoldReason,
) -> Result<(HoldId, EntryDraft)> {
    let id = HoldId::from_bytes(new_id_bytes());
    if !client_exists(&mut *tx, client).await? {
        return Err(StoreError::UnknownClient);
    }
    let key = client_key(&mut *tx, keys, client).await?;
    begin_write(&mut *tx, keys, &[client.as_str()]).await?;
    let meta = hold_meta(reason.as_str(), now_micros(), actor, None);
    // The plaintext columns of schema 4 stay blank: everything is in meta_ct.
    query(
        "INSERT INTO legal_holds (id, client_id, reason, placed_at, placed_by, meta_ct) \
         VALUES ($1, $2, '', 0, '', $3)",
    )
    .bind(id.as_str())
    .bind(client.as_str())
    .bind(seal_meta(&key, "legal_holds", id.as_str(), client.as_str(), &meta))
    .execute(&mut *tx)
    .await?;
    remac(&mut *tx, keys, "legal_holds", id.as_str()).await?;
    end_write(&mut *tx, keys, &[client.as_str()]).await?;
    let entry = draft(
        actor,
        Action::LegalHoldSet,
        vec![id.to_string(), client.to_string()],
    );
    Ok((id, entry))
}

pub(crate) async fn release_hold(pool: &Pool, keys: &Keys, actor: &str, id: &HoldId) -> Result<()> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let entry = release_hold_tx(&mut tx, keys, actor, id).await?;
    commit_with_entry(tx, keys, &mut chain, entry).await?;
    Ok(())
}

/// Releases a standing hold inside the caller's transaction (the chain
/// already locked); returns the audit entry for the caller to write.
pub(crate) async fn release_hold_tx(tx: &mut Conn, keys: &Keys, actor: &str, id: &HoldId) -> Result<EntryDraft> {
    let standing = || StoreError::UnknownRecord {
        kind: "standing legal hold",
    };
    let row = query(&format!("SELECT {HOLD_COLS} FROM legal_holds WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(standing)?;
    let owner: String = row.try_get("client_id")?;
    let client: ClientId = owner.parse().map_err(|_| StoreError::Tampered {
        table: "legal_holds",
        row: id.to_string(),
    })?;
    let key = client_key(&mut *tx, keys, &client).await?;
    let hold = hold_from_row(keys, &key, &client, &row)?;
    drop(row);
    if hold.released_at.is_some() {
        return Err(standing());
    }
    begin_write(&mut *tx, keys, &[client.as_str()]).await?;
    let meta = hold_meta(
        hold.reason.as_str(),
        hold.placed_at.unix_micros(),
        &hold.placed_by,
        Some(now_micros()),
    );
    query("UPDATE legal_holds SET meta_ct = $1 WHERE id = $2")
        .bind(seal_meta(&key, "legal_holds", id.as_str(), client.as_str(), &meta))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    remac(&mut *tx, keys, "legal_holds", id.as_str()).await?;
    end_write(&mut *tx, keys, &[client.as_str()]).await?;
    Ok(draft(actor, Action::LegalHoldRelease, vec![id.to_string()]))
}

/// A client's legal holds, each row checked and opened, and the client's
/// digest checked (a deleted hold fails). Not audited here (the caller
/// records `legal_hold.list`).
pub(crate) async fn list_holds(pool: &Pool, keys: &Keys, client: &ClientId) -> Result<Vec<LegalHold>> {
    let mut conn = pool.begin().await?;
    if <Db as sqlx::Database>::NAME == "PostgreSQL" {
        query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *conn)
            .await?;
    }
    let key = client_key(&mut conn, keys, client).await?;
    let out = holds_of(&mut conn, keys, &key, client).await?;
    check_client_digest(&mut conn, keys, client.as_str()).await?;
    conn.rollback().await?;
    Ok(out)
}

// ------------------------------------------------------------------ destruction

/// The notes `client` shares: the joint notes it owns (id, other parties)
/// and the notes other clients own that name it (id, owner, parties left),
/// every row checked.
struct SharedSet {
    joint: Vec<(String, Vec<String>)>,
    naming: Vec<(String, String, Vec<String>)>,
    owner_keys: HashMap<String, DataKey>,
}

async fn shared_set(conn: &mut Conn, keys: &Keys, client: &ClientId, key: &DataKey) -> Result<SharedSet> {
    let rows = query(&format!("SELECT {NOTE_COLS} FROM notes WHERE shared = 1"))
        .fetch_all(&mut *conn)
        .await?;
    let mut set = SharedSet {
        joint: Vec::new(),
        naming: Vec::new(),
        owner_keys: HashMap::new(),
    };
    set.owner_keys.insert(client.to_string(), key.clone());
    for r in &rows {
        check_row(keys, "notes", r)?;
        let note: String = r.try_get("id")?;
        let owner: String = r.try_get("client_id")?;
        if !set.owner_keys.contains_key(&owner) {
            let oid: ClientId = owner.parse().map_err(|_| StoreError::Tampered {
                table: "notes",
                row: note.clone(),
            })?;
            set.owner_keys.insert(owner.clone(), client_key(conn, keys, &oid).await?);
        }
        let okey = set.owner_keys.get(&owner).ok_or(StoreError::UnknownClient)?;
        let parties = note_parties_from_row(keys, okey, r, None)?;
        let left: Vec<String> = parties
            .iter()
            .filter(|p| *p != client)
            .map(ToString::to_string)
            .collect();
        if owner == client.as_str() {
            if !left.is_empty() {
                set.joint.push((note, left));
            }
        } else if parties.contains(client) {
            set.naming.push((note, owner, left));
        }
    }
    Ok(set)
}

/// Carries out the decision on the shared notes before the client's own
/// rows go: destroyed for everyone, or kept for a remaining party with the
/// redacted text, re-sealed under that party's key and without the
/// client's link. Returns the attributions removed and the owners whose
/// digests changed.
async fn settle_shared_notes(
    conn: &mut Conn,
    keys: &Keys,
    client: &ClientId,
    set: &SharedSet,
    decision: &SharedNotesDecision,
) -> Result<(u64, Vec<String>)> {
    let texts: HashMap<&str, &str> = match decision {
        SharedNotesDecision::KeepRedacted(t) => {
            t.iter().map(|(id, text)| (id.as_str(), text.as_str())).collect()
        }
        SharedNotesDecision::Destroy => HashMap::new(),
    };
    let keep = matches!(decision, SharedNotesDecision::KeepRedacted(_));
    // (note, owner now, parties left)
    let mut plan: Vec<(&str, &str, &[String])> = Vec::new();
    for (note, left) in &set.joint {
        let heir = left.iter().min().ok_or(StoreError::UnknownClient)?;
        plan.push((note, heir, left));
    }
    for (note, owner, left) in &set.naming {
        plan.push((note, owner, left));
    }
    let mut touched: Vec<String> = plan.iter().map(|p| p.1.to_owned()).collect();
    touched.sort();
    touched.dedup();
    for owner in &touched {
        check_client_digest(conn, keys, owner).await?;
    }
    let mut removed = 0;
    for (note, owner, left) in plan {
        if !keep {
            removed += del(conn, note, "DELETE FROM note_parties WHERE note_id = $1").await?;
            del(conn, note, "DELETE FROM notes WHERE id = $1").await?;
            continue;
        }
        let text = texts.get(note).ok_or(StoreError::InvalidField(FieldError::Empty {
            field: "redacted text of a shared note",
        }))?;
        if confidant_core::record::is_blank(text) {
            return Err(FieldError::Empty {
                field: "redacted text of a shared note",
            }
            .into());
        }
        let heir: ClientId = owner.parse().map_err(|_| StoreError::UnknownClient)?;
        let key = match set.owner_keys.get(owner) {
            Some(k) => k.clone(),
            None => client_key(conn, keys, &heir).await?,
        };
        removed += query("DELETE FROM note_parties WHERE note_id = $1 AND party = $2")
            .bind(note)
            .bind(link_digest(&keys.links, "note_parties", note, client.as_str()))
            .execute(&mut *conn)
            .await?
            .rows_affected();
        let text_ct = seal(&key, &aad("notes", "text_ct", note, owner), text.as_bytes());
        let meta = seal_meta(&key, "notes", note, owner, &serde_json::json!({ "parties": left }));
        query("UPDATE notes SET client_id = $1, text_ct = $2, meta_ct = $3, shared = $4 WHERE id = $5")
            .bind(owner)
            .bind(text_ct)
            .bind(meta)
            .bind(i64::from(left.len() > 1))
            .bind(note)
            .execute(&mut *conn)
            .await?;
        remac(conn, keys, "notes", note).await?;
    }
    Ok((removed, touched))
}

/// The notes a client shares with others, decrypted (`Store::shared_notes`).
pub(crate) async fn shared_notes(pool: &Pool, keys: &Keys, actor: &str, client: &ClientId) -> Result<Vec<Note>> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let key = client_key(&mut tx, keys, client).await?;
    let set = shared_set(&mut tx, keys, client, &key).await?;
    let mut ids: Vec<&str> = set.joint.iter().map(|j| j.0.as_str()).collect();
    ids.extend(set.naming.iter().map(|n| n.0.as_str()));
    let mut out = Vec::with_capacity(ids.len());
    for id in &ids {
        let r = query(&format!("SELECT {NOTE_COLS} FROM notes WHERE id = $1"))
            .bind(*id)
            .fetch_one(&mut *tx)
            .await?;
        let owner: String = r.try_get("client_id")?;
        let okey = set.owner_keys.get(&owner).ok_or(StoreError::UnknownClient)?;
        let mut parties = note_parties_from_row(keys, okey, &r, None)?;
        parties.sort();
        let ct: Vec<u8> = r.try_get("text_ct")?;
        let case_id: Option<String> = r.try_get("case_id")?;
        let author: Option<String> = r.try_get("author_id")?;
        let bad = || StoreError::Tampered {
            table: "notes",
            row: (*id).to_owned(),
        };
        out.push(Note {
            id: id.parse().map_err(|_| bad())?,
            client_id: owner.parse().map_err(|_| bad())?,
            case_id: case_id.map(|c| c.parse()).transpose().map_err(|_| bad())?,
            author: author.map(|a| a.parse()).transpose().map_err(|_| bad())?,
            parties,
            created_at: Timestamp(r.try_get("created_at")?),
            text: open_text(okey, "notes", "text_ct", id, &owner, &ct)?,
        });
    }
    let mut record_ids = vec![client.to_string()];
    record_ids.extend(ids.iter().map(|i| (*i).to_owned()));
    commit_with_entry(tx, keys, &mut chain, draft(actor, Action::NoteRead, record_ids)).await?;
    Ok(out)
}

/// Removes `client` from every case they are a party to (the sealed list
/// and the link digest). Returns how many links were removed.
async fn remove_from_cases(conn: &mut Conn, keys: &Keys, client: &ClientId) -> Result<u64> {
    let rows = query(&format!("SELECT {CASE_COLS} FROM cases"))
        .fetch_all(&mut *conn)
        .await?;
    let mut changes: Vec<(String, Vec<String>)> = Vec::new();
    for r in &rows {
        let parties = case_parties_checked(conn, keys, r).await?;
        if parties.contains(client) {
            let id: String = r.try_get("id")?;
            let left = parties
                .iter()
                .filter(|p| *p != client)
                .map(ToString::to_string)
                .collect();
            changes.push((id, left));
        }
    }
    drop(rows);
    let mut removed = 0;
    for (case, left) in &changes {
        removed += query("DELETE FROM case_parties WHERE case_id = $1 AND party = $2")
            .bind(case.as_str())
            .bind(link_digest(&keys.links, "case_parties", case, client.as_str()))
            .execute(&mut *conn)
            .await?
            .rows_affected();
        query("UPDATE cases SET parties_ct = $1 WHERE id = $2")
            .bind(seal_case_parties(keys, case, left))
            .bind(case.as_str())
            .execute(&mut *conn)
            .await?;
        remac(conn, keys, "cases", case).await?;
    }
    Ok(removed)
}

/// Destroys a client's record in one transaction: refuses while a legal
/// hold stands; deletes the wrapped data key first (from that statement on,
/// everything sealed under it is unreadable even if a later step were
/// interrupted and the transaction somehow survived), then every row.
///
/// The key rotation (`plan`): every surviving data key is re-wrapped under
/// a new KEK generation in the same transaction, and the certificate is
/// sealed, signed and stored with the audit entry's seq (`ops_keys.rs`).
pub(crate) async fn destroy_client(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    client: &ClientId,
    plan: &DestroyPlan<'_>,
) -> Result<(DestroyedCounts, CertificateRecord)> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    if !plan.ring.has_generation(keys.generation()) {
        return Err(StoreError::KeyFileStale {
            generation: keys.generation(),
        });
    }
    if !client_exists(&mut tx, client).await? {
        return Err(StoreError::UnknownClient);
    }
    let key = client_key(&mut tx, keys, client).await?;
    begin_write(&mut tx, keys, &[client.as_str(), CASES_DIGEST_ID]).await?;
    if holds_of(&mut tx, keys, &key, client)
        .await?
        .iter()
        .any(|h| h.released_at.is_none())
    {
        return Err(StoreError::LegalHold);
    }
    let id = client.as_str();
    // The client's attributions on other clients' notes and their part in
    // cases: found through the sealed party lists, removed from them and
    // from the link digests (those owners' digests are checked first).
    let set = shared_set(&mut tx, keys, client, &key).await?;
    let report = SharedNotesReport {
        decision: match (plan.shared, set.joint.is_empty() && set.naming.is_empty()) {
            (_, true) => "none",
            (Some(d), false) => d.as_str(),
            (None, false) => {
                let mut ids: Vec<&str> = set.joint.iter().map(|j| j.0.as_str()).collect();
                ids.extend(set.naming.iter().map(|n| n.0.as_str()));
                return Err(StoreError::SharedNotes {
                    count: ids.len(),
                    notes: ids.join(" "),
                });
            }
        },
        joint_notes: set.joint.iter().map(|j| j.0.clone()).collect(),
        notes_naming: set.naming.iter().map(|n| n.0.clone()).collect(),
    };
    let (foreign_attributions, touched) = match plan.shared {
        Some(decision) if report.decision != "none" => {
            settle_shared_notes(&mut tx, keys, client, &set, decision).await?
        }
        _ => (0, Vec::new()),
    };
    let case_parties = remove_from_cases(&mut tx, keys, client).await?;
    let erased = key_generation_of(&mut tx, id).await?;
    // Key first: from here on everything sealed under it is unreadable.
    let data_keys = del(&mut tx, id, "DELETE FROM data_keys WHERE owner_id = $1").await?;
    let note_attributions = foreign_attributions
        + del(
            &mut tx,
            id,
            "DELETE FROM note_parties WHERE note_id IN (SELECT id FROM notes WHERE client_id = $1)",
        )
        .await?;
    let notes = del(&mut tx, id, "DELETE FROM notes WHERE client_id = $1").await?;
    let consents = del(&mut tx, id, "DELETE FROM consents WHERE client_id = $1").await?;
    let legal_holds = del(&mut tx, id, "DELETE FROM legal_holds WHERE client_id = $1").await?;
    let blind_index_entries =
        del(&mut tx, id, "DELETE FROM client_index WHERE client_id = $1").await?;
    let clients = del(&mut tx, id, "DELETE FROM clients WHERE id = $1").await?;
    // Matters, their steps and the accounting of disclosures (matters.rs).
    for sql in [
        "DELETE FROM disclosures WHERE client_id = $1",
        "DELETE FROM matter_events WHERE client_id = $1",
        "DELETE FROM matters WHERE client_id = $1",
        // What the service promised and did (promises.rs).
        "DELETE FROM promises WHERE client_id = $1",
        // Escalations to a safeguarding officer (escalations.rs).
        "DELETE FROM escalations WHERE client_id = $1",
    ] {
        del(&mut tx, id, sql).await?;
    }
    let mut digests: Vec<&str> = vec![id, CASES_DIGEST_ID];
    digests.extend(touched.iter().map(String::as_str));
    end_write(&mut tx, keys, &digests).await?;
    let counts = DestroyedCounts {
        data_keys,
        clients,
        notes,
        note_attributions,
        consents,
        case_parties,
        legal_holds,
        blind_index_entries,
    };
    rewrap_all(&mut tx, keys, plan).await?;
    let drafts = vec![draft(
        actor,
        Action::ClientDestroy,
        vec![client.to_string()],
    )];
    write_entries(&mut tx, keys, &mut chain, drafts).await?;
    let record = store_certificate(
        &mut tx,
        keys,
        plan,
        client,
        actor,
        counts,
        chain.len(),
        erased,
        &report,
    )
    .await?;
    tx.commit().await?;
    Ok((counts, record))
}

fn corrupt<E>(what: &'static str) -> impl Fn(E) -> StoreError {
    move |_| StoreError::Corrupt { what }
}

async fn del(conn: &mut Conn, id: &str, sql: &str) -> Result<u64> {
    Ok(query(sql)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

// ------------------------------------------------------------------ audit

/// Appends entries that record events outside the store (decisions, exports)
/// in one transaction: the group-commit path for audit appends.
pub(crate) async fn append_audit(pool: &Pool, keys: &Keys, drafts: Vec<EntryDraft>) -> Result<u64> {
    if drafts.is_empty() {
        return Ok(0);
    }
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let n = drafts.len() as u64;
    write_entries(&mut tx, keys, &mut chain, drafts).await?;
    tx.commit().await?;
    Ok(n)
}

/// Streams the whole log through the verifier, in stored (seq) order.
///
/// On SQLite a fast path reads the log in packed chunks first (see
/// [`verify_audit_packed`]); it only ever answers "intact, N entries", and
/// anything else (any tampering, any row it cannot read unambiguously, even
/// an error) falls back to the row-by-row check below, which alone produces
/// verdicts and errors. So the fast path changes the speed, never a verdict
/// or an error message.
pub(crate) async fn verify_audit(
    pool: &Pool,
    keys: &Keys,
    plan: &VerifyPlan,
) -> Result<Result<VerifiedLog, VerifyError>> {
    if <Db as sqlx::Database>::NAME == "SQLite" {
        if let Ok(Some(log)) = verify_audit_packed(pool, keys, plan).await {
            return Ok(Ok(log));
        }
    }
    verify_audit_rows(pool, keys, plan).await
}

/// The signed checkpoint as stored; `Err` when it is present but cannot be
/// decoded (reported as invalid).
async fn read_checkpoint(conn: &mut Conn) -> Result<Result<Option<StoredCheckpoint>, VerifyError>> {
    let cp_row = query("SELECT count, head_hash, mac, sig FROM audit_state WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match cp_row {
        None => Ok(None),
        Some(r) => match checkpoint_from_parts(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?) {
            Some(cp) => Ok(Some((cp, r.try_get::<Option<Vec<u8>>, _>(3)?))),
            None => Err(VerifyError::CheckpointInvalid),
        },
    })
}

/// Entries per packed chunk on the SQLite fast path.
const PACKED_CHUNK: i64 = 4096;

/// Separator between the text fields in a packed chunk (ASCII unit
/// separator). A field containing it makes the chunk ambiguous, and the
/// fast path gives up.
const PACKED_SEP: u8 = 0x1f;

/// SQLite fast path: one result row per `PACKED_CHUNK` entries instead of
/// one per entry (sqlx-sqlite copies every value of every row on its worker
/// thread and hands rows over one at a time, which costs more than hashing).
/// The two halves of the log are read in parallel, each in a read
/// transaction that starts by reading the checkpoint; equal checkpoints
/// mean both see the same log.
///
/// Returns `Some(n)` only when every entry was read unambiguously, with
/// exactly the types, values and order the row-by-row path would see, and
/// the verifier accepted all of them and the checkpoint; `None` otherwise
/// (the caller then runs the row-by-row path for the exact verdict).
async fn verify_audit_packed(
    pool: &Pool,
    keys: &Keys,
    plan: &VerifyPlan,
) -> Result<Option<VerifiedLog>> {
    // Two read transactions, one per half of the log, so that SQLite (the
    // larger cost) runs on two worker threads. Both read the checkpoint
    // first: every store write re-signs it, so equal checkpoints mean both
    // snapshots hold the same log.
    let mut tx_a = pool.begin().await?;
    let mut tx_b = pool.begin().await?;
    let Ok(checkpoint) = read_checkpoint(&mut tx_a).await? else {
        return Ok(None);
    };
    if read_checkpoint(&mut tx_b).await? != Ok(checkpoint.clone()) {
        return Ok(None);
    }
    // Three statements so that MIN and MAX use the primary key (one scan
    // for the count, none for the bounds).
    let bounds = query(
        "SELECT (SELECT COUNT(*) FROM audit_entries), (SELECT MIN(seq) FROM audit_entries), \
         (SELECT MAX(seq) FROM audit_entries)",
    )
    .fetch_one(&mut *tx_a)
    .await?;
    let total: i64 = bounds.try_get(0)?;
    let min: Option<i64> = bounds.try_get(1)?;
    let max: Option<i64> = bounds.try_get(2)?;
    drop(bounds);
    // Fast only for the shape an intact log has: seqs 1..=total.
    if total > 0 && (min != Some(1) || max != Some(total)) {
        return Ok(None);
    }
    let end = total.saturating_add(1);
    let verifier = if total < 2 * PACKED_CHUNK {
        packed_range(&mut tx_a, plan.verifier(&keys.audit), 1, end).await?
    } else {
        // The second half starts from the prev_hash its first entry
        // carries; the first half must end in exactly that hash.
        let mid = total / 2 + 1;
        let row = query("SELECT prev_hash FROM audit_entries WHERE seq = $1")
            .bind(mid)
            .fetch_optional(&mut *tx_b)
            .await?;
        let Some(join) = row
            .as_ref()
            .and_then(|r| r.try_get::<&[u8], _>(0).ok())
            .and_then(|h| <[u8; 32]>::try_from(h).ok())
        else {
            return Ok(None);
        };
        drop(row);
        let Ok(mid_seq) = u64::try_from(mid) else {
            return Ok(None);
        };
        let first = packed_range(&mut tx_a, plan.verifier(&keys.audit), 1, mid);
        let second = packed_range(
            &mut tx_b,
            plan.anchored(Verifier::resume(&keys.audit, mid_seq, join)),
            mid,
            end,
        );
        let (first, second) = tokio::try_join!(first, second)?;
        match (first, second) {
            (Some(a), Some(b)) if a.count() + 1 == mid_seq && a.head() == join => Some(b),
            _ => None,
        }
    };
    tx_a.rollback().await?;
    tx_b.rollback().await?;
    Ok(verifier.and_then(|v| plan.finish(v, checkpoint.as_ref()).ok()))
}

/// Reads entries `lo .. end` in packed chunks and pushes them into
/// `verifier`: `Some(verifier)` when every entry was there, unambiguous and
/// accepted, else `None`. While a blocking thread hashes chunk k, this task
/// has SQLite produce chunk k + 1 on sqlx's worker thread.
async fn packed_range(
    conn: &mut Conn,
    verifier: Verifier,
    lo: i64,
    end: i64,
) -> Result<Option<Verifier>> {
    let mut hashing = tokio::task::spawn_blocking(move || Some(verifier));
    let mut lo = lo;
    while lo < end {
        let hi = lo.saturating_add(PACKED_CHUNK).min(end);
        let row = query(
            "SELECT COUNT(*), \
               TOTAL(typeof(seq) = 'integer' AND typeof(at) = 'integer' \
                 AND typeof(actor) = 'text' AND typeof(action) = 'text' \
                 AND typeof(record_ids) = 'text' \
                 AND length(CAST(prev_hash AS BLOB)) = 32 AND length(CAST(hash AS BLOB)) = 32), \
               group_concat(seq, ' '), group_concat(at, ' '), \
               CAST(group_concat(actor || char(31) || action || char(31) || record_ids || char(31), '') AS BLOB), \
               CAST(group_concat(prev_hash || hash, '') AS BLOB) \
             FROM audit_entries WHERE seq >= $1 AND seq < $2",
        )
        .bind(lo)
        .bind(hi)
        .fetch_one(&mut *conn)
        .await?;
        let n: i64 = row.try_get(0)?;
        let well_typed: f64 = row.try_get(1)?;
        let (Some(seqs), Some(ats), Some(texts), Some(hashes)) = (
            row.try_get::<Option<&str>, _>(2)?,
            row.try_get::<Option<&str>, _>(3)?,
            row.try_get::<Option<&[u8]>, _>(4)?,
            row.try_get::<Option<&[u8]>, _>(5)?,
        ) else {
            return Ok(None);
        };
        #[allow(clippy::cast_precision_loss)]
        let all_well_typed = well_typed == n as f64;
        if n != hi - lo || !all_well_typed {
            return Ok(None);
        }
        let chunk = PackedChunk {
            first: lo,
            n,
            seqs: seqs.to_owned(),
            ats: ats.to_owned(),
            texts: texts.to_vec(),
            hashes: hashes.to_vec(),
        };
        drop(row);
        let Ok(Some(mut v)) = hashing.await else {
            return Ok(None);
        };
        hashing = tokio::task::spawn_blocking(move || chunk.push_into(&mut v).then_some(v));
        lo = hi;
    }
    Ok(hashing.await.ok().flatten())
}

/// One packed chunk, owned so it can be hashed on another thread.
struct PackedChunk {
    first: i64,
    n: i64,
    seqs: String,
    ats: String,
    texts: Vec<u8>,
    hashes: Vec<u8>,
}

impl PackedChunk {
    fn push_into(&self, verifier: &mut Verifier) -> bool {
        push_packed_chunk(
            verifier,
            self.first,
            self.n,
            &self.seqs,
            &self.ats,
            &self.texts,
            &self.hashes,
        )
    }
}

/// Pushes one packed chunk (entries `first .. first + n`) into the
/// verifier; `false` as soon as anything is not exactly as expected.
#[allow(clippy::too_many_arguments)]
fn push_packed_chunk(
    verifier: &mut Verifier,
    first: i64,
    n: i64,
    seqs: &str,
    ats: &str,
    texts: &[u8],
    hashes: &[u8],
) -> bool {
    let Ok(n_usize) = usize::try_from(n) else {
        return false;
    };
    if hashes.len() != n_usize * 64 {
        return false;
    }
    let mut seqs = seqs.split(' ');
    let mut ats = ats.split(' ');
    let mut fields = texts.split(|b| *b == PACKED_SEP);
    let mut hash_pairs = hashes.chunks_exact(64);
    for i in 0..n {
        let (Some(seq), Some(at), Some(actor), Some(action), Some(ids), Some(pair)) = (
            seqs.next(),
            ats.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            hash_pairs.next(),
        ) else {
            return false;
        };
        let (Ok(seq), Ok(at)) = (seq.parse::<u64>(), at.parse::<i64>()) else {
            return false;
        };
        if i64::try_from(seq) != Ok(first + i) {
            return false;
        }
        let (Ok(actor), Ok(action), Ok(ids)) = (
            std::str::from_utf8(actor),
            std::str::from_utf8(action),
            std::str::from_utf8(ids),
        ) else {
            return false;
        };
        let Ok(action) = action.parse::<Action>() else {
            return false;
        };
        let (prev_hash, hash) = pair.split_at(32);
        let (Ok(prev_hash), Ok(hash)) = (
            <&[u8; 32]>::try_from(prev_hash),
            <&[u8; 32]>::try_from(hash),
        ) else {
            return false;
        };
        let ids = (!ids.is_empty())
            .then(|| ids.split(' '))
            .into_iter()
            .flatten();
        if verifier
            .push_parts(seq, at, actor, action, ids, prev_hash, hash)
            .is_err()
        {
            return false;
        }
    }
    // Exactly n entries: nothing left over (the text ends in a separator,
    // hence one final empty piece).
    seqs.next().is_none()
        && ats.next().is_none()
        && fields.next() == Some(&[][..])
        && fields.next().is_none()
}

/// The row-by-row check: every verdict comes from here.
///
/// The checkpoint and the entries are read in one snapshot (one read
/// transaction; REPEATABLE READ on PostgreSQL, whose default READ COMMITTED
/// gives each statement its own snapshot), so a write committed between the
/// two reads can never be mistaken for tampering.
async fn verify_audit_rows(
    pool: &Pool,
    keys: &Keys,
    plan: &VerifyPlan,
) -> Result<Result<VerifiedLog, VerifyError>> {
    use futures_util::TryStreamExt;
    let mut conn = pool.begin().await?;
    if <Db as sqlx::Database>::NAME == "PostgreSQL" {
        query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *conn)
            .await?;
    }
    let checkpoint = match read_checkpoint(&mut conn).await? {
        Ok(cp) => cp,
        Err(problem) => return Ok(Err(problem)),
    };
    let mut verifier = plan.verifier(&keys.audit);
    let mut rows = query(
        "SELECT seq, at, actor, action, record_ids, prev_hash, hash FROM audit_entries ORDER BY seq",
    )
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        if let Err(problem) = push_audit_row(&mut verifier, &r)? {
            return Ok(Err(problem));
        }
    }
    drop(rows);
    conn.rollback().await?;
    Ok(plan.finish(verifier, checkpoint.as_ref()))
}

/// Pushes one stored audit row into the verifier, reading the columns by
/// position and borrowing them from the row (no owned `Entry` per row). A
/// column that cannot be decoded is reported as a malformed entry at that
/// seq, as `entry_from_parts` does.
fn push_audit_row(
    verifier: &mut Verifier,
    r: &<Db as sqlx::Database>::Row,
) -> Result<Result<(), VerifyError>> {
    let seq: i64 = r.try_get(0)?;
    let at: i64 = r.try_get(1)?;
    let actor: &str = r.try_get(2)?;
    let action: &str = r.try_get(3)?;
    let record_ids: &str = r.try_get(4)?;
    let prev_hash: &[u8] = r.try_get(5)?;
    let hash: &[u8] = r.try_get(6)?;
    let Ok(seq) = u64::try_from(seq) else {
        return Ok(Err(VerifyError::Malformed {
            seq: 0,
            field: "seq",
        }));
    };
    let malformed = |field| Ok(Err(VerifyError::Malformed { seq, field }));
    let Ok(action) = action.parse::<Action>() else {
        return malformed("action");
    };
    let Ok(prev_hash) = <&[u8; 32]>::try_from(prev_hash) else {
        return malformed("prev_hash");
    };
    let Ok(hash) = <&[u8; 32]>::try_from(hash) else {
        return malformed("hash");
    };
    // Stored space-joined; an empty column is an entry naming no records.
    let ids = (!record_ids.is_empty())
        .then(|| record_ids.split(' '))
        .into_iter()
        .flatten();
    Ok(verifier.push_parts(seq, at, actor, action, ids, prev_hash, hash))
}

/// The newest `limit` entries, newest last (for `audit tail` and tests).
pub(crate) async fn audit_tail(pool: &Pool, limit: i64) -> Result<Vec<Entry>> {
    let rows = query(
        "SELECT seq, at, actor, action, record_ids, prev_hash, hash FROM audit_entries ORDER BY seq DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows.into_iter().rev() {
        let entry = entry_from_parts(
            r.try_get("seq")?,
            r.try_get("at")?,
            r.try_get("actor")?,
            r.try_get("action")?,
            r.try_get("record_ids")?,
            r.try_get("prev_hash")?,
            r.try_get("hash")?,
        )
        .map_err(|_| StoreError::Corrupt {
            what: "audit entry",
        })?;
        out.push(entry);
    }
    Ok(out)
}
