//! Projections: the query tables, derived from events only. `apply` is the one place that turns an
//! event into table rows; appending and rebuilding both go through it, so a rebuild from the event
//! table gives exactly the tables the running system had.
//!
//! The sequencer's cost is the number of statements it sends SQLite, so the rows of new events and
//! new records are gathered in [`Pending`] and written a batch at a time in multi-row statements.
//! Anything that reads the tables (a command's checks, an event that updates a row) flushes them
//! first, so every read sees every earlier event.

use liuhen_ledger::{Event, EventBody};
use liuhen_rules::{Listed, Record, parse_case_number_with};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::tree::Appender;
use crate::{Result, Store, StoreError, ts};

/// Rows waiting to be written, in the order of their events.
#[derive(Default)]
pub(crate) struct Pending {
    events: Vec<EventRow>,
    records: Vec<RecordRow>,
    special_items: Vec<(String, i64)>,
    versions: Vec<VersionRow>,
    cosignatures: Vec<(String, i64, String)>,
    idempotency: Vec<(String, String, String)>,
}

struct EventRow {
    seq: i64,
    entry: Vec<u8>,
    leaf: Vec<u8>,
    kind: &'static str,
    record_id: Option<String>,
    at: String,
}

struct VersionRow {
    record_id: String,
    version: i64,
    seq: i64,
    actor: String,
    at: String,
    reason: Option<String>,
    data: String,
}

/// One row of `records`.
struct RecordRow {
    id: String,
    court_id: String,
    recorder: String,
    register: &'static str,
    version: i64,
    seq: i64,
    at: String,
    occurred_at: String,
    case_number: Option<String>,
    case_year: Option<i64>,
    case_type_code: Option<String>,
    stage: &'static str,
    form: &'static str,
    intervener_name: String,
    intervener_unit: String,
    unit_type: &'static str,
    leading_cadre: bool,
    serious: bool,
    special_items: String,
    cosign_status: &'static str,
    channel: String,
    external_id: Option<String>,
    data: String,
}

impl RecordRow {
    /// `source` is there for a new record; an amendment keeps the row's channel and external id.
    fn new(
        id: &str,
        version: u32,
        seq: i64,
        event: &Event,
        source: Option<&liuhen_ledger::Source>,
        record: &Record,
        extra_regions: &[String],
    ) -> Result<RecordRow> {
        let parsed = record.case_number.as_deref().and_then(|c| parse_case_number_with(c, extra_regions).ok());
        Ok(RecordRow {
            id: id.to_string(),
            court_id: event.court.clone(),
            recorder: event.actor.clone(),
            register: record.register.code(),
            version: i64::from(version),
            seq,
            at: ts(event.at),
            occurred_at: ts(record.occurred_at),
            case_number: record.case_number.clone(),
            case_year: parsed.as_ref().map(|p| i64::from(p.year)),
            case_type_code: parsed.map(|p| p.case_type_code),
            stage: record.stage.code(),
            form: record.form.code(),
            intervener_name: record.intervener.name.clone(),
            intervener_unit: record.intervener.unit.clone(),
            unit_type: record.intervener.unit_type.code(),
            leading_cadre: record.intervener.leading_cadre,
            serious: record.serious,
            special_items: record.special_items.iter().map(u8::to_string).collect::<Vec<_>>().join(","),
            cosign_status: if record.court_staff_present.is_empty() { "not_required" } else { "pending" },
            channel: source.map(|s| s.channel.clone()).unwrap_or_default(),
            external_id: source.and_then(|s| s.external_id.clone()),
            data: serde_json::to_string(record).map_err(|e| StoreError::Internal(e.to_string()))?,
        })
    }
}

/// Write record rows; with `upsert`, an existing row (an amendment) keeps who recorded it, where
/// and when, and takes everything else from the new version.
async fn write_record_rows(conn: &mut SqliteConnection, rows: &[RecordRow], upsert: bool) -> Result<()> {
    for chunk in rows.chunks(400) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO records (id, court_id, recorder, register, version, created_seq, last_seq, created_at, updated_at,
             occurred_at, case_number, case_year, case_type_code, stage, form, intervener_name, intervener_unit, unit_type,
             leading_cadre, serious, special_items, cosign_status, channel, external_id, data) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.id.clone())
                .push_bind(r.court_id.clone())
                .push_bind(r.recorder.clone())
                .push_bind(r.register)
                .push_bind(r.version)
                .push_bind(r.seq)
                .push_bind(r.seq)
                .push_bind(r.at.clone())
                .push_bind(r.at.clone())
                .push_bind(r.occurred_at.clone())
                .push_bind(r.case_number.clone())
                .push_bind(r.case_year)
                .push_bind(r.case_type_code.clone())
                .push_bind(r.stage)
                .push_bind(r.form)
                .push_bind(r.intervener_name.clone())
                .push_bind(r.intervener_unit.clone())
                .push_bind(r.unit_type)
                .push_bind(r.leading_cadre)
                .push_bind(r.serious)
                .push_bind(r.special_items.clone())
                .push_bind(r.cosign_status)
                .push_bind(r.channel.clone())
                .push_bind(r.external_id.clone())
                .push_bind(r.data.clone());
        });
        if upsert {
            q.push(
                " ON CONFLICT(id) DO UPDATE SET register = excluded.register, version = excluded.version,
                 last_seq = excluded.last_seq, updated_at = excluded.updated_at, occurred_at = excluded.occurred_at,
                 case_number = excluded.case_number, case_year = excluded.case_year, case_type_code = excluded.case_type_code,
                 stage = excluded.stage, form = excluded.form, intervener_name = excluded.intervener_name,
                 intervener_unit = excluded.intervener_unit, unit_type = excluded.unit_type,
                 leading_cadre = excluded.leading_cadre, serious = excluded.serious, special_items = excluded.special_items,
                 cosign_status = excluded.cosign_status, data = excluded.data",
            );
        }
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

impl Pending {
    pub(crate) fn is_empty(&self) -> bool {
        self.events.is_empty() && self.records.is_empty() && self.versions.is_empty()
    }

    fn add_version(
        &mut self,
        record_id: &str,
        version: u32,
        seq: i64,
        event: &Event,
        reason: Option<&str>,
        record: &Record,
    ) -> Result<()> {
        self.versions.push(VersionRow {
            record_id: record_id.to_string(),
            version: i64::from(version),
            seq,
            actor: event.actor.clone(),
            at: ts(event.at),
            reason: reason.map(str::to_string),
            data: serde_json::to_string(record).map_err(|e| StoreError::Internal(e.to_string()))?,
        });
        // R4: each court staff member present confirms what this version says.
        for signer in &record.court_staff_present {
            self.cosignatures.push((record_id.to_string(), i64::from(version), signer.clone()));
        }
        Ok(())
    }

    fn add_special_items(&mut self, record_id: &str, record: &Record) {
        self.special_items.extend(record.special_items.iter().map(|i| (record_id.to_string(), i64::from(*i))));
    }

    /// Write every waiting row, a few multi-row statements per table.
    pub(crate) async fn flush(&mut self, conn: &mut SqliteConnection) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        for chunk in self.events.chunks(500) {
            let mut q: QueryBuilder<Sqlite> =
                QueryBuilder::new("INSERT INTO events (seq, entry, leaf_hash, kind, record_id, at) ");
            q.push_values(chunk, |mut b, e| {
                b.push_bind(e.seq)
                    .push_bind(e.entry.clone())
                    .push_bind(e.leaf.clone())
                    .push_bind(e.kind)
                    .push_bind(e.record_id.clone())
                    .push_bind(e.at.clone());
            });
            q.build().execute(&mut *conn).await?;
        }
        write_record_rows(conn, &self.records, false).await?;
        for chunk in self.special_items.chunks(2000) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("INSERT INTO record_special_items (record_id, item) ");
            q.push_values(chunk, |mut b, (id, item)| {
                b.push_bind(id.clone()).push_bind(*item);
            });
            q.build().execute(&mut *conn).await?;
        }
        for chunk in self.versions.chunks(1000) {
            let mut q: QueryBuilder<Sqlite> =
                QueryBuilder::new("INSERT INTO record_versions (record_id, version, seq, actor, at, reason, data) ");
            q.push_values(chunk, |mut b, v| {
                b.push_bind(v.record_id.clone())
                    .push_bind(v.version)
                    .push_bind(v.seq)
                    .push_bind(v.actor.clone())
                    .push_bind(v.at.clone())
                    .push_bind(v.reason.clone())
                    .push_bind(v.data.clone());
            });
            q.build().execute(&mut *conn).await?;
        }
        for chunk in self.cosignatures.chunks(2000) {
            let mut q: QueryBuilder<Sqlite> =
                QueryBuilder::new("INSERT INTO cosignatures (record_id, version, signer, state) ");
            q.push_values(chunk, |mut b, (id, version, signer)| {
                b.push_bind(id.clone()).push_bind(*version).push_bind(signer.clone()).push_bind("pending");
            });
            q.build().execute(&mut *conn).await?;
        }
        for chunk in self.idempotency.chunks(2000) {
            let mut q: QueryBuilder<Sqlite> =
                QueryBuilder::new("INSERT INTO idempotency (actor, key_hash, record_id) ");
            q.push_values(chunk, |mut b, (actor, key, id)| {
                b.push_bind(actor.clone()).push_bind(key.clone()).push_bind(id.clone());
            });
            q.build().execute(&mut *conn).await?;
        }
        *self = Pending::default();
        Ok(())
    }
}

/// Append one event at the next index and apply it, inside the sequencer's transaction. The event
/// is encoded (and may be refused) before anything is written or queued.
pub(crate) async fn append(conn: &mut SqliteConnection, appender: &mut Appender<'_>, event: &Event) -> Result<i64> {
    let entry = event.encode()?;
    let leaf = liuhen_ledger::leaf_hash(&entry);
    let seq = appender.next_index() as i64;
    appender.pending.events.push(EventRow {
        seq,
        entry,
        leaf: leaf.to_vec(),
        kind: event.body.kind(),
        record_id: event.body.record_id().map(|id| id.to_string()),
        at: ts(event.at),
    });
    appender.push(liuhen_ledger::tlog::Hash(leaf));
    let extra_regions = appender.extra_regions;
    apply(conn, &mut appender.pending, seq, event, extra_regions).await?;
    Ok(seq)
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
    pending: &mut Pending,
    seq: i64,
    event: &Event,
    extra_regions: &[String],
) -> Result<()> {
    if let EventBody::RecordCreated { record_id, source, record } = &event.body {
        // A new record only adds rows: they wait for the next flush.
        let id = record_id.to_string();
        pending.records.push(RecordRow::new(&id, 1, seq, event, Some(source), record, extra_regions)?);
        pending.add_special_items(&id, record);
        pending.add_version(&id, 1, seq, event, None, record)?;
        if let Some(key_hash) = &source.idempotency_key_hash {
            pending.idempotency.push((event.actor.clone(), key_hash.clone(), id));
        }
        return Ok(());
    }
    // Everything else updates rows that may still be waiting.
    pending.flush(conn).await?;
    match &event.body {
        EventBody::RecordCreated { .. } => unreachable!("handled above"),
        EventBody::RecordAmended { record_id, version, reason, record, .. } => {
            let id = record_id.to_string();
            // channel and external_id stay as recorded: the upsert does not touch them.
            let row = RecordRow::new(&id, *version, seq, event, None, record, extra_regions)?;
            write_record_rows(conn, std::slice::from_ref(&row), true).await?;
            sqlx::query("DELETE FROM record_special_items WHERE record_id = ?").bind(&id).execute(&mut *conn).await?;
            pending.add_special_items(&id, record);
            pending.add_version(&id, *version, seq, event, Some(reason), record)?;
            pending.flush(conn).await?;
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
    let mut pending = Pending::default();
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
            apply(conn, &mut pending, seq, &event, extra_regions).await?;
            next = seq + 1;
            count += 1;
        }
        pending.flush(conn).await?;
    }
    pending.flush(conn).await?;
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
