-- Patch deployments (DESIGN §5.3): who asked for what on which hosts, one row per host with its own state,
-- and the maintenance windows (per host) that decide when a queued deployment may start on a host.

CREATE TABLE maintenance_windows (
    id BIGSERIAL PRIMARY KEY,
    host_id BIGINT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    spec JSONB NOT NULL,                      -- deploy::window::WindowSpec
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX maintenance_windows_host ON maintenance_windows (host_id);

CREATE TABLE deployments (
    id BIGSERIAL PRIMARY KEY,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    operation TEXT NOT NULL CHECK (operation IN
        ('apply_all', 'security_only', 'packages', 'install', 'remove', 'reboot', 'rollback')),
    packages JSONB NOT NULL DEFAULT '[]',     -- names (packages, install, remove)
    rollback_of BIGINT REFERENCES deployments (id) ON DELETE SET NULL,
    mode TEXT NOT NULL CHECK (mode IN ('next_window', 'now')),
    reboot TEXT NOT NULL DEFAULT 'never' CHECK (reboot IN ('never', 'if_required')),
    stop_failed_pct INTEGER CHECK (stop_failed_pct BETWEEN 1 AND 100),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'cancelled', 'finished')),
    group_ids JSONB NOT NULL DEFAULT '[]',    -- the groups named at creation (resolved into the targets)
    finished_at TIMESTAMPTZ
);
CREATE INDEX deployments_created ON deployments (created_at DESC, id DESC);

CREATE TABLE deployment_targets (
    id BIGSERIAL PRIMARY KEY,
    deployment_id BIGINT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    host_id BIGINT REFERENCES hosts (id) ON DELETE SET NULL,
    hostname TEXT NOT NULL,                   -- as it was at creation
    state TEXT NOT NULL CHECK (state IN ('queued', 'waiting_window', 'dispatching', 'running', 'retrying',
        'succeeded', 'failed', 'timed_out', 'interrupted', 'cancelled', 'missed_window', 'rolled_back')),
    attempts INTEGER NOT NULL DEFAULT 0,      -- agent jobs started (the Idempotency-Key is `<id>.<attempt>`)
    dispatch_failures INTEGER NOT NULL DEFAULT 0,  -- consecutive failed POSTs of the current attempt
    due_at TIMESTAMPTZ,                       -- no dispatch before this
    dispatch_until TIMESTAMPTZ,               -- the window's cut-off for starting (null: mode `now`)
    lease_owner TEXT,                         -- the manager process working on it
    lease_until TIMESTAMPTZ,
    agent_job_id TEXT,
    agent_status TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    change_set JSONB,
    output_tail JSONB NOT NULL DEFAULT '[]',
    rollback_job_id TEXT,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (deployment_id, host_id)
);
CREATE INDEX deployment_targets_deployment ON deployment_targets (deployment_id, id);
CREATE INDEX deployment_targets_due ON deployment_targets (due_at)
    WHERE state IN ('queued', 'waiting_window', 'retrying', 'dispatching');
CREATE INDEX deployment_targets_running ON deployment_targets (lease_until) WHERE state = 'running';
CREATE INDEX deployment_targets_host ON deployment_targets (host_id, id DESC);
