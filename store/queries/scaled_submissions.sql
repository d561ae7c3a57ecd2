-- One current submission (version 1) per submitter of a scaled nation's answers file: a survey
-- per entity, the ministry's outcome values as one file. Its hash is that of the file name, the
-- submitter and its answer count (the file is not read whole to hash it).
-- Args: $1 fiscal year, $2 file name, $3 received at, $4 answers file.
INSERT INTO submissions (id, fiscal_year, entity_code, level, kind, file_name, sha256, size_bytes, received_at, version, status, answer_count)
SELECT nextval('submission_id_seq'), $1, submitter, level, CASE WHEN level = 'ministry' THEN 'outcomes' ELSE 'survey' END,
       $2, sha256($2 || '/' || submitter || '/' || CAST(n AS VARCHAR)), 0, $3, 1, 'current', n
FROM (SELECT submitter, level, count(*) AS n FROM read_csv($4, header = true, all_varchar = true) GROUP BY submitter, level ORDER BY level, submitter)
