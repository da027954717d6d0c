-- Issue 13: agents create their own key and send a CSR; the approval is bound to that key's fingerprint.
ALTER TABLE enrollments ADD COLUMN csr_pem TEXT NOT NULL DEFAULT '';
ALTER TABLE enrollments ADD COLUMN key_fingerprint TEXT NOT NULL DEFAULT '';
