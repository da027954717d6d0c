-- Reports (issue 15). When the manager first saw each pending update (per host, package, architecture and
-- candidate version: a newer candidate starts a new clock), for PCI-DSS 6.3.3 ageing; written by the poller
-- in the same batched transaction that replaces `host_patches`, pruned with it by the compliance chore.
CREATE TABLE patch_first_seen (
    host_id BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    architecture TEXT NOT NULL,
    candidate_version TEXT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (host_id, name, architecture, candidate_version)
);

-- One row per host per day (UTC), taken by the housekeeping actor: the compliance trend of any RBAC scope
-- (fleet, a group, an operator's hosts) is a GROUP BY over it. `state`: compliant | noncompliant | nodata.
-- No foreign key: a removed host stays in the fleet's history.
CREATE TABLE compliance_snapshots (
    day DATE NOT NULL,
    host_id BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('compliant', 'noncompliant', 'nodata')),
    pending_security INT NOT NULL,
    PRIMARY KEY (day, host_id)
);
CREATE INDEX compliance_snapshots_host ON compliance_snapshots (host_id, day);
