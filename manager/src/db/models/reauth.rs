//! `reauth_challenges`: a security-key re-authentication in progress, one per session, taken by its answer.

use crate::db::schema::reauth_challenges;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// How long a re-authentication challenge may be answered.
pub const REAUTH_TTL: chrono::Duration = chrono::Duration::minutes(5);

/// A pending challenge: the webauthn-rs ceremony state (never sent to the browser) and when it was issued.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = reauth_challenges, check_for_backend(diesel::pg::Pg))]
pub struct ReauthChallenge {
    /// The session it belongs to.
    pub session_id: String,
    /// The server-side WebAuthn authentication state.
    pub ceremony: serde_json::Value,
    /// Issue time; stale after [`REAUTH_TTL`].
    pub created_at: DateTime<Utc>,
}

impl ReauthChallenge {
    /// Whether it may still be answered at `now`.
    pub fn fresh_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.created_at && now - self.created_at <= REAUTH_TTL
    }

    /// Stores the session's challenge, replacing one it had.
    pub fn put(
        conn: &mut PgConnection,
        session_id: &str,
        ceremony: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> QueryResult<()> {
        diesel::insert_into(reauth_challenges::table)
            .values((
                reauth_challenges::session_id.eq(session_id),
                reauth_challenges::ceremony.eq(ceremony),
                reauth_challenges::created_at.eq(now),
            ))
            .on_conflict(reauth_challenges::session_id)
            .do_update()
            .set((
                reauth_challenges::ceremony.eq(ceremony),
                reauth_challenges::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Takes (deletes and returns) the session's challenge: a second answer finds none.
    pub fn take(conn: &mut PgConnection, session_id: &str) -> QueryResult<Option<ReauthChallenge>> {
        diesel::delete(reauth_challenges::table.filter(reauth_challenges::session_id.eq(session_id)))
            .returning(ReauthChallenge::as_returning())
            .get_result(conn)
            .optional()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_is_fresh_for_five_minutes_only() {
        let at: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let c = ReauthChallenge {
            session_id: "s".into(),
            ceremony: serde_json::json!({}),
            created_at: at,
        };
        assert!(c.fresh_at(at));
        assert!(c.fresh_at(at + chrono::Duration::minutes(5)));
        assert!(!c.fresh_at(at + chrono::Duration::seconds(301)));
        assert!(
            !c.fresh_at(at - chrono::Duration::seconds(1)),
            "issued in the future: clock went back"
        );
    }
}
