//! Projections: the query tables, derived from events only. `apply` is the one place that turns an
//! event into table rows; appending and rebuilding both go through it, so a rebuild from the event
//! table gives exactly the tables the running system had.
//!
//! It runs on the sequencer's own `Db` (either backend) inside its write transaction, so every
//! read sees every earlier write; rebuilds, `verify` and copies run it on theirs.

use liuhen_ledger::{Event, EventBody};
use liuhen_rules::{Listed, Record, parse_recorded_case_number};

use crate::sql::{Cell, Db, Param, args};

use crate::sql::params;
use crate::tree::Appender;
use crate::{Result, Store, StoreError, ts};

fn json(record: &Record) -> Result<String> {
    serde_json::to_string(record).map_err(|e| StoreError::Internal(e.to_string()))
}

/// One version of a record, as an event brings it.
struct Version<'a> {
    id: &'a str,
    number: u32,
    seq: i64,
    event: &'a Event,
    record: &'a Record,
    /// The record as stored JSON, serialised once for both tables.
    data: String,
}

/// Write the `records` row of a version. For an amendment (`source` is None) the row exists: it
/// keeps who recorded it, where, when and through which channel, and takes everything else from
/// the new version.
fn write_record_row(conn: &dyn Db, v: &Version<'_>, source: Option<&liuhen_ledger::Source>) -> Result<()> {
    let Version { id, number: version, seq, event, record, .. } = *v;
    let parsed = record.case_number.as_deref().and_then(|c| parse_recorded_case_number(c).ok());
    let at = ts(event.at);
    let special_items = record.special_items.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
    let cosign_status = if record.court_staff_present.is_empty() { "not_required" } else { "pending" };
    let columns = args![
        id,
        record.register.code(),
        i64::from(version),
        seq,
        at,
        ts(record.occurred_at),
        record.case_number,
        parsed.as_ref().map(|p| i64::from(p.year)),
        parsed.as_ref().map(|p| p.case_type_code.as_str()),
        record.stage.code(),
        record.form.code(),
        record.intervener.name,
        record.intervener.unit,
        record.intervener.unit_type.code(),
        record.intervener.leading_cadre,
        record.serious,
        special_items,
        cosign_status,
        record.intervener.principal.is_some(),
    ];
    // Where the record's facts row is now (an amendment may move it in time or out of the analysis).
    let placed: (String, Option<String>) = match source {
        Some(_) => (event.court.clone(), None),
        None => {
            let row = conn.one("SELECT court_id, occurred_at FROM records WHERE id = $1", args![id])?;
            (row.get(0)?, Some(row.get(1)?))
        }
    };
    match source {
        Some(source) => {
            let mut all: Vec<&dyn Param> = columns.to_vec();
            all.extend_from_slice(args![event.court, event.actor, source.channel, source.external_id]);
            conn.exec(
                "INSERT INTO records (id, register, version, created_seq, last_seq, created_at, updated_at,
                 occurred_at, case_number, case_year, case_type_code, stage, form, intervener_name, intervener_unit,
                 unit_type, leading_cadre, serious, special_items, cosign_status, principal_named,
                 court_id, recorder, channel, external_id)
                 VALUES ($1, $2, $3, $4, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                         $19, $20, $21, $22, $23)",
                &all,
            )?;
        }
        None => {
            let changed = conn.exec(
                "UPDATE records SET register = $2, version = $3, last_seq = $4, updated_at = $5, occurred_at = $6,
                 case_number = $7, case_year = $8, case_type_code = $9, stage = $10, form = $11,
                 intervener_name = $12, intervener_unit = $13, unit_type = $14, leading_cadre = $15, serious = $16,
                 special_items = $17, cosign_status = $18, principal_named = $19
                 WHERE id = $1",
                columns,
            )?;
            if changed != 1 {
                return Err(StoreError::Internal(format!("amendment of record {id}, which has no row")));
            }
        }
    }
    write_search_row(conn, id, record)?;
    crate::accountability::write_cadre_rows(conn, id, record, &placed.0, source.is_none())?;
    write_facts_row(conn, id, record, &placed.0, placed.1.as_deref())
}

/// A record's row in `record_facts` (R8): there while the record counts in the analysis, keyed by
/// court and time so that a court's quarter is one range of the table.
fn write_facts_row(conn: &dyn Db, id: &str, record: &Record, court: &str, was_at: Option<&str>) -> Result<()> {
    if let Some(at) = was_at {
        conn.exec(
            "DELETE FROM record_facts WHERE court_id = $1 AND occurred_at = $2 AND record_id = $3",
            args![court, at, id],
        )?;
    }
    if record.counts_in_analysis() {
        let facts = serde_json::to_string(&record.facts()).map_err(|e| StoreError::Internal(e.to_string()))?;
        conn.exec(
            "INSERT INTO record_facts (court_id, occurred_at, record_id, facts) VALUES ($1, $2, $3, $4)
             ON CONFLICT (court_id, occurred_at, record_id) DO UPDATE SET facts = excluded.facts",
            args![court, ts(record.occurred_at), id, facts],
        )?;
    }
    Ok(())
}

/// The text a record is found by (the `record_search` index): what it says and who is in it.
pub(crate) fn search_text(record: &Record) -> String {
    let i = &record.intervener;
    let mut parts: Vec<&str> = vec![&record.content, &i.name, &i.unit, &i.post];
    parts.extend(record.handling.as_deref());
    parts.extend(record.place.as_deref());
    parts.extend(record.case_number.as_deref());
    parts.extend(record.case_title.as_deref());
    parts.extend(record.persons_present.iter().map(String::as_str));
    parts.join("\n")
}

/// A record's row of the search index (its spelling is the backend dialect's `write_search_row`).
fn write_search_row(conn: &dyn Db, id: &str, record: &Record) -> Result<()> {
    conn.dialect().write_search_row(conn, id, &search_text(record))
}

/// Writes one record's derived row: the record's id, the record, its court.
type DeriveRow = fn(&dyn Db, &str, &Record, &str) -> Result<()>;

/// Derive what a migration left to be derived (`derived_backlog`): the search index of records
/// made before it existed, the reports' facts of every record (SQLite), the cadre rows of every
/// store entry (both backends). In transactions of a few thousand records, each idempotent, so
/// that an interrupted fill resumes at the next open; a table's mark goes when it is complete,
/// and later opens skip it. Returns the records written.
pub(crate) fn fill_backlog(conn: &dyn Db) -> Result<usize> {
    let backlog: Vec<String> =
        conn.rows("SELECT name FROM derived_backlog", args![])?.iter().map(|r| r.get(0)).collect::<Result<_>>()?;
    let mut written = 0;
    for name in backlog {
        let (condition, write): (String, DeriveRow) = match name.as_str() {
            "record_search" => {
                (conn.dialect().unsearched().into(), |conn, id, record, _| write_search_row(conn, id, record))
            }
            "record_facts" => {
                (format!("r.register = 'store' AND {}", crate::reports::COUNTS), |conn, id, record, court| {
                    write_facts_row(conn, id, record, court, None)
                })
            }
            "record_cadres" => ("r.register = 'store'".into(), |conn, id, record, court| {
                crate::accountability::write_cadre_rows(conn, id, record, court, true)
            }),
            other => return Err(StoreError::Internal(format!("unknown derived table {other} in derived_backlog"))),
        };
        // Paged by the records' key, which both backends index.
        let mut after = String::new();
        loop {
            let done = crate::sql::in_transaction(conn, |tx| {
                let rows = tx
                    .rows(
                        &format!(
                            "SELECT r.id, r.court_id, v.data FROM records r
                         JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
                         WHERE r.id > $1 AND {condition} ORDER BY r.id LIMIT 5000"
                        ),
                        args![after],
                    )?
                    .iter()
                    .map(|r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?)))
                    .collect::<Result<Vec<_>>>()?;
                let Some(last) = rows.last() else {
                    tx.exec("DELETE FROM derived_backlog WHERE name = $1", args![&name])?;
                    return Ok(true);
                };
                after = last.0.clone();
                for (id, court, data) in &rows {
                    write(tx, id, &crate::records::decode_record(data)?, court)?;
                }
                written += rows.len();
                Ok(false)
            })?;
            if done {
                break;
            }
        }
    }
    Ok(written)
}

/// A version's rows: the version itself, its special items, and a pending co-signature for each
/// court staff member present (R4: each confirms what this version says).
fn write_version(conn: &dyn Db, v: &Version<'_>, reason: Option<&str>) -> Result<()> {
    let Version { id, number: version, seq, event, record, .. } = *v;
    conn.exec("INSERT INTO record_versions (record_id, version, seq, actor, at, reason, data) VALUES ($1, $2, $3, $4, $5, $6, $7)", args![id, i64::from(version), seq, event.actor, ts(event.at), reason, v.data])?;
    for i in &record.special_items {
        conn.exec("INSERT INTO record_special_items (record_id, item) VALUES ($1, $2)", args![id, i64::from(*i)])?;
    }
    for signer in &record.court_staff_present {
        conn.exec(
            "INSERT INTO cosignatures (record_id, version, signer, state) VALUES ($1, $2, $3, 'pending')",
            args![id, i64::from(version), signer],
        )?;
    }
    Ok(())
}

/// Append one event at the next index and apply it, inside the sequencer's transaction. The event
/// is encoded (and may be refused) before anything is written.
pub(crate) fn append(conn: &dyn Db, appender: &mut Appender, event: &Event) -> Result<i64> {
    let at = appender.stamp(event.at);
    let restamped;
    let event = if at == event.at {
        event
    } else {
        restamped = Event { at, ..event.clone() };
        &restamped
    };
    let entry = event.encode()?;
    let leaf = liuhen_ledger::leaf_hash(&entry);
    let seq = appender.next_index() as i64;
    conn.exec(
        "INSERT INTO events (seq, entry, leaf_hash, kind, record_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
        args![seq, entry, &leaf[..], event.body.kind(), event.body.record_id().map(|id| id.to_string()), ts(event.at)],
    )?;
    appender.push(liuhen_ledger::tlog::Hash(leaf));
    apply(conn, seq, event)?;
    Ok(seq)
}

/// The co-signature status of a record's current version: not_required, pending, confirmed or
/// disputed (a dispute outweighs everything else).
fn refresh_cosign_status(conn: &dyn Db, record_id: &str, seq: i64) -> Result<()> {
    conn.exec(
        "UPDATE records SET last_seq = $2, cosign_status = (
            SELECT CASE
                WHEN COUNT(*) = 0 THEN 'not_required'
                WHEN SUM(CASE WHEN c.state = 'disputed' THEN 1 ELSE 0 END) > 0 THEN 'disputed'
                WHEN SUM(CASE WHEN c.state = 'pending' THEN 1 ELSE 0 END) > 0 THEN 'pending'
                ELSE 'confirmed' END
            FROM cosignatures c WHERE c.record_id = records.id AND c.version = records.version)
         WHERE id = $1",
        args![record_id, seq],
    )?;
    Ok(())
}

pub(crate) fn apply(conn: &dyn Db, seq: i64, event: &Event) -> Result<()> {
    match &event.body {
        EventBody::RecordCreated { record_id, source, record } => {
            let id = record_id.to_string();
            let v = Version { id: &id, number: 1, seq, event, record, data: json(record)? };
            write_record_row(conn, &v, Some(source))?;
            write_version(conn, &v, None)?;
            if let Some(key_hash) = &source.idempotency_key_hash {
                conn.exec(
                    "INSERT INTO idempotency (actor, key_hash, record_id) VALUES ($1, $2, $3)",
                    args![event.actor, key_hash, id],
                )?;
            }
        }
        EventBody::RecordAmended { record_id, version, reason, record, .. } => {
            let id = record_id.to_string();
            let v = Version { id: &id, number: *version, seq, event, record, data: json(record)? };
            write_record_row(conn, &v, None)?;
            conn.exec("DELETE FROM record_special_items WHERE record_id = $1", args![&id])?;
            write_version(conn, &v, Some(reason))?;
            refresh_cosign_status(conn, &id, seq)?;
        }
        EventBody::RecordCosigned { record_id, version, signer }
        | EventBody::RecordDisputed { record_id, version, signer, .. } => {
            let (state, reason) = match &event.body {
                EventBody::RecordDisputed { reason, .. } => ("disputed", Some(reason.as_str())),
                _ => ("confirmed", None),
            };
            let id = record_id.to_string();
            conn.exec("UPDATE cosignatures SET state = $1, reason = $2, at = $3, seq = $4 WHERE record_id = $5 AND version = $6 AND signer = $7", args![state, reason, ts(event.at), seq, id, i64::from(*version), signer])?;
            refresh_cosign_status(conn, &id, seq)?;
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
            let id = record_id.to_string();
            conn.exec("INSERT INTO materials (id, record_id, seq, sha256, size, category, file_name, media_type, disposition, whereabouts, added_by, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", args![
                material_id.to_string(),
                id,
                seq,
                sha256,
                i64::try_from(*size).map_err(|e| StoreError::Internal(e.to_string()))?,
                category.code(),
                file_name,
                media_type,
                disposition.code(),
                whereabouts,
                event.actor,
                ts(event.at)
            ])?;
            conn.exec("UPDATE records SET last_seq = $1 WHERE id = $2", args![seq, id])?;
        }
        EventBody::ReportDrafted { report_id, kind, period, content_sha256, content_size, recipients, supersedes } => {
            conn.exec("INSERT INTO reports (id, court_id, kind, period, state, drafted_by, drafted_at, drafted_seq,
                 content_sha256, content_size, recipients, supersedes) VALUES ($1, $2, $3, $4, 'drafted', $5, $6, $7, $8, $9, $10, $11)", args![
                report_id.to_string(),
                event.court,
                kind,
                period,
                event.actor,
                ts(event.at),
                seq,
                content_sha256,
                i64::try_from(*content_size).map_err(|e| StoreError::Internal(e.to_string()))?,
                serde_json::to_string(recipients).map_err(|e| StoreError::Internal(e.to_string()))?,
                supersedes.map(|s| s.to_string()),
            ])?;
        }
        EventBody::ReportSealed { report_id, files, .. } => {
            let changed = conn.exec(
                "UPDATE reports SET state = 'sealed', approved_by = $1, sealed_at = $2, sealed_seq = $3, files = $4
                     WHERE id = $5 AND state = 'drafted'",
                args![
                    event.actor,
                    ts(event.at),
                    seq,
                    serde_json::to_string(files).map_err(|e| StoreError::Internal(e.to_string()))?,
                    report_id.to_string(),
                ],
            )?;
            if changed != 1 {
                return Err(StoreError::Internal(format!("seal of report {report_id}, which is not a draft")));
            }
        }
        EventBody::InspectionRecorded { inspection_id, inspected_court, inspected_on, subject, findings } => {
            conn.exec("INSERT INTO inspections (id, court_id, inspected_court, inspected_on, subject, findings, recorded_by, seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", args![
                inspection_id.to_string(),
                event.court,
                inspected_court,
                inspected_on,
                subject,
                findings,
                event.actor,
                seq
            ])?;
        }
        EventBody::ReportAcknowledged { report_id, court_id } => {
            conn.exec("INSERT INTO report_acks (report_id, court_id, acknowledged_by, acknowledged_at, seq) VALUES ($1, $2, $3, $4, $5)", args![report_id.to_string(), court_id, event.actor, ts(event.at), seq])?;
        }
        EventBody::RecordViewed { record_id, part, material_id, via } => {
            conn.exec("INSERT INTO record_views (record_id, seq, viewer, at, part, material_id, via) VALUES ($1, $2, $3, $4, $5, $6, $7)", args![
                record_id.to_string(),
                seq,
                event.actor,
                ts(event.at),
                part,
                material_id.map(|m| m.to_string()),
                via
            ])?;
        }
        // Administrative events change the account tables, which hold secrets and are not
        // projections: the ledger records them, the tables are written with them.
        liuhen_ledger::administration_kinds!() | liuhen_ledger::duty_kinds!() => {}
        // Views of contents other than a record's: the ledger is their register (the security
        // auditor reads them there); no query table.
        EventBody::ContentViewed { .. } => {}
        liuhen_ledger::accountability_kinds!() => crate::accountability::apply(conn, seq, event)?,
        EventBody::RecordsListed { record_ids, via } => {
            let at = ts(event.at);
            for id in record_ids {
                conn.exec(
                    "INSERT INTO record_views (record_id, seq, viewer, at, part, via)
                       VALUES ($1, $2, $3, $4, 'list', $5)",
                    args![id.to_string(), seq, event.actor, at, via],
                )?;
            }
        }
    }
    Ok(())
}

pub(crate) const PROJECTION_TABLES: [&str; 23] = [
    "records",
    "record_facts",
    "record_special_items",
    "record_versions",
    "cosignatures",
    "materials",
    "idempotency",
    "record_views",
    "record_search",
    "reports",
    "report_acks",
    "inspections",
    "screenings",
    "checks",
    "findings",
    "complaints",
    "complaint_steps",
    "zero_reports",
    "zero_report_reminders",
    "contacts",
    "record_cadres",
    "cadre_merges",
    "outcomes",
];

/// Throw the query tables away and derive them again from the event table, inside the caller's
/// transaction. Returns the number of events replayed.
pub(crate) fn rebuild(conn: &dyn Db) -> Result<u64> {
    for table in PROJECTION_TABLES {
        conn.exec(&format!("DELETE FROM {table}"), args![])?;
    }
    let mut count = 0u64;
    let mut next: i64 = 0;
    loop {
        // Pages keep memory flat however long the log is.
        let rows = conn.rows("SELECT seq, entry FROM events WHERE seq >= $1 ORDER BY seq LIMIT 1000", args![next])?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let (seq, entry): (i64, Vec<u8>) = (row.get(0)?, row.get(1)?);
            apply(conn, seq, &Event::decode(&entry)?)?;
            next = seq + 1;
            count += 1;
        }
    }
    Ok(count)
}

/// A digest of every projection table's contents, to compare the tables before and after a
/// rebuild, or a store's tables in the two backends: each row in one canonical form (columns by
/// name, values by kind), rows in byte order, so neither a backend's text collation nor its
/// column order changes it.
pub(crate) fn digest(conn: &dyn Db) -> Result<String> {
    use sha2::{Digest, Sha256};
    let columns_of = conn.dialect().columns_sql();
    let mut h = Sha256::new();
    for table in PROJECTION_TABLES {
        let mut columns: Vec<String> =
            conn.rows(columns_of, args![table])?.iter().map(|r| r.get(0)).collect::<Result<_>>()?;
        columns.sort();
        let mut rows: Vec<Vec<u8>> = Vec::new();
        conn.each(&format!("SELECT {} FROM {table}", columns.join(", ")), args![], &mut |row| {
            let mut line = Vec::new();
            for cell in &row.cells {
                match cell {
                    Cell::Null => line.extend_from_slice(b"N;"),
                    Cell::Int(i) => line.extend_from_slice(format!("I{i};").as_bytes()),
                    Cell::Real(r) => line.extend_from_slice(format!("R{r};").as_bytes()),
                    Cell::Text(t) => {
                        line.extend_from_slice(format!("T{}:", t.len()).as_bytes());
                        line.extend_from_slice(t.as_bytes());
                    }
                    Cell::Blob(b) => line.extend_from_slice(format!("B{};", hex::encode(b)).as_bytes()),
                }
            }
            rows.push(line);
            Ok(())
        })?;
        rows.sort_unstable();
        h.update(table.as_bytes());
        h.update(columns.join(",").as_bytes());
        for row in rows {
            h.update(&row);
            h.update([0x1e]);
        }
    }
    Ok(hex::encode(h.finalize()))
}

impl Store {
    /// Throw the query tables away and derive them again from the event table, in one transaction.
    /// Returns the number of events replayed.
    pub async fn rebuild_projections(&self) -> Result<u64> {
        self.with_db(move |conn| crate::sql::in_transaction(conn, rebuild)).await
    }

    /// A digest of every projection table's contents (tests and `liuhen rebuild-projections`).
    pub async fn projection_digest(&self) -> Result<String> {
        self.with_db(digest).await
    }

    /// The number of events in the log.
    pub async fn event_count(&self) -> Result<i64> {
        self.reader.scalar("SELECT COUNT(*) FROM events", params![]).await
    }
}
