ALTER TABLE enrollments DROP COLUMN key_fingerprint;
ALTER TABLE enrollments DROP COLUMN csr_pem;
