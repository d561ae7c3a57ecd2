-- The answers a score run read for its fiscal year. Args: score run id, fiscal year.
SELECT s.fiscal_year, s.level, a.entity_code, a.item_id, a.value_text, a.value_num, a.cell, s.id AS submission_id, s.version, s.sha256
FROM answers a
JOIN run_inputs i ON i.submission_id = a.submission_id AND i.run_id = ?
JOIN submissions s ON s.id = a.submission_id
WHERE s.fiscal_year = ?
ORDER BY a.entity_code, a.item_id, s.id
