-- The state of the slots (entity, level, kind) of some entities in a fiscal year: the current
-- version's id, hash and number (0, '' and 0 without one) and the highest version. Args: fiscal
-- year, the entity codes joined by commas.
SELECT entity_code, level, kind,
  coalesce(max(id) FILTER (WHERE status = 'current'), 0), coalesce(max(sha256) FILTER (WHERE status = 'current'), ''),
  coalesce(max(version) FILTER (WHERE status = 'current'), 0), max(version)
FROM submissions WHERE fiscal_year = ? AND entity_code IN (SELECT unnest(string_split(?, ',')))
GROUP BY entity_code, level, kind
ORDER BY entity_code, level, kind
