-- The answers of a scaled nation's answers file, under their submitter's submission (written by
-- scaled_submissions.sql). Args: answers file, fiscal year, file name.
INSERT INTO answers (submission_id, entity_code, item_id, value_text, value_num, cell)
SELECT s.id, a.entity_code, a.item_id, a.value_text, CAST(a.value_num AS DECIMAL(18,6)), 'scaled'
FROM read_csv(?, header = true, all_varchar = true) a
JOIN submissions s ON s.entity_code = a.submitter AND s.level = a.level AND s.fiscal_year = ? AND s.file_name = ? AND s.status = 'current'
