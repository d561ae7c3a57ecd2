-- 地域診断: one municipality's points of each indicator in the latest succeeded score run of each
-- fiscal year up to a given one, with the mean of the indicator's points over the run's
-- municipalities (avg of exact decimals, as DOUBLE for display). Which years continue which is the
-- rulebooks' lineage (predecessors, not_comparable), decided by the caller.
-- Args: fiscal year, code.
WITH r AS (
  SELECT fiscal_year, max(id) AS run_id FROM runs
  WHERE kind = 'score' AND status = 'succeeded' AND fiscal_year <= ? GROUP BY fiscal_year),
s AS MATERIALIZED (
  SELECT r.fiscal_year, sc.entity_code, sc.indicator_id, sc.points, sc.max_points
  FROM scores sc JOIN r ON r.run_id = sc.run_id
  JOIN score_totals t ON t.run_id = sc.run_id AND t.entity_code = sc.entity_code AND t.level = 'municipality'),
mean AS (SELECT fiscal_year, indicator_id, avg(points) AS mean FROM s GROUP BY fiscal_year, indicator_id)
SELECT s.fiscal_year, s.indicator_id, CAST(s.points AS DOUBLE), CAST(s.max_points AS DOUBLE), CAST(mean.mean AS DOUBLE)
FROM s JOIN mean ON mean.fiscal_year = s.fiscal_year AND mean.indicator_id = s.indicator_id
WHERE s.entity_code = ?
ORDER BY s.fiscal_year, s.indicator_id
