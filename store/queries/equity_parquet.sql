-- The equity view's rows (equity_base.sql as base) for analysts' Parquet file: exact decimals as
-- DECIMAL, by fiscal year and code. Args: none beyond the base's.
SELECT fy AS fiscal_year, prefecture_code, prefecture_name, code, name, total, max_total, rate, submitted,
       pop65 AS population_65plus, pop_total AS population_total, band AS size_band, aging AS aging_rate,
       aging_quintile, yen, ypp AS yen_per_65plus, low, low_prev, coalesce(low AND low_prev, false) AS persistent_low,
       score_run, alloc_run
FROM base
ORDER BY fy, code
