-- The submission versions a score run reads: the current ones of its fiscal year and the year
-- before (for changes). Args: fiscal year, the year before.
CREATE OR REPLACE TEMP TABLE kf_inputs AS
SELECT id, fiscal_year, entity_code, level, kind, version, sha256
FROM submissions
WHERE fiscal_year IN (CAST(? AS BIGINT), CAST(? AS BIGINT)) AND status = 'current'
