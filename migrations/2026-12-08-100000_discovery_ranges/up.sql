-- The IPv4 ranges an administrator allowed operators to scan with discovery (issue 13): an operator's scan must
-- lie inside one of them; administrators are not bounded by the list.
CREATE TABLE discovery_ranges (
    id BIGSERIAL PRIMARY KEY,
    cidr TEXT NOT NULL UNIQUE,          -- normalised IPv4 CIDR, validated by the manager (discovery::ranges)
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
