-- 006: tokens expire. Tokens issued before this migration get a year from their issue, and at least
-- 30 days from the upgrade, so that nobody (the ministry's console included) is locked out by it.
ALTER TABLE tokens ADD COLUMN expires_at TIMESTAMP;
UPDATE tokens SET expires_at = greatest(created_at + INTERVAL 365 DAY, CAST(now() AS TIMESTAMP) + INTERVAL 30 DAY)
WHERE expires_at IS NULL;
