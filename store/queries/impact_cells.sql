-- The municipality-years a difference-in-differences contrast compares (kf_impact_panel, migration
-- 015): year t of a municipality that had not adopted in t−1 and whose outcome is known in t and
-- t−1. treated: adopted in t (new adopters); else a control (adopted neither in t nor t−1).
-- dy = Y(t) − Y(t−1) and, for the pre-period trend check, pre = Y(t−1) − Y(t−2) where t−2 is known
-- and the municipality had not adopted then either; both in integer millionths (exact).
-- One row per municipality-year, by code and year: the bootstrap's clusters are the codes.
-- Args: action item, outcome item, first fiscal year, last fiscal year, threshold (decimal text).
SELECT code, fy, band, d = 1 AS treated,
  CAST((y - y_prev) * 1000000 AS BIGINT) AS dy,
  CASE WHEN d_prev2 = 0 AND y_prev2 IS NOT NULL THEN CAST((y_prev - y_prev2) * 1000000 AS BIGINT) END AS pre
FROM kf_impact_panel(?, ?, ?, ?, ?)
WHERE d_prev = 0 AND d IS NOT NULL AND y IS NOT NULL AND y_prev IS NOT NULL
ORDER BY code, fy
