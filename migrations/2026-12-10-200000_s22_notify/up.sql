-- Outbox leases: a manager claims due e-mails (FOR UPDATE SKIP LOCKED) until leased_until, so two managers on
-- one database never send one e-mail twice; an expired lease (a crashed manager) is claimed again.
ALTER TABLE notification_outbox ADD COLUMN leased_until TIMESTAMPTZ;
ALTER TABLE notification_outbox ADD COLUMN leased_by TEXT NOT NULL DEFAULT '';
-- An optional attachment (the weekly compliance PDF).
ALTER TABLE notification_outbox ADD COLUMN attachment_name TEXT;
ALTER TABLE notification_outbox ADD COLUMN attachment BYTEA;

-- Scheduled e-mails: the last period each was queued for (at most once per period, across restarts and managers).
CREATE TABLE scheduled_emails (
    name TEXT PRIMARY KEY,
    period TEXT NOT NULL,
    queued_at TIMESTAMPTZ NOT NULL
);
