-- Every municipality's 得点率 by goal and grant in a score run, with the means over the nation, its
-- prefecture and its size band (kf_size_band, migration 008; the band is printed by its label).
-- Args: fiscal year (populations), run id.
WITH g AS (
  SELECT gs.entity_code, gs.goal_id, gs.grant_id, CAST(gs.points AS DOUBLE) AS pts, CAST(gs.max_points AS DOUBLE) AS mx,
    kf_div9(gs.points, gs.max_points) AS rate, e.prefecture_code,
    kf_size_band(p.population_65plus) AS band
  FROM goal_scores gs
  JOIN score_totals t ON t.run_id = gs.run_id AND t.entity_code = gs.entity_code AND t.level = 'municipality'
  JOIN entities e ON e.code = gs.entity_code AND e.level = 'municipality'
  LEFT JOIN populations p ON p.code = gs.entity_code AND p.fiscal_year = ?
  WHERE gs.run_id = ?),
m AS (
  SELECT *, sum(rate) OVER (PARTITION BY goal_id, grant_id) AS nat_s, count(rate) OVER (PARTITION BY goal_id, grant_id) AS nat_n,
    sum(rate) OVER (PARTITION BY goal_id, grant_id, prefecture_code) AS pref_s, count(rate) OVER (PARTITION BY goal_id, grant_id, prefecture_code) AS pref_n,
    sum(rate) OVER (PARTITION BY goal_id, grant_id, band) AS band_s, count(rate) OVER (PARTITION BY goal_id, grant_id, band) AS band_n
  FROM g)
SELECT entity_code, goal_id, grant_id, pts, mx, coalesce(CAST(rate AS DOUBLE), 0),
  coalesce(CAST(kf_div6(nat_s, nat_n) AS DOUBLE), 0), coalesce(CAST(kf_div6(pref_s, pref_n) AS DOUBLE), 0),
  coalesce(CAST(kf_div6(band_s, band_n) AS DOUBLE), 0), kf_size_band_label(band)
FROM m ORDER BY entity_code, goal_id, grant_id
