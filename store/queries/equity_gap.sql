-- The gap between the smallest and the largest municipalities (size bands <3,000 and ≥100,000 of
-- 65+; equity_base.sql as base) per fiscal year: mean 得点率 and pooled yen per 65+ of each, the
-- difference smallest − largest (exact), and its change from the year before (NULL when the year
-- before has no run or either band is empty). Args: none beyond the base's.
WITH b AS (SELECT fy,
             kf_div9(sum(rate) FILTER (WHERE band = 'lt3k'), count(*) FILTER (WHERE band = 'lt3k')) AS small_rate,
             kf_div9(sum(rate) FILTER (WHERE band = 'ge100k'), count(*) FILTER (WHERE band = 'ge100k')) AS large_rate,
             kf_div6(sum(yen) FILTER (WHERE band = 'lt3k' AND ypp IS NOT NULL), sum(pop65) FILTER (WHERE band = 'lt3k' AND ypp IS NOT NULL)) AS small_ypp,
             kf_div6(sum(yen) FILTER (WHERE band = 'ge100k' AND ypp IS NOT NULL), sum(pop65) FILTER (WHERE band = 'ge100k' AND ypp IS NOT NULL)) AS large_ypp
           FROM base GROUP BY fy),
g AS (SELECT fy, small_rate, large_rate, small_rate - large_rate AS gap_rate, small_ypp, large_ypp, small_ypp - large_ypp AS gap_ypp FROM b)
SELECT fy, coalesce(CAST(small_rate AS VARCHAR), ''), coalesce(CAST(large_rate AS VARCHAR), ''), coalesce(CAST(gap_rate AS VARCHAR), ''),
       coalesce(CAST(CASE WHEN lag(fy) OVER (ORDER BY fy) = fy - 1 THEN gap_rate - lag(gap_rate) OVER (ORDER BY fy) END AS VARCHAR), ''),
       coalesce(CAST(small_ypp AS VARCHAR), ''), coalesce(CAST(large_ypp AS VARCHAR), ''), coalesce(CAST(gap_ypp AS VARCHAR), ''),
       coalesce(CAST(CASE WHEN lag(fy) OVER (ORDER BY fy) = fy - 1 THEN gap_ypp - lag(gap_ypp) OVER (ORDER BY fy) END AS VARCHAR), '')
FROM g ORDER BY fy
