-- Sets an entity's 第1号被保険者数 (and total, when given: NULL keeps the stored one) for a fiscal
-- year. Args: code, fiscal year, total, 65+, reference date, source.
INSERT INTO populations (code, fiscal_year, population_total, population_65plus, reference_date, source)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (code, fiscal_year) DO UPDATE SET population_65plus = excluded.population_65plus,
  population_total = coalesce(excluded.population_total, populations.population_total),
  reference_date = excluded.reference_date, source = excluded.source
