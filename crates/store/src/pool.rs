//! The store's one path to its database from async code (issue 18): a pool of the same synchronous
//! connections the sequencer and maintenance use ([`Db`]), each statement or unit of work run on
//! a blocking thread. There is no second driver: what a request reads or writes goes through the
//! same `$n` SQL, parameters and rows as the sequencer's commands.

use deadpool::managed::{self, Metrics, Object, RecycleResult};

use std::sync::Arc;

use crate::backend::{Backend, SyncDb};
use crate::sql::{Builder, Db, FromCell, Owned, Row};
use crate::{Result, StoreError};

/// Which connections a pool holds.
#[derive(Clone, Copy)]
pub(crate) enum Access {
    /// Read-only connections where the backend has them (SQLite), for reads.
    Read,
    /// Connections that may write, for writes outside the sequencer (sessions, witness state).
    Write,
}

struct Connections {
    backend: Arc<dyn Backend>,
    access: Access,
}

impl managed::Manager for Connections {
    type Type = SyncDb;
    type Error = StoreError;

    async fn create(&self) -> Result<SyncDb> {
        let (backend, access) = (self.backend.clone(), self.access);
        blocking(move || match access {
            Access::Read => backend.reader(),
            Access::Write => backend.writer(),
        })
        .await
    }

    /// A connection comes back only after work that succeeded (one whose work failed is
    /// closed), so it is handed out again as it is.
    async fn recycle(&self, _: &mut SyncDb, _: &Metrics) -> RecycleResult<StoreError> {
        Ok(())
    }
}

/// A pool of synchronous connections for async callers.
pub(crate) struct Pool(managed::Pool<Connections>);

impl Pool {
    pub(crate) fn new(backend: Arc<dyn Backend>, access: Access, connections: usize) -> Result<Pool> {
        managed::Pool::builder(Connections { backend, access })
            .max_size(connections)
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map(Pool)
            .map_err(|e| StoreError::Internal(format!("the connection pool: {e}")))
    }

    /// Run `work` on a connection of the pool, on a blocking thread. A connection whose work
    /// failed is closed rather than handed out again: it may be broken or inside a transaction.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Db) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = self.0.get().await.map_err(|e| match e {
            managed::PoolError::Backend(e) => e,
            other => StoreError::Internal(format!("no database connection: {other}")),
        })?;
        let result = blocking(move || {
            let result = work(&**conn);
            if result.is_err() {
                drop(Object::take(conn));
            }
            result
        })
        .await;
        if let Err(StoreError::ConnectionLost(_)) = &result {
            self.forget_idle();
        }
        result
    }

    /// Close every idle connection. After a lost connection (a database restarted, a network
    /// cut), the idle ones are as likely broken as the one that failed: the next requests get
    /// fresh ones instead of each finding a dead one.
    fn forget_idle(&self) {
        let removed = self.0.retain(|_, _| false).removed;
        if !removed.is_empty() {
            tracing::warn!(closed = removed.len(), "a database call failed: the idle connections are closed");
            // Closing a connection may block (PostgreSQL's says goodbye): not on an async thread.
            tokio::task::spawn_blocking(move || drop(removed));
        }
    }

    /// Run a read; when its connection was lost it is run once more, on a fresh connection, since
    /// a read changes nothing. Only for the read pool: a write is never repeated.
    async fn read<T: Send + 'static>(&self, work: impl Fn(&dyn Db) -> Result<T> + Send + Sync + 'static) -> Result<T> {
        let work = Arc::new(work);
        let again = work.clone();
        match self.run(move |db| work(db)).await {
            Err(e @ StoreError::ConnectionLost(_)) if matches!(self.0.manager().access, Access::Read) => {
                tracing::warn!(error = %e, "a read failed; it is tried once more on a fresh connection");
                self.run(move |db| again(db)).await
            }
            done => done,
        }
    }

    /// Run `work` in a transaction that writes on what it read ([`crate::sql::in_checked_write`]).
    pub(crate) async fn transaction<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Db) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.run(move |db| crate::sql::in_checked_write(db, work)).await
    }

    /// Every row of a query.
    pub(crate) async fn rows(&self, sql: &str, params: Vec<Owned>) -> Result<Vec<Row>> {
        let sql = sql.to_string();
        self.read(move |db| db.rows(&sql, &bound(&params))).await
    }

    /// The first row of a query, if any.
    pub(crate) async fn row(&self, sql: &str, params: Vec<Owned>) -> Result<Option<Row>> {
        let sql = sql.to_string();
        self.read(move |db| db.row(&sql, &bound(&params))).await
    }

    /// The one row a query always returns, or none is an internal error.
    pub(crate) async fn one(&self, sql: &str, params: Vec<Owned>) -> Result<Row> {
        let sql = sql.to_string();
        self.read(move |db| db.one(&sql, &bound(&params))).await
    }

    /// The first column of the one row of a query.
    pub(crate) async fn scalar<T: FromCell + Send + 'static>(&self, sql: &str, params: Vec<Owned>) -> Result<T> {
        self.one(sql, params).await?.get(0)
    }

    /// Run a statement; the number of rows it changed.
    pub(crate) async fn exec(&self, sql: &str, params: Vec<Owned>) -> Result<u64> {
        let sql = sql.to_string();
        self.run(move |db| db.exec(&sql, &bound(&params))).await
    }

    /// Every row of a query put together at run time.
    pub(crate) async fn rows_of(&self, query: Builder) -> Result<Vec<Row>> {
        self.rows(&query.sql, query.params).await
    }

    /// The one row of a query put together at run time (a count).
    pub(crate) async fn one_of(&self, query: Builder) -> Result<Row> {
        self.one(&query.sql, query.params).await
    }

    /// Close the pool: its idle connections now, the others as they come back.
    pub(crate) fn close(&self) {
        self.0.close();
    }
}

fn bound(params: &[Owned]) -> Vec<&dyn crate::sql::Param> {
    params.iter().map(|p| p as &dyn crate::sql::Param).collect()
}

/// Run `f` on a blocking thread.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StoreError::Internal(e.to_string()))?
}
