-- The concentration index of yen against the 65+ population, ranked by 高齢化率 (the curve of
-- equity_curve.sql), per fiscal year with an allocation: C = 1 − Σᵢ (Xᵢ − Xᵢ₋₁)(Yᵢ + Yᵢ₋₁) with
-- Xᵢ = Pᵢ/P, Yᵢ = Mᵢ/M the running shares of 65+ and yen. With pᵢ, yᵢ a municipality's 65+ and yen,
-- Σ pᵢ·(2Mᵢ − yᵢ) = N is an integer and C = (P·M − N) ÷ (P·M): the numerator and denominator are
-- returned as exact integers (HUGEINT as text), divided in Go with math/big (kf_div9 would overflow
-- HUGEINT at a scaled nation's P·M·10¹⁸).
-- C > 0: yen goes more than in proportion to 65+ to the more aged municipalities; C < 0: to the
-- less aged; 0: in proportion (or as much above as below). Args: none beyond the base's.
WITH c AS (SELECT fy, pop65, yen, sum(pop65) OVER w AS cum_pop, sum(yen) OVER w AS cum_yen FROM base
           WHERE ypp IS NOT NULL AND aging IS NOT NULL
           WINDOW w AS (PARTITION BY fy ORDER BY aging, code ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
s AS (SELECT fy, count(*) AS n, CAST(sum(pop65) AS HUGEINT) AS p, CAST(sum(yen) AS HUGEINT) AS m,
        sum(CAST(pop65 AS HUGEINT) * (2 * CAST(cum_yen AS HUGEINT) - yen)) AS nn FROM c GROUP BY fy)
SELECT fy, n, CAST(p AS BIGINT), CAST(m AS BIGINT),
       CAST(p * m - nn AS VARCHAR), CAST(p * m AS VARCHAR)
FROM s ORDER BY fy
