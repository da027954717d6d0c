-- A security-key re-authentication in progress (token creation on the console): one per session, taken
-- (deleted) by the answer, so a challenge is bound to its session and used once; stale after a few minutes.
CREATE TABLE reauth_challenges (
    session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    ceremony JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
