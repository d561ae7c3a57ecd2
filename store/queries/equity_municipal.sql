-- The equity view's rows (equity_base.sql) for people and files, by fiscal year and code; exact
-- numbers as text. Args: as-of run id ×2.
SELECT fy, score_run, coalesce(alloc_run, 0), prefecture_code, prefecture_name, code, name,
       CAST(total AS VARCHAR), CAST(max_total AS VARCHAR), CAST(rate AS VARCHAR), submitted,
       coalesce(pop65, 0), coalesce(pop_total, 0), band, kf_size_band_label(band), coalesce(CAST(aging AS VARCHAR), ''),
       coalesce(aging_quintile, 0), yen, coalesce(CAST(ypp AS VARCHAR), ''), low, low_prev
FROM base
ORDER BY fy, code
