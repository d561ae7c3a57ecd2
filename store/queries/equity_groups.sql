-- The equity view's figures by group (equity_base.sql as base), per fiscal year: the nation, each
-- size band, each 高齢化率 quintile and each prefecture. For each: municipalities; mean 得点率 (each
-- municipality counts once) and 得点率 weighted by 65+ (Σ rate·65+ ÷ Σ 65+); the national-style SD
-- of 得点率 (population SD, for reading); municipalities below mean − 2·SD; with an allocation, the
-- yen, the 65+ they reach, yen per 65+ as the mean of the municipalities' own (each counts once)
-- and pooled (Σ yen ÷ Σ 65+: per older person, i.e. weighted by 65+). Means are exact quotients
-- rounded half away from zero (kf_div9 for rates, kf_div6 for yen). Args: none beyond the base's.
SELECT fy,
       CASE WHEN GROUPING(band) = 0 THEN 'band' WHEN GROUPING(aging_quintile) = 0 THEN 'quintile'
            WHEN GROUPING(prefecture_code) = 0 THEN 'prefecture' ELSE 'nation' END AS dim,
       CASE WHEN GROUPING(band) = 0 THEN band WHEN GROUPING(aging_quintile) = 0 THEN coalesce(CAST(aging_quintile AS VARCHAR), 'unknown')
            WHEN GROUPING(prefecture_code) = 0 THEN prefecture_code ELSE '' END AS key,
       CASE WHEN GROUPING(band) = 0 THEN kf_size_band_label(band)
            WHEN GROUPING(aging_quintile) = 0 THEN coalesce('第' || aging_quintile || '五分位', '不明')
            WHEN GROUPING(prefecture_code) = 0 THEN min(prefecture_name) ELSE '全国' END AS label,
       count(*) AS n,
       CAST(kf_div9(sum(rate), count(*)) AS VARCHAR) AS mean_rate,
       coalesce(CAST(kf_div9(sum(rate * pop65) FILTER (WHERE pop65 > 0), sum(pop65) FILTER (WHERE pop65 > 0)) AS VARCHAR), '') AS wmean_rate,
       CASE WHEN count(*) < 1 THEN 0 ELSE sqrt(greatest(CAST(count(*) * sum(kf_int9(rate) * kf_int9(rate)) - sum(kf_int9(rate)) * sum(kf_int9(rate)) AS DOUBLE), 0)) / count(*) / 1e9 END AS sd_rate,
       count(*) FILTER (WHERE low) AS n_low,
       count(ypp) AS n_alloc,
       coalesce(sum(yen) FILTER (WHERE ypp IS NOT NULL), 0) AS yen,
       coalesce(sum(pop65) FILTER (WHERE ypp IS NOT NULL), 0) AS pop65,
       coalesce(CAST(kf_div6(sum(ypp), count(ypp)) AS VARCHAR), '') AS mean_ypp,
       coalesce(CAST(kf_div6(sum(yen) FILTER (WHERE ypp IS NOT NULL), sum(pop65) FILTER (WHERE ypp IS NOT NULL)) AS VARCHAR), '') AS pooled_ypp,
       coalesce(CAST(kf_div9(sum(aging), count(aging)) AS VARCHAR), '') AS mean_aging
FROM base
GROUP BY GROUPING SETS ((fy), (fy, band), (fy, aging_quintile), (fy, prefecture_code))
ORDER BY fy, CASE dim WHEN 'nation' THEN 0 WHEN 'band' THEN 1 WHEN 'quintile' THEN 2 ELSE 3 END,
         CASE key WHEN 'lt3k' THEN '1' WHEN '3k-10k' THEN '2' WHEN '10k-50k' THEN '3' WHEN '50k-100k' THEN '4' WHEN 'ge100k' THEN '5' WHEN 'unknown' THEN '9' ELSE key END
