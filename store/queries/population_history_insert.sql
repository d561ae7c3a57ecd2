-- Keeps the population figures an update replaces. Args: time, file name, code, fiscal year.
INSERT INTO population_history
SELECT code, fiscal_year, population_total, population_65plus, reference_date, source, ?, ?
FROM populations WHERE code = ? AND fiscal_year = ?
