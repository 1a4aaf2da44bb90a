// The client's access log, written once and compiled per backend like
// `ops.rs` (see `backend.rs`, `retention_ops!`). It reads the audit log
// only. (The retention listing, `client_activity`, reads sealed flags and
// holds, so it lives with the integrity checks in `ops_integrity.rs`.)

use sqlx::Row;

type Pool = sqlx::Pool<Db>;

fn query(sql: &str) -> sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments<'_>> {
    sqlx::query::<Db>(sql)
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

/// The newest `limit` audit entries naming the record `id` (any kind of
/// record: a client, matter, hold, note, user...), oldest first.
pub(crate) async fn audit_by_record(pool: &Pool, id: &str, limit: i64) -> Result<Vec<AccessEntry>> {
    let pattern = format!("% {id} %");
    let rows = query(
        "SELECT seq, at, actor, action, record_ids FROM audit_entries \
         WHERE (' ' || record_ids || ' ') LIKE $1 ORDER BY seq DESC",
    )
    .bind(pattern)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let ids: String = r.try_get("record_ids")?;
        if !ids.split(' ').any(|i| i == id) {
            continue;
        }
        out.push(entry_of(&r, ids)?);
        if out.len() as i64 >= limit {
            break;
        }
    }
    out.reverse();
    Ok(out)
}

/// The newest `limit` audit entries written by `actor`, oldest first.
pub(crate) async fn audit_by_actor(pool: &Pool, actor: &str, limit: i64) -> Result<Vec<AccessEntry>> {
    let rows = query(
        "SELECT seq, at, actor, action, record_ids FROM audit_entries \
         WHERE actor = $1 ORDER BY seq DESC LIMIT $2",
    )
    .bind(actor)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let ids: String = r.try_get("record_ids")?;
        out.push(entry_of(&r, ids)?);
    }
    out.reverse();
    Ok(out)
}

fn entry_of(r: &<Db as sqlx::Database>::Row, ids: String) -> Result<AccessEntry> {
    let action: String = r.try_get("action")?;
    Ok(AccessEntry {
        seq: u64::try_from(r.try_get::<i64, _>("seq")?).unwrap_or(0),
        at: Timestamp(r.try_get("at")?),
        actor: r.try_get("actor")?,
        action: action.parse().map_err(|_| StoreError::Corrupt {
            what: "audit action",
        })?,
        record_ids: ids
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}
