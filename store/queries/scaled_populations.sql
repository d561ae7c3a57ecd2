-- The populations of a scaled nation's entity list (the care centres have none). Args: fiscal
-- year, source, entity list file.
INSERT INTO populations (code, fiscal_year, population_total, population_65plus, reference_date, source)
SELECT code, ?, CAST(population_total AS BIGINT), CAST(population_65plus AS BIGINT), CAST(reference_date AS DATE), ?
FROM read_csv(?, header = true, all_varchar = true)
WHERE population_65plus IS NOT NULL
