//! Migrations and `schema.rs` against real PostgreSQL: down/up round trip and no drift from the live schema.

use diesel::RunQueryDsl;
use diesel_migrations::MigrationHarness;
use linux_patch_manager::db::MIGRATIONS;
use linux_patch_tests::pg::TestDb;
use std::collections::BTreeSet;

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    is_nullable: String,
}

fn live_columns(conn: &mut diesel::PgConnection) -> BTreeSet<(String, String, String, bool)> {
    diesel::sql_query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = 'public' \
         AND table_name <> '__diesel_schema_migrations'",
    )
    .load::<Column>(conn)
    .unwrap()
    .into_iter()
    .map(|c| (c.table_name, c.column_name, c.data_type, c.is_nullable == "YES"))
    .collect()
}

/// `(table, column, postgres type, nullable)` as `manager/src/db/schema.rs` declares them.
fn schema_rs_columns() -> BTreeSet<(String, String, String, bool)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../manager/src/db/schema.rs");
    let src = std::fs::read_to_string(path).unwrap();
    let mut table = String::new();
    let mut out = BTreeSet::new();
    for line in src.lines().map(str::trim) {
        if line.ends_with(") {") {
            table = line.split(' ').next().unwrap().to_owned();
        } else if line.starts_with("diesel::") || line.starts_with('}') {
            table.clear();
        } else if let Some((col, ty)) = line
            .trim_end_matches(',')
            .split_once(" -> ")
            .filter(|_| !table.is_empty())
        {
            let nullable = ty.starts_with("Nullable<");
            let ty = ty.trim_start_matches("Nullable<").trim_end_matches('>');
            let pg = match ty {
                "Int8" => "bigint",
                "Int4" => "integer",
                "Text" => "text",
                "Bool" => "boolean",
                "Timestamptz" => "timestamp with time zone",
                "Jsonb" => "jsonb",
                "Date" => "date",
                "Bytea" => "bytea",
                other => panic!("schema.rs type {other} not mapped in this test"),
            };
            out.insert((table.clone(), col.to_owned(), pg.to_owned(), nullable));
        }
    }
    out
}

#[test]
fn schema_rs_matches_the_migrated_database() {
    let db = TestDb::new();
    let declared = schema_rs_columns();
    assert!(declared.len() > 20, "{declared:?}");
    assert_eq!(live_columns(&mut db.conn()), declared);
}

#[test]
fn migrations_go_down_and_up_again() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let before = live_columns(&mut conn);
    conn.revert_all_migrations(MIGRATIONS).unwrap();
    assert!(live_columns(&mut conn).is_empty());
    conn.run_pending_migrations(MIGRATIONS).unwrap();
    assert_eq!(live_columns(&mut conn), before);
}

#[derive(diesel::QueryableByName)]
struct Backend {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// What the server last ran for backend `pid`, seen from another connection.
fn last_query(admin: &mut diesel::PgConnection, pid: i32) -> String {
    #[derive(diesel::QueryableByName)]
    struct Q {
        #[diesel(sql_type = diesel::sql_types::Text)]
        query: String,
    }
    diesel::sql_query("SELECT query FROM pg_stat_activity WHERE pid = $1")
        .bind::<diesel::sql_types::Integer, _>(pid)
        .get_result::<Q>(admin)
        .unwrap()
        .query
}

/// The server process behind the connection `db` hands out next.
async fn backend(db: &linux_patch_manager::db::Db) -> Result<i32, linux_patch_manager::error::ManagerError> {
    db.run(|c| {
        Ok(diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result::<Backend>(c)?
            .pid)
    })
    .await
}

/// A connection given back healthy moments ago is handed out again without the checkout's `SELECT 1`
/// (one round trip less for every request of a busy manager); one whose server backend went away (killed,
/// as in a server restart) fails its statement as "unavailable" once and is dropped: the next statement runs
/// on a new connection instead of failing again.
#[actix_web::test]
async fn a_fresh_connection_is_reused_untested_and_a_lost_one_is_dropped() {
    use linux_patch_manager::db::{Db, PgPool};
    use linux_patch_manager::error::ManagerError;
    let tdb = TestDb::new();
    let mut admin = tdb.conn();
    let db = Db::new(PgPool::new(tdb.url()));
    let first = backend(&db).await.unwrap();
    // Checked out and given back with nothing run on it: no test query reached the server.
    db.run(|_| Ok(())).await.unwrap();
    assert_eq!(last_query(&mut admin, first), "SELECT pg_backend_pid() AS pid");
    assert_eq!(
        backend(&db).await.unwrap(),
        first,
        "the same connection serves a quick series"
    );

    diesel::sql_query("SELECT pg_terminate_backend($1, 5000)")
        .bind::<diesel::sql_types::Integer, _>(first)
        .execute(&mut admin)
        .unwrap();
    let lost = backend(&db).await;
    assert!(matches!(lost, Err(ManagerError::Unavailable(_))), "{lost:?}");
    let next = backend(&db).await.unwrap();
    assert_ne!(next, first, "a new connection");
    assert_eq!(backend(&db).await.unwrap(), next);
}
