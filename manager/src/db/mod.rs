//! The database: embedded or external PostgreSQL, the r2d2 pool, and the embedded migrations.

pub mod health;
pub mod models;
pub mod pool;

pub mod schema;
pub mod timing;

pub use pool::{PgPool, PgPooled};

use crate::config::ManagerConfig;
use crate::error::ManagerError;
use crate::postgres::EmbeddedPostgres;
use diesel::{Connection, PgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// The migrations of `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

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
        self.pool.get()
    }

    /// A handle on the pool (cheap to clone).
    pub fn pool(&self) -> PgPool {
        self.pool.clone()
    }

    /// Whether this process runs the embedded cluster.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// What the supervisor needs to watch and restart the embedded cluster (none with `database.url`).
    pub fn cluster(&self) -> Option<crate::postgres::Cluster> {
        self.embedded.as_ref().map(EmbeddedPostgres::cluster)
    }
}

/// A lazy pool: no connection is made until one is asked for.
pub fn pool(url: &str) -> PgPool {
    PgPool::new(url)
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
        let asked = std::time::Instant::now();
        let (out, stamps) = actix_web::web::block(move || {
            let conn = pool.get();
            let held = std::time::Instant::now();
            let out = conn.and_then(|mut c| f(&mut c));
            let stamps = timing::Stamps {
                asked,
                held,
                done: std::time::Instant::now(),
            };
            (out, stamps)
        })
        .await?;
        stamps.record();
        out
    }

    /// Whether the database is there as last seen (never waits): the poller and the deployer pause
    /// while it is not.
    pub fn available(&self) -> bool {
        self.pool.health().available()
    }

    /// Like [`Db::run`], but while the database is unavailable (down, restarting) waits and tries again,
    /// every second for up to [`PATIENCE`]: for writes that must not be lost to the manager's own outage
    /// (results already fetched from agents, jobs already sent). Other errors return at once.
    pub async fn run_patient<T, F>(&self, what: &str, f: F) -> Result<T, ManagerError>
    where
        F: Fn(&mut PgConnection) -> Result<T, ManagerError> + Send + Sync + 'static,
        T: Send + 'static,
    {
        let f = std::sync::Arc::new(f);
        let started = std::time::Instant::now();
        let mut told = false;
        loop {
            let g = f.clone();
            match self.run(move |c| g(c)).await {
                Err(ManagerError::Unavailable(e)) if started.elapsed() < PATIENCE => {
                    if !told {
                        log::warn!("{what}: the database is unavailable ({e}); waiting for it");
                        told = true;
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
                r => {
                    if told && r.is_ok() {
                        log::info!("{what}: written after the database came back");
                    }
                    return r;
                }
            }
        }
    }
}

/// Longest [`Db::run_patient`] waits for the database.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(600);
