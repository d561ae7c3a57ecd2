-- The first of some slots (entity/level/kind, joined by commas) of a fiscal year that has other
-- than exactly one current version. Args: fiscal year, the slots.
SELECT entity_code, level, kind, count(*) FILTER (WHERE status = 'current') AS n FROM submissions
WHERE fiscal_year = ? AND entity_code || '/' || level || '/' || kind IN (SELECT unnest(string_split(?, ',')))
GROUP BY entity_code, level, kind HAVING n <> 1 ORDER BY entity_code, level, kind LIMIT 1
