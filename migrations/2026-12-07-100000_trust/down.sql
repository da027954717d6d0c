DROP INDEX certificates_host_kind;
ALTER TABLE certificates DROP COLUMN fingerprint;
ALTER TABLE hosts DROP CONSTRAINT hosts_ip_port_key;
