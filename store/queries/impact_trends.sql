-- The outcome's mean per fiscal year for three groups of municipalities (kf_impact_panel, migration
-- 015), for the chart of the two groups a difference-in-differences compares:
--   adopter: had not adopted in its first answered year of the range and adopted later in it;
--   never:   answered, and never adopted, in the range;
--   always:  had already adopted in its first answered year (not compared).
-- Args: action item, outcome item, first fiscal year, last fiscal year, threshold (decimal text).
WITH p AS (SELECT * FROM kf_impact_panel(?, ?, ?, ?, ?)),
g AS (
  SELECT code,
    CASE WHEN arg_min(d, fy) FILTER (WHERE d IS NOT NULL) = 1 THEN 'always'
         WHEN max(d) = 1 THEN 'adopter'
         WHEN max(d) = 0 THEN 'never' END AS grp
  FROM p GROUP BY code)
SELECT p.fy, g.grp, count(p.y), CAST(avg(p.y) AS DOUBLE), count(*) FILTER (WHERE p.d = 1)
FROM p JOIN g ON g.code = p.code
WHERE g.grp IS NOT NULL
GROUP BY p.fy, g.grp
ORDER BY p.fy, g.grp
