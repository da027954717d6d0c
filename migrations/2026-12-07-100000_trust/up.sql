-- Issue 13: a host is one agent at one (ip, port), recognised by the certificate issued to it.
ALTER TABLE hosts ADD CONSTRAINT hosts_ip_port_key UNIQUE (ip, port);

-- SHA-256 (lowercase hex) of the DER of the first certificate in cert_pem, computed by PostgreSQL so no
-- writer can record a fingerprint that does not match the certificate.
ALTER TABLE certificates ADD COLUMN fingerprint TEXT GENERATED ALWAYS AS (
    encode(sha256(decode(regexp_replace(
        substring(cert_pem FROM '-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----'),
        '\s', '', 'g'), 'base64')), 'hex')
) STORED;

CREATE INDEX certificates_host_kind ON certificates (host_id, kind) WHERE host_id IS NOT NULL;
