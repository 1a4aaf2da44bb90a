// Listings for retention and the client's access log, written once and
// compiled per backend like `ops.rs` (see `backend.rs`, `retention_ops!`).
// Both read plaintext columns only (ids, times, flags, audit actions): no
// data key is unwrapped and nothing sealed is opened, so a sweep over a
// large store costs one query, not one decryption per client.

use sqlx::Row;

type Pool = sqlx::Pool<Db>;

fn query(sql: &str) -> sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments<'_>> {
    sqlx::query::<Db>(sql)
}

/// Every client with the dates a retention rule can start from, in the
/// order they were created.
pub(crate) async fn client_activity(pool: &Pool) -> Result<Vec<ClientActivity>> {
    // A note counts for every client it is attributable to (a couple's
    // joint session is each partner's last session too). Aggregated once
    // per table and joined, so the listing stays linear in the store's
    // size (a correlated subquery per client made it grow faster).
    let rows = query(
        "SELECT c.id, c.created_at, c.work_ended, l.last_note, COALESCE(h.holds, 0) AS holds \
         FROM clients c \
         LEFT JOIN (SELECT a.client_id, MAX(a.at) AS last_note FROM ( \
              SELECT n.client_id, n.created_at AS at FROM notes n \
              UNION ALL \
              SELECT p.client_id, n.created_at AS at FROM note_parties p JOIN notes n ON n.id = p.note_id \
           ) AS a GROUP BY a.client_id) AS l ON l.client_id = c.id \
         LEFT JOIN (SELECT client_id, COUNT(*) AS holds FROM legal_holds \
              WHERE released_at IS NULL GROUP BY client_id) AS h ON h.client_id = c.id \
         ORDER BY c.seq",
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        out.push(ClientActivity {
            id: id
                .parse()
                .map_err(|_| StoreError::Corrupt { what: "client id" })?,
            created_at: Timestamp(r.try_get("created_at")?),
            work_ended: r.try_get::<i64, _>("work_ended")? != 0,
            last_note_at: r.try_get::<Option<i64>, _>("last_note")?.map(Timestamp),
            open_holds: u64::try_from(r.try_get::<i64, _>("holds")?).unwrap_or(0),
        });
    }
    Ok(out)
}

/// The audit entries naming `client`, oldest first.
pub(crate) async fn access_log(pool: &Pool, client: &ClientId) -> Result<Vec<AccessEntry>> {
    // LIKE narrows the scan; the exact match on the split ids below is
    // what decides (`_` in an id would otherwise match any character).
    let pattern = format!("% {} %", client.as_str());
    let rows = query(
        "SELECT seq, at, actor, action, record_ids FROM audit_entries \
         WHERE (' ' || record_ids || ' ') LIKE $1 ORDER BY seq",
    )
    .bind(pattern)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let ids: String = r.try_get("record_ids")?;
        if !ids.split(' ').any(|i| i == client.as_str()) {
            continue;
        }
        let action: String = r.try_get("action")?;
        out.push(AccessEntry {
            seq: u64::try_from(r.try_get::<i64, _>("seq")?).unwrap_or(0),
            at: Timestamp(r.try_get("at")?),
            actor: r.try_get("actor")?,
            action: action.parse().map_err(|_| StoreError::Corrupt {
                what: "audit action",
            })?,
            record_ids: ids.split(' ').map(str::to_owned).collect(),
        });
    }
    Ok(out)
}
