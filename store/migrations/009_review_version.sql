-- 009: a verdict records the version of the survey it was given on (0: none known, as for the
-- verdicts recorded before this migration), so that a 確認済 stays tied to what was read and a
-- resubmission after it shows.
ALTER TABLE reviews ADD COLUMN version INTEGER DEFAULT 0;
