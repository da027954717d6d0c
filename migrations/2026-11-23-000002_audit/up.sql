-- Hash-chained audit trail: each row stores the previous row's hash and SHA-256 over its canonical content.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details JSONB NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Written when old rows are pruned: the chain continues from the last pruned row's hash.
CREATE TABLE audit_checkpoints (
    id BIGSERIAL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    last_pruned_id BIGINT NOT NULL,
    last_pruned_hash TEXT NOT NULL,
    pruned_rows BIGINT NOT NULL
);
