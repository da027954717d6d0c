-- Runtime settings (DESIGN §5.5): one typed JSON document, secrets inside sealed with data_dir/secrets.key.
CREATE TABLE runtime_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    doc JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

-- Which notification e-mails each user wants, and where.
CREATE TABLE notification_prefs (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    events JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- E-mails waiting to be sent: retried with exponential backoff until the SMTP server takes them.
CREATE TABLE notification_outbox (
    id BIGSERIAL PRIMARY KEY,
    event TEXT NOT NULL,
    recipients JSONB NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX notification_outbox_sent ON notification_outbox (sent_at) WHERE sent_at IS NOT NULL;
