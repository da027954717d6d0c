//! `api_tokens` and `service_accounts`: tokens for scripts (stored hashed) and the accounts made only for them.

use crate::db::schema::{api_tokens, service_accounts, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// One row of `api_tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = api_tokens, check_for_backend(diesel::pg::Pg))]
pub struct ApiToken {
    /// Primary key.
    pub id: i64,
    /// The account the token acts as.
    pub user_id: i64,
    /// Its name (unique among the owner's live tokens).
    pub name: String,
    /// The first characters of the secret, shown in lists so a leaked token can be recognised.
    pub prefix: String,
    /// SHA-256 (hex) of the whole secret.
    pub token_hash: String,
    /// Only safe methods (GET, HEAD) are allowed.
    pub read_only: bool,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Refused from then on.
    pub expires_at: DateTime<Utc>,
    /// The last request made with it.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The address of that request.
    pub last_used_ip: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

/// A row to insert into `api_tokens`.
#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken<'a> {
    /// Owner.
    pub user_id: i64,
    /// Name.
    pub name: &'a str,
    /// Shown part.
    pub prefix: &'a str,
    /// SHA-256 (hex) of the secret.
    pub token_hash: &'a str,
    /// Read-only scope.
    pub read_only: bool,
    /// Creator.
    pub created_by: &'a str,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// A token with its owner's name (lists).
pub type TokenWithOwner = (ApiToken, String);

impl ApiToken {
    /// Inserts a token.
    pub fn insert(conn: &mut PgConnection, new: &NewApiToken<'_>) -> QueryResult<ApiToken> {
        diesel::insert_into(api_tokens::table)
            .values(new)
            .returning(ApiToken::as_returning())
            .get_result(conn)
    }

    /// The token whose secret hashes to `hash`, if any (revoked and expired ones included).
    pub fn by_hash(conn: &mut PgConnection, hash: &str) -> QueryResult<Option<ApiToken>> {
        api_tokens::table
            .filter(api_tokens::token_hash.eq(hash))
            .select(ApiToken::as_select())
            .first(conn)
            .optional()
    }

    /// The token `id`, if any.
    pub fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<ApiToken>> {
        api_tokens::table
            .find(id)
            .select(ApiToken::as_select())
            .first(conn)
            .optional()
    }

    /// One page of tokens (newest first, ids below `before`), of one owner or of everyone.
    pub fn page(
        conn: &mut PgConnection,
        owner: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<TokenWithOwner>> {
        let mut q = api_tokens::table
            .inner_join(users::table)
            .select((ApiToken::as_select(), users::username))
            .order(api_tokens::id.desc())
            .limit(limit)
            .into_boxed();
        if let Some(o) = owner {
            q = q.filter(api_tokens::user_id.eq(o));
        }
        if let Some(b) = before {
            q = q.filter(api_tokens::id.lt(b));
        }
        q.load(conn)
    }

    /// Records a use (time and address).
    pub fn touch(conn: &mut PgConnection, id: i64, at: DateTime<Utc>, ip: &str) -> QueryResult<usize> {
        diesel::update(api_tokens::table.find(id))
            .set((api_tokens::last_used_at.eq(at), api_tokens::last_used_ip.eq(ip)))
            .execute(conn)
    }

    /// Revokes a live token; whether it was live.
    pub fn revoke(conn: &mut PgConnection, id: i64, at: DateTime<Utc>, by: &str) -> QueryResult<bool> {
        diesel::update(
            api_tokens::table
                .find(id)
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set((api_tokens::revoked_at.eq(at), api_tokens::revoked_by.eq(by)))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Whether the token may be used at `now` (not revoked, not expired).
    pub fn live_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// One row of `service_accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = service_accounts, check_for_backend(diesel::pg::Pg))]
pub struct ServiceAccount {
    /// The account (a `users` row that cannot sign in).
    pub user_id: i64,
    /// What it is for.
    pub description: String,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl ServiceAccount {
    /// Marks `user_id` as a service account.
    pub fn insert(conn: &mut PgConnection, row: &ServiceAccount) -> QueryResult<usize> {
        diesel::insert_into(service_accounts::table)
            .values((
                service_accounts::user_id.eq(row.user_id),
                service_accounts::description.eq(&row.description),
                service_accounts::created_by.eq(&row.created_by),
                service_accounts::created_at.eq(row.created_at),
            ))
            .execute(conn)
    }

    /// Whether `user_id` is a service account.
    pub fn is(conn: &mut PgConnection, user_id: i64) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(service_accounts::table.find(user_id))).get_result(conn)
    }

    /// One page of service accounts with their user rows (newest first, ids below `before`).
    pub fn page(
        conn: &mut PgConnection,
        before: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<(ServiceAccount, crate::db::models::User)>> {
        let mut q = service_accounts::table
            .inner_join(users::table)
            .select((ServiceAccount::as_select(), crate::db::models::User::as_select()))
            .order(service_accounts::user_id.desc())
            .limit(limit)
            .into_boxed();
        if let Some(b) = before {
            q = q.filter(service_accounts::user_id.lt(b));
        }
        q.load(conn)
    }
}
