//! Copying a store's tables from one backend to the other (issue 7: `liuhen migrate-store`, and
//! the backup of a store kept in PostgreSQL): the ledger, accounts and state byte for byte, as of
//! one moment of the source; the query tables derived again from the events on the target, as
//! every rebuild derives them.

use crate::sql::{Cell, Db, DbExt, Kind, Param, Value, args, in_transaction};
use crate::{Result, StoreError};

/// The tables copied as they are, parents before children, each with its key for paging (the
/// large ones) or none (read whole). The query tables (`projection::PROJECTION_TABLES`) are not
/// copied but rebuilt.
const COPIED: [(&str, Option<&str>); 15] = [
    ("courts", None),
    ("users", None),
    ("sessions", None),
    ("api_tokens", None),
    ("approvals", None),
    ("enrolment_codes", None),
    ("drafts", None),
    ("events", Some("seq")),
    ("tlog_hashes", Some("idx")),
    ("checkpoints", Some("size")),
    ("witness_logs", None),
    ("witness_alerts", Some("id")),
    ("log_cosignatures", None),
    ("log_witness_state", None),
    ("log_witness_refusals", Some("id")),
];

/// Rows read (and written) at a time from a large table.
const PAGE: i64 = 5_000;

/// How many rows of each table were copied, and how many events were replayed into the query
/// tables.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CopyCounts {
    pub tables: Vec<(String, u64)>,
    pub events_replayed: u64,
}

impl Cell {
    fn as_value(&self, kind: Kind) -> Value<'_> {
        match self {
            Cell::Null => Value::Null(kind),
            Cell::Int(i) => Value::Int(*i),
            // No column of the store holds a real number (every number is an index, a size or
            // a flag); were one added, its whole part is what both schemas could hold.
            Cell::Real(r) => Value::Int(*r as i64),
            Cell::Text(t) => Value::Text(t),
            Cell::Blob(b) => Value::Blob(b),
        }
    }
}

/// A cell bound with its column's kind (for a NULL's type).
struct Bound<'a>(&'a Cell, Kind);

impl Param for Bound<'_> {
    fn value(&self) -> Value<'_> {
        self.0.as_value(self.1)
    }
}

/// The columns of `table` in `db`, with their kinds.
fn columns(db: &dyn Db, table: &str) -> Result<Vec<(String, Kind)>> {
    db.rows(db.dialect().columns_sql(), args![table])?
        .iter()
        .map(|r| {
            let kind = r.get::<String>(1)?.to_ascii_lowercase();
            let kind = if kind.contains("int") {
                Kind::Int
            } else if kind.contains("blob") || kind.contains("bytea") {
                Kind::Blob
            } else {
                Kind::Text
            };
            Ok((r.get::<String>(0)?, kind))
        })
        .collect()
}

/// Insert `rows` into `table`'s `columns`, several rows a statement.
fn insert(to: &dyn Db, table: &str, columns: &[(String, Kind)], rows: &[crate::sql::Row]) -> Result<()> {
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    // Both backends accept thousands of parameters a statement; keep well below either limit.
    let per_statement = (30_000 / columns.len().max(1)).clamp(1, 1_000);
    for chunk in rows.chunks(per_statement) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
        let mut bound: Vec<Bound<'_>> = Vec::with_capacity(chunk.len() * columns.len());
        for (r, row) in chunk.iter().enumerate() {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for (c, (_, kind)) in columns.iter().enumerate() {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", bound.len() + 1));
                bound.push(Bound(row.cells.get(c).unwrap_or(&Cell::Null), *kind));
            }
            sql.push(')');
        }
        let params: Vec<&dyn Param> = bound.iter().map(|b| b as &dyn Param).collect();
        to.exec(&sql, &params)?;
    }
    Ok(())
}

/// Courts in an order where every parent comes before its children (the foreign key).
fn parents_first(rows: Vec<crate::sql::Row>, id: usize, parent: usize) -> Result<Vec<crate::sql::Row>> {
    let mut placed = std::collections::HashSet::new();
    let mut left = rows;
    let mut ordered = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let before = left.len();
        let (ready, waiting): (Vec<_>, Vec<_>) = left.into_iter().partition(|r| match r.cells.get(parent) {
            Some(Cell::Text(p)) => placed.contains(p),
            _ => true,
        });
        for r in &ready {
            placed.insert(r.get::<String>(id)?);
        }
        ordered.extend(ready);
        left = waiting;
        if left.len() == before {
            return Err(StoreError::Internal("courts whose parent court is missing".into()));
        }
    }
    Ok(ordered)
}

/// Copy every table of `from` into the empty, migrated store `to`, then derive the query tables
/// there from the events. `from` is read in one read transaction (one moment of a store that may
/// be serving); `to` is written in transactions of a few thousand rows, each taking the
/// sequencer's turn where the target is PostgreSQL.
pub(crate) fn copy_tables(from: &dyn Db, to: &dyn Db, progress: &mut dyn FnMut(&str, u64)) -> Result<CopyCounts> {
    let present: i64 = to.scalar("SELECT COUNT(*) FROM events", args![])?;
    let courts: i64 = to.scalar("SELECT COUNT(*) FROM courts", args![])?;
    if present + courts > 0 {
        return Err(StoreError::conflict(
            format!("目标数据库已有数据（{present} 个事件）：只能迁移到新建的空库"),
            format!("the target already holds a store ({present} events): migrate into a new, empty database only"),
        ));
    }
    from.begin_read()?;
    let copied = (|| -> Result<CopyCounts> {
        let mut counts = CopyCounts::default();
        for (table, key) in COPIED {
            let columns = columns(to, table)?;
            let list = columns.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
            let mut total = 0u64;
            match key {
                None => {
                    let mut rows = from.rows(&format!("SELECT {list} FROM {table}"), args![])?;
                    if table == "courts" {
                        let at = |name: &str| columns.iter().position(|(n, _)| n == name);
                        let (id, parent) = at("id")
                            .zip(at("parent_id"))
                            .ok_or_else(|| StoreError::Internal("the courts table lacks id or parent_id".into()))?;
                        rows = parents_first(rows, id, parent)?;
                    }
                    in_transaction(to, |tx| insert(tx, table, &columns, &rows))?;
                    total = rows.len() as u64;
                }
                Some(key) => {
                    let mut after = i64::MIN;
                    let position = columns.iter().position(|(n, _)| n == key).unwrap_or(0);
                    loop {
                        let rows = from.rows(
                            &format!("SELECT {list} FROM {table} WHERE {key} > $1 ORDER BY {key} LIMIT {PAGE}"),
                            args![after],
                        )?;
                        let Some(last) = rows.last() else { break };
                        after = last.get(position)?;
                        in_transaction(to, |tx| insert(tx, table, &columns, &rows))?;
                        total += rows.len() as u64;
                        progress(table, total);
                    }
                }
            }
            progress(table, total);
            counts.tables.push((table.to_string(), total));
        }
        Ok(counts)
    })();
    let _ = from.rollback();
    let mut counts = copied?;
    // Rows came with their ids: the identity columns go on after the largest.
    for table in ["witness_alerts", "log_witness_refusals"] {
        if let Some(sql) = to.dialect().continue_ids_sql(table) {
            to.exec(&sql, args![])?;
        }
    }
    counts.events_replayed = in_transaction(to, |tx| crate::projection::rebuild(tx))?;
    // A store made by its migrations may note derived tables to fill: they were just filled.
    to.exec("DELETE FROM derived_backlog", args![])?;
    Ok(counts)
}

/// Whether a move between backends (`migrate-store`, `backup`) carries `table` over: copied as it
/// is, or rebuilt at the target from the events. The search index's FTS5 shadow tables go with
/// it, and the note of what a migration left to derive is emptied once everything is rebuilt.
/// (tests/schemas.rs checks every table the migrations make against this.)
pub fn carries_over(table: &str) -> bool {
    COPIED.iter().any(|(copied, _)| *copied == table)
        || crate::projection::PROJECTION_TABLES.contains(&table)
        || table.starts_with("record_search_")
        || table == "derived_backlog"
}
