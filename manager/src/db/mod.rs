//! The database: embedded or external PostgreSQL, the r2d2 pool, and the embedded migrations.

pub mod models;

pub mod schema;

use crate::config::ManagerConfig;
use crate::error::ManagerError;
use crate::postgres::EmbeddedPostgres;
use diesel::r2d2::{ConnectionManager, PooledConnection};
use diesel::{Connection, PgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

/// The migrations of `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// A pool of PostgreSQL connections.
pub type PgPool = r2d2::Pool<ConnectionManager<PgConnection>>;
/// One connection out of the pool.
pub type PgPooled = PooledConnection<ConnectionManager<PgConnection>>;

/// An open, migrated database; owns the embedded cluster (if any), which stops when this is dropped.
#[derive(Debug)]
pub struct Database {
    // Field order matters: the pool's connections close before the cluster stops.
    pool: PgPool,
    embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Starts the embedded cluster when no `database.url` is set (creating its database on first use),
    /// connects, and applies pending migrations. Returns the database and the migrations just applied.
    pub fn open(cfg: &ManagerConfig) -> Result<(Self, Vec<String>), ManagerError> {
        let (url, embedded) = match cfg.database_url() {
            Some(u) => (u.to_owned(), None),
            None => {
                let pg = EmbeddedPostgres::start(&cfg.data_dir)?;
                create_database_if_missing(&pg.url("postgres"), crate::postgres::DATABASE)?;
                (pg.url(crate::postgres::DATABASE), Some(pg))
            }
        };
        let pool = pool(&url);
        let db = Self { pool, embedded };
        let applied = run_migrations(&mut *db.conn()?)?;
        Ok((db, applied))
    }

    /// A connection from the pool.
    pub fn conn(&self) -> Result<PgPooled, ManagerError> {
        self.pool
            .get()
            .map_err(|e| ManagerError::Database(format!("cannot connect: {e}")))
    }

    /// A handle on the pool (cheap to clone).
    pub fn pool(&self) -> PgPool {
        self.pool.clone()
    }

    /// Whether this process runs the embedded cluster.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }
}

/// A lazy pool: no connection is made until one is asked for.
pub fn pool(url: &str) -> PgPool {
    r2d2::Pool::builder()
        .max_size(8)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(15))
        .build_unchecked(ConnectionManager::new(url))
}

/// Applies pending migrations; returns their versions.
pub fn run_migrations(conn: &mut PgConnection) -> Result<Vec<String>, ManagerError> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(|v| v.iter().map(|m| m.to_string()).collect())
        .map_err(|e| ManagerError::Database(format!("migration failed: {e}")))
}

/// Creates `name` on the server at `admin_url` unless it exists.
fn create_database_if_missing(admin_url: &str, name: &str) -> Result<(), ManagerError> {
    let mut conn = PgConnection::establish(admin_url)
        .map_err(|e| ManagerError::Database(format!("cannot connect to the embedded cluster: {e}")))?;
    let exists: i64 = diesel::sql_query("SELECT COUNT(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Count>(&mut conn)?
        .n;
    if exists == 0 {
        // `name` is our constant, not input; identifiers cannot be bound as parameters.
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut conn)?;
    }
    Ok(())
}

/// One `COUNT(*) AS n` row.
#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The pool as async code uses it: each closure runs with a pooled connection on the blocking thread pool
/// (diesel is synchronous), so no actor or handler blocks.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

impl Db {
    /// Async access to `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool itself (for synchronous callers).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ManagerError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, ManagerError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }
}
