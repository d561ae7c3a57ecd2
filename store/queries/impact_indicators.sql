-- Per indicator of a score run of fiscal year t: how the municipalities' points relate to the
-- outcome's change from t to t+1 (the ministry's values of both years). The slope and correlation
-- are computed from exact sums (points DECIMAL(9,2), the change DECIMAL in millionths), so the
-- figures do not depend on the order rows are aggregated in (regr_slope and corr over doubles
-- can differ in the last bits between runs of a parallel aggregation); slope NULL when every
-- municipality has the same points, correlation NULL when the change is also constant.
-- Args: outcome item, t, t+1, t+1, t, score run id.
WITH o AS (
  SELECT a.entity_code AS code, s.fiscal_year AS fy, max(a.value_num) AS y
  FROM submissions s JOIN answers a ON a.submission_id = s.id
  WHERE s.status = 'current' AND s.level = 'ministry' AND s.kind = 'outcomes' AND a.item_id = ?
    AND s.fiscal_year IN (?, ?) AND a.value_num IS NOT NULL
  GROUP BY a.entity_code, s.fiscal_year),
dy AS (
  SELECT code, CAST(max(y) FILTER (WHERE fy = ?) - max(y) FILTER (WHERE fy = ?) AS DECIMAL(18,6)) AS dy
  FROM o GROUP BY code),
x AS (
  SELECT sc.indicator_id, sc.points AS x, dy.dy AS y
  FROM scores sc JOIN dy ON dy.code = sc.entity_code
  WHERE sc.run_id = ? AND dy.dy IS NOT NULL),
s AS (
  SELECT indicator_id, count(*) AS n, sum(x) AS sx, sum(y) AS sy, sum(x * x) AS sxx, sum(y * y) AS syy, sum(x * y) AS sxy
  FROM x GROUP BY indicator_id),
v AS (
  SELECT indicator_id, n, sx, sy,
    CAST(n * sxx - sx * sx AS DOUBLE) AS vx, CAST(n * syy - sy * sy AS DOUBLE) AS vy, CAST(n * sxy - sx * sy AS DOUBLE) AS cxy
  FROM s)
SELECT indicator_id, n, CAST(sx AS DOUBLE) / n, CAST(sy AS DOUBLE) / n,
  CASE WHEN vx > 0 THEN cxy / vx END,
  CASE WHEN vx > 0 AND vy > 0 THEN cxy / sqrt(vx * vy) END
FROM v
ORDER BY indicator_id
