-- Every municipality's 得点率 by goal and grant in a score run, with the means over the nation, its
-- prefecture and its size band (kf_size_band, migration 008; the band is printed by its label).
-- Args: fiscal year (populations), run id.
-- Each mean is an exact quotient (kf_div6) taken once per group and joined to the rows: taken per
-- row over window sums, the 3 × 13,928 quotients of the nation (each a 128-bit division in DuckDB
-- 1.1) were most of the query.
WITH g AS MATERIALIZED (
  SELECT gs.entity_code, gs.goal_id, gs.grant_id, CAST(gs.points AS DOUBLE) AS pts, CAST(gs.max_points AS DOUBLE) AS mx,
    kf_div9(gs.points, gs.max_points) AS rate, e.prefecture_code,
    kf_size_band(p.population_65plus) AS band
  FROM goal_scores gs
  JOIN score_totals t ON t.run_id = gs.run_id AND t.entity_code = gs.entity_code AND t.level = 'municipality'
  JOIN entities e ON e.code = gs.entity_code AND e.level = 'municipality'
  LEFT JOIN populations p ON p.code = gs.entity_code AND p.fiscal_year = ?
  WHERE gs.run_id = ?),
nat AS (SELECT goal_id, grant_id, CAST(kf_div6(sum(rate), count(rate)) AS DOUBLE) AS mean FROM g GROUP BY goal_id, grant_id),
pref AS (SELECT goal_id, grant_id, prefecture_code, CAST(kf_div6(sum(rate), count(rate)) AS DOUBLE) AS mean FROM g GROUP BY goal_id, grant_id, prefecture_code),
band AS (SELECT goal_id, grant_id, band, CAST(kf_div6(sum(rate), count(rate)) AS DOUBLE) AS mean FROM g GROUP BY goal_id, grant_id, band)
SELECT g.entity_code, g.goal_id, g.grant_id, g.pts, g.mx, coalesce(CAST(g.rate AS DOUBLE), 0),
  coalesce(nat.mean, 0), coalesce(pref.mean, 0),
  coalesce(band.mean, 0), kf_size_band_label(g.band)
FROM g JOIN nat ON nat.goal_id = g.goal_id AND nat.grant_id = g.grant_id
JOIN pref ON pref.goal_id = g.goal_id AND pref.grant_id = g.grant_id AND pref.prefecture_code IS NOT DISTINCT FROM g.prefecture_code
JOIN band ON band.goal_id = g.goal_id AND band.grant_id = g.grant_id AND band.band IS NOT DISTINCT FROM g.band
ORDER BY g.entity_code, g.goal_id, g.grant_id
