-- The centres and municipalities valid in the fiscal year, which the levels above roll up.
-- Args: fiscal year.
CREATE OR REPLACE TEMP TABLE kf_children AS
SELECT code, level, parent_code, prefecture_code
FROM entities
WHERE level IN ('centre', 'municipality') AND valid_from_fy <= CAST($1 AS BIGINT) AND (valid_to_fy IS NULL OR valid_to_fy >= CAST($1 AS BIGINT))
