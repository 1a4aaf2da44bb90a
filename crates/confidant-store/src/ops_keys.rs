// Key rotation, the signed checkpoint, and destruction certificates: the
// operations of issue 8 part B, compiled once per backend like `ops.rs`
// (included after it into the same module, so `query`, `Conn`, `Pool` and
// `Db` are the backend's).

/// Refuses to write when the log holds entries beyond the signed
/// checkpoint (appended by someone without the keys): inserting the next
/// entry would otherwise fail on its sequence number with a raw database
/// error, on every write from then on.
async fn check_nothing_beyond_checkpoint(
    conn: &mut Conn,
    checkpoint: &confidant_audit::Checkpoint,
) -> Result<()> {
    let row = query("SELECT MAX(seq) AS m FROM audit_entries")
        .fetch_one(&mut *conn)
        .await?;
    let max: Option<i64> = row.try_get("m")?;
    if max.is_some_and(|m| m > seq_to_i64(checkpoint.count)) {
        return Err(StoreError::AuditTampered);
    }
    Ok(())
}

/// A data key wrapped before the writer lock was taken must be under the
/// generation the database uses now: a concurrent destruction may have
/// retired the one it used (its KEK is then erased from the key file, and
/// the key would be stranded). `KeyGenerationChanged` makes `dispatch!`
/// rerun the operation, which wraps again under the current generation.
fn ensure_current_wrap(keys: &Keys, wrapped: &[u8]) -> Result<()> {
    match confidant_crypto::wrapped_key_generation(wrapped) {
        Some(g) if g == keys.generation() => Ok(()),
        _ => Err(StoreError::KeyGenerationChanged),
    }
}

/// At init: records the audit public key and signs the genesis checkpoint.
async fn record_signing_key(conn: &mut Conn, keys: &Keys, genesis: &Chain) -> Result<Option<Vec<u8>>> {
    let Some(signer) = &keys.signer else {
        return Ok(None);
    };
    let public_key = signer.verifying_key();
    query("INSERT INTO meta (k, v) VALUES ('audit_public_key', $1)")
        .bind(public_key.as_bytes().to_vec())
        .execute(&mut *conn)
        .await?;
    keys.set_verifying_key(Some(public_key));
    Ok(Some(genesis.signed_head(signer).signature.to_vec()))
}

/// The audit public key the database records (None: a store from before
/// signing began).
pub(crate) async fn read_public_key(pool: &Pool, _keys: &Keys) -> Result<Option<AuditVerifyingKey>> {
    let row = query("SELECT v FROM meta WHERE k = 'audit_public_key'")
        .fetch_optional(pool)
        .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let v: Vec<u8> = r.try_get("v")?;
            let bytes = <[u8; 32]>::try_from(v.as_slice()).map_err(corrupt("audit public key"))?;
            Ok(Some(AuditVerifyingKey::from_bytes(bytes)))
        }
    }
}

/// The KEK generation the database wraps under.
pub(crate) async fn read_generation(pool: &Pool, _keys: &Keys) -> Result<u32> {
    let row = query("SELECT kek_gen FROM audit_state WHERE id = 1")
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotInitialised)?;
    u32::try_from(row.try_get::<i64, _>("kek_gen")?).map_err(corrupt("key generation"))
}

/// Upgrades a store from before signing began: records the public key and
/// signs the checkpoint, after checking the HMAC checkpoint and that the
/// log does not run past it. One audit entry (`key.rotate`).
pub(crate) async fn upgrade_signing(pool: &Pool, keys: &Keys, actor: &str) -> Result<()> {
    let Some(signer) = &keys.signer else {
        return Ok(());
    };
    let mut tx = pool.begin().await?;
    let row = query(
        "UPDATE audit_state SET writes = writes + 1 WHERE id = 1 RETURNING count, head_hash, mac, sig, kek_gen",
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotInitialised)?;
    let checkpoint = checkpoint_from_parts(
        row.try_get("count")?,
        row.try_get("head_hash")?,
        row.try_get("mac")?,
    )
    .ok_or(StoreError::AuditCheckpointInvalid)?;
    // A signature without a recorded key means the key's record was
    // deleted: never re-sign over that.
    let sig: Option<Vec<u8>> = row.try_get("sig")?;
    if !checkpoint.verify(&keys.audit) || sig.is_some() {
        return Err(StoreError::AuditCheckpointInvalid);
    }
    check_nothing_beyond_checkpoint(&mut tx, &checkpoint).await?;
    let generation: i64 = row.try_get("kek_gen")?;
    keys.set_generation(u32::try_from(generation).map_err(corrupt("key generation"))?);
    let public_key = signer.verifying_key();
    query("INSERT INTO meta (k, v) VALUES ('audit_public_key', $1)")
        .bind(public_key.as_bytes().to_vec())
        .execute(&mut *tx)
        .await?;
    keys.set_verifying_key(Some(public_key));
    let mut chain = chain_at(&checkpoint);
    let done = async {
        write_entries(
            &mut tx,
            keys,
            &mut chain,
            vec![draft(
                actor,
                Action::KeyRotate,
                vec![crate::integrity::SIGNING_MARKER.to_owned()],
            )],
        )
        .await?;
        tx.commit().await?;
        Ok::<(), StoreError>(())
    }
    .await;
    if done.is_err() {
        keys.set_verifying_key(None);
    }
    done
}

/// The generation the client's wrapped key is under (0: version 1).
async fn key_generation_of(conn: &mut Conn, owner_id: &str) -> Result<u32> {
    let row = query("SELECT wrapped FROM data_keys WHERE owner_id = $1")
        .bind(owner_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row
        .map(|r| r.try_get::<Vec<u8>, _>("wrapped"))
        .transpose()?
        .and_then(|w| confidant_crypto::wrapped_key_generation(&w))
        .unwrap_or(0))
}

/// Re-wraps every remaining data key under the plan's new generation and
/// records it as the database's generation, in the destruction's
/// transaction: once this commits, nothing is wrapped under the old one.
async fn rewrap_all(conn: &mut Conn, keys: &Keys, plan: &DestroyPlan<'_>) -> Result<u64> {
    let rows = query("SELECT owner_id, wrapped FROM data_keys ORDER BY owner_id")
        .fetch_all(&mut *conn)
        .await?;
    let mut n = 0u64;
    for r in rows {
        let owner: String = r.try_get("owner_id")?;
        let wrapped: Vec<u8> = r.try_get("wrapped")?;
        let key = plan.ring.unwrap(&owner, &wrapped)?;
        let again = plan.ring.wrap(plan.to_generation, &owner, &key)?;
        query("UPDATE data_keys SET wrapped = $1 WHERE owner_id = $2")
            .bind(again)
            .bind(owner.as_str())
            .execute(&mut *conn)
            .await?;
        n += 1;
    }
    query("UPDATE audit_state SET kek_gen = $1 WHERE id = 1")
        .bind(i64::from(plan.to_generation))
        .execute(&mut *conn)
        .await?;
    let _ = keys;
    Ok(n)
}

/// Seals, signs and stores the certificate of a destruction whose audit
/// entry is `audit_seq`, in the destruction's transaction.
async fn store_certificate(
    conn: &mut Conn,
    keys: &Keys,
    plan: &DestroyPlan<'_>,
    client: &ClientId,
    actor: &str,
    counts: DestroyedCounts,
    audit_seq: u64,
    erased: u32,
    shared: &SharedNotesReport,
) -> Result<CertificateRecord> {
    let signer = keys.signer.as_ref().ok_or_else(|| {
        StoreError::AuditSigningKeyMissing(keys.signer_path.display().to_string())
    })?;
    let id = format!("dcert_{}", crate::certificate::hex(&new_id_bytes()));
    let json = certificate_json(plan, client, actor, counts, &id, audit_seq, erased, shared);
    let sealed = seal(
        &keys.certificate_key(),
        &aad("destruction_certificates", "sealed", &id, client.as_str()),
        &json,
    );
    let signature = signer.sign(&certificate_message(&id, audit_seq, &json));
    query(
        "INSERT INTO destruction_certificates (id, client_id, audit_seq, sealed, sig) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.as_str())
    .bind(client.as_str())
    .bind(seq_to_i64(audit_seq))
    .bind(sealed)
    .bind(signature.to_vec())
    .execute(&mut *conn)
    .await?;
    Ok(CertificateRecord { json, signature })
}

/// The stored certificates of a (destroyed) client, opened and checked;
/// the read is audited.
pub(crate) async fn destruction_certificates(
    pool: &Pool,
    keys: &Keys,
    actor: &str,
    client: &ClientId,
) -> Result<Vec<ShownCertificate>> {
    let mut tx = pool.begin().await?;
    let mut chain = lock_chain(&mut tx, keys).await?;
    let rows = query(
        "SELECT id, audit_seq, sealed, sig FROM destruction_certificates WHERE client_id = $1 ORDER BY seq",
    )
    .bind(client.as_str())
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Err(StoreError::UnknownRecord {
            kind: "destruction certificate",
        });
    }
    let public_key = keys.verifying_key();
    let mut out = Vec::with_capacity(rows.len());
    let mut ids = vec![client.to_string()];
    for r in rows {
        let id: String = r.try_get("id")?;
        let audit_seq: i64 = r.try_get("audit_seq")?;
        let sealed: Vec<u8> = r.try_get("sealed")?;
        let sig: Vec<u8> = r.try_get("sig")?;
        let json = confidant_crypto::open(
            &keys.certificate_key(),
            &aad("destruction_certificates", "sealed", &id, client.as_str()),
            &sealed,
        )?;
        let useq = u64::try_from(audit_seq).map_err(corrupt("certificate audit seq"))?;
        let signature_valid = match (public_key, <[u8; 64]>::try_from(sig.as_slice())) {
            (Some(pk), Ok(sig)) => pk.verify(&certificate_message(&id, useq, &json), &sig),
            _ => false,
        };
        let entry = query("SELECT action, record_ids FROM audit_entries WHERE seq = $1")
            .bind(audit_seq)
            .fetch_optional(&mut *tx)
            .await?;
        let audit_entry_matches = match entry {
            Some(e) => {
                e.try_get::<String, _>("action")? == Action::ClientDestroy.as_str()
                    && e.try_get::<String, _>("record_ids")? == client.as_str()
            }
            None => false,
        };
        let value: serde_json::Value =
            serde_json::from_slice(&json).map_err(corrupt("destruction certificate"))?;
        let serde_json::Value::Object(certificate) = value else {
            return Err(StoreError::Corrupt {
                what: "destruction certificate",
            });
        };
        ids.push(id);
        out.push(ShownCertificate {
            certificate,
            signature: crate::certificate::hex(&sig),
            signature_valid,
            audit_entry_matches,
        });
    }
    write_entries(&mut tx, keys, &mut chain, vec![draft(actor, Action::ClientRead, ids)]).await?;
    tx.commit().await?;
    Ok(out)
}

/// The committed signed head, for witnesses.
pub(crate) async fn current_head(pool: &Pool, keys: &Keys) -> Result<Option<SignedHead>> {
    let Some(public_key) = keys.verifying_key() else {
        return Ok(None);
    };
    let row = query("SELECT count, head_hash, sig FROM audit_state WHERE id = 1")
        .fetch_optional(pool)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let count: i64 = r.try_get("count")?;
    let head: Vec<u8> = r.try_get("head_hash")?;
    let sig: Option<Vec<u8>> = r.try_get("sig")?;
    let (Ok(count), Ok(head_hash), Some(Ok(signature))) = (
        u64::try_from(count),
        <[u8; 32]>::try_from(head.as_slice()),
        sig.map(|s| <[u8; 64]>::try_from(s.as_slice())),
    ) else {
        return Ok(None);
    };
    Ok(Some(SignedHead {
        count,
        head_hash,
        public_key,
        signature,
    }))
}
