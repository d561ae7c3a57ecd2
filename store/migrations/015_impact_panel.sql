-- 015: the panel the impact assessment (効果検証) reads, as one table macro so that every impact query
-- (queries/impact_*.sql) reads the same definition.
--
-- kf_impact_panel(action_item, outcome_item, first_fy, last_fy, threshold) has one row per
-- municipality that answered the action item in some year of the range × every fiscal year of the
-- range:
--   d       1 when the municipality's current survey of the year answers the action item with a
--           value ≥ threshold (a yes/no item stores はい = 1, いいえ = 0: threshold 1), 0 below it,
--           NULL when it did not answer (no current survey, or the item blank);
--   y       the outcome item's value the ministry supplied for the municipality that year (its
--           current outcomes file), NULL when none;
--   d_prev, d_prev2, y_prev, y_prev2: the same one and two years before (window LAG over the full
--           grid of years, so "before" is always the previous fiscal year, never an older one);
--   band    the municipality's size band (kf_size_band, migration 008) from its 65+ population of
--           the fiscal year nearest to first_fy (a later year wins a tie): one band per
--           municipality, fixed over the range, 'unknown' without any population.
-- Values stay exact DECIMALs here; the queries turn differences into integer millionths.
CREATE MACRO kf_impact_panel(action_item, outcome_item, first_fy, last_fy, threshold) AS TABLE
WITH act AS (
  SELECT s.entity_code AS code, s.fiscal_year AS fy,
    max(CASE WHEN a.value_num IS NULL THEN NULL
             WHEN a.value_num >= CAST(threshold AS DECIMAL(18,6)) THEN 1 ELSE 0 END) AS d
  FROM submissions s
  JOIN answers a ON a.submission_id = s.id AND a.entity_code = s.entity_code
  WHERE s.status = 'current' AND s.level = 'municipality' AND s.kind = 'survey'
    AND a.item_id = action_item AND s.fiscal_year BETWEEN first_fy AND last_fy
  GROUP BY s.entity_code, s.fiscal_year),
outc AS (
  SELECT a.entity_code AS code, s.fiscal_year AS fy, max(a.value_num) AS y
  FROM submissions s
  JOIN answers a ON a.submission_id = s.id
  WHERE s.status = 'current' AND s.level = 'ministry' AND s.kind = 'outcomes'
    AND a.item_id = outcome_item AND s.fiscal_year BETWEEN first_fy AND last_fy AND a.value_num IS NOT NULL
  GROUP BY a.entity_code, s.fiscal_year),
codes AS (SELECT DISTINCT code FROM act),
years AS (SELECT CAST(unnest(range(first_fy, last_fy + 1)) AS INTEGER) AS fy),
bands AS (
  SELECT p.code, kf_size_band(arg_min(p.population_65plus,
    abs(p.fiscal_year - first_fy) * 2 + CASE WHEN p.fiscal_year >= first_fy THEN 0 ELSE 1 END)) AS band
  FROM populations p WHERE p.code IN (SELECT code FROM codes)
  GROUP BY p.code),
grid AS (
  SELECT c.code, y.fy, coalesce(b.band, 'unknown') AS band, a.d, o.y
  FROM codes c CROSS JOIN years y
  LEFT JOIN act a ON a.code = c.code AND a.fy = y.fy
  LEFT JOIN outc o ON o.code = c.code AND o.fy = y.fy
  LEFT JOIN bands b ON b.code = c.code)
SELECT code, fy, band, d, y,
  lag(d) OVER w AS d_prev, lag(d, 2) OVER w AS d_prev2,
  lag(y) OVER w AS y_prev, lag(y, 2) OVER w AS y_prev2
FROM grid
WINDOW w AS (PARTITION BY code ORDER BY fy);

-- w × (treated mean − control mean) of one contrast, w the treated count: (st·nc − nt·sc) / nc for
-- the sums st, sc (integer millionths) and counts nt, nc, as an integer in 10⁻¹⁵ of the unit
-- (× 10⁹, rounded half away from zero). Integers, so that the contrasts add up exactly.
CREATE MACRO kf_impact_term(st, nt, sc, nc) AS
  sign(CAST(st AS HUGEINT) * nc - CAST(nt AS HUGEINT) * sc)
  * ((2 * abs(CAST(st AS HUGEINT) * nc - CAST(nt AS HUGEINT) * sc) * 1000000000 + nc) // (2 * CAST(nc AS HUGEINT)));
