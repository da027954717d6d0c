-- Entra ID single sign-on (issue 16, DESIGN §5.7): the runtime settings (one row), the SSO identities keyed on
-- (tid, oid) and the sign-ins in flight (state, nonce and PKCE verifier kept server-side, used once).
CREATE TABLE sso_settings (
    id INTEGER PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    enabled BOOLEAN NOT NULL,
    tenant_id TEXT NOT NULL,             -- a GUID (validated by the manager: sso::settings)
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,         -- sealed with data_dir/secrets.key ("enc:v1:..."), never shown
    scopes TEXT NOT NULL,                -- space separated, always with openid
    role_source TEXT NOT NULL CHECK (role_source IN ('app_roles', 'groups')),
    group_map JSONB NOT NULL,            -- [{"entra_group": GUID, "role": "admin"|"operator", "groups": [name]}]
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sso_identities (
    tid TEXT NOT NULL,
    oid TEXT NOT NULL,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ,
    PRIMARY KEY (tid, oid)
);

CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY,         -- SHA-256 of the state sent to the provider
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sso_logins_created_at ON sso_logins (created_at);
