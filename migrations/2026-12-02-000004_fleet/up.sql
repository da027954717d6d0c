-- The fleet: what the poller learns about each host, its health history and pending patches, the
-- certificates the internal CA issued, and agents' self-enrolment requests.
ALTER TABLE hosts ADD COLUMN port INTEGER NOT NULL DEFAULT 12443 CHECK (port BETWEEN 1 AND 65535);
ALTER TABLE hosts ADD COLUMN machine_id TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN kernel TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN agent_version TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN backend TEXT NOT NULL DEFAULT '';
-- unknown = never polled; healthy; degraded (yellow: agent answers but reports a problem, or a retry is
-- pending); unreachable (red: retries exhausted). state_reason says why in words.
ALTER TABLE hosts ADD COLUMN state TEXT NOT NULL DEFAULT 'unknown'
    CHECK (state IN ('unknown', 'healthy', 'degraded', 'unreachable'));
ALTER TABLE hosts ADD COLUMN state_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN last_seen_at TIMESTAMPTZ;          -- last successful contact
ALTER TABLE hosts ADD COLUMN health_checked_at TIMESTAMPTZ;     -- last health attempt
ALTER TABLE hosts ADD COLUMN patches_checked_at TIMESTAMPTZ;    -- last successful patch-data fetch
ALTER TABLE hosts ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;  -- consecutive failed attempts
ALTER TABLE hosts ADD COLUMN retry_at TIMESTAMPTZ;              -- backoff: no attempt before this
ALTER TABLE hosts ADD COLUMN pending_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN pending_security INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN reboot_required TEXT NOT NULL DEFAULT 'unknown'
    CHECK (reboot_required IN ('yes', 'no', 'unknown'));
ALTER TABLE hosts ADD COLUMN reboot_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX hosts_state ON hosts (state);

-- One row per health attempt; kept 30 days.
CREATE TABLE host_health (
    id BIGSERIAL PRIMARY KEY,
    host_id BIGINT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    checked_at TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('healthy', 'degraded', 'unreachable')),
    reason TEXT NOT NULL DEFAULT '',
    latency_ms INTEGER
);
CREATE INDEX host_health_host_time ON host_health (host_id, checked_at DESC);
CREATE INDEX host_health_time ON host_health (checked_at);

-- The pending updates each agent last reported (replaced as a whole on every patch-data fetch).
CREATE TABLE host_patches (
    host_id BIGINT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    architecture TEXT NOT NULL,
    installed_version TEXT,
    candidate_version TEXT NOT NULL,
    repository TEXT NOT NULL DEFAULT '',
    security BOOLEAN NOT NULL,
    severity TEXT,
    cves JSONB NOT NULL DEFAULT '[]',
    security_source TEXT NOT NULL DEFAULT 'unknown',
    PRIMARY KEY (host_id, name, architecture)
);

-- Every certificate the internal CA issued. Private keys stay in files under the data directory
-- (key_file, relative to it, mode 0600); this table holds only public material.
CREATE TABLE certificates (
    id BIGSERIAL PRIMARY KEY,
    serial TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('manager_client', 'agent_server', 'web')),
    subject TEXT NOT NULL,
    sans TEXT NOT NULL DEFAULT '',
    host_id BIGINT REFERENCES hosts (id) ON DELETE SET NULL,
    cert_pem TEXT NOT NULL,
    key_file TEXT NOT NULL,
    not_before TIMESTAMPTZ NOT NULL,
    not_after TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    revoke_reason TEXT,
    superseded_by BIGINT REFERENCES certificates (id) ON DELETE SET NULL
);
CREATE INDEX certificates_host ON certificates (host_id);
CREATE INDEX certificates_kind ON certificates (kind);

-- Agents asking to join (POST /api/v1/enroll). The polling token is stored as SHA-256.
CREATE TABLE enrollments (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    machine_id TEXT NOT NULL,
    fqdn TEXT NOT NULL,
    ip TEXT NOT NULL,
    os TEXT NOT NULL DEFAULT '',
    agent_port INTEGER NOT NULL DEFAULT 12443 CHECK (agent_port BETWEEN 1 AND 65535),
    source_ip TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
    created_at TIMESTAMPTZ NOT NULL,
    last_polled_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    decided_by TEXT,
    host_id BIGINT REFERENCES hosts (id) ON DELETE SET NULL,
    certificate_id BIGINT REFERENCES certificates (id) ON DELETE SET NULL,
    delivered_at TIMESTAMPTZ
);
CREATE INDEX enrollments_status ON enrollments (status);
