//! The seam between the store's logic and its database (issues 7, 18): everything the store
//! writes and reads goes through a [`Db`] — one SQL text with `$1, $2…` placeholders, parameters
//! as [`Param`]s, rows of owned [`Cell`]s — whether the sequencer's own connection, maintenance's,
//! or a pooled one (`pool.rs`). A backend crate implements [`Db`] over its driver; what differs
//! between databases is asked of [`Db::dialect`].

pub use crate::dialect::Dialect;
use crate::{Result, StoreError};

/// The type of a value, so that a NULL can be bound with the column's type (PostgreSQL infers
/// nothing from an untyped NULL in a prepared statement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    Blob,
}

/// A parameter value, borrowed from the caller.
/// Flags are bound as integers 0/1: both backends store them so.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Null(Kind),
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// Something that can be bound to a `$n` placeholder.
pub trait Param {
    fn value(&self) -> Value<'_>;
}

/// A parameter type with a fixed kind, so that `Option<T>` can bind a typed NULL.
pub trait Typed {
    const KIND: Kind;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value<'_> {
                Value::Int(i64::from(*self))
            }
        }
        impl Typed for $t {
            const KIND: Kind = Kind::Int;
        }
    )*};
}
int_param!(i64, i32, u32, u8);

impl Param for bool {
    fn value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}
impl Typed for bool {
    const KIND: Kind = Kind::Int;
}
impl Param for str {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl Param for String {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl Typed for String {
    const KIND: Kind = Kind::Text;
}
impl Typed for str {
    const KIND: Kind = Kind::Text;
}
impl<T: Typed + ?Sized> Typed for &T {
    const KIND: Kind = T::KIND;
}
impl Param for [u8] {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl Typed for Vec<u8> {
    const KIND: Kind = Kind::Blob;
}
impl Param for Vec<u8> {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl<const N: usize> Param for [u8; N] {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value<'_> {
        (**self).value()
    }
}
impl<T: Param + Typed> Param for Option<T> {
    fn value(&self) -> Value<'_> {
        match self {
            Some(v) => v.value(),
            None => Value::Null(T::KIND),
        }
    }
}

/// `args![a, b, c]`: the parameters of a statement, in placeholder order.
macro_rules! args {
    ($($e:expr),* $(,)?) => { &[$(&$e as &dyn $crate::sql::Param),*] as &[&dyn $crate::sql::Param] };
}
pub(crate) use args;

/// A parameter value owned, so that a statement can be sent to a connection's thread.
#[derive(Debug, Clone)]
pub(crate) enum Owned {
    Null(Kind),
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl Owned {
    pub(crate) fn of(param: &dyn Param) -> Owned {
        match param.value() {
            Value::Null(kind) => Owned::Null(kind),
            Value::Int(i) => Owned::Int(i),
            Value::Text(s) => Owned::Text(s.to_string()),
            Value::Blob(b) => Owned::Blob(b.to_vec()),
        }
    }
}

// Only `Store::sql_for_tests` binds cells it was given.
#[cfg(feature = "testing")]
impl Owned {
    /// A cell as a parameter (a NULL bound as text).
    pub(crate) fn from_cell(cell: &Cell) -> Owned {
        match cell {
            Cell::Null => Owned::Null(Kind::Text),
            Cell::Int(i) => Owned::Int(*i),
            Cell::Real(r) => Owned::Text(r.to_string()),
            Cell::Text(s) => Owned::Text(s.clone()),
            Cell::Blob(b) => Owned::Blob(b.clone()),
        }
    }
}

impl Param for Owned {
    fn value(&self) -> Value<'_> {
        match self {
            Owned::Null(kind) => Value::Null(*kind),
            Owned::Int(i) => Value::Int(*i),
            Owned::Text(s) => Value::Text(s),
            Owned::Blob(b) => Value::Blob(b),
        }
    }
}

/// `params![a, b, c]`: the parameters of a statement sent to a pool, owned, in placeholder order.
macro_rules! params {
    ($($e:expr),* $(,)?) => { vec![$($crate::sql::Owned::of(&$e)),*] as Vec<$crate::sql::Owned> };
}
pub(crate) use params;

/// A value read back from the database.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    /// The cell as a `T`, if it holds one (NULL as `None` for an `Option`).
    pub fn get<T: FromCell>(&self) -> Option<T> {
        T::from_cell(self)
    }
}

/// One row of a result: its cells, and the names of its columns (shared by every row of a query).
#[derive(Debug, Clone)]
pub struct Row {
    pub cells: Vec<Cell>,
    columns: std::sync::Arc<[String]>,
}

/// A column of a row, by position or by name.
pub trait Column: Copy + std::fmt::Debug {
    fn position(self, row: &Row) -> Option<usize>;
}
impl Column for usize {
    fn position(self, row: &Row) -> Option<usize> {
        (self < row.cells.len()).then_some(self)
    }
}
impl Column for &str {
    fn position(self, row: &Row) -> Option<usize> {
        row.columns.iter().position(|c| c == self)
    }
}

impl Row {
    pub fn new(cells: Vec<Cell>, columns: std::sync::Arc<[String]>) -> Row {
        Row { cells, columns }
    }

    /// Column `c` as a `T`; a column the row lacks, or a type it does not hold, is an internal
    /// error naming both.
    pub fn get<T: FromCell>(&self, c: impl Column) -> Result<T> {
        let i = c.position(self).ok_or_else(|| StoreError::Internal(format!("no column {c:?} in the row")))?;
        let cell = &self.cells[i];
        T::from_cell(cell).ok_or_else(|| {
            StoreError::Internal(format!("column {c:?} holds {cell:?}, not a {}", std::any::type_name::<T>()))
        })
    }
}

/// Conversion of a cell to a Rust value (flags are integers in SQLite, booleans in PostgreSQL).
pub trait FromCell: Sized {
    fn from_cell(cell: &Cell) -> Option<Self>;
}
impl FromCell for i64 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Int(i) => Some(*i),
            _ => None,
        }
    }
}
impl FromCell for bool {
    fn from_cell(cell: &Cell) -> Option<Self> {
        i64::from_cell(cell).map(|i| i != 0)
    }
}
impl FromCell for f64 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Real(r) => Some(*r),
            Cell::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}
impl FromCell for String {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl FromCell for Vec<u8> {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}
impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Null => Some(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

/// A connection (inside the caller's transaction) that runs statements synchronously.
pub trait Db {
    fn dialect(&self) -> &'static dyn Dialect;
    /// Run a statement; the number of rows it changed.
    fn exec(&self, sql: &str, params: &[&dyn Param]) -> Result<u64>;
    /// Call `f` on each row of a query in turn, without holding them all.
    fn each(&self, sql: &str, params: &[&dyn Param], f: &mut dyn FnMut(Row) -> Result<()>) -> Result<()>;

    /// Every row of a query.
    fn rows(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        self.each(sql, params, &mut |row| {
            rows.push(row);
            Ok(())
        })?;
        Ok(rows)
    }

    /// Begin a write transaction (SQLite: at once, not at the first write; PostgreSQL: the
    /// sequencer's turn among the server processes).
    fn begin(&self) -> Result<()>;

    /// Begin a transaction that reads the database as of one moment.
    fn begin_read(&self) -> Result<()> {
        self.exec(self.dialect().begin_snapshot(), &[]).map(drop)
    }

    fn commit(&self) -> Result<()> {
        self.exec("COMMIT", &[]).map(drop)
    }

    fn rollback(&self) -> Result<()> {
        self.exec("ROLLBACK", &[]).map(drop)
    }

    /// The first row, if any.
    fn row(&self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }

    /// The one row a query always returns (an aggregate, `EXISTS`).
    fn one(&self, sql: &str, params: &[&dyn Param]) -> Result<Row> {
        self.row(sql, params)?
            .ok_or_else(|| StoreError::Internal(format!("no row from a query that always returns one: {sql}")))
    }
}

/// Run `f` in a write transaction of `db`: committed when it succeeds, rolled back when it fails.
pub(crate) fn in_transaction<T>(db: &dyn Db, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
    db.begin()?;
    ended(db, f(db))
}

/// Run `f` in a transaction that writes on what it read, safe against another writer in between
/// (SQLite takes the write lock at once, PostgreSQL checks serialisability), outside the
/// sequencer's turn: committed when it succeeds, rolled back when it fails.
pub(crate) fn in_checked_write<T>(db: &dyn Db, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
    db.exec(db.dialect().begin_write(), &[])?;
    ended(db, f(db))
}

/// End the open transaction of `db` after work that came to `result`. A connection lost during
/// the commit leaves the outcome unknown, and says so rather than "not stored".
fn ended<T>(db: &dyn Db, result: Result<T>) -> Result<T> {
    let committed = result.and_then(|v| match db.commit() {
        Ok(()) => Ok(v),
        Err(StoreError::ConnectionLost(e)) => Err(StoreError::OutcomeUnknown(e)),
        Err(e) => Err(e),
    });
    match committed {
        Ok(v) => Ok(v),
        Err(e) => {
            if let Err(r) = db.rollback() {
                tracing::warn!(error = %r, "rolling back after a failed write");
            }
            Err(e)
        }
    }
}

/// Typed helpers over any [`Db`] (generic, so kept out of the object-safe trait).
pub trait DbExt: Db {
    /// The first column of the one row of `sql`.
    fn scalar<T: FromCell>(&self, sql: &str, params: &[&dyn Param]) -> Result<T> {
        self.one(sql, params)?.get(0)
    }
}

impl<D: Db + ?Sized> DbExt for D {}

/// A query put together at run time, with `$n` placeholders numbered as values are bound.
pub(crate) struct Builder {
    pub(crate) sql: String,
    pub(crate) params: Vec<Owned>,
}

impl Builder {
    pub(crate) fn new(sql: &str) -> Builder {
        Builder { sql: sql.to_string(), params: Vec::new() }
    }

    pub(crate) fn push(&mut self, sql: &str) -> &mut Builder {
        self.sql.push_str(sql);
        self
    }

    /// A placeholder for `value`.
    pub(crate) fn push_bind(&mut self, value: impl Param) -> &mut Builder {
        self.params.push(Owned::of(&value));
        self.sql.push('$');
        self.sql.push_str(&self.params.len().to_string());
        self
    }
}
