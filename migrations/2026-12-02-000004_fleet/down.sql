DROP TABLE enrollments;
DROP TABLE certificates;
DROP TABLE host_patches;
DROP TABLE host_health;
DROP INDEX hosts_state;
ALTER TABLE hosts
    DROP COLUMN port, DROP COLUMN machine_id, DROP COLUMN kernel, DROP COLUMN agent_version,
    DROP COLUMN backend, DROP COLUMN state, DROP COLUMN state_reason, DROP COLUMN last_seen_at,
    DROP COLUMN health_checked_at, DROP COLUMN patches_checked_at, DROP COLUMN failures,
    DROP COLUMN retry_at, DROP COLUMN pending_total, DROP COLUMN pending_security,
    DROP COLUMN reboot_required, DROP COLUMN reboot_reason;
