-- 006: tokens expire. Tokens issued before this migration get a year from their issue.
ALTER TABLE tokens ADD COLUMN expires_at TIMESTAMP;
UPDATE tokens SET expires_at = created_at + INTERVAL 365 DAY WHERE expires_at IS NULL;
