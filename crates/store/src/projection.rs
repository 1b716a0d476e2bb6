//! Projections: the query tables, derived from events only. `apply` is the one place that turns an
//! event into table rows; appending and rebuilding both go through it, so a rebuild from the event
//! table gives exactly the tables the running system had.

use liuhen_ledger::{Event, EventBody};
use liuhen_rules::{Listed, Record, parse_case_number_with};
use sqlx::{Row, SqliteConnection};

use crate::tree::Appender;
use crate::{Result, Store, StoreError, ts};

/// Append one event at the next index and apply it, inside the sequencer's transaction. The event
/// is encoded (and may be refused) before anything is written.
pub(crate) async fn append(conn: &mut SqliteConnection, appender: &mut Appender<'_>, event: &Event) -> Result<i64> {
    let entry = event.encode()?;
    let leaf = liuhen_ledger::leaf_hash(&entry);
    let seq = appender.next_index() as i64;
    sqlx::query("INSERT INTO events (seq, entry, leaf_hash, kind, record_id, at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(seq)
        .bind(&entry)
        .bind(&leaf[..])
        .bind(event.body.kind())
        .bind(event.body.record_id().map(|id| id.to_string()))
        .bind(ts(event.at))
        .execute(&mut *conn)
        .await?;
    appender.push(liuhen_ledger::tlog::Hash(leaf));
    apply(conn, seq, event, appender.extra_regions).await?;
    Ok(seq)
}

fn special_items_text(record: &Record) -> String {
    record.special_items.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
}

/// What a record row holds besides the record itself.
struct RowMeta<'a> {
    id: &'a str,
    version: u32,
    seq: i64,
    event: &'a Event,
    channel: &'a str,
    external_id: Option<&'a str>,
}

/// Write a record's row in one statement: a new record inserts it; an amendment (the row exists)
/// replaces what can change and keeps who recorded it, where and when.
async fn upsert_record_row(
    conn: &mut SqliteConnection,
    meta: RowMeta<'_>,
    record: &Record,
    extra_regions: &[String],
) -> Result<()> {
    let parsed = record.case_number.as_deref().and_then(|c| parse_case_number_with(c, extra_regions).ok());
    let cosign_status = if record.court_staff_present.is_empty() { "not_required" } else { "pending" };
    sqlx::query(
        "INSERT INTO records (id, court_id, recorder, register, version, created_seq, last_seq, created_at, updated_at,
         occurred_at, case_number, case_year, case_type_code, stage, form, intervener_name, intervener_unit, unit_type,
         leading_cadre, serious, special_items, cosign_status, channel, external_id, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET register = excluded.register, version = excluded.version, last_seq = excluded.last_seq,
         updated_at = excluded.updated_at, occurred_at = excluded.occurred_at, case_number = excluded.case_number,
         case_year = excluded.case_year, case_type_code = excluded.case_type_code, stage = excluded.stage, form = excluded.form,
         intervener_name = excluded.intervener_name, intervener_unit = excluded.intervener_unit, unit_type = excluded.unit_type,
         leading_cadre = excluded.leading_cadre, serious = excluded.serious, special_items = excluded.special_items,
         cosign_status = excluded.cosign_status, data = excluded.data",
    )
    .bind(meta.id)
    .bind(&meta.event.court)
    .bind(&meta.event.actor)
    .bind(record.register.code())
    .bind(i64::from(meta.version))
    .bind(meta.seq)
    .bind(meta.seq)
    .bind(ts(meta.event.at))
    .bind(ts(meta.event.at))
    .bind(ts(record.occurred_at))
    .bind(&record.case_number)
    .bind(parsed.as_ref().map(|p| i64::from(p.year)))
    .bind(parsed.as_ref().map(|p| p.case_type_code.clone()))
    .bind(record.stage.code())
    .bind(record.form.code())
    .bind(&record.intervener.name)
    .bind(&record.intervener.unit)
    .bind(record.intervener.unit_type.code())
    .bind(record.intervener.leading_cadre)
    .bind(record.serious)
    .bind(special_items_text(record))
    .bind(cosign_status)
    .bind(meta.channel)
    .bind(meta.external_id)
    .bind(serde_json::to_string(record).map_err(|e| StoreError::Internal(e.to_string()))?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_special_items(conn: &mut SqliteConnection, record_id: &str, record: &Record) -> Result<()> {
    if record.special_items.is_empty() {
        return Ok(());
    }
    let mut q: sqlx::QueryBuilder<sqlx::Sqlite> =
        sqlx::QueryBuilder::new("INSERT INTO record_special_items (record_id, item) ");
    q.push_values(&record.special_items, |mut row, item| {
        row.push_bind(record_id.to_string()).push_bind(i64::from(*item));
    });
    q.build().execute(&mut *conn).await?;
    Ok(())
}

async fn add_version(
    conn: &mut SqliteConnection,
    record_id: &str,
    version: u32,
    seq: i64,
    event: &Event,
    reason: Option<&str>,
    record: &Record,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO record_versions (record_id, version, seq, actor, at, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(record_id)
    .bind(i64::from(version))
    .bind(seq)
    .bind(&event.actor)
    .bind(ts(event.at))
    .bind(reason)
    .bind(serde_json::to_string(record).map_err(|e| StoreError::Internal(e.to_string()))?)
    .execute(&mut *conn)
    .await?;
    // R4: each court staff member present confirms what this version says.
    if !record.court_staff_present.is_empty() {
        let mut q: sqlx::QueryBuilder<sqlx::Sqlite> =
            sqlx::QueryBuilder::new("INSERT INTO cosignatures (record_id, version, signer, state) ");
        q.push_values(&record.court_staff_present, |mut row, signer| {
            row.push_bind(record_id.to_string())
                .push_bind(i64::from(version))
                .push_bind(signer.clone())
                .push_bind("pending");
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The co-signature status of a record's current version: not_required, pending, confirmed or
/// disputed (a dispute outweighs everything else).
async fn refresh_cosign_status(conn: &mut SqliteConnection, record_id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE records SET cosign_status = (
            SELECT CASE
                WHEN COUNT(*) = 0 THEN 'not_required'
                WHEN SUM(c.state = 'disputed') > 0 THEN 'disputed'
                WHEN SUM(c.state = 'pending') > 0 THEN 'pending'
                ELSE 'confirmed' END
            FROM cosignatures c WHERE c.record_id = records.id AND c.version = records.version)
         WHERE id = ?",
    )
    .bind(record_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    seq: i64,
    event: &Event,
    extra_regions: &[String],
) -> Result<()> {
    match &event.body {
        EventBody::RecordCreated { record_id, source, record } => {
            // One statement for the whole row: the sequencer's cost is the number of statements.
            let id = record_id.to_string();
            let meta = RowMeta {
                id: &id,
                version: 1,
                seq,
                event,
                channel: &source.channel,
                external_id: source.external_id.as_deref(),
            };
            upsert_record_row(conn, meta, record, extra_regions).await?;
            insert_special_items(conn, &id, record).await?;
            add_version(conn, &id, 1, seq, event, None, record).await?;
            if let Some(key_hash) = &source.idempotency_key_hash {
                sqlx::query("INSERT INTO idempotency (actor, key_hash, record_id) VALUES (?, ?, ?)")
                    .bind(&event.actor)
                    .bind(key_hash)
                    .bind(&id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        EventBody::RecordAmended { record_id, version, reason, record, .. } => {
            let id = record_id.to_string();
            // channel and external_id stay as recorded: the upsert does not touch them.
            let meta = RowMeta { id: &id, version: *version, seq, event, channel: "", external_id: None };
            upsert_record_row(conn, meta, record, extra_regions).await?;
            sqlx::query("DELETE FROM record_special_items WHERE record_id = ?").bind(&id).execute(&mut *conn).await?;
            insert_special_items(conn, &id, record).await?;
            add_version(conn, &id, *version, seq, event, Some(reason), record).await?;
            refresh_cosign_status(conn, &id).await?;
        }
        EventBody::RecordCosigned { record_id, version, signer }
        | EventBody::RecordDisputed { record_id, version, signer, .. } => {
            let (state, reason) = match &event.body {
                EventBody::RecordDisputed { reason, .. } => ("disputed", Some(reason.as_str())),
                _ => ("confirmed", None),
            };
            let id = record_id.to_string();
            sqlx::query("UPDATE cosignatures SET state = ?, reason = ?, at = ?, seq = ? WHERE record_id = ? AND version = ? AND signer = ?")
                .bind(state)
                .bind(reason)
                .bind(ts(event.at))
                .bind(seq)
                .bind(&id)
                .bind(i64::from(*version))
                .bind(signer)
                .execute(&mut *conn)
                .await?;
            sqlx::query("UPDATE records SET last_seq = ? WHERE id = ?").bind(seq).bind(&id).execute(&mut *conn).await?;
            refresh_cosign_status(conn, &id).await?;
        }
        EventBody::MaterialAdded {
            record_id,
            material_id,
            sha256,
            size,
            category,
            file_name,
            media_type,
            disposition,
            whereabouts,
        } => {
            sqlx::query(
                "INSERT INTO materials (id, record_id, seq, sha256, size, category, file_name, media_type, disposition, whereabouts, added_by, added_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(material_id.to_string())
            .bind(record_id.to_string())
            .bind(seq)
            .bind(sha256)
            .bind(i64::try_from(*size).map_err(|e| StoreError::Internal(e.to_string()))?)
            .bind(category.code())
            .bind(file_name)
            .bind(media_type)
            .bind(disposition.code())
            .bind(whereabouts)
            .bind(&event.actor)
            .bind(ts(event.at))
            .execute(&mut *conn)
            .await?;
            sqlx::query("UPDATE records SET last_seq = ? WHERE id = ?")
                .bind(seq)
                .bind(record_id.to_string())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

pub(crate) const PROJECTION_TABLES: [&str; 6] =
    ["records", "record_special_items", "record_versions", "cosignatures", "materials", "idempotency"];

/// Throw the query tables away and derive them again from the event table, inside the caller's
/// transaction. Returns the number of events replayed.
pub(crate) async fn rebuild(conn: &mut SqliteConnection, extra_regions: &[String]) -> Result<u64> {
    for table in PROJECTION_TABLES {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *conn).await?;
    }
    let mut count = 0u64;
    let mut next: i64 = 0;
    loop {
        // Pages keep memory flat however long the log is.
        let rows = sqlx::query("SELECT seq, entry FROM events WHERE seq >= ? ORDER BY seq LIMIT 1000")
            .bind(next)
            .fetch_all(&mut *conn)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let seq: i64 = row.try_get("seq")?;
            let entry: Vec<u8> = row.try_get("entry")?;
            let event = Event::decode(&entry)?;
            apply(conn, seq, &event, extra_regions).await?;
            next = seq + 1;
            count += 1;
        }
    }
    Ok(count)
}

/// A digest of every projection table's contents, to compare the tables before and after a
/// rebuild.
pub(crate) async fn digest(conn: &mut SqliteConnection) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for table in PROJECTION_TABLES {
        let columns: Vec<String> =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT name FROM pragma_table_info('{table}')")))
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<_, _>>()?;
        let quoted: Vec<String> = columns.iter().map(|c| format!("quote({c})")).collect();
        let sql = format!("SELECT {} FROM {table} ORDER BY 1", quoted.join(" || ',' || "));
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
        h.update(table.as_bytes());
        for row in rows {
            h.update(row.try_get::<String, _>(0)?.as_bytes());
            h.update([0x1e]);
        }
    }
    Ok(hex::encode(h.finalize()))
}

impl Store {
    /// Throw the query tables away and derive them again from the event table, in one transaction.
    /// Returns the number of events replayed.
    pub async fn rebuild_projections(&self) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = rebuild(&mut tx, &self.config.extra_regions).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// A digest of every projection table's contents (tests and `liuhen rebuild-projections`).
    pub async fn projection_digest(&self) -> Result<String> {
        let mut conn = self.writer.acquire().await?;
        digest(&mut conn).await
    }

    /// The number of events in the log.
    pub async fn event_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM events").fetch_one(&self.reader).await?.try_get(0)?)
    }
}
