-- 地域の指標 (indicators users bring, migration 012) in the equity view (equity_base.sql as base), per
-- fiscal year and indicator: the nation, each size band, each 高齢化率 quintile and each prefecture,
-- as equity_groups.sql groups them. Each indicator is joined to every base row of its fiscal year
-- (a municipality without a value keeps its row, value NULL), so the group's municipalities, mean
-- 得点率 and yen per 65+ (Σ yen ÷ Σ 65+) are the group's own, beside the indicator's municipalities
-- with a value and their mean (an exact quotient to 6 places, rounded half away from zero). The
-- nation's row carries the indicator's Pearson correlation with 得点率 over the municipalities with
-- a value (DuckDB corr, fed in code order so that the same rows give the same float), and every
-- row the indicator's unit, sources and reference dates (出典・基準日) over the values it holds.
-- Data users brought: never an input to a score or a yen. Args: none beyond the base's.
WITH ind AS (SELECT fiscal_year, indicator, min(unit) AS unit FROM local_indicators GROUP BY fiscal_year, indicator),
x AS MATERIALIZED (SELECT b.fy, b.code, b.band, b.aging_quintile, b.prefecture_code, b.prefecture_name, b.rate, b.yen, b.pop65, b.ypp,
        i.indicator, i.unit, l.value, l.as_of, l.source
      FROM base b JOIN ind i ON i.fiscal_year = b.fy
      LEFT JOIN local_indicators l ON l.fiscal_year = b.fy AND l.code = b.code AND l.indicator = i.indicator),
r AS (SELECT fy, indicator, corr(CAST(value AS DOUBLE), CAST(rate AS DOUBLE) ORDER BY code) AS r
      FROM x WHERE value IS NOT NULL GROUP BY fy, indicator),
g AS (
  SELECT fy, indicator,
         CASE WHEN GROUPING(band) = 0 THEN 'band' WHEN GROUPING(aging_quintile) = 0 THEN 'quintile'
              WHEN GROUPING(prefecture_code) = 0 THEN 'prefecture' ELSE 'nation' END AS dim,
         CASE WHEN GROUPING(band) = 0 THEN band WHEN GROUPING(aging_quintile) = 0 THEN coalesce(CAST(aging_quintile AS VARCHAR), 'unknown')
              WHEN GROUPING(prefecture_code) = 0 THEN prefecture_code ELSE '' END AS key,
         CASE WHEN GROUPING(band) = 0 THEN kf_size_band_label(band)
              WHEN GROUPING(aging_quintile) = 0 THEN coalesce('第' || aging_quintile || '五分位', '不明')
              WHEN GROUPING(prefecture_code) = 0 THEN min(prefecture_name) ELSE '全国' END AS label,
         count(*) AS n,
         count(value) AS n_value,
         coalesce(CAST(kf_div6(sum(value), count(value)) AS VARCHAR), '') AS mean_value,
         CAST(kf_div9(sum(rate), count(*)) AS VARCHAR) AS mean_rate,
         coalesce(CAST(kf_div6(sum(yen) FILTER (WHERE ypp IS NOT NULL), sum(pop65) FILTER (WHERE ypp IS NOT NULL)) AS VARCHAR), '') AS pooled_ypp,
         coalesce(min(unit), '') AS unit,
         coalesce(string_agg(DISTINCT source, '、' ORDER BY source), '') AS sources,
         min(as_of) AS as_of_min, max(as_of) AS as_of_max
  FROM x
  GROUP BY GROUPING SETS ((fy, indicator), (fy, indicator, band), (fy, indicator, aging_quintile), (fy, indicator, prefecture_code)))
SELECT g.fy, g.indicator, g.dim, g.key, g.label, g.n, g.n_value, g.mean_value, g.mean_rate, g.pooled_ypp, g.unit, g.sources,
       g.as_of_min, g.as_of_max, CASE WHEN g.dim = 'nation' THEN r.r END AS corr
FROM g LEFT JOIN r ON r.fy = g.fy AND r.indicator = g.indicator
ORDER BY g.fy, g.indicator, CASE g.dim WHEN 'nation' THEN 0 WHEN 'band' THEN 1 WHEN 'quintile' THEN 2 ELSE 3 END,
         CASE g.key WHEN 'lt3k' THEN '1' WHEN '3k-10k' THEN '2' WHEN '10k-50k' THEN '3' WHEN '50k-100k' THEN '4' WHEN 'ge100k' THEN '5' WHEN 'unknown' THEN '9' ELSE g.key END
