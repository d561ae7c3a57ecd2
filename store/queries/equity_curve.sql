-- The concentration curve of yen against the 65+ population (equity_base.sql as base), per fiscal
-- year with an allocation: the municipalities with yen, a 65+ population and a 高齢化率, ranked by
-- 高齢化率 ascending (least aged first; ties by code), with the running sums of 65+ (X·P) and yen
-- (Y·M) and the year's totals P and M, exact integers. Args: none beyond the base's.
SELECT fy, code, pop65, yen,
       CAST(sum(pop65) OVER w AS BIGINT) AS cum_pop, CAST(sum(yen) OVER w AS BIGINT) AS cum_yen,
       CAST(sum(pop65) OVER (PARTITION BY fy) AS BIGINT) AS total_pop, CAST(sum(yen) OVER (PARTITION BY fy) AS BIGINT) AS total_yen
FROM base
WHERE ypp IS NOT NULL AND aging IS NOT NULL
WINDOW w AS (PARTITION BY fy ORDER BY aging, code ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY fy, aging, code
