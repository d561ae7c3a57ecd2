-- 地域の指標 (indicators users bring, migration 012) of one municipality in fiscal year fy, each
-- beside the same indicator over its size band (kf_size_band of the year's 65+ population, the
-- municipality included) and over the nation: how many municipalities have a value, and the
-- medians (quantile_cont, linear between order statistics). Values stay exact DECIMAL text for
-- the municipality's own figure.
-- Args: fiscal year, code.
WITH x AS MATERIALIZED (
  SELECT l.code, l.indicator, l.unit, l.value, l.as_of, l.source, kf_size_band(p.population_65plus) AS band
  FROM local_indicators l
  LEFT JOIN populations p ON p.code = l.code AND p.fiscal_year = l.fiscal_year
  WHERE l.fiscal_year = ?),
b AS (SELECT band, indicator, count(*) AS n, quantile_cont(CAST(value AS DOUBLE), 0.5) AS med FROM x GROUP BY band, indicator),
nat AS (SELECT indicator, count(*) AS n, quantile_cont(CAST(value AS DOUBLE), 0.5) AS med FROM x GROUP BY indicator)
SELECT x.indicator, x.unit, CAST(x.value AS VARCHAR), x.as_of, x.source, x.band, b.n, b.med, nat.n, nat.med
FROM x JOIN b ON b.band = x.band AND b.indicator = x.indicator JOIN nat ON nat.indicator = x.indicator
WHERE x.code = ?
ORDER BY x.indicator
