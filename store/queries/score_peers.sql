-- The entities of one level valid in the fiscal year (the peers every rank and share is taken
-- over), with their prefecture, size band (kf_size_band, migration 008) and whether they submitted a
-- survey. Args: fiscal year, level.
CREATE OR REPLACE TEMP TABLE kf_peers AS
SELECT e.code AS entity_code, e.prefecture_code,
  kf_size_band(p.population_65plus) AS size_band,
  EXISTS (SELECT 1 FROM kf_inputs i WHERE i.entity_code = e.code AND i.kind = 'survey' AND i.fiscal_year = CAST($1 AS BIGINT)) AS submitted
FROM entities e
LEFT JOIN populations p ON p.code = e.code AND p.fiscal_year = CAST($1 AS BIGINT)
WHERE e.level = $2 AND e.valid_from_fy <= CAST($1 AS BIGINT) AND (e.valid_to_fy IS NULL OR e.valid_to_fy >= CAST($1 AS BIGINT))
